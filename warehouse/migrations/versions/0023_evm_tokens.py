"""SAHARA ERC-20 on EVM networks: transfers, holders and unmodelled logs (placeholder, filled by its change).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
