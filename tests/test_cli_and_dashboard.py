"""What an analyst touches: `decai sql` (read-only) and the dashboard built by create_app()."""

import json

import pandas as pd
from typer.testing import CliRunner

from etl.cli import app as cli
from etl.pipeline.market import ingest_coin_window
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.projections import run_all

DAY = 86400
runner = CliRunner()


def _load(coingecko_conn, url):
    for coin in ("bittensor", "sahara-ai"):
        ingest_coin_window(coingecko_conn, coin, DEVNET_NOW - 3 * DAY, DEVNET_NOW, warehouse_url=url)
    engine = db.make_engine(url)
    run_all(engine)
    engine.dispose()


def test_sql_answers_in_every_format_and_refuses_writes(coingecko_conn, warehouse_url):
    _load(coingecko_conn, warehouse_url)
    query = "SELECT coin_id, COUNT(*) AS hours FROM market_caps GROUP BY coin_id ORDER BY coin_id"
    as_json = runner.invoke(cli, ["sql", "--format", "json", query])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {"coin_id": "bittensor", "hours": 72},
        {"coin_id": "sahara-ai", "hours": 72},
    ]
    as_csv = runner.invoke(cli, ["sql", "-f", "csv", query])
    assert as_csv.stdout.splitlines() == ["coin_id,hours", "bittensor,72", "sahara-ai,72"]
    as_table = runner.invoke(cli, ["sql", query])
    assert "bittensor" in as_table.stdout and "72" in as_table.stdout
    for statement, says in (
        ("DELETE FROM events", "`DELETE` is not a read"),
        ("select 1; drop table events", "one statement at a time"),
        ("SELECT * FROM events; ", None),
        ("COPY (SELECT * FROM events) TO 'leak.csv'", "`COPY` is not a read"),
        ("WITH x AS (SELECT 1) SELECT * FROM x -- ; DROP TABLE events", None),
    ):
        result = runner.invoke(cli, ["sql", "-f", "csv", statement])
        if says is None:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 2 and "refused" in result.output and says in result.output
    failed = runner.invoke(cli, ["sql", "SELECT * FROM no_such_table"])
    assert failed.exit_code == 2 and "query failed" in failed.output
    still = runner.invoke(cli, ["sql", "-f", "json", "SELECT COUNT(*) AS n FROM events"])
    assert json.loads(still.stdout) == [{"n": 144}]


def test_overview_renders_both_market_caps_from_the_warehouse(coingecko_conn, duckdb_url):
    from datetime import date

    from dashboards import charts
    from dashboards.app import create_app
    from dashboards.pages import overview
    from dashboards.state import View

    _load(coingecko_conn, duckdb_url)
    app = create_app(duckdb_url)
    with app.server.app_context():
        assert overview.layout().children[0].children == "Overview"
    view = View(date(2026, 1, 1), date(2026, 1, 15), None)
    figure = charts.render(overview.PANEL["market-cap-chart"], duckdb_url, view)
    # Three days of hourly quotes (2026-01-12 12:00 to 2026-01-15 11:00) are drawn a point a UTC day,
    # rebased to 100 at the first, on a log axis by default; the first and last days are partial.
    points: dict[str, dict] = {}
    for trace in figure.data:
        series = points.setdefault(trace.name.removesuffix(" (partial day)"), {})
        series.update(
            {f"{pd.Timestamp(x):%Y-%m-%d}": y for x, y in zip(trace.x, trace.y, strict=True) if y is not None}
        )
    assert set(points) == {"Bittensor (TAO)", "Sahara AI (SAHARA)"}
    assert all(sorted(p) == ["2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15"] for p in points.values())
    assert all(p["2026-01-12"] == 100 for p in points.values())
    assert figure.layout.yaxis.type == "log"
    linear = charts.render(
        overview.PANEL["market-cap-chart"], duckdb_url, View(view.start, view.end, None, scale="linear")
    )
    assert linear.layout.yaxis.type == "linear"
    # TAO's market cap is in the billions, SAHARA's in the tens of millions.
    kpis = overview.kpi_frame(duckdb_url, view).set_index("chain")
    assert kpis.loc["bittensor", "market_cap_usd"] > 20 * kpis.loc["sahara", "market_cap_usd"]
    response = app.server.test_client().get("/")
    assert response.status_code == 200 and b"DecAI Compare" in response.data


def test_overview_shows_an_empty_state_before_any_data(duckdb_url):
    from dashboards.app import create_app
    from dashboards.pages import overview

    app = create_app(duckdb_url)
    with app.server.app_context():
        page = overview.layout()
    assert page.id == "empty-state" and "decai backfill" in str(page.children)


def test_data_docs_are_built_and_served_by_the_dashboard(coingecko_conn, duckdb_url, faults):
    from dashboards.app import create_app

    faults({"kind": "mutate", "path": "/api/v3/coins/bittensor", "pointer": "/prices/2/1", "value": -1})
    _load(coingecko_conn, duckdb_url)
    built = runner.invoke(cli, ["docs"])
    assert built.exit_code == 0, built.output
    client = create_app(duckdb_url).server.test_client()
    index = client.get("/data-docs/")
    assert index.status_code == 200 and b"market_quotes" in index.data
    assert client.get("/data-docs/no-such-page.html").status_code == 404
