"""Bittensor amounts in their units: per-block emission staging, alpha and TAO columns, ecosystem_daily native columns (placeholder, filled by the units work).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
