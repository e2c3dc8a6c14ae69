"""market_caps_daily: one row per coin per UTC day.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_caps_daily",
        sa.Column("coin_id", sa.String(32), primary_key=True),
        sa.Column("day", sa.DateTime, primary_key=True),
        sa.Column("price_usd", sa.Double, nullable=False),
        sa.Column("market_cap_usd", sa.Double, nullable=False),
        sa.Column("total_volume_usd", sa.Double, nullable=False),
        sa.Column("observed_at", sa.DateTime, nullable=False),
        sa.Column("quotes", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("market_caps_daily")
