"""The analysts' views answer on both engines, with the data the marts hold."""

import importlib

from etl.pipeline.market import ingest_coin_window
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.projections import run_all

VIEWS = importlib.import_module("warehouse.migrations.versions.0007_analyst_views").VIEWS


def test_every_view_answers_and_market_daily_has_the_days(coingecko_conn, warehouse_url):
    ingest_coin_window(
        coingecko_conn, "bittensor", DEVNET_NOW - 3 * 86400, DEVNET_NOW, warehouse_url=warehouse_url
    )
    engine = db.make_engine(warehouse_url)
    run_all(engine)
    engine.dispose()
    for view in VIEWS:
        db.read_sql(f"SELECT * FROM {view} LIMIT 5", url=warehouse_url)
    daily = db.read_sql(
        "SELECT coin_id, COUNT(*) AS days FROM v_market_daily GROUP BY coin_id", url=warehouse_url
    )
    assert daily.to_dict("records") == [{"coin_id": "bittensor", "days": 4}]  # noon to noon spans 4 days
    fresh = db.read_sql("SELECT source, stream, position FROM v_freshness", url=warehouse_url)
    assert fresh.to_dict("records") == [
        {"source": "coingecko", "stream": "bittensor", "position": DEVNET_NOW}
    ]


def test_the_comparison_and_validator_views_give_amounts_with_their_unit(warehouse_url):
    """Migration 0013 redefines the views over the unit-named columns: native amounts beside their unit."""
    comparison = db.read_sql("SELECT * FROM v_comparison_daily LIMIT 0", url=warehouse_url)
    assert {"native_unit", "emission_native", "rewards_native", "stake_native", "complete"} <= set(comparison)
    assert not {"emission_tokens", "rewards_tokens", "supply_tokens"} & set(comparison)
    validators = db.read_sql("SELECT * FROM v_validators LIMIT 0", url=warehouse_url)
    assert {"stake_native", "native_unit", "stake_alpha", "price_tao_per_alpha", "price_block"} <= set(
        validators
    )
    subnets = db.read_sql("SELECT * FROM v_subnet_leaderboard LIMIT 0", url=warehouse_url)
    assert {"price_tao_per_alpha", "price_block", "pool_tao", "pool_alpha"} <= set(subnets)
