"""Market data, end to end: fetch quotes for a window, validate, append to the event store.

A window is ingested for all its coins at once: one request (per 90 days) per coin, one validation
run of the `market_quotes` suite over the whole window, then one atomic batch per coin (events,
quarantine, DQ result, checkpoint). A coin whose quarantined share is above the threshold writes
nothing and fails the call, after the other coins' batches are written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from etl.connections import CoinGeckoConnection
from etl.settings import get_settings
from etl.sources.coingecko import COIN_IDS, CoinGeckoClient, fetch_quotes
from etl.validate.quotes import validate_quote_batches
from warehouse import db
from warehouse.store import append_batch, record_failed_batch

log = logging.getLogger(__name__)


class QuarantineShareExceeded(RuntimeError):
    """Too much of one batch failed validation: something upstream is broken, so stop and say so."""


def ingest_market_window(
    connection: CoinGeckoConnection,
    coin_ids: Sequence[str],
    start: int,
    end: int,
    *,
    warehouse_url: str | None = None,
    run_id: str | None = None,
    max_quarantine_share: float | None = None,
) -> dict[str, dict]:
    """Ingest quotes of every coin in `coin_ids` in [start, end) (unix seconds).

    Returns the batch summary of each coin, by coin id. Raises `QuarantineShareExceeded` naming every
    coin whose batch was refused (those wrote nothing; the others were written).
    """
    coins = list(dict.fromkeys(coin_ids))
    if not coins:
        raise ValueError(f"no coin ids given; expected some of {sorted(COIN_IDS.values())}")
    unknown = [c for c in coins if c not in COIN_IDS.values()]
    if unknown:
        raise ValueError(f"unknown coin id {unknown[0]!r}; expected one of {sorted(COIN_IDS.values())}")
    threshold = get_settings().quarantine_max_share if max_quarantine_share is None else max_quarantine_share
    with CoinGeckoClient(connection.base_url, connection.api_key, key_header=connection.key_header) as client:
        fetched = [fetch_quotes(client, coin, start, end) for coin in coins]
    checked = validate_quote_batches(fetched)
    summaries: dict[str, dict] = {}
    refused: list[str] = []
    engine = db.make_engine(warehouse_url)
    try:
        for batch, result in zip(fetched, checked, strict=True):
            coin = batch.coin_id
            if result.rows_in and len(result.quarantined) / result.rows_in > threshold:
                record_failed_batch(
                    engine, result.record, source="coingecko", stream=coin, range_start=start, range_end=end
                )
                reasons = sorted({q.rule for q in result.quarantined})
                refused.append(
                    f"coingecko {coin} [{start}, {end}): {len(result.quarantined)} of {result.rows_in} rows "
                    f"failed validation ({', '.join(reasons)}), above the allowed share {threshold:.0%}; "
                    f"nothing was written for {coin}"
                )
                continue
            written = append_batch(
                engine,
                source="coingecko",
                stream=coin,
                range_unit="unix_s",
                range_start=start,
                range_end=end,
                events=result.events,
                quarantined=result.quarantined,
                checkpoint=end,
                run_id=run_id,
                rows_in=result.rows_in,
                dq=[result.record],
            )
            summaries[coin] = written.as_dict() | {"requests": batch.requests, "retries": batch.retries}
            log.info("market batch %s", summaries[coin])
    finally:
        engine.dispose()
    if refused:
        also = f" (written: {', '.join(summaries)})" if summaries else ""
        raise QuarantineShareExceeded("; ".join(refused) + also)
    return summaries


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
    return ingest_market_window(
        connection,
        [coin_id],
        start,
        end,
        warehouse_url=warehouse_url,
        run_id=run_id,
        max_quarantine_share=max_quarantine_share,
    )[coin_id]


def decode_capture(text: str, coin_id: str = "bittensor", start: int | None = None, end: int | None = None):
    """`decai decode coingecko-market-chart`: a captured body read, then validated like an ingest
    (the `market_quotes` suite), as events and quarantine records."""
    from etl.decode import capture_record
    from etl.sources.coingecko import read_capture
    from etl.validate.quotes import validate_quotes

    checked = validate_quotes(read_capture(text, coin_id, start, end))
    for item in [*checked.events, *checked.quarantined]:
        yield capture_record(item)
