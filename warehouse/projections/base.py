"""The projection runner.

A projection folds the events with `seq` in (last_seq, head] into its tables with set-based SQL that
the database runs, then records `head` as its new position in the same transaction. A crash before
commit leaves both unchanged, so a re-run can never double count. Its cost grows with the events it
has not seen yet, not with history: it recomputes only the keys (a coin's hour, a subnet's epoch)
that the new events touch. `rebuild` empties the tables and replays from position 0; both paths run
the same SQL, so incremental and rebuilt tables are identical.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Projection:
    name: str
    #: Tables this projection owns (emptied by a rebuild).
    tables: tuple[str, ...]
    #: Statements run in order with :lo and :hi bound to the seq window (lo exclusive, hi inclusive).
    statements: tuple[str, ...]
    doc: str = ""
    #: Run order: 0 staging and market tables, 1 marts, 2 comparison marts that read other projections.
    stage: int = 1


PROJECTIONS: dict[str, Projection] = {}


def register(projection: Projection) -> Projection:
    PROJECTIONS[projection.name] = projection
    return projection


def _lock(conn: Connection, name: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": "projection:" + name})


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
        conn.execute(sa.text(statement), {"lo": lo, "hi": hi})


def run_projection(engine: Engine, projection: Projection, *, full: bool = False) -> dict:
    """Fold new events into one projection (or all events, with `full`); returns what it did."""
    started = time.perf_counter()
    with db.begin(engine) as conn:
        _lock(conn, projection.name)
        head = int(conn.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM events")).scalar())
        lo = 0 if full else _position(conn, projection.name)
        if full:
            for table in projection.tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))
        if head > lo:
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


def _selected(names: list[str] | None) -> list[Projection]:
    import warehouse.projections.bittensor  # noqa: F401 - registers
    import warehouse.projections.ecosystem  # noqa: F401 - registers
    import warehouse.projections.market_caps  # noqa: F401 - registers
    import warehouse.projections.sahara  # noqa: F401 - registers

    if not names:
        return sorted(PROJECTIONS.values(), key=lambda p: p.stage)
    unknown = set(names) - set(PROJECTIONS)
    if unknown:
        raise ValueError(f"unknown projection(s) {sorted(unknown)}; known: {sorted(PROJECTIONS)}")
    return sorted((PROJECTIONS[n] for n in names), key=lambda p: p.stage)


def run_all(engine: Engine, names: list[str] | None = None) -> list[dict]:
    return [run_projection(engine, p) for p in _selected(names)]


def rebuild(engine: Engine, names: list[str] | None = None) -> list[dict]:
    return [run_projection(engine, p, full=True) for p in _selected(names)]
