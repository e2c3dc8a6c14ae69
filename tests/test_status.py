"""`decai status` on a warehouse filled by a small backfill: each stream's newest block or quote and its
age, lag behind the chain's finalized head (or behind now), last batch, and failed checks."""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from etl.cli import app as cli
from warehouse import db
from warehouse.schema import dq_results

ROOT = Path(__file__).resolve().parent.parent
END = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)  # the devnet's clock is 12:00: all of it is final
NOW = "2026-01-15T11:05:00Z"
BITTENSOR_GENESIS = datetime(2025, 12, 1, tzinfo=UTC)  # the devnet's subtensor: 12 s blocks from here
runner = CliRunner()

pytestmark = pytest.mark.slow


def _rpc(url: str, method: str, params: list):
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(url, json=body).json()["result"]


def _comet_time(devnet, height: int) -> datetime:
    header = httpx.get(devnet.endpoints["cometbft"] + "/block", params={"height": height}).json()
    text = header["result"]["block"]["header"]["time"]
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


@pytest.fixture()
def filled(devnet, airflow_db, warehouse_url, monkeypatch):
    """One hour of both chains and a day of prices up to END, loaded by `decai backfill`."""
    monkeypatch.setenv("DECAI_DEVNET_PORT", str(devnet.port))
    env = {**os.environ, "DECAI_RETRY_DELAY_SECONDS": "0.5"}
    run = subprocess.run(
        [sys.executable, "-m", "etl.cli", "backfill", "--quiet", "--days", "1", "--chain-hours", "1"]
        + ["--end", END.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    return warehouse_url


def _status(*args: str) -> tuple[int, dict]:
    result = runner.invoke(cli, ["status", "--now", NOW, "-f", "json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_status_reports_freshness_lag_and_last_batch_of_every_stream(devnet, filled):
    code, report = _status()
    assert code == 0, report
    streams = {s["source"]: s for s in report["streams"] if s["source"] != "coingecko"}
    coins = {s["stream"]: s for s in report["streams"] if s["source"] == "coingecko"}
    assert set(streams) == {"subtensor", "cometbft", "evm"} and set(coins) == {"bittensor", "sahara-ai"}

    # Bittensor: the last block before 11:00 is the one of 10:59:48 (12 s blocks from genesis).
    last_block = int((END - BITTENSOR_GENESIS).total_seconds()) // 12 - 1
    subtensor = streams["subtensor"]
    assert subtensor["latest_number"] == last_block
    assert subtensor["latest_time"] == "2026-01-15T10:59:48Z"
    assert subtensor["age_seconds"] == 5 * 60 + 12
    head_hash = _rpc(devnet.endpoints["subtensor"], "chain_getFinalizedHead", [])
    head = int(_rpc(devnet.endpoints["subtensor"], "chain_getHeader", [head_hash])["number"], 16)
    assert subtensor["head"] == head and subtensor["lag_blocks"] == head - last_block > 0

    # Sahara: the newest block stored is the devnet's last block before 11:00.
    comet = streams["cometbft"]
    height = comet["latest_number"]
    assert _comet_time(devnet, height) < END <= _comet_time(devnet, height + 1)
    assert comet["latest_time"][:19] == _comet_time(devnet, height).strftime("%Y-%m-%dT%H:%M:%S")
    comet_head = int(
        httpx.get(devnet.endpoints["cometbft"] + "/status").json()["result"]["sync_info"][
            "latest_block_height"
        ]
    )
    assert comet["lag_blocks"] == comet_head - height

    # Prices: the newest quote is the last point the devnet's feed serves before 11:00 (a range under
    # a day comes in 5-minute points, as the connector asks for it).
    start = int(END.timestamp()) - 3600
    chart = httpx.get(
        devnet.endpoints["coingecko"] + "/coins/bittensor/market_chart/range",
        params={"vs_currency": "usd", "from": start, "to": int(END.timestamp())},
    ).json()
    newest = max(ms for ms, _ in chart["prices"] if ms < END.timestamp() * 1000)
    expected = datetime.fromtimestamp(newest / 1000, UTC)
    assert coins["bittensor"]["latest_time"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert coins["bittensor"]["lag_blocks"] is None  # a price feed has no head: lag is the age
    assert coins["bittensor"]["age_seconds"] == int(
        (datetime(2026, 1, 15, 11, 5, tzinfo=UTC) - expected).total_seconds()
    )

    # One batch per stream: its rows are the stream's stored events, and validation passed.
    for source, stream in streams.items():
        stored = db.read_sql("SELECT COUNT(*) AS n FROM events WHERE source = :s", {"s": source}, url=filled)
        batch = stream["last_batch"]
        assert batch["rows_in"] == batch["rows_new"] == int(stored["n"].iloc[0]) > 0
        assert batch["rows_quarantined"] == 0 and batch["outcome"] == "passed"
    assert coins["sahara-ai"]["last_batch"]["range_end"] == int(END.timestamp())
    assert report["failed_checks"] == []

    table = runner.invoke(cli, ["status", "--now", NOW], env={"COLUMNS": "240"})
    assert table.exit_code == 0
    text = " ".join(table.stdout.split())
    assert f"block {last_block:,} at 2026-01-15 10:59:48" in text and "5m 12s" in text
    assert f"{head - last_block:,} blocks behind head {head:,}" in text
    assert "no failed checks" in text


def test_status_lists_failed_checks_and_says_behind_now_without_a_head(filled, monkeypatch):
    stream = db.read_sql("SELECT stream FROM ingest_checkpoints WHERE source = 'subtensor'", url=filled)
    subtensor_stream = stream["stream"].iloc[0]

    def result(suite, lo, hi, success, minute):
        return {
            "result_id": str(uuid.uuid4()),
            "suite": suite,
            "source": "subtensor",
            "stream": subtensor_stream,
            "batch_id": None,
            "range_start": lo,
            "range_end": hi,
            "rows_validated": 10,
            "rows_quarantined": 0 if success else 4,
            "expectations_evaluated": 12,
            "expectations_failed": 0 if success else 2,
            "success": success,
            "outcome": "passed" if success else "failed",
            "details": {},
            "run_seconds": 0.1,
            "validated_at": datetime(2026, 1, 15, 11, minute),
        }

    engine = db.make_engine(filled)
    with engine.begin() as conn:
        conn.execute(
            dq_results.insert(),
            [
                result("bittensor_events", 100, 200, False, 1),  # failed, still the latest for its range
                result("bittensor_events", 300, 400, False, 1),  # failed, then passed on a re-run
                result("bittensor_events", 300, 400, True, 2),
            ],
        )
    engine.dispose()

    code, report = _status()
    assert code == 1
    failed = report["failed_checks"]
    assert [(c["suite"], c["range_start"], c["range_end"], c["outcome"]) for c in failed] == [
        ("bittensor_events", 100, 200, "failed")
    ]
    subtensor = next(s for s in report["streams"] if s["source"] == "subtensor")
    assert [c["range_start"] for c in subtensor["failed_checks"]] == [100]
    table = runner.invoke(cli, ["status", "--now", NOW], env={"COLUMNS": "240"})
    assert table.exit_code == 1
    assert f"FAILED bittensor_events subtensor/{subtensor_stream} range 100-200: failed, 2 expectations" in (
        " ".join(table.stdout.split())
    )

    # Nothing answers at the chain's address: the lag is the age of the newest block, behind now.
    monkeypatch.setenv(
        "AIRFLOW_CONN_BITTENSOR_RPC", json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9"})
    )
    code, report = _status()
    subtensor = next(s for s in report["streams"] if s["source"] == "subtensor")
    assert subtensor["head"] is None and subtensor["lag_blocks"] is None and subtensor["age_seconds"] == 312
    table = runner.invoke(cli, ["status", "--now", NOW], env={"COLUMNS": "240"})
    assert "5m 12s behind now" in table.stdout
