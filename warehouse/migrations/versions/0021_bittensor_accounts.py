"""Bittensor accounts: signed extrinsics with their fees, transfers, accounts and balance snapshots
(`warehouse.projections.bittensor_accounts`).

- `stg_bittensor_extrinsics` (one row per signed extrinsic, `System.ExtrinsicObserved`): signer,
  call, nonce, tip, the fee it paid (`TransactionPayment.TransactionFeePaid`) and its outcome
  (`System.ExtrinsicSuccess` / `ExtrinsicFailed`);
- `stg_bittensor_transfers` (one row per `Balances.Transfer`);
- `bittensor_accounts` (one row per account seen): first seen, created (`System.NewAccount`), and its
  balance at the latest `System.Account` snapshot;
- `bittensor_account_snapshots` (one row per UTC day with a snapshot of `System.Account` at its last
  block): accounts, holders (free + reserved > 0), free and reserved TAO.

The projection is new, so its first run replays every event; nothing else changes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
NINE = sa.Numeric(38, 9)


def _staging(postgres: bool) -> None:
    # DuckDB keeps staging unindexed, as the other staging tables (it scans by zone maps); PostgreSQL
    # reads a run's window through the seq index and a day through the block_time index.
    op.create_table(
        "stg_bittensor_extrinsics",
        sa.Column("event_id", sa.String(32), nullable=False, comment="the System.ExtrinsicObserved event"),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("extrinsic_index", sa.Integer, nullable=False, comment="position in the block body"),
        sa.Column("signer", sa.String(64), nullable=False, comment="the signing account (SS58)"),
        sa.Column("pallet", sa.String(64), nullable=False, comment="the call's pallet, e.g. Balances"),
        sa.Column("call_name", sa.String(64), nullable=False, comment="the call, e.g. transfer_keep_alive"),
        sa.Column("nonce", sa.BigInteger, comment="the signer's nonce (CheckNonce)"),
        sa.Column("tip_rao", BASE_UNITS, comment="the tip (ChargeTransactionPayment), rao"),
        sa.Column(
            "fee_rao",
            BASE_UNITS,
            comment="TransactionFeePaid.actual_fee (inclusion fee + tip), rao; NULL without that event",
        ),
        sa.Column(
            "success", sa.Boolean, comment="ExtrinsicSuccess (true) or ExtrinsicFailed (false); NULL: neither"
        ),
        sa.Column("extrinsic_hash", sa.String(66), comment="blake2b-256 of the encoded extrinsic"),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per signed Bittensor extrinsic.",
    )
    op.create_table(
        "stg_bittensor_transfers",
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("position", sa.String(32), nullable=False, comment="extrinsic index and event index"),
        sa.Column("from_account", sa.String(64), nullable=False, comment="the sender (SS58)"),
        sa.Column("to_account", sa.String(64), nullable=False, comment="the recipient (SS58)"),
        sa.Column("amount_rao", BASE_UNITS, nullable=False, comment="TAO sent, rao"),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per Balances.Transfer event.",
    )
    if postgres:
        for table in ("stg_bittensor_extrinsics", "stg_bittensor_transfers"):
            op.create_index(f"ix_{table}_seq", table, ["seq"])
            op.create_index(f"ix_{table}_time", table, ["block_time"])


def _state() -> None:
    op.create_table(
        "bittensor_accounts",
        sa.Column("account", sa.String(64), primary_key=True, comment="SS58"),
        sa.Column(
            "first_seen_block",
            sa.BigInteger,
            nullable=False,
            comment="the earliest block that shows the account: signing, a transfer, its creation or a snapshot",
        ),
        sa.Column("first_seen_at", sa.DateTime, nullable=False, comment="UTC time of first_seen_block"),
        sa.Column("created_block", sa.BigInteger, comment="its System.NewAccount, if stored"),
        sa.Column("created_at", sa.DateTime, comment="UTC time of created_block"),
        sa.Column("snapshot_block", sa.BigInteger, comment="the latest System.Account snapshot holding it"),
        sa.Column("free_tao", NINE, comment="free balance at snapshot_block"),
        sa.Column("reserved_tao", NINE, comment="reserved balance at snapshot_block"),
        comment="Grain: one row per Bittensor account the events show.",
    )
    op.create_table(
        "bittensor_account_snapshots",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("at_block", sa.BigInteger, nullable=False, comment="the day's last block"),
        sa.Column("pages", sa.Integer, nullable=False, comment="pages the snapshot was read in"),
        sa.Column("pages_stored", sa.Integer, nullable=False, comment="pages stored (all: pages)"),
        sa.Column("accounts", sa.BigInteger, nullable=False, comment="System.Account entries"),
        sa.Column("holders", sa.BigInteger, nullable=False, comment="accounts with free + reserved > 0"),
        sa.Column("free_tao", NINE, nullable=False, comment="sum of free balances"),
        sa.Column("reserved_tao", NINE, nullable=False, comment="sum of reserved balances"),
        comment="Grain: one row per UTC day with a System.Account snapshot at its last block.",
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _staging(postgres)
    _state()


def downgrade() -> None:
    for table in (
        "bittensor_account_snapshots",
        "bittensor_accounts",
        "stg_bittensor_transfers",
        "stg_bittensor_extrinsics",
    ):
        op.drop_table(table)
