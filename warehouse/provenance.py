"""Provenance: from a mart row back to the on-chain events behind it.

`events_behind(url, table, key)` returns the events (event_id, block_number, block_time, event_type,
position, payload) that produced the row of `table` with that key, oldest first. Every mart row also
carries `event_id`, the single observation it shows; this module returns the whole set it was
computed from, so a user can drill from a number to the blocks behind it.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import db

_COLUMNS = "e.event_id, e.block_number, e.block_time, e.event_type, e.position, e.payload"

#: table -> (key columns, SQL selecting the events behind one row, with the key as parameters)
_BEHIND: dict[str, tuple[tuple[str, ...], str]] = {
    "stg_bittensor_neurons": (("event_id",), f"SELECT {_COLUMNS} FROM events e WHERE e.event_id = :event_id"),
    "miners": (
        ("netuid", "uid", "hotkey"),
        f"""
        SELECT {_COLUMNS} FROM events e
        WHERE e.event_id IN (
            SELECT s.event_id FROM stg_bittensor_neurons s
            WHERE s.netuid = :netuid AND s.uid = :uid AND s.hotkey = :hotkey
        )
        OR (e.event_type = 'SubtensorModule.NeuronRegistered'
            AND CAST(e.payload->>'netuid' AS INTEGER) = :netuid
            AND CAST(e.payload->>'uid' AS INTEGER) = :uid
            AND e.payload->>'hotkey' = :hotkey)
        """,
    ),
    "validators": (
        ("validator_id",),
        f"""
        SELECT {_COLUMNS} FROM events e
        WHERE e.event_id IN (
            SELECT s.event_id FROM stg_bittensor_neurons s
            JOIN validators v ON v.chain = 'bittensor' AND v.netuid = s.netuid AND v.address = s.hotkey
            WHERE v.validator_id = :validator_id
        )
        """,
    ),
    "subnets": (
        ("netuid",),
        f"""
        SELECT {_COLUMNS} FROM events e
        WHERE e.event_type IN (
                'SubtensorModule.SubnetObserved', 'SubtensorModule.NetworkAdded',
                'SubtensorModule.NetworkRemoved'
              )
          AND CAST(e.payload->>'netuid' AS INTEGER) = :netuid
        """,
    ),
}


def events_behind(url_or_engine: str | Engine | None, table: str, key: dict) -> pd.DataFrame:
    """The events behind one row of `table`, e.g. `events_behind(url, "miners", {"netuid": 3,
    "uid": 7, "hotkey": "5F…"})`; raises ValueError naming the table or the key columns it needs."""
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
                sa.text(f"SELECT * FROM ({sql}) behind ORDER BY block_number, event_id"),
                {c: key[c] for c in columns},
            )
            return pd.DataFrame(result.all(), columns=list(result.keys()))
    finally:
        if engine is not url_or_engine:
            engine.dispose()
