"""ERC-20 tokens on EVM networks (`warehouse.projections.erc20`): transfers and approvals in staging,
holder balances folded from Transfer events, and the logs of registered contracts no ABI matches.

- `stg_erc20_transfers`, `stg_erc20_approvals` (one row per `ERC20.Transfer` / `ERC20.Approval` of a
  registered token), typed and renamed, base units as NUMERIC(38, 0);
- `erc20_tokens` (one row per network and token contract): symbol, decimals, chain id, blocks seen;
- `erc20_balances` (one row per network, token and account in a transfer): the balance folded from
  every stored Transfer, first and last day seen;
- `erc20_balance_days` (one row per network, token, account and UTC day with a transfer): the day's
  net change, the running state holders per day are read from;
- `evm_unmodelled_logs` (one row per network and contract address): `evm.RawLog` counts.

The projection is new, so its first run replays every event; nothing else changes.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
ADDRESS = sa.String(42)


def _staging(postgres: bool) -> None:
    # DuckDB keeps staging unindexed, as the other staging tables; PostgreSQL reads a run's window
    # through the seq index.
    def common() -> tuple[sa.Column, ...]:
        return (
            sa.Column("event_id", sa.String(32), nullable=False),
            sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
            sa.Column("network", sa.String(40), nullable=False, comment="the registry's network name"),
            sa.Column("chain_id", sa.BigInteger, nullable=False, comment="the network's EVM chain id"),
            sa.Column("token_address", ADDRESS, nullable=False, comment="the token contract, 0x hex"),
            sa.Column("token_symbol", sa.String(16), nullable=False),
            sa.Column("token_decimals", sa.Integer, nullable=False),
            sa.Column("block_number", sa.BigInteger, nullable=False),
            sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
            sa.Column("tx_hash", sa.String(66), nullable=False),
            sa.Column("log_index", sa.Integer, nullable=False, comment="the log's index in its block"),
        )

    op.create_table(
        "stg_erc20_transfers",
        *common(),
        sa.Column("from_address", ADDRESS, nullable=False, comment="the zero address for a mint"),
        sa.Column("to_address", ADDRESS, nullable=False, comment="the zero address for a burn"),
        sa.Column("amount_base_units", BASE_UNITS, nullable=False),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per ERC-20 Transfer event of a registered token.",
    )
    op.create_table(
        "stg_erc20_approvals",
        *common(),
        sa.Column("owner_address", ADDRESS, nullable=False),
        sa.Column("spender_address", ADDRESS, nullable=False),
        sa.Column("amount_base_units", BASE_UNITS, nullable=False),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per ERC-20 Approval event of a registered token.",
    )
    if postgres:
        for table in ("stg_erc20_transfers", "stg_erc20_approvals"):
            op.create_index(f"ix_{table}_seq", table, ["seq"])
            op.create_index(f"ix_{table}_time", table, ["network", "block_time"])


def _state() -> None:
    op.create_table(
        "erc20_tokens",
        sa.Column("network", sa.String(40), primary_key=True),
        sa.Column("token_address", ADDRESS, primary_key=True),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("token_symbol", sa.String(16), nullable=False),
        sa.Column("token_decimals", sa.Integer, nullable=False),
        sa.Column("transfers", sa.BigInteger, nullable=False),
        sa.Column("approvals", sa.BigInteger, nullable=False),
        sa.Column("first_block", sa.BigInteger),
        sa.Column("last_block", sa.BigInteger),
        comment="Grain: one row per network and registered token contract with a stored event.",
    )
    op.create_table(
        "erc20_balances",
        sa.Column("network", sa.String(40), primary_key=True),
        sa.Column("token_address", ADDRESS, primary_key=True),
        sa.Column("holder", ADDRESS, primary_key=True),
        sa.Column("balance_base_units", BASE_UNITS, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("transfers", sa.BigInteger, nullable=False),
        comment="Grain: one row per network, token and account that sent or received the token.",
    )
    op.create_table(
        "erc20_balance_days",
        sa.Column("network", sa.String(40), primary_key=True),
        sa.Column("token_address", ADDRESS, primary_key=True),
        sa.Column("holder", ADDRESS, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("delta_base_units", BASE_UNITS, nullable=False),
        comment="Grain: one row per network, token, account and UTC day with a transfer of the account.",
    )
    op.create_table(
        "evm_unmodelled_logs",
        sa.Column("network", sa.String(40), primary_key=True),
        sa.Column("contract_address", ADDRESS, primary_key=True),
        sa.Column("logs", sa.BigInteger, nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("last_block_time", sa.DateTime, nullable=False),
        comment="Grain: one row per EVM network and contract with a stored evm.RawLog.",
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _staging(postgres)
    _state()


def downgrade() -> None:
    for table in (
        "evm_unmodelled_logs",
        "erc20_balance_days",
        "erc20_balances",
        "erc20_tokens",
        "stg_erc20_approvals",
        "stg_erc20_transfers",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM projection_state WHERE projection = 'erc20_tokens'")
