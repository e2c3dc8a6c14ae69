"""The dashboard in headless Chromium: pages render with data, controls work, no console errors.

Screenshots of every page land in `artifacts/screenshots/` (gitignored) for people to look at.
"""

from __future__ import annotations

import csv
import io
import re
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


#: Served dashboard address -> the warehouse URL behind it.
_SERVED: dict[str, str] = {}


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory, devnet):
    """A warehouse with market data and some quarantined rows, served by create_app() on loopback."""
    import httpx
    from werkzeug.serving import make_server

    from dashboards.app import create_app
    from etl.connections import CoinGeckoConnection

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
    base = f"http://127.0.0.1:{server.server_port}"
    _SERVED[base] = url
    yield base
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
                "path": "/cometbft",
                "rpc_method": "block_results",
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


def _traces(page, chart_id: str) -> list[dict]:
    """The drawn traces of a chart as plain data: name, x, y, customdata."""
    return page.evaluate(
        "p => p._fullData.map(t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || []),"
        " customdata: Array.from(t.customdata || []).map(c => Array.from(c))}))",
        page.locator(f"#{chart_id} .js-plotly-plot").element_handle(),
    )


#: JS: how many series a time-series chart draws (a series' partial periods are a trace of their own).
SERIES = "new Set(d.map(t => t.name.replace(/ [(]partial (day|hour)[)]$/, ''))).size"


def _wait_for_plot(page, chart_id: str, condition: str = "true") -> None:
    """Wait until the chart has drawn data and `condition` (JS over `d`, its traces) holds."""
    page.wait_for_function(
        f"() => {{ const p = document.querySelector('#{chart_id} .js-plotly-plot');"
        f" if (!p || !p._fullData || !p._fullData.length) return false; const d = p._fullData; return {condition}; }}"
    )


def _series(traces: list[dict]) -> dict[str, list[tuple[str, float]]]:
    """Each series of a time-series chart: its points (x, y) in order, partial ones included."""
    out: dict[str, list] = {}
    for trace in traces:
        name = re.sub(r" [(]partial (day|hour)[)]$", "", trace["name"])
        out.setdefault(name, []).extend(
            (x, y) for x, y in zip(trace["x"], trace["y"], strict=True) if y is not None
        )
    return {name: sorted(set(points)) for name, points in out.items()}


def click_point(page, chart_id: str, trace: int, index: int) -> None:
    """Click one data point of a scatter chart where it is drawn, as a user's mouse would."""
    handle = page.locator(f"#{chart_id} .js-plotly-plot").element_handle()
    handle.scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([p, trace, index]) => {
            const t = p._fullData[trace], xa = p._fullLayout.xaxis, ya = p._fullLayout.yaxis;
            const box = p.getBoundingClientRect();
            const xs = Array.from(t.x), ys = Array.from(t.y);
            return [box.left + xa._offset + xa.l2p(xa.d2l(xs[index])),
                    box.top + ya._offset + ya.l2p(ya.d2l(ys[index]))];
        }""",
        [handle, trace, index],
    )
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def download_csv(page, button_selector: str) -> list[dict]:
    with page.expect_download() as download:
        page.locator(button_selector).click()
    return list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))


def test_overview_renders_both_coins_and_the_log_toggle_changes_the_chart(page, dashboard_url):
    page.goto(dashboard_url + "/")
    _wait_for_plot(page, "market-cap-chart", f"{SERIES} === 2")
    traces = _traces(page, "market-cap-chart")
    series = _series(traces)
    assert list(series) == ["Bittensor (TAO)", "Sahara AI (SAHARA)"]
    assert all(points[0][1] == 100 for points in series.values())  # rebased at the start of the range
    # Ten days of quotes (2026-01-05 12:00 to 2026-01-15 11:00) are drawn a point a day; the first and
    # the last day hold fewer than their 24 quotes, so they are drawn as partial.
    assert [x[:10] for x, _ in series["Bittensor (TAO)"]] == [f"2026-01-{d:02d}" for d in range(5, 16)]
    partial = [t for t in traces if t["name"] == "Bittensor (TAO) (partial day)"][0]
    assert [x[:10] for x, y in zip(partial["x"], partial["y"], strict=True) if y is not None] == [
        "2026-01-05", "2026-01-06", "2026-01-14", "2026-01-15",
    ]  # fmt: skip
    page.wait_for_selector("#kpi-bittensor")
    bittensor, sahara = page.inner_text("#kpi-bittensor"), page.inner_text("#kpi-sahara-ai")
    for label in (
        "Market cap",
        "Price",
        "24h volume",
        "Supply (share of cap)",
        "Staked",
        "Emission per day",
        "Participants",
        "Share earning anything",
        "Validators",
        "Gini of rewards",
        "Nakamoto coefficient",
    ):
        assert label in bittensor and label in sahara  # fmt: skip
    assert page.inner_text("#as-of").startswith("As of 2026-01-15")
    table = page.inner_text("#head-to-head-table")
    assert "Gini of rewards" in table and "Yuma Consensus" in table
    # The fixture holds hours of both chains, no whole day: the head-to-head says so instead of
    # passing a partial day off as a day.
    assert page.inner_text("#head-to-head-title") == "Head to head (no day complete on both chains yet)"
    assert "Data as of: market quotes to 2026-01-15 11:00 UTC" in page.inner_text("#market-cap-chart-card")
    assert _axis_type(page) == "log"
    _shot(page, "overview")
    page.locator("#scale-toggle input[value=linear]").check()
    page.wait_for_function(
        "document.querySelector('#market-cap-chart .js-plotly-plot')._fullLayout.yaxis.type === 'linear'"
    )
    assert "scale=linear" in page.url
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


def test_compare_page_shows_both_lorenz_curves_and_the_chain_filter_keeps_one(page, dashboard_url):
    page.goto(dashboard_url + "/compare")
    _wait_for_plot(page, "lorenz-chart", "d.length === 3")
    names = [t["name"] for t in _traces(page, "lorenz-chart")]
    assert names == ["Equal rewards", "Bittensor miners", "Sahara contributors"]
    _wait_for_plot(page, "top10-chart", f"{SERIES} === 2")
    page.wait_for_selector("#ecosystem-daily-table td")
    _shot(page, "compare")
    page.locator("#chain-filter input[value=sahara]").check()
    _wait_for_plot(page, "lorenz-chart", "d.length === 2")
    assert [t["name"] for t in _traces(page, "lorenz-chart")] == ["Equal rewards", "Sahara contributors"]
    _wait_for_plot(page, "top10-chart", f"{SERIES} === 1")
    assert "chain=sahara" in page.url
    assert page.console_errors == []


def test_source_filter_narrows_the_quarantine_table(page, dashboard_url):
    page.goto(dashboard_url + "/quality")
    page.wait_for_selector("#quarantine-table td")
    before = page.eval_on_selector_all(
        "#quarantine-table td[data-dash-column=source]", "tds => tds.map(td => td.innerText.trim())"
    )
    assert set(before) == {"coingecko", "cometbft"}
    page.click("#quarantine-source")
    # Pick the option itself once the open dropdown lists it (typing + Enter races the list on a busy machine).
    page.get_by_role("option", name="coingecko", exact=True).click()
    page.wait_for_function(
        "[...document.querySelectorAll('#quarantine-table td[data-dash-column=source]')]"
        ".every(td => td.innerText.trim() === 'coingecko')"
    )
    sources = page.eval_on_selector_all(
        "#quarantine-table td[data-dash-column=source]", "tds => tds.map(td => td.innerText.trim())"
    )
    assert sources and set(sources) == {"coingecko"}
    assert page.console_errors == []


def _sql(url: str, sql: str, params: dict | None = None):
    return db.read_sql(sql, params or {}, url=url)


@pytest.fixture(scope="module")
def dashboard_warehouse(dashboard_url):
    """The URL of the warehouse `dashboard_url` serves."""
    from urllib.request import urlopen

    with urlopen(dashboard_url + "/"):  # the server is up
        pass
    return _SERVED[dashboard_url]


def test_overview_chain_filter_changes_the_charts_and_the_url(page, dashboard_url):
    page.goto(dashboard_url + "/")
    _wait_for_plot(page, "market-cap-chart", f"{SERIES} === 2")
    before = _series(_traces(page, "market-cap-chart"))
    page.locator("#chain-filter input[value=sahara]").check()
    _wait_for_plot(page, "market-cap-chart", f"{SERIES} === 1")
    after = _series(_traces(page, "market-cap-chart"))
    assert (
        list(after) == ["Sahara AI (SAHARA)"] and after["Sahara AI (SAHARA)"] == before["Sahara AI (SAHARA)"]
    )
    page.wait_for_function(
        "!document.querySelector('#kpi-bittensor') && !!document.querySelector('#kpi-sahara-ai')"
    )
    assert "chain=sahara" in page.url and "start=2026-01-05" in page.url
    assert page.console_errors == []


def test_a_url_with_state_restores_the_view(page, dashboard_url):
    page.goto(
        dashboard_url + "/?start=2026-01-11&end=2026-01-12&as_of=2026-01-11&chain=bittensor&scale=linear"
    )
    _wait_for_plot(page, "market-cap-chart", "d.length === 1 && p._fullLayout.yaxis.type === 'linear'")
    assert page.input_value("#date-range") == "2026-01-11"
    assert page.input_value("#controls input.dash-datepicker-end-date") == "2026-01-12"
    assert page.input_value("#as-of-date") == "2026-01-11"
    assert page.is_checked("#chain-filter input[value=bittensor]")
    assert page.is_checked("#scale-toggle input[value=linear]")
    (trace,) = _traces(page, "market-cap-chart")
    assert trace["name"] == "Bittensor (TAO)" and trace["y"][0] == 100
    # Two days are drawn an hour a point.
    hours = sorted(trace["x"])
    assert hours[0].startswith("2026-01-11T00:00") and hours[-1].startswith("2026-01-12T23:00")
    assert len(hours) == 48
    # KPIs as of the end of 2026-01-11: the last hour before the 12th.
    page.wait_for_selector("#kpi-bittensor")
    assert page.inner_text("#as-of").startswith("As of 2026-01-11 23:00 UTC")
    assert page.locator("#kpi-sahara-ai").count() == 0
    assert page.console_errors == []


def test_market_cap_csv_has_the_rows_of_the_chart(page, dashboard_url, dashboard_warehouse):
    # Three days are drawn a point a day: the CSV holds each day's row of market_caps_daily.
    page.goto(dashboard_url + "/?start=2026-01-10&end=2026-01-12")
    _wait_for_plot(page, "market-cap-chart", "d.length === 2")
    rows = download_csv(page, "#market-cap-chart-csv")
    expected = _sql(
        dashboard_warehouse,
        "SELECT coin_id, day AS hour, market_cap_usd FROM market_caps_daily "
        "WHERE day >= '2026-01-10' AND day < '2026-01-13' ORDER BY coin_id, day",
    )
    assert len(expected) == 6 and {r["complete"] for r in rows} == {"True"}
    assert [(r["coin_id"], r["hour"]) for r in rows] == [
        (r.coin_id, r.hour.strftime("%Y-%m-%dT%H:%M:%S")) for r in expected.itertuples()
    ]
    assert [float(r["market_cap_usd"]) for r in rows] == pytest.approx(expected["market_cap_usd"].tolist())
    firsts = {r["coin_id"]: float(r["index"]) for r in reversed(rows)}
    assert firsts == {"bittensor": 100.0, "sahara-ai": 100.0}
    assert page.console_errors == []


def test_clicking_an_hour_of_market_cap_lists_the_quotes_behind_it(page, dashboard_url, dashboard_warehouse):
    page.goto(dashboard_url + "/?start=2026-01-14&end=2026-01-15&chain=sahara")
    _wait_for_plot(page, "market-cap-chart", "d.length === 1")
    (trace,) = _traces(page, "market-cap-chart")
    coin, start, end = trace["customdata"][10][:3]
    click_point(page, "market-cap-chart", 0, 10)
    page.wait_for_selector("#market-cap-chart-events td")
    assert page.inner_text("#market-cap-chart-drill-title").startswith(
        "Quotes of Sahara AI (SAHARA), 2026-01-14 10:00"
    )
    listed = download_csv(page, "#market-cap-chart-events button.export")
    expected = _sql(
        dashboard_warehouse,
        "SELECT event_id FROM events WHERE event_type = 'market.Quote' AND payload->>'coin_id' = :coin "
        "AND block_time >= :start AND block_time < :end ORDER BY event_id",
        {"coin": coin, "start": start.replace("T", " "), "end": end.replace("T", " ")},
    )
    assert coin == "sahara-ai" and len(expected) >= 1
    assert sorted(r["event_id"] for r in listed) == expected["event_id"].tolist()
    assert {r["event_type"] for r in listed} == {"market.Quote"}
    assert all('"coin_id":"sahara-ai"' in r["payload"].replace(" ", "") for r in listed)
    assert page.console_errors == []


def test_bad_and_hostile_url_parameters_fall_back_with_a_notice(page, dashboard_url, dashboard_warehouse):
    count = "SELECT COUNT(*) AS n FROM events"
    before = int(_sql(dashboard_warehouse, count)["n"][0])
    page.goto(
        dashboard_url
        + "/?start=2026-13-45&end=2026-01-12&chain=bittensor'--&netuid=1;DROP%20TABLE%20events&as_of=yesterday"
    )
    page.wait_for_selector("#url-notice li")
    notice = page.inner_text("#url-notice")
    assert "`start=2026-13-45` is not a date" in notice
    assert "`chain=bittensor'--` is not one of both, bittensor, sahara" in notice
    assert "`netuid=1;DROP TABLE events` is not a subnet id" in notice
    assert "`as_of=yesterday` is not a date" in notice
    _wait_for_plot(page, "market-cap-chart", f"{SERIES} === 2")  # defaults: both chains
    assert page.input_value("#controls input.dash-datepicker-end-date") == "2026-01-12"
    assert int(_sql(dashboard_warehouse, count)["n"][0]) == before > 0
    assert page.console_errors == []


def test_the_navigation_links_keep_the_view(page, dashboard_url):
    page.goto(dashboard_url + "/")
    _wait_for_plot(page, "market-cap-chart", f"{SERIES} === 2")
    for selector, day in (("#date-range", "2026-01-10"), ("#date-range-end-date", "2026-01-12")):
        page.locator(selector).fill(day)
        page.locator(selector).press("Enter")
    page.locator("#chain-filter input[value=sahara]").check()
    page.wait_for_function("location.search === '?start=2026-01-10&end=2026-01-12&chain=sahara'")
    # Each link carries what its page takes: the quality page only the chain.
    page.wait_for_function(
        "!!document.querySelector('nav a[href=\"/compare?start=2026-01-10&end=2026-01-12&chain=sahara\"]')"
    )
    assert page.get_attribute('nav a[href^="/quality"]', "href") == "/quality?chain=sahara"
    page.get_by_role("link", name="Competitive vs cooperative", exact=True).click()
    _wait_for_plot(page, "lorenz-chart", "p._fullLayout.title.text.endsWith('2026-01-10 to 2026-01-12')")
    assert page.url == dashboard_url + "/compare?start=2026-01-10&end=2026-01-12&chain=sahara"
    assert page.input_value("#date-range") == "2026-01-10"
    assert page.input_value("#date-range-end-date") == "2026-01-12"
    assert page.is_checked("#chain-filter input[value=sahara]")
    assert page.inner_text("#url-notice") == ""
    # On to a page without the chain filter: the range still follows, and nothing is reported as unused.
    page.wait_for_function(
        "!!document.querySelector('nav a[href=\"/bittensor?start=2026-01-10&end=2026-01-12\"]')"
    )
    page.get_by_role("link", name="Bittensor", exact=True).click()
    page.wait_for_selector("#emission-chart")
    assert page.url == dashboard_url + "/bittensor?start=2026-01-10&end=2026-01-12"
    assert page.input_value("#date-range") == "2026-01-10"
    assert page.input_value("#date-range-end-date") == "2026-01-12"
    assert page.inner_text("#url-notice") == ""
    assert page.console_errors == []


def test_browser_back_restores_the_previous_view(page, dashboard_url):
    page.goto(dashboard_url + "/compare")
    _wait_for_plot(page, "lorenz-chart", "d.length === 3")
    page.locator("#chain-filter input[value=bittensor]").check()
    _wait_for_plot(page, "lorenz-chart", "d.length === 2")
    page.wait_for_function("location.search.includes('chain=bittensor')")
    page.locator("#chain-filter input[value=sahara]").check()
    page.wait_for_function("location.search.includes('chain=sahara')")
    _wait_for_plot(page, "lorenz-chart", "d.length === 2 && d[1].name === 'Sahara contributors'")
    page.go_back()
    page.wait_for_function("location.search.includes('chain=bittensor')")
    _wait_for_plot(page, "lorenz-chart", "d.length === 2 && d[1].name === 'Bittensor miners'")
    assert page.is_checked("#chain-filter input[value=bittensor]")
    page.go_back()
    page.wait_for_function("!location.search.includes('chain=')")
    _wait_for_plot(page, "lorenz-chart", "d.length === 3")
    assert page.is_checked("#chain-filter input[value=both]")
    assert page.console_errors == []


def test_hovers_give_each_figure_its_definition_and_headers_and_cards_its_unit(page, dashboard_url):
    """What a reader sees on hovering: a KPI card's figure, a table header, a chart panel's header."""
    page.goto(dashboard_url + "/")
    staked = page.locator("#kpi-bittensor [data-kpi=staked]")
    staked.wait_for()
    assert staked.get_attribute("title") == (
        "Share of supply actually staked: Bittensor, (root TAO stake + Σ SubnetTAO of the other subnets) ÷ "
        "TotalIssuance at the day's last block; Sahara, x/mint's bonded ratio. Unit: ratio 0..1."
    )
    # The unit next to the value where the value does not show one; the fixture holds no complete day,
    # so the per-day figures show a dash and no unit.
    assert re.fullmatch(r"\$[\d,.]+ per TAO", page.inner_text("#kpi-bittensor [data-kpi=price] strong"))
    assert re.fullmatch(r"\$[\d,.]+ per SAHARA", page.inner_text("#kpi-sahara-ai [data-kpi=price] strong"))
    assert page.inner_text("#kpi-sahara-ai [data-kpi=participants] strong") == "–"
    # The head-to-head: hovering a row's aspect gives its definition.
    page.locator("#head-to-head-table td[data-dash-column=aspect]", has_text="Gini of rewards").hover()
    tip = page.locator(".dash-table-tooltip")
    tip.wait_for()
    assert tip.inner_text().startswith("Gini coefficient of the day's rewards over participants")

    page.goto(dashboard_url + "/compare")
    header = page.locator("#ecosystem-daily-table th.dash-header", has_text="staking_ratio (0–1)")
    header.wait_for()
    header.hover()
    page.wait_for_function(
        "() => { const t = document.querySelector('.dash-table-tooltip');"
        " return t && t.innerText.includes('TotalIssuance'); }"
    )
    assert page.inner_text(".dash-table-tooltip").startswith("Share of supply actually staked")
    assert (
        page.locator(
            "#ecosystem-daily-table th.dash-header", has_text="emission_native (TAO or SAHARA per day)"
        ).count()
        == 1
    )
    about = page.locator("#top10-chart-about")
    assert about.inner_text() == "ⓘ Top-10% share · unit: 0–1"
    assert about.get_attribute("title").startswith(
        "Share of the day's rewards paid to the top 10% of participants"
    )
    _wait_for_plot(page, "top10-chart", f"{SERIES} === 2")
    assert (
        page.evaluate("document.querySelector('#top10-chart .js-plotly-plot')._fullLayout.yaxis.title.text")
        == "top10 share (%)"
    )
    assert page.console_errors == []


def test_the_data_dictionary_page_shows_the_stored_comments_views_with_examples_and_event_types(
    page, dashboard_url
):
    page.goto(dashboard_url + "/dictionary")
    page.wait_for_selector("#dictionary-relations-table td")
    relations = page.eval_on_selector_all(
        "#dictionary-relations-table td[data-dash-column=name]", "tds => tds.map(td => td.innerText.trim())"
    )
    assert {"events", "ecosystem_daily", "v_comparison_daily", "v_freshness"} <= set(relations)
    assert "Grain: one row per chain per UTC day." in page.inner_text("#dictionary-relations-table")
    # ecosystem_daily's columns first; another table chosen shows its own.
    assert "the unit of every *_native column: 'TAO' or 'SAHARA'" in page.inner_text(
        "#dictionary-columns-table"
    )
    page.click("#dictionary-table")
    page.get_by_placeholder("Search").fill("market_caps_daily")
    page.get_by_role("option", name="market_caps_daily", exact=True).click()
    page.wait_for_function(
        "[...document.querySelectorAll('#dictionary-columns-table td[data-dash-column=column]')]"
        ".some(td => td.innerText.trim() === 'hours_stored')"
    )
    assert "UTC hours of the day with at least one stored quote" in page.inner_text(
        "#dictionary-columns-table"
    )
    assert page.inner_text("#example-v_subnet_leaderboard pre").startswith(
        "SELECT netuid, emission_share, price_tao_per_alpha, miners FROM v_subnet_leaderboard"
    )
    events = page.inner_text("#dictionary-events-table")
    assert "SubtensorModule.StakeAdded" in events and "DataServices.RewardPaid" in events
    _shot(page, "dictionary")
    assert page.console_errors == []
