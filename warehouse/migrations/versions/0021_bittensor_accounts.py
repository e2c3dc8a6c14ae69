"""Bittensor extrinsics, fees, transfers and accounts staging (placeholder, filled by its change).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
