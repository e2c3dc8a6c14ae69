"""
### sahara_ingest

Hourly ingestion of Sahara Chain: staking, distribution and bank events from CometBFT RPC
(`/block`, `/block_results`, `/validators`) and the modelled contracts' events from the EVM
(`eth_getLogs`, `eth_getBlockByNumber`). Connectors: `etl/sources/cometbft.py`, `etl/sources/evm.py`.

**Connections** (Airflow connections, HTTP type; the local devnet when unset):

- `sahara_cometbft`: CometBFT RPC base URL, e.g.
  `AIRFLOW_CONN_SAHARA_COMETBFT='{"conn_type": "http", "host": "https://rpc.example.org"}'`
  (an archive node to backfill: pruned nodes answer old heights with an error naming the block);
- `sahara_evm`: EVM JSON-RPC URL, e.g.
  `AIRFLOW_CONN_SAHARA_EVM='{"conn_type": "http", "host": "https://evm.example.org"}'`.

**Tasks**

1. `plan`: the window is the run configuration's `start_block`/`end_block`, else `start`/`end` (ISO or
   unix s; backfills use these), else the data interval. Times map to blocks by binary search on block
   times; the blocks the event store does not cover yet are cut into chunks of `chunk_blocks` per
   source (XCom: `{"source": "cometbft"|"evm", "start": a, "end": b}`). A scheduled run also fills
   every gap since the first stored block.
2. `ingest_chunk` (mapped over the chunks): fetch, audit contiguity and parent hashes, validate with
   the `sahara_staking` / `sahara_contracts` suites, append events, quarantine, blocks and checkpoint
   in one transaction. Produces `events.sahara`.
3. `summarize`: blocks and rows per source.

Re-running a window changes nothing (events are keyed by content, appends are idempotent); a run
killed mid-range resumes from what was committed. Catchup is off on purpose: history is loaded by
runs with `start`/`end`, one window after another.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task

from etl.assets import EVENTS_SAHARA
from etl.dag_defaults import SAHARA_CHUNK_BLOCKS, SAHARA_POOL, default_args


@dag(
    dag_id="sahara_ingest",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ingest", "sahara", "cometbft", "evm"],
    doc_md=__doc__,
    default_args=default_args(retries=3),
    params={
        "start": Param(None, type=["null", "string", "integer"], description="window start (ISO or unix s)"),
        "end": Param(None, type=["null", "string", "integer"], description="window end, exclusive"),
        "start_block": Param(None, type=["null", "integer"], description="first block (instead of a window)"),
        "end_block": Param(None, type=["null", "integer"], description="block after the last one"),
        "chunk_blocks": Param(
            SAHARA_CHUNK_BLOCKS, type="integer", minimum=1, description="blocks per ingest chunk"
        ),
    },
)
def sahara_ingest():
    @task(pool=SAHARA_POOL)
    def plan() -> list[dict]:
        from etl.pipeline.sahara import plan as plan_chunks

        ctx = get_current_context()
        return plan_chunks(
            ctx["params"],
            ctx.get("data_interval_start"),
            ctx.get("data_interval_end"),
            ctx["dag_run"].run_after,
        )

    @task(outlets=[EVENTS_SAHARA], max_active_tis_per_dag=4, pool=SAHARA_POOL)
    def ingest_chunk(chunk: dict) -> dict:
        from etl.pipeline.sahara import ingest_chunk as ingest

        return ingest(chunk, run_id=get_current_context()["run_id"])

    @task(trigger_rule="none_failed")  # also after a plan with nothing left to ingest
    def summarize(results: list[dict]) -> dict:
        from etl.pipeline.sahara import summarize as total

        # A slice reads every mapped result at once; iterating would probe one past the end (an error log line).
        return total(list(results[:]) if results else [])

    summarize(ingest_chunk.expand(chunk=plan()))


dag = sahara_ingest()
