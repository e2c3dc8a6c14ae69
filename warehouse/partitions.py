"""PostgreSQL: the event store partitioned by chain, then by month of `block_time`.

Layout (declarative partitioning, created by migration 0009):

    events                      PARTITION BY LIST (chain)
      events_bittensor          PARTITION BY RANGE (block_time)
        events_bittensor_202601 FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')
        ...
      events_sahara ...
      events_market ...

There is no DEFAULT partition on purpose: a row for a month without its partition would land there
and then block creating that month's partition. Instead `ensure_partitions` creates the chain and
month partitions a batch needs, inside the batch's own transaction and under the event store's
append lock, so concurrent writers never race to create the same one. A write that bypasses the
store into a missing month fails loudly ("no partition of relation events found for row").

Indexes defined on `events` cascade to every partition, present and future. The primary key is
(chain, block_time, event_id) because PostgreSQL requires the partition keys in it; event ids stay
unique per chain because the store only inserts ids not yet stored for that chain (see
`warehouse.store.insert_new_rows`), probing `ix_events_event_id` in that chain's partitions only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.engines import adapter_for

_SAFE = re.compile(r"[^a-z0-9_]")


def chain_table(chain: str) -> str:
    return "events_" + _SAFE.sub("_", chain.lower())


def month_table(chain: str, month: date) -> str:
    return f"{chain_table(chain)}_{month:%Y%m}"


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_of(value: datetime | date) -> date:
    return date(value.year, value.month, 1)


def is_partitioned(conn: Connection) -> bool:
    """Whether `events` in the connection's schema is a partitioned table (PostgreSQL only)."""
    return adapter_for(conn).is_partitioned(conn)


def _existing(conn: Connection, names: list[str]) -> set[str]:
    rows = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname IN :names"
        ).bindparams(sa.bindparam("names", expanding=True)),
        {"names": names},
    )
    return {r[0] for r in rows}


def ensure_partitions(conn: Connection, keys: Iterable[tuple[str, date]]) -> list[str]:
    """Create the chain and month partitions for these (chain, first day of month) keys; returns the
    ones it created. Call it in the writing transaction, after taking the append lock."""
    keys = sorted({(chain, month_of(month)) for chain, month in keys})
    if not keys:
        return []
    wanted = sorted({chain_table(c) for c, _ in keys} | {month_table(c, m) for c, m in keys})
    have = _existing(conn, wanted)
    created = []
    for chain in sorted({c for c, _ in keys}):
        name = chain_table(chain)
        if name not in have:
            literal = "'" + chain.replace("'", "''") + "'"  # DDL takes no bound parameters
            conn.exec_driver_sql(
                f"CREATE TABLE {name} PARTITION OF events FOR VALUES IN ({literal}) "
                "PARTITION BY RANGE (block_time)"
            )
            have.add(name)
            created.append(name)
    for chain, month in keys:
        name = month_table(chain, month)
        if name not in have:
            conn.exec_driver_sql(
                f"CREATE TABLE {name} PARTITION OF {chain_table(chain)} "
                f"FOR VALUES FROM ('{month:%Y-%m-%d}') TO ('{_next_month(month):%Y-%m-%d}')"
            )
            have.add(name)
            created.append(name)
    if created:
        from warehouse.dictionary import apply_comments

        apply_comments(conn, created)  # a partition shows its parent's comments (PostgreSQL copies none)
    return created


def partitions(conn: Connection) -> list[dict]:
    """Every leaf partition of `events` with its bounds and row estimate, for people and tests."""
    rows = conn.exec_driver_sql(
        """
        WITH RECURSIVE tree AS (
            SELECT c.oid, c.relname, 0 AS depth FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = 'events' AND n.nspname = current_schema()
            UNION ALL
            SELECT i.inhrelid, k.relname, t.depth + 1 FROM pg_inherits i
            JOIN tree t ON i.inhparent = t.oid JOIN pg_class k ON k.oid = i.inhrelid
        )
        SELECT t.relname AS partition, pg_get_expr(c.relpartbound, c.oid) AS bounds,
               c.reltuples::bigint AS estimated_rows
        FROM tree t JOIN pg_class c ON c.oid = t.oid
        WHERE t.depth = 2 ORDER BY t.relname
        """
    ).mappings()
    return [dict(r) for r in rows]
