"""Economic reconciliation and chain audits on real devnet data, and what they say when data is wrong."""

import sqlalchemy as sa

from etl.pipeline.chain import ingest_range
from etl.pipeline.market import ingest_coin_window
from etl.sources.subtensor import SubtensorSource
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.projections import run_all
from warehouse.reconcile import reconcile

DAY = 86400


def test_checks_pass_on_consistent_data_and_name_the_day_that_is_not(devnet, coingecko_conn, duckdb_url):
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        ingest_range(source, head - 900, head - 100, warehouse_url=duckdb_url)
    ingest_coin_window(
        coingecko_conn, "bittensor", DEVNET_NOW - 10 * DAY, DEVNET_NOW, warehouse_url=duckdb_url
    )
    engine = db.make_engine(duckdb_url)
    run_all(engine)
    results = {r["check"]: r for r in reconcile(duckdb_url)}
    assert set(results) == {
        "event_counts",
        "block_emission",
        "emission_split",
        "supply_caps",
        "market_cap_consistency",
    }
    assert results["emission_split"]["checked"] >= 3
    assert all(r["failures"] == [] for r in results.values()), results
    assert abs(results["block_emission"]["observed"] - 0.5) < 0.005  # after the December 2025 halving

    with db.begin(engine) as conn:  # pay one epoch's UIDs twice what the chain said
        conn.execute(
            sa.text(
                "UPDATE stg_bittensor_neurons SET emission_rao = emission_rao * 2 WHERE block_number = "
                "(SELECT MAX(block_number) FROM stg_bittensor_neurons WHERE emission_rao > 0)"
            )
        )
    split = {r["check"]: r for r in reconcile(duckdb_url)}["emission_split"]
    assert split["failures"] and all("expected" in line for line in split["failures"])
    assert any("validators got" in line for line in split["failures"])

    with db.begin(engine) as conn:  # lose one stored event behind the audit's back
        conn.execute(
            sa.text(
                "DELETE FROM events WHERE event_id = (SELECT MIN(event_id) FROM events "
                "WHERE source = 'subtensor' AND position NOT LIKE 'obs.%')"
            )
        )
    broken = {r["check"]: r for r in reconcile(duckdb_url)}["event_counts"]
    assert len(broken["failures"]) == 1 and broken["failures"][0].startswith("subtensor 2026-01-1")
    assert "stored" in broken["failures"][0]
    outcomes = db.read_sql(
        "SELECT stream, outcome FROM dq_results WHERE suite = 'reconciliation' ORDER BY validated_at, stream",
        url=duckdb_url,
    )
    assert outcomes["outcome"].tolist().count("failed") == 3  # emission_split twice, event_counts once
    engine.dispose()
