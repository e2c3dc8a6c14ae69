"""Bittensor, end to end: plan the block chunks of a run, then ingest each (fetch, audit, validate, append).

The subtensor connector (`etl.sources.subtensor`) only fetches and decodes; this module maps a DAG
run's window to blocks, leaves out what is stored, and hands each chunk to `etl.pipeline.chain`.
"""

from __future__ import annotations

import time
from datetime import datetime

from etl.dag_defaults import BITTENSOR_CHUNK_BLOCKS
from etl.pipeline.chain import first_block_at_or_after, ingest_range, plan_chunks
from etl.sources.subtensor import SubtensorSource
from etl.windows import resolve_window
from warehouse import db
from warehouse.coverage import covered_ranges


def block_at_or_after(source: SubtensorSource, ts: int, head: int) -> int:
    """The first block with time >= ts (head + 1 if none): a guess from 12 s blocks, then bisection."""
    times: dict[int, int] = {}

    def block_time(n: int) -> int:
        if n not in times:
            times[n] = source.block_time(n)
        return times[n]

    head_time = block_time(head)
    guess = head - (head_time - ts) // 12
    lo = min(head, max(0, guess - 300))
    hi = min(head, max(lo, guess + 300))
    if (lo == 0 or block_time(lo) < ts) and block_time(hi) >= ts:
        return first_block_at_or_after(block_time, ts, lo, hi)
    return first_block_at_or_after(block_time, ts, 0, head)


def plan_ingest(
    source: SubtensorSource,
    params: dict | None,
    interval_start: datetime | None,
    interval_end: datetime | None,
    run_after: datetime | None = None,
    *,
    chunk_blocks: int = BITTENSOR_CHUNK_BLOCKS,
    carry_over_blocks: int = 7200,
    warehouse_url: str | None = None,
) -> list[dict]:
    """Block chunks `[{"start": a, "end": b}, …]` still to ingest for one DAG run.

    `start_block`/`end_block` in `params` name blocks directly; else `start`/`end` (ISO or unix s) or
    the data interval are mapped to blocks by their timestamps. A scheduled run also takes over the
    blocks after the last stored range that were not finalized when the previous run looked (up to
    `carry_over_blocks` back), so consecutive windows leave no gap. Stored ranges are never planned.
    """
    params = params or {}
    head = source.finalized_head()
    if params.get("start_block") is not None or params.get("end_block") is not None:
        start = int(params.get("start_block") or 0)
        end = int(params["end_block"]) if params.get("end_block") is not None else head + 1
    else:
        window = {k: params.get(k) for k in ("start", "end")}
        start_ts, end_ts = resolve_window(window, interval_start, interval_end, run_after)
        start = block_at_or_after(source, start_ts, head)
        end = block_at_or_after(source, end_ts, head)
        if params.get("start") is None:
            engine = db.make_engine(warehouse_url)
            try:
                covered = covered_ranges(engine, source.source, source.stream)
            finally:
                engine.dispose()
            before = [hi for _lo, hi in covered if hi <= start]
            if before and start - max(before) <= carry_over_blocks:
                start = max(before)
    if end <= start:
        return []
    chunks = plan_chunks(
        source,
        start=start,
        end=end,
        chunk_blocks=chunk_blocks,
        default_lookback=end - start,
        warehouse_url=warehouse_url,
    )
    return [{"start": a, "end": b} for a, b in chunks]


def ingest_chunk(
    url: str, start: int, end: int, *, run_id: str | None = None, warehouse_url: str | None = None
) -> dict:
    """Fetch, validate and append blocks [start, end) in one transaction; the batch summary."""
    began = time.perf_counter()
    with SubtensorSource(url) as source:
        summary = ingest_range(source, start, end, warehouse_url=warehouse_url, run_id=run_id)
    seconds = time.perf_counter() - began
    summary["blocks"] = end - start
    summary["blocks_per_s"] = round((end - start) / seconds, 1) if seconds > 0 else None
    summary["events_per_s"] = round(summary["rows_in"] / seconds, 1) if seconds > 0 else None
    return summary
