"""Complete days: chain and market day completeness.

- `ingest_batches` gains `before_block_time` and `after_block_time`: the times of the blocks just
  outside a batch's range (block range_start - 1, and block range_end when it was final), as the
  pipeline read them from the node. They prove that a day's first and last stored blocks are its first
  and last.
- `chain_source_days` (one row per source, stream and UTC day with a stored block) and `chain_days`
  (one row per chain and UTC day): first and last stored block, blocks stored and `complete`: the
  chain's finalized head is past the day's end and every block of the day is stored.
  `chain_days_batches` lists the batches the projection has folded in.
- `market_caps_daily` gains `hours_stored` and `complete` (all 24 hourly quotes stored); its position
  is reset so the next run replays it and fills them.
- Sahara amounts in their units: `annotations.reward_usah` becomes `reward_wei` (base units, 1e18
  per SAHARA) with `reward_sahara` beside it; `contributors.rewards_usah` becomes `rewards_wei` and
  `rewards_sahara` turns from a double into an exact NUMERIC(38, 18). `sahara_daily` (one row per UTC
  day): rewards paid in wei, SAHARA and USD, tokens minted, the mint module's inflation and bonded
  ratio, supply, annualised inflation of complete days, `complete`. The Sahara projections' positions
  are reset so the next run replays them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RESET = (
    "DELETE FROM projection_state WHERE projection IN "
    "('market_caps_daily', 'chain_days', 'sahara_annotations', 'sahara_daily')"
)
EXACT_SAHARA = sa.Numeric(38, 18)
#: The analyst view that reads `contributors.rewards_sahara` (PostgreSQL will not retype a column a
#: view reads): dropped and created again around the change, with the same text as migration 0007.
LEADERBOARD = """
    SELECT contributor, submitted, reviewed, accepted, acceptance_rate, rewards_sahara, reputation_tier,
           first_seen_at, last_active_at
    FROM contributors
"""


def _sahara_units(upgrade: bool) -> None:
    op.execute("DROP VIEW IF EXISTS v_contributor_leaderboard")
    if upgrade:
        op.execute("ALTER TABLE annotations RENAME COLUMN reward_usah TO reward_wei")
        op.add_column("annotations", sa.Column("reward_sahara", EXACT_SAHARA))
        op.execute("ALTER TABLE contributors RENAME COLUMN rewards_usah TO rewards_wei")
        op.execute("ALTER TABLE contributors ALTER COLUMN rewards_sahara TYPE NUMERIC(38, 18)")
    else:
        op.execute("ALTER TABLE contributors ALTER COLUMN rewards_sahara TYPE DOUBLE PRECISION")
        op.execute("ALTER TABLE contributors RENAME COLUMN rewards_wei TO rewards_usah")
        op.drop_column("annotations", "reward_sahara")
        op.execute("ALTER TABLE annotations RENAME COLUMN reward_wei TO reward_usah")
    op.execute(f"CREATE VIEW v_contributor_leaderboard AS {LEADERBOARD}")


def _batches_columns(change) -> None:
    """Alter `ingest_batches`; DuckDB refuses to alter a table with an index on it, so on DuckDB
    its one index is dropped around the change and recreated after it."""
    duckdb = op.get_bind().dialect.name == "duckdb"
    if duckdb:
        op.execute("DROP INDEX IF EXISTS ix_ingest_batches_source")
    change()
    if duckdb:
        op.create_index("ix_ingest_batches_source", "ingest_batches", ["source", "stream", "started_at"])


def upgrade() -> None:
    _batches_columns(
        lambda: (
            op.add_column("ingest_batches", sa.Column("before_block_time", sa.DateTime)),
            op.add_column("ingest_batches", sa.Column("after_block_time", sa.DateTime)),
        )
    )
    op.create_table(
        "chain_source_days",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("chain", sa.String(16), nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("blocks_stored", sa.Integer, nullable=False),
        sa.Column("previous_block_time", sa.DateTime),
        sa.Column("next_block_time", sa.DateTime),
        sa.Column("complete", sa.Boolean, nullable=False),
    )
    op.create_table(
        "chain_days",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("blocks_stored", sa.Integer, nullable=False),
    )
    op.create_table("chain_days_batches", sa.Column("batch_id", sa.String(36), primary_key=True))
    op.add_column("market_caps_daily", sa.Column("hours_stored", sa.Integer))
    op.add_column("market_caps_daily", sa.Column("complete", sa.Boolean))
    _sahara_units(upgrade=True)
    op.create_table(
        "sahara_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("payments", sa.Integer, nullable=False),
        sa.Column("contributors_paid", sa.Integer, nullable=False),
        sa.Column("rewards_paid_wei", sa.Numeric(38, 0), nullable=False),
        sa.Column("rewards_paid_sahara", EXACT_SAHARA, nullable=False),
        sa.Column("rewards_paid_usd", sa.Double),
        sa.Column("mint_blocks", sa.Integer, nullable=False),
        sa.Column("minted_wei", sa.Numeric(38, 0), nullable=False),
        sa.Column("minted_sahara", EXACT_SAHARA, nullable=False),
        sa.Column("inflation_rate", EXACT_SAHARA),
        sa.Column("bonded_ratio", EXACT_SAHARA),
        sa.Column("supply_sahara", sa.Double),
        sa.Column("inflation_annualised", sa.Double),
        sa.Column("bonded_observed_sahara", sa.Numeric(38, 0)),
        sa.Column("price_usd", sa.Double),
    )
    op.execute(RESET)


def downgrade() -> None:
    op.drop_table("sahara_daily")
    _sahara_units(upgrade=False)
    op.drop_column("market_caps_daily", "complete")
    op.drop_column("market_caps_daily", "hours_stored")
    op.drop_table("chain_days_batches")
    op.drop_table("chain_days")
    op.drop_table("chain_source_days")
    _batches_columns(
        lambda: (
            op.drop_column("ingest_batches", "after_block_time"),
            op.drop_column("ingest_batches", "before_block_time"),
        )
    )
    op.execute(RESET)
