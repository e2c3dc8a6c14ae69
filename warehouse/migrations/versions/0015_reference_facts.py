"""Reference facts: the off-chain figures of the comparison with their sources (`reference_facts`).

The table mirrors `warehouse/data/reference_facts.csv` (see warehouse.reference). This revision
creates it, the `v_reference_facts` view, and loads the file as it is now; `decai migrate` and
`decai backfill` load it again on every run, so a changed file reaches the warehouse without a new
revision.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

VIEW = """
    CREATE VIEW v_reference_facts AS
    SELECT subject, fact_id, fact, value, value_number, unit, as_of, source_title, source_url, note
    FROM reference_facts
"""


def upgrade() -> None:
    from warehouse.reference import load_reference_facts

    table = op.create_table(
        "reference_facts",
        sa.Column(
            "fact_id", sa.String(64), nullable=False, comment="stable key of the fact, e.g. sh_funding"
        ),
        sa.Column("subject", sa.String(32), nullable=False, comment="'bittensor', 'sahara' or 'sector'"),
        sa.Column("fact", sa.Text, nullable=False, comment="what the value states, in words"),
        sa.Column(
            "value",
            sa.Text,
            nullable=False,
            comment="the value as the source gives it (number, date, yes, text)",
        ),
        sa.Column(
            "value_number",
            sa.Numeric(38, 6),
            comment="value as an exact number when it is one (in `unit`); NULL for dates, ranges and text",
        ),
        sa.Column(
            "unit", sa.String(32), comment="USD, TAO, people, ratio, date, month, quarter, flag, text, ..."
        ),
        sa.Column("as_of", sa.Date, nullable=False, comment="the date the source states the fact for"),
        sa.Column("source_title", sa.Text, nullable=False, comment="title (and publisher) of the source"),
        sa.Column("source_url", sa.Text, nullable=False, comment="http(s) address of the source"),
        sa.Column("note", sa.Text, comment="qualifier from the source (about, 3M+, as reported by the team)"),
        sa.PrimaryKeyConstraint("fact_id"),
        comment=(
            "Grain: one row per off-chain reference fact (funding, IDO, ETF filing, launches, third-party "
            "counts), each with its source and as-of date; loaded from warehouse/data/reference_facts.csv."
        ),
    )
    op.execute(VIEW)
    load_reference_facts(op.get_bind(), table=table)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_reference_facts")
    op.drop_table("reference_facts")
