"""Indexes for the days new accounts are counted on (PostgreSQL).

`network_daily` counts each recomputed day's new accounts: Bittensor's from `bittensor_accounts` by
`created_at`, Sahara's from `sahara_accounts` by `first_day`. Both tables grow with every account
ever seen; without these indexes an incremental run read them whole. DuckDB scans them by zone maps
and keeps them unindexed, as its other folded tables.

Nothing is replayed: the indexes only change how the same rows are found.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_bittensor_accounts_created_at", "bittensor_accounts", ["created_at"])
        op.create_index("ix_sahara_accounts_first_day", "sahara_accounts", ["first_day"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_sahara_accounts_first_day", table_name="sahara_accounts")
        op.drop_index("ix_bittensor_accounts_created_at", table_name="bittensor_accounts")
