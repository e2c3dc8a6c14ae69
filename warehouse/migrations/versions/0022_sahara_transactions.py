"""Sahara transactions, fees, transfers and accounts staging (placeholder, filled by its change).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
