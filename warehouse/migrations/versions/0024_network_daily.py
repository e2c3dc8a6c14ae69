"""Network fundamentals: `network_daily`, one row per chain, network and UTC day.

A network is where a token's activity is recorded: the Bittensor chain (`bittensor`), the Sahara
chain (`sahara`), or an EVM network where the SAHARA ERC-20 lives (`evm:<name>`, from the contract
registry). Each chain's rows are folded by its own statements (`warehouse.projections.network`), from
the staging tables of extrinsics, transactions, transfers and balances that the earlier revisions
add; amounts are in the network's token (`native_unit`) and in USD at the day's last quote.

The projection is new, so its first run replays every event; nothing else changes.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

EIGHTEEN = sa.Numeric(38, 18)


def upgrade() -> None:
    op.create_table(
        "network_daily",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("network", sa.String(48), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("native_unit", sa.String(8), nullable=False),
        sa.Column("transactions", sa.BigInteger),
        sa.Column("active_accounts", sa.BigInteger),
        sa.Column("new_accounts", sa.BigInteger),
        sa.Column("transfers", sa.BigInteger),
        sa.Column("transfer_volume_native", EIGHTEEN),
        sa.Column("transfer_volume_usd", sa.Double),
        sa.Column("fees_native", EIGHTEEN),
        sa.Column("fees_usd", sa.Double),
        sa.Column("holders", sa.BigInteger),
        sa.Column("staking_apr", sa.Double),
        sa.Column("staking_apy", sa.Double),
        sa.Column("price_usd", sa.Double),
        comment="Grain: one row per chain, network and UTC day: transactions, accounts, transfers, "
        "fees, holders and staking yield.",
    )


def downgrade() -> None:
    op.drop_table("network_daily")
