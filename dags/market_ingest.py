"""
### market_ingest

Hourly market data for the two networks' tokens (`bittensor`, `sahara-ai`) from the CoinGecko API v3
(`/coins/{id}/market_chart/range`), through the Airflow connection `coingecko` (the local devnet when
it is not set).

1. `plan_window`: the window is the run configuration's `start`/`end` (ISO or unix seconds; backfills
   use this) or else the data interval.
2. `ingest_coins`: fetches the window for both coins, validates it with the `market_quotes` suite in
   one Great Expectations run (a run's fixed cost would dominate one small batch per coin), and
   appends each coin's `market.Quote` events as its own batch; rows that fail go to `quarantine`
   with the reason. A coin whose quarantined share is too high writes nothing and fails the task
   after the other coin is written. Produces `events.market`.
3. `project_market_caps`: folds new quotes into `market_caps` (one row per coin per hour).

Re-running a window changes nothing: events are keyed by content and appends are idempotent.
Catchup is off on purpose: history is loaded with `decai backfill` (or `airflow backfill create`).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task

from etl.assets import EVENTS_MARKET, MARKET_CAPS
from etl.dag_defaults import COINGECKO_POOL, default_args

COINS = ["bittensor", "sahara-ai"]


@dag(
    dag_id="market_ingest",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["ingest", "market", "coingecko"],
    doc_md=__doc__,
    default_args=default_args(retries=3),
    params={
        "start": Param(None, type=["null", "string", "integer"], description="window start (ISO or unix s)"),
        "end": Param(None, type=["null", "string", "integer"], description="window end, exclusive"),
    },
)
def market_ingest():
    @task
    def plan_window() -> dict:
        from etl.windows import resolve_window

        ctx = get_current_context()
        start, end = resolve_window(
            ctx["params"],
            ctx.get("data_interval_start"),
            ctx.get("data_interval_end"),
            ctx["dag_run"].run_after,
        )
        return {"start": start, "end": end}

    @task(outlets=[EVENTS_MARKET], pool=COINGECKO_POOL)
    def ingest_coins(window: dict) -> dict:
        from etl.connections import coingecko_connection
        from etl.pipeline.market import ingest_market_window

        run_id = get_current_context()["run_id"]
        return ingest_market_window(
            coingecko_connection(), COINS, window["start"], window["end"], run_id=run_id
        )

    @task(outlets=[MARKET_CAPS])
    def project_market_caps(batches: dict) -> dict:
        from etl.pipeline.projections import run_projections

        (summary,) = run_projections(["market_caps"])
        return summary | {"batches": len(batches)}

    project_market_caps(ingest_coins(plan_window()))


dag = market_ingest()
