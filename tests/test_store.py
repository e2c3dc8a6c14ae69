"""The event store on both engines: idempotent appends, atomic batches, nothing lost."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.events import Event, QuarantinedRow
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.store import append_batch, get_checkpoint


def _quotes(n: int, price: str = "1.5") -> list[Event]:
    return [
        Event(
            "market",
            "coingecko",
            1_700_000_000 + 3600 * i,
            "bittensor",
            "market.Quote",
            datetime.fromtimestamp(1_700_000_000 + 3600 * i, UTC),
            {"coin_id": "bittensor", "price_usd": price},
        )
        for i in range(n)
    ]


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_append_twice_is_a_no_op_and_counts_are_reported(warehouse_url):
    engine = db.make_engine(warehouse_url)
    bad = QuarantinedRow("coingecko", "market", "bittensor@1", "[1, -2]", "price must be > 0", "price")
    args = dict(source="coingecko", stream="bittensor", range_unit="unix_s", range_start=0, range_end=99)
    first = append_batch(engine, events=_quotes(10), quarantined=[bad], checkpoint=99, rows_in=11, **args)
    second = append_batch(engine, events=_quotes(10), quarantined=[bad], checkpoint=99, rows_in=11, **args)
    assert (first.rows_new, first.rows_quarantined) == (10, 1)
    assert (second.rows_new, second.rows_already_stored) == (0, 10)
    assert _count(engine, "events") == 10
    assert _count(engine, "quarantine") == 1
    assert _count(engine, "ingest_batches") == 2  # the run log keeps both runs
    assert get_checkpoint(engine, "coingecko", "bittensor") == 99
    with engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(sa.text("SELECT seq FROM events ORDER BY seq"))]
    assert seqs == list(range(seqs[0], seqs[0] + 10))
    engine.dispose()


def test_a_batch_that_would_lose_rows_is_refused(warehouse_url):
    engine = db.make_engine(warehouse_url)
    with pytest.raises(ValueError, match="rows would be lost"):
        append_batch(
            engine,
            source="coingecko",
            stream="bittensor",
            range_unit="unix_s",
            range_start=0,
            range_end=9,
            events=_quotes(3),
            rows_in=4,
        )
    assert _count(engine, "events") == 0
    engine.dispose()


def test_a_crash_mid_batch_leaves_nothing_behind(warehouse_url, monkeypatch):
    """Events, quarantine and checkpoint commit together or not at all."""
    import warehouse.store as store

    engine = db.make_engine(warehouse_url)
    real = store.insert_new_rows

    def crash_on_quarantine(conn, table, *a, **k):
        if table == "quarantine":
            raise RuntimeError("simulated crash after the events were inserted")
        return real(conn, table, *a, **k)

    monkeypatch.setattr(store, "insert_new_rows", crash_on_quarantine)
    bad = QuarantinedRow("coingecko", "market", "bittensor@1", "{}", "missing", "price")
    with pytest.raises(RuntimeError, match="simulated crash"):
        append_batch(
            engine,
            source="coingecko",
            stream="bittensor",
            range_unit="unix_s",
            range_start=0,
            range_end=9,
            events=_quotes(5),
            quarantined=[bad],
            checkpoint=9,
        )
    assert _count(engine, "events") == 0
    assert get_checkpoint(engine, "coingecko", "bittensor") is None
    monkeypatch.setattr(store, "insert_new_rows", real)
    result = append_batch(
        engine,
        source="coingecko",
        stream="bittensor",
        range_unit="unix_s",
        range_start=0,
        range_end=9,
        events=_quotes(5),
        quarantined=[bad],
        checkpoint=9,
    )
    assert result.rows_new == 5 and _count(engine, "events") == 5
    engine.dispose()


def test_checkpoint_never_moves_backwards(warehouse_url):
    engine = db.make_engine(warehouse_url)
    for end in (200, 100):
        append_batch(
            engine,
            source="coingecko",
            stream="sahara-ai",
            range_unit="unix_s",
            range_start=end - 100,
            range_end=end,
            events=[],
            checkpoint=end,
        )
    assert get_checkpoint(engine, "coingecko", "sahara-ai") == 200
    engine.dispose()


def test_read_only_engine_refuses_writes(warehouse_url):
    engine = db.make_engine(warehouse_url, read_only=True)
    with pytest.raises(Exception, match="(?i)read.only|read-only"):
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM events"))
    engine.dispose()


def test_read_only_duckdb_cannot_reach_files(duckdb_url, tmp_path):
    """Even a statement that slipped past the guard cannot write a file or attach another database."""
    engine = db.make_engine(duckdb_url, read_only=True)
    for statement in (
        f"COPY (SELECT 1 AS x) TO '{tmp_path / 'leak.csv'}'",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "SET enable_external_access = true",
    ):
        with engine.connect() as conn:
            with pytest.raises(Exception, match="(?i)disabled|read.only|cannot|lock|not allowed|permission"):
                conn.exec_driver_sql(statement)
    assert not (tmp_path / "leak.csv").exists()
    engine.dispose()


def test_overlapping_batches_store_each_event_once(warehouse_url):
    """Batches that overlap in part (a re-run over a wider range) add only the events not stored yet,
    however the spans fall: the same answer on DuckDB (no index, checked by time span) and PostgreSQL."""
    engine = db.make_engine(warehouse_url)
    quotes = _quotes(30)
    args = dict(source="coingecko", stream="bittensor", range_unit="unix_s", range_start=0, range_end=99)
    assert append_batch(engine, events=quotes[:10], **args).rows_new == 10
    assert append_batch(engine, events=quotes[5:20], **args).rows_new == 10
    # The last stored event alone, then every event: only the 10 never seen are new.
    assert append_batch(engine, events=quotes[19:20], **args).rows_new == 0
    assert append_batch(engine, events=quotes[::-1], **args).rows_new == 10
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events")).one()
    assert tuple(ids) == (30, 30)
    engine.dispose()


def test_concurrent_appends_of_the_same_events_store_them_once(duckdb_url):
    """Threads of one process appending the same events (two task runs of one worker): no duplicate,
    although DuckDB's `events` has no unique index."""
    from concurrent.futures import ThreadPoolExecutor

    engine = db.make_engine(duckdb_url)
    args = dict(source="coingecko", stream="bittensor", range_unit="unix_s", range_start=0, range_end=99)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: append_batch(engine, events=_quotes(50), **args), range(8)))
    assert sorted(r.rows_new for r in results) == [0] * 7 + [50]
    assert _count(engine, "events") == 50
    engine.dispose()


def test_duckdb_event_tables_hold_no_index_in_memory(duckdb_url):
    """Migration 0010: nothing that grows with events or is rewritten by each projection run carries
    an ART index (kept whole in memory, written again at each checkpoint)."""
    engine = db.make_engine(duckdb_url)
    with engine.connect() as conn:
        indexed = {
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT table_name FROM duckdb_indexes() UNION "
                "SELECT table_name FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
            )
        }
    assert not indexed & {"events", "stg_bittensor_neurons", "stg_sahara_annotation_events", "miners"}
    assert not indexed & {"bittensor_holders"}  # rewritten whole by each run
    assert {
        "contributors",
        "ecosystem_day_members",
        "chain_blocks",
    } <= indexed  # upserted state keeps its keys
    engine.dispose()


def test_upgrading_a_filled_duckdb_store_keeps_every_row_and_its_order(tmp_path):
    """Migration 0010 on a DuckDB warehouse that holds events: same rows and seq, appends go on."""
    from alembic import command
    from alembic.config import Config

    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "0009")
    engine = db.make_engine(url)
    args = dict(source="coingecko", stream="bittensor", range_unit="unix_s", range_start=0, range_end=99)
    append_batch(engine, events=_quotes(20), **args)
    before = table_checksum(engine, "events", ignore={"batch_id", "ingested_at"})
    command.upgrade(cfg, "head")
    assert table_checksum(engine, "events", ignore={"batch_id", "ingested_at"}) == before
    assert append_batch(engine, events=_quotes(25), **args).rows_new == 5
    with engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(sa.text("SELECT seq FROM events ORDER BY seq"))]
    assert seqs == list(range(seqs[0], seqs[0] + 25))
    command.downgrade(cfg, "0009")  # and back: the keys return
    with pytest.raises(sa.exc.IntegrityError):
        with db.begin(engine) as conn:
            conn.execute(sa.text("INSERT INTO events SELECT * FROM events LIMIT 1"))
    engine.dispose()
