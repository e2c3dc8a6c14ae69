"""The event store on both engines: idempotent appends, atomic batches, nothing lost."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from etl.events import Event, QuarantinedRow
from warehouse import db
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
