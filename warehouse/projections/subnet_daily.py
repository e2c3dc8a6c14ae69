"""`subnet_daily`: each Bittensor subnet's history, one row per subnet and UTC day.

- `stg_bittensor_subnet_observations` — grain: one row per `SubtensorModule.SubnetObserved` (the
  subnet's `get_dynamic_info` at its epoch block). Typed and renamed only: `name` (`subnet_name`)
  and `owner` (`owner_coldkey`).
- `subnet_day_pool` — grain: one row per (netuid, UTC day) with a block observation: the running state
  of the day's alpha price: the first block and its pool, the last block and its price, and the
  time-weighted sum (`price_rao_seconds`: each block's price in rao per alpha, rounded down, times the
  seconds to the subnet's next block of the day, over `price_seconds`).
- `subnet_daily` — grain: one row per (netuid, UTC day) with a block observation, a metagraph epoch, a
  registration or an observation of the subnet:
  - `name`, `owner`: the subnet's latest `SubnetObserved` by the day's end (`name_block`);
  - `price_open_tao_per_alpha`, `price_close_tao_per_alpha`: the pool price SubnetTAO / SubnetAlphaIn
    at the day's first and last block observation (`first_block`, `last_block`); root's is 1;
    `price_twap_tao_per_alpha`: each block's price held until the subnet's next block of the day,
    averaged over the time from the first block to the last (the open price on a day of one block);
  - `tao_reserve_tao`, `alpha_reserve_alpha`: SubnetTAO and SubnetAlphaIn at the day's last block;
  - `tao_injected_tao` (SubnetTaoInEmission summed over the day's blocks), `alpha_emitted_alpha`
    (SubnetAlphaInEmission + SubnetAlphaOutEmission), both read from `subnet_emission_daily`;
    `emission_share`: the subnet's TAO emission (injected + excess) over every subnet's that day;
  - `registrations`: `NeuronRegistered` events of the day; `registration_burn_tao`: the TAO each one
    cost, the `Balances.Withdraw` right before it in its extrinsic (a network registration's owner UID
    has none);
  - `uids`, `miners` (no validator permit), `validators` (permit) at the day's last metagraph epoch of
    the subnet (`epoch_block`), and the largest miner's and validator's share of that epoch's emission
    to miners and to validators (`top_miner_share`, `top_validator_share`, in the subnet's alpha);
  - `complete` from `chain_days` (Bittensor): every block of the day is stored.

**Units.** Reserves and sums are exact (DECIMAL(38, 9) whole tokens from base units); alpha is the
subnet's own and is never added across subnets. Prices and shares are DOUBLE ratios, each computed once
from exact integers, so a rebuild gives the same value to the last digit.

**Folding.** A run stages the window's observations, folds the window's block observations into
`subnet_day_pool` (the time-weighted sum adds the stored last block's price up to the window's first
block; a day that receives a block at or before its stored last block is recomputed from its own
staging rows, which its block range bounds), adds the window's registrations and burns, replaces the
participants when the window brings a later epoch, and rewrites the touched rows: the window's
(netuid, day) keys, every row of a touched day (the emission share divides by the day's total) and the
later rows of a subnet whose new observation they had not seen yet. `complete` is refreshed for every
row whose chain day changed. Incremental runs and a rebuild give identical rows whatever the split.
"""

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register, replace_rows
from warehouse.projections.bittensor import DIV_MACRO, ROOT, whole

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
RAO = 1_000_000_000


def _seconds(timestamp: str) -> str:
    """A UTC timestamp as whole seconds since 1970 (BIGINT) on both engines."""
    return f"CAST(ROUND(EXTRACT(EPOCH FROM {timestamp})) AS BIGINT)"


def _price_rao(alias: str) -> str:
    """The pool price of a block observation in rao per alpha, rounded down (exact); root's is 1 TAO."""
    return (
        f"CASE WHEN {alias}.netuid = {ROOT} THEN CAST({RAO} AS NUMERIC(38, 0)) "
        f"ELSE div({alias}.subnet_tao_rao * {RAO}, NULLIF({alias}.subnet_alpha_in_rao, 0)) END"
    )


STAGE_OBSERVATIONS = f"""
    INSERT INTO stg_bittensor_subnet_observations (event_id, seq, block_number, block_time, netuid, name, owner)
    SELECT event_id, seq, block_number, block_time, CAST(payload->>'netuid' AS INTEGER),
           payload->>'subnet_name', payload->>'owner'
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.SubnetObserved'
"""

# ------------------------------------------------------------------------------------ the pool price
WINDOW_BLOCKS = f"""
    CREATE TEMPORARY TABLE w_sd_blocks AS
    SELECT netuid, {_DAY} AS day, block_number, block_time, subnet_tao_rao, subnet_alpha_in_rao
    FROM stg_bittensor_subnet_blocks WHERE {WINDOW}
"""

#: Days whose window brings a block at or before their stored last block: recomputed from staging.
WINDOW_REPLAY = """
    CREATE TEMPORARY TABLE w_sd_replay AS
    SELECT p.netuid, p.day, p.first_block, p.last_block
    FROM subnet_day_pool p
    JOIN (SELECT netuid, day, MIN(block_number) AS first_new FROM w_sd_blocks GROUP BY netuid, day) w
      ON w.netuid = p.netuid AND w.day = p.day
    WHERE w.first_new <= p.last_block
"""

REPLAY_BLOCKS = """
    INSERT INTO w_sd_blocks
    SELECT b.netuid, r.day, b.block_number, b.block_time, b.subnet_tao_rao, b.subnet_alpha_in_rao
    FROM stg_bittensor_subnet_blocks b
    JOIN w_sd_replay r
      ON r.netuid = b.netuid AND b.block_number >= r.first_block AND b.block_number <= r.last_block
    WHERE b.seq <= :lo
      AND b.block_number >= (SELECT MIN(first_block) FROM w_sd_replay)
      AND b.block_number <= (SELECT MAX(last_block) FROM w_sd_replay)
"""

DELETE_REPLAYED_POOLS = """
    DELETE FROM subnet_day_pool
    WHERE EXISTS (SELECT 1 FROM w_sd_replay r WHERE r.netuid = subnet_day_pool.netuid AND r.day = subnet_day_pool.day)
"""

_GAP = f"({_seconds('excluded.first_block_time')} - {_seconds('subnet_day_pool.last_block_time')})"

#: The window's blocks per (netuid, day): the first and last, and the time-weighted sum between them;
#: a stored day adds its last block's price up to the window's first block.
FOLD_POOLS = f"""
    INSERT INTO subnet_day_pool
        (netuid, day, first_block, first_block_time, first_tao_rao, first_alpha_in_rao, last_block,
         last_block_time, last_price_rao, price_rao_seconds, price_seconds)
    WITH w AS (
        SELECT b.*, {_price_rao("b")} AS price_rao,
               {_seconds("LEAD(b.block_time) OVER (PARTITION BY b.netuid, b.day ORDER BY b.block_number)")}
                   - {_seconds("b.block_time")} AS held,
               ROW_NUMBER() OVER (PARTITION BY b.netuid, b.day ORDER BY b.block_number) AS first_rn,
               ROW_NUMBER() OVER (PARTITION BY b.netuid, b.day ORDER BY b.block_number DESC) AS last_rn
        FROM w_sd_blocks b
    ),
    sums AS (
        SELECT netuid, day,
               SUM(CASE WHEN price_rao IS NOT NULL AND held IS NOT NULL THEN price_rao * held ELSE 0 END)
                   AS rao_seconds,
               SUM(CASE WHEN price_rao IS NOT NULL AND held IS NOT NULL THEN held ELSE 0 END) AS seconds
        FROM w GROUP BY netuid, day
    )
    SELECT s.netuid, s.day, f.block_number, f.block_time, f.subnet_tao_rao, f.subnet_alpha_in_rao,
           l.block_number, l.block_time, l.price_rao, s.rao_seconds, s.seconds
    FROM sums s
    JOIN w f ON f.netuid = s.netuid AND f.day = s.day AND f.first_rn = 1
    JOIN w l ON l.netuid = s.netuid AND l.day = s.day AND l.last_rn = 1
    ON CONFLICT (netuid, day) DO UPDATE SET
        price_rao_seconds = subnet_day_pool.price_rao_seconds + excluded.price_rao_seconds
            + CASE WHEN subnet_day_pool.last_price_rao IS NULL THEN 0
                   ELSE subnet_day_pool.last_price_rao * {_GAP} END,
        price_seconds = subnet_day_pool.price_seconds + excluded.price_seconds
            + CASE WHEN subnet_day_pool.last_price_rao IS NULL THEN 0 ELSE {_GAP} END,
        last_block = excluded.last_block,
        last_block_time = excluded.last_block_time,
        last_price_rao = excluded.last_price_rao
"""

# --------------------------------------------------------------------- registrations and participants
_REGISTERED = "'SubtensorModule.NeuronRegistered'"

#: The window's registrations and the withdrawals that can pay for them, with their place in the block.
WINDOW_REGISTRATION_EVENTS = f"""
    CREATE TEMPORARY TABLE w_sd_reg_events AS
    SELECT block_number, block_time, event_type, split_part(position, '.', 1) AS phase,
           CAST(split_part(position, '.', 2) AS INTEGER) AS event_index,
           CAST(payload->>'netuid' AS INTEGER) AS netuid, CAST(payload->>'amount' AS NUMERIC(38, 0)) AS amount
    FROM events
    WHERE {WINDOW} AND event_type IN ({_REGISTERED}, 'Balances.Withdraw') AND position LIKE '%.%'
"""

#: A registration's burn is the withdrawal right before it in the same extrinsic (the fee, withdrawn
#: when the extrinsic starts, comes before both).
WINDOW_REGISTRATIONS = f"""
    CREATE TEMPORARY TABLE w_sd_regs AS
    SELECT r.netuid, {_DAY.replace("block_time", "r.block_time")} AS day, COUNT(*) AS registrations,
           SUM(COALESCE(w.amount, 0)) AS burn_rao
    FROM w_sd_reg_events r
    LEFT JOIN w_sd_reg_events w
      ON w.event_type = 'Balances.Withdraw' AND w.block_number = r.block_number AND w.phase = r.phase
     AND w.event_index = r.event_index - 1
    WHERE r.event_type = {_REGISTERED}
    GROUP BY r.netuid, {_DAY.replace("block_time", "r.block_time")}
"""


def _top_share(permit: bool) -> str:
    held = "n.validator_permit" if permit else "NOT n.validator_permit"
    return (
        f"CAST(MAX(CASE WHEN {held} THEN n.emission_rao END) AS DOUBLE PRECISION) / "
        f"CAST(NULLIF(SUM(CASE WHEN {held} THEN n.emission_rao END), 0) AS DOUBLE PRECISION)"
    )


#: The window's latest metagraph epoch of each subnet and day, counted.
WINDOW_EPOCHS = f"""
    CREATE TEMPORARY TABLE w_sd_epochs AS
    WITH n AS (
        SELECT netuid, {_DAY} AS day, block_number, COALESCE(validator_permit, FALSE) AS validator_permit,
               emission_rao
        FROM stg_bittensor_neurons WHERE {WINDOW}
    ),
    latest AS (SELECT netuid, day, MAX(block_number) AS epoch_block FROM n GROUP BY netuid, day)
    SELECT n.netuid, n.day, l.epoch_block, COUNT(*) AS uids,
           SUM(CASE WHEN n.validator_permit THEN 0 ELSE 1 END) AS miners,
           SUM(CASE WHEN n.validator_permit THEN 1 ELSE 0 END) AS validators,
           {_top_share(False)} AS top_miner_share, {_top_share(True)} AS top_validator_share
    FROM n JOIN latest l ON l.netuid = n.netuid AND l.day = n.day AND l.epoch_block = n.block_number
    GROUP BY n.netuid, n.day, l.epoch_block
"""

# ------------------------------------------------------------------------------------ touched rows
WINDOW_NEW_KEYS = f"""
    CREATE TEMPORARY TABLE w_sd_new AS
    SELECT DISTINCT netuid, day FROM w_sd_blocks
    UNION SELECT netuid, day FROM w_sd_regs
    UNION SELECT netuid, day FROM w_sd_epochs
    UNION SELECT netuid, {_DAY} FROM stg_bittensor_subnet_observations WHERE {WINDOW}
"""

#: The window's keys, every stored row of their days (the share's denominator changed) and the later
#: rows of a subnet observed in the window whose name predates that observation.
WINDOW_KEYS = f"""
    CREATE TEMPORARY TABLE w_sd_keys AS
    SELECT netuid, day FROM w_sd_new
    UNION
    SELECT d.netuid, d.day FROM subnet_daily d WHERE d.day IN (SELECT day FROM w_sd_new)
    UNION
    SELECT d.netuid, d.day
    FROM subnet_daily d
    JOIN (
        SELECT netuid, MIN({_DAY}) AS first_day, MAX(block_number) AS last_block
        FROM stg_bittensor_subnet_observations WHERE {WINDOW} GROUP BY netuid
    ) o ON o.netuid = d.netuid
    WHERE d.day >= o.first_day AND (d.name_block IS NULL OR d.name_block < o.last_block)
"""

#: Each key's name: the subnet's latest observation before the day's end.
_NAME_COLUMNS = "(netuid, day, name, owner, name_block)"
WINDOW_NAMES = (
    OnlyOn(
        "postgresql",
        """
        CREATE TEMPORARY TABLE w_sd_names AS
        SELECT k.netuid, k.day, o.name, o.owner, o.block_number AS name_block
        FROM w_sd_keys k
        JOIN LATERAL (
            SELECT s.name, s.owner, s.block_number FROM stg_bittensor_subnet_observations s
            WHERE s.netuid = k.netuid AND s.block_time < k.day + INTERVAL '1 day'
            ORDER BY s.block_number DESC, s.event_id DESC LIMIT 1
        ) o ON TRUE
        """,
    ),
    OnlyOn(
        "duckdb",
        """
        CREATE TEMPORARY TABLE w_sd_names AS
        SELECT k.netuid, k.day, o.name, o.owner, o.block_number AS name_block
        FROM (SELECT netuid, day, CAST(day + INTERVAL '1 day' AS TIMESTAMP) AS day_end FROM w_sd_keys) k
        ASOF JOIN stg_bittensor_subnet_observations o ON o.netuid = k.netuid AND k.day_end > o.block_time
        """,
    ),
)

_LATER_EPOCH = "ep.epoch_block IS NOT NULL AND (d.epoch_block IS NULL OR ep.epoch_block > d.epoch_block)"


def _participant(column: str) -> str:
    return f"CASE WHEN {_LATER_EPOCH} THEN ep.{column} ELSE d.{column} END"


_DAILY_COLUMNS = """
    (netuid, day, complete, name, owner, name_block, price_open_tao_per_alpha, price_close_tao_per_alpha,
     price_twap_tao_per_alpha, tao_reserve_tao, alpha_reserve_alpha, emission_share, tao_injected_tao,
     alpha_emitted_alpha, registrations, registration_burn_tao, uids, miners, validators, top_miner_share,
     top_validator_share, first_block, last_block, epoch_block)
"""

#: The open price as `price_of` computes the close (`subnet_emission_daily`): the reserves' ratio, 1 on root.
_OPEN = (
    f"CASE WHEN p.first_block IS NULL THEN NULL WHEN k.netuid = {ROOT} THEN 1.0 "
    "ELSE CAST(p.first_tao_rao AS DOUBLE PRECISION) / CAST(NULLIF(p.first_alpha_in_rao, 0) AS DOUBLE PRECISION) END"
)

_FOLDED_DAILY = f"""
    WITH totals AS (
        SELECT day, SUM(tao_injected_tao + excess_tao) AS emitted
        FROM subnet_emission_daily WHERE day IN (SELECT day FROM w_sd_keys) GROUP BY day
    )
    SELECT k.netuid, k.day, COALESCE(c.complete, FALSE), nm.name, nm.owner, nm.name_block,
           {_OPEN}, e.price_tao_per_alpha,
           CASE WHEN p.price_seconds > 0
                THEN CAST(p.price_rao_seconds AS DOUBLE PRECISION) / p.price_seconds / {RAO}
                ELSE {_OPEN} END,
           e.pool_tao, e.pool_alpha,
           CAST(e.tao_injected_tao + e.excess_tao AS DOUBLE PRECISION) / CAST(NULLIF(t.emitted, 0) AS DOUBLE PRECISION),
           e.tao_injected_tao, e.alpha_to_pool_alpha + e.alpha_to_participants_alpha,
           COALESCE(d.registrations, 0) + COALESCE(r.registrations, 0),
           COALESCE(d.registration_burn_tao, 0) + COALESCE({whole("r.burn_rao")}, 0),
           {_participant("uids")}, {_participant("miners")}, {_participant("validators")},
           {_participant("top_miner_share")}, {_participant("top_validator_share")},
           p.first_block, p.last_block, {_participant("epoch_block")}
    FROM w_sd_keys k
    LEFT JOIN subnet_daily d ON d.netuid = k.netuid AND d.day = k.day
    LEFT JOIN subnet_day_pool p ON p.netuid = k.netuid AND p.day = k.day
    LEFT JOIN subnet_emission_daily e ON e.netuid = k.netuid AND e.day = k.day
    LEFT JOIN totals t ON t.day = k.day
    LEFT JOIN w_sd_regs r ON r.netuid = k.netuid AND r.day = k.day
    LEFT JOIN w_sd_epochs ep ON ep.netuid = k.netuid AND ep.day = k.day
    LEFT JOIN w_sd_names nm ON nm.netuid = k.netuid AND nm.day = k.day
    LEFT JOIN chain_days c ON c.chain = 'bittensor' AND c.day = k.day
"""
FOLD_DAILY = replace_rows("subnet_daily", ("netuid", "day"), _DAILY_COLUMNS, _FOLDED_DAILY)

#: Days stored whole since the last run (or found incomplete again): the flag follows `chain_days`.
REFRESH_COMPLETE = """
    UPDATE subnet_daily SET complete = c.complete
    FROM chain_days c
    WHERE c.chain = 'bittensor' AND c.day = subnet_daily.day AND c.complete <> subnet_daily.complete
"""

WINDOW_TABLES = (
    "w_sd_blocks",
    "w_sd_replay",
    "w_sd_reg_events",
    "w_sd_regs",
    "w_sd_epochs",
    "w_sd_new",
    "w_sd_keys",
    "w_sd_names",
)

SUBNET_DAILY = register(
    Projection(
        name="subnet_daily",
        tables=("stg_bittensor_subnet_observations", "subnet_day_pool", "subnet_daily"),
        doc=__doc__,
        statements=(
            DIV_MACRO,
            *parse_payload_once(STAGE_OBSERVATIONS),
            WINDOW_BLOCKS,
            WINDOW_REPLAY,
            REPLAY_BLOCKS,
            DELETE_REPLAYED_POOLS,
            FOLD_POOLS,
            *parse_payload_once(WINDOW_REGISTRATION_EVENTS),
            WINDOW_REGISTRATIONS,
            WINDOW_EPOCHS,
            WINDOW_NEW_KEYS,
            WINDOW_KEYS,
            OnlyOn("postgresql", "ANALYZE w_sd_keys"),
            *WINDOW_NAMES,
            *FOLD_DAILY,
            REFRESH_COMPLETE,
            *(f"DROP TABLE {name}" for name in WINDOW_TABLES),
        ),
        # After `bittensor`, whose staging and `subnet_emission_daily` it reads, and `chain_days`; run
        # when only batches came (a day can become complete without a new event).
        upstream=(
            "stg_bittensor_subnet_blocks",
            "stg_bittensor_neurons",
            "subnet_emission_daily",
            "chain_days",
        ),
        reads_batches=True,
    )
)
