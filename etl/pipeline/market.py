"""Market data, end to end: fetch quotes for a window, validate, append to the event store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from etl.settings import get_settings
from etl.sources.coingecko import COIN_IDS, CoinGeckoClient, fetch_quotes
from etl.validate.quotes import validate_quotes
from warehouse import db
from warehouse.store import append_batch, record_failed_batch

log = logging.getLogger(__name__)


class QuarantineShareExceeded(RuntimeError):
    """Too much of one batch failed validation: something upstream is broken, so stop and say so."""


@dataclass(frozen=True)
class CoinGeckoConnection:
    base_url: str
    api_key: str | None = None
    key_header: str = "x-cg-demo-api-key"


def ingest_coin_window(
    connection: CoinGeckoConnection,
    coin_id: str,
    start: int,
    end: int,
    *,
    warehouse_url: str | None = None,
    run_id: str | None = None,
    max_quarantine_share: float | None = None,
) -> dict:
    """Ingest quotes of one coin in [start, end) (unix seconds); returns the batch summary."""
    if coin_id not in COIN_IDS.values():
        raise ValueError(f"unknown coin id {coin_id!r}; expected one of {sorted(COIN_IDS.values())}")
    threshold = get_settings().quarantine_max_share if max_quarantine_share is None else max_quarantine_share
    with CoinGeckoClient(connection.base_url, connection.api_key, key_header=connection.key_header) as client:
        fetched = fetch_quotes(client, coin_id, start, end)
    checked = validate_quotes(fetched)
    engine = db.make_engine(warehouse_url)
    try:
        if checked.rows_in and len(checked.quarantined) / checked.rows_in > threshold:
            record_failed_batch(
                engine, checked.record, source="coingecko", stream=coin_id, range_start=start, range_end=end
            )
            reasons = sorted({q.rule for q in checked.quarantined})
            raise QuarantineShareExceeded(
                f"coingecko {coin_id} [{start}, {end}): {len(checked.quarantined)} of {checked.rows_in} rows "
                f"failed validation ({', '.join(reasons)}), above the allowed share {threshold:.0%}; "
                "nothing was written"
            )
        result = append_batch(
            engine,
            source="coingecko",
            stream=coin_id,
            range_unit="unix_s",
            range_start=start,
            range_end=end,
            events=checked.events,
            quarantined=checked.quarantined,
            checkpoint=end,
            run_id=run_id,
            rows_in=checked.rows_in,
            dq=[checked.record],
        )
    finally:
        engine.dispose()
    summary = result.as_dict() | {"requests": fetched.requests, "retries": fetched.retries}
    log.info("market batch %s", summary)
    return summary
