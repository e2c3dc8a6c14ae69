"""Bittensor: a hotkey leaves `miners` and `validators` when it is deregistered.

Before this revision a UID holder was deregistered only when another hotkey took its UID, and the
`validators` rows ignored even that: a validator whose UID was taken kept its last stake, and the
miners and validators of a subnet removed by `NetworkRemoved` stayed listed (and counted in
`v_miners_earning_by_subnet`, `v_validators`). Now a holder is also deregistered at its subnet's first
removal after its last sighting, and a Bittensor `validators` row lists only hotkeys still holding
their UID (`warehouse.projections.bittensor`).

No table changes: the `bittensor` projection's position is reset so its next run replays every event
with the new rules (its staging is rebuilt identically; the other projections are unaffected).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

RESET = "DELETE FROM projection_state WHERE projection = 'bittensor'"


def upgrade() -> None:
    op.execute(RESET)


def downgrade() -> None:
    op.execute(RESET)
