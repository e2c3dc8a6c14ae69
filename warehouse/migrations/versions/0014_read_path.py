"""The read path: nothing to migrate per schema (a documented no-op).

The PostgreSQL reader login is kept by `decai migrate` itself (`warehouse.db.ensure_reader`, which
calls `warehouse.readonly.ensure_reader_role` after every upgrade), not by this revision, because:
- the role is cluster-wide while a revision runs once per warehouse schema;
- its name and password come from settings (WAREHOUSE_READ_URL, DECAI_READER_ROLE,
  DECAI_READER_PASSWORD) and must follow them on every run, not only the first;
- its SELECT grants must cover tables that later revisions and projections create.
DuckDB needs no role: reads open the file read-only with external access off.

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
