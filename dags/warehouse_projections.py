"""
### warehouse_projections

Folds new events from the event store into every projection (staging tables and marts), whenever
an ingest DAG reports new events through its Asset. Each projection advances from the position it
last committed, so this costs what is new, not what is old; `decai rebuild` replays from zero.
Then it runs the economic reconciliation and chain audits (`warehouse/reconcile.py`: event counts
per block against the source, TAO emission per block against the halving schedule, supply against its
cap, market cap against price x supply), stored in `dq_results` under the suite `reconciliation`, and
rebuilds the Great Expectations Data Docs, which the dashboard serves at `/data-docs/`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task

from etl.assets import EVENTS_BITTENSOR, EVENTS_MARKET, EVENTS_SAHARA, WAREHOUSE_MARTS
from etl.dag_defaults import default_args


@dag(
    dag_id="warehouse_projections",
    schedule=(EVENTS_MARKET | EVENTS_BITTENSOR | EVENTS_SAHARA),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["warehouse", "projections"],
    doc_md=__doc__,
    default_args=default_args(retries=2),
)
def warehouse_projections():
    @task(outlets=[WAREHOUSE_MARTS])
    def run_projections() -> list[dict]:
        from etl.pipeline.projections import run_projections as run

        return run()

    @task
    def build_data_docs(projections: list[dict]) -> str:
        from etl.pipeline.projections import build_data_docs as build

        return build()

    @task
    def reconcile(projections: list[dict]) -> list[dict]:
        from etl.pipeline.projections import reconcile as run_checks

        return run_checks()

    projections = run_projections()
    reconcile(projections)
    build_data_docs(projections)


dag = warehouse_projections()
