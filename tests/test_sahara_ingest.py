"""Sahara ingestion end to end against the devnet: CometBFT (three node versions) and the EVM.

`sahara_ingest` runs for real with dag.test(); the connectors are exercised on the devnet's limits
(eth_getLogs range errors, a pruned node, a malformed coin string) and through `decai decode`.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from etl.contracts import load_registry
from etl.orchestrate import run_dag
from etl.pipeline import sahara as sahara_pipeline
from etl.sources.cometbft import CometBFTSource, decode_block_results, parse_time
from etl.sources.evm import EvmSource
from etl.sources.sahara_rpc import PrunedNodeError
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.audit import warehouse_checksums

STORE = ["events", "quarantine", "chain_blocks"]
#: Ten minutes (about 120 blocks of 5 s) an hour before the devnet's clock.
WINDOW = {"start": DEVNET_NOW - 3600, "end": DEVNET_NOW - 3000, "chunk_blocks": 60}
MOUNTS = ("/cometbft", "/cometbft-v0.37", "/cometbft-v0.34")


@pytest.fixture()
def sahara_conns(devnet, monkeypatch):
    for conn_id, endpoint in (("SAHARA_COMETBFT", "cometbft"), ("SAHARA_EVM", "evm")):
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id}", json.dumps({"conn_type": "http", "host": devnet.endpoints[endpoint]})
        )
    return devnet


@pytest.fixture(scope="module")
def head(devnet) -> int:
    source = CometBFTSource(devnet.endpoints["cometbft"])
    try:
        return source.finalized_head()
    finally:
        source.close()


@pytest.fixture(scope="module")
def busy_heights(devnet, head) -> list[int]:
    """Up to 12 heights of the last day with staking or bank transactions (from the chain model)."""
    from devnet.sahara.economy import SaharaChain, SaharaConfig
    from devnet.subtensor import DEFAULT_SCALE

    chain = SaharaChain(SaharaConfig(seed=7, scale=DEFAULT_SCALE), clock=lambda: DEVNET_NOW)
    heights = chain.cosmos_heights_with_txs(head - 17_280, head, cosmos_only=True)
    assert heights, "the devnet's last day has staking transactions"
    return heights[:: max(1, len(heights) // 12)][:12]


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def _assert_contiguous(engine, source: str) -> tuple[int, int]:
    ((count, lo, hi, distinct),) = _rows(
        engine,
        "SELECT COUNT(*), MIN(block_number), MAX(block_number), COUNT(DISTINCT block_number) "
        "FROM chain_blocks WHERE source = :s",
        s=source,
    )
    assert count == distinct == hi - lo + 1, f"{source}: blocks {lo}..{hi} have a gap or a repeat"
    batches = _rows(
        engine,
        "SELECT range_start, range_end FROM ingest_batches WHERE source = :s ORDER BY range_start",
        s=source,
    )
    for (_, end), (start, _) in zip(batches, batches[1:], strict=False):
        assert start == end, f"{source}: batches overlap or leave a gap at {end}..{start}"
    return lo, hi


def test_dag_fills_the_event_store_and_a_rerun_changes_nothing(airflow_db, sahara_conns, warehouse_url):
    run_dag("sahara_ingest", WINDOW)
    engine = db.make_engine(warehouse_url)
    per_source = dict(_rows(engine, "SELECT source, COUNT(*) FROM events GROUP BY source"))
    types = {t for (t,) in _rows(engine, "SELECT DISTINCT event_type FROM events")}
    assert per_source["cometbft"] > 5_000 and per_source["evm"] > 10
    assert {"distribution.rewards", "bank.transfer", "mint.mint"} <= types
    assert {"DataServices.AnnotationSubmitted", "ERC20.Transfer"} <= types
    for source in ("cometbft", "evm"):
        lo, hi = _assert_contiguous(engine, source)
        assert hi - lo + 1 == 120
        # The window's first block is the first one at or after its start.
        (first_time,) = _rows(
            engine,
            "SELECT block_time FROM chain_blocks WHERE source = :s AND block_number = :n",
            s=source,
            n=lo,
        )[0]
        assert first_time.timestamp() >= WINDOW["start"] - 1
    before = warehouse_checksums(engine, STORE)

    run_dag("sahara_ingest", WINDOW)
    # Forcing a stored chunk through again is a no-op too.
    again = sahara_pipeline.ingest_chunk({"source": "cometbft", "start": lo, "end": lo + 30})
    assert again["rows_new"] == 0 and again["rows_in"] > 0
    assert warehouse_checksums(engine, STORE) == before
    engine.dispose()


def test_a_backfill_then_a_later_window_leaves_no_gap_and_no_overlap(airflow_db, sahara_conns, duckdb_url):
    first = {"start": DEVNET_NOW - 7200, "end": DEVNET_NOW - 6600, "chunk_blocks": 240}
    later = {"start": DEVNET_NOW - 6600, "end": DEVNET_NOW - 6300, "chunk_blocks": 240}
    run_dag("sahara_ingest", first)
    run_dag("sahara_ingest", later)
    engine = db.make_engine(duckdb_url)
    for source in ("cometbft", "evm"):
        lo, hi = _assert_contiguous(engine, source)
        assert 170 <= hi - lo + 1 <= 190  # 900 s of 5 s blocks
    (dupes,) = _rows(engine, "SELECT COUNT(*) - COUNT(DISTINCT event_id) FROM events")[0]
    assert dupes == 0
    engine.dispose()


def test_the_three_cometbft_forms_give_identical_canonical_events(devnet, busy_heights, head):
    heights = [*busy_heights, head - 100]  # transactions, and a block with only finalize-block events
    answers = {}
    for mount in MOUNTS:
        source = CometBFTSource(devnet.base_url + mount)
        events = []
        for height in heights:
            events += source.fetch(height, height + 1).events
        source.close()
        answers[mount] = sorted(
            (e.event_id, e.event_type, json.dumps(e.payload, sort_keys=True)) for e in events
        )
    assert answers["/cometbft"] == answers["/cometbft-v0.37"] == answers["/cometbft-v0.34"]
    types = {t for _, t, _ in answers["/cometbft"]}
    assert {"tx.message", "distribution.commission", "bank.coinbase"} <= types
    assert any(t.startswith("staking.") and t != "staking.ValidatorObserved" for t in types)


def test_coin_strings_become_base_units_with_their_denom():
    result = {
        "height": "7",
        "txs_results": [
            {
                "code": 0,
                "events": [
                    {
                        "type": "delegate",
                        "attributes": [
                            {"key": "amount", "value": "1000usah"},
                            {"key": "new_shares", "value": "1000.000000000000000000"},
                            {"key": "msg_index", "value": "0"},
                        ],
                    },
                    {"type": "rewards", "attributes": [{"key": "amount", "value": "12.5usah"}]},
                    {"type": "commission", "attributes": [{"key": "amount", "value": ""}]},
                    {"type": "some_new_thing", "attributes": [{"key": "amount", "value": "1usah,2uatom"}]},
                    {"type": "unbond", "attributes": [{"key": "amount", "value": "12x!usah"}]},
                ],
            }
        ],
        "finalize_block_events": [],
    }
    events, quarantined = decode_block_results(result, block_time=parse_time("2026-01-01T00:00:00.5Z"))
    payloads = {e.event_type: e.payload for e in events}
    assert payloads["staking.delegate"] == {
        "amount_usah": "1000",
        "new_shares_atto": str(1000 * 10**18),
        "msg_index": 0,
    }
    assert payloads["distribution.rewards"] == {"amount_usah": "12", "amount_atto_usah": str(125 * 10**17)}
    assert payloads["distribution.commission"] == {"amount_usah": "0"}
    # A type the attribute catalog does not list is kept as text, not guessed from its names.
    assert payloads["cosmos.some_new_thing"] == {
        "amount": "1usah,2uatom",
        "cosmos_event_type": "some_new_thing",
    }
    assert [q.reason for q in quarantined] == [
        "block 7 from sahara_cometbft: attribute `amount` is not a coin string (value '12x!usah')"
    ]


def test_eth_getlogs_ranges_shrink_on_the_nodes_limits_and_miss_nothing(devnet, head):
    from devnet.server import DevnetServer

    start, end = head - 3000, head - 1000
    reference = EvmSource(devnet.endpoints["evm"], range_blocks=100, max_range_blocks=100)
    expected = reference.fetch(start, end)
    reference.close()
    limits = {"max_block_range": 300, "max_logs": 200}
    with DevnetServer(seed=7, now=DEVNET_NOW, rate_limit_per_minute=0, sahara=limits) as strict:
        source = EvmSource(strict.endpoints["evm"], range_blocks=2000, max_range_blocks=2000)
        got = source.fetch(start, end)
        source.close()
    assert source.shrinks >= 2  # "block range too large" first, then "more than 200 results"
    assert source.grows >= 1  # and back up after successes
    assert len(got.events) > 200
    assert [e.event_id for e in got.events] == [e.event_id for e in expected.events]
    assert [b.hash for b in got.blocks] == [b.hash for b in expected.blocks]
    assert len(got.blocks) == end - start


def test_cometbft_reads_heights_in_batches_and_one_call_at_a_time_from_a_node_that_refuses_them(
    devnet, faults, head
):
    start, end = head - 300, head - 280
    batched = CometBFTSource(devnet.endpoints["cometbft"], concurrency=1, batch_heights=8)
    clean = batched.fetch(start, end)
    batched.close()
    assert batched.http.requests == 3  # 20 heights, 8 to a batch: both calls of each in 3 requests
    # A proxy in front of the node that refuses JSON-RPC batches (HTTP 400 to the first POST).
    faults({"kind": "status", "path": "/cometbft", "status": 400})
    refusing = CometBFTSource(devnet.endpoints["cometbft"], concurrency=1, batch_heights=8)
    got = refusing.fetch(start, end)
    refusing.close()
    assert refusing.http.requests == 1 + 2 * (end - start)  # the refused batch, then block and block_results
    assert [e.event_id for e in got.events] == [e.event_id for e in clean.events]
    assert [b.hash for b in got.blocks] == [b.hash for b in clean.blocks]
    assert len(clean.blocks) == end - start and clean.events


def test_a_pruned_node_gives_a_clear_error_naming_the_block(devnet, head):
    lowest = head - 500
    httpx.post(devnet.base_url + "/_devnet/sahara", json={"lowest_height": lowest}).raise_for_status()
    try:
        comet = CometBFTSource(devnet.endpoints["cometbft"], concurrency=1)
        with pytest.raises(PrunedNodeError) as comet_error:
            comet.fetch(lowest - 3, lowest + 2)
        evm = EvmSource(devnet.endpoints["evm"])
        with pytest.raises(PrunedNodeError) as evm_error:
            evm.fetch(lowest - 3, lowest + 2)
        comet.close()
        evm.close()
    finally:
        httpx.post(devnet.base_url + "/_devnet/sahara", json={"lowest_height": 1}).raise_for_status()
    message = str(comet_error.value)
    assert f"block {lowest - 3} from sahara_cometbft" in message
    assert "archive node" in message and f"lowest available height is {lowest}" in message
    assert f"block {lowest - 3} from sahara_evm" in str(evm_error.value)


def test_a_malformed_coin_string_is_quarantined_and_the_run_continues(sahara_conns, duckdb_url, faults, head):
    # v0.38 finalize-block event 0 is `coinbase`; attribute 1 is its `amount`.
    faults(
        {
            "kind": "mutate",
            "path": "/cometbft",
            "rpc_method": "block_results",
            "pointer": "/result/finalize_block_events/0/attributes/1/value",
            "value": "12.5.7usah",
        }
    )
    chunks = sahara_pipeline.plan(
        {"start_block": head - 300, "end_block": head - 240, "chunk_blocks": 20, "sources": ["cometbft"]}
    )
    results = [sahara_pipeline.ingest_chunk(c) for c in chunks]
    assert len(results) == 3 and sum(r["rows_quarantined"] for r in results) == 1
    engine = db.make_engine(duckdb_url)
    ((block, rule, reason),) = _rows(engine, "SELECT block_number, rule, reason FROM quarantine")
    assert head - 300 <= block < head - 240 and rule == "cometbft_attribute"
    assert (
        reason
        == f"block {block} from sahara_cometbft: attribute `amount` is not a coin string (value '12.5.7usah')"
    )
    _assert_contiguous(engine, "cometbft")
    (coinbase,) = _rows(engine, "SELECT COUNT(*) FROM events WHERE event_type = 'bank.coinbase'")[0]
    assert coinbase == 59
    engine.dispose()


def test_decai_decode_prints_every_event_of_a_capture_once(devnet, busy_heights, tmp_path):
    from etl.cli import app

    height = busy_heights[0]
    capture = httpx.get(devnet.base_url + "/cometbft-v0.34/block_results", params={"height": height}).json()
    result = capture["result"]
    total = sum(len(tx["events"]) for tx in result["txs_results"]) + len(result["begin_block_events"] or [])
    total += len(result["end_block_events"] or [])
    # Break one base64 value: the event comes out quarantined, still once.
    result["begin_block_events"][0]["attributes"][1]["value"] = base64.b64encode(b"not-a-coin").decode()
    comet_file = tmp_path / "block_results.json"
    comet_file.write_text(json.dumps(capture))

    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_getLogs",
        "params": [{"fromBlock": hex(height - 400), "toBlock": hex(height)}],
    }
    logs_capture = httpx.post(devnet.endpoints["evm"], json=body).json()
    network = load_registry().network(3_133_130)
    broken = next(
        i
        for i, entry in enumerate(logs_capture["result"])
        if network.match(entry["address"], entry["topics"])
    )
    logs_capture["result"][broken]["data"] = "0x1234"  # a registered event whose data no longer decodes
    evm_file = tmp_path / "logs.json"
    evm_file.write_text(json.dumps(logs_capture))

    runner = CliRunner()
    comet_out = runner.invoke(app, ["decode", "cometbft-block-results", str(comet_file)])
    assert comet_out.exit_code == 0, comet_out.output
    comet_lines = [json.loads(line) for line in comet_out.stdout.splitlines()]
    assert len(comet_lines) == total
    quarantined = [line for line in comet_lines if line.get("quarantined")]
    assert len(quarantined) == 1 and "is not a coin string" in quarantined[0]["reason"]
    events = [line for line in comet_lines if not line.get("quarantined")]
    assert len({e["event_id"] for e in events}) == len(events) == total - 1

    evm_out = runner.invoke(app, ["decode", "evm-logs", str(evm_file)])
    assert evm_out.exit_code == 0, evm_out.output
    evm_lines = [json.loads(line) for line in evm_out.stdout.splitlines()]
    assert len(evm_lines) == len(logs_capture["result"]) > 10
    quarantined = [line for line in evm_lines if line.get("quarantined")]
    assert len(quarantined) == 1 and "does not decode" in quarantined[0]["reason"]
    assert quarantined[0]["position"].endswith(_position(logs_capture["result"][broken]))
    assert len({e["event_id"] for e in evm_lines if not e.get("quarantined")}) == len(evm_lines) - 1


def _position(entry: dict) -> str:
    return f"{int(entry['transactionIndex'], 16)}.{int(entry['logIndex'], 16)}"


def test_a_crash_mid_range_then_a_rerun_gives_the_store_of_an_uninterrupted_run(
    sahara_conns, tmp_path, monkeypatch, head
):
    import warehouse.store as store

    params = {"start_block": head - 2400, "end_block": head - 2280, "chunk_blocks": 30}
    urls = {}
    for name in ("clean", "crashed"):
        urls[name] = f"duckdb:///{tmp_path / name}.duckdb"
        db.migrate(urls[name])

    def run(url: str) -> None:
        for chunk in sahara_pipeline.plan(params, warehouse_url=url):
            sahara_pipeline.ingest_chunk(chunk, warehouse_url=url)

    run(urls["clean"])

    real_insert = store.insert_new_rows
    calls = {"chain_blocks": 0}

    def crash_on_third_chunk(conn, table, *args, **kwargs):
        if table == "chain_blocks":
            calls["chain_blocks"] += 1
            if calls["chain_blocks"] == 3:  # events of this chunk are already inserted, uncommitted
                raise RuntimeError("killed mid-transaction")
        return real_insert(conn, table, *args, **kwargs)

    monkeypatch.setattr(store, "insert_new_rows", crash_on_third_chunk)
    with pytest.raises(RuntimeError, match="killed"):
        run(urls["crashed"])
    monkeypatch.setattr(store, "insert_new_rows", real_insert)
    partial = db.make_engine(urls["crashed"])
    assert len(_rows(partial, "SELECT * FROM ingest_batches")) == 2
    partial.dispose()
    run(urls["crashed"])

    clean, crashed = db.make_engine(urls["clean"]), db.make_engine(urls["crashed"])
    assert warehouse_checksums(crashed, [*STORE, "ingest_checkpoints"]) == warehouse_checksums(
        clean, [*STORE, "ingest_checkpoints"]
    )
    _assert_contiguous(crashed, "cometbft")
    _assert_contiguous(crashed, "evm")
    clean.dispose()
    crashed.dispose()


def test_validator_sets_are_observed_hourly_whatever_the_chunking(devnet, head):
    source = CometBFTSource(devnet.endpoints["cometbft"])
    hour = ((head - 1000) // 720) * 720
    whole = source.fetch(hour - 5, hour + 5)
    pieces = [*source.fetch(hour - 5, hour).events, *source.fetch(hour, hour + 5).events]
    source.close()
    observed = sorted({e.block_number for e in whole.events if e.event_type == "staking.ValidatorObserved"})
    assert observed == [hour]
    assert sorted(e.event_id for e in pieces) == sorted(e.event_id for e in whole.events)
    total = int(
        httpx.get(devnet.endpoints["cometbft"] + "/validators", params={"height": hour}).json()["result"][
            "total"
        ]
    )
    assert sum(1 for e in whole.events if e.block_number == hour and e.position.startswith("val.")) == total


def test_bench_measures_both_sources(devnet, head):
    from bench.sahara_history import measure

    numbers = measure(devnet.endpoints, head - 700, head - 640)
    for source in ("cometbft", "evm"):
        assert numbers[source]["blocks_per_s"] > 0 and numbers[source]["events"] >= 0
