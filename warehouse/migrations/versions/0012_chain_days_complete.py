"""Complete days: chain and market day completeness.

- `ingest_batches` gains `before_block_time` and `after_block_time`: the times of the blocks just
  outside a batch's range (block range_start - 1, and block range_end when it was final), as the
  pipeline read them from the node. They prove that a day's first and last stored blocks are its first
  and last.
- `chain_source_days` (one row per source, stream and UTC day with a stored block) and `chain_days`
  (one row per chain and UTC day): first and last stored block, blocks stored and `complete`: the
  chain's finalized head is past the day's end and every block of the day is stored.
  `chain_days_batches` lists the batches the projection has folded in.
- `market_caps_daily` gains `hours_stored` and `complete` (all 24 hourly quotes stored); its position
  is reset so the next run replays it and fills them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RESET = "DELETE FROM projection_state WHERE projection IN ('market_caps_daily', 'chain_days')"


def upgrade() -> None:
    op.add_column("ingest_batches", sa.Column("before_block_time", sa.DateTime))
    op.add_column("ingest_batches", sa.Column("after_block_time", sa.DateTime))
    op.create_table(
        "chain_source_days",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("chain", sa.String(16), nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("blocks_stored", sa.Integer, nullable=False),
        sa.Column("previous_block_time", sa.DateTime),
        sa.Column("next_block_time", sa.DateTime),
        sa.Column("complete", sa.Boolean, nullable=False),
    )
    op.create_table(
        "chain_days",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("blocks_stored", sa.Integer, nullable=False),
    )
    op.create_table("chain_days_batches", sa.Column("batch_id", sa.String(36), primary_key=True))
    op.add_column("market_caps_daily", sa.Column("hours_stored", sa.Integer))
    op.add_column("market_caps_daily", sa.Column("complete", sa.Boolean))
    op.execute(RESET)


def downgrade() -> None:
    op.drop_column("market_caps_daily", "complete")
    op.drop_column("market_caps_daily", "hours_stored")
    op.drop_table("chain_days_batches")
    op.drop_table("chain_days")
    op.drop_table("chain_source_days")
    op.drop_column("ingest_batches", "after_block_time")
    op.drop_column("ingest_batches", "before_block_time")
    op.execute(RESET)
