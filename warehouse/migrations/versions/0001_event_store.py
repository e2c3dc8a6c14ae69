"""Event store and the first projection (market_caps).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

payload_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("events_seq")))
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, server_default=sa.text("nextval('events_seq')"), nullable=False),
        sa.Column("chain", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(80)),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("position", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(96), nullable=False),
        sa.Column("payload", payload_type, nullable=False),
        sa.Column("spec_version", sa.Integer),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_events_seq", "events", ["seq"], unique=True)
    op.create_index("ix_events_chain_block", "events", ["chain", "source", "block_number"])
    op.create_index("ix_events_type_time", "events", ["event_type", "block_time"])
    op.create_table(
        "ingest_checkpoints",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", sa.String(32), primary_key=True),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("chain", sa.String(16), nullable=False),
        sa.Column("position", sa.String(128), nullable=False),
        sa.Column("block_number", sa.BigInteger),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("quarantined_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_quarantine_source", "quarantine", ["source", "rule"])
    op.create_table(
        "ingest_batches",
        sa.Column("batch_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("range_unit", sa.String(8), nullable=False),
        sa.Column("range_start", sa.BigInteger, nullable=False),
        sa.Column("range_end", sa.BigInteger, nullable=False),
        sa.Column("rows_in", sa.Integer, nullable=False),
        sa.Column("rows_loaded", sa.Integer, nullable=False),
        sa.Column("rows_new", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("duration_s", sa.Double, nullable=False),
        sa.Column("run_id", sa.String(250)),
    )
    op.create_index("ix_ingest_batches_source", "ingest_batches", ["source", "stream", "started_at"])
    op.create_table(
        "projection_state",
        sa.Column("projection", sa.String(64), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "market_caps",
        sa.Column("coin_id", sa.String(32), primary_key=True),
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("price_usd", sa.Double, nullable=False),
        sa.Column("market_cap_usd", sa.Double, nullable=False),
        sa.Column("total_volume_usd", sa.Double, nullable=False),
        sa.Column("observed_at", sa.DateTime, nullable=False),
        sa.Column("quotes", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "market_caps",
        "projection_state",
        "ingest_batches",
        "quarantine",
        "ingest_checkpoints",
        "events",
    ):
        op.drop_table(table)
    op.execute(sa.schema.DropSequence(sa.Sequence("events_seq")))
