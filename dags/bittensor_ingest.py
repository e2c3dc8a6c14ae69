"""
### bittensor_ingest

Hourly ingestion of Bittensor's subtensor chain into the event store: every finalized block's
`System.Events` (decoded with the runtime that wrote them; `SubtensorModule.*`, `Balances.*`,
`System.*`, …) and, once per tempo per subnet, metagraph observations
(`SubtensorModule.NeuronObserved` per UID, `SubtensorModule.SubnetObserved` per subnet).

**Connection `bittensor_rpc`** (HTTP JSON-RPC of a subtensor node; the local devnet when unset):

```
AIRFLOW_CONN_BITTENSOR_RPC='{"conn_type": "http", "host": "https://entrypoint-finney.opentensor.ai:443"}'
```

Public endpoints: `wss://entrypoint-finney.opentensor.ai:443` (a `wss://` host is served over
`https://` by this connector) and, for history older than a pruned node keeps, the archive
`wss://archive.chain.opentensor.ai:443`. A pruned node fails the chunk with an error saying so.

1. `plan`: the run configuration's `start_block`/`end_block`, or `start`/`end` (ISO or unix s), or
   else the data interval, mapped to blocks by their timestamps (binary search over `Timestamp.Now`);
   a scheduled run also takes over the tail the previous run could not see finalized yet. Already
   stored ranges are skipped; what is left is cut into chunks passed on as `{"start", "end"}`.
2. `ingest_chunk` (mapped): fetch, chain audit (contiguity, parent hashes), the `bittensor_events`
   suite, one atomic append of events, quarantine, blocks and checkpoint. Produces `events.bittensor`.
3. `summary`: totals of the run.

Re-running a window changes nothing. Catchup is off on purpose: history is loaded with explicit
windows (`decai backfill`, or a run with `start`/`end`), not by replaying every missed hour.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task

from etl.assets import EVENTS_BITTENSOR
from etl.dag_defaults import BITTENSOR_CHUNK_BLOCKS, SUBTENSOR_POOL, default_args

CHUNK_BLOCKS = BITTENSOR_CHUNK_BLOCKS  # 6 hours of blocks per mapped task


@dag(
    dag_id="bittensor_ingest",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ingest", "bittensor", "subtensor"],
    doc_md=__doc__,
    default_args=default_args(retries=3),
    params={
        "start": Param(None, type=["null", "string", "integer"], description="window start (ISO or unix s)"),
        "end": Param(None, type=["null", "string", "integer"], description="window end, exclusive"),
        "start_block": Param(None, type=["null", "integer"], description="first block (instead of start)"),
        "end_block": Param(None, type=["null", "integer"], description="end block, exclusive"),
        "chunk_blocks": Param(CHUNK_BLOCKS, type="integer", minimum=1, description="blocks per mapped task"),
    },
)
def bittensor_ingest():
    @task(pool=SUBTENSOR_POOL)
    def plan() -> list[dict]:
        from etl.connections import rpc_url
        from etl.pipeline.bittensor import SubtensorSource, plan_ingest

        ctx = get_current_context()
        with SubtensorSource(rpc_url("bittensor_rpc")) as source:
            return plan_ingest(
                source,
                ctx["params"],
                ctx.get("data_interval_start"),
                ctx.get("data_interval_end"),
                ctx["dag_run"].run_after,
                chunk_blocks=int(ctx["params"].get("chunk_blocks") or CHUNK_BLOCKS),
            )

    @task(outlets=[EVENTS_BITTENSOR], max_active_tis_per_dag=4, pool=SUBTENSOR_POOL)
    def ingest_chunk(chunk: dict) -> dict:
        from etl.connections import rpc_url
        from etl.pipeline.bittensor import ingest_chunk as ingest

        run_id = get_current_context()["run_id"]
        return ingest(rpc_url("bittensor_rpc"), chunk["start"], chunk["end"], run_id=run_id)

    @task
    def summary(batches: list[dict]) -> dict:
        # A slice reads every mapped result at once; iterating would probe one past the end (an error log line).
        batches = batches[:]
        return {
            "chunks": len(batches),
            "blocks": sum(b["blocks"] for b in batches),
            "rows_in": sum(b["rows_in"] for b in batches),
            "rows_new": sum(b["rows_new"] for b in batches),
            "rows_quarantined": sum(b["rows_quarantined"] for b in batches),
        }

    summary(ingest_chunk.expand(chunk=plan()))


dag = bittensor_ingest()
