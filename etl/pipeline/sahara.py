"""The steps of the `sahara_ingest` DAG as plain functions (the DAG file only wires them).

- `plan(...)`: the run's window (run configuration `start_block`/`end_block`, else `start`/`end`, else
  the data interval) becomes a block range per source by binary search on block times; the parts of
  it the event store does not cover yet are cut into chunks `{"source", "start", "end"}`.
- `ingest_chunk(chunk)`: fetch -> audit -> validate -> append, one transaction per chunk.
- `summarize(results)`: totals per source for the run's log and XCom.

A run with an explicit window ingests exactly that window. A scheduled run ingests from the first
stored block (or its window's start, on the very first run) to its window's end, so any gap left by
a failed chunk or by a window that ended past the node's head is filled by the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from etl.dag_defaults import SAHARA_CHUNK_BLOCKS
from etl.pipeline.chain import first_block_at_or_after, ingest_range, plan_chunks

log = logging.getLogger(__name__)

SOURCES = ("cometbft", "evm")
DEFAULT_CHUNK_BLOCKS = SAHARA_CHUNK_BLOCKS  # three hours of 5 s blocks


def make_source(name: str):
    """The connector for `cometbft` or `evm`, on its Airflow connection (the devnet when unset)."""
    if name == "cometbft":
        from etl.sources.cometbft import CometBFTSource

        return CometBFTSource.from_connection()
    if name == "evm":
        from etl.sources.evm import EvmSource

        return EvmSource.from_connection()
    raise ValueError(f"unknown Sahara source {name!r}; expected one of {SOURCES}")


def _earliest(source) -> int:
    if hasattr(source, "earliest_height"):
        return max(1, source.earliest_height())
    block = source.call("eth_getBlockByNumber", ["earliest", False])
    return max(1, int(block["number"], 16)) if block else 1


def locate(block_time: Callable[[int], int], ts: int, lo: int, head: int, seconds_per_block: float) -> int:
    """The first block in [lo, head] whose time is >= ts (head + 1 if none).

    Guesses the block from the average block time, widens a bracket around the guess until it holds
    the answer, then binary-searches inside it (`first_block_at_or_after`): about a dozen reads near
    the answer instead of a search across the whole chain, and exactly the same answer.
    """
    guess = head - int((block_time(head) - ts) / seconds_per_block)
    guess = min(head, max(lo, guess))
    step = 32
    low = guess
    while low > lo and block_time(low) >= ts:
        low = max(lo, guess - step)
        step *= 4
    step = 32
    high = guess
    while high < head and block_time(high) < ts:
        high = min(head, guess + step)
        step *= 4
    return first_block_at_or_after(block_time, ts, low, high)


def block_range(source, start_ts: int, end_ts: int, *, sample: int = 1000) -> tuple[int, int]:
    """Blocks [a, b) whose time falls in [start_ts, end_ts), as far as the node's head reaches."""
    head = source.finalized_head()
    lo = _earliest(source)
    times: dict[int, int] = {}

    def block_time(number: int) -> int:
        if number not in times:
            times[number] = source.block_time(number)
        return times[number]

    back = max(lo, head - sample)
    seconds_per_block = (
        max(0.1, (block_time(head) - block_time(back)) / (head - back)) if head > back else 5.0
    )
    first = locate(block_time, start_ts, lo, head, seconds_per_block)
    stop = locate(block_time, end_ts, lo, head, seconds_per_block)
    return first, max(first, stop)


def plan(
    params: dict | None,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
    run_after: datetime | None = None,
    *,
    warehouse_url: str | None = None,
) -> list[dict]:
    """Chunks still to ingest for the run, for every Sahara source."""
    from etl.windows import resolve_window

    params = dict(params or {})
    chunk_blocks = int(params.get("chunk_blocks") or DEFAULT_CHUNK_BLOCKS)
    names = params.get("sources") or list(SOURCES)
    explicit_blocks = params.get("start_block") is not None or params.get("end_block") is not None
    explicit_window = explicit_blocks or params.get("start") is not None or params.get("end") is not None
    if explicit_blocks and (params.get("start_block") is None or params.get("end_block") is None):
        raise ValueError("run configuration needs both `start_block` and `end_block`")
    window = None if explicit_blocks else resolve_window(params, interval_start, interval_end, run_after)
    chunks: list[dict] = []
    for name in names:
        source = make_source(name)
        try:
            if explicit_blocks:
                first, stop = int(params["start_block"]), int(params["end_block"])
            else:
                first, stop = block_range(source, *window)
            if stop <= first:
                log.info("%s: no blocks in the window %s", name, window)
                continue
            pieces = plan_chunks(
                source,
                start=first if explicit_window else None,
                end=stop,
                chunk_blocks=chunk_blocks,
                default_lookback=stop - first,
                warehouse_url=warehouse_url,
            )
        finally:
            source.close()
        log.info("%s: blocks [%s, %s) -> %s chunks to ingest", name, first, stop, len(pieces))
        chunks += [{"source": name, "start": a, "end": b} for a, b in pieces]
    return chunks


def ingest_chunk(chunk: dict, *, run_id: str | None = None, warehouse_url: str | None = None) -> dict:
    """Fetch, validate and append one chunk in one transaction; the batch summary, with the chunk's
    blocks and how fast they went (as the Bittensor task reports it)."""
    began = time.perf_counter()
    start, end = int(chunk["start"]), int(chunk["end"])
    source = make_source(chunk["source"])
    try:
        summary = ingest_range(source, start, end, warehouse_url=warehouse_url, run_id=run_id)
    finally:
        source.close()
    seconds = time.perf_counter() - began
    summary["blocks"] = end - start
    summary["blocks_per_s"] = round((end - start) / seconds, 1) if seconds > 0 else None
    summary["events_per_s"] = round(summary["rows_in"] / seconds, 1) if seconds > 0 else None
    return summary


def summarize(results: list[dict]) -> dict:
    out: dict = {"chunks": len(results)}
    for result in results:
        per = out.setdefault(
            result["source"], {"blocks": 0, "rows_in": 0, "rows_new": 0, "rows_quarantined": 0}
        )
        per["blocks"] += result["range_end"] - result["range_start"]
        for key in ("rows_in", "rows_new", "rows_quarantined"):
            per[key] += result.get(key, 0)
    log.info("sahara_ingest: %s", out)
    return out
