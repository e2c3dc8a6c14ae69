"""Chain data, end to end, for any source: fetch finalized blocks, audit, validate, append.

A connector implements `ChainSource`: it knows its finalized head and turns a block range into a
`ChainFetch` (canonical events, inputs it could not decode as quarantine rows, and the blocks it
read). This module does the rest the same way for every chain:

1. chain audit of the fetched blocks: every block of [start, end) present, `parent_hash(n) =
   hash(n-1)` inside the batch and against the last stored block; a failure raises and writes nothing;
2. the family's Great Expectations suite; failing rows go to quarantine with their reason;
3. a batch-level threshold on the quarantined share;
4. one atomic append: events, quarantine, blocks, DQ result, checkpoint, batch record.

With the batch it records the times of the blocks just outside the range (`boundary_times`): the
block before it (when not stored already) and the first block after it (when final). They tell the
completeness projection that a day's first and last stored blocks really are its first and last.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa

from etl.events import ChainAuditError, ChainFetch
from etl.settings import get_settings
from etl.validate.chain_events import validate_chain_events
from warehouse import db
from warehouse.coverage import chunk, covered_ranges, missing_ranges
from warehouse.store import append_batch, record_failed_batch

log = logging.getLogger(__name__)


class BlockGapError(ChainAuditError):
    pass


class QuarantineShareExceeded(RuntimeError):
    pass


class ChainSource(Protocol):
    source: str  # 'subtensor', 'cometbft', 'evm'
    chain: str  # 'bittensor', 'sahara'
    stream: str  # chain id / network name
    family: str  # suite family, e.g. 'bittensor', 'sahara_staking', 'sahara_contracts'

    def finalized_head(self) -> int: ...

    def fetch(self, start: int, end: int) -> ChainFetch: ...


def _format_ranges(numbers: list[int]) -> str:
    if not numbers:
        return ""
    parts, lo, prev = [], numbers[0], numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{lo}" if lo == prev else f"{lo}-{prev}")
        if n is not None:
            lo = prev = n
    return ", ".join(parts)


def audit_blocks(fetched: ChainFetch, source: str, stream: str, previous_hash: str | None) -> None:
    """Raise naming the problem when blocks are missing, repeated or not linked by parent hash."""
    numbers = sorted(b.number for b in fetched.blocks)
    expected = set(range(fetched.start, fetched.end))
    missing = sorted(expected - set(numbers))
    if missing:
        raise BlockGapError(
            f"{source}/{stream}: blocks {_format_ranges(missing)} missing from [{fetched.start}, {fetched.end}); "
            "nothing was written"
        )
    if len(numbers) != len(set(numbers)) or set(numbers) != expected:
        raise ChainAuditError(
            f"{source}/{stream}: blocks outside [{fetched.start}, {fetched.end}) or repeated"
        )
    by_number = {b.number: b for b in fetched.blocks}
    for number in range(fetched.start, fetched.end):
        block = by_number[number]
        parent = by_number[number - 1].hash if number - 1 in by_number else previous_hash
        if parent is not None and block.parent_hash is not None and block.parent_hash != parent:
            raise ChainAuditError(
                f"{source}/{stream}: block {number} has parent {block.parent_hash}, but block {number - 1} "
                f"is {parent}; the chain reorganised or the node is inconsistent"
            )


def _stored_hash(engine, source: str, stream: str, number: int) -> str | None:
    with db.connect(engine) as conn:
        return conn.execute(
            sa.text(
                "SELECT block_hash FROM chain_blocks WHERE source = :s AND stream = :t AND block_number = :n"
            ),
            {"s": source, "t": stream, "n": number},
        ).scalar()


def _time_of(client: ChainSource, number: int) -> datetime | None:
    """The time of block `number` from the node, or None (no such block, or it cannot be read)."""
    try:
        return datetime.fromtimestamp(client.block_time(number), UTC).replace(tzinfo=None)
    except Exception as exc:  # a boundary left unknown only keeps its day incomplete
        log.warning("%s/%s: time of block %s unknown (%s)", client.source, client.stream, number, exc)
        return None


def boundary_times(
    client: ChainSource, start: int, end: int, previous_stored: bool
) -> tuple[datetime | None, datetime | None]:
    """(time of block start - 1, time of block end) as the node reports them; None where unknown.

    Block `end` is read only when the finalized head has reached it, so its time proves that every
    block before it is final; block `start - 1` only when it is not stored already. A connector
    without `block_time` records neither.
    """
    if not callable(getattr(client, "block_time", None)):
        return None, None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="boundary") as pool:  # both ends at once
        before = None if previous_stored or start < 1 else pool.submit(_time_of, client, start - 1)
        after = _time_of(client, end) if client.finalized_head() >= end else None
        return (before.result() if before else None), after


def ingest_range(
    client: ChainSource,
    start: int,
    end: int,
    *,
    warehouse_url: str | None = None,
    run_id: str | None = None,
    max_quarantine_share: float | None = None,
) -> dict:
    """Ingest blocks [start, end) of one source; returns the batch summary."""
    threshold = get_settings().quarantine_max_share if max_quarantine_share is None else max_quarantine_share
    engine = db.make_engine(warehouse_url)
    try:
        # The network's name (which the stored parent hash is looked up by) and the boundary blocks'
        # times are read while the range is fetched: on a distant node their round trips would
        # otherwise come before and on top of the fetch's. Block start - 1's time is read whether or
        # not it is stored (that is known only with the name) and kept only when it is not.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="boundary") as pool:
            stream = pool.submit(lambda: client.stream)
            boundaries = pool.submit(boundary_times, client, start, end, False)
            fetched = client.fetch(start, end)
            previous_hash = _stored_hash(engine, client.source, stream.result(), start - 1)
            audit_blocks(fetched, client.source, client.stream, previous_hash)
            before_time, after_time = boundaries.result()
            if previous_hash is not None:
                before_time = None
        checked = validate_chain_events(fetched.events, family=client.family, start=start, end=end)
        quarantined = fetched.quarantined + checked.quarantined
        checked.record.rows_validated += len(fetched.quarantined)
        checked.record.rows_quarantined = len(quarantined)
        rows_in = fetched.rows_in
        if rows_in and len(quarantined) / rows_in > threshold:
            record_failed_batch(
                engine,
                checked.record,
                source=client.source,
                stream=client.stream,
                range_start=start,
                range_end=end,
            )
            raise QuarantineShareExceeded(
                f"{client.source}/{client.stream} blocks [{start}, {end}): {len(quarantined)} of {rows_in} rows "
                f"failed validation, above the allowed share {threshold:.0%}; nothing was written"
            )
        result = append_batch(
            engine,
            source=client.source,
            stream=client.stream,
            range_unit="block",
            range_start=start,
            range_end=end,
            events=checked.events,
            quarantined=quarantined,
            checkpoint=end - 1,
            run_id=run_id,
            rows_in=rows_in,
            blocks=fetched.blocks,
            dq=[checked.record],
            boundary_times=(before_time, after_time),
        )
    finally:
        engine.dispose()
    summary = result.as_dict()
    log.info("%s batch %s", client.source, summary)
    return summary


def plan_chunks(
    client: ChainSource,
    *,
    start: int | None,
    end: int | None,
    chunk_blocks: int,
    default_lookback: int,
    warehouse_url: str | None = None,
) -> list[tuple[int, int]]:
    """Block ranges still to ingest in [start, end): the gaps in what is stored, cut into chunks.

    Without `end`, up to the finalized head (inclusive). Without `start`, from the first stored block
    (so every gap since is filled), or `default_lookback` blocks before the head on the first run.
    """
    head = client.finalized_head()
    stop = head + 1 if end is None else min(end, head + 1)
    engine = db.make_engine(warehouse_url)
    try:
        if start is None:
            covered = covered_ranges(engine, client.source, client.stream)
            # Resume from the first stored block so any gap since then is filled; else look back.
            start = covered[0][0] if covered else max(0, stop - default_lookback)
        gaps = missing_ranges(engine, client.source, client.stream, start, stop)
    finally:
        engine.dispose()
    return chunk(gaps, chunk_blocks)


def first_block_at_or_after(block_time: Callable[[int], int], ts: int, lo: int, hi: int) -> int:
    """The first block in [lo, hi] whose time (unix s) is >= ts, by binary search; hi + 1 if none.

    Maps a DAG's data interval to a block range, as blockchain-etl maps dates to blocks.
    """
    if block_time(hi) < ts:
        return hi + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if block_time(mid) >= ts:
            hi = mid
        else:
            lo = mid + 1
    return lo
