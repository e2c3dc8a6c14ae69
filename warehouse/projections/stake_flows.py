"""Bittensor stake flows: what stakers put into and took out of each subnet, per UTC day.

- `stg_bittensor_stake_events` — grain: one row per stake event (`SubtensorModule.StakeAdded`,
  `StakeRemoved`, `StakeMoved`, `StakeTransferred`, `StakeSwapped`). Typed and renamed only: the
  event's `operation` ('added', 'removed', 'moved', 'transferred', 'swapped'); the stake it leaves or
  joins as (coldkey, hotkey, netuid); for the three moves, where it goes (`destination_coldkey`,
  `destination_hotkey`, `destination_netuid`; a side the event does not change is the origin's);
  `tao_rao` (TAO base units), `alpha_rao` (the subnet's alpha base units; added and removed only) and
  `fee_base_units` (the swap fee as the event carries it; spec 343 on) as NUMERIC(38, 0).
- `bittensor_stake_day_coldkeys` — grain: one row per (netuid, day, coldkey) that staked, unstaked or
  moved stake on the subnet that day: the running state the daily distinct count is read from.
- `bittensor_stake_flows_daily` — grain: one row per (netuid, UTC day) with a stake event of the
  subnet. Counts and sums of the day's legs on the subnet:
  - `added_*`: `StakeAdded` — TAO paid in (`tao`, the swap fee included) and alpha bought (`alpha`);
  - `removed_*`: `StakeRemoved` — TAO paid out to the coldkey (`tao`) and alpha sold (`alpha`);
  - `moved_out_*` / `moved_in_*`: the origin and destination legs of `StakeMoved`,
    `StakeTransferred` and `StakeSwapped`, in TAO as the events state them (a move inside one subnet,
    to another hotkey or coldkey, is both a leg out and a leg in of that subnet, and nets to zero);
  - `net_flow_tao` = added_tao - removed_tao + moved_in_tao - moved_out_tao: TAO terms, per subnet,
    the figure the dashboard charts;
  - `net_staked_alpha` = added_alpha - removed_alpha, in that subnet's alpha (never added across
    subnets; moves state no alpha amount, so they are not in it);
  - `coldkeys`: distinct coldkeys with a leg on the subnet that day; `first_block`, `last_block`: the
    day's first and last block with one; `complete` from `chain_days` (Bittensor): every block of the
    day is stored, so a partial day's sums are not the day's.
  Root (netuid 0) is staked in TAO: its alpha columns equal its TAO ones, as the chain reports them.

**Units.** Sums are exact: base units summed as NUMERIC(38, 0), then whole tokens as DECIMAL(38, 9)
(`*_tao`, `*_alpha`), never floats. A swap fee's token depends on the side of the swap, so the fee is
kept in staging as the event carries it and not summed.

**Folding.** A run stages the window's stake events, splits them into legs (one per add or remove,
two per move), adds the window's counts and sums to each touched (netuid, day) row, records the legs'
coldkeys in the running state and recounts the touched days from it; `complete` is refreshed for every
row whose chain day changed. Sums add and the count is of a set, so incremental runs and a rebuild
give identical rows whatever the split.
"""

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register
from warehouse.projections.bittensor import whole

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"

#: Event type -> the `operation` staging names it.
OPERATIONS = {
    "SubtensorModule.StakeAdded": "added",
    "SubtensorModule.StakeRemoved": "removed",
    "SubtensorModule.StakeMoved": "moved",
    "SubtensorModule.StakeTransferred": "transferred",
    "SubtensorModule.StakeSwapped": "swapped",
}
MOVES = ("moved", "transferred", "swapped")
_TYPES = ", ".join(f"'{t}'" for t in OPERATIONS)
_OPERATION = "CASE event_type " + " ".join(f"WHEN '{t}' THEN '{o}'" for t, o in OPERATIONS.items()) + " END"
_IS_MOVE = "event_type IN (" + ", ".join(f"'{t}'" for t, o in OPERATIONS.items() if o in MOVES) + ")"
_MOVES = ", ".join(f"'{o}'" for o in MOVES)

# The decoded layouts name the origin side `coldkey`/`hotkey`/`netuid` where the event does not change
# it, else `origin_*`; a destination the event does not name is the origin's.
STAGE_STAKE_EVENTS = f"""
    INSERT INTO stg_bittensor_stake_events
        (event_id, seq, block_number, block_time, operation, coldkey, hotkey, netuid, destination_coldkey,
         destination_hotkey, destination_netuid, tao_rao, alpha_rao, fee_base_units)
    SELECT event_id, seq, block_number, block_time, {_OPERATION},
           COALESCE(payload->>'coldkey', payload->>'origin_coldkey'),
           COALESCE(payload->>'hotkey', payload->>'origin_hotkey'),
           CAST(COALESCE(payload->>'netuid', payload->>'origin_netuid') AS INTEGER),
           CASE WHEN {_IS_MOVE} THEN COALESCE(payload->>'destination_coldkey', payload->>'coldkey') END,
           CASE WHEN {_IS_MOVE} THEN COALESCE(payload->>'destination_hotkey', payload->>'hotkey') END,
           CAST(payload->>'destination_netuid' AS INTEGER),
           CAST(payload->>'tao' AS NUMERIC(38, 0)), CAST(payload->>'alpha' AS NUMERIC(38, 0)),
           CAST(payload->>'fee' AS NUMERIC(38, 0))
    FROM events
    WHERE {WINDOW} AND event_type IN ({_TYPES})
"""

#: The window's legs: one per add or remove, two per move (out of the origin, into the destination).
WINDOW_LEGS = f"""
    CREATE TEMPORARY TABLE w_sf_legs AS
    SELECT netuid, {_DAY} AS day, operation AS leg, coldkey, tao_rao, alpha_rao, block_number
    FROM stg_bittensor_stake_events WHERE {WINDOW} AND operation IN ('added', 'removed')
    UNION ALL
    SELECT netuid, {_DAY}, 'out', coldkey, tao_rao, CAST(NULL AS NUMERIC(38, 0)), block_number
    FROM stg_bittensor_stake_events WHERE {WINDOW} AND operation IN ({_MOVES})
    UNION ALL
    SELECT destination_netuid, {_DAY}, 'in', destination_coldkey, tao_rao, CAST(NULL AS NUMERIC(38, 0)),
           block_number
    FROM stg_bittensor_stake_events WHERE {WINDOW} AND operation IN ({_MOVES})
"""

FOLD_COLDKEYS = """
    INSERT INTO bittensor_stake_day_coldkeys (netuid, day, coldkey)
    SELECT DISTINCT netuid, day, coldkey FROM w_sf_legs
    ON CONFLICT (netuid, day, coldkey) DO NOTHING
"""


def _count(leg: str) -> str:
    return f"SUM(CASE WHEN leg = '{leg}' THEN 1 ELSE 0 END)"


def _sum(leg: str, column: str) -> str:
    return f"SUM(CASE WHEN leg = '{leg}' THEN {column} ELSE 0 END)"


_ADDED = ("added_count", "added_tao", "added_alpha", "removed_count", "removed_tao", "removed_alpha")
_MOVED = ("moved_in_count", "moved_in_tao", "moved_out_count", "moved_out_tao")
_NETS = ("net_flow_tao", "net_staked_alpha")
_FLOW_COLUMNS = (
    f"(netuid, day, complete, {', '.join((*_ADDED, *_MOVED, *_NETS))}, coldkeys, first_block, last_block)"
)


def _added_to(column: str) -> str:
    return f"{column} = bittensor_stake_flows_daily.{column} + excluded.{column}"


#: Per touched (netuid, day): the window's counts and sums add to the stored ones; the distinct
#: coldkeys are recounted from the running state (the window's were recorded first); `complete` is the
#: chain day's.
FOLD_DAILY = f"""
    INSERT INTO bittensor_stake_flows_daily {_FLOW_COLUMNS}
    WITH sums AS (
        SELECT netuid, day,
               {_count("added")} AS added_count, {_sum("added", "tao_rao")} AS added_tao,
               {_sum("added", "alpha_rao")} AS added_alpha,
               {_count("removed")} AS removed_count, {_sum("removed", "tao_rao")} AS removed_tao,
               {_sum("removed", "alpha_rao")} AS removed_alpha,
               {_count("in")} AS in_count, {_sum("in", "tao_rao")} AS in_tao,
               {_count("out")} AS out_count, {_sum("out", "tao_rao")} AS out_tao,
               MIN(block_number) AS first_block, MAX(block_number) AS last_block
        FROM w_sf_legs GROUP BY netuid, day
    ),
    coldkeys AS (
        SELECT c.netuid, c.day, COUNT(*) AS coldkeys
        FROM bittensor_stake_day_coldkeys c
        JOIN (SELECT DISTINCT netuid, day FROM w_sf_legs) t ON t.netuid = c.netuid AND t.day = c.day
        GROUP BY c.netuid, c.day
    )
    SELECT s.netuid, s.day, COALESCE(d.complete, FALSE),
           s.added_count, {whole("s.added_tao")}, {whole("s.added_alpha")},
           s.removed_count, {whole("s.removed_tao")}, {whole("s.removed_alpha")},
           s.in_count, {whole("s.in_tao")}, s.out_count, {whole("s.out_tao")},
           {whole("s.added_tao - s.removed_tao + s.in_tao - s.out_tao")},
           {whole("s.added_alpha - s.removed_alpha")},
           c.coldkeys, s.first_block, s.last_block
    FROM sums s
    JOIN coldkeys c ON c.netuid = s.netuid AND c.day = s.day
    LEFT JOIN chain_days d ON d.chain = 'bittensor' AND d.day = s.day
    ON CONFLICT (netuid, day) DO UPDATE SET
        {", ".join(_added_to(c) for c in (*_ADDED, *_MOVED, *_NETS))},
        complete = excluded.complete,
        coldkeys = excluded.coldkeys,
        first_block = LEAST(bittensor_stake_flows_daily.first_block, excluded.first_block),
        last_block = GREATEST(bittensor_stake_flows_daily.last_block, excluded.last_block)
"""

#: Days stored whole since the last run (or found incomplete again): the flag follows `chain_days`.
REFRESH_COMPLETE = """
    UPDATE bittensor_stake_flows_daily SET complete = c.complete
    FROM chain_days c
    WHERE c.chain = 'bittensor' AND c.day = bittensor_stake_flows_daily.day
      AND c.complete <> bittensor_stake_flows_daily.complete
"""

STAKE_FLOWS = register(
    Projection(
        name="bittensor_stake_flows",
        tables=("stg_bittensor_stake_events", "bittensor_stake_day_coldkeys", "bittensor_stake_flows_daily"),
        doc=__doc__,
        statements=(
            *parse_payload_once(STAGE_STAKE_EVENTS),
            WINDOW_LEGS,
            OnlyOn("postgresql", "ANALYZE w_sf_legs"),
            FOLD_COLDKEYS,
            FOLD_DAILY,
            REFRESH_COMPLETE,
            "DROP TABLE w_sf_legs",
        ),
        # After `chain_days` (stage 0), whose completeness it copies; and run when only batches came
        # (a day can become complete without a new stake event).
        upstream=("chain_days",),
        reads_batches=True,
    )
)
