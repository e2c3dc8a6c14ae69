"""Milestones: the moments the charts mark, from the chains' own records and the reference facts.

`v_milestones` — grain: one row per milestone:
- a **runtime upgrade** seen on chain: a block whose runtime (`chain_blocks.spec_version`, the spec
  that executed it) is newer than its parent's. The upgrade was enacted in the parent, which is the
  row's block and time; both blocks must be stored, so a range that starts after an upgrade does not
  invent one. Runtimes only go up (a Substrate upgrade must raise `spec_version`), so the first
  stored block of each spec is the only candidate, found by one grouped read;
- a **halving** seen on chain: the first block that minted less than its parent
  (`stg_bittensor_issuance.minted_rao`, the BlockEmission the parent held), both stored;
- a dated **reference fact** (`reference_facts` whose unit is `date`, `month` or `quarter`: dTAO,
  the TGE, the mainnet, the ETF filing, ...), at the first day of the period its value names. The
  loader refuses such a fact whose value is not a date, month or quarter, so the casts cannot fail.

Nothing is stored: the view reads the tables as they are, so a new block or a changed fact shows at
once. The dashboard reads it through `dashboards.queries.milestones`, which keeps the answer until the
warehouse changes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_PERIOD_START = """
    CASE unit
        WHEN 'date' THEN CAST(value AS DATE)
        WHEN 'month' THEN CAST(value || '-01' AS DATE)
        ELSE CAST(
            SUBSTR(value, 1, 4) || '-'
            || CASE SUBSTR(value, 7, 1) WHEN '1' THEN '01' WHEN '2' THEN '04' WHEN '3' THEN '07' ELSE '10' END
            || '-01' AS DATE)
    END
"""

VIEW = f"""
    CREATE VIEW v_milestones AS
    WITH spec_first AS (
        SELECT source, stream, spec_version, MIN(block_number) AS block_number
        FROM chain_blocks
        WHERE spec_version IS NOT NULL
        GROUP BY source, stream, spec_version
    ),
    upgrades AS (
        SELECT f.source, f.stream, p.spec_version AS spec_from, f.spec_version AS spec_to,
               p.block_number, p.block_time
        FROM spec_first f
        JOIN chain_blocks p
          ON p.source = f.source AND p.stream = f.stream AND p.block_number = f.block_number - 1
        WHERE p.spec_version < f.spec_version
    ),
    emission_first AS (
        SELECT minted_rao, MIN(block_number) AS block_number FROM stg_bittensor_issuance GROUP BY minted_rao
    ),
    emission_cuts AS (
        SELECT i.block_number, i.block_time, p.minted_rao AS before_rao, i.minted_rao AS after_rao
        FROM emission_first f
        JOIN stg_bittensor_issuance i ON i.block_number = f.block_number
        JOIN stg_bittensor_issuance p ON p.block_number = f.block_number - 1
        WHERE i.minted_rao < p.minted_rao
    )
    SELECT 'runtime:' || source || ':' || stream || ':' || CAST(spec_to AS VARCHAR) AS milestone_id,
           CASE source WHEN 'subtensor' THEN 'bittensor' ELSE 'sahara' END AS chain,
           'runtime_upgrade' AS kind,
           'runtime ' || CAST(spec_to AS VARCHAR) AS label,
           'runtime upgrade: spec ' || CAST(spec_from AS VARCHAR) || ' to ' || CAST(spec_to AS VARCHAR)
               || ', enacted in block ' || CAST(block_number AS VARCHAR) || '; block '
               || CAST(block_number + 1 AS VARCHAR) || ' is the first the new runtime executed' AS detail,
           block_time AS occurred_at,
           'block' AS resolution,
           block_number,
           'on chain: the spec_version of ' || source || ' blocks ' || CAST(block_number AS VARCHAR)
               || ' and ' || CAST(block_number + 1 AS VARCHAR) || ' (chain_blocks)' AS source_title,
           CAST(NULL AS VARCHAR) AS source_url,
           CAST(NULL AS VARCHAR) AS fact_id
    FROM upgrades
    UNION ALL
    SELECT 'halving:bittensor:' || CAST(block_number AS VARCHAR),
           'bittensor',
           'halving',
           'halving',
           'block emission cut from ' || CAST(before_rao AS VARCHAR) || ' to ' || CAST(after_rao AS VARCHAR)
               || ' rao per block: block ' || CAST(block_number AS VARCHAR) || ' is the first to mint less',
           block_time,
           'block',
           block_number,
           'on chain: the TAO minted by blocks ' || CAST(block_number - 1 AS VARCHAR) || ' and '
               || CAST(block_number AS VARCHAR) || ' (SubtensorModule.EmissionObserved, stg_bittensor_issuance)',
           CAST(NULL AS VARCHAR),
           CAST(NULL AS VARCHAR)
    FROM emission_cuts
    UNION ALL
    SELECT 'fact:' || fact_id,
           subject,
           'reference',
           fact,
           fact || ': ' || value || COALESCE(' (' || note || ')', ''),
           CAST({_PERIOD_START} AS TIMESTAMP),
           unit,
           CAST(NULL AS BIGINT),
           source_title,
           source_url,
           fact_id
    FROM reference_facts
    WHERE unit IN ('date', 'month', 'quarter')
"""


def upgrade() -> None:
    from warehouse.dictionary import apply_comments

    op.execute(VIEW)
    apply_comments(op.get_bind(), ["v_milestones"])


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_milestones")
