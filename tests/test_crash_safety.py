"""Crash safety: an ingest process killed with SIGKILL at random points, then resumed, leaves the
event store an uninterrupted run leaves; block coverage has no gap and no repeat.

A child process ingests a window of the devnet's CometBFT chain in small chunks into a DuckDB file;
the parent kills it after a seeded random delay, starts the next child on the same file (which
resumes from what is stored), and so on; a last child runs to completion. Each chunk is one
transaction (events, quarantine, blocks, checkpoint, batch record), so a kill can only lose a whole
uncommitted chunk, never leave half of one. `DECAI_CRASH_POINTS` sets the number of kills (the
issue asks for 20, about 85 s on two cores; the default 12 keeps the module near 70 s).
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse import db
from warehouse.audit import warehouse_checksums

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STORE = ["events", "quarantine", "chain_blocks", "ingest_checkpoints"]
CRASH_POINTS = int(os.environ.get("DECAI_CRASH_POINTS", "12"))
WINDOW_BLOCKS = 240
CHUNK_BLOCKS = 8


def ingest_window(cometbft_url: str, warehouse_url: str, start: int, end: int, chunk_blocks: int) -> None:
    """What the child runs: plan the chunks still missing in [start, end), ingest them one by one."""
    from etl.pipeline.chain import ingest_range, plan_chunks
    from etl.sources.cometbft import CometBFTSource

    source = CometBFTSource(cometbft_url, concurrency=4)
    try:
        chunks = plan_chunks(
            source,
            start=start,
            end=end,
            chunk_blocks=chunk_blocks,
            default_lookback=end - start,
            warehouse_url=warehouse_url,
        )
        print("planned", flush=True)
        for lo, hi in chunks:
            ingest_range(source, lo, hi, warehouse_url=warehouse_url)
    finally:
        source.close()
    print("complete", flush=True)


def _child(cometbft_url: str, warehouse_url: str, start: int, end: int, stderr=subprocess.DEVNULL):
    code = (
        "import sys; from tests.test_crash_safety import ingest_window; "
        "ingest_window(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, cometbft_url, warehouse_url, str(start), str(end), str(CHUNK_BLOCKS)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def _wait_for_line(child: subprocess.Popen, expected: str, timeout: float) -> None:
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, f"the child did not print {expected!r} within {timeout} s"
    line = child.stdout.readline().strip()
    assert line == expected, f"the child printed {line!r}, expected {expected!r}"


def _run_to_completion(cometbft_url: str, warehouse_url: str, start: int, end: int) -> float:
    began = time.monotonic()
    child = _child(cometbft_url, warehouse_url, start, end, stderr=subprocess.PIPE)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0 and "complete" in out, f"ingest failed:\n{err[-3000:]}"
    return time.monotonic() - began


def _stored_blocks(warehouse_url: str) -> int:
    engine = db.make_engine(warehouse_url)
    try:
        return _rows(engine, "SELECT COUNT(*) FROM chain_blocks")[0][0]
    finally:
        engine.dispose()


def _rows(engine, sql: str) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


@pytest.fixture(scope="module")
def window(devnet) -> tuple[int, int]:
    from etl.sources.cometbft import CometBFTSource

    source = CometBFTSource(devnet.endpoints["cometbft"])
    try:
        head = source.finalized_head()
    finally:
        source.close()
    # Across an hourly validator-set observation (a multiple of 720), so those events are covered too.
    start = (head - 2000) // 720 * 720 - WINDOW_BLOCKS // 2
    return start, start + WINDOW_BLOCKS


def test_sigkill_at_random_points_then_resume_equals_an_uninterrupted_run(devnet, window, tmp_path):
    url = devnet.endpoints["cometbft"]
    start, end = window
    clean, crashed = (f"duckdb:///{tmp_path / name}.duckdb" for name in ("clean", "crashed"))
    db.migrate(clean)
    db.migrate(crashed)
    uninterrupted = _run_to_completion(url, clean, start, end)
    startup = _run_to_completion(url, clean, start, end)  # nothing left to do: start-up and planning
    work = max(0.5, uninterrupted - startup)

    rng = random.Random(20260115)
    outcomes = {"killed": 0, "finished_first": 0}
    progress: list[int] = []  # blocks stored after each kill
    budget = 2 * work / CRASH_POINTS  # about twice a child's share of the work
    for point in range(CRASH_POINTS):
        child = _child(url, crashed, start, end)
        if point % 4 == 3:
            # During start-up: imports, connecting, planning.
            delay = rng.uniform(0.0, startup)
        else:
            # Into the ingest (mid-fetch, mid-transaction, between chunks), timed from the end of
            # planning so a slow start-up on a busy machine does not move every kill before it.
            _wait_for_line(child, "planned", timeout=60)
            delay = rng.uniform(0.0, budget)
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            outcomes["killed"] += 1
        else:
            outcomes["finished_first"] += 1
        child.stdout.close()
        assert child.returncode in (0, -signal.SIGKILL), child.returncode
        progress.append(_stored_blocks(crashed))
        if point % 4 != 3 and len(progress) > 1 and progress[-1] == progress[-2]:
            budget *= 1.5  # this machine commits a chunk slower than the clean run suggested
    assert outcomes["killed"] >= CRASH_POINTS // 2, outcomes
    # Kills landed mid-window: some after progress, some with the window unfinished.
    assert progress == sorted(progress) and any(0 < p < WINDOW_BLOCKS for p in progress), progress
    _run_to_completion(url, crashed, start, end)  # resume: the DuckDB lock went with the killed process

    engines = {name: db.make_engine(u) for name, u in (("clean", clean), ("crashed", crashed))}
    try:
        sums = {name: warehouse_checksums(engine, STORE) for name, engine in engines.items()}
        assert sums["crashed"] == sums["clean"]
        engine = engines["crashed"]
        ((count, lo, hi, distinct),) = _rows(
            engine,
            "SELECT COUNT(*), MIN(block_number), MAX(block_number), COUNT(DISTINCT block_number) "
            "FROM chain_blocks",
        )
        assert (count, distinct, lo, hi) == (WINDOW_BLOCKS, WINDOW_BLOCKS, start, end - 1)
        batches = _rows(engine, "SELECT range_start, range_end FROM ingest_batches ORDER BY range_start")
        assert batches[0][0] == start and batches[-1][1] == end
        for (_, previous_end), (next_start, _) in zip(batches, batches[1:], strict=False):
            assert next_start == previous_end, (
                f"batches overlap or leave a gap at {previous_end}..{next_start}"
            )
        (dupes,) = _rows(engine, "SELECT COUNT(*) - COUNT(DISTINCT event_id) FROM events")[0]
        assert dupes == 0
        assert sums["clean"]["events"][0] > WINDOW_BLOCKS  # the window is not trivially empty
    finally:
        for engine in engines.values():
            engine.dispose()
