"""Block headers seen by ingestion (for chain audits) and data-quality results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "chain_blocks",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("block_number", sa.BigInteger, primary_key=True),
        sa.Column("block_hash", sa.String(80), nullable=False),
        sa.Column("parent_hash", sa.String(80)),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("spec_version", sa.Integer),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("batch_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_chain_blocks_time", "chain_blocks", ["source", "block_time"])
    op.create_table(
        "dq_results",
        sa.Column("result_id", sa.String(36), primary_key=True),
        sa.Column("suite", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.String(36)),
        sa.Column("range_start", sa.BigInteger, nullable=False),
        sa.Column("range_end", sa.BigInteger, nullable=False),
        sa.Column("rows_validated", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("expectations_evaluated", sa.Integer, nullable=False),
        sa.Column("expectations_failed", sa.Integer, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("details", json_type, nullable=False),
        sa.Column("run_seconds", sa.Double, nullable=False),
        sa.Column("validated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_dq_results_suite", "dq_results", ["suite", "validated_at"])


def downgrade() -> None:
    op.drop_table("dq_results")
    op.drop_table("chain_blocks")
