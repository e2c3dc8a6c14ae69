"""Bittensor ingestion end to end against the devnet's subtensor: DAG runs, runtime upgrade, real
metadata, pruned nodes, `decai decode`, and a crash in the middle of a range."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from etl.orchestrate import load_dag, run_dag
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.audit import warehouse_checksums

HOUR = 3600
BLOCK_SECONDS = 12
UPGRADE_BLOCK = 252_000
STORE_TABLES = ["events", "quarantine", "chain_blocks"]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bittensor" / "subtensor_spec343_metadata_v14.hex"


def _block_at(ts: int) -> int:
    """The devnet's first block at or after `ts` (12 s blocks from genesis 2025-12-01)."""
    genesis = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp())
    return -(-(ts - genesis) // BLOCK_SECONDS)


@pytest.fixture()
def bittensor_conn(devnet, monkeypatch):
    """The `bittensor_rpc` connection pointing at the devnet, as production would set it."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_BITTENSOR_RPC", json.dumps({"conn_type": "http", "host": devnet.endpoints["subtensor"]})
    )
    return devnet.endpoints["subtensor"]


def _rows(engine, sql: str) -> list:
    with db.connect(engine) as conn:
        return conn.execute(sa.text(sql)).all()


def test_dag_fills_the_event_store_and_a_rerun_changes_nothing(airflow_db, bittensor_conn, warehouse_url):
    start = DEVNET_NOW - 3 * HOUR
    conf = {"start": start, "end": start + HOUR, "chunk_blocks": 120}
    run_dag("bittensor_ingest", conf)
    engine = db.make_engine(warehouse_url)
    try:
        blocks = [n for (n,) in _rows(engine, "SELECT block_number FROM chain_blocks ORDER BY block_number")]
        assert blocks == list(range(_block_at(start), _block_at(start + HOUR)))  # 300 blocks, one hour
        types = dict(_rows(engine, "SELECT event_type, COUNT(*) FROM events GROUP BY event_type"))
        assert types["System.ExtrinsicSuccess"] > 300  # at least the timestamp inherent of every block
        assert types["SubtensorModule.WeightsSet"] > 0 and types["Balances.Transfer"] > 0
        assert types["SubtensorModule.NeuronObserved"] > 0 and types["SubtensorModule.SubnetObserved"] > 0
        assert types["SubtensorModule.EmissionObserved"] == 300  # one per block
        batches = _rows(
            engine,
            "SELECT range_start, range_end, rows_in, rows_loaded, rows_quarantined FROM ingest_batches",
        )
        assert len(batches) == 3  # 300 blocks in mapped chunks of 120
        assert all(rows_in == loaded + quarantined for _a, _b, rows_in, loaded, quarantined in batches)
        transfer = _rows(engine, "SELECT payload FROM events WHERE event_type = 'Balances.Transfer' LIMIT 1")[
            0
        ][0]
        transfer = json.loads(transfer) if isinstance(transfer, str) else transfer
        assert transfer["from"].startswith("5") and isinstance(transfer["amount"], str)
        before = warehouse_checksums(engine, STORE_TABLES)
        assert before["quarantine"][0] == 0

        run_dag("bittensor_ingest", conf)
        run_dag("bittensor_ingest", {"start_block": blocks[0], "end_block": blocks[-1] + 1})
        assert warehouse_checksums(engine, STORE_TABLES) == before
        assert len(_rows(engine, "SELECT 1 FROM ingest_batches")) == 3  # nothing left to plan
    finally:
        engine.dispose()


def test_backfill_then_scheduled_run_leaves_no_gap_and_no_overlap(airflow_db, bittensor_conn, duckdb_url):
    end_of_day = DEVNET_NOW  # 12:00, the devnet's "now"
    run_dag("bittensor_ingest", {"start": end_of_day - 3 * HOUR, "end": end_of_day - 2 * HOUR})
    # The next hourly run, as the scheduler would start it: its data interval is the hour before.
    scheduled = load_dag("bittensor_ingest")
    for task in scheduled.tasks:
        task.retries = 0  # fail here rather than wait out retry delays
    due = datetime.fromtimestamp(end_of_day - HOUR, UTC)
    dag_run = scheduled.test(logical_date=due, run_after=due)
    assert str(dag_run.state).endswith("success")
    engine = db.make_engine(duckdb_url)
    try:
        blocks = [n for (n,) in _rows(engine, "SELECT block_number FROM chain_blocks ORDER BY block_number")]
        ranges = _rows(engine, "SELECT range_start, range_end FROM ingest_batches ORDER BY range_start")
    finally:
        engine.dispose()
    first = _block_at(end_of_day - 3 * HOUR)
    assert blocks[0] == first and blocks == list(range(first, blocks[-1] + 1))  # contiguous
    assert blocks[-1] + 1 >= _block_at(end_of_day - HOUR)
    assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in zip(ranges, ranges[1:], strict=False))


def test_a_window_across_the_runtime_upgrade_decodes_both_layouts(devnet, duckdb_url):
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        fetched = source.fetch(UPGRADE_BLOCK - 60, UPGRADE_BLOCK + 60)
        assert not fetched.quarantined
        specs = {b.number: b.spec_version for b in fetched.blocks}
        # The upgrade block's own events were written by the old runtime.
        assert specs[UPGRADE_BLOCK] == 342 and specs[UPGRADE_BLOCK + 1] == 343
        stakes = [
            e
            for e in fetched.events
            if e.event_type in ("SubtensorModule.StakeAdded", "SubtensorModule.StakeRemoved")
        ]
        before = [e for e in stakes if e.block_number <= UPGRADE_BLOCK]
        after = [e for e in stakes if e.block_number > UPGRADE_BLOCK]
        assert before and after
        assert all(list(e.payload) == ["coldkey", "hotkey", "tao", "alpha", "netuid"] for e in before)
        assert all(list(e.payload) == ["coldkey", "hotkey", "tao", "alpha", "netuid", "fee"] for e in after)
        assert all(e.spec_version == 342 for e in before) and all(e.spec_version == 343 for e in after)
        added = [e for e in after if e.event_type.endswith("StakeAdded")]
        assert all(
            int(e.payload["fee"]) == int(e.payload["tao"]) * 5 // 10_000 for e in added
        )  # 0.05% swap fee
        code_updated = [e for e in fetched.events if e.event_type == "System.CodeUpdated"]
        assert [e.block_number for e in code_updated] == [UPGRADE_BLOCK]
        summary = ingest_range(source, UPGRADE_BLOCK - 60, UPGRADE_BLOCK + 60, warehouse_url=duckdb_url)
    assert summary["rows_quarantined"] == 0 and summary["rows_new"] == len(fetched.events)


def _real_records(acct_a: str, acct_b: str) -> list[dict]:
    return [
        {
            "phase": {"ApplyExtrinsic": 1},
            "event": {"SubtensorModule": {"StakeAdded": (acct_a, acct_b, 5_000_000_000, 6, 3, 7)}},
            "topics": [],
        },
        {
            "phase": {"ApplyExtrinsic": 2},
            "event": {"SubtensorModule": {"NeuronRegistered": (3, 17, acct_b)}},
            "topics": [],
        },
        {"phase": {"ApplyExtrinsic": 3}, "event": {"SubtensorModule": {"NetworkRemoved": 12}}, "topics": []},
        {
            "phase": "Initialization",
            "event": {"Balances": {"Transfer": {"from": acct_a, "to": acct_b, "amount": 10**9}}},
            "topics": [],
        },
    ]


def test_events_encoded_with_real_spec343_metadata_decode_through_the_same_path():
    from devnet.subtensor.metadata import decode_metadata
    from etl.sources.subtensor import decode_capture_events
    from etl.sources.subtensor_codec import ss58_encode

    metadata_hex = FIXTURE.read_text().strip()
    real, codec = decode_metadata(metadata_hex)
    pallets = {p["name"]: p for p in real.value[1]["V14"]["pallets"]}
    events_ty = next(e for e in pallets["System"]["storage"]["entries"] if e["name"] == "Events")["type"][
        "Plain"
    ]
    acct_a, acct_b = "0x" + "11" * 32, "0x" + "22" * 32
    raw = codec.create_scale_object(f"scale_info::{events_ty}", metadata=real).encode(
        _real_records(acct_a, acct_b)
    )
    capture = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + bytes(raw.data).hex()})
    records = list(decode_capture_events(capture, metadata=metadata_hex, block=4_000_000))
    assert [r["event_type"] for r in records] == [
        "SubtensorModule.StakeAdded",
        "SubtensorModule.NeuronRegistered",
        "SubtensorModule.NetworkRemoved",
        "Balances.Transfer",
    ]
    a, b = ss58_encode(bytes.fromhex("11" * 32)), ss58_encode(bytes.fromhex("22" * 32))
    assert records[0]["payload"] == {
        "coldkey": a,
        "hotkey": b,
        "tao": "5000000000",
        "alpha": "6",
        "netuid": 3,
        "fee": "7",
    }
    assert records[1]["payload"] == {"netuid": 3, "uid": 17, "hotkey": b}
    assert records[2]["payload"] == {"netuid": 12}
    assert records[3]["payload"] == {"from": a, "to": b, "amount": "1000000000"}
    assert [r["position"] for r in records] == ["1.0", "2.1", "3.2", "i.3"]


def test_ss58_matches_the_reference_encoder():
    from scalecodec.utils.ss58 import ss58_encode as reference

    from etl.sources.subtensor_codec import ss58_encode

    for key in (bytes(32), bytes(range(32)), b"\xff" * 32):
        assert ss58_encode(key) == reference(key.hex(), 42)


def test_a_pruned_node_gives_a_clear_error_naming_the_block(devnet):
    from etl.sources.subtensor import StatePrunedError, SubtensorSource

    control = devnet.base_url + "/_devnet/subtensor/pruning"
    httpx.post(control, json={"lowest_state_block": 300_000}).raise_for_status()
    try:
        with SubtensorSource(devnet.endpoints["subtensor"]) as source, pytest.raises(StatePrunedError) as err:
            source.fetch(1_000, 1_010)
    finally:
        httpx.post(control, json={"lowest_state_block": None}).raise_for_status()
    message = str(err.value)
    assert "block 1000" in message and "wss://archive.chain.opentensor.ai:443" in message
    assert "discarded" in message


def test_decai_decode_prints_every_event_of_a_capture_once(devnet, tmp_path):
    from typer.testing import CliRunner

    from etl.cli import app
    from etl.sources.subtensor import EVENTS_KEY, SubtensorSource

    url = devnet.endpoints["subtensor"]
    block = UPGRADE_BLOCK + 55  # a block with a StakeAdded in spec 343
    with SubtensorSource(url, observations=False) as source:
        expected = source.fetch(block, block + 1)
        parent, own = source.block_hashes([block - 1, block])
    answers = httpx.post(
        url,
        json=[
            {"jsonrpc": "2.0", "id": 1, "method": "state_getStorage", "params": [EVENTS_KEY, own]},
            {"jsonrpc": "2.0", "id": 2, "method": "state_getMetadata", "params": [parent]},
        ],
    ).json()
    events, metadata = sorted(answers, key=lambda a: a["id"])
    (tmp_path / "events.json").write_text(json.dumps(events))
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    runner = CliRunner()
    args = [
        "decode",
        "subtensor-events",
        str(tmp_path / "events.json"),
        "--metadata",
        str(tmp_path / "metadata.json"),
    ]
    result = runner.invoke(app, [*args, "--block", str(block)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == expected.blocks[0].event_count >= 3
    assert [r["event_id"] for r in lines] == [e.event_id for e in expected.events]  # as ingestion decodes it

    # A damaged capture: what cannot be decoded comes out quarantined, still once per event.
    events["result"] = events["result"][:-6]
    (tmp_path / "events.json").write_text(json.dumps(events))
    damaged = runner.invoke(app, [*args, "--block", str(block)])
    assert damaged.exit_code == 0, damaged.output
    records = [json.loads(line) for line in damaged.stdout.splitlines() if line.strip()]
    assert len(records) == len(lines)
    assert records[-1]["quarantined"] is True and f"block {block}" in records[-1]["reason"]


def test_a_crash_mid_range_then_a_rerun_gives_the_same_store_as_an_uninterrupted_run(
    devnet, tmp_path, monkeypatch
):
    import etl.pipeline.chain as chain_pipeline
    from etl.pipeline.bittensor import ingest_chunk, plan_ingest
    from etl.sources.subtensor import SubtensorSource
    from warehouse.db import migrate

    url = devnet.endpoints["subtensor"]
    start = _block_at(DEVNET_NOW - 5 * HOUR)
    params = {"start_block": start, "end_block": start + 240}

    def run_all(warehouse_url: str) -> None:
        with SubtensorSource(url) as source:
            chunks = plan_ingest(source, params, None, None, chunk_blocks=60, warehouse_url=warehouse_url)
        for piece in chunks:
            ingest_chunk(url, piece["start"], piece["end"], warehouse_url=warehouse_url)

    clean = f"duckdb:///{tmp_path / 'clean.duckdb'}"
    crashed = f"duckdb:///{tmp_path / 'crashed.duckdb'}"
    migrate(clean)
    migrate(crashed)
    run_all(clean)

    real_append = chain_pipeline.append_batch
    calls = {"n": 0}

    def append_then_crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("warehouse went away mid-range")
        return real_append(*args, **kwargs)

    monkeypatch.setattr(chain_pipeline, "append_batch", append_then_crash)
    with pytest.raises(ConnectionError):
        run_all(crashed)
    monkeypatch.setattr(chain_pipeline, "append_batch", real_append)
    run_all(crashed)  # plans only the chunks that are missing

    engines = [db.make_engine(u) for u in (clean, crashed)]
    try:
        sums = [warehouse_checksums(e, STORE_TABLES) for e in engines]
        batches = [len(_rows(e, "SELECT 1 FROM ingest_batches")) for e in engines]
    finally:
        for e in engines:
            e.dispose()
    assert sums[0] == sums[1] and sums[0]["chain_blocks"][0] == 240
    assert batches == [4, 4]


def test_bench_compares_the_connector_with_get_events_on_the_same_blocks(devnet):
    from bench.subtensor_history import measure

    result = measure(devnet.endpoints, UPGRADE_BLOCK - 50, UPGRADE_BLOCK + 50)
    assert result["blocks"] == 100 and result["events_match"]  # both paths saw every event
    assert result["connector_events_per_s"] > 0 and result["get_events_events_per_s"] > 0
    assert result["decode_speedup"] == pytest.approx(
        result["connector_events_per_s"] / result["get_events_events_per_s"], rel=0.01
    )


def test_emission_observations_equal_the_devnet_ledger_block_by_block(devnet, warehouse_url):
    """Across the halving: one EmissionObserved per block, stored, whose every figure is the devnet's
    own record of that block; the subnets' parts add up to what the block minted."""
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    halving = 79_200  # 2025-12-12 00:00 UTC: the last block minting 1 TAO
    start, end = halving - 150, halving + 150
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        summary = ingest_range(source, start, end, warehouse_url=warehouse_url)
    assert summary["rows_quarantined"] == 0
    ledger = httpx.get(
        devnet.endpoints["control"] + "/subtensor/ledger",
        params={"start_block": start - 1, "end_block": end - 1, "per_block": 1},
        timeout=120,
    ).json()
    expected = {row["block"]: row for row in ledger["blocks"]}
    engine = db.make_engine(warehouse_url)
    try:
        rows = _rows(
            engine,
            "SELECT block_number, position, payload FROM events "
            "WHERE event_type = 'SubtensorModule.EmissionObserved' ORDER BY block_number",
        )
    finally:
        engine.dispose()
    assert [r[0] for r in rows] == list(range(start, end))
    for block, position, payload in rows:
        payload = json.loads(payload) if isinstance(payload, str) else payload
        row = expected[block]
        assert position == "obs.emission"
        assert payload["subnets"] == row["subnets"]
        assert payload["minted"] == row["minted"] == str(10**9 if block <= halving else 10**9 // 2)
        assert payload["total_issuance"] == row["total_issuance"]
        assert payload["total_issuance_before"] == expected[block - 1]["total_issuance"]
        assert payload["owner_cut"] == 11_796  # 18% of 65535
        received = sum(int(s["tao_in_emission"]) + int(s["excess_tao"]) for s in payload["subnets"])
        assert received == int(payload["minted"])
        issued = int(payload["total_issuance"]) - int(payload["total_issuance_before"])
        assert issued == int(row["minted"]) - int(row["recycled"])
        assert [s["netuid"] for s in payload["subnets"]][0] == 0  # root, with its TAO stake
    assert sum(int(row["recycled"]) for row in ledger["blocks"][1:]) > 0  # burns happened in the range


def test_an_emission_payload_with_a_float_amount_is_quarantined_naming_the_field():
    from etl.events import Event
    from etl.validate.chain_events import validate_chain_events

    subnet = {"netuid": 1, "subnet_tao": "5", "subnet_alpha_in": "7", "subnet_alpha_out": "1",
              "tao_in_emission": "3", "excess_tao": "0", "alpha_in_emission": "1", "alpha_out_emission": "1"}  # fmt: skip
    good = {"total_issuance": "10", "total_issuance_before": "9", "minted": "1", "owner_cut": 11796,
            "subnets": [subnet]}  # fmt: skip
    bad = {**good, "subnets": [{**subnet, "excess_tao": 0.5}]}
    events = [
        Event(chain="bittensor", source="subtensor", block_number=b, position="obs.emission",
              event_type="SubtensorModule.EmissionObserved", payload=payload,
              block_time=datetime(2025, 12, 10, 0, 0, b, tzinfo=UTC), block_hash=f"0x{b:064x}", spec_version=342)
        for b, payload in ((1, good), (2, bad))
    ]  # fmt: skip
    result = validate_chain_events(events, family="bittensor", start=1, end=3)
    assert [e.block_number for e in result.events] == [1]
    (row,) = result.quarantined
    assert "subnets[1].excess_tao = 0.5 is not an integer string" in row.reason
    assert not result.record.details.get("unknown_event_types")
