"""Projections: incremental runs and a full rebuild give identical tables, on both engines."""

from datetime import UTC, datetime

import sqlalchemy as sa

from etl.pipeline.market import ingest_coin_window
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

DAY = 86400


def test_incremental_equals_rebuild_and_late_quotes_land_in_their_hour(coingecko_conn, warehouse_url):
    engine = db.make_engine(warehouse_url)
    # Three overlapping windows, in an order that sends an older hour after a newer one.
    for start, end in ((DEVNET_NOW - 3 * DAY, DEVNET_NOW - DAY), (DEVNET_NOW - 6 * 3600, DEVNET_NOW)):
        ingest_coin_window(coingecko_conn, "bittensor", start, end, warehouse_url=warehouse_url)
        run_all(engine)
    # Five-minute quotes for an hour that already has an hourly quote: the hour now shows the last one.
    ingest_coin_window(
        coingecko_conn,
        "bittensor",
        DEVNET_NOW - DAY - 3 * 3600,
        DEVNET_NOW - DAY - 3600,
        warehouse_url=warehouse_url,
    )
    summary = run_all(engine)[0]
    assert summary["events"] > 0
    tables = ("market_caps", "market_caps_daily")
    incremental = {t: table_checksum(engine, t) for t in tables}
    rebuild(engine)
    assert {t: table_checksum(engine, t) for t in tables} == incremental
    assert incremental["market_caps_daily"][0] == 4  # three days and a few hours, one coin
    with engine.connect() as conn:
        quotes, observed = conn.execute(
            sa.text("SELECT quotes, observed_at FROM market_caps WHERE hour = :h"),
            {"h": datetime.fromtimestamp(DEVNET_NOW - DAY - 2 * 3600, UTC).replace(tzinfo=None)},
        ).one()
    assert quotes == 12 and observed.minute == 55
    engine.dispose()


def test_a_second_run_without_new_events_does_nothing(coingecko_conn, duckdb_url):
    engine = db.make_engine(duckdb_url)
    ingest_coin_window(coingecko_conn, "sahara-ai", DEVNET_NOW - DAY, DEVNET_NOW, warehouse_url=duckdb_url)
    first = run_all(engine, ["market_caps"])[0]
    second = run_all(engine, ["market_caps"])[0]
    assert first["events"] == 288 and second["events"] == 0  # one day: five-minute quotes
    engine.dispose()
