"""`chain_days`: which UTC days of each chain are stored whole.

A chain day is **complete** when the chain's finalized head is past the day's end and every block of
the day is stored. Block times only grow with the block number, so for a source's stored blocks of
day D, first block F and last block L, that holds exactly when:
- no block in between is missing: blocks stored = L - F + 1 (a gap makes the day incomplete);
- F is the day's first block: block F - 1 is known and its time is before D;
- L is the day's last block: block L + 1 is known, final, and its time is at or after D + 1 day.
Blocks F - 1 and L + 1 are known when they are stored (`chain_blocks`) or when the batch that
stopped next to them recorded their time (`ingest_batches.before_block_time` / `after_block_time`:
the pipeline reads the time of block range_end only when the finalized head has reached it). So a
day ingested whole is complete, and the day cut by a range's end is not until its remaining blocks
are stored. A day whose first block is the chain's genesis block (subtensor 0, CometBFT and EVM
height 1) needs no block before it.

**`chain_source_days`** — grain: one row per (source, stream, UTC day) with a stored block, with the
columns above. **`chain_days`** — grain: one row per (chain, UTC day) whose consensus source
(`subtensor` for Bittensor, `cometbft` for Sahara) stored a block that day; `first_block`,
`last_block` and `blocks_stored` are that source's; `complete` requires every source the chain's
figures are read from to be complete that day (Bittensor: subtensor; Sahara: cometbft for staking
and minting, evm for the contracts' events).

Folded by batch: a run takes the committed batches it has not seen (`chain_days_batches`), the days
their blocks and boundary blocks fall in, and recomputes only those days from `chain_blocks` and
`ingest_batches`; so incremental runs and a rebuild give the same rows. The projection is run with
the others, when new events arrive (every Bittensor and CometBFT block carries events).
"""

from warehouse.projections.base import OnlyOn, Projection, register

#: (chain, source, whether it is the chain's consensus source) of every source a chain day needs.
REQUIRED_SOURCES = (
    ("bittensor", "subtensor", True),
    ("sahara", "cometbft", True),
    ("sahara", "evm", False),
)
_REQUIRED = " UNION ALL ".join(
    f"SELECT '{chain}' AS chain, '{source}' AS source, {'TRUE' if primary else 'FALSE'} AS is_primary"
    for chain, source, primary in REQUIRED_SOURCES
)
_SOURCES = ", ".join(f"'{source}'" for _, source, _ in REQUIRED_SOURCES)
_CHAIN_OF = (
    "CASE source "
    + " ".join(f"WHEN '{source}' THEN '{chain}'" for chain, source, _ in REQUIRED_SOURCES)
    + " END"
)
_NEXT_DAY = "day + INTERVAL '1 day'"
#: The first block of each source's chain: nothing precedes it.
GENESIS = {"subtensor": 0, "cometbft": 1, "evm": 1}
_GENESIS_OF = "CASE source " + " ".join(f"WHEN '{s}' THEN {n}" for s, n in GENESIS.items()) + " END"

NEW_BATCHES = f"""
    CREATE TEMPORARY TABLE w_cd_batches AS
    SELECT b.batch_id, b.source, b.stream, b.range_start, b.range_end, b.before_block_time, b.after_block_time
    FROM ingest_batches b
    WHERE b.range_unit = 'block' AND b.source IN ({_SOURCES})
      AND NOT EXISTS (SELECT 1 FROM chain_days_batches p WHERE p.batch_id = b.batch_id)
"""

#: The days whose status a new batch can change: those of its blocks, of the stored blocks next to
#: its range, and of its boundary blocks.
TOUCHED_DAYS = """
    CREATE TEMPORARY TABLE w_cd_touched AS
    SELECT DISTINCT source, stream, CAST(date_trunc('day', at_) AS DATE) AS day
    FROM (
        SELECT b.source, b.stream, c.block_time AS at_
        FROM w_cd_batches b
        JOIN chain_blocks c
          ON c.source = b.source AND c.stream = b.stream
         AND c.block_number >= b.range_start - 1 AND c.block_number <= b.range_end
        UNION ALL
        SELECT source, stream, before_block_time FROM w_cd_batches WHERE before_block_time IS NOT NULL
        UNION ALL
        SELECT source, stream, after_block_time FROM w_cd_batches WHERE after_block_time IS NOT NULL
    ) x
"""

SOURCE_DAYS = f"""
    CREATE TEMPORARY TABLE w_cd_days AS
    WITH blocks AS (
        SELECT t.source, t.stream, t.day, MIN(c.block_number) AS first_block,
               MAX(c.block_number) AS last_block, COUNT(*) AS blocks_stored
        FROM w_cd_touched t
        JOIN chain_blocks c
          ON c.source = t.source AND c.stream = t.stream
         AND c.block_time >= t.day AND c.block_time < t.{_NEXT_DAY}
        GROUP BY t.source, t.stream, t.day
    ),
    edges AS (
        SELECT b.*,
               COALESCE(
                   (SELECT p.block_time FROM chain_blocks p
                    WHERE p.source = b.source AND p.stream = b.stream AND p.block_number = b.first_block - 1),
                   (SELECT MAX(i.before_block_time) FROM ingest_batches i
                    WHERE i.source = b.source AND i.stream = b.stream AND i.range_unit = 'block'
                      AND i.range_start = b.first_block)
               ) AS previous_block_time,
               COALESCE(
                   (SELECT n.block_time FROM chain_blocks n
                    WHERE n.source = b.source AND n.stream = b.stream AND n.block_number = b.last_block + 1),
                   (SELECT MAX(i.after_block_time) FROM ingest_batches i
                    WHERE i.source = b.source AND i.stream = b.stream AND i.range_unit = 'block'
                      AND i.range_end = b.last_block + 1)
               ) AS next_block_time
        FROM blocks b
    )
    SELECT source, stream, day, {_CHAIN_OF} AS chain, first_block, last_block, blocks_stored,
           previous_block_time, next_block_time,
           COALESCE(blocks_stored = last_block - first_block + 1
                    AND (previous_block_time < day OR first_block = {_GENESIS_OF})
                    AND next_block_time >= {_NEXT_DAY}, FALSE) AS complete
    FROM edges
"""

_COLUMNS = (
    "source, stream, day, chain, first_block, last_block, blocks_stored, previous_block_time, "
    "next_block_time, complete"
)

REPLACE_SOURCE_DAYS = (
    """
    DELETE FROM chain_source_days WHERE EXISTS (
        SELECT 1 FROM w_cd_touched t
        WHERE t.source = chain_source_days.source AND t.stream = chain_source_days.stream
          AND t.day = chain_source_days.day
    )
    """,
    f"INSERT INTO chain_source_days ({_COLUMNS}) SELECT {_COLUMNS} FROM w_cd_days",
)

TOUCHED_CHAIN_DAYS = f"""
    CREATE TEMPORARY TABLE w_cd_chain_days AS SELECT DISTINCT {_CHAIN_OF} AS chain, day FROM w_cd_touched
"""

REPLACE_CHAIN_DAYS = (
    """
    DELETE FROM chain_days WHERE EXISTS (
        SELECT 1 FROM w_cd_chain_days w WHERE w.chain = chain_days.chain AND w.day = chain_days.day
    )
    """,
    f"""
    INSERT INTO chain_days (chain, day, complete, first_block, last_block, blocks_stored)
    WITH required AS ({_REQUIRED}),
    per_source AS (
        SELECT w.chain, w.day, r.source, r.is_primary, BOOL_OR(s.complete) AS complete,
               MIN(s.first_block) AS first_block, MAX(s.last_block) AS last_block,
               MAX(s.blocks_stored) AS blocks_stored
        FROM w_cd_chain_days w
        JOIN required r ON r.chain = w.chain
        LEFT JOIN chain_source_days s ON s.source = r.source AND s.day = w.day
        GROUP BY w.chain, w.day, r.source, r.is_primary
    )
    SELECT chain, day, BOOL_AND(COALESCE(complete, FALSE)),
           MAX(CASE WHEN is_primary THEN first_block END), MAX(CASE WHEN is_primary THEN last_block END),
           MAX(CASE WHEN is_primary THEN blocks_stored END)
    FROM per_source
    GROUP BY chain, day
    HAVING MAX(CASE WHEN is_primary THEN first_block END) IS NOT NULL
    """,
)

CHAIN_DAYS = register(
    Projection(
        name="chain_days",
        tables=("chain_source_days", "chain_days", "chain_days_batches"),
        doc=__doc__,
        statements=(
            NEW_BATCHES,
            TOUCHED_DAYS,
            OnlyOn("postgresql", "ANALYZE w_cd_touched"),
            SOURCE_DAYS,
            *REPLACE_SOURCE_DAYS,
            TOUCHED_CHAIN_DAYS,
            *REPLACE_CHAIN_DAYS,
            "INSERT INTO chain_days_batches (batch_id) SELECT batch_id FROM w_cd_batches",
            *(f"DROP TABLE {t}" for t in ("w_cd_chain_days", "w_cd_days", "w_cd_touched", "w_cd_batches")),
        ),
        reads_batches=True,
    )
)
