"""The comparison measures are computed once per view while the warehouse stays as it is: a
projection run or an ingest batch makes the next request read the marts again."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from dashboards import series
from dashboards.state import View
from warehouse import db

VIEW = View(date(2026, 1, 1), date(2026, 1, 14), None, chain="bittensor")


def _run(url: str, statement: str, params: dict) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def _day(url: str, day: date, top10_share: float) -> None:
    """A complete Bittensor day of `ecosystem_daily` with its top-10% share."""
    _run(url, "INSERT INTO ecosystem_daily (chain, day, native_unit, complete, top10_share) "
         "VALUES ('bittensor', :day, 'TAO', TRUE, :share)", {"day": day, "share": top10_share})  # fmt: skip


def _top10(url: str) -> list[float]:
    return series.comparison(url, VIEW)["top10_share"].tolist()


def test_a_projection_run_shows_in_the_next_request(warehouse_url):
    _day(warehouse_url, date(2026, 1, 10), 0.5)
    _run(warehouse_url, "INSERT INTO projection_state (projection, last_seq, updated_at) VALUES ('ecosystem_daily', 10, :at)",
         {"at": datetime(2026, 1, 14, 1)})  # fmt: skip
    assert _top10(warehouse_url) == [0.5]
    # A projection run folds new events: its rows change and so does its position.
    _run(warehouse_url, "UPDATE ecosystem_daily SET top10_share = 0.25 WHERE chain = 'bittensor'", {})
    _run(
        warehouse_url,
        "UPDATE projection_state SET last_seq = 11, updated_at = :at",
        {"at": datetime(2026, 1, 14, 2)},
    )
    assert _top10(warehouse_url) == [0.25]


def test_an_ingest_batch_shows_in_the_next_request(warehouse_url):
    _day(warehouse_url, date(2026, 1, 10), 0.5)
    assert _top10(warehouse_url) == [0.5]
    _day(warehouse_url, date(2026, 1, 11), 0.75)
    # Stored with the batch that brought it, as the event store records every append.
    _run(warehouse_url, "INSERT INTO ingest_batches (batch_id, source, stream, range_unit, range_start, range_end, "
         "rows_in, rows_loaded, rows_new, rows_quarantined, started_at, duration_s) "
         "VALUES ('b1', 'subtensor', 'bittensor', 'block', 1, 2, 1, 1, 1, 0, :at, 0.1)",
         {"at": datetime(2026, 1, 14, 3)})  # fmt: skip
    assert _top10(warehouse_url) == [0.5, 0.75]
