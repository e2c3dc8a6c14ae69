"""Sahara transactions, fees, transfers and accounts staging (`warehouse.projections.sahara_activity`).

- `stg_sahara_transactions` (one row per Cosmos transaction): hash, the EVM hash of a MsgEthereumTx,
  result code, gas, fee in usah, fee payer and signer;
- `stg_sahara_bank_transfers` (one row per bank `transfer` event): sender, recipient, usah moved,
  whether a transaction's message made it (not the fee deduction nor a block-level flow);
- `sahara_account_days` (one row per account and day it appeared in a transaction): whether it
  signed, sent or paid a fee that day (active) or only received;
- `sahara_accounts` (one row per account): the day and block it was first seen;
- `sahara_balance_changes_daily` (one row per account and day its balance changed): the net usah
  its transfers, mints and burns moved that day;
- `sahara_staking_rewards_daily` (one row per day): the staking rewards distributed to validators.

The projection is new, so its first run replays every event; nothing else changes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
ACCOUNT = sa.String(96)


def _staging(postgres: bool) -> None:
    # DuckDB keeps staging unindexed, as the other staging tables (it scans by zone maps); PostgreSQL
    # reads a run's window through the seq index and a day through the time index.
    op.create_table(
        "stg_sahara_transactions",
        sa.Column(
            "event_id",
            sa.String(32),
            nullable=False,
            comment="the tx.TransactionObserved event, else its first event",
        ),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("tx_index", sa.Integer, nullable=False, comment="the transaction's index in its block"),
        sa.Column(
            "tx_hash", sa.String(64), comment="Cosmos transaction hash (sha256 of its bytes, upper-case hex)"
        ),
        sa.Column("evm_tx_hash", sa.String(66), comment="a MsgEthereumTx's Ethereum hash (0x, lower-case)"),
        sa.Column("code", sa.Integer, comment="result code: 0 = success"),
        sa.Column("gas_used", sa.BigInteger),
        sa.Column("fee_usah", BASE_UNITS, comment="fee paid in usah (an empty fee is 0)"),
        sa.Column("fee_payer", ACCOUNT, comment="account that paid the fee (tx.fee_payer, else the signer)"),
        sa.Column("signer", ACCOUNT, comment="the transaction's first message sender"),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per Sahara Cosmos transaction: hash, EVM hash, fee, fee payer and signer.",
    )
    op.create_table(
        "stg_sahara_bank_transfers",
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("tx_index", sa.Integer, comment="its transaction's index; NULL for a block-level flow"),
        sa.Column("in_message", sa.Boolean, nullable=False, comment="made by a transaction's message"),
        sa.Column("sender", ACCOUNT),
        sa.Column("recipient", ACCOUNT),
        sa.Column("amount_usah", BASE_UNITS, comment="usah moved (other denoms are not kept)"),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per Sahara bank transfer event: sender, recipient and usah moved.",
    )
    if postgres:
        for table in ("stg_sahara_transactions", "stg_sahara_bank_transfers"):
            op.create_index(f"ix_{table}_seq", table, ["seq"])
            op.create_index(f"ix_{table}_time", table, ["block_time"])


def _state() -> None:
    op.create_table(
        "sahara_account_days",
        sa.Column("account", ACCOUNT, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False, comment="signed, sent or paid a fee that day"),
        comment="Grain: one row per Sahara account and UTC day it appeared in a transaction.",
    )
    op.create_table(
        "sahara_accounts",
        sa.Column("account", ACCOUNT, primary_key=True),
        sa.Column("first_day", sa.Date, nullable=False, comment="UTC day it was first seen"),
        sa.Column("first_block", sa.BigInteger, nullable=False, comment="block it was first seen in"),
        comment="Grain: one row per Sahara account seen in a transaction: when it was first seen.",
    )
    op.create_table(
        "sahara_balance_changes_daily",
        sa.Column("account", ACCOUNT, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("change_usah", BASE_UNITS, nullable=False, comment="net usah in minus out that day"),
        comment="Grain: one row per Sahara account and UTC day its balance changed by a transfer, mint or burn.",
    )
    op.create_table(
        "sahara_staking_rewards_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("rewards_usah", BASE_UNITS, nullable=False, comment="distribution rewards, whole usah"),
        comment="Grain: one row per UTC day: staking rewards distributed to Sahara validators.",
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _staging(postgres)
    _state()


def downgrade() -> None:
    for table in (
        "sahara_staking_rewards_daily",
        "sahara_balance_changes_daily",
        "sahara_accounts",
        "sahara_account_days",
        "stg_sahara_bank_transfers",
        "stg_sahara_transactions",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM projection_state WHERE projection = 'sahara_activity'")
