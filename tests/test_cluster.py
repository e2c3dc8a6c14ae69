"""The cluster profile for real: scheduler, dag-processor, api-server and two Celery workers, with
PostgreSQL as Airflow's metadata database and as the warehouse and Redis as the broker.

A backfill goes through the scheduler; its mapped chunks must run on both workers and leave the same
event store as `dag.test()` over the same window. Then a worker is killed with SIGKILL while it runs
a chunk: the run must finish on the other worker after a retry, with an identical warehouse.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from etl import cluster
from etl.orchestrate import run_dag
from tests.conftest import DEVNET_NOW, _postgres_schema_url, require
from warehouse import db
from warehouse.audit import warehouse_checksums
from warehouse.db import migrate

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.slow]

STORE_TABLES = ["events", "quarantine", "chain_blocks"]
CHUNK_BLOCKS = 50  # 300 blocks an hour -> six mapped chunks per run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hour(logical: datetime) -> tuple[str, str]:
    """The window a backfill run with this logical date ingests: the hour before it."""
    return (logical - timedelta(hours=1)).isoformat(), logical.isoformat()


@pytest.fixture(scope="module")
def deployment(devnet, tmp_path_factory):
    base = os.environ.get("WAREHOUSE_TEST_POSTGRES_URL")
    require(bool(base), "set WAREHOUSE_TEST_POSTGRES_URL: the cluster runs on PostgreSQL")
    # A Redis database of its own, so a stale queue from another deployment cannot leak in.
    broker = os.environ.get("DECAI_CLUSTER_BROKER_URL", "redis://127.0.0.1:6379/9")
    try:
        cluster.check_broker(broker)
    except cluster.ClusterError as exc:
        require(False, f"the cluster test needs Redis: {exc}")
    tag = uuid.uuid4().hex[:8]
    server = sa.engine.make_url(base)
    config = cluster.ClusterConfig.from_env(
        home=tmp_path_factory.mktemp("cluster"),
        metadata_url=server.set(database=f"decai_test_airflow_{tag}").render_as_string(hide_password=False),
        warehouse_url=server.set(database=f"decai_test_warehouse_{tag}").render_as_string(
            hide_password=False
        ),
        broker_url=broker,
        api_port=_free_port(),
        workers=2,
        worker_concurrency=1,
        heartbeat_timeout=20,
        retry_delay_seconds=1,
        stop_with_parent=True,
        extra_env={
            "AIRFLOW_CONN_BITTENSOR_RPC": json.dumps(
                {"conn_type": "http", "host": devnet.endpoints["subtensor"]}
            ),
            "DECAI_DEVNET_PORT": str(devnet.port),
        },
    )
    import redis

    redis.Redis.from_url(config.broker_url).flushdb()

    def interrupted(signum, frame):  # a SIGTERM to pytest still tears the deployment down
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        cluster.up(config)
        yield config
    finally:
        signal.signal(signal.SIGTERM, previous)
        cluster.down(config)
        cluster.drop_postgres_database(config.metadata_url)
        cluster.drop_postgres_database(config.warehouse_url)


@pytest.fixture(scope="module")
def reference(airflow_db, devnet, tmp_path_factory):
    """A warehouse filled by `dag.test()` in this process, window by window as the tests ask."""
    url, admin, schema = _postgres_schema_url(os.environ["WAREHOUSE_TEST_POSTGRES_URL"])
    migrate(url)
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", "AIRFLOW_CONN_BITTENSOR_RPC")}
    os.environ["WAREHOUSE_URL"] = url
    os.environ["AIRFLOW_CONN_BITTENSOR_RPC"] = json.dumps(
        {"conn_type": "http", "host": devnet.endpoints["subtensor"]}
    )

    def ingest(logical: datetime) -> None:
        start, end = _hour(logical)
        run_dag("bittensor_ingest", {"start": start, "end": end, "chunk_blocks": CHUNK_BLOCKS})

    try:
        yield url, ingest
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _checksums(url: str) -> dict:
    engine = db.make_engine(url)
    try:
        return warehouse_checksums(engine, STORE_TABLES)
    finally:
        engine.dispose()


def _logical(hours_before_now: int) -> datetime:
    return datetime.fromtimestamp(DEVNET_NOW, UTC) - timedelta(hours=hours_before_now)


def test_a_backfill_through_the_scheduler_runs_chunks_on_both_workers_and_equals_dag_test(
    deployment, reference
):
    logical = _logical(3)
    backfill = cluster.create_backfill(
        deployment, "bittensor_ingest", logical, logical, {"chunk_blocks": CHUNK_BLOCKS}
    )
    runs = cluster.wait_for_backfill(deployment, backfill, timeout=600)
    assert [r["state"] for r in runs] == ["success"]

    # The reference takes the same window first, so the next test's comparison holds whatever fails here.
    reference_url, ingest = reference
    ingest(logical)

    tries = cluster.task_hosts(deployment, "bittensor_ingest", "ingest_chunk", [r["run_id"] for r in runs])
    assert len({t["map_index"] for t in tries}) == 6
    assert {t["hostname"] for t in tries if t["state"] == "success"} == {"worker1", "worker2"}
    # What the cluster benchmark reads: each chunk's worker, times and reported rate, from the metadata.
    overhead = cluster.task_overhead(cluster.backfill_tasks(deployment, [backfill]))
    assert overhead["tasks"] == 6 and 0 < overhead["overhead_share"] < 1

    ours, theirs = _checksums(deployment.warehouse_url), _checksums(reference_url)
    assert ours["chain_blocks"][0] == 300 and ours["events"][0] > 0  # one hour of 12-second blocks
    assert ours == theirs


def test_killing_a_worker_mid_backfill_finishes_on_the_other_with_an_identical_warehouse(
    deployment, reference
):
    logical = _logical(2)
    backfill = cluster.create_backfill(
        deployment, "bittensor_ingest", logical, logical, {"chunk_blocks": CHUNK_BLOCKS}
    )
    engine = cluster.metadata_engine(deployment)
    victim = None
    deadline = time.monotonic() + 300
    try:
        while victim is None and time.monotonic() < deadline:
            with engine.connect() as conn:
                busy = conn.execute(
                    sa.text(
                        "SELECT ti.hostname, ti.map_index FROM task_instance ti JOIN dag_run r "
                        "ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id "
                        "WHERE r.backfill_id = :b AND ti.task_id = 'ingest_chunk' AND ti.state = 'running'"
                    ),
                    {"b": backfill},
                ).all()
            victim = next((m for host, m in busy if host == "worker2"), None)
            time.sleep(0.2)
    finally:
        engine.dispose()
    assert victim is not None, "no chunk ever ran on worker2"
    cluster.kill_worker(deployment, "worker2")
    assert "worker2" not in cluster.running(deployment)

    runs = cluster.wait_for_backfill(deployment, backfill, timeout=600)
    assert [r["state"] for r in runs] == ["success"]
    tries = cluster.task_hosts(deployment, "bittensor_ingest", "ingest_chunk", [r["run_id"] for r in runs])
    killed = [t for t in tries if t["map_index"] == victim]
    # The killed try failed (no heartbeat) and the retry ran, and succeeded, on the surviving worker.
    assert killed[0]["hostname"] == "worker2" and killed[0]["state"] == "failed"
    assert killed[-1]["hostname"] == "worker1" and killed[-1]["state"] == "success"

    reference_url, ingest = reference
    ingest(logical)
    assert _checksums(deployment.warehouse_url) == _checksums(reference_url)
