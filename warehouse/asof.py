"""State as it stood at a past moment, reconstructed from `events` alone (never from the marts).

Each state has a SQL form — a query string with one parameter, `:as_of` (naive UTC timestamp), that
an analyst can run on DuckDB or PostgreSQL as is — and a function that runs it and returns a
DataFrame. Only events with `block_time <= :as_of` count, so ingesting later blocks never changes an
answer about the past.

Bittensor:
- `metagraph_as_of`: one row per (netuid, uid) — the latest `NeuronObserved` at or before the moment,
  leaving out subnets removed after that observation (`NetworkRemoved` at or before the moment).
- `stakes_as_of`: one row per (netuid, hotkey) — the stake of the latest observation plus the alpha of
  `StakeAdded` minus `StakeRemoved` after it and up to the moment. Epoch emissions credited after
  the observation are not events, so they are counted only from the next observation on.

Sahara:
- `validator_set_as_of`: the latest observed CometBFT validator set, one row per validator.
- `bonded_as_of`: one row per operator — the usah bonded to it, anchored to absolute state exactly as
  the `validators` mart is (its stored creation, else its latest observed voting power).
- `delegations_as_of`: one row per (validator, delegator) — the net flow of their delegation events,
  counted from `since_block` (no event carries a delegator's position, so a store that starts after
  genesis sees only what moved since).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import db

# ============================================================================== Bittensor metagraph
METAGRAPH_AS_OF_SQL = """
WITH observed AS (
    SELECT e.event_id, e.block_number, e.block_time, e.payload,
           ROW_NUMBER() OVER (
               PARTITION BY CAST(e.payload->>'netuid' AS INTEGER), CAST(e.payload->>'uid' AS INTEGER)
               ORDER BY e.block_number DESC, e.event_id DESC
           ) AS rn
    FROM events e
    WHERE e.event_type = 'SubtensorModule.NeuronObserved' AND e.block_time <= :as_of
)
SELECT CAST(o.payload->>'netuid' AS INTEGER) AS netuid,
       CAST(o.payload->>'uid' AS INTEGER) AS uid,
       o.payload->>'hotkey' AS hotkey,
       o.payload->>'coldkey' AS coldkey,
       CAST(o.payload->>'stake' AS NUMERIC(38, 0)) AS stake_rao,
       CAST(o.payload->>'emission' AS NUMERIC(38, 0)) AS emission_rao,
       CAST(o.payload->>'incentive' AS DOUBLE PRECISION) / 65535 AS incentive,
       CAST(o.payload->>'dividends' AS DOUBLE PRECISION) / 65535 AS dividends,
       CAST(o.payload->>'consensus' AS DOUBLE PRECISION) / 65535 AS consensus,
       CAST(o.payload->>'trust' AS DOUBLE PRECISION) / 65535 AS trust,
       CAST(o.payload->>'validator_trust' AS DOUBLE PRECISION) / 65535 AS validator_trust,
       CAST(o.payload->>'validator_permit' AS BOOLEAN) AS validator_permit,
       CAST(o.payload->>'active' AS BOOLEAN) AS active,
       o.block_number AS observed_block,
       o.block_time AS observed_at,
       o.event_id
FROM observed o
WHERE o.rn = 1
  AND NOT EXISTS (
      SELECT 1 FROM events r
      WHERE r.event_type = 'SubtensorModule.NetworkRemoved'
        AND r.block_time <= :as_of
        AND r.block_number > o.block_number
        AND CAST(r.payload->>'netuid' AS INTEGER) = CAST(o.payload->>'netuid' AS INTEGER)
  )
ORDER BY netuid, uid
"""

# ================================================================================ Bittensor stakes
STAKES_AS_OF_SQL = """
WITH observed AS (
    SELECT e.event_id, e.block_number, e.block_time,
           CAST(e.payload->>'netuid' AS INTEGER) AS netuid,
           e.payload->>'hotkey' AS hotkey,
           CAST(e.payload->>'stake' AS NUMERIC(38, 0)) AS observed_stake_rao,
           ROW_NUMBER() OVER (
               PARTITION BY CAST(e.payload->>'netuid' AS INTEGER), e.payload->>'hotkey'
               ORDER BY e.block_number DESC, e.event_id DESC
           ) AS rn
    FROM events e
    WHERE e.event_type = 'SubtensorModule.NeuronObserved' AND e.block_time <= :as_of
),
latest AS (SELECT * FROM observed WHERE rn = 1),
flows AS (
    SELECT l.netuid, l.hotkey,
           SUM(CASE WHEN f.event_type = 'SubtensorModule.StakeAdded'
                    THEN CAST(f.payload->>'alpha' AS NUMERIC(38, 0)) ELSE 0 END) AS added_rao,
           SUM(CASE WHEN f.event_type = 'SubtensorModule.StakeRemoved'
                    THEN CAST(f.payload->>'alpha' AS NUMERIC(38, 0)) ELSE 0 END) AS removed_rao
    FROM latest l
    JOIN events f
      ON f.event_type IN ('SubtensorModule.StakeAdded', 'SubtensorModule.StakeRemoved')
     AND f.block_time <= :as_of
     AND f.block_number > l.block_number
     AND CAST(f.payload->>'netuid' AS INTEGER) = l.netuid
     AND f.payload->>'hotkey' = l.hotkey
    GROUP BY l.netuid, l.hotkey
)
SELECT l.netuid, l.hotkey,
       l.observed_stake_rao,
       COALESCE(f.added_rao, 0) AS added_rao,
       COALESCE(f.removed_rao, 0) AS removed_rao,
       l.observed_stake_rao + COALESCE(f.added_rao, 0) - COALESCE(f.removed_rao, 0) AS stake_rao,
       l.block_number AS observed_block,
       l.block_time AS observed_at,
       l.event_id
FROM latest l
LEFT JOIN flows f ON f.netuid = l.netuid AND f.hotkey = l.hotkey
ORDER BY l.netuid, l.hotkey
"""


# ============================================ Bittensor metagraph from staging (the dashboard's reads)
# The same state as `METAGRAPH_AS_OF_SQL`, read from `stg_bittensor_neurons` within a bounded lookback
# for speed; tests check the two agree.
#: An as-of metagraph looks this far back for each subnet's last epoch (an epoch is 360 blocks, 72
#: minutes), so the query reads a bounded slice of staging, not the whole history.
METAGRAPH_LOOKBACK = timedelta(days=2)


#: A metagraph row's (`m`) alpha stake in TAO at its epoch's pool price (`p`, `bittensor_epoch_prices`);
#: root's stake is TAO.
STAKE_TAO_AT_EPOCH = (
    "CASE WHEN m.netuid = 0 THEN CAST(m.stake_rao AS DOUBLE PRECISION) / 1e9 "
    "ELSE CAST(m.stake_rao AS DOUBLE PRECISION) / 1e9 * CAST(p.subnet_tao_rao AS DOUBLE PRECISION) "
    "/ CAST(NULLIF(p.subnet_alpha_in_rao, 0) AS DOUBLE PRECISION) END"
)


def staged_metagraph_sql(key: str, columns: str, netuid_filter: str) -> str:
    """SQL for `columns` of the last observation before `:as_of` within `[:since, :as_of)` of each
    (netuid, `key`) — `key` 'uid' (the metagraph `warehouse.asof` rebuilds) or 'hotkey' — with `s` the
    staging rows and `netuid_filter` (`AND s.netuid = :netuid`, or nothing) restricting the subnets.

    Two cheap reads instead of a window function over every observation in the slice (about 20 a day
    per UID): the last block of each key from a few narrow columns, then the rows at those blocks only.
    The block names one row, as `ORDER BY block_number DESC, event_id DESC` did: a UID is observed
    once per block (the event's position names its subnet and UID), and a hotkey holds at most one UID
    of a subnet at a time.
    """
    return f"""
        WITH latest AS (
            SELECT s.netuid, s.{key}, MAX(s.block_number) AS block_number
            FROM stg_bittensor_neurons s
            WHERE s.block_time < :as_of AND s.block_time >= :since{netuid_filter}
            GROUP BY s.netuid, s.{key}
        )
        SELECT {columns}
        FROM stg_bittensor_neurons s
        JOIN latest l ON l.netuid = s.netuid AND l.{key} = s.{key} AND l.block_number = s.block_number
        WHERE s.block_time < :as_of AND s.block_time >= :since{netuid_filter}
          AND s.block_number >= (SELECT MIN(block_number) FROM latest)
    """


def as_of_param(ts: datetime | int | float) -> datetime:
    """A moment as the naive UTC timestamp `events.block_time` holds (aware datetimes are converted,
    numbers are UNIX seconds)."""
    if isinstance(ts, int | float):
        return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)
    if ts.tzinfo is not None:
        return ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def _query(engine_or_url: Engine | str | None, sql: str, ts: datetime | int | float) -> pd.DataFrame:
    engine = engine_or_url if isinstance(engine_or_url, Engine) else db.make_engine(engine_or_url)
    try:
        with db.connect(engine) as conn:
            result = conn.execute(sa.text(sql), {"as_of": as_of_param(ts)})
            return pd.DataFrame(result.all(), columns=list(result.keys()))
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def metagraph_as_of(engine_or_url: Engine | str | None, ts: datetime | int | float) -> pd.DataFrame:
    """Every subnet's metagraph as it stood at `ts`: one row per (netuid, uid), from the latest
    `NeuronObserved` at or before `ts` (see `METAGRAPH_AS_OF_SQL`)."""
    return _query(engine_or_url, METAGRAPH_AS_OF_SQL, ts)


def stakes_as_of(engine_or_url: Engine | str | None, ts: datetime | int | float) -> pd.DataFrame:
    """Stake per (netuid, hotkey) at `ts`, in alpha rao: latest observation plus the stake events
    after it (see `STAKES_AS_OF_SQL`)."""
    return _query(engine_or_url, STAKES_AS_OF_SQL, ts)


# ============================================================================= Sahara validator set
# The Sahara part builds its SQL from the fragments the Sahara projection uses, so the as-of state
# and the `validators` mart read the events the same way (see `warehouse.sahara_staking`).
def _sahara_sql() -> tuple[str, str, str]:
    from warehouse.sahara_staking import (
        ANCHOR_LAG,
        POWER_REDUCTION,
        delegation_flows_sql,
        staking_flows_sql,
        validator_set_sql,
    )

    latest_set = (
        "e.block_time <= :as_of AND e.block_number = (SELECT MAX(block_number) FROM events "
        "WHERE event_type = 'staking.ValidatorObserved' AND block_time <= :as_of)"
    )
    validator_set = f"""
SELECT v.block_number AS observed_block, v.block_time AS observed_at, v.set_position,
       v.consensus_address, v.operator_address, v.voting_power,
       CAST(v.voting_power AS DOUBLE PRECISION) / SUM(v.voting_power) OVER () AS power_share,
       v.proposer_priority, v.commission_atto_usah / NULLIF(v.reward_atto_usah, 0) AS commission_rate,
       v.event_id
FROM ({validator_set_sql(latest_set, "d.block_time <= :as_of")}) v
ORDER BY v.set_position
"""
    delegations = f"""
WITH flows AS ({delegation_flows_sql("e.block_time <= :as_of")})
SELECT validator, delegator, SUM(amount_usah) AS delegated_usah, COUNT(*) AS changes,
       MAX(block_time) AS last_changed_at, (SELECT MIN(block_number) FROM flows) AS since_block
FROM flows
GROUP BY validator, delegator
HAVING SUM(amount_usah) <> 0
ORDER BY validator, delegator
"""
    bonded = f"""
WITH flows AS ({staking_flows_sql("e.block_time <= :as_of")}),
observed AS (
    SELECT v.operator_address, v.block_number, v.event_id, v.voting_power,
           ROW_NUMBER() OVER (
               PARTITION BY v.operator_address ORDER BY v.block_number DESC, v.event_id DESC
           ) AS rn
    FROM ({validator_set_sql("e.block_time <= :as_of", "d.block_time <= :as_of")}) v
    WHERE v.operator_address IS NOT NULL
),
anchor AS (SELECT * FROM observed WHERE rn = 1),
created AS (
    SELECT validator, block_number, amount_usah,
           ROW_NUMBER() OVER (PARTITION BY validator ORDER BY block_number, event_id) AS rn
    FROM flows WHERE side = 'create'
),
validators AS (SELECT validator FROM flows UNION SELECT operator_address FROM anchor),
totals AS (
    SELECT v.validator,
           SUM(CASE WHEN f.side <> 'create' THEN f.amount_usah END) AS net_usah,
           SUM(CASE WHEN f.block_number > a.block_number - {ANCHOR_LAG} THEN f.amount_usah END) AS after_usah
    FROM validators v
    LEFT JOIN flows f ON f.validator = v.validator
    LEFT JOIN anchor a ON a.operator_address = v.validator
    GROUP BY v.validator
)
SELECT v.validator AS validator_id,
       CASE WHEN c.block_number IS NOT NULL THEN c.amount_usah + COALESCE(t.net_usah, 0)
            WHEN a.block_number IS NOT NULL
            THEN CAST(a.voting_power AS NUMERIC(38, 0)) * {POWER_REDUCTION} + COALESCE(t.after_usah, 0)
       END AS bonded_usah,
       CASE WHEN c.block_number IS NOT NULL THEN 'created' WHEN a.block_number IS NOT NULL THEN 'observed' END
           AS basis,
       COALESCE(c.block_number, a.block_number) AS since_block,
       a.block_number AS observed_block, a.voting_power AS observed_power
FROM validators v
LEFT JOIN created c ON c.validator = v.validator AND c.rn = 1
LEFT JOIN anchor a ON a.operator_address = v.validator
LEFT JOIN totals t ON t.validator = v.validator
ORDER BY v.validator
"""
    return validator_set, delegations, bonded


#: Sahara's validator set at `:as_of`: the latest `staking.ValidatorObserved` set at or before it, one
#: row per validator in set order, with the operator address matched from the same block's rewards.
#: Delegations at `:as_of`: one row per (validator operator, delegator) with a non-zero *net flow*
#: (delegate - unbond, redelegate moving from source to destination), in usah, over the stored events
#: up to `:as_of`, which begin at `since_block`: a delegator's actual position only when the store
#: starts at genesis (no event carries a position, so nothing absolute exists per delegator).
#: Bonded tokens at `:as_of`: one row per operator, anchored to absolute state as the `validators` mart
#: is — self-bond plus every flow when `create_validator` is stored (`basis` 'created'), else the
#: latest observed voting power x 1e18 plus the flows after that set (`basis` 'observed').
VALIDATOR_SET_AS_OF_SQL, DELEGATIONS_AS_OF_SQL, BONDED_AS_OF_SQL = _sahara_sql()


def validator_set_as_of(engine_or_url: Engine | str | None, ts: datetime | int | float) -> pd.DataFrame:
    """Sahara's CometBFT validator set as it stood at `ts` (see `VALIDATOR_SET_AS_OF_SQL`)."""
    return _query(engine_or_url, VALIDATOR_SET_AS_OF_SQL, ts)


def delegations_as_of(engine_or_url: Engine | str | None, ts: datetime | int | float) -> pd.DataFrame:
    """Sahara net delegation flows per (validator, delegator) up to `ts`, with the block they are
    counted from (see `DELEGATIONS_AS_OF_SQL`)."""
    return _query(engine_or_url, DELEGATIONS_AS_OF_SQL, ts)


def bonded_as_of(engine_or_url: Engine | str | None, ts: datetime | int | float) -> pd.DataFrame:
    """Usah bonded to each Sahara validator at `ts`, anchored to the observed voting power or to its
    stored creation (see `BONDED_AS_OF_SQL`)."""
    return _query(engine_or_url, BONDED_AS_OF_SQL, ts)
