"""Backfill under network latency: the same chunks through the DAGs' task code at 0 ms and at N ms.

A worker slot runs the chunks of a backfill one after the other, each as its task does: Bittensor
through `etl.pipeline.bittensor.ingest_chunk` (a connector of its own per chunk, fetch, audit, GX,
append), Sahara's CometBFT and EVM through `etl.pipeline.sahara.ingest_chunk` on their Airflow
connections, pointed at the devnet. The chunks are the DAGs' own sizes (`chunk_blocks`). The devnet
runs in a process of its own and its latency is set on its control endpoint (`/_devnet/latency`):

1. an untimed pass at 0 ms warms the devnet's caches and Great Expectations;
2. `rounds` rounds, each a pass at 0 ms then a pass at N ms, every pass into a fresh warehouse
   (the same events, all new); each latency keeps its fastest pass.

`measure` returns blocks and events per second at each latency, per source and in all, and the
ratio of the N ms rate to the 0 ms rate (the same events, so the inverse ratio of the times).
`python -m bench.latency [--latency-ms N] [--chunks K] [--rounds R]` prints it as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

DAY = 86400


@contextlib.contextmanager
def _connections(endpoints: dict[str, str]):
    """The Sahara connections pointed at the devnet's endpoints (as `AIRFLOW_CONN_*` variables)."""
    names = {"AIRFLOW_CONN_SAHARA_COMETBFT": "cometbft", "AIRFLOW_CONN_SAHARA_EVM": "evm"}
    saved = {name: os.environ.get(name) for name in names}
    for name, key in names.items():
        os.environ[name] = json.dumps({"conn_type": "http", "host": endpoints[key]})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def set_latency(endpoints: dict[str, str], ms: float, jitter_ms: float | None = None) -> dict:
    import httpx

    body = {"ms": ms} if jitter_ms is None else {"ms": ms, "jitter_ms": jitter_ms}
    answer = httpx.post(endpoints["control"] + "/latency", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def plan(endpoints: dict[str, str], chunks: int) -> list[dict]:
    """`chunks` chunks of each source at its DAG's chunk size, ending a day before the devnet's head."""
    from etl.dag_defaults import BITTENSOR_CHUNK_BLOCKS
    from etl.pipeline.bittensor import SubtensorSource
    from etl.pipeline.sahara import DEFAULT_CHUNK_BLOCKS, make_source

    out = []
    with SubtensorSource(endpoints["subtensor"]) as source:
        size = BITTENSOR_CHUNK_BLOCKS
        end = source.finalized_head() - DAY // 12
        out += [
            {"source": "subtensor", "start": a, "end": a + size}
            for a in range(end - chunks * size, end, size)
        ]
    for name in ("cometbft", "evm"):
        source = make_source(name)
        try:
            size = DEFAULT_CHUNK_BLOCKS
            end = source.finalized_head() - DAY // 5
            out += [
                {"source": name, "start": a, "end": a + size} for a in range(end - chunks * size, end, size)
            ]
        finally:
            source.close()
    return out


def backfill(endpoints: dict[str, str], chunks: list[dict], warehouse_url: str, run_id: str) -> dict:
    """Each chunk through its task's code, one after the other; per source blocks, events, seconds."""
    from etl.pipeline import bittensor, sahara

    out: dict[str, dict] = {}
    for chunk in chunks:
        began = time.perf_counter()
        if chunk["source"] == "subtensor":
            summary = bittensor.ingest_chunk(
                endpoints["subtensor"],
                chunk["start"],
                chunk["end"],
                run_id=run_id,
                warehouse_url=warehouse_url,
            )
        else:
            summary = sahara.ingest_chunk(chunk, run_id=run_id, warehouse_url=warehouse_url)
        seconds = time.perf_counter() - began
        per = out.setdefault(
            chunk["source"], {"chunks": 0, "blocks": 0, "events": 0, "new": 0, "seconds": 0.0}
        )
        per["chunks"] += 1
        per["blocks"] += chunk["end"] - chunk["start"]
        per["events"] += summary["rows_in"]
        per["new"] += summary["rows_new"]
        per["seconds"] += seconds
    return out


def _fresh(workdir: Path, name: str) -> str:
    from warehouse.db import migrate

    path = workdir / f"{name}.duckdb"
    path.unlink(missing_ok=True)
    url = f"duckdb:///{path}"
    migrate(url)
    return url


def measure(
    endpoints: dict[str, str],
    workdir: Path,
    *,
    latency_ms: float = 80.0,
    jitter_ms: float | None = None,
    chunks: int = 2,
    rounds: int = 2,
) -> dict:
    import httpx

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    with _connections(endpoints):
        set_latency(endpoints, 0, 0)
        todo = plan(endpoints, chunks)
        backfill(endpoints, todo, _fresh(workdir, "latency-warm"), "bench-latency-warm")
        passes: dict[float, list[dict]] = {0.0: [], float(latency_ms): []}
        try:
            for r in range(rounds):
                for ms in passes:
                    set_latency(endpoints, ms, 0 if ms == 0 else jitter_ms)
                    result = backfill(
                        endpoints, todo, _fresh(workdir, f"latency-{ms:g}ms-{r}"), f"bench-latency-{ms:g}"
                    )
                    if ms:  # what the devnet held during this pass, by its own count
                        result["_latency"] = httpx.get(endpoints["control"] + "/latency", timeout=30).json()
                    passes[ms].append(result)
        finally:
            set_latency(endpoints, 0, 0)
    out: dict = {"latency_ms": float(latency_ms), "chunks": todo, "rounds": rounds, "passes": {}}
    for ms, results in passes.items():
        best = min(results, key=lambda r: sum(v["seconds"] for k, v in r.items() if not k.startswith("_")))
        sources = {k: v for k, v in best.items() if not k.startswith("_")}
        seconds = sum(v["seconds"] for v in sources.values())
        blocks = sum(v["blocks"] for v in sources.values())
        events = sum(v["events"] for v in sources.values())
        for v in sources.values():
            v["seconds"] = round(v["seconds"], 3)
            v["blocks_per_s"] = round(v["blocks"] / v["seconds"], 1)
            v["events_per_s"] = round(v["events"] / v["seconds"], 1)
        out["passes"][f"{ms:g}ms"] = {
            "seconds": round(seconds, 3),
            "blocks": blocks,
            "events": events,
            "blocks_per_s": round(blocks / seconds, 1),
            "events_per_s": round(events / seconds, 1),
            "every_pass_seconds": [
                round(sum(v["seconds"] for k, v in r.items() if not k.startswith("_")), 3) for r in results
            ],
            "per_source": sources,
            **({"devnet_latency": best["_latency"]} if "_latency" in best else {}),
        }
    zero, slow = out["passes"]["0ms"], out["passes"][f"{latency_ms:g}ms"]
    out["ratio"] = round(slow["events_per_s"] / zero["events_per_s"], 3)
    out["ratio_per_source"] = {
        name: round(
            slow["per_source"][name]["seconds"]
            and zero["per_source"][name]["seconds"] / slow["per_source"][name]["seconds"],
            3,
        )
        for name in zero["per_source"]
    }
    out["same_events"] = zero["events"] == slow["events"]
    return out


def dag_task_overhead(endpoints: dict[str, str], chunk_blocks: int, chunks: int, workdir: Path) -> dict:
    """Airflow's own cost per mapped task under `dag.test()`: `bittensor_ingest` over `chunks` chunks
    of `chunk_blocks`, each task's wall time (between consecutive task ends) less the time its chunk
    took inside the task code (`ingest_chunk`'s blocks over its blocks/s), after an untimed read of
    the same chunks. The run writes into a fresh warehouse in `workdir` (its tasks read
    `WAREHOUSE_URL`: the default one may not exist)."""
    from etl.orchestrate import run_dag

    os.environ["AIRFLOW_CONN_BITTENSOR_RPC"] = json.dumps(
        {"conn_type": "http", "host": endpoints["subtensor"]}
    )
    os.environ["WAREHOUSE_URL"] = _fresh(Path(workdir), "dag-overhead")
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(endpoints["subtensor"]) as source:
        end = source.finalized_head() - DAY // 12
        # The devnet works a block out the first time it is asked for it: the chunks are read once
        # first, as the latency stage's untimed pass does, so the tasks time the pipeline, not that.
        for a in range(end - chunks * chunk_blocks, end, chunk_blocks):
            source.fetch(a, a + chunk_blocks)
    ends: list[tuple[float, dict]] = []
    began = time.perf_counter()
    run_dag(
        "bittensor_ingest",
        conf={"start_block": end - chunks * chunk_blocks, "end_block": end, "chunk_blocks": chunk_blocks},
        on_task=lambda t: ends.append((time.perf_counter(), t)),
    )
    tasks = [(at, t) for at, t in ends if t.task_id == "ingest_chunk" and t.state == "success"]
    previous = next(at for at, t in ends if t.task_id == "plan")
    rows = []
    for at, task in sorted(tasks, key=lambda x: x[0]):
        inside = task.result["blocks"] / task.result["blocks_per_s"]
        rows.append(
            {
                "wall_s": round(at - previous, 3),
                "inside_s": round(inside, 3),
                "events": task.result["rows_in"],
            }
        )
        previous = at
    overhead = [r["wall_s"] - r["inside_s"] for r in rows]
    return {
        "chunk_blocks": chunk_blocks,
        "tasks": rows,
        "overhead_s_mean": round(sum(overhead) / len(overhead), 3),
        "overhead_share": round(sum(overhead) / sum(r["wall_s"] for r in rows), 3),
        "run_seconds": round(time.perf_counter() - began, 1),
    }


def main(argv: list[str] | None = None) -> None:
    import argparse
    import logging
    import tempfile

    from bench.runner import _devnet

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=80.0)
    parser.add_argument("--latency-jitter-ms", type=float, default=None)
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write the result here (else print it)")
    parser.add_argument(
        "--dag-overhead", type=int, default=None, metavar="CHUNK_BLOCKS",
        help="instead: Airflow's cost per task in dag.test() with chunks of this many blocks",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="decai-bench-latency-") as tmp:
        os.environ.setdefault("DECAI_GX_DIR", str(Path(tmp) / "gx"))
        with _devnet() as devnet:
            if args.dag_overhead:
                os.environ.setdefault("AIRFLOW_HOME", str(Path(tmp) / "airflow"))
                result = dag_task_overhead(devnet.endpoints, args.dag_overhead, args.chunks, Path(tmp))
            else:
                result = measure(
                    devnet.endpoints, Path(tmp), latency_ms=args.latency_ms, jitter_ms=args.latency_jitter_ms,
                    chunks=args.chunks, rounds=args.rounds,
                )  # fmt: skip
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
