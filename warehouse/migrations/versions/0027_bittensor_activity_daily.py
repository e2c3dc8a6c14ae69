"""Bittensor day sums for `network_daily`, folded instead of recomputed
(`warehouse.projections.network_bittensor`).

- `bittensor_activity_daily` (one row per UTC day with a signed extrinsic or a transfer): running
  sums of the day's signed extrinsics, their fees, its `Balances.Transfer`s and their amounts, and the
  highest staging `seq` folded into it;
- `bittensor_signer_days` (one row per UTC day and account that signed an extrinsic that day): the
  day's active accounts are the count of its rows.

Until now a run recomputed every day its window touched from that whole day of
`stg_bittensor_extrinsics` and `stg_bittensor_transfers`, so a window much smaller than a day cost a
day of staging. With these tables a run adds the staging rows it has not folded yet and reads the
touched days' rows here. Both belong to the `network_daily` projection; no index beyond the primary
keys is needed (a day's lookup is the leading column of each).

The `network_daily` projection's position is reset, so its next run replays every event and fills
both tables; its rows do not change.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)


def upgrade() -> None:
    op.create_table(
        "bittensor_activity_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column(
            "transactions", sa.BigInteger, nullable=False, comment="signed extrinsics, failed ones included"
        ),
        sa.Column("fees_rao", BASE_UNITS, nullable=False, comment="their TransactionFeePaid.actual_fee, rao"),
        sa.Column("transfers", sa.BigInteger, nullable=False, comment="Balances.Transfer events"),
        sa.Column("volume_rao", BASE_UNITS, nullable=False, comment="TAO they moved, rao"),
        sa.Column(
            "last_seq",
            sa.BigInteger,
            nullable=False,
            comment="the highest staging seq folded into the day; the greatest over all days is where the next "
            "fold starts",
        ),
        comment="Grain: one row per UTC day with a signed Bittensor extrinsic or a transfer: running sums.",
    )
    op.create_table(
        "bittensor_signer_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("signer", sa.String(64), primary_key=True, comment="the signing account (SS58)"),
        comment="Grain: one row per UTC day and Bittensor account that signed an extrinsic that day.",
    )
    op.execute("DELETE FROM projection_state WHERE projection = 'network_daily'")


def downgrade() -> None:
    op.drop_table("bittensor_signer_days")
    op.drop_table("bittensor_activity_daily")
