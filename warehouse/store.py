"""The append-only event store.

`append_batch` writes one ingest batch in a single transaction: new events (an event already stored
is a no-op), quarantined rows with their reasons, the checkpoint of the stream, and the batch's row
in `ingest_batches`. A crash anywhere before commit leaves nothing behind, so re-running the same
range resumes without duplicates or gaps.

Bulk rows go through each engine's native path: DuckDB scans an Arrow table in place, PostgreSQL
receives them by COPY into a temporary table. Both then insert only the rows whose key is new.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from etl.events import EVENT_COLUMNS, BlockRef, DQRecord, Event, QuarantinedRow
from warehouse import db, partitions

QUARANTINE_COLUMNS = (
    "quarantine_id",
    "batch_id",
    "source",
    "chain",
    "position",
    "block_number",
    "rule",
    "reason",
    "raw",
    "quarantined_at",
)

BLOCK_COLUMNS = (
    "source",
    "stream",
    "block_number",
    "block_hash",
    "parent_hash",
    "block_time",
    "spec_version",
    "event_count",
    "batch_id",
)
BLOCK_KEY = ("source", "stream", "block_number")

# Column types for the temporary staging tables that PostgreSQL COPYs into.
_PG_TYPES = {
    "block_number": "BIGINT",
    "spec_version": "INTEGER",
    "block_time": "TIMESTAMP",
    "ingested_at": "TIMESTAMP",
    "quarantined_at": "TIMESTAMP",
    "payload": "JSONB",
    "parent_hash": "TEXT",
    "event_count": "INTEGER",
}


@dataclass
class BatchResult:
    batch_id: str
    source: str
    stream: str
    range_unit: str
    range_start: int
    range_end: int
    rows_in: int
    rows_new: int = 0
    rows_already_stored: int = 0
    rows_quarantined: int = 0
    duration_s: float = 0.0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows_loaded(self) -> int:
        return self.rows_new + self.rows_already_stored

    def as_dict(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "stream": self.stream,
            "range_unit": self.range_unit,
            "range_start": self.range_start,
            "range_end": self.range_end,
            "rows_in": self.rows_in,
            "rows_loaded": self.rows_loaded,
            "rows_new": self.rows_new,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": self.quarantine_reasons,
            "duration_s": round(self.duration_s, 3),
        }


def new_batch_id() -> str:
    return str(uuid.uuid4())


def _arrow_table(rows: Sequence[dict], columns: Sequence[str]):
    import pyarrow as pa

    return pa.table({col: [row[col] for row in rows] for col in columns})


def insert_new_rows(
    conn: Connection, table: str, key: str | tuple[str, ...], columns: Sequence[str], rows: Sequence[dict]
) -> int:
    """Insert the rows whose `key` is not in `table` yet, by the engine's bulk path; returns how many."""
    if not rows:
        return 0
    keys = (key,) if isinstance(key, str) else tuple(key)
    # The same key twice in one batch: the first occurrence wins, as it would across batches.
    seen: set = set()
    unique_rows = []
    for row in rows:
        marker = tuple(row[k] for k in keys)
        if marker not in seen:
            seen.add(marker)
            unique_rows.append(row)
    col_list = ", ".join(columns)
    key_list = ", ".join(keys)
    if conn.dialect.name == "duckdb":
        raw = conn.connection.driver_connection
        staged = f"_staged_{table}"
        raw.register(staged, _arrow_table(unique_rows, columns))
        try:
            if table == "events":
                sql, params = _duckdb_new_events_sql(col_list, staged, unique_rows)
            else:
                # ON CONFLICT probes the primary-key index, so the cost follows the batch, not the table.
                sql, params = (
                    (
                        f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM {staged} ORDER BY {key_list} "
                        f"ON CONFLICT ({key_list}) DO NOTHING"
                    ),
                    [],
                )
            result = raw.execute(sql, params).fetchall()
        finally:
            raw.unregister(staged)
        return int(result[0][0]) if result else 0
    if conn.dialect.name == "postgresql":
        staged = f"_staged_{table}"
        defs = ", ".join(f"{c} {_PG_TYPES.get(c, 'TEXT')}" for c in columns)
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {staged} ({defs}) ON COMMIT DROP")
        conn.exec_driver_sql(f"TRUNCATE {staged}")
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {staged} ({col_list}) FROM STDIN") as copy:
            for row in unique_rows:
                copy.write_row([row[c] for c in columns])
        if table == "events":
            # The key is (chain, block_time, event_id) when events is partitioned: an id must still be
            # new for its chain, which the append lock makes race-free and the index answers per chain.
            sql = (
                f"INSERT INTO events ({col_list}) SELECT {col_list} FROM {staged} s "
                "WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.chain = s.chain AND e.event_id = s.event_id) "
                f"ORDER BY {key_list} ON CONFLICT DO NOTHING"
            )
        else:
            sql = (
                f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM {staged} ORDER BY {key_list} "
                f"ON CONFLICT ({key_list}) DO NOTHING"
            )
        return conn.exec_driver_sql(sql).rowcount
    raise ValueError(f"unsupported warehouse engine {conn.dialect.name!r}")


def _duckdb_new_events_sql(col_list: str, staged: str, rows: Sequence[dict]) -> tuple[str, list]:
    """DuckDB: the statement (and its parameters) inserting the staged events whose id is not stored
    yet, reading only the stored rows of the batch's chains and time span.

    DuckDB's `events` has no index (migration 0010): an ART index lives in memory whole, and the
    event-id key alone took about 1 GB at 10M events, so memory grew with history. An event id is a
    hash of (chain, block number, position, type), and a block's time is fixed once it is final, so
    a stored event with the same id has the same chain and block time: the anti-join reads only the
    row groups whose min/max of `block_time` overlap the batch's span, and its cost and memory follow
    the batch. One writer at a time (`_append_transaction`) makes the check and the insert atomic.
    """
    spans: dict[str, list[datetime]] = {}
    for row in rows:
        span = spans.setdefault(row["chain"], [row["block_time"], row["block_time"]])
        span[0] = min(span[0], row["block_time"])
        span[1] = max(span[1], row["block_time"])
    ordered = sorted(spans.items())
    stored = " OR ".join("(e.chain = ? AND e.block_time BETWEEN ? AND ?)" for _ in ordered)
    params = [value for chain, (lo, hi) in ordered for value in (chain, lo, hi)]
    sql = (
        f"INSERT INTO events ({col_list}) SELECT {col_list} FROM {staged} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM events e WHERE ({stored}) "
        "AND e.chain = s.chain AND e.event_id = s.event_id) ORDER BY s.event_id"
    )
    return sql, params


_DUCKDB_APPENDS: dict[str, threading.Lock] = {}
_DUCKDB_APPENDS_GUARD = threading.Lock()


@contextlib.contextmanager
def _append_transaction(engine: Engine) -> Iterator[Connection]:
    """The transaction of one append, with every other append kept out until it commits.

    PostgreSQL: an advisory lock taken in the transaction, so `seq` commits in order (projections
    rely on it) and an id is checked and inserted by one writer at a time. DuckDB: its file lock keeps
    other processes out; within this process a lock per file, held across the transaction, since
    without a unique index two concurrent appends of the same events would both find them new.
    """
    if engine.dialect.name == "duckdb":
        with _DUCKDB_APPENDS_GUARD:
            lock = _DUCKDB_APPENDS.setdefault(str(engine.url), threading.Lock())
    else:
        lock = contextlib.nullcontext()
    with lock, db.begin(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7317101)")
        yield conn


def append_batch(
    engine: Engine,
    *,
    source: str,
    stream: str,
    range_unit: str,
    range_start: int,
    range_end: int,
    events: Iterable[Event],
    quarantined: Iterable[QuarantinedRow] = (),
    checkpoint: int | None = None,
    run_id: str | None = None,
    rows_in: int | None = None,
    blocks: Iterable[BlockRef] = (),
    dq: Iterable[DQRecord] = (),
    boundary_times: tuple[datetime | None, datetime | None] = (None, None),
) -> BatchResult:
    """Write one batch atomically: events, quarantine, blocks, DQ results, checkpoint, batch record.

    `boundary_times`: the times of block `range_start - 1` and of block `range_end` (the first block
    after the range), when the caller read them; the completeness projection needs them.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    batch_id = new_batch_id()
    now = datetime.now(UTC)
    event_rows = [e.as_row(batch_id, now) for e in events]
    q_rows = [
        {
            "quarantine_id": q.quarantine_id,
            "batch_id": batch_id,
            "source": q.source,
            "chain": q.chain,
            "position": q.position,
            "block_number": q.block_number,
            "rule": q.rule,
            "reason": q.reason,
            "raw": q.raw,
            "quarantined_at": now.replace(tzinfo=None),
        }
        for q in quarantined
    ]
    counted_in = len(event_rows) + len(q_rows)
    if rows_in is not None and rows_in != counted_in:
        raise ValueError(
            f"batch {source}/{stream} [{range_start}, {range_end}): {rows_in} rows came in but "
            f"{len(event_rows)} events + {len(q_rows)} quarantined = {counted_in}; rows would be lost"
        )
    result = BatchResult(batch_id, source, stream, range_unit, range_start, range_end, rows_in=counted_in)
    for row in q_rows:
        result.quarantine_reasons[row["rule"]] = result.quarantine_reasons.get(row["rule"], 0) + 1
    with _append_transaction(engine) as conn:
        if event_rows and partitions.is_partitioned(conn):
            partitions.ensure_partitions(conn, {(r["chain"], r["block_time"]) for r in event_rows})
        result.rows_new = insert_new_rows(conn, "events", "event_id", EVENT_COLUMNS, event_rows)
        result.rows_already_stored = len(event_rows) - result.rows_new
        insert_new_rows(conn, "quarantine", "quarantine_id", QUARANTINE_COLUMNS, q_rows)
        result.rows_quarantined = len(q_rows)
        block_rows = [
            {
                "source": source,
                "stream": stream,
                "block_number": b.number,
                "block_hash": b.hash,
                "parent_hash": b.parent_hash,
                "block_time": b.time.astimezone(UTC).replace(tzinfo=None),
                "spec_version": b.spec_version,
                "event_count": b.event_count,
                "batch_id": batch_id,
            }
            for b in blocks
        ]
        insert_new_rows(conn, "chain_blocks", BLOCK_KEY, BLOCK_COLUMNS, block_rows)
        for record in dq:
            write_dq_result(conn, record, source, stream, range_start, range_end, batch_id)
        if checkpoint is not None:
            conn.execute(
                sa.text(
                    "INSERT INTO ingest_checkpoints (source, stream, position, batch_id, updated_at) "
                    "VALUES (:source, :stream, :position, :batch_id, :now) "
                    "ON CONFLICT (source, stream) DO UPDATE SET "
                    "position = excluded.position, "
                    "batch_id = excluded.batch_id, updated_at = excluded.updated_at "
                    "WHERE excluded.position > ingest_checkpoints.position"
                ),
                {
                    "source": source,
                    "stream": stream,
                    "position": checkpoint,
                    "batch_id": batch_id,
                    "now": now.replace(tzinfo=None),
                },
            )
        result.duration_s = time.perf_counter() - started
        # The block-boundary columns (migration 0012) are written only when the batch knows them, so
        # a store still on an older schema (an upgrade test, a rolling deploy) keeps taking batches.
        boundaries = {
            name: value
            for name, value in zip(("before_block_time", "after_block_time"), boundary_times, strict=True)
            if value is not None
        }
        columns = (
            "batch_id, source, stream, range_unit, range_start, range_end, rows_in, rows_loaded, "
            "rows_new, rows_quarantined, started_at, duration_s, run_id"
        ).split(", ") + list(boundaries)
        conn.execute(
            sa.text(
                f"INSERT INTO ingest_batches ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            {**result.as_dict(), "started_at": started_at, "run_id": run_id, **boundaries},
        )
    return result


def write_dq_result(
    conn: Connection,
    record: DQRecord,
    source: str,
    stream: str,
    range_start: int,
    range_end: int,
    batch_id: str | None,
) -> None:
    import json

    conn.execute(
        sa.text(
            "INSERT INTO dq_results (result_id, suite, source, stream, batch_id, range_start, range_end, "
            "rows_validated, rows_quarantined, expectations_evaluated, expectations_failed, success, outcome, "
            "details, run_seconds, validated_at) VALUES (:result_id, :suite, :source, :stream, :batch_id, "
            ":range_start, :range_end, :rows_validated, :rows_quarantined, :expectations_evaluated, "
            ":expectations_failed, :success, :outcome, :details, :run_seconds, :validated_at)"
        ),
        {
            "result_id": str(uuid.uuid4()),
            "suite": record.suite,
            "source": source,
            "stream": stream,
            "batch_id": batch_id,
            "range_start": range_start,
            "range_end": range_end,
            "rows_validated": record.rows_validated,
            "rows_quarantined": record.rows_quarantined,
            "expectations_evaluated": record.expectations_evaluated,
            "expectations_failed": record.expectations_failed,
            "success": record.success,
            "outcome": record.outcome,
            "details": json.dumps(record.details, default=str),
            "run_seconds": round(record.run_seconds, 4),
            "validated_at": datetime.now(UTC).replace(tzinfo=None),
        },
    )


def record_failed_batch(
    engine: Engine, record: DQRecord, *, source: str, stream: str, range_start: int, range_end: int
) -> None:
    """A batch that failed validation writes nothing to the store, but its DQ result is kept."""
    record.failed_batch = True
    with db.begin(engine) as conn:
        write_dq_result(conn, record, source, stream, range_start, range_end, None)


def get_checkpoint(engine: Engine, source: str, stream: str) -> int | None:
    with db.connect(engine) as conn:
        return conn.execute(
            sa.text("SELECT position FROM ingest_checkpoints WHERE source = :s AND stream = :t"),
            {"s": source, "t": stream},
        ).scalar()
