"""Shared fixtures: an isolated Airflow home, a devnet, and warehouses on DuckDB and PostgreSQL.

Tests that need PostgreSQL read WAREHOUSE_TEST_POSTGRES_URL. Where it is unset they skip with a
clear message, except under CI (CI=true), where a skip would hide a missing service, so they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Airflow reads its configuration at import: set it before anything imports airflow.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="decai-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parent.parent / "dags")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ["DECAI_GX_DIR"] = tempfile.mkdtemp(prefix="decai-gx-")
# A failing task retries after half a second in tests, not after a minute.
os.environ.setdefault("DECAI_RETRY_DELAY_SECONDS", "0.5")

#: The devnet's clock in tests: fixed, so every run sees the same chain and prices.
DEVNET_NOW = int(datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp())


def require(condition: bool, message: str) -> None:
    """Skip with `message` when `condition` is false; under CI, fail instead."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must run this test: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def devnet():
    from devnet.server import DevnetServer

    with DevnetServer(seed=7, now=DEVNET_NOW, rate_limit_per_minute=0) as server:
        yield server


@pytest.fixture()
def faults(devnet):
    """Set devnet fault rules for one test; cleared afterwards."""
    import httpx

    def set_rules(*rules: dict) -> None:
        response = httpx.post(devnet.base_url + "/_devnet/faults", json={"rules": list(rules)})
        response.raise_for_status()

    yield set_rules
    devnet.state.faults.clear()


@pytest.fixture()
def coingecko_conn(devnet, monkeypatch):
    """The Airflow connection `coingecko`, pointing at the devnet, as production would set it."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_COINGECKO",
        json.dumps(
            {"conn_type": "http", "host": devnet.endpoints["coingecko"], "password": "devnet-demo-key"}
        ),
    )
    from etl.connections import coingecko_connection

    return coingecko_connection()


def _postgres_schema_url(base_url: str):
    import sqlalchemy as sa

    schema = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(base_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.engine.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), engine, schema


@contextlib.contextmanager
def fresh_warehouse(engine: str, directory: Path) -> Iterator[str]:
    """The URL of a new, migrated warehouse: a DuckDB file in `directory`, or a PostgreSQL schema of
    its own (WAREHOUSE_TEST_POSTGRES_URL), dropped afterwards."""
    from warehouse.db import migrate

    if engine == "duckdb":
        url = f"duckdb:///{directory / 'warehouse.duckdb'}"
        cleanup = None
    else:
        base = os.environ.get("WAREHOUSE_TEST_POSTGRES_URL")
        require(
            bool(base),
            "set WAREHOUSE_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)",
        )
        url, admin, schema = _postgres_schema_url(base)

        def cleanup():
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()

    migrate(url)
    try:
        yield url
    finally:
        if cleanup:
            cleanup()


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path, monkeypatch):
    """A fresh, migrated warehouse on each engine; also set as WAREHOUSE_URL for DAGs and the CLI."""
    with fresh_warehouse(request.param, tmp_path) as url:
        monkeypatch.setenv("WAREHOUSE_URL", url)
        yield url


@pytest.fixture()
def duckdb_url(tmp_path, monkeypatch):
    from warehouse.db import migrate

    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("WAREHOUSE_URL", url)
    migrate(url)
    return url


@pytest.fixture(scope="session")
def airflow_db():
    from etl.orchestrate import ensure_metadata_db

    ensure_metadata_db()


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """Under CI a skipped test is a test that did not run: fail the session and name it."""
    if _skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print(f"\nCI must run every test, but {len(_skipped)} skipped:\n  " + "\n  ".join(_skipped))
        session.exitstatus = 1


#: The longest test files, run first: with one file per worker (`make test` runs `-n 2 --dist loadfile`),
#: a long file picked up last would leave the other worker idle at the end of the run.
LONGEST_FIRST = (
    "test_cluster.py",
    "test_crash_safety.py",
    "test_backfill_progress.py",
    "test_ecosystem_daily.py",
    "test_status.py",
    "test_dashboard_browser.py",
    "test_bench.py",
    "test_projection_cost.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
