"""Bittensor subnet history: `subnet_daily`, one row per subnet and UTC day, and the subnet's name.

- `stg_bittensor_subnet_observations` (one row per `SubtensorModule.SubnetObserved`): the subnet's
  name and owner coldkey as the chain's `get_dynamic_info` serves them, typed and renamed;
- `subnet_day_pool` (one row per subnet and day with a block observation): the running state of the
  day's pool price: its first and last block and price, and the time-weighted sum;
- `subnet_daily` (one row per subnet and UTC day): name and owner; alpha price open, close and
  time-weighted; the TAO and alpha reserves at the day's last block; emission share, TAO injected and
  alpha emitted; registrations and their burn in TAO; UIDs, miners and validators and the top miner's and
  top validator's share at the day's last epoch; `complete` (`warehouse.projections.subnet_daily`);
- `subnets` gains `name`, filled here from the latest observation the `bittensor` projection keeps.

The projection is new, so its first run replays every event.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
#: TAO or alpha in whole tokens, exact to the base unit.
NINE = sa.Numeric(38, 9)


def _staging(postgres: bool) -> None:
    # DuckDB keeps staging unindexed, as the other staging tables; PostgreSQL reads a run's window
    # through the seq index and a subnet's latest observation through (netuid, block_number).
    op.create_table(
        "stg_bittensor_subnet_observations",
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, comment="the event's position in the store"),
        sa.Column("block_number", sa.BigInteger, nullable=False, comment="the epoch block observed at"),
        sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("netuid", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256), comment="subnet_name of get_dynamic_info (UTF-8)"),
        sa.Column("owner", sa.String(64), comment="owner_coldkey of get_dynamic_info"),
        *((sa.PrimaryKeyConstraint("event_id"),) if postgres else ()),
        comment="Grain: one row per SubtensorModule.SubnetObserved event: the subnet's name and owner.",
    )
    if postgres:
        op.create_index(
            "ix_stg_bittensor_subnet_observations_seq", "stg_bittensor_subnet_observations", ["seq"]
        )
        op.create_index(
            "ix_stg_bittensor_subnet_observations_netuid",
            "stg_bittensor_subnet_observations",
            ["netuid", "block_number"],
        )


def _marts(postgres: bool) -> None:
    op.create_table(
        "subnet_day_pool",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("first_block", sa.BigInteger, nullable=False, comment="the day's first block observation"),
        sa.Column("first_block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column("first_tao_rao", BASE_UNITS, comment="SubnetTAO at first_block"),
        sa.Column("first_alpha_in_rao", BASE_UNITS, comment="SubnetAlphaIn at first_block"),
        sa.Column("last_block", sa.BigInteger, nullable=False, comment="the day's last block observation"),
        sa.Column("last_block_time", sa.DateTime, nullable=False, comment="UTC"),
        sa.Column(
            "last_price_rao",
            BASE_UNITS,
            comment="SubnetTAO x 1e9 / SubnetAlphaIn at last_block, rounded down",
        ),
        sa.Column(
            "price_rao_seconds",
            BASE_UNITS,
            nullable=False,
            comment="sum over the day's blocks but the last of price_rao x seconds to the next block",
        ),
        sa.Column(
            "price_seconds", sa.BigInteger, nullable=False, comment="seconds from first_block to last_block"
        ),
        comment="Grain: one row per (netuid, UTC day) with a block observation; running state of "
        "subnet_daily's open, close and time-weighted alpha price.",
    )
    op.create_table(
        "subnet_daily",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False, comment="the chain day is complete (chain_days)"),
        sa.Column(
            "name", sa.String(256), comment="the subnet's name at its latest observation by the day's end"
        ),
        sa.Column("owner", sa.String(64), comment="the owner coldkey at that observation"),
        sa.Column("name_block", sa.BigInteger, comment="the block of that observation"),
        sa.Column("price_open_tao_per_alpha", sa.Double, comment="SubnetTAO / SubnetAlphaIn at first_block"),
        sa.Column("price_close_tao_per_alpha", sa.Double, comment="SubnetTAO / SubnetAlphaIn at last_block"),
        sa.Column(
            "price_twap_tao_per_alpha",
            sa.Double,
            comment="each block's price weighted by the seconds to the next block, first_block to last_block",
        ),
        sa.Column("tao_reserve_tao", NINE, comment="SubnetTAO at last_block"),
        sa.Column("alpha_reserve_alpha", NINE, comment="SubnetAlphaIn at last_block"),
        sa.Column(
            "emission_share",
            sa.Double,
            comment="(SubnetTaoInEmission + SubnetExcessTao) over the day's sum of every subnet's",
        ),
        sa.Column("tao_injected_tao", NINE, comment="sum of SubnetTaoInEmission over the day's blocks"),
        sa.Column(
            "alpha_emitted_alpha",
            NINE,
            comment="sum of SubnetAlphaInEmission + SubnetAlphaOutEmission over the day's blocks",
        ),
        sa.Column("registrations", sa.Integer, nullable=False, comment="NeuronRegistered events of the day"),
        sa.Column(
            "registration_burn_tao",
            NINE,
            nullable=False,
            comment="TAO withdrawn by the Balances.Withdraw just before each NeuronRegistered in its extrinsic",
        ),
        sa.Column("uids", sa.Integer, comment="UIDs observed at epoch_block"),
        sa.Column("miners", sa.Integer, comment="of which without validator permit"),
        sa.Column("validators", sa.Integer, comment="of which with validator permit"),
        sa.Column(
            "top_miner_share", sa.Double, comment="largest miner emission / miners' emission at epoch_block"
        ),
        sa.Column(
            "top_validator_share",
            sa.Double,
            comment="largest validator emission / validators' emission there",
        ),
        sa.Column("first_block", sa.BigInteger, comment="the day's first block observation of the subnet"),
        sa.Column("last_block", sa.BigInteger, comment="the day's last block observation of the subnet"),
        sa.Column("epoch_block", sa.BigInteger, comment="the day's last metagraph epoch of the subnet"),
        comment="Grain: one row per (netuid, UTC day) with an observation or registration of the subnet: "
        "name, alpha price, reserves, emission, registrations and participants.",
    )
    if postgres:
        # The completeness refresh and the emission share find rows by day.
        op.create_index("ix_subnet_daily_day", "subnet_daily", ["day"])


#: The name each subnet had at its latest observation (kept by the `bittensor` projection).
FILL_NAMES = """
    UPDATE subnets SET name = (
        SELECT s.payload->>'subnet_name' FROM bittensor_subnet_state s
        WHERE s.netuid = subnets.netuid AND s.kind = 'observed'
    )
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _staging(postgres)
    _marts(postgres)
    op.add_column(
        "subnets", sa.Column("name", sa.String(256), comment="subnet_name of the latest observation")
    )
    op.execute(FILL_NAMES)


def downgrade() -> None:
    op.drop_column("subnets", "name")
    for table in ("subnet_daily", "subnet_day_pool", "stg_bittensor_subnet_observations"):
        op.drop_table(table)
    op.execute("DELETE FROM projection_state WHERE projection = 'subnet_daily'")
