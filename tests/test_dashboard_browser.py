"""The dashboard in headless Chromium: pages render with data, controls work, no console errors.

Screenshots of every page land in `artifacts/screenshots/` (gitignored) for people to look at.
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
from pathlib import Path

import pytest

from etl.pipeline.market import ingest_coin_window
from tests.conftest import DEVNET_NOW, require
from warehouse import db
from warehouse.projections import run_all

DAY = 86400
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory, devnet):
    """A warehouse with market data and some quarantined rows, served by create_app() on loopback."""
    import httpx
    from werkzeug.serving import make_server

    from dashboards.app import create_app
    from etl.pipeline.market import CoinGeckoConnection

    url = f"duckdb:///{tmp_path_factory.mktemp('dash') / 'warehouse.duckdb'}"
    db.migrate(url)
    httpx.post(
        devnet.base_url + "/_devnet/faults",
        json={
            "rules": [
                {"kind": "mutate", "path": "/api/v3/coins/sahara-ai", "pointer": "/prices/4/1", "value": -2}
            ]
        },
    ).raise_for_status()
    connection = CoinGeckoConnection(devnet.endpoints["coingecko"])
    try:
        for coin in ("bittensor", "sahara-ai"):
            ingest_coin_window(connection, coin, DEVNET_NOW - 10 * DAY, DEVNET_NOW, warehouse_url=url)
    finally:
        devnet.state.faults.clear()
    _load_chains(devnet, url)
    engine = db.make_engine(url)
    run_all(engine)
    engine.dispose()
    server = make_server("127.0.0.1", 0, create_app(url).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _load_chains(devnet, url: str) -> None:
    """About an hour of both chains, with metagraph epochs and a validator-set observation."""
    from etl.pipeline.chain import ingest_range
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        ingest_range(source, head - 600, head - 300, warehouse_url=url)
    comet, evm = CometBFTSource(devnet.endpoints["cometbft"]), EvmSource(devnet.endpoints["evm"])
    # One malformed coin string (finalize-block event 0 is `coinbase`, attribute 1 its amount).
    devnet.state.faults.set(
        [
            {
                "kind": "mutate",
                "path": "/cometbft/block_results",
                "pointer": "/result/finalize_block_events/0/attributes/1/value",
                "value": "12.5.7usah",
            }
        ]
    )
    try:
        top = (comet.finalized_head() // 720) * 720
        for source in (comet, evm):
            ingest_range(source, top - 200, top + 1, warehouse_url=url)
    finally:
        devnet.state.faults.clear()
        comet.close()
        evm.close()


@pytest.fixture(scope="module")
def browser():
    require(
        CHROMIUM is not None,
        "headless browser tests need Chromium (Debian packages chromium, chromium-driver)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)  # CI machines are shared; a slow render is not a failure
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _axis_type(page) -> str:
    return page.evaluate("document.querySelector('#market-cap-chart .js-plotly-plot')._fullLayout.yaxis.type")


def test_overview_renders_both_coins_and_the_log_toggle_changes_the_chart(page, dashboard_url):
    page.goto(dashboard_url + "/")
    page.wait_for_selector("#market-cap-chart .scatterlayer .trace")
    assert page.locator("#market-cap-chart .scatterlayer .trace").count() == 2
    assert "Market cap" in page.inner_text("#kpi-bittensor") and "$" in page.inner_text("#kpi-sahara-ai")
    assert page.inner_text("#as-of").startswith("As of 2026-01-15")
    assert _axis_type(page) == "log"
    _shot(page, "overview")
    page.locator("#market-cap-log input").uncheck()
    page.wait_for_function(
        "document.querySelector('#market-cap-chart .js-plotly-plot')._fullLayout.yaxis.type === 'linear'"
    )
    assert page.console_errors == []


def test_quality_page_lists_freshness_results_and_quarantine_and_exports_csv(page, dashboard_url):
    page.goto(dashboard_url + "/quality")
    page.wait_for_selector("#freshness-table td")
    freshness = page.inner_text("#freshness-table")
    assert "bittensor" in freshness and "sahara-ai" in freshness
    assert "market_quotes" in page.inner_text("#dq-results-table")
    page.wait_for_selector("#quarantine-table td")
    assert "price must be greater than 0" in page.inner_text("#quarantine-table")
    _shot(page, "quality")
    with page.expect_download() as download:
        page.locator("#quarantine-rules-table button.export").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert sorted((r["source"], r["rule"], r["rows"]) for r in rows) == [
        ("coingecko", "expect_column_values_to_be_between(price_usd)", "1"),
        ("cometbft", "cometbft_attribute", "1"),
    ]
    assert page.get_attribute("#data-docs-link", "href") == "/data-docs/"
    assert page.console_errors == []


def test_compare_page_shows_both_lorenz_curves_and_the_head_to_head_table(page, dashboard_url):
    page.goto(dashboard_url + "/compare")
    page.wait_for_selector("#lorenz-chart .scatterlayer .trace")
    names = page.evaluate("document.querySelector('#lorenz-chart .js-plotly-plot').data.map(t => t.name)")
    assert names == ["Equal rewards", "Bittensor miners", "Sahara contributors"]
    table = page.inner_text("#head-to-head-table")
    assert "Gini of rewards" in table and "Yuma Consensus" in table
    assert page.locator("#top10-chart .scatterlayer .trace").count() == 2
    _shot(page, "compare")
    assert page.console_errors == []


def test_source_filter_narrows_the_quarantine_table(page, dashboard_url):
    page.goto(dashboard_url + "/quality")
    page.wait_for_selector("#quarantine-table td")
    before = page.eval_on_selector_all(
        "#quarantine-table td[data-dash-column=source]", "tds => tds.map(td => td.innerText.trim())"
    )
    assert set(before) == {"coingecko", "cometbft"}
    page.click("#quarantine-source")
    page.keyboard.type("coingecko")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "[...document.querySelectorAll('#quarantine-table td[data-dash-column=source]')]"
        ".every(td => td.innerText.trim() === 'coingecko')"
    )
    sources = page.eval_on_selector_all(
        "#quarantine-table td[data-dash-column=source]", "tds => tds.map(td => td.innerText.trim())"
    )
    assert sources and set(sources) == {"coingecko"}
    assert page.console_errors == []
