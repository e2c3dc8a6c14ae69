"""An incremental run reaches the history only through indexes (PostgreSQL).

Every statement of every projection is explained (and then run) for a small window of new events on
top of an ingested history, with sequential scans priced out (`enable_seqscan = off`): a sequential
scan that remains on the event store or on a table that grows with history means no index can serve
that read, so the run would cost the history, not the new events. Small tables bounded by the number
of subnets, validators, coins or days, and the run's own `w_*` tables, may be scanned whole.
DuckDB has no such plan choice (it scans columns with zone maps); `decai bench` measures it.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from tests.conftest import DEVNET_NOW, require
from warehouse import db
from warehouse.projections import run_all
from warehouse.projections.base import OnlyOn, _selected

#: Tables whose size grows with the history (besides the event store and its partitions).
HISTORY_TABLES = {
    "stg_bittensor_neurons",
    "stg_bittensor_registrations",
    "stg_bittensor_issuance",
    "stg_bittensor_subnet_blocks",
    "bittensor_epoch_prices",
    "subnet_emission_daily",
    "bittensor_holders",
    "miners",
    "stg_sahara_annotation_events",
    "stg_sahara_tasks",
    "annotations",
    "contributors",
    "stg_sahara_validator_sets",
    "stg_sahara_delegation_flows",
    "sahara_delegations",
    "ecosystem_day_members",
    "ecosystem_day_hours",
    "ecosystem_daily",
    "market_caps",
    "stg_bittensor_stake_events",
    "bittensor_stake_day_coldkeys",
    "bittensor_stake_flows_daily",
    # network fundamentals (issue 17): staging and per-account state grow with history; per-day rows of
    # a subnet or an account grow with the days
    "stg_bittensor_extrinsics",
    "stg_bittensor_transfers",
    "bittensor_accounts",
    "stg_bittensor_subnet_observations",
    "subnet_day_pool",
    "subnet_daily",
    "stg_sahara_transactions",
    "stg_sahara_bank_transfers",
    "sahara_account_days",
    "sahara_accounts",
    "sahara_balance_changes_daily",
    "stg_sahara_marketplace",
    "stg_erc20_transfers",
    "stg_erc20_approvals",
    "erc20_balances",
    "erc20_balance_days",
    "evm_unmodelled_logs",
    # network_daily's Bittensor signers: one row per account and day (its day sums, one row per day, are
    # bounded by the days)
    "bittensor_signer_days",
}
_PLANNED = ("INSERT", "DELETE", "UPDATE", "WITH", "CREATE TEMPORARY TABLE")
# A temporary table declared with its columns reads nothing: there is no plan to explain.
_DEFINES_COLUMNS = re.compile(r"\s*CREATE TEMPORARY TABLE \w+\s*\(", re.IGNORECASE)


@pytest.fixture()
def postgres_url():
    from tests.conftest import _postgres_schema_url

    base = os.environ.get("WAREHOUSE_TEST_POSTGRES_URL")
    require(
        bool(base), "set WAREHOUSE_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    )
    url, admin, schema = _postgres_schema_url(base)
    db.migrate(url)
    yield url
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def _ingest(devnet, coingecko_conn, url: str, part: int) -> None:
    from etl.pipeline.chain import ingest_range
    from etl.pipeline.market import ingest_coin_window
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        ingest_range(source, *((323_000, 323_400), (323_400, 323_800))[part], warehouse_url=url)
    comet, evm = CometBFTSource(devnet.endpoints["cometbft"]), EvmSource(devnet.endpoints["evm"])
    try:
        top = comet.finalized_head() // 720 * 720
        for source in (comet, evm):
            ingest_range(source, *((top - 1500, top - 100), (top - 100, top + 1))[part], warehouse_url=url)
    finally:
        comet.close()
        evm.close()
    for coin in ("bittensor", "sahara-ai"):
        start, end = ((DEVNET_NOW - 3 * 86400, DEVNET_NOW - 3600), (DEVNET_NOW - 3600, DEVNET_NOW))[part]
        ingest_coin_window(coingecko_conn, coin, start, end, warehouse_url=url)


def _scans(plan) -> list[str]:
    """Relations read by a sequential scan anywhere in a JSON plan."""
    found = []
    if isinstance(plan, dict):
        if plan.get("Node Type") == "Seq Scan":
            found.append(plan["Relation Name"])
        for value in plan.values():
            found += _scans(value)
    elif isinstance(plan, list):
        for item in plan:
            found += _scans(item)
    return found


def test_incremental_statements_reach_history_through_indexes(devnet, coingecko_conn, postgres_url):
    engine = db.make_engine(postgres_url)
    _ingest(devnet, coingecko_conn, postgres_url, 0)
    run_all(engine)
    _ingest(devnet, coingecko_conn, postgres_url, 1)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        transaction = conn.begin()
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        hi = conn.execute(sa.text("SELECT MAX(seq) FROM events")).scalar()
        scanned, explained = [], 0
        for projection in _selected(None):
            lo = conn.execute(
                sa.text("SELECT last_seq FROM projection_state WHERE projection = :p"), {"p": projection.name}
            ).scalar()
            assert 0 < lo < hi, projection.name
            for statement in projection.statements:
                if isinstance(statement, OnlyOn):
                    if statement.dialect != "postgresql":
                        continue
                    statement = statement.sql
                params = {"lo": lo, "hi": hi}
                if statement.lstrip().upper().startswith(_PLANNED) and not _DEFINES_COLUMNS.match(statement):
                    plan = conn.execute(sa.text("EXPLAIN (FORMAT JSON) " + statement), params).scalar()
                    scanned += [(projection.name, table) for table in _scans(plan)]
                    explained += 1
                conn.execute(sa.text(statement), params)
        transaction.rollback()
    engine.dispose()
    assert explained > 40
    history = [(p, t) for p, t in scanned if t.startswith("events") or t in HISTORY_TABLES]
    assert history == [], sorted(set(history))
