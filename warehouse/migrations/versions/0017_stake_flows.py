"""Bittensor stake flows: the stake events in staging, and per subnet and day what stakers put in and
took out (`warehouse.projections.stake_flows`).

- `stg_bittensor_stake_events` (one row per StakeAdded, StakeRemoved, StakeMoved, StakeTransferred or
  StakeSwapped event), typed and renamed, base units as NUMERIC(38, 0);
- `bittensor_stake_day_coldkeys` (one row per subnet, day and coldkey with a stake leg): the running
  state of the distinct coldkey count;
- `bittensor_stake_flows_daily` (one row per subnet and UTC day): counts and exact sums of stake added,
  removed and moved, in TAO (`*_tao`) and in the subnet's alpha (`*_alpha`), the net flow in TAO,
  distinct coldkeys and `complete`.

The projection is new, so its first run replays every event; nothing else changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
#: TAO or alpha in whole tokens, exact to the base unit.
NINE = sa.Numeric(38, 9)


def _staging(postgres: bool) -> None:
    # DuckDB keeps staging unindexed, as the other staging tables (it scans by zone maps and cannot
    # alter an indexed table later); PostgreSQL reads a run's window through the seq index.
    op.create_table(
        "stg_bittensor_stake_events",
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column(
            "operation",
            sa.String(16),
            nullable=False,
            comment="'added', 'removed', 'moved', 'transferred' or 'swapped' (StakeAdded, StakeRemoved, ...)",
        ),
        sa.Column("coldkey", sa.String(64), comment="the staker (a move: the origin coldkey)"),
        sa.Column("hotkey", sa.String(64), comment="the hotkey staked to (a move: the origin hotkey)"),
        sa.Column("netuid", sa.Integer, comment="the subnet (a move: the origin subnet)"),
        sa.Column("destination_coldkey", sa.String(64), comment="a move: the coldkey the stake goes to"),
        sa.Column("destination_hotkey", sa.String(64), comment="a move: the hotkey the stake goes to"),
        sa.Column("destination_netuid", sa.Integer, comment="a move: the subnet the stake goes to"),
        sa.Column(
            "tao_rao",
            BASE_UNITS,
            comment="TAO base units: paid in (added), paid out (removed), moved (as the event states it)",
        ),
        sa.Column(
            "alpha_rao", BASE_UNITS, comment="the subnet's alpha base units bought or sold (added, removed)"
        ),
        sa.Column(
            "fee_base_units",
            BASE_UNITS,
            comment="the swap fee as the event carries it (spec 343 on), not summed",
        ),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per Bittensor stake event (StakeAdded, StakeRemoved, StakeMoved, "
        "StakeTransferred, StakeSwapped).",
    )
    if postgres:
        op.create_index("ix_stg_bittensor_stake_events_seq", "stg_bittensor_stake_events", ["seq"])
        # Provenance lists a subnet's stake events of one day.
        op.create_index("ix_stg_bittensor_stake_events_time", "stg_bittensor_stake_events", ["block_time"])


def _marts(postgres: bool) -> None:
    op.create_table(
        "bittensor_stake_day_coldkeys",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("coldkey", sa.String(64), primary_key=True),
        comment="Grain: one row per (netuid, UTC day, coldkey) with a stake leg on the subnet that day; "
        "running state of bittensor_stake_flows_daily.coldkeys.",
    )
    op.create_table(
        "bittensor_stake_flows_daily",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False, comment="the chain day is complete (chain_days)"),
        sa.Column("added_count", sa.Integer, nullable=False, comment="StakeAdded events"),
        sa.Column("added_tao", NINE, nullable=False, comment="TAO paid in by StakeAdded (swap fee included)"),
        sa.Column("added_alpha", NINE, nullable=False, comment="the subnet's alpha bought by StakeAdded"),
        sa.Column("removed_count", sa.Integer, nullable=False, comment="StakeRemoved events"),
        sa.Column(
            "removed_tao", NINE, nullable=False, comment="TAO paid out to the coldkeys by StakeRemoved"
        ),
        sa.Column("removed_alpha", NINE, nullable=False, comment="the subnet's alpha sold by StakeRemoved"),
        sa.Column(
            "moved_in_count",
            sa.Integer,
            nullable=False,
            comment="StakeMoved, StakeTransferred and StakeSwapped legs into the subnet",
        ),
        sa.Column(
            "moved_in_tao",
            NINE,
            nullable=False,
            comment="TAO moved into the subnet by those legs, as the events state it",
        ),
        sa.Column(
            "moved_out_count",
            sa.Integer,
            nullable=False,
            comment="StakeMoved, StakeTransferred and StakeSwapped legs out of the subnet",
        ),
        sa.Column(
            "moved_out_tao",
            NINE,
            nullable=False,
            comment="TAO moved out of the subnet by those legs, as the events state it",
        ),
        sa.Column(
            "net_flow_tao",
            NINE,
            nullable=False,
            comment="added_tao - removed_tao + moved_in_tao - moved_out_tao",
        ),
        sa.Column(
            "net_staked_alpha",
            NINE,
            nullable=False,
            comment="added_alpha - removed_alpha, in the subnet's alpha (moves state no alpha amount)",
        ),
        sa.Column("coldkeys", sa.Integer, nullable=False, comment="distinct coldkeys with a leg that day"),
        sa.Column("first_block", sa.BigInteger, comment="the day's first block with a stake leg"),
        sa.Column("last_block", sa.BigInteger, comment="the day's last block with a stake leg"),
        comment="Grain: one row per (netuid, UTC day) with a stake event: stake added, removed and moved, "
        "in TAO and in the subnet's alpha (never added across subnets).",
    )
    if postgres:
        # The completeness refresh finds rows by day.
        op.create_index("ix_bittensor_stake_flows_daily_day", "bittensor_stake_flows_daily", ["day"])


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _staging(postgres)
    _marts(postgres)


def downgrade() -> None:
    for table in (
        "bittensor_stake_flows_daily",
        "bittensor_stake_day_coldkeys",
        "stg_bittensor_stake_events",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM projection_state WHERE projection = 'bittensor_stake_flows'")
