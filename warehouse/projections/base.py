"""The projection runner.

A projection folds the events with `seq` in (last_seq, head] into its tables with set-based SQL that
the database runs, then records `head` as its new position in the same transaction. A crash before
commit leaves both unchanged, so a re-run can never double count.

Its cost grows with the events it has not seen yet, not with history. Staging tables append the new
events' rows (each carries its `seq`, so later statements read exactly the window); running state
(counters, sums, the latest observation of a key) lives in small state tables or in the mart row
itself and is updated from the window's rows only; a key whose value cannot be folded is recomputed
from its own bounded rows (one annotation's three events, one day's members). Statements may stage
their window in temporary tables (`w_*`), dropped before the transaction commits.

`rebuild` empties the tables and replays from position 0, and so does the first run of a projection
(position 0): both paths run the same SQL, so incremental and rebuilt tables are identical.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse import db
from warehouse.engines import ADAPTERS, adapter_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnlyOn:
    """A statement for one engine (`postgresql` or `duckdb`), e.g. ANALYZE of a temporary table."""

    dialect: str
    sql: str


@dataclass(frozen=True)
class Projection:
    name: str
    #: Tables this projection owns (emptied by a rebuild).
    tables: tuple[str, ...]
    #: Statements run in order with :lo and :hi bound to the seq window (lo exclusive, hi inclusive);
    #: an `OnlyOn` statement runs on one engine only.
    statements: tuple[str | OnlyOn, ...]
    doc: str = ""
    #: The tables of other projections its statements read. The run order comes from these (a
    #: projection runs after the ones that own its upstream tables); a test checks them against the SQL.
    upstream: tuple[str, ...] = ()
    #: Runs even when no new event arrived: it folds committed ingest batches, not events (a batch of
    #: blocks without events still stores blocks).
    reads_batches: bool = False


def parse_payload_once(sql: str) -> tuple[OnlyOn, OnlyOn]:
    """`sql` (a statement reading `FROM events` and its payload fields as `payload->>'field'`) as it
    runs on each engine: as written on PostgreSQL, whose JSONB is parsed already; on DuckDB with the
    payload parsed once per row (`warehouse.engines.DuckDBAdapter.read_payload_once`)."""
    return tuple(OnlyOn(name, ADAPTERS[name].read_payload_once(sql)) for name in ("postgresql", "duckdb"))


def replace_rows(table: str, keys: tuple[str, ...], columns: str, select: str) -> tuple[str | OnlyOn, ...]:
    """Statements that upsert the rows of `select` (in `columns` order) into `table` by `keys`.

    The rows are staged in a temporary table; the staged rows equal to their stored row are dropped
    (a fold recomputes every row of a touched key, most of which did not change), the stored rows
    with the keys left deleted, the rest inserted. This is what `INSERT ... ON CONFLICT DO UPDATE`
    means when every column is replaced, but DuckDB runs that form row by row through its index
    (measured: 30 s for 64k holders on a 10M-event warehouse) and this one as set operations, and
    it writes only the rows that changed. `select` may read `table`: it is materialised first.
    """
    staged = f"w_replace_{table}"
    names = [c.strip() for c in columns.strip()[1:-1].split(",")]
    matched = " AND ".join(f"{staged}.{k} = {table}.{k}" for k in keys)
    unchanged = " AND ".join(
        [matched] + [f"{staged}.{c} IS NOT DISTINCT FROM {table}.{c}" for c in names if c not in keys]
    )
    return (
        f"CREATE TEMPORARY TABLE {staged} AS SELECT {', '.join(names)} FROM {table} WHERE 1 = 0",
        f"INSERT INTO {staged} {columns} {select}",
        OnlyOn("postgresql", f"ANALYZE {staged}"),
        f"DELETE FROM {staged} WHERE EXISTS (SELECT 1 FROM {table} WHERE {unchanged})",
        f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {staged} WHERE {matched})",
        f"INSERT INTO {table} {columns} SELECT {', '.join(names)} FROM {staged}",
        f"DROP TABLE {staged}",
    )


#: Every projection by name. The concrete projections register themselves when imported, and the
#: package (`warehouse.projections`) imports them all, so the registry is full once this module is.
PROJECTIONS: dict[str, Projection] = {}


def register(projection: Projection) -> Projection:
    PROJECTIONS[projection.name] = projection
    return projection


def _lock(conn: Connection, name: str) -> None:
    adapter_for(conn).xact_lock(conn, "projection:" + name)


def _position(conn: Connection, name: str) -> int:
    value = conn.execute(
        sa.text("SELECT last_seq FROM projection_state WHERE projection = :n"), {"n": name}
    ).scalar()
    return int(value or 0)


def _set_position(conn: Connection, name: str, seq: int) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO projection_state (projection, last_seq, updated_at) VALUES (:n, :s, :t) "
            "ON CONFLICT (projection) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at"
        ),
        {"n": name, "s": seq, "t": datetime.now(UTC).replace(tzinfo=None)},
    )


def _apply(conn: Connection, projection: Projection, lo: int, hi: int) -> None:
    for statement in projection.statements:
        if isinstance(statement, OnlyOn):
            if statement.dialect != conn.dialect.name:
                continue
            statement = statement.sql
        conn.execute(sa.text(statement), {"lo": lo, "hi": hi})


def run_projection(
    engine: Engine, projection: Projection, *, full: bool = False, until: int | None = None
) -> dict:
    """Fold new events into one projection (or all events, with `full`), up to the store's head or
    `until` if that is lower; returns what it did."""
    started = time.perf_counter()
    with db.begin(engine) as conn:
        _lock(conn, projection.name)
        head = int(conn.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM events")).scalar())
        if until is not None:
            head = min(head, until)
        lo = 0 if full else _position(conn, projection.name)
        # A projection that never ran (or was reset by a migration) starts from empty tables.
        full = full or lo == 0
        if full:
            for table in projection.tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))
        if head > lo or projection.reads_batches:
            _apply(conn, projection, lo, head)
        if head != lo or full:
            _set_position(conn, projection.name, head)
    summary = {
        "projection": projection.name,
        "from_seq": lo,
        "to_seq": head,
        "events": head - lo,
        "full": full,
        "seconds": round(time.perf_counter() - started, 3),
    }
    log.info("projection %(projection)s: seq (%(from_seq)d, %(to_seq)d] in %(seconds).3fs", summary)
    return summary


def run_order(projections: dict[str, Projection] | None = None) -> list[Projection]:
    """Every projection after the ones owning the tables it reads (`upstream`), ties by name.
    An upstream table that no projection owns, or a cycle, is an error naming it."""
    projections = PROJECTIONS if projections is None else projections
    owner = {table: p.name for p in projections.values() for table in p.tables}
    needs: dict[str, set[str]] = {}
    for p in projections.values():
        unknown = [t for t in p.upstream if t not in owner]
        if unknown:
            raise ValueError(f"projection {p.name}: no projection owns its upstream table(s) {unknown}")
        needs[p.name] = {owner[t] for t in p.upstream} - {p.name}
    order: list[Projection] = []
    done: set[str] = set()
    while len(order) < len(projections):
        ready = sorted(n for n, deps in needs.items() if n not in done and deps <= done)
        if not ready:
            raise ValueError(f"projections read each other in a cycle: {sorted(set(needs) - done)}")
        for name in ready:
            order.append(projections[name])
            done.add(name)
    return order


def _selected(names: list[str] | None) -> list[Projection]:
    order = run_order()
    if not names:
        return order
    unknown = set(names) - set(PROJECTIONS)
    if unknown:
        raise ValueError(f"unknown projection(s) {sorted(unknown)}; known: {sorted(PROJECTIONS)}")
    return [p for p in order if p.name in names]


@contextlib.contextmanager
def _held_open(engine: Engine) -> Iterator[None]:
    """Keep a DuckDB file open across the projections of one call.

    DuckDB checkpoints a database and drops its caches when the last connection to it closes; the
    engine opens one connection per transaction, so without this every projection would reopen the
    file and checkpoint it again (measured: most of an incremental run's time). Each projection still
    commits on its own; the file is checkpointed once, when this connection closes.
    """
    if not adapter_for(engine).keeps_file_open:
        yield
        return
    with db.connect(engine):
        yield


def _head(engine: Engine) -> int:
    with db.begin(engine) as conn:
        return int(conn.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM events")).scalar())


# The head is read once per call: events an ingest commits while the call runs wait for the next
# one, so a projection never folds events whose rows the projections before it (its upstream) have
# not staged yet.
def run_all(engine: Engine, names: list[str] | None = None) -> list[dict]:
    with _held_open(engine):
        until = _head(engine)
        return [run_projection(engine, p, until=until) for p in _selected(names)]


def rebuild(engine: Engine, names: list[str] | None = None) -> list[dict]:
    with _held_open(engine):
        until = _head(engine)
        return [run_projection(engine, p, full=True, until=until) for p in _selected(names)]
