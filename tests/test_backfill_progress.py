"""`decai backfill` as a user runs it: a progress bar per DAG that advances chunk by chunk with an ETA,
no `[error]` line when nothing failed, `--quiet` for scheduled use, and a failure that still says so."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse import db

ROOT = Path(__file__).resolve().parent.parent
# The devnet's clock is 2026-01-15 12:00 (DEVNET_NOW): blocks before 11:00 are long final.
END = "2026-01-15T11:00:00Z"

pytestmark = pytest.mark.slow


def _backfill(devnet, url: str, *args: str, interactive: bool = False) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "WAREHOUSE_URL": url,
        "DECAI_DEVNET_PORT": str(devnet.port),
        "DECAI_RETRY_DELAY_SECONDS": "0.5",
        "COLUMNS": "200",
    }
    if interactive:
        # rich draws the live display as on a terminal, redrawn in place as it changes
        env.update(TTY_COMPATIBLE="1", TTY_INTERACTIVE="1")
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", "backfill", "--end", END, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _display_lines(stderr: str, dag_id: str) -> list[str]:
    """Every rendering of `dag_id`'s bar (a live display redraws its lines in place)."""
    uncoloured = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", uncoloured).replace("\r", "\n")
    return [line for line in plain.splitlines() if line.lstrip().startswith(dag_id)]


def test_backfill_shows_chunks_advancing_with_an_eta_and_no_error_line(devnet, airflow_db, tmp_path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    run = _backfill(devnet, url, "--days", "1", "--chain-hours", "1", interactive=True)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert not [line for line in output.splitlines() if "[error" in line.lower()], output[-3000:]

    # Each chunk is one ingest batch; one hour is 300 subtensor blocks (one chunk of 1,800) and 720
    # CometBFT blocks, whose staking and EVM sides are a chunk each.
    batches = db.read_sql("SELECT source, COUNT(*) AS n FROM ingest_batches GROUP BY source", url=url)
    per_source = dict(zip(batches["source"], batches["n"], strict=True))
    assert per_source == {"coingecko": 2, "subtensor": 1, "cometbft": 1, "evm": 1}

    bittensor = _display_lines(run.stderr, "bittensor_ingest")
    sahara = _display_lines(run.stderr, "sahara_ingest")
    assert any("1/1 chunks" in line for line in bittensor), bittensor[-3:]
    # The bar advanced as each chunk finished: it was drawn at one of two before two of two.
    assert any("1/2 chunks" in line for line in sahara), sahara
    assert any("2/2 chunks" in line for line in sahara), sahara[-3:]
    assert all("ETA" in line for line in bittensor + sahara)
    assert any("1/1 runs" in line for line in _display_lines(run.stderr, "market_ingest"))
    assert any("3/3 tasks" in line for line in _display_lines(run.stderr, "warehouse_projections"))
    assert run.stdout.strip().startswith("backfill done in")

    # Scheduled use: nothing new to fetch, no display, one summary line.
    quiet = _backfill(devnet, url, "--days", "1", "--chain-hours", "1", "--quiet")
    assert quiet.returncode == 0, (quiet.stdout + quiet.stderr)[-3000:]
    assert len(quiet.stdout.strip().splitlines()) == 1 and quiet.stdout.startswith("backfill done in")
    assert "chunks" not in quiet.stderr and "ETA" not in quiet.stderr and "[error" not in quiet.stderr
    events = db.read_sql("SELECT COUNT(*) AS n FROM events", url=url)["n"].iloc[0]
    assert f"{events:,} events" in quiet.stdout


def test_a_failing_backfill_prints_an_error_line_and_exits_non_zero(devnet, airflow_db, faults, tmp_path):
    # Every CoinGecko request answers 401: no retry of the request can help, and every try of the task fails.
    faults({"kind": "status", "path": "/api/v3", "status": 401, "count": 1000})
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    for args in ((), ("--quiet",)):
        run = _backfill(devnet, url, "--days", "1", "--chain-hours", "0", *args)
        errors = [line for line in (run.stdout + run.stderr).splitlines() if "[error" in line.lower()]
        assert run.returncode == 1, (run.stdout + run.stderr)[-3000:]
        last = [line for line in errors if line.startswith("[error] backfill stopped")]
        assert last, errors
        assert "market_ingest failed" in last[0] and "ingest_coins" in last[0] and "HTTP 401" in last[0]
        assert "backfill done" not in run.stdout
