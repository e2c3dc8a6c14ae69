"""Marts of both networks: miners, validators, subnets, annotations, contributors, ecosystem_daily.

Token amounts keep their base units as NUMERIC(38, 0) (`*_rao`, `*_usah`) next to a convenience
column in whole tokens (`*_tao`, `*_sahara`). Scores from the chain's u16 are stored normalised 0..1.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)


def upgrade() -> None:
    op.create_table(
        "miners",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("uid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hotkey", sa.String(64), primary_key=True),
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
    )
    op.create_table(
        "validators",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("validator_id", sa.String(96), primary_key=True),
        sa.Column("netuid", sa.Integer),
        sa.Column("address", sa.String(96), nullable=False),
        sa.Column("owner", sa.String(96)),
        sa.Column("stake_base_units", BASE_UNITS),
        sa.Column("stake_tokens", sa.Double),
        sa.Column("dividends", sa.Double),
        sa.Column("validator_trust", sa.Double),
        sa.Column("emission_base_units", BASE_UNITS),
        sa.Column("voting_power", sa.BigInteger),
        sa.Column("delegators", sa.Integer),
        sa.Column("delegated_base_units", BASE_UNITS),
        sa.Column("commission_rate", sa.Double),
        sa.Column("first_observed_at", sa.DateTime),
        sa.Column("last_observed_at", sa.DateTime),
        sa.Column("event_id", sa.String(32)),
    )
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
    op.create_table(
        "annotations",
        sa.Column("annotation_id", sa.String(80), primary_key=True),
        sa.Column("task_id", sa.String(80)),
        sa.Column("client", sa.String(64)),
        sa.Column("contributor", sa.String(64)),
        sa.Column("content_hash", sa.String(80)),
        sa.Column("submitted_block", sa.BigInteger),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("reviewed_at", sa.DateTime),
        sa.Column("reviewer", sa.String(64)),
        sa.Column("accepted", sa.Boolean),
        sa.Column("quality_score", sa.Double),
        sa.Column("reward_usah", BASE_UNITS),
        sa.Column("paid_at", sa.DateTime),
        sa.Column("event_id", sa.String(32)),
    )
    op.create_table(
        "contributors",
        sa.Column("contributor", sa.String(64), primary_key=True),
        sa.Column("first_seen_at", sa.DateTime),
        sa.Column("last_active_at", sa.DateTime),
        sa.Column("submitted", sa.Integer, nullable=False),
        sa.Column("reviewed", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("acceptance_rate", sa.Double),
        sa.Column("rewards_usah", BASE_UNITS),
        sa.Column("rewards_sahara", sa.Double),
        sa.Column("reputation_tier", sa.Integer),
    )
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


def downgrade() -> None:
    for table in ("ecosystem_daily", "contributors", "annotations", "subnets", "validators", "miners"):
        op.drop_table(table)
