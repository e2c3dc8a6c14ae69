"""Sahara marketplace staging (`warehouse.projections.sahara_marketplace`).

- `stg_sahara_marketplace` (one row per `Marketplace.LicensePurchased` or `Marketplace.RevenueShared`
  event): the licence bought and its price, or the share of a licence's price paid out, typed from
  the event's payload (usah as NUMERIC(38, 0)); the dashboard's marketplace panels read it instead of
  parsing the events' JSON.

The projection is new, so its first run replays every event; nothing else changes.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ADDRESS = sa.String(42)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # DuckDB keeps staging unindexed, as the other staging tables (it scans by zone maps); PostgreSQL
    # reads a run's window through the seq index and a chart's range through the time index.
    op.create_table(
        "stg_sahara_marketplace",
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("tx_hash", sa.String(66), comment="the transaction, 0x hex"),
        sa.Column("log_index", sa.Integer, comment="the log's logIndex"),
        sa.Column(
            "kind", sa.String(16), nullable=False, comment="'license' (a licence bought) or 'revenue_share'"
        ),
        sa.Column("asset_id", sa.String(80), comment="the asset licensed"),
        sa.Column("account", ADDRESS, comment="the buyer of a licence, the recipient of a share"),
        sa.Column("amount_usah", sa.Numeric(38, 0), comment="the price paid, or the share paid out"),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per Sahara marketplace licence purchase or revenue share.",
    )
    if postgres:
        op.create_index("ix_stg_sahara_marketplace_seq", "stg_sahara_marketplace", ["seq"])
        op.create_index("ix_stg_sahara_marketplace_time", "stg_sahara_marketplace", ["block_time"])


def downgrade() -> None:
    op.drop_table("stg_sahara_marketplace")
    op.execute("DELETE FROM projection_state WHERE projection = 'sahara_marketplace'")
