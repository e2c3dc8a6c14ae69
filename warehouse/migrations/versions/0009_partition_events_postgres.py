"""PostgreSQL: partition the event store by chain, then by month (see `warehouse/partitions.py`).

The table is rebuilt as a partitioned table with the same columns and defaults, its rows copied
into the chain and month partitions they belong to, and every secondary index recreated on the
parent (so it cascades to each partition). DuckDB keeps its single table: it has no declarative
partitioning and its columnar scans do not need it at the embedded scale.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

import re

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Indexes the partitioned table gets whatever the old table had.
PARTITIONED_INDEXES = {
    "ix_events_event_id": "(event_id)",
    "ix_events_seq": "(seq)",
    "ix_events_chain_block": "(chain, source, block_number)",
    "ix_events_type_time": "(event_type, block_time)",
}


def _secondary_indexes(bind, table: str) -> dict[str, str]:
    """name -> column list of the non-unique indexes on `table`, so later revisions' indexes survive."""
    rows = bind.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
        (table,),
    ).all()
    out = {}
    for name, definition in rows:
        if " UNIQUE " in definition:
            continue
        match = re.search(r" USING \w+ (\(.*\))", definition)
        if match:
            out[name] = match.group(1)
    return out


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from warehouse.partitions import ensure_partitions

    indexes = _secondary_indexes(bind, "events") | PARTITIONED_INDEXES
    for name in _secondary_indexes(bind, "events"):
        op.execute(f"DROP INDEX {name}")
    op.execute("ALTER TABLE events DROP CONSTRAINT events_pkey")
    op.execute("DROP INDEX IF EXISTS ix_events_seq")
    op.execute("ALTER TABLE events RENAME TO events_unpartitioned")
    op.execute(
        "CREATE TABLE events (LIKE events_unpartitioned INCLUDING DEFAULTS INCLUDING COMMENTS) "
        "PARTITION BY LIST (chain)"
    )
    op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (chain, block_time, event_id)")
    for name, columns in sorted(indexes.items()):
        op.execute(f"CREATE INDEX {name} ON events {columns}")
    months = bind.exec_driver_sql(
        "SELECT DISTINCT chain, CAST(date_trunc('month', block_time) AS date) FROM events_unpartitioned"
    ).all()
    ensure_partitions(bind, [(chain, month) for chain, month in months])
    op.execute("INSERT INTO events SELECT * FROM events_unpartitioned")
    op.execute("DROP TABLE events_unpartitioned")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    indexes = {n: c for n, c in _secondary_indexes(bind, "events").items() if n != "ix_events_seq"}
    op.execute("ALTER TABLE events RENAME TO events_partitioned")
    op.execute("CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS INCLUDING COMMENTS)")
    op.execute("INSERT INTO events SELECT * FROM events_partitioned")
    op.execute("DROP TABLE events_partitioned CASCADE")
    op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (event_id)")
    op.create_index("ix_events_seq", "events", ["seq"], unique=True)
    for name, columns in sorted(indexes.items()):
        if name != "ix_events_event_id":
            op.execute(f"CREATE INDEX {name} ON events {columns}")
