"""Sahara marts: the validator-set staging table, provenance of annotations, consensus addresses.

- `stg_sahara_validator_sets`: one row per `staking.ValidatorObserved` event (a validator in the
  set observed at a height), typed and renamed, with the operator address the same block's
  `distribution.rewards` names for that set position (see `warehouse.projections.sahara`).
- `annotations` gains `reviewed_block`, `review_event_id` and `reward_event_id`, so a row traces to
  the submission, the review and the payment behind it.
- `validators` gains `consensus_address`: CometBFT's address of a Sahara validator, next to its
  operator address (`validator_id`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stg_sahara_validator_sets",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("set_position", sa.Integer, nullable=False),
        sa.Column("consensus_address", sa.String(96), nullable=False),
        sa.Column("voting_power", sa.BigInteger, nullable=False),
        sa.Column("proposer_priority", sa.BigInteger),
        sa.Column("validator_count", sa.Integer),
        sa.Column("operator_address", sa.String(96)),
        sa.Column("reward_atto_usah", sa.Double),
        sa.Column("commission_atto_usah", sa.Double),
    )
    op.create_index(
        "ix_stg_sahara_validator_sets_operator",
        "stg_sahara_validator_sets",
        ["operator_address", "block_number"],
    )
    op.add_column("annotations", sa.Column("reviewed_block", sa.BigInteger))
    op.add_column("annotations", sa.Column("review_event_id", sa.String(32)))
    op.add_column("annotations", sa.Column("reward_event_id", sa.String(32)))
    op.add_column("validators", sa.Column("consensus_address", sa.String(96)))


def downgrade() -> None:
    op.drop_column("validators", "consensus_address")
    for column in ("reward_event_id", "review_event_id", "reviewed_block"):
        op.drop_column("annotations", column)
    op.drop_index("ix_stg_sahara_validator_sets_operator", table_name="stg_sahara_validator_sets")
    op.drop_table("stg_sahara_validator_sets")
