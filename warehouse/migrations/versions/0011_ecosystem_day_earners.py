"""`ecosystem_day_members` gains the Lorenz curves' measure: `earner_reward_base_units` and `earner`.

The comparison page's Lorenz curves sum each participant's rewards over a date range. They read one
row per (chain, day, member) of this running state instead of every metagraph observation in the
range (about 9M rows at 10M events). A Bittensor participant row also covers a UID's observations
with a validator permit, which the curves leave out, so the day's rows gain:
- `earner_reward_base_units`: the reward from the observations the curves count (Bittensor: those
  without validator permit; Sahara: all of a contributor's payments, as in `reward_base_units`);
- `earner`: whether the member counts as a participant of the curves that day (Bittensor: at least
  one observation without validator permit that day; Sahara: every contributor).

The columns are filled by the projection, so `ecosystem_daily`'s position is reset: its next run
replays it from the first event into emptied tables (until then the curves show no rewards).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

RESET = "DELETE FROM projection_state WHERE projection = 'ecosystem_daily'"


def upgrade() -> None:
    op.add_column("ecosystem_day_members", sa.Column("earner_reward_base_units", sa.Numeric(38, 0)))
    op.add_column("ecosystem_day_members", sa.Column("earner", sa.Boolean))
    op.execute(RESET)


def downgrade() -> None:
    op.drop_column("ecosystem_day_members", "earner")
    op.drop_column("ecosystem_day_members", "earner_reward_base_units")
    op.execute(RESET)
