"""Fault injection: with the devnet failing on purpose (5xx and 429 answers, slow answers, truncated
bodies) the market DAG and the chain ingest finish with the warehouse a clean run leaves.

Each run happens twice against the same devnet, once clean and once under the fault plan, into two
warehouses whose checksums must match. The plan is seeded; the test also checks that faults did fire.
"""

from __future__ import annotations

import httpx
import pytest

from etl.orchestrate import run_dag
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.audit import warehouse_checksums

DAY = 86400
#: 200 days: three 90-day requests per coin, so the faults have several requests to hit.
MARKET_WINDOW = {"start": DEVNET_NOW - 200 * DAY, "end": DEVNET_NOW}
MARKET_TABLES = ["events", "quarantine", "ingest_checkpoints", "market_caps"]
CHAIN_TABLES = ["events", "quarantine", "chain_blocks", "ingest_checkpoints"]


def fault_plan(path: str) -> list[dict]:
    """The issue's mix: 20% 5xx/429, slow answers, truncated bodies."""
    return [
        {"kind": "status", "path": path, "status": 503, "probability": 0.1},
        {"kind": "status", "path": path, "status": 429, "probability": 0.1, "retry_after": 0.1},
        {"kind": "slow", "path": path, "seconds": 0.2, "probability": 0.2},
        {"kind": "truncate", "path": path, "probability": 0.1},
    ]


def _set_faults(devnet, rules: list[dict], seed: int) -> None:
    response = httpx.post(devnet.base_url + "/_devnet/faults", json={"rules": rules, "seed": seed})
    response.raise_for_status()


def _fired(devnet) -> dict[str, int]:
    fired: dict[str, int] = {}
    for rule in devnet.state.faults.describe():
        key = f"{rule['kind']}{rule['status'] if rule['kind'] == 'status' else ''}"
        fired[key] = fired.get(key, 0) + rule["fired"]
    return fired


@pytest.fixture()
def no_faults_after(devnet):
    yield
    devnet.state.faults.clear()


def _warehouse(tmp_path, name: str) -> str:
    url = f"duckdb:///{tmp_path / name}.duckdb"
    db.migrate(url)
    return url


def _checksums(url: str, tables: list[str]) -> dict:
    engine = db.make_engine(url)
    try:
        return warehouse_checksums(engine, tables)
    finally:
        engine.dispose()


def test_market_dag_under_faults_leaves_the_warehouse_of_a_clean_run(
    airflow_db, coingecko_conn, devnet, tmp_path, monkeypatch, no_faults_after
):
    import etl.sources.coingecko as coingecko

    # Short backoff, same retry budget: the test is about what lands, not about waiting.
    original = coingecko.CoinGeckoClient.__init__

    def quick(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "backoff_initial": 0.05, "backoff_max": 0.5})

    monkeypatch.setattr(coingecko.CoinGeckoClient, "__init__", quick)

    clean = _warehouse(tmp_path, "clean")
    monkeypatch.setenv("WAREHOUSE_URL", clean)
    run_dag("market_ingest", MARKET_WINDOW)

    faulty = _warehouse(tmp_path, "faulty")
    monkeypatch.setenv("WAREHOUSE_URL", faulty)
    _set_faults(devnet, fault_plan("/api/v3"), seed=11)
    run_dag("market_ingest", MARKET_WINDOW)
    fired = _fired(devnet)
    devnet.state.faults.clear()

    assert sum(fired.values()) >= 2, fired
    expected = _checksums(clean, MARKET_TABLES)
    assert expected["events"][0] == 2 * 200 * 24  # hourly quotes of both coins
    assert expected["quarantine"][0] == 0
    assert _checksums(faulty, MARKET_TABLES) == expected


def _ingest_chain(url: str, warehouse_url: str, start: int, end: int) -> None:
    from etl.pipeline.chain import ingest_range, plan_chunks
    from etl.sources.cometbft import CometBFTSource

    # Two heights to a JSON-RPC batch: enough requests for every kind of fault to fire many times.
    source = CometBFTSource(url, concurrency=8, batch_heights=2)
    try:
        chunks = plan_chunks(
            source, start=start, end=end, chunk_blocks=40, default_lookback=0, warehouse_url=warehouse_url
        )
        for lo, hi in chunks:
            ingest_range(source, lo, hi, warehouse_url=warehouse_url)
    finally:
        source.close()


def test_chain_ingest_under_faults_leaves_the_warehouse_of_a_clean_run(devnet, tmp_path, no_faults_after):
    from etl.sources.cometbft import CometBFTSource

    url = devnet.endpoints["cometbft"]
    source = CometBFTSource(url)
    head = source.finalized_head()
    source.close()
    start = (head - 3000) // 720 * 720 - 60  # across an hourly validator-set observation
    end = start + 160

    clean = _warehouse(tmp_path, "clean")
    _ingest_chain(url, clean, start, end)

    faulty = _warehouse(tmp_path, "faulty")
    _set_faults(devnet, fault_plan("/cometbft"), seed=5)
    _ingest_chain(url, faulty, start, end)
    fired = _fired(devnet)
    devnet.state.faults.clear()

    # A batch per two blocks (and the status, boundary and validator reads): every kind of fault fired
    # many times.
    assert all(fired.get(kind, 0) >= 5 for kind in ("status503", "status429", "slow", "truncate")), fired
    expected = _checksums(clean, CHAIN_TABLES)
    assert expected["chain_blocks"][0] == end - start and expected["events"][0] > end - start
    assert _checksums(faulty, CHAIN_TABLES) == expected
