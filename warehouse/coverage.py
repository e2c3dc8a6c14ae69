"""Which block ranges of a stream the event store already covers, from its committed batches.

Batches are committed atomically with their events, so the union of `ingest_batches` ranges is
exactly what is stored. Planning from the gaps (rather than from one high-water mark) means a chunk
that failed while later chunks succeeded is picked up by the next run, never skipped.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import db


def covered_ranges(engine: Engine, source: str, stream: str, unit: str = "block") -> list[tuple[int, int]]:
    """Merged [start, end) ranges of committed batches of the stream."""
    with db.connect(engine) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT range_start, range_end FROM ingest_batches "
                "WHERE source = :s AND stream = :t AND range_unit = :u ORDER BY range_start"
            ),
            {"s": source, "t": stream, "u": unit},
        ).all()
    merged: list[list[int]] = []
    for lo, hi in rows:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def missing_ranges(
    engine: Engine, source: str, stream: str, start: int, end: int, unit: str = "block"
) -> list[tuple[int, int]]:
    """The parts of [start, end) that no committed batch covers."""
    gaps = []
    cursor = start
    for lo, hi in covered_ranges(engine, source, stream, unit):
        if hi <= cursor:
            continue
        if lo >= end:
            break
        if lo > cursor:
            gaps.append((cursor, min(lo, end)))
        cursor = max(cursor, hi)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def chunk(ranges: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Cut ranges into pieces of at most `size` blocks, in order."""
    pieces = []
    for lo, hi in ranges:
        while lo < hi:
            pieces.append((lo, min(lo + size, hi)))
            lo += size
    return pieces
