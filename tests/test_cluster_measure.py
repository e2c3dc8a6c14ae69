"""What `decai bench --cluster` works out from the metadata database, and how it starts the devnet,
without a cluster: task instances and settings written out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bench import runner
from bench.runner import ClusterSizes
from etl import cluster

T0 = datetime(2026, 1, 15, 12, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _task(task_id, host, ready, start, end, result=None, dag_id="sahara_ingest"):
    return {
        "dag_id": dag_id, "task_id": task_id, "hostname": host, "scheduled_dttm": _at(ready),
        "queued_dttm": _at(ready), "start_date": _at(start), "end_date": _at(end), "result": result,
    }  # fmt: skip


def test_a_task_holds_its_worker_from_when_the_worker_could_take_it_and_the_rest_is_airflow_s():
    tasks = [
        # worker1: the plan, then two chunks ready at once; the second waits for the first to end.
        _task("plan", "worker1", 0, 1, 3),
        _task("ingest_chunk", "worker1", 3, 5, 25, {"blocks": 720, "blocks_per_s": 40.0}),  # 18 s inside
        _task("ingest_chunk", "worker1", 3, 27, 57, {"blocks": 1000, "blocks_per_s": 40.0}),  # 25 s inside
        # worker2: idle until its chunk is ready at 10 s.
        _task(
            "ingest_chunk", "worker2", 10, 14, 40, {"blocks": 100, "blocks_per_s": 5.0}, "bittensor_ingest"
        ),
        # a task that reports no rate is not counted
        _task("summarize", "worker1", 57, 58, 60, {"chunks": 2}),
    ]
    out = cluster.task_overhead(tasks)
    # held: 25-3 = 22, 57-25 = 32, 40-10 = 30 (84 s); inside: 18 + 25 + 20 = 63 s
    assert out["tasks"] == 3
    assert out["held_s_mean"] == 28.0 and out["inside_s_mean"] == 21.0
    assert out["overhead_share"] == 0.25
    assert out["per_dag"]["sahara_ingest"] == {
        "tasks": 2, "held_s_mean": 27.0, "inside_s_mean": 21.5, "overhead_share": round(11 / 54, 4),
    }  # fmt: skip
    assert out["per_dag"]["bittensor_ingest"]["overhead_share"] == round(10 / 30, 4)


def test_the_cluster_s_devnet_starts_at_the_configured_scale_and_latency(tmp_path):
    config = cluster.ClusterConfig.from_env(
        home=tmp_path, devnet=True, devnet_port=18999, devnet_scale=1.0, devnet_latency_ms=80,
    )  # fmt: skip
    command, _ = cluster.components(config)["devnet"]
    assert command[command.index("--scale") + 1] == "1"
    assert command[command.index("--latency-ms") + 1] == "80"
    assert "--latency-jitter-ms" not in command  # the devnet's own default: a fifth of it
    assert config.devnet_control_url == "http://127.0.0.1:18999/_devnet"
    plain = cluster.components(cluster.ClusterConfig.from_env(home=tmp_path, devnet=True))["devnet"][0]
    assert "--scale" not in plain and "--latency-ms" not in plain


def test_the_cluster_json_goes_beside_the_bench_s_and_says_how_the_run_came_about(tmp_path, monkeypatch):
    def fake_passes(report, workdir, sizes, latency_ms, jitter_ms):
        report.details["cluster"] = {"passes": [{"events": 1234}], "speedup": {}}

    monkeypatch.setattr(runner, "bench_cluster", fake_passes)
    report = runner.run_cluster_bench(
        results_dir=tmp_path, command="decai bench --cluster --results bench/results"
    )
    (written,) = report.written
    day, commit = report.run["finished_at"][:10], report.run["commit"][:10]
    assert written == tmp_path / f"{day}-{commit}-cluster.json"
    saved = json.loads(written.read_text())
    assert saved["scale"] == "cluster"  # never taken for a full `make bench` result
    assert saved["command"] == "decai bench --cluster --results bench/results"
    assert saved["events"] == 1234 and saved["machine"] and saved["load_before"] and saved["load_after"]
    assert saved["size"].startswith(f"{ClusterSizes.full().hours} h of both chains")

    quick = runner.run_cluster_bench(quick=True, results_dir=tmp_path)
    assert quick.written[0].name.endswith("-cluster-quick.json")
