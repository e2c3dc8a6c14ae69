"""`decai decode KIND FILE`: decode one captured response the way ingestion would, for operators.

Each kind names a function `decode(text: str, **options) -> Iterable[dict]` that yields, for every
event in the input, either a canonical event (`event_id`, `event_type`, `payload`, …) or a quarantine
record (`"quarantined": true`, `reason`). Every event in the input comes out exactly once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

DECODERS = {
    "coingecko-market-chart": "etl.sources.coingecko:decode_capture",
    "subtensor-events": "etl.sources.subtensor:decode_capture_events",
    "subtensor-neurons-lite": "etl.sources.subtensor:decode_capture_neurons_lite",
    "cometbft-block-results": "etl.sources.cometbft:decode_capture",
    "evm-logs": "etl.sources.evm:decode_capture",
}


def decode(kind: str, text: str, **options) -> Iterable[dict]:
    if kind not in DECODERS:
        raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(sorted(DECODERS))}")
    module_name, func_name = DECODERS[kind].split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"kind {kind!r} is not available in this build ({exc})") from exc
    return func(text, **options)


def capture_record(item, *, with_time: bool = True) -> dict:
    """One output line of `decai decode`: a canonical event, or a quarantine record with its reason.

    `with_time=False` for captures that do not carry the block time (`/block_results`, `eth_getLogs`).
    """
    from etl.events import QuarantinedRow

    if isinstance(item, QuarantinedRow):
        return {
            "quarantined": True,
            "source": item.source,
            "block_number": item.block_number,
            "position": item.position,
            "rule": item.rule,
            "reason": item.reason,
            "raw": item.raw,
        }
    row = item.as_row()
    row.pop("batch_id", None)
    row.pop("ingested_at", None)
    row["payload"] = item.payload
    row["block_time"] = item.block_time.isoformat() if with_time else None
    return row
