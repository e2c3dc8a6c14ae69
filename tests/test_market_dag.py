"""`market_ingest` and `warehouse_projections` run for real with dag.test() against the devnet."""

import json

import sqlalchemy as sa

from etl.orchestrate import run_dag
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.audit import warehouse_checksums

DAY = 86400
WINDOW = {"start": DEVNET_NOW - 3 * DAY, "end": DEVNET_NOW}
DATA_TABLES = ["events", "quarantine", "ingest_checkpoints", "market_caps"]


def test_market_ingest_fills_market_caps_for_both_coins_and_reruns_change_nothing(
    airflow_db, coingecko_conn, warehouse_url
):
    run_dag("market_ingest", WINDOW)
    engine = db.make_engine(warehouse_url)
    with engine.connect() as conn:
        per_coin = dict(
            conn.execute(sa.text("SELECT coin_id, COUNT(*) FROM market_caps GROUP BY coin_id")).all()
        )
        batches = conn.execute(
            sa.text("SELECT rows_in, rows_loaded, rows_quarantined FROM ingest_batches")
        ).all()
        dq = conn.execute(sa.text("SELECT stream, outcome, details FROM dq_results ORDER BY stream")).all()
    assert per_coin == {"bittensor": 72, "sahara-ai": 72}
    assert all(rows_in == loaded + quarantined for rows_in, loaded, quarantined in batches)
    # One result per coin, both from the window's single validation run.
    assert [(stream, outcome) for stream, outcome, _ in dq] == [
        ("bittensor", "passed"),
        ("sahara-ai", "passed"),
    ]
    runs = {json.loads(d)["gx_run"]["name"] if isinstance(d, str) else d["gx_run"]["name"] for _, _, d in dq}
    assert runs == {f"coingecko_bittensor+sahara-ai_{WINDOW['start']}_{WINDOW['end']}"}
    before = warehouse_checksums(engine, DATA_TABLES)

    run_dag("market_ingest", WINDOW)
    run_dag("warehouse_projections")
    after = warehouse_checksums(engine, DATA_TABLES)
    assert after == before
    assert before["events"][0] == 144
    engine.dispose()


def test_a_run_with_bad_rows_continues_and_quarantines_them(airflow_db, coingecko_conn, duckdb_url, faults):
    faults({"kind": "mutate", "path": "/api/v3/coins/sahara-ai", "pointer": "/prices/0/1", "value": -1})
    run_dag("market_ingest", WINDOW)
    engine = db.make_engine(duckdb_url)
    with engine.connect() as conn:
        quarantined = conn.execute(sa.text("SELECT position, rule FROM quarantine")).all()
        caps = conn.execute(sa.text("SELECT COUNT(*) FROM market_caps")).scalar()
    assert quarantined == [
        (f"sahara-ai@{WINDOW['start'] * 1000}", "expect_column_values_to_be_between(price_usd)")
    ]
    assert caps == 143
    engine.dispose()
