"""Bittensor staging: `stg_bittensor_neurons`, one row per `SubtensorModule.NeuronObserved` event.

Typed and renamed only: scores normalised 0..1 (u16 / 65535), amounts kept in rao as NUMERIC(38, 0).
The marts `miners`, `validators` (chain = 'bittensor') and `subnets` (migration 0004) read it, keyed
by (netuid, uid) and (netuid, hotkey), so recomputing the keys new events touch stays cheap.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)


def upgrade() -> None:
    op.create_table(
        "stg_bittensor_neurons",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("netuid", sa.Integer, nullable=False),
        sa.Column("uid", sa.Integer, nullable=False),
        sa.Column("hotkey", sa.String(64), nullable=False),
        sa.Column("coldkey", sa.String(64)),
        sa.Column("stake_rao", BASE_UNITS),
        sa.Column("emission_rao", BASE_UNITS),
        sa.Column("rank", sa.Double),
        sa.Column("incentive", sa.Double),
        sa.Column("dividends", sa.Double),
        sa.Column("consensus", sa.Double),
        sa.Column("trust", sa.Double),
        sa.Column("validator_trust", sa.Double),
        sa.Column("pruning_score", sa.Double),
        sa.Column("validator_permit", sa.Boolean),
        sa.Column("active", sa.Boolean),
        sa.Column("last_update", sa.BigInteger),
        sa.Column("axon_block", sa.BigInteger),
    )
    op.create_index(
        "ix_stg_bittensor_neurons_uid", "stg_bittensor_neurons", ["netuid", "uid", "block_number"]
    )
    op.create_index(
        "ix_stg_bittensor_neurons_hotkey", "stg_bittensor_neurons", ["netuid", "hotkey", "block_number"]
    )


def downgrade() -> None:
    op.drop_index("ix_stg_bittensor_neurons_hotkey", table_name="stg_bittensor_neurons")
    op.drop_index("ix_stg_bittensor_neurons_uid", table_name="stg_bittensor_neurons")
    op.drop_table("stg_bittensor_neurons")
