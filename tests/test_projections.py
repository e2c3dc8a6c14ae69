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


def test_events_committed_while_projections_run_wait_for_the_next_run(
    coingecko_conn, duckdb_url, monkeypatch
):
    """An ingest that commits between two projections of one run must not reach the later ones
    before the earlier ones (their upstream) have staged it: every projection of a run stops at the
    head read when the run began, and the next run folds the rest into all of them."""
    import warehouse.projections.base as base

    engine = db.make_engine(duckdb_url)
    ingest_coin_window(
        coingecko_conn, "sahara-ai", DEVNET_NOW - DAY, DEVNET_NOW - DAY // 2, warehouse_url=duckdb_url
    )
    real, calls = base.run_projection, []

    def ingest_after_the_first(engine_, projection, **kwargs):
        result = real(engine_, projection, **kwargs)
        calls.append(projection.name)
        if len(calls) == 1:  # another task's ingest commits now
            ingest_coin_window(
                coingecko_conn, "sahara-ai", DEVNET_NOW - DAY // 2, DEVNET_NOW, warehouse_url=duckdb_url
            )
        return result

    monkeypatch.setattr(base, "run_projection", ingest_after_the_first)
    first = run_all(engine, ["market_caps", "market_caps_daily"])
    assert [r["to_seq"] for r in first] == [144, 144]  # half a day of five-minute quotes
    monkeypatch.setattr(base, "run_projection", real)
    second = run_all(engine, ["market_caps", "market_caps_daily"])
    assert [(r["from_seq"], r["to_seq"]) for r in second] == [(144, 288), (144, 288)]
    engine.dispose()
