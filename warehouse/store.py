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
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from etl.events import EVENT_COLUMNS, BlockRef, DQRecord, Event, QuarantinedRow
from warehouse import db, partitions
from warehouse.engines import adapter_for

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


def insert_new_rows(
    conn: Connection, table: str, key: str | tuple[str, ...], columns: Sequence[str], rows: Sequence[dict]
) -> int:
    """Insert the rows whose `key` is not in `table` yet, by the engine's bulk path; returns how many."""
    keys = (key,) if isinstance(key, str) else tuple(key)
    return adapter_for(conn).insert_new_rows(conn, table, keys, columns, rows)


@contextlib.contextmanager
def _append_transaction(engine: Engine) -> Iterator[Connection]:
    """The transaction of one append, with every other append kept out until it commits (the
    engine's append lock: see `warehouse.engines`)."""
    engine_adapter = adapter_for(engine)
    with engine_adapter.append_lock(engine), db.begin(engine) as conn:
        engine_adapter.lock_append(conn)
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
