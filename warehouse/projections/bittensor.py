"""Bittensor projections: staging of metagraph observations and registrations, the running state of
every UID holder and subnet, and the marts read from them.

- `stg_bittensor_neurons` — grain: one row per `SubtensorModule.NeuronObserved` event (one UID of one
  subnet at one epoch block). Typed and renamed only: u16 scores / 65535 -> 0..1, stake and emission
  as NUMERIC rao; `seq` is the event's position.
- `stg_bittensor_registrations` — grain: one row per `SubtensorModule.NeuronRegistered` event.
- `bittensor_holders` — grain: one row per (netuid, uid, hotkey) that held the UID (registered or was
  observed there): first registration, deregistration, first and latest observation, number of
  observations, total emission, last block it was seen at the UID, and the latest observation's
  values. It is the running state `miners` and `validators` are read from.
- `miners` — grain: one row per (netuid, uid, hotkey) of `bittensor_holders` whose latest observation
  holds no validator permit (or that registered and was not observed yet). Registration from
  `NeuronRegistered`; deregistration is the first block after the hotkey's last sighting at which
  another hotkey holds the UID (its registration, or an observation when the registration predates
  the ingested history), or the subnet's first `NetworkRemoved` after that sighting when it comes
  earlier. Incentive, emission, stake and `earns` (emission > 0) come from the latest
  observation; `total_emission_alpha` sums the emission of every observed epoch.
- `validators`, rows with chain = 'bittensor' — grain: one row per (netuid, hotkey) whose latest
  observation holds a validator permit and who still holds that UID (not deregistered as above);
  `validator_id` = "netuid:hotkey". Stake, dividends, validator_trust and emission from that
  observation. The table is shared with the Sahara projection,
  so these statements only ever delete or insert chain = 'bittensor' rows (the table is not in
  `tables`; a replay from position 0 empties the Bittensor rows itself).
- `bittensor_subnet_state` — grain: one row per (netuid, kind): the latest `SubnetObserved`
  ('observed', with its payload), `NetworkAdded` ('added'), `NetworkRemoved` ('removed') and the
  latest metagraph epoch block in staging ('epoch').
- `subnets` — grain: one row per netuid. Name, owner, tempo, emission per block (`emission_tao`), the pool
  (`pool_tao`, `pool_alpha`), the price (`price_tao_per_alpha` = pool_tao / pool_alpha, observed at
  `price_block`) and the stakers' alpha (`stake_alpha`) and its value at that price (`stake_tao`; root:
  the TAO staked on root) from the latest `SubnetObserved`; registration from `NetworkAdded` (else the
  `network_registered_at` the chain reports), removal from a `NetworkRemoved` later than both; miner
  and validator counts from the subnet's latest epoch in staging. `emission_share` = the subnet's
  emission over the sum of every live subnet's, recomputed from the (small) table itself after each run.

**Units.** Alpha amounts are per subnet (`*_alpha`, DECIMAL(38, 9)) and are never added across
subnets; each converts to TAO (`*_tao`, rounded down to the rao) at the pool price of the block it
was observed at: `bittensor_epoch_prices` holds, for every metagraph epoch (netuid, block), the
subnet's `stg_bittensor_subnet_blocks` row at that block, else the latest before it, never after, and
the converted figure keeps the price and its block (`price_tao_per_alpha`, `price_block`) beside it.
`miners` and the Bittensor `validators` rows carry stake and emission in alpha and in TAO
(`validators.stake_native` / `emission_native`, `native_unit` = 'TAO').

**Emission.** `stg_bittensor_issuance` (one row per block) and `stg_bittensor_subnet_blocks` (one row
per block and subnet) stage `SubtensorModule.EmissionObserved`, base units as NUMERIC(38, 0).
`bittensor_emission_daily` — grain: one row per UTC day: TAO minted (sum of the blocks' `minted`), net
issuance (sum of TotalIssuance after - before: minted - recycled), and at the day's last block the
TotalIssuance and the TAO staked (SubnetTAO of root + of every other subnet). `subnet_emission_daily`
— grain: one row per (netuid, day): TAO injected and excess, alpha to the pool and to participants,
the owner cut (each block's alpha to participants x SubnetOwnerCut / 65535, in alpha and in TAO at
that block's price), and the epochs' miner incentive (UIDs without permit) and validator dividends
(permit holders), in alpha and in TAO at each epoch's price. Sums add, so both fold by upsert.

Every mart row carries `event_id`: the observation it shows (the registration when there is none).

**Folding.** A run reads only the window's staging rows. For a UID whose new rows all lie after every
block already known for it (the normal case: blocks arrive in order), each holder's state is updated
from the window alone: counts and sums add, the latest observation replaces the stored one when newer,
and a deregistration is the first block of another hotkey in the window after the holder's last
sighting (a stored one stays: it precedes the window). A UID that receives a block at or before one
it already knows (a late backfill) is recomputed from its own staging rows, which the index on
(netuid, uid) bounds; so is a UID seen for the first time, whose rows are all new. Either way the
result does not depend on how the events were split into runs. `miners` and `validators` then copy
the touched holders; `subnets` reads its state table and the latest epoch's rows.
"""

import json

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register, replace_rows

U16_MAX = 65535
WINDOW = "seq > :lo AND seq <= :hi"


def _score(field: str) -> str:
    return f"CAST(payload->>'{field}' AS DOUBLE PRECISION) / {U16_MAX}"


STAGE_NEURONS = f"""
    INSERT INTO stg_bittensor_neurons
        (event_id, seq, block_number, block_time, netuid, uid, hotkey, coldkey, stake_rao, emission_rao,
         rank, incentive, dividends, consensus, trust, validator_trust, pruning_score,
         validator_permit, active, last_update, axon_block)
    SELECT event_id, seq, block_number, block_time,
           CAST(payload->>'netuid' AS INTEGER), CAST(payload->>'uid' AS INTEGER),
           payload->>'hotkey', payload->>'coldkey',
           CAST(payload->>'stake' AS NUMERIC(38, 0)), CAST(payload->>'emission' AS NUMERIC(38, 0)),
           {_score("rank")}, {_score("incentive")}, {_score("dividends")}, {_score("consensus")},
           {_score("trust")}, {_score("validator_trust")}, {_score("pruning_score")},
           CAST(payload->>'validator_permit' AS BOOLEAN), CAST(payload->>'active' AS BOOLEAN),
           CAST(payload->>'last_update' AS BIGINT), CAST(payload->>'axon_block' AS BIGINT)
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.NeuronObserved'
"""

STAGE_REGISTRATIONS = f"""
    INSERT INTO stg_bittensor_registrations (event_id, seq, block_number, block_time, netuid, uid, hotkey)
    SELECT event_id, seq, block_number, block_time,
           CAST(payload->>'netuid' AS INTEGER), CAST(payload->>'uid' AS INTEGER), payload->>'hotkey'
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.NeuronRegistered'
"""

# -------------------------------------------------------------------------- units and the pool price
#: Integer division of base-unit amounts, exact on both engines: PostgreSQL's `div(numeric, numeric)`;
#: DuckDB divides DECIMALs in floating point, so it gets the same name as a macro over HUGEINT.
DIV_MACRO = OnlyOn(
    "duckdb", "CREATE OR REPLACE TEMPORARY MACRO div(a, b) AS CAST(a AS HUGEINT) // CAST(b AS HUGEINT)"
)

ROOT = 0


def whole(base_units: str, decimals: int = 9) -> str:
    """Base units as an exact DECIMAL of whole tokens (rao -> TAO or alpha; usah -> SAHARA)."""
    scale = f"0.{'0' * (decimals - 1)}1"
    return (
        f"CAST(CAST({base_units} AS NUMERIC(38, 0)) * CAST({scale} AS NUMERIC(38, {decimals})) "
        f"AS NUMERIC(38, {decimals}))"
    )


def native(rao: str) -> str:
    """TAO rao as whole TAO in a column shared with Sahara (DECIMAL(38, 18))."""
    return f"CAST({whole(rao)} AS NUMERIC(38, 18))"


def alpha_to_tao_rao(alpha_rao: str, price: str) -> str:
    """Alpha base units in TAO rao at the pool price of `price` (a row of `bittensor_epoch_prices` or of
    `stg_bittensor_subnet_blocks`), rounded down to the rao. Root's stake is TAO already."""
    return (
        f"CASE WHEN {price}.netuid = {ROOT} THEN CAST({alpha_rao} AS NUMERIC(38, 0)) "
        f"ELSE div(CAST({alpha_rao} AS NUMERIC(38, 0)) * {price}.subnet_tao_rao, "
        f"NULLIF({price}.subnet_alpha_in_rao, 0)) END"
    )


def price_of(price: str) -> str:
    """The pool price in TAO per alpha (a ratio: DOUBLE), 1 on root."""
    return (
        f"CASE WHEN {price}.netuid = {ROOT} THEN 1.0 ELSE CAST({price}.subnet_tao_rao AS DOUBLE PRECISION) "
        f"/ CAST(NULLIF({price}.subnet_alpha_in_rao, 0) AS DOUBLE PRECISION) END"
    )


STAGE_ISSUANCE = f"""
    INSERT INTO stg_bittensor_issuance
        (block_number, block_time, total_issuance_rao, total_issuance_before_rao, minted_rao, owner_cut_u16,
         event_id, seq)
    SELECT block_number, block_time, CAST(payload->>'total_issuance' AS NUMERIC(38, 0)),
           CAST(payload->>'total_issuance_before' AS NUMERIC(38, 0)), CAST(payload->>'minted' AS NUMERIC(38, 0)),
           CAST(payload->>'owner_cut' AS INTEGER), event_id, seq
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.EmissionObserved'
"""

_SUBNET_FIELDS = (
    "netuid",
    "subnet_tao",
    "subnet_alpha_in",
    "subnet_alpha_out",
    "tao_in_emission",
    "excess_tao",
    "alpha_in_emission",
    "alpha_out_emission",
)
_SUBNET_COLUMNS = """
    (block_number, block_time, netuid, subnet_tao_rao, subnet_alpha_in_rao, subnet_alpha_out_rao,
     tao_in_emission_rao, excess_tao_rao, alpha_in_emission_rao, alpha_out_emission_rao, event_id, seq)
"""


def _subnet_values(field) -> str:
    amounts = ", ".join(f"CAST({field(name)} AS NUMERIC(38, 0))" for name in _SUBNET_FIELDS[1:])
    return f"CAST({field('netuid')} AS INTEGER), {amounts}"


#: One row per (block, subnet) of the `subnets` array: PostgreSQL expands the JSONB array, DuckDB
#: unnests it as a list of structs.
STAGE_SUBNET_BLOCKS = (
    OnlyOn(
        "postgresql",
        f"""
        INSERT INTO stg_bittensor_subnet_blocks {_SUBNET_COLUMNS}
        SELECT e.block_number, e.block_time, {_subnet_values(lambda f: f"s.value->>'{f}'")}, e.event_id, e.seq
        FROM events e CROSS JOIN LATERAL jsonb_array_elements(e.payload->'subnets') s
        WHERE e.seq > :lo AND e.seq <= :hi AND e.event_type = 'SubtensorModule.EmissionObserved'
        """,
    ),
    OnlyOn(
        "duckdb",
        f"""
        INSERT INTO stg_bittensor_subnet_blocks {_SUBNET_COLUMNS}
        SELECT block_number, block_time, {_subnet_values(lambda f: f"s.{f}")}, event_id, seq
        FROM (
            SELECT block_number, block_time, event_id, seq,
                   UNNEST(json_transform(payload->'subnets', '{json.dumps([{f: "VARCHAR" for f in _SUBNET_FIELDS}])}')) AS s
            FROM events
            WHERE {WINDOW} AND event_type = 'SubtensorModule.EmissionObserved'
        ) x
        """,
    ),
)

#: How far back an epoch looks for its subnet's pool observation: a day of blocks. Further back the
#: price is unknown (NULL), so an epoch's price never depends on how the history was split into runs.
PRICE_LOOKBACK_BLOCKS = 7200

#: The window's metagraph epochs, each with the pool price its alpha converts at: the subnet's block
#: observation at the epoch block, else the latest before it (within the lookback), never after.
#: DuckDB: an ASOF JOIN over the observations from the window's first epoch less the lookback (its
#: zone maps skip older row groups); PostgreSQL: the newest row of the (netuid, block_number) index at
#: or below the block.
_EPOCH_PRICE_COLUMNS = (
    "(netuid, block_number, price_block, subnet_tao_rao, subnet_alpha_in_rao, price_tao_per_alpha)"
)
_WINDOW_EPOCHS = "SELECT DISTINCT netuid, block_number FROM w_bt_occupancy WHERE NOT registration"
_FOUND = f"e.block_number - p.block_number <= {PRICE_LOOKBACK_BLOCKS}"
FOLD_EPOCH_PRICES = (
    OnlyOn(
        "duckdb",
        f"""
        INSERT INTO bittensor_epoch_prices {_EPOCH_PRICE_COLUMNS}
        SELECT e.netuid, e.block_number, CASE WHEN {_FOUND} THEN p.block_number END,
               CASE WHEN {_FOUND} THEN p.subnet_tao_rao END, CASE WHEN {_FOUND} THEN p.subnet_alpha_in_rao END,
               CASE WHEN {_FOUND} THEN {price_of("p")} END
        FROM ({_WINDOW_EPOCHS}) e
        ASOF LEFT JOIN (
            SELECT netuid, block_number, subnet_tao_rao, subnet_alpha_in_rao FROM stg_bittensor_subnet_blocks
            WHERE block_number >= (
                SELECT MIN(block_number) - {PRICE_LOOKBACK_BLOCKS} FROM w_bt_occupancy WHERE NOT registration
            )
        ) p ON p.netuid = e.netuid AND e.block_number >= p.block_number
        ON CONFLICT (netuid, block_number) DO NOTHING
        """,
    ),
    OnlyOn(
        "postgresql",
        f"""
        INSERT INTO bittensor_epoch_prices {_EPOCH_PRICE_COLUMNS}
        SELECT e.netuid, e.block_number, p.block_number, p.subnet_tao_rao, p.subnet_alpha_in_rao, {price_of("p")}
        FROM ({_WINDOW_EPOCHS}) e
        LEFT JOIN LATERAL (
            SELECT b.netuid, b.block_number, b.subnet_tao_rao, b.subnet_alpha_in_rao
            FROM stg_bittensor_subnet_blocks b
            WHERE b.netuid = e.netuid AND b.block_number <= e.block_number
              AND b.block_number >= e.block_number - {PRICE_LOOKBACK_BLOCKS}
            ORDER BY b.block_number DESC LIMIT 1
        ) p ON TRUE
        ON CONFLICT (netuid, block_number) DO NOTHING
        """,
    ),
)

# ------------------------------------------------------------------------------- emission per day
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"

#: Per day: sums add; the values at the day's last block replace the stored ones when that block is later.
FOLD_EMISSION_DAILY = f"""
    INSERT INTO bittensor_emission_daily
        (day, blocks, first_block, last_block, minted_rao, net_issuance_rao, total_issuance_rao, staked_rao,
         root_stake_rao)
    WITH w AS (
        SELECT {_DAY} AS day, block_number, minted_rao, total_issuance_rao - total_issuance_before_rao AS net,
               total_issuance_rao,
               ROW_NUMBER() OVER (PARTITION BY {_DAY} ORDER BY block_number DESC) AS rn
        FROM stg_bittensor_issuance WHERE {WINDOW}
    ),
    last_blocks AS (SELECT day, block_number, total_issuance_rao FROM w WHERE rn = 1),
    staked AS (
        SELECT l.day, SUM(b.subnet_tao_rao) AS staked_rao,
               SUM(CASE WHEN b.netuid = {ROOT} THEN b.subnet_tao_rao ELSE 0 END) AS root_stake_rao
        FROM last_blocks l JOIN stg_bittensor_subnet_blocks b ON b.block_number = l.block_number
        WHERE b.seq > :lo AND b.seq <= :hi
        GROUP BY l.day
    )
    SELECT a.day, a.blocks, a.first_block, l.block_number, a.minted_rao, a.net, l.total_issuance_rao,
           s.staked_rao, s.root_stake_rao
    FROM (
        SELECT day, COUNT(*) AS blocks, MIN(block_number) AS first_block, SUM(minted_rao) AS minted_rao,
               SUM(net) AS net
        FROM w GROUP BY day
    ) a
    JOIN last_blocks l ON l.day = a.day
    LEFT JOIN staked s ON s.day = a.day
    ON CONFLICT (day) DO UPDATE SET
        blocks = bittensor_emission_daily.blocks + excluded.blocks,
        first_block = LEAST(bittensor_emission_daily.first_block, excluded.first_block),
        minted_rao = bittensor_emission_daily.minted_rao + excluded.minted_rao,
        net_issuance_rao = bittensor_emission_daily.net_issuance_rao + excluded.net_issuance_rao,
        total_issuance_rao = CASE WHEN excluded.last_block > bittensor_emission_daily.last_block
                                  THEN excluded.total_issuance_rao ELSE bittensor_emission_daily.total_issuance_rao END,
        staked_rao = CASE WHEN excluded.last_block > bittensor_emission_daily.last_block
                          THEN excluded.staked_rao ELSE bittensor_emission_daily.staked_rao END,
        root_stake_rao = CASE WHEN excluded.last_block > bittensor_emission_daily.last_block
                              THEN excluded.root_stake_rao ELSE bittensor_emission_daily.root_stake_rao END,
        last_block = GREATEST(bittensor_emission_daily.last_block, excluded.last_block)
"""

_LATER_SUBNET_DAY = "excluded.last_block > subnet_emission_daily.last_block"

#: Per subnet and day, from the window's block observations: sums add, the pool at the day's last
#: block replaces the stored one when later. The owner cut of a block is its alpha to participants x
#: SubnetOwnerCut / 65535, converted at that block's own pool price.
FOLD_SUBNET_DAILY_BLOCKS = f"""
    INSERT INTO subnet_emission_daily
        (netuid, day, blocks, tao_injected_tao, excess_tao, alpha_to_pool_alpha, alpha_to_participants_alpha,
         owner_cut_alpha, owner_cut_tao, last_block, price_tao_per_alpha, pool_tao, pool_alpha)
    WITH w AS (
        SELECT b.*, {_DAY.replace("block_time", "b.block_time")} AS day,
               div(b.alpha_out_emission_rao * i.owner_cut_u16, 65535) AS owner_cut_rao,
               ROW_NUMBER() OVER (
                   PARTITION BY b.netuid, {_DAY.replace("block_time", "b.block_time")} ORDER BY b.block_number DESC
               ) AS rn
        FROM stg_bittensor_subnet_blocks b
        JOIN stg_bittensor_issuance i ON i.block_number = b.block_number
        WHERE b.seq > :lo AND b.seq <= :hi AND i.seq > :lo AND i.seq <= :hi
    ),
    sums AS (
        SELECT netuid, day, COUNT(*) AS blocks, SUM(tao_in_emission_rao) AS tao_in, SUM(excess_tao_rao) AS excess,
               SUM(alpha_in_emission_rao) AS alpha_in, SUM(alpha_out_emission_rao) AS alpha_out,
               SUM(owner_cut_rao) AS owner_cut, SUM({alpha_to_tao_rao("owner_cut_rao", "w")}) AS owner_cut_tao
        FROM w GROUP BY netuid, day
    )
    SELECT s.netuid, s.day, s.blocks, {whole("s.tao_in")}, {whole("s.excess")}, {whole("s.alpha_in")},
           {whole("s.alpha_out")}, {whole("s.owner_cut")}, {whole("s.owner_cut_tao")}, l.block_number,
           {price_of("l")}, {whole("l.subnet_tao_rao")}, {whole("l.subnet_alpha_in_rao")}
    FROM sums s JOIN w l ON l.netuid = s.netuid AND l.day = s.day AND l.rn = 1
    ON CONFLICT (netuid, day) DO UPDATE SET
        blocks = subnet_emission_daily.blocks + excluded.blocks,
        tao_injected_tao = subnet_emission_daily.tao_injected_tao + excluded.tao_injected_tao,
        excess_tao = subnet_emission_daily.excess_tao + excluded.excess_tao,
        alpha_to_pool_alpha = subnet_emission_daily.alpha_to_pool_alpha + excluded.alpha_to_pool_alpha,
        alpha_to_participants_alpha =
            subnet_emission_daily.alpha_to_participants_alpha + excluded.alpha_to_participants_alpha,
        owner_cut_alpha = subnet_emission_daily.owner_cut_alpha + excluded.owner_cut_alpha,
        owner_cut_tao = subnet_emission_daily.owner_cut_tao + excluded.owner_cut_tao,
        price_tao_per_alpha = CASE WHEN {_LATER_SUBNET_DAY} OR subnet_emission_daily.last_block IS NULL
                                   THEN excluded.price_tao_per_alpha ELSE subnet_emission_daily.price_tao_per_alpha END,
        pool_tao = CASE WHEN {_LATER_SUBNET_DAY} OR subnet_emission_daily.last_block IS NULL
                        THEN excluded.pool_tao ELSE subnet_emission_daily.pool_tao END,
        pool_alpha = CASE WHEN {_LATER_SUBNET_DAY} OR subnet_emission_daily.last_block IS NULL
                          THEN excluded.pool_alpha ELSE subnet_emission_daily.pool_alpha END,
        last_block = GREATEST(subnet_emission_daily.last_block, excluded.last_block)
"""

#: Per subnet and day, from the window's metagraph epochs: each UID's emission, in alpha and in TAO at
#: its epoch's pool price, to miner incentive (no validator permit) or validator dividends (permit).
FOLD_SUBNET_DAILY_EPOCHS = f"""
    INSERT INTO subnet_emission_daily
        (netuid, day, blocks, tao_injected_tao, excess_tao, alpha_to_pool_alpha, alpha_to_participants_alpha,
         owner_cut_alpha, owner_cut_tao, miner_incentive_alpha, miner_incentive_tao, validator_dividends_alpha,
         validator_dividends_tao)
    WITH w AS (
        SELECT n.netuid, {_DAY.replace("block_time", "n.block_time")} AS day,
               COALESCE(n.validator_permit, FALSE) AS permit, n.emission_rao,
               {alpha_to_tao_rao("n.emission_rao", "p")} AS emission_tao_rao
        FROM w_bt_occupancy n
        LEFT JOIN bittensor_epoch_prices p ON p.netuid = n.netuid AND p.block_number = n.block_number
        WHERE NOT n.registration
    ),
    sums AS (
        SELECT netuid, day,
               SUM(CASE WHEN permit THEN 0 ELSE emission_rao END) AS miner_alpha,
               SUM(CASE WHEN permit THEN 0 ELSE emission_tao_rao END) AS miner_tao,
               SUM(CASE WHEN permit THEN emission_rao ELSE 0 END) AS validator_alpha,
               SUM(CASE WHEN permit THEN emission_tao_rao ELSE 0 END) AS validator_tao
        FROM w GROUP BY netuid, day
    )
    SELECT netuid, day, 0, 0, 0, 0, 0, 0, 0, {whole("miner_alpha")}, {whole("miner_tao")},
           {whole("validator_alpha")}, {whole("validator_tao")}
    FROM sums
    ON CONFLICT (netuid, day) DO UPDATE SET
        miner_incentive_alpha = COALESCE(subnet_emission_daily.miner_incentive_alpha, 0) + excluded.miner_incentive_alpha,
        miner_incentive_tao = COALESCE(subnet_emission_daily.miner_incentive_tao, 0) + excluded.miner_incentive_tao,
        validator_dividends_alpha =
            COALESCE(subnet_emission_daily.validator_dividends_alpha, 0) + excluded.validator_dividends_alpha,
        validator_dividends_tao =
            COALESCE(subnet_emission_daily.validator_dividends_tao, 0) + excluded.validator_dividends_tao
"""

# ------------------------------------------------------------------------------- holders (state)
#: Every occupancy of a UID in the window: registrations, then observations with their values.
WINDOW_OCCUPANCY = f"""
    CREATE TEMPORARY TABLE w_bt_occupancy AS
    SELECT netuid, uid, hotkey, block_number, block_time, event_id, TRUE AS registration,
           CAST(NULL AS VARCHAR(64)) AS coldkey, CAST(NULL AS NUMERIC(38, 0)) AS stake_rao,
           CAST(NULL AS NUMERIC(38, 0)) AS emission_rao, CAST(NULL AS DOUBLE PRECISION) AS incentive,
           CAST(NULL AS DOUBLE PRECISION) AS dividends, CAST(NULL AS DOUBLE PRECISION) AS validator_trust,
           CAST(NULL AS BOOLEAN) AS validator_permit
    FROM stg_bittensor_registrations WHERE {WINDOW}
    UNION ALL
    SELECT netuid, uid, hotkey, block_number, block_time, event_id, FALSE, coldkey, stake_rao, emission_rao,
           incentive, dividends, validator_trust, validator_permit
    FROM stg_bittensor_neurons WHERE {WINDOW}
"""

#: The window's UIDs; `replay` when the UID is new or a new block is not after every known one.
WINDOW_UIDS = """
    CREATE TEMPORARY TABLE w_bt_uids AS
    SELECT o.netuid, o.uid, MIN(o.block_number) AS first_block, MAX(k.known_block) AS known_block,
           MAX(k.known_block) IS NULL OR MIN(o.block_number) <= MAX(k.known_block) AS replay
    FROM w_bt_occupancy o
    LEFT JOIN (
        SELECT h.netuid, h.uid, MAX(h.last_seen_block) AS known_block
        FROM bittensor_holders h
        WHERE EXISTS (SELECT 1 FROM w_bt_occupancy x WHERE x.netuid = h.netuid AND x.uid = h.uid)
        GROUP BY h.netuid, h.uid
    ) k ON k.netuid = o.netuid AND k.uid = o.uid
    GROUP BY o.netuid, o.uid
"""

DELETE_REPLAYED_HOLDERS = """
    DELETE FROM bittensor_holders
    WHERE EXISTS (
        SELECT 1 FROM w_bt_uids u
        WHERE u.replay AND u.netuid = bittensor_holders.netuid AND u.uid = bittensor_holders.uid
    )
"""

_HOLDER_COLUMNS = """
    (netuid, uid, hotkey, coldkey, registered_block, registered_at, registration_event_id,
     deregistered_block, deregistered_at, first_observed_at, last_observed_block, last_observed_at,
     last_observed_event_id, observations, total_emission_rao, last_seen_block, stake_rao, emission_rao,
     incentive, dividends, validator_trust, validator_permit)
"""

#: Replayed UIDs: every holder computed from the UID's whole staging history.
REPLAY_HOLDERS = f"""
    INSERT INTO bittensor_holders {_HOLDER_COLUMNS}
    WITH replay AS (SELECT netuid, uid FROM w_bt_uids WHERE replay),
    registrations AS (
        SELECT r.netuid, r.uid, r.hotkey, r.block_number, r.block_time, r.event_id,
               ROW_NUMBER() OVER (
                   PARTITION BY r.netuid, r.uid, r.hotkey ORDER BY r.block_number, r.event_id
               ) AS rn
        FROM stg_bittensor_registrations r
        JOIN replay t ON t.netuid = r.netuid AND t.uid = r.uid
    ),
    observations AS (
        SELECT s.netuid, s.uid, s.hotkey, s.coldkey, s.block_number, s.block_time, s.event_id, s.stake_rao,
               s.emission_rao, s.incentive, s.dividends, s.validator_trust, s.validator_permit,
               ROW_NUMBER() OVER (
                   PARTITION BY s.netuid, s.uid, s.hotkey ORDER BY s.block_number DESC, s.event_id DESC
               ) AS rn
        FROM stg_bittensor_neurons s
        JOIN replay t ON t.netuid = s.netuid AND t.uid = s.uid
    ),
    occupancy AS (
        SELECT netuid, uid, hotkey, block_number, block_time FROM registrations
        UNION ALL
        SELECT netuid, uid, hotkey, block_number, block_time FROM observations
    ),
    holders AS (
        SELECT netuid, uid, hotkey, MAX(block_number) AS last_seen_block
        FROM occupancy GROUP BY netuid, uid, hotkey
    ),
    successors AS (
        SELECT h.netuid, h.uid, h.hotkey,
               MIN(o.block_number) AS deregistered_block, MIN(o.block_time) AS deregistered_at
        FROM holders h
        JOIN occupancy o
          ON o.netuid = h.netuid AND o.uid = h.uid AND o.hotkey <> h.hotkey
         AND o.block_number > h.last_seen_block
        GROUP BY h.netuid, h.uid, h.hotkey
    ),
    totals AS (
        SELECT netuid, uid, hotkey, COUNT(*) AS observations, SUM(emission_rao) AS total_emission_rao,
               MIN(block_time) AS first_observed_at
        FROM observations GROUP BY netuid, uid, hotkey
    )
    SELECT h.netuid, h.uid, h.hotkey, l.coldkey, r.block_number, r.block_time, r.event_id,
           s.deregistered_block, s.deregistered_at, tot.first_observed_at, l.block_number, l.block_time,
           l.event_id, COALESCE(tot.observations, 0), tot.total_emission_rao, h.last_seen_block,
           l.stake_rao, l.emission_rao, l.incentive, l.dividends, l.validator_trust, l.validator_permit
    FROM holders h
    LEFT JOIN observations l
      ON l.netuid = h.netuid AND l.uid = h.uid AND l.hotkey = h.hotkey AND l.rn = 1
    LEFT JOIN totals tot ON tot.netuid = h.netuid AND tot.uid = h.uid AND tot.hotkey = h.hotkey
    LEFT JOIN registrations r ON r.netuid = h.netuid AND r.uid = h.uid AND r.hotkey = h.hotkey AND r.rn = 1
    LEFT JOIN successors s ON s.netuid = h.netuid AND s.uid = h.uid AND s.hotkey = h.hotkey
"""


def _latest(column: str) -> str:
    """A latest-observation value: the window's when the holder was observed in it, else the stored one."""
    return f"CASE WHEN l.event_id IS NOT NULL THEN l.{column} ELSE s.{column} END"


#: UIDs whose window rows all come after their known blocks: fold the window into each holder.
_FOLDED_HOLDERS = f"""
    WITH fold AS (SELECT netuid, uid FROM w_bt_uids WHERE NOT replay),
    batch AS (
        SELECT o.* FROM w_bt_occupancy o JOIN fold f ON f.netuid = o.netuid AND f.uid = o.uid
    ),
    registrations AS (
        SELECT netuid, uid, hotkey, block_number, block_time, event_id,
               ROW_NUMBER() OVER (PARTITION BY netuid, uid, hotkey ORDER BY block_number, event_id) AS rn
        FROM batch WHERE registration
    ),
    observations AS (
        SELECT batch.*,
               ROW_NUMBER() OVER (
                   PARTITION BY netuid, uid, hotkey ORDER BY block_number DESC, event_id DESC
               ) AS rn
        FROM batch WHERE NOT registration
    ),
    totals AS (
        SELECT netuid, uid, hotkey, COUNT(*) AS observations, SUM(emission_rao) AS total_emission_rao,
               MIN(block_time) AS first_observed_at
        FROM observations GROUP BY netuid, uid, hotkey
    ),
    seen AS (
        SELECT netuid, uid, hotkey, MAX(block_number) AS last_seen_block FROM batch GROUP BY netuid, uid, hotkey
    ),
    state AS (
        SELECT h.* FROM bittensor_holders h JOIN fold f ON f.netuid = h.netuid AND f.uid = h.uid
    ),
    keys AS (
        SELECT k.netuid, k.uid, k.hotkey, GREATEST(MAX(s.last_seen_block), MAX(b.last_seen_block)) AS last_seen_block
        FROM (SELECT netuid, uid, hotkey FROM state UNION SELECT netuid, uid, hotkey FROM seen) k
        LEFT JOIN state s ON s.netuid = k.netuid AND s.uid = k.uid AND s.hotkey = k.hotkey
        LEFT JOIN seen b ON b.netuid = k.netuid AND b.uid = k.uid AND b.hotkey = k.hotkey
        GROUP BY k.netuid, k.uid, k.hotkey
    ),
    successors AS (
        SELECT k.netuid, k.uid, k.hotkey, MIN(o.block_number) AS block_number, MIN(o.block_time) AS block_time
        FROM keys k
        JOIN batch o
          ON o.netuid = k.netuid AND o.uid = k.uid AND o.hotkey <> k.hotkey AND o.block_number > k.last_seen_block
        GROUP BY k.netuid, k.uid, k.hotkey
    )
    SELECT k.netuid, k.uid, k.hotkey, {_latest("coldkey")},
           CASE WHEN s.registered_block IS NOT NULL THEN s.registered_block ELSE r.block_number END,
           CASE WHEN s.registered_block IS NOT NULL THEN s.registered_at ELSE r.block_time END,
           CASE WHEN s.registered_block IS NOT NULL THEN s.registration_event_id ELSE r.event_id END,
           -- A stored deregistration stays while the holder was not seen again; else the window decides.
           CASE WHEN s.deregistered_block > k.last_seen_block THEN s.deregistered_block ELSE n.block_number END,
           CASE WHEN s.deregistered_block > k.last_seen_block THEN s.deregistered_at ELSE n.block_time END,
           COALESCE(s.first_observed_at, t.first_observed_at),
           CASE WHEN l.event_id IS NOT NULL THEN l.block_number ELSE s.last_observed_block END,
           CASE WHEN l.event_id IS NOT NULL THEN l.block_time ELSE s.last_observed_at END,
           CASE WHEN l.event_id IS NOT NULL THEN l.event_id ELSE s.last_observed_event_id END,
           COALESCE(s.observations, 0) + COALESCE(t.observations, 0),
           CASE WHEN s.total_emission_rao IS NULL THEN t.total_emission_rao
                WHEN t.total_emission_rao IS NULL THEN s.total_emission_rao
                ELSE s.total_emission_rao + t.total_emission_rao END,
           k.last_seen_block, {_latest("stake_rao")}, {_latest("emission_rao")}, {_latest("incentive")},
           {_latest("dividends")}, {_latest("validator_trust")}, {_latest("validator_permit")}
    FROM keys k
    LEFT JOIN state s ON s.netuid = k.netuid AND s.uid = k.uid AND s.hotkey = k.hotkey
    LEFT JOIN observations l ON l.netuid = k.netuid AND l.uid = k.uid AND l.hotkey = k.hotkey AND l.rn = 1
    LEFT JOIN totals t ON t.netuid = k.netuid AND t.uid = k.uid AND t.hotkey = k.hotkey
    LEFT JOIN registrations r ON r.netuid = k.netuid AND r.uid = k.uid AND r.hotkey = k.hotkey AND r.rn = 1
    LEFT JOIN successors n ON n.netuid = k.netuid AND n.uid = k.uid AND n.hotkey = k.hotkey
"""
FOLD_HOLDERS = replace_rows(
    "bittensor_holders", ("netuid", "uid", "hotkey"), _HOLDER_COLUMNS, _FOLDED_HOLDERS
)


# ------------------------------------------------------------------------------ subnet removals
#: The window's `NetworkRemoved` events: every holder of the subnet is deregistered with it.
WINDOW_REMOVALS = f"""
    CREATE TEMPORARY TABLE w_bt_removals AS
    SELECT CAST(payload->>'netuid' AS INTEGER) AS netuid, block_number, block_time
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.NetworkRemoved'
"""

#: The UIDs whose rows this run may change: the window's, and every UID of a subnet removed in it.
WINDOW_TOUCHED = """
    CREATE TEMPORARY TABLE w_bt_touched AS
    SELECT netuid, uid FROM w_bt_uids
    UNION
    SELECT h.netuid, h.uid FROM bittensor_holders h
    WHERE h.netuid IN (SELECT netuid FROM w_bt_removals)
"""

#: A holder last seen before its subnet was removed left the UID at the first removal after its last
#: sighting, unless another hotkey took the UID earlier (a netuid can be removed and registered again,
#: so a holder seen after a removal is not touched by it). The stored removal counts too: a replayed
#: UID is recomputed from staging, which holds no removals.
MARK_REMOVED_HOLDERS = (
    """
    CREATE TEMPORARY TABLE w_bt_removed_holders AS
    WITH removals AS (
        SELECT netuid, block_number, block_time FROM w_bt_removals
        UNION
        SELECT netuid, block_number, block_time FROM bittensor_subnet_state WHERE kind = 'removed'
    )
    SELECT h.netuid, h.uid, h.hotkey, MIN(r.block_number) AS block_number, MIN(r.block_time) AS block_time
    FROM bittensor_holders h
    JOIN w_bt_touched t ON t.netuid = h.netuid AND t.uid = h.uid
    JOIN removals r ON r.netuid = h.netuid AND r.block_number > h.last_seen_block
    GROUP BY h.netuid, h.uid, h.hotkey
    """,
    """
    UPDATE bittensor_holders
    SET deregistered_block = r.block_number, deregistered_at = r.block_time
    FROM w_bt_removed_holders r
    WHERE r.netuid = bittensor_holders.netuid AND r.uid = bittensor_holders.uid
      AND r.hotkey = bittensor_holders.hotkey
      AND (bittensor_holders.deregistered_block IS NULL OR bittensor_holders.deregistered_block > r.block_number)
    """,
    "DROP TABLE w_bt_removed_holders",
)

# ---------------------------------------------------------------------------------------- miners
DELETE_MINERS = """
    DELETE FROM miners
    WHERE EXISTS (SELECT 1 FROM w_bt_touched u WHERE u.netuid = miners.netuid AND u.uid = miners.uid)
"""

INSERT_MINERS = f"""
    INSERT INTO miners
        (netuid, uid, hotkey, coldkey, registered_block, registered_at, deregistered_block,
         deregistered_at, first_observed_at, last_observed_block, last_observed_at, observations,
         incentive, emission_alpha, emission_tao, total_emission_alpha, stake_alpha, stake_tao,
         price_tao_per_alpha, price_block, earns, event_id)
    SELECT h.netuid, h.uid, h.hotkey, h.coldkey, h.registered_block, h.registered_at, h.deregistered_block,
           h.deregistered_at, h.first_observed_at, h.last_observed_block, h.last_observed_at, h.observations,
           h.incentive, {whole("h.emission_rao")}, {whole(alpha_to_tao_rao("h.emission_rao", "p"))},
           {whole("h.total_emission_rao")}, {whole("h.stake_rao")}, {whole(alpha_to_tao_rao("h.stake_rao", "p"))},
           p.price_tao_per_alpha, p.price_block, h.emission_rao > 0,
           COALESCE(h.last_observed_event_id, h.registration_event_id)
    FROM bittensor_holders h
    JOIN w_bt_touched u ON u.netuid = h.netuid AND u.uid = h.uid
    LEFT JOIN bittensor_epoch_prices p ON p.netuid = h.netuid AND p.block_number = h.last_observed_block
    WHERE h.validator_permit IS NULL OR NOT h.validator_permit
"""

# ------------------------------------------------------------------------------------ validators
# A replay from position 0 starts the Bittensor rows afresh; the Sahara rows are not ours to touch.
RESET_VALIDATORS = "DELETE FROM validators WHERE chain = 'bittensor' AND :lo = 0"

#: Every hotkey that held a touched UID: its newest observation, or its deregistration (another hotkey
#: took the UID, or the subnet was removed), may have changed.
WINDOW_HOTKEYS = """
    CREATE TEMPORARY TABLE w_bt_hotkeys AS
    SELECT DISTINCT h.netuid, h.hotkey
    FROM bittensor_holders h JOIN w_bt_touched t ON t.netuid = h.netuid AND t.uid = h.uid
"""

_VALIDATOR_ID = "CAST(netuid AS VARCHAR(8)) || ':' || hotkey"

DELETE_VALIDATORS = f"""
    DELETE FROM validators
    WHERE chain = 'bittensor' AND validator_id IN (SELECT {_VALIDATOR_ID} FROM w_bt_hotkeys)
"""

INSERT_VALIDATORS = f"""
    INSERT INTO validators
        (chain, validator_id, netuid, address, owner, stake_alpha, emission_alpha, stake_native, emission_native,
         native_unit, price_tao_per_alpha, price_block, dividends, validator_trust, first_observed_at,
         last_observed_at, event_id)
    WITH observed AS (
        SELECT h.*,
               ROW_NUMBER() OVER (
                   PARTITION BY h.netuid, h.hotkey
                   ORDER BY h.last_observed_block DESC, h.last_observed_event_id DESC
               ) AS rn,
               MIN(h.first_observed_at) OVER (PARTITION BY h.netuid, h.hotkey) AS first_at
        FROM bittensor_holders h
        JOIN w_bt_hotkeys t ON t.netuid = h.netuid AND t.hotkey = h.hotkey
        WHERE h.last_observed_block IS NOT NULL
    )
    SELECT 'bittensor', CAST(o.netuid AS VARCHAR(8)) || ':' || o.hotkey, o.netuid, o.hotkey, o.coldkey,
           {whole("o.stake_rao")}, {whole("o.emission_rao")},
           {native(alpha_to_tao_rao("o.stake_rao", "p"))}, {native(alpha_to_tao_rao("o.emission_rao", "p"))},
           'TAO', p.price_tao_per_alpha, p.price_block, o.dividends, o.validator_trust, o.first_at,
           o.last_observed_at, o.last_observed_event_id
    FROM observed o
    LEFT JOIN bittensor_epoch_prices p ON p.netuid = o.netuid AND p.block_number = o.last_observed_block
    -- A validator is current while its newest UID is held: not taken by another hotkey, subnet not removed.
    WHERE o.rn = 1 AND o.validator_permit AND o.deregistered_block IS NULL
"""

# --------------------------------------------------------------------------------------- subnets
_SUBNET_KIND = """
    CASE event_type WHEN 'SubtensorModule.SubnetObserved' THEN 'observed'
                    WHEN 'SubtensorModule.NetworkAdded' THEN 'added' ELSE 'removed' END
"""

WINDOW_NETUIDS = f"""
    CREATE TEMPORARY TABLE w_bt_netuids AS
    SELECT DISTINCT CAST(payload->>'netuid' AS INTEGER) AS netuid
    FROM events
    WHERE {WINDOW}
      AND event_type IN (
          'SubtensorModule.SubnetObserved', 'SubtensorModule.NetworkAdded', 'SubtensorModule.NetworkRemoved'
      )
    UNION
    SELECT DISTINCT netuid FROM w_bt_occupancy WHERE NOT registration
"""

_NEWER = """
    excluded.block_number > bittensor_subnet_state.block_number
    OR (excluded.block_number = bittensor_subnet_state.block_number
        AND excluded.event_id > bittensor_subnet_state.event_id)
"""

#: The latest event of each kind per subnet: the window's latest replaces the stored one when newer.
FOLD_SUBNET_EVENTS = f"""
    INSERT INTO bittensor_subnet_state (netuid, kind, block_number, block_time, event_id, payload)
    SELECT netuid, kind, block_number, block_time, event_id, CASE WHEN kind = 'observed' THEN payload END
    FROM (
        SELECT CAST(payload->>'netuid' AS INTEGER) AS netuid, {_SUBNET_KIND} AS kind,
               block_number, block_time, event_id, payload,
               ROW_NUMBER() OVER (
                   PARTITION BY CAST(payload->>'netuid' AS INTEGER), event_type
                   ORDER BY block_number DESC, event_id DESC
               ) AS rn
        FROM events
        WHERE {WINDOW}
          AND event_type IN (
              'SubtensorModule.SubnetObserved', 'SubtensorModule.NetworkAdded',
              'SubtensorModule.NetworkRemoved'
          )
    ) x
    WHERE rn = 1
    ON CONFLICT (netuid, kind) DO UPDATE SET
        block_number = excluded.block_number, block_time = excluded.block_time,
        event_id = excluded.event_id, payload = excluded.payload
    WHERE {_NEWER}
"""

FOLD_SUBNET_EPOCHS = """
    INSERT INTO bittensor_subnet_state (netuid, kind, block_number)
    SELECT netuid, 'epoch', MAX(block_number) FROM w_bt_occupancy WHERE NOT registration GROUP BY netuid
    ON CONFLICT (netuid, kind) DO UPDATE SET block_number = excluded.block_number
    WHERE excluded.block_number > bittensor_subnet_state.block_number
"""

DELETE_SUBNETS = """
    DELETE FROM subnets WHERE EXISTS (SELECT 1 FROM w_bt_netuids t WHERE t.netuid = subnets.netuid)
"""


def _state(kind: str, alias: str) -> str:
    return (
        f"LEFT JOIN bittensor_subnet_state {alias} ON {alias}.netuid = t.netuid AND {alias}.kind = '{kind}'"
    )


#: A subnet's outstanding alpha (held by stakers) in TAO rao at its pool price, from `SubnetObserved`.
_STAKE_VALUE_RAO = (
    "div(CAST(o.payload->>'alpha_out' AS NUMERIC(38, 0)) * CAST(o.payload->>'tao_in' AS NUMERIC(38, 0)), "
    "NULLIF(CAST(o.payload->>'alpha_in' AS NUMERIC(38, 0)), 0))"
)

INSERT_SUBNETS = f"""
    INSERT INTO subnets
        (netuid, name, owner, registered_block, registered_at, removed_at, tempo, emission_share, emission_tao,
         price_tao_per_alpha, price_block, pool_tao, pool_alpha, stake_alpha, stake_tao, miners, validators,
         last_observed_at, event_id)
    WITH epochs AS (
        SELECT s.netuid, s.block_number FROM bittensor_subnet_state s
        JOIN w_bt_netuids t ON t.netuid = s.netuid
        WHERE s.kind = 'epoch'
    ),
    counts AS (
        SELECT s.netuid,
               SUM(CASE WHEN s.validator_permit THEN 0 ELSE 1 END) AS miners,
               SUM(CASE WHEN s.validator_permit THEN 1 ELSE 0 END) AS validators
        FROM stg_bittensor_neurons s
        JOIN epochs e ON e.netuid = s.netuid AND e.block_number = s.block_number
        -- The epochs are recent: the range lets DuckDB skip older row groups by their zone maps.
        WHERE s.block_number >= (SELECT MIN(block_number) FROM epochs)
        GROUP BY s.netuid
    )
    SELECT t.netuid, o.payload->>'subnet_name', o.payload->>'owner',
           COALESCE(a.block_number, CAST(o.payload->>'network_registered_at' AS BIGINT)), a.block_time,
           CASE WHEN r.block_number >= COALESCE(a.block_number, 0)
                 AND r.block_number >= COALESCE(o.block_number, 0)
                THEN r.block_time END,
           CAST(o.payload->>'tempo' AS INTEGER), NULL,
           {whole("o.payload->>'emission'")},
           CAST(o.payload->>'tao_in' AS DOUBLE PRECISION) / NULLIF(CAST(o.payload->>'alpha_in' AS DOUBLE PRECISION), 0),
           o.block_number,
           {whole("o.payload->>'tao_in'")}, {whole("o.payload->>'alpha_in'")}, {whole("o.payload->>'alpha_out'")},
           -- The stakers' alpha at the pool price; root's stake is the TAO in its pool.
           CASE WHEN t.netuid = {ROOT} THEN {whole("o.payload->>'tao_in'")}
                ELSE {whole(_STAKE_VALUE_RAO)} END,
           c.miners, c.validators, o.block_time, COALESCE(o.event_id, r.event_id, a.event_id)
    FROM w_bt_netuids t
    {_state("observed", "o")}
    {_state("added", "a")}
    {_state("removed", "r")}
    LEFT JOIN counts c ON c.netuid = t.netuid
    WHERE o.netuid IS NOT NULL OR a.netuid IS NOT NULL OR r.netuid IS NOT NULL OR c.netuid IS NOT NULL
"""

# Shares depend on every subnet's emission, so they are refreshed from the table itself (a few hundred
# rows at most), never from history.
UPDATE_EMISSION_SHARES = """
    UPDATE subnets SET emission_share = CASE
        WHEN removed_at IS NULL AND emission_tao IS NOT NULL THEN
            CAST(emission_tao AS DOUBLE PRECISION) / CAST(NULLIF((
                SELECT SUM(live.emission_tao)
                FROM subnets live WHERE live.removed_at IS NULL
            ), 0) AS DOUBLE PRECISION)
    END
"""

DROP_WINDOW_TABLES = tuple(
    f"DROP TABLE {name}"
    for name in (
        "w_bt_netuids",
        "w_bt_hotkeys",
        "w_bt_touched",
        "w_bt_removals",
        "w_bt_uids",
        "w_bt_occupancy",
    )
)

BITTENSOR = register(
    Projection(
        name="bittensor",
        tables=(
            "stg_bittensor_neurons",
            "stg_bittensor_registrations",
            "bittensor_holders",
            "bittensor_subnet_state",
            "miners",
            "subnets",
            "stg_bittensor_issuance",
            "stg_bittensor_subnet_blocks",
            "bittensor_epoch_prices",
            "bittensor_emission_daily",
            "subnet_emission_daily",
        ),
        doc=__doc__,
        statements=(
            DIV_MACRO,
            *parse_payload_once(STAGE_NEURONS),
            STAGE_REGISTRATIONS,
            *parse_payload_once(STAGE_ISSUANCE),
            *STAGE_SUBNET_BLOCKS,
            FOLD_EMISSION_DAILY,
            FOLD_SUBNET_DAILY_BLOCKS,
            WINDOW_OCCUPANCY,
            *FOLD_EPOCH_PRICES,
            FOLD_SUBNET_DAILY_EPOCHS,
            WINDOW_UIDS,
            OnlyOn("postgresql", "ANALYZE w_bt_occupancy"),
            OnlyOn("postgresql", "ANALYZE w_bt_uids"),
            DELETE_REPLAYED_HOLDERS,
            REPLAY_HOLDERS,
            *FOLD_HOLDERS,
            WINDOW_REMOVALS,
            WINDOW_TOUCHED,
            *MARK_REMOVED_HOLDERS,
            DELETE_MINERS,
            INSERT_MINERS,
            RESET_VALIDATORS,
            WINDOW_HOTKEYS,
            DELETE_VALIDATORS,
            INSERT_VALIDATORS,
            WINDOW_NETUIDS,
            FOLD_SUBNET_EVENTS,
            FOLD_SUBNET_EPOCHS,
            DELETE_SUBNETS,
            INSERT_SUBNETS,
            UPDATE_EMISSION_SHARES,
            *DROP_WINDOW_TABLES,
        ),
    )
)
