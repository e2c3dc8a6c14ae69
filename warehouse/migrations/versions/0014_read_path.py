"""The read path: a reader role and revoked server-file functions on PostgreSQL (placeholder, filled by the security work).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
