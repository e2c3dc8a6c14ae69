"""Bittensor amounts in their units: per-block emission staging, alpha and TAO columns, and
`ecosystem_daily` in each chain's native token.

Since dTAO a neuron's emission and stake are counted in its subnet's alpha; each subnet's alpha has
its own price in TAO (its pool's TAO reserve / alpha reserve). This revision gives every amount
column its unit in its name and adds what converts alpha to TAO and counts the TAO minted:

- `stg_bittensor_issuance` (one row per block) and `stg_bittensor_subnet_blocks` (one row per block
  and subnet): the `SubtensorModule.EmissionObserved` observations, typed and renamed, base units
  kept as NUMERIC(38, 0).
- `bittensor_epoch_prices`: the pool price each metagraph epoch's alpha converts at (the subnet's
  latest block observation at or before the epoch block).
- `bittensor_emission_daily` (per day: TAO minted, net issuance, issuance and TAO staked at the day's
  last block) and `subnet_emission_daily` (per subnet and day: TAO injected, alpha emitted, owner
  cut, miner incentive and validator dividends in alpha and TAO).
- `miners` and `subnets` are recreated with `*_alpha` / `*_tao` columns (DECIMAL(38, 9)), the price
  and its block; `validators` gains `*_alpha`, `*_native`, `native_unit`, the price and its block.
- `ecosystem_daily` is recreated with `*_native` columns in TAO or SAHARA (DECIMAL(38, 18)) beside
  `native_unit`, `complete`, net issuance and the Bittensor split; its running state
  (`ecosystem_day_members`, `ecosystem_day_totals`, `ecosystem_day_hours`) counts native base units.

The views reading the changed columns are redefined. Both projections are reset: their next run
replays them from the first event.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
#: TAO or alpha in whole tokens, exact to the rao.
NINE = sa.Numeric(38, 9)
#: TAO or SAHARA in whole tokens, exact to the smallest unit of either.
EIGHTEEN = sa.Numeric(38, 18)

RESET = "DELETE FROM projection_state WHERE projection IN ('bittensor', 'ecosystem_daily')"

STAGING_PG_INDEXES = (
    ("ix_stg_bittensor_subnet_blocks_netuid", "stg_bittensor_subnet_blocks", ["netuid", "block_number"]),
    ("ix_stg_bittensor_subnet_blocks_seq", "stg_bittensor_subnet_blocks", ["seq"]),
    ("ix_stg_bittensor_issuance_seq", "stg_bittensor_issuance", ["seq"]),
)

VIEWS = {
    # One row per chain per day: the side-by-side comparison, in each chain's own token.
    "v_comparison_daily": """
        SELECT chain, day, complete, native_unit, participants, participants_earning, share_earning,
               validators, nakamoto, gini, top10_share, emission_native, net_issuance_native,
               rewards_native, rewards_usd, rewards_per_participant_native, rewards_per_participant_usd,
               stake_native, staking_ratio, supply_native, supply_cap_share, inflation_annualised,
               price_usd, market_cap_usd, units_active, units_label
        FROM ecosystem_daily
    """,
    # One row per live Bittensor subnet, biggest emission share first.
    "v_subnet_leaderboard": """
        SELECT netuid, owner, emission_share, price_tao_per_alpha, price_block, miners, validators,
               pool_tao, pool_alpha, last_observed_at
        FROM subnets WHERE removed_at IS NULL
    """,
    # One row per subnet: how many of its miners earn anything (competition at work).
    "v_miners_earning_by_subnet": """
        SELECT netuid, COUNT(*) AS miners,
               SUM(CASE WHEN earns THEN 1 ELSE 0 END) AS miners_earning,
               AVG(CASE WHEN earns THEN 1.0 ELSE 0.0 END) AS share_earning
        FROM miners WHERE deregistered_at IS NULL GROUP BY netuid
    """,
    # One row per validator of either chain; stake in the chain's own token (TAO or SAHARA).
    "v_validators": """
        SELECT chain, validator_id, netuid, address,
               COALESCE(stake_native, CASE WHEN chain = 'sahara' THEN CAST(stake_tokens AS NUMERIC(38, 18)) END)
                   AS stake_native,
               COALESCE(native_unit, CASE WHEN chain = 'sahara' THEN 'SAHARA' END) AS native_unit,
               stake_alpha, price_tao_per_alpha, price_block, voting_power, delegators, commission_rate,
               dividends, validator_trust, last_observed_at
        FROM validators
    """,
}

OLD_VIEWS = {
    "v_comparison_daily": """
        SELECT chain, day, participants, participants_earning, share_earning, validators, nakamoto,
               gini, top10_share, rewards_tokens, rewards_usd, rewards_per_participant_usd,
               emission_tokens, inflation_annualised, staking_ratio, supply_tokens, supply_cap_share,
               price_usd, market_cap_usd, units_active, units_label
        FROM ecosystem_daily
    """,
    "v_subnet_leaderboard": """
        SELECT netuid, owner, emission_share, alpha_price_tao, miners, validators,
               CAST(tao_in_rao AS DOUBLE PRECISION) / 1e9 AS tao_in_pool, last_observed_at
        FROM subnets WHERE removed_at IS NULL
    """,
    "v_miners_earning_by_subnet": VIEWS["v_miners_earning_by_subnet"],
    "v_validators": """
        SELECT chain, validator_id, netuid, address, stake_tokens, voting_power, delegators, commission_rate,
               dividends, validator_trust, last_observed_at
        FROM validators
    """,
}

VALIDATOR_COLUMNS = (
    ("stake_alpha", NINE, "Bittensor: the validator's stake in its subnet's alpha"),
    ("emission_alpha", NINE, "Bittensor: alpha the validator received at its latest epoch"),
    ("stake_native", EIGHTEEN, "stake in the chain's token (TAO: stake_alpha x price_tao_per_alpha)"),
    ("emission_native", EIGHTEEN, "Bittensor: emission_alpha in TAO at price_tao_per_alpha"),
    ("native_unit", sa.String(8), "'TAO' or 'SAHARA'"),
    ("price_tao_per_alpha", sa.Double, "Bittensor: the pool price the alpha columns convert at"),
    ("price_block", sa.BigInteger, "Bittensor: the block that price was observed at"),
)


def _key(postgres: bool, *columns: str) -> tuple:
    return (sa.PrimaryKeyConstraint(*columns),) if postgres else ()


def _staging(postgres: bool) -> None:
    op.create_table(
        "stg_bittensor_issuance",
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("total_issuance_rao", BASE_UNITS, nullable=False, comment="TotalIssuance after the block"),
        sa.Column("total_issuance_before_rao", BASE_UNITS, nullable=False, comment="TotalIssuance before it"),
        sa.Column(
            "minted_rao", BASE_UNITS, nullable=False, comment="rao the block minted (BlockEmission at b-1)"
        ),
        sa.Column("owner_cut_u16", sa.Integer, nullable=False, comment="SubnetOwnerCut, a fraction of 65535"),
        sa.Column("event_id", sa.String(32), nullable=False, comment="the EmissionObserved event"),
        sa.Column("seq", sa.BigInteger, nullable=False),
        *_key(postgres, "block_number"),
        comment="Grain: one row per SubtensorModule.EmissionObserved event (one block).",
    )
    op.create_table(
        "stg_bittensor_subnet_blocks",
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("netuid", sa.Integer, nullable=False),
        sa.Column(
            "subnet_tao_rao",
            BASE_UNITS,
            nullable=False,
            comment="SubnetTAO: the pool's TAO (root: TAO staked)",
        ),
        sa.Column(
            "subnet_alpha_in_rao", BASE_UNITS, nullable=False, comment="SubnetAlphaIn, alpha base units"
        ),
        sa.Column(
            "subnet_alpha_out_rao", BASE_UNITS, nullable=False, comment="SubnetAlphaOut, alpha base units"
        ),
        sa.Column("tao_in_emission_rao", BASE_UNITS, nullable=False, comment="TAO injected by the block"),
        sa.Column(
            "excess_tao_rao", BASE_UNITS, nullable=False, comment="TAO of the block's share not injected"
        ),
        sa.Column(
            "alpha_in_emission_rao", BASE_UNITS, nullable=False, comment="alpha base units added to the pool"
        ),
        sa.Column(
            "alpha_out_emission_rao", BASE_UNITS, nullable=False, comment="alpha base units to participants"
        ),
        sa.Column("event_id", sa.String(32), nullable=False, comment="the EmissionObserved event"),
        sa.Column("seq", sa.BigInteger, nullable=False),
        *_key(postgres, "block_number", "netuid"),
        comment="Grain: one row per (block, netuid) of an EmissionObserved event's subnets.",
    )
    if postgres:
        for name, table, columns in STAGING_PG_INDEXES:
            op.create_index(name, table, columns)
    op.create_table(
        "bittensor_epoch_prices",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("block_number", sa.BigInteger, primary_key=True, comment="the metagraph epoch block"),
        sa.Column(
            "price_block", sa.BigInteger, comment="the block the price is observed at (<= block_number)"
        ),
        sa.Column("subnet_tao_rao", BASE_UNITS),
        sa.Column("subnet_alpha_in_rao", BASE_UNITS),
        sa.Column("price_tao_per_alpha", sa.Double, comment="subnet_tao_rao / subnet_alpha_in_rao"),
        comment="Grain: one row per (netuid, metagraph epoch block): the pool price its alpha converts at.",
    )
    op.create_table(
        "bittensor_emission_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("blocks", sa.Integer, nullable=False, comment="EmissionObserved blocks stored that day"),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("minted_rao", BASE_UNITS, nullable=False, comment="sum over the day's blocks of minted"),
        sa.Column(
            "net_issuance_rao",
            BASE_UNITS,
            nullable=False,
            comment="sum over the day's blocks of TotalIssuance after - before (minted - recycled)",
        ),
        sa.Column("total_issuance_rao", BASE_UNITS, comment="TotalIssuance at last_block"),
        sa.Column(
            "staked_rao",
            BASE_UNITS,
            comment="at last_block: SubnetTAO(0) (root stake) + sum of the other SubnetTAO",
        ),
        sa.Column("root_stake_rao", BASE_UNITS, comment="SubnetTAO(0) at last_block"),
        comment="Grain: one row per UTC day with EmissionObserved blocks.",
    )
    op.create_table(
        "subnet_emission_daily",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("blocks", sa.Integer, nullable=False),
        sa.Column("tao_injected_tao", NINE, nullable=False, comment="sum of SubnetTaoInEmission"),
        sa.Column(
            "excess_tao", NINE, nullable=False, comment="sum of SubnetExcessTao (minted, not injected)"
        ),
        sa.Column("alpha_to_pool_alpha", NINE, nullable=False, comment="sum of SubnetAlphaInEmission"),
        sa.Column(
            "alpha_to_participants_alpha", NINE, nullable=False, comment="sum of SubnetAlphaOutEmission"
        ),
        sa.Column(
            "owner_cut_alpha",
            NINE,
            nullable=False,
            comment="sum per block of SubnetAlphaOutEmission x SubnetOwnerCut / 65535 (to the rao, rounded down)",
        ),
        sa.Column(
            "owner_cut_tao", NINE, nullable=False, comment="each block's owner cut at that block's pool price"
        ),
        sa.Column(
            "miner_incentive_alpha",
            NINE,
            comment="emission of the day's epochs to UIDs without validator permit",
        ),
        sa.Column("miner_incentive_tao", NINE, comment="the same, each epoch at its pool price"),
        sa.Column(
            "validator_dividends_alpha", NINE, comment="emission of the day's epochs to permit holders"
        ),
        sa.Column("validator_dividends_tao", NINE, comment="the same, each epoch at its pool price"),
        sa.Column("last_block", sa.BigInteger, comment="the day's last block observation"),
        sa.Column("price_tao_per_alpha", sa.Double, comment="pool price at last_block"),
        sa.Column("pool_tao", NINE, comment="SubnetTAO at last_block"),
        sa.Column("pool_alpha", NINE, comment="SubnetAlphaIn at last_block"),
        comment="Grain: one row per (netuid, UTC day) with block or epoch observations of the subnet.",
    )


def _miners(postgres: bool) -> None:
    op.drop_table("miners")
    op.create_table(
        "miners",
        sa.Column("netuid", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("uid", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("hotkey", sa.String(64), nullable=False),
        sa.Column("coldkey", sa.String(64)),
        sa.Column("registered_block", sa.BigInteger),
        sa.Column("registered_at", sa.DateTime),
        sa.Column("deregistered_block", sa.BigInteger),
        sa.Column("deregistered_at", sa.DateTime),
        sa.Column("first_observed_at", sa.DateTime),
        sa.Column("last_observed_block", sa.BigInteger),
        sa.Column("last_observed_at", sa.DateTime),
        sa.Column("observations", sa.Integer, nullable=False),
        sa.Column("incentive", sa.Double),
        sa.Column("emission_alpha", NINE, comment="alpha received at the latest epoch"),
        sa.Column("emission_tao", NINE, comment="emission_alpha at price_tao_per_alpha"),
        sa.Column("total_emission_alpha", NINE, comment="alpha received over every observed epoch"),
        sa.Column("stake_alpha", NINE, comment="stake in the subnet's alpha at the latest epoch"),
        sa.Column("stake_tao", NINE, comment="stake_alpha at price_tao_per_alpha"),
        sa.Column("price_tao_per_alpha", sa.Double, comment="pool price of the latest epoch block"),
        sa.Column("price_block", sa.BigInteger, comment="the block that price was observed at"),
        sa.Column("earns", sa.Boolean),
        sa.Column("event_id", sa.String(32)),
        *_key(postgres, "netuid", "uid", "hotkey"),
        comment="Grain: one row per (netuid, uid, hotkey) that held a UID without validator permit.",
    )


def _subnets() -> None:
    op.drop_table("subnets")
    op.create_table(
        "subnets",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("registered_block", sa.BigInteger),
        sa.Column("registered_at", sa.DateTime),
        sa.Column("removed_at", sa.DateTime),
        sa.Column("tempo", sa.Integer),
        sa.Column("emission_share", sa.Double, comment="emission_tao over the sum of every live subnet's"),
        sa.Column("emission_tao", NINE, comment="TAO emission per block the chain reports (DynamicInfo)"),
        sa.Column("price_tao_per_alpha", sa.Double, comment="pool price: pool_tao / pool_alpha"),
        sa.Column("price_block", sa.BigInteger, comment="the block the pool was observed at"),
        sa.Column("pool_tao", NINE, comment="TAO in the pool (tao_in)"),
        sa.Column("pool_alpha", NINE, comment="alpha in the pool (alpha_in)"),
        sa.Column("stake_alpha", NINE, comment="alpha held by stakers (alpha_out)"),
        sa.Column(
            "stake_tao", NINE, comment="stake_alpha at price_tao_per_alpha; root: the TAO staked on root"
        ),
        sa.Column("miners", sa.Integer),
        sa.Column("validators", sa.Integer),
        sa.Column("last_observed_at", sa.DateTime),
        sa.Column("event_id", sa.String(32)),
        comment="Grain: one row per netuid.",
    )


def _ecosystem() -> None:
    for table in ("ecosystem_daily", "ecosystem_day_members", "ecosystem_day_totals"):
        op.drop_table(table)
    op.create_table(
        "ecosystem_daily",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False, comment="the chain day is complete (chain_days)"),
        sa.Column(
            "native_unit", sa.String(8), nullable=False, comment="'TAO' or 'SAHARA': the unit of *_native"
        ),
        sa.Column("participants", sa.Integer),
        sa.Column("participants_earning", sa.Integer),
        sa.Column("share_earning", sa.Double),
        sa.Column("validators", sa.Integer),
        sa.Column(
            "emission_native",
            EIGHTEEN,
            comment="Bittensor: TAO minted by the day's blocks (sum of minted); Sahara: SAHARA minted (mint events)",
        ),
        sa.Column(
            "net_issuance_native",
            EIGHTEEN,
            comment="Bittensor: TotalIssuance growth over the day's blocks (minted - recycled)",
        ),
        sa.Column(
            "rewards_native",
            EIGHTEEN,
            comment="Bittensor: UID emission of the day's epochs, each in TAO at its pool price; "
            "Sahara: RewardPaid in SAHARA",
        ),
        sa.Column("rewards_usd", sa.Double, comment="each hour's rewards x that hour's price"),
        sa.Column(
            "miner_incentive_native", EIGHTEEN, comment="Bittensor: rewards to UIDs without validator permit"
        ),
        sa.Column("validator_dividends_native", EIGHTEEN, comment="Bittensor: rewards to permit holders"),
        sa.Column("owner_cut_native", EIGHTEEN, comment="Bittensor: owner cut of the day's blocks, in TAO"),
        sa.Column("rewards_per_participant_native", EIGHTEEN),
        sa.Column("rewards_per_participant_usd", sa.Double),
        sa.Column(
            "stake_native",
            EIGHTEEN,
            comment="Bittensor: SubnetTAO(0) + sum of the other subnets' SubnetTAO at the day's last block; "
            "Sahara: bonded ratio x supply",
        ),
        sa.Column(
            "staking_ratio",
            sa.Double,
            comment="Bittensor: (SubnetTAO(0) + sum over the other subnets of SubnetTAO) / TotalIssuance, "
            "at the day's last observed block; Sahara: the mint module's bonded ratio",
        ),
        sa.Column(
            "supply_native",
            EIGHTEEN,
            comment="Bittensor: TotalIssuance at the day's last block; Sahara: annual provisions / inflation",
        ),
        sa.Column("supply_cap_share", sa.Double, comment="supply_native / max supply (21M TAO, 10B SAHARA)"),
        sa.Column(
            "inflation_annualised",
            sa.Double,
            comment="emission_native x 365 / supply_native; complete days only (NULL on a partial day)",
        ),
        sa.Column("price_usd", sa.Double, comment="the day's last quote"),
        sa.Column("market_cap_usd", sa.Double, comment="supply_native x price_usd"),
        sa.Column("gini", sa.Double, comment="of the day's rewards per participant, in native units"),
        sa.Column("top10_share", sa.Double),
        sa.Column(
            "nakamoto", sa.Integer, comment="fewest validators holding more than half the native stake"
        ),
        sa.Column("units_active", sa.Integer),
        sa.Column("units_label", sa.String(16)),
        sa.Column("last_block", sa.BigInteger, comment="Bittensor: the day's last observed block"),
        comment="Grain: one row per chain per UTC day: the side-by-side comparison.",
    )
    op.create_table(
        "ecosystem_day_members",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True, comment="'participant' or 'validator'"),
        sa.Column("member", sa.String(128), primary_key=True),
        sa.Column(
            "reward_base_units",
            BASE_UNITS,
            nullable=False,
            comment="the day's reward in native base units (TAO rao, each epoch at its pool price; usah)",
        ),
        sa.Column("earner_reward_base_units", BASE_UNITS, comment="the Lorenz curves' part of it"),
        sa.Column("earner", sa.Boolean),
        sa.Column("stake_native", EIGHTEEN, comment="latest of the day, in TAO or SAHARA"),
        sa.Column("permit", sa.Boolean),
        sa.Column("netuid", sa.Integer),
        sa.Column("latest_at", sa.DateTime),
        sa.Column("latest_event_id", sa.String(32)),
        comment="Grain: one row per (chain, day, role, member); running state of ecosystem_daily.",
    )
    op.create_table(
        "ecosystem_day_totals",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("minted_base_units", BASE_UNITS, comment="Sahara: usah minted (mint events)"),
        sa.Column("bonded_ratio", sa.Double, comment="Sahara: the latest mint event's bonded ratio"),
        sa.Column(
            "supply_base_units", BASE_UNITS, comment="Sahara: annual provisions / inflation of that event"
        ),
        sa.Column("mint_block", sa.BigInteger, comment="the block of that latest mint event"),
        sa.Column("submitted", sa.Integer, nullable=False),
        comment="Grain: one row per (chain, day): Sahara's minted tokens, staking state and submissions.",
    )
    op.create_table(
        "ecosystem_day_hours",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column(
            "reward_base_units", BASE_UNITS, nullable=False, comment="native base units paid that hour"
        ),
        comment="Grain: one row per (chain, UTC hour) with rewards: what rewards_usd prices hour by hour.",
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    _staging(postgres)
    _miners(postgres)
    _subnets()
    for name, type_, comment in VALIDATOR_COLUMNS:
        op.add_column("validators", sa.Column(name, type_, comment=comment))
    _ecosystem()
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")
    op.execute(RESET)


def _old_tables(postgres: bool) -> None:
    """The tables as 0004, 0010 and 0011 left them."""
    op.drop_table("miners")
    op.create_table(
        "miners",
        sa.Column("netuid", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("uid", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("hotkey", sa.String(64), nullable=False),
        sa.Column("coldkey", sa.String(64)),
        sa.Column("registered_block", sa.BigInteger),
        sa.Column("registered_at", sa.DateTime),
        sa.Column("deregistered_block", sa.BigInteger),
        sa.Column("deregistered_at", sa.DateTime),
        sa.Column("first_observed_at", sa.DateTime),
        sa.Column("last_observed_block", sa.BigInteger),
        sa.Column("last_observed_at", sa.DateTime),
        sa.Column("observations", sa.Integer, nullable=False),
        sa.Column("incentive", sa.Double),
        sa.Column("emission_rao", BASE_UNITS),
        sa.Column("total_emission_rao", BASE_UNITS),
        sa.Column("stake_rao", BASE_UNITS),
        sa.Column("earns", sa.Boolean),
        sa.Column("event_id", sa.String(32)),
        *_key(postgres, "netuid", "uid", "hotkey"),
    )
    op.drop_table("subnets")
    op.create_table(
        "subnets",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("registered_block", sa.BigInteger),
        sa.Column("registered_at", sa.DateTime),
        sa.Column("removed_at", sa.DateTime),
        sa.Column("tempo", sa.Integer),
        sa.Column("emission_share", sa.Double),
        sa.Column("emission_rao", BASE_UNITS),
        sa.Column("alpha_price_tao", sa.Double),
        sa.Column("tao_in_rao", BASE_UNITS),
        sa.Column("alpha_in", BASE_UNITS),
        sa.Column("alpha_out", BASE_UNITS),
        sa.Column("miners", sa.Integer),
        sa.Column("validators", sa.Integer),
        sa.Column("last_observed_at", sa.DateTime),
        sa.Column("event_id", sa.String(32)),
    )
    for table in ("ecosystem_daily", "ecosystem_day_members", "ecosystem_day_totals", "ecosystem_day_hours"):
        op.drop_table(table)
    op.create_table(
        "ecosystem_daily",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("participants", sa.Integer),
        sa.Column("participants_earning", sa.Integer),
        sa.Column("share_earning", sa.Double),
        sa.Column("validators", sa.Integer),
        sa.Column("rewards_tokens", sa.Double),
        sa.Column("rewards_usd", sa.Double),
        sa.Column("emission_tokens", sa.Double),
        sa.Column("inflation_annualised", sa.Double),
        sa.Column("staking_ratio", sa.Double),
        sa.Column("supply_tokens", sa.Double),
        sa.Column("supply_cap_share", sa.Double),
        sa.Column("price_usd", sa.Double),
        sa.Column("market_cap_usd", sa.Double),
        sa.Column("rewards_per_participant_usd", sa.Double),
        sa.Column("gini", sa.Double),
        sa.Column("top10_share", sa.Double),
        sa.Column("nakamoto", sa.Integer),
        sa.Column("units_active", sa.Integer),
        sa.Column("units_label", sa.String(16)),
    )
    op.create_table(
        "ecosystem_day_members",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("member", sa.String(128), primary_key=True),
        sa.Column("reward_base_units", BASE_UNITS, nullable=False),
        sa.Column("stake", sa.Double),
        sa.Column("permit", sa.Boolean),
        sa.Column("netuid", sa.Integer),
        sa.Column("latest_at", sa.DateTime),
        sa.Column("latest_event_id", sa.String(32)),
        sa.Column("earner_reward_base_units", BASE_UNITS),
        sa.Column("earner", sa.Boolean),
    )
    op.create_table(
        "ecosystem_day_totals",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("minted_base_units", BASE_UNITS),
        sa.Column("bonded_ratio", sa.Double),
        sa.Column("submitted", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name, _type, _comment in VALIDATOR_COLUMNS:
        op.drop_column("validators", name)
    _old_tables(postgres)
    if postgres:
        for name, table, _columns in STAGING_PG_INDEXES:
            op.drop_index(name, table_name=table)
    for table in (
        "subnet_emission_daily",
        "bittensor_emission_daily",
        "bittensor_epoch_prices",
        "stg_bittensor_subnet_blocks",
        "stg_bittensor_issuance",
    ):
        op.drop_table(table)
    for name, sql in OLD_VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")
    op.execute(RESET)
