"""A batch with a block gap fails the DAG run, names the missing range, and leaves the store unchanged."""

import json

import pytest

from etl.orchestrate import DagRunFailed, run_dag
from etl.pipeline.chain import BlockGapError, ingest_range
from etl.sources.cometbft import CometBFTSource
from warehouse import db
from warehouse.audit import warehouse_checksums

TABLES = ["events", "quarantine", "chain_blocks", "ingest_checkpoints", "ingest_batches"]


@pytest.fixture()
def skipping_node(monkeypatch):
    """A node that silently leaves blocks out of its answers (what the audit is there to catch)."""
    real_fetch = CometBFTSource.fetch

    def fetch(self, start, end):
        fetched = real_fetch(self, start, end)
        fetched.blocks = [b for b in fetched.blocks if b.number not in (start + 3, start + 4)]
        fetched.events = [e for e in fetched.events if e.block_number not in (start + 3, start + 4)]
        return fetched

    monkeypatch.setattr(CometBFTSource, "fetch", fetch)


def test_ingest_range_names_the_missing_blocks_and_writes_nothing(devnet, duckdb_url, skipping_node):
    engine = db.make_engine(duckdb_url)
    before = warehouse_checksums(engine, TABLES)
    source = CometBFTSource(devnet.endpoints["cometbft"])
    head = source.finalized_head()
    with pytest.raises(
        BlockGapError, match=rf"blocks {head - 97}-{head - 96} missing from \[{head - 100}, {head - 90}\)"
    ):
        ingest_range(source, head - 100, head - 90, warehouse_url=duckdb_url)
    source.close()
    assert warehouse_checksums(engine, TABLES) == before
    engine.dispose()


def test_the_dag_run_fails_and_its_log_names_the_range(
    devnet, duckdb_url, airflow_db, skipping_node, monkeypatch, capfd
):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SAHARA_COMETBFT",
        json.dumps({"conn_type": "http", "host": devnet.endpoints["cometbft"]}),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_SAHARA_EVM", json.dumps({"conn_type": "http", "host": devnet.endpoints["evm"]})
    )
    engine = db.make_engine(duckdb_url)
    before = warehouse_checksums(engine, TABLES)
    head = CometBFTSource(devnet.endpoints["cometbft"]).finalized_head()
    with pytest.raises(DagRunFailed, match="ingest_chunk"):
        run_dag("sahara_ingest", {"start_block": head - 40, "end_block": head - 20, "chunk_blocks": 20})
    output = capfd.readouterr()
    assert (
        f"blocks {head - 37}-{head - 36} missing from [{head - 40}, {head - 20})" in output.out + output.err
    )
    after = warehouse_checksums(engine, TABLES)
    # The EVM chunk of the same run is unaffected and lands; the CometBFT store is unchanged.
    with engine.connect() as conn:
        cometbft_rows = conn.exec_driver_sql("SELECT COUNT(*) FROM events WHERE source = 'cometbft'").scalar()
    assert cometbft_rows == 0
    assert after["quarantine"] == before["quarantine"]
    engine.dispose()
