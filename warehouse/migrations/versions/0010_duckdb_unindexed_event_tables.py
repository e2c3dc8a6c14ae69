"""DuckDB: no index on the tables that grow with every event or that each projection run rewrites.

DuckDB keeps an ART index (a primary key, a unique or a secondary index) whole in memory and cannot
spill it, so on a 10M-event warehouse the `events.event_id` key alone took about 1 GB, every append
and every projection run paid for loading it, and a rebuild's working memory grew with history.
These tables are append-only and read by ranges (`seq` windows, time spans), which DuckDB answers
from its min/max zone maps; uniqueness is kept without an index:
- `events`: the store inserts only ids new for their chain, checking the stored rows of the batch's
  time span (`warehouse/store.py`), one writer at a time;
- staging tables: a projection stages each event once, from the window of `seq` it has not folded.

Two tables of running state go the same way: `bittensor_holders` and `miners`, which a projection
rewrites by delete-then-insert (`replace_rows`, the miners of every touched UID) and which every
run touches almost whole, since every UID is observed at each 72-minute epoch. Their keys made each
run maintain the index and write it again at the checkpoint: 0.9 s of a 2.6 s incremental run at
10M events. Their grain is kept by the projection and checked by the key tests on both engines.

Each table is recreated with the same columns, defaults and comments and without its key and
indexes, and its rows copied in `seq` order where it has one. The other tables of running state
(contributors, day members, delegations...) keep their keys: they are upserted with
`ON CONFLICT`. PostgreSQL is unchanged: its B-tree indexes live on disk and page through its
buffer cache.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

import re

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: table -> its key (recreated by a downgrade)
TABLES = {
    "events": "event_id",
    "stg_bittensor_neurons": "event_id",
    "stg_bittensor_registrations": "event_id",
    "stg_sahara_annotation_events": "event_id",
    "stg_sahara_tasks": "event_id",
    "stg_sahara_delegation_flows": "event_id, side",
    "stg_sahara_validator_sets": "event_id",
    "bittensor_holders": "netuid, uid, hotkey",
    "miners": "netuid, uid, hotkey",
}

#: The secondary indexes these tables had on DuckDB (recreated by a downgrade).
INDEXES = {
    "ix_events_seq": "UNIQUE INDEX ix_events_seq ON events (seq)",
    "ix_events_chain_block": "INDEX ix_events_chain_block ON events (chain, source, block_number)",
    "ix_events_type_time": "INDEX ix_events_type_time ON events (event_type, block_time)",
    "ix_stg_bittensor_neurons_hotkey": (
        "INDEX ix_stg_bittensor_neurons_hotkey ON stg_bittensor_neurons (netuid, hotkey, block_number)"
    ),
    "ix_stg_bittensor_neurons_uid": (
        "INDEX ix_stg_bittensor_neurons_uid ON stg_bittensor_neurons (netuid, uid, block_number)"
    ),
    "ix_stg_sahara_validator_sets_operator": (
        "INDEX ix_stg_sahara_validator_sets_operator ON stg_sahara_validator_sets (operator_address, block_number)"
    ),
}


def _recreate_without_key(bind, table: str, key: str) -> None:
    found = bind.exec_driver_sql(
        "SELECT sql, comment FROM duckdb_tables() WHERE table_name = ? AND schema_name = current_schema()",
        (table,),
    ).first()
    if found is None:
        return
    sql, table_comment = found
    comments = bind.exec_driver_sql(
        "SELECT column_name, comment FROM duckdb_columns() "
        "WHERE table_name = ? AND schema_name = current_schema() AND comment IS NOT NULL",
        (table,),
    ).all()
    unkeyed = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", sql.rstrip().rstrip(";"), flags=re.IGNORECASE)
    unkeyed = re.sub(r"\bPRIMARY KEY\b", "", unkeyed, flags=re.IGNORECASE)
    unkeyed = re.sub(rf"^CREATE TABLE\s+(\S+\.)?\"?{table}\"?", f"CREATE TABLE {table}_unkeyed", unkeyed)
    op.execute(unkeyed)
    order = " ORDER BY seq" if _has_column(bind, table, "seq") else ""
    op.execute(f"INSERT INTO {table}_unkeyed SELECT * FROM {table}{order}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_unkeyed RENAME TO {table}")
    for column in key.split(", "):
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL")
    for column, comment in comments:
        op.execute(f"COMMENT ON COLUMN {table}.{column} IS '{_quoted(comment)}'")
    if table_comment:
        op.execute(f"COMMENT ON TABLE {table} IS '{_quoted(table_comment)}'")


def _has_column(bind, table: str, column: str) -> bool:
    return bool(
        bind.exec_driver_sql(
            "SELECT COUNT(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ? "
            "AND schema_name = current_schema()",
            (table, column),
        ).scalar()
    )


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "duckdb":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for table, key in TABLES.items():
        _recreate_without_key(bind, table, key)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "duckdb":
        return
    for table, key in TABLES.items():
        op.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
    for definition in INDEXES.values():
        op.execute(f"CREATE {definition}")
