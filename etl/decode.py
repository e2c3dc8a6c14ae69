"""`decai decode KIND FILE`: decode one captured response the way ingestion would, for operators.

Each kind names a function `decode(text: str, **options) -> Iterable[dict]` that yields, for every
event in the input, either a canonical event (`event_id`, `event_type`, `payload`, …) or a quarantine
record (`"quarantined": true`, `reason`). Every event in the input comes out exactly once.

A capture that is no answer at all (empty, binary, cut short, nested beyond any node's answer, or a
JSON-RPC error) is refused by `capture_text` with a one-line `ValueError`, and any failure of a
decoder on a capture surfaces as a `ValueError` too: the command line prints one line, never a
traceback.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Iterator

#: Deeper than any node's answer (a /block_results is 5 levels): a deeper capture is refused before
#: a JSON reader recurses into it.
MAX_JSON_DEPTH = 64

DECODERS = {
    "coingecko-market-chart": "etl.pipeline.market:decode_capture",
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
    return _failures_as_value_errors(kind, func(text, **options))


def _failures_as_value_errors(kind: str, records: Iterable[dict]) -> Iterator[dict]:
    try:
        yield from records
    except ValueError:
        raise
    except BaseException as exc:  # a JSON-RPC error, a recursion, a decoder's panic: one clear line
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise ValueError(f"{kind}: the capture cannot be decoded ({type(exc).__name__}: {exc})") from None


def _depth(text: str) -> int:
    """The deepest nesting of JSON arrays and objects in `text`, strings skipped (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def capture_text(data: bytes, name: str = "the capture") -> str:
    """The text of a captured answer, or a one-line ValueError saying why it is no answer at all."""
    if not data.strip():
        raise ValueError(f"{name} is empty: there is nothing to decode")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{name} is binary, not a captured answer (byte {exc.start} is not UTF-8 text)"
        ) from None
    if "\x00" in text:
        raise ValueError(f"{name} is binary, not a captured answer (it holds NUL bytes)")
    if text.lstrip()[:1] not in ("{", "[", '"'):
        return text  # bare hex (subtensor kinds); the decoder checks it
    depth = _depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(
            f"{name} nests JSON {depth} levels deep; no node answer nests beyond {MAX_JSON_DEPTH}"
        )
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{name} is not complete JSON (truncated?): {exc}") from None
    if isinstance(body, dict) and body.get("error") is not None and "result" not in body:
        error = body["error"]
        if isinstance(error, dict):
            error = f"code {error.get('code')}: {error.get('message')}"
        raise ValueError(f"{name} is a JSON-RPC error answer, not data: {str(error)[:200]}")
    return text


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
