"""PostgreSQL's event store is partitioned by chain and month; writes stay idempotent under concurrency."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.events import Event
from tests.conftest import _postgres_schema_url, require
from warehouse import db, partitions
from warehouse.audit import table_checksum
from warehouse.db import migrate
from warehouse.store import append_batch

pytestmark = pytest.mark.postgres


@pytest.fixture()
def pg_url():
    base = os.environ.get("WAREHOUSE_TEST_POSTGRES_URL")
    require(
        bool(base), "set WAREHOUSE_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    )
    url, admin, schema = _postgres_schema_url(base)
    migrate(url)
    yield url
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


SOURCE_OF = {"bittensor": "subtensor", "sahara": "cometbft", "market": "coingecko"}


def _events(chain: str, start: datetime, n: int, step: timedelta, offset: int = 0) -> list[Event]:
    return [
        Event(
            chain=chain,
            source=SOURCE_OF[chain],
            block_number=offset + i,
            position=str(i),
            event_type="test.Tick",
            block_time=start + i * step,
            payload={"i": offset + i},
        )
        for i in range(n)
    ]


def _append(engine, events, stream="s", start=0) -> int:
    return append_batch(
        engine, source="subtensor", stream=stream, range_unit="block", range_start=start,
        range_end=start + len(events), events=events,
    ).rows_new  # fmt: skip


def _rows_per_partition(engine) -> dict[str, int]:
    with db.connect(engine) as conn:
        rows = conn.exec_driver_sql(
            "SELECT tableoid::regclass::text AS part, COUNT(*) FROM events GROUP BY 1"
        ).all()
    return {part.split(".")[-1]: n for part, n in rows}


def test_events_land_in_their_chain_and_month_partitions(pg_url):
    engine = db.make_engine(pg_url)
    jan_end = datetime(2026, 1, 31, 22, tzinfo=UTC)
    # 6 hourly events from Jan 31 22:00 cross into February; a second chain in January only.
    assert _append(engine, _events("bittensor", jan_end, 6, timedelta(hours=1))) == 6
    assert _append(engine, _events("sahara", jan_end - timedelta(days=3), 4, timedelta(hours=1)), "t") == 4

    with db.connect(engine) as conn:
        assert partitions.is_partitioned(conn)
        leaves = {p["partition"]: p["bounds"] for p in partitions.partitions(conn)}
    assert sorted(leaves) == ["events_bittensor_202601", "events_bittensor_202602", "events_sahara_202601"]
    assert "2026-02-01" in leaves["events_bittensor_202601"]
    assert _rows_per_partition(engine) == {
        "events_bittensor_202601": 2,
        "events_bittensor_202602": 4,
        "events_sahara_202601": 4,
    }
    engine.dispose()


def test_a_query_by_chain_and_time_reads_only_the_matching_partitions(pg_url):
    engine = db.make_engine(pg_url)
    _append(engine, _events("market", datetime(2025, 11, 1, tzinfo=UTC), 120, timedelta(days=1)))
    _append(engine, _events("sahara", datetime(2025, 11, 1, tzinfo=UTC), 10, timedelta(days=1)), "t")
    with db.connect(engine) as conn:
        plan = "\n".join(
            r[0]
            for r in conn.exec_driver_sql(
                "EXPLAIN SELECT COUNT(*) FROM events WHERE chain = 'market' "
                "AND block_time >= '2026-01-05' AND block_time < '2026-01-20'"
            )
        )
    assert "events_market_202601" in plan
    scanned = {p for p in ("202511", "202512", "202602") if f"events_market_{p}" in plan}
    assert scanned == set() and "events_sahara" not in plan
    engine.dispose()


def test_rewriting_and_concurrent_overlapping_writes_never_double_count(pg_url):
    start = datetime(2026, 1, 10, tzinfo=UTC)
    everything = _events("bittensor", start, 3000, timedelta(minutes=12))
    engine = db.make_engine(pg_url)
    assert _append(engine, everything[:1000]) == 1000
    assert _append(engine, everything[:1000]) == 0  # a re-run of the same chunk adds nothing

    # Two workers write overlapping chunks at the same time: [500, 2200) and [1500, 3000).
    errors: list[BaseException] = []

    def worker(piece, stream):
        own = db.make_engine(pg_url)
        try:
            for lo in range(0, len(piece), 100):
                _append(own, piece[lo : lo + 100], stream, lo)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [
        threading.Thread(target=worker, args=(everything[500:2200], "w1")),
        threading.Thread(target=worker, args=(everything[1500:], "w2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.connect(engine) as conn:
        total, distinct = conn.exec_driver_sql("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events").one()
        seqs = conn.exec_driver_sql("SELECT COUNT(DISTINCT seq) FROM events").scalar()
    assert total == distinct == seqs == 3000
    engine.dispose()


def test_upgrading_a_filled_unpartitioned_store_keeps_every_row(pg_url):
    """Migration 0009 on a warehouse that already holds events: same rows before and after."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", pg_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0009").down_revision)
    engine = db.make_engine(pg_url)
    with db.connect(engine) as conn:
        assert not partitions.is_partitioned(conn)
    _append(engine, _events("market", datetime(2025, 12, 30, tzinfo=UTC), 50, timedelta(hours=6)))
    before = table_checksum(engine, "events", ignore={"batch_id", "ingested_at"})
    command.upgrade(cfg, "head")
    with db.connect(engine) as conn:
        assert partitions.is_partitioned(conn)
        leaves = [p["partition"] for p in partitions.partitions(conn)]
    assert leaves == ["events_market_202512", "events_market_202601"]
    assert table_checksum(engine, "events", ignore={"batch_id", "ingested_at"}) == before
    # New events still get new seq numbers after the copied ones.
    _append(engine, _events("market", datetime(2026, 2, 1, tzinfo=UTC), 3, timedelta(hours=1), offset=100))
    with db.connect(engine) as conn:
        assert conn.execute(sa.text("SELECT MIN(seq) FROM events WHERE block_number >= 100")).scalar() > 50
    engine.dispose()
