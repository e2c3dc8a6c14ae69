"""The data dictionary in the database: `COMMENT ON` every table, view and column (`warehouse.dictionary`).

Each comment says what the object means, its unit and, for a table or view, its grain, so any SQL
client shows it (DuckDB: `duckdb_tables()`, `duckdb_views()`, `duckdb_columns()`; PostgreSQL:
`obj_description`, `col_description`, `\\d+`). On PostgreSQL each partition of `events` gets its
parent's comments too.

The comments are not frozen here: this revision writes the dictionary as it is, and
`warehouse.db.migrate` writes it again after every upgrade, since a later revision may add a table (its
entries go into `warehouse/dictionary.py` in the same change; `tests/test_dictionary.py` fails on every
column without a comment) or create a view again, which on DuckDB drops the view's comments. A
revision that recreates a view should also call `apply_comments(op.get_bind(), [view])` itself, so
the view is described even when Alembic is run on its own.

Downgrading leaves the comments: they are documentation, no code reads them, and the revisions
before this one set some of them already.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from warehouse.dictionary import apply_comments

    apply_comments(op.get_bind())


def downgrade() -> None:
    pass
