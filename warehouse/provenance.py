"""Provenance: from a mart row back to the on-chain events behind it.

`events_behind(url, table, key)` returns the events (event_id, block_number, block_time, event_type,
position, payload) that the row of `table` with that key was computed from, oldest first. Every mart
row also carries `event_id`, the single observation it shows; this module returns the whole set, so a
user can drill from a number to the blocks behind it. The lookups read the staging and state tables
(indexed by the row's key), never a scan of the event store's payloads.

What "behind" means, per table:

- `stg_bittensor_neurons`: the observation itself.
- `miners`: the holder's registrations and observations at the UID, and the event of the hotkey that
  took the UID over at `deregistered_block` (the deregistration is read from it).
- `validators`: Bittensor — every observation of (netuid, hotkey). Sahara — every observation of the
  operator in a validator set, its `rewards` and `commission` events in the block of the latest one
  (the commission rate), and every staking event that moved its bonded tokens (self-bond, delegations,
  unbondings, redelegations: the delegated amount and the delegator count).
- `subnets`: the latest `SubnetObserved`, `NetworkAdded` and `NetworkRemoved` of the subnet and the
  observations of its latest metagraph epoch (the miner and validator counts).
- `annotations`: the annotation's submissions, reviews and the payments attributed to it, and its
  task's `TaskCreated` (the client).
- `contributors`: the events of the contributor's annotations, their own submissions and payments,
  and their reputation mints.
- `market_caps` / `market_caps_daily`: every quote of the coin in that hour / day.
- `bittensor_stake_flows_daily`: the stake events of that UTC day with a leg on the subnet (added or
  removed there, or moved out of or into it).
- `ecosystem_daily`: the chain's events of that UTC day that the row counts (Bittensor metagraph
  observations and the per-block emission observations, whose pools price the epochs; Sahara submissions, payments, validator sets and mints) and the coin's quotes of the
  day (price and market cap). A day holds many events: the result is bounded by `limit`.

Every result is bounded: at most `limit` events (oldest first); `frame.attrs["truncated"]` says whether
more exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import db

_COLUMNS = "e.event_id, e.block_number, e.block_time, e.event_type, e.position, e.payload"
DEFAULT_LIMIT = 10_000

_SAHARA_DAY_TYPES = (
    "'DataServices.AnnotationSubmitted', 'DataServices.RewardPaid', 'staking.ValidatorObserved', 'mint.mint'"
)


def _quotes(period: str) -> str:
    return f"""
        SELECT {_COLUMNS} FROM events e
        WHERE e.event_type = 'market.Quote' AND e.block_time >= :period_start AND e.block_time < :period_end
          AND e.payload->>'coin_id' = :coin_id
    """


def _events_at(keys: str) -> str:
    """The events whose (block_number, event_id) pairs `keys` selects, each once. Joined on the block
    too: an event id fixes its block (it hashes it), and the blocks let DuckDB skip every part of the
    event store outside them (a row is behind a few blocks of a long history), where `event_id IN
    (...)` reads the whole store."""
    return f"""
        SELECT {_COLUMNS} FROM events e
        JOIN (
            SELECT DISTINCT block_number, event_id FROM ({keys}) keys
        ) behind_row ON e.block_number = behind_row.block_number AND e.event_id = behind_row.event_id
    """


#: table -> (key columns, SQL selecting the events behind one row, with the key as parameters)
_BEHIND: dict[str, tuple[tuple[str, ...], str]] = {
    "stg_bittensor_neurons": (("event_id",), f"SELECT {_COLUMNS} FROM events e WHERE e.event_id = :event_id"),
    "miners": (
        ("netuid", "uid", "hotkey"),
        _events_at("""
            SELECT s.block_number, s.event_id FROM stg_bittensor_neurons s
            WHERE s.netuid = :netuid AND s.uid = :uid AND s.hotkey = :hotkey
            UNION ALL
            SELECT r.block_number, r.event_id FROM stg_bittensor_registrations r
            WHERE r.netuid = :netuid AND r.uid = :uid AND r.hotkey = :hotkey
            UNION ALL
            SELECT s.block_number, s.event_id FROM stg_bittensor_neurons s
            JOIN miners m ON m.netuid = s.netuid AND m.uid = s.uid AND m.deregistered_block = s.block_number
            WHERE m.netuid = :netuid AND m.uid = :uid AND m.hotkey = :hotkey AND s.hotkey <> m.hotkey
            UNION ALL
            SELECT r.block_number, r.event_id FROM stg_bittensor_registrations r
            JOIN miners m ON m.netuid = r.netuid AND m.uid = r.uid AND m.deregistered_block = r.block_number
            WHERE m.netuid = :netuid AND m.uid = :uid AND m.hotkey = :hotkey AND r.hotkey <> m.hotkey
            UNION ALL
            -- Deregistered with its subnet: the NetworkRemoved behind it.
            SELECT s.block_number, s.event_id FROM bittensor_subnet_state s
            JOIN miners m ON m.netuid = s.netuid AND m.deregistered_block = s.block_number
            WHERE s.kind = 'removed' AND m.netuid = :netuid AND m.uid = :uid AND m.hotkey = :hotkey
        """),
    ),
    "validators": (
        ("validator_id",),
        _events_at("""
            SELECT s.block_number, s.event_id FROM stg_bittensor_neurons s
            JOIN validators v ON v.chain = 'bittensor' AND v.netuid = s.netuid AND v.address = s.hotkey
            WHERE v.validator_id = :validator_id
            UNION ALL
            SELECT o.block_number, o.event_id FROM stg_sahara_validator_sets o
            WHERE o.operator_address = :validator_id
            UNION ALL
            SELECT f.block_number, f.event_id FROM stg_sahara_delegation_flows f WHERE f.validator = :validator_id
        """)
        + f"""
        UNION
        SELECT {_COLUMNS} FROM events e
        JOIN sahara_validator_state s
          ON e.chain = 'sahara' AND e.source = 'cometbft' AND e.block_number = s.observed_block
        WHERE s.validator_id = :validator_id
          AND e.event_type IN ('distribution.rewards', 'distribution.commission')
          AND e.payload->>'validator' = :validator_id
        """,
    ),
    "subnets": (
        ("netuid",),
        _events_at("""
            SELECT block_number, event_id FROM bittensor_subnet_state
            WHERE netuid = :netuid AND event_id IS NOT NULL
            UNION ALL
            SELECT s.block_number, s.event_id FROM stg_bittensor_neurons s
            JOIN bittensor_subnet_state k ON k.netuid = s.netuid AND k.kind = 'epoch' AND k.block_number = s.block_number
            WHERE s.netuid = :netuid
        """),
    ),
    "annotations": (
        ("annotation_id",),
        _events_at("""
            SELECT s.block_number, s.event_id FROM stg_sahara_annotation_events s
            WHERE s.annotation_id = :annotation_id
            UNION ALL
            SELECT t.block_number, t.event_id FROM stg_sahara_tasks t
            JOIN annotations a ON a.task_id = t.task_id
            WHERE a.annotation_id = :annotation_id
        """),
    ),
    "contributors": (
        ("contributor",),
        _events_at("""
            SELECT s.block_number, s.event_id FROM stg_sahara_annotation_events s
            JOIN annotations a ON a.annotation_id = s.annotation_id
            WHERE a.contributor = :contributor
            UNION ALL
            SELECT s.block_number, s.event_id FROM stg_sahara_annotation_events s
            WHERE s.contributor = :contributor AND s.kind IN ('submitted', 'paid')
        """)
        + f"""
        UNION
        SELECT {_COLUMNS} FROM events e
        WHERE e.event_type = 'Reputation.ReputationMinted' AND e.payload->>'holder' = :contributor
        """,
    ),
    "market_caps": (("coin_id", "hour"), _quotes("hour")),
    "market_caps_daily": (("coin_id", "day"), _quotes("day")),
    "bittensor_stake_flows_daily": (
        ("netuid", "day"),
        _events_at("""
            SELECT s.block_number, s.event_id FROM stg_bittensor_stake_events s
            WHERE s.block_time >= :period_start AND s.block_time < :period_end
              AND (s.netuid = :netuid OR s.destination_netuid = :netuid)
        """),
    ),
    "ecosystem_daily": (
        ("chain", "day"),
        f"""
        SELECT {_COLUMNS} FROM events e
        WHERE e.event_type IN ('SubtensorModule.NeuronObserved', 'SubtensorModule.EmissionObserved', 'market.Quote',
                               {_SAHARA_DAY_TYPES})
          AND e.block_time >= :period_start AND e.block_time < :period_end
          AND CASE e.event_type
                  WHEN 'market.Quote' THEN e.payload->>'coin_id' = CASE CAST(:chain AS VARCHAR(16))
                                                                  WHEN 'bittensor' THEN 'bittensor'
                                                                  ELSE 'sahara-ai' END
                  WHEN 'SubtensorModule.NeuronObserved' THEN CAST(:chain AS VARCHAR(16)) = 'bittensor'
                  WHEN 'SubtensorModule.EmissionObserved' THEN CAST(:chain AS VARCHAR(16)) = 'bittensor'
                  ELSE CAST(:chain AS VARCHAR(16)) = 'sahara' AND e.chain = 'sahara'
              END
        """,
    ),
}

#: Tables keyed by a period: its start column and length.
_PERIODS = {"market_caps": ("hour", timedelta(hours=1)), "market_caps_daily": ("day", timedelta(days=1))}
_PERIODS["ecosystem_daily"] = ("day", timedelta(days=1))
_PERIODS["bittensor_stake_flows_daily"] = ("day", timedelta(days=1))


def _moment(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _parameters(table: str, key: dict) -> dict:
    columns, _sql = _BEHIND[table]
    params = {c: key[c] for c in columns}
    if table in _PERIODS:
        column, length = _PERIODS[table]
        start = _moment(key[column])
        params.update(period_start=start, period_end=start + length)
        params.pop(column)
    return params


def events_behind(
    url_or_engine: str | Engine | None, table: str, key: dict, *, limit: int = DEFAULT_LIMIT
) -> pd.DataFrame:
    """The events behind one row of `table`, e.g. `events_behind(url, "miners", {"netuid": 3,
    "uid": 7, "hotkey": "5F…"})`; raises ValueError naming the table or the key columns it needs.
    At most `limit` events, oldest first; `frame.attrs["truncated"]` tells whether more exist."""
    if table not in _BEHIND:
        raise ValueError(f"provenance: no lineage defined for table {table!r}; known: {sorted(_BEHIND)}")
    columns, sql = _BEHIND[table]
    missing = [c for c in columns if c not in key]
    if missing:
        raise ValueError(f"provenance: a {table} row is keyed by {list(columns)}; missing {missing}")
    engine = url_or_engine if isinstance(url_or_engine, Engine) else db.make_engine(url_or_engine)
    try:
        with db.connect(engine) as conn:
            result = conn.execute(
                sa.text(f"SELECT * FROM ({sql}) behind ORDER BY block_number, event_id LIMIT :limit_"),
                {**_parameters(table, key), "limit_": int(limit) + 1},
            )
            rows = result.all()
            frame = pd.DataFrame(rows[:limit], columns=list(result.keys()))
    finally:
        if engine is not url_or_engine:
            engine.dispose()
    frame.attrs["truncated"] = len(rows) > limit
    return frame
