"""The Bittensor and Sahara pages: their queries and figures on small warehouses, and the pages in Chromium.

The browser tests serve a warehouse with about an hour of both chains plus a day of Sahara's EVM logs
(so the marketplace and reputation charts have something to show), and compare what the page shows
with SQL counts on the same warehouse. Screenshots land in `artifacts/screenshots/`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboards import figures, queries
from tests import test_dashboard_browser as browser_tests
from warehouse import db
from warehouse.db import read_sql
from warehouse.projections import run_all

# The Chromium fixtures of the other browser tests, shared rather than copied.
browser, page = browser_tests.browser, browser_tests.page

# ------------------------------------------------------------------------------------ unit tests


def _insert(url: str, table: str, rows: list[dict]) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.table(table, *[sa.column(c) for c in rows[0]]).insert(), rows)
    engine.dispose()


def _annotation(annotation_id: str, submitted: bool, reviewed: bool, accepted: bool | None) -> dict:
    return {
        "annotation_id": annotation_id,
        "contributor": "0xc0",
        "submitted_at": datetime(2026, 1, 15, 10) if submitted else None,
        "reviewed_at": datetime(2026, 1, 15, 11) if reviewed else None,
        "accepted": accepted,
    }


def test_annotation_funnel_counts_each_stage_among_stored_submissions(duckdb_url):
    _insert(
        duckdb_url,
        "annotations",
        [
            _annotation("waiting-1", True, False, None),
            _annotation("waiting-2", True, False, None),
            _annotation("rejected", True, True, False),
            _annotation("accepted-1", True, True, True),
            _annotation("accepted-2", True, True, True),
            # A review of a submission from before the store's coverage is not part of the funnel.
            _annotation("review-only", False, True, True),
        ],
    )
    funnel = queries.annotation_funnel(duckdb_url)
    assert funnel.to_dict("records") == [
        {"stage": "submitted", "annotations": 5},
        {"stage": "reviewed", "annotations": 3},
        {"stage": "accepted", "annotations": 2},
    ]
    figure = figures.funnel_figure(funnel)
    assert list(figure.data[0].x) == [5, 3, 2]


def test_contributors_over_time_is_cumulative_by_first_seen_day(duckdb_url):
    _insert(
        duckdb_url,
        "contributors",
        [
            {"contributor": f"0x{i}", "first_seen_at": datetime(2026, 1, day, 9), "submitted": 1,
             "reviewed": 0, "accepted": 0}
            for i, day in enumerate((13, 13, 14, 15, 15, 15))
        ],
    )  # fmt: skip
    frame = queries.contributors_over_time(duckdb_url)
    assert frame["new_contributors"].tolist() == [2, 1, 3]
    assert frame["contributors"].tolist() == [2, 3, 6]
    assert frame["day"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-13", "2026-01-14", "2026-01-15"]


def test_every_chain_page_query_reads_an_unmigrated_warehouse_as_empty(tmp_path):
    url = f"duckdb:///{tmp_path / 'new.duckdb'}"
    for query in (
        queries.subnet_leaderboard, queries.bittensor_emission_per_day, queries.registrations_per_day,
        queries.bittensor_validator_stakes, queries.bittensor_stake_flows, queries.contributors_over_time,
        queries.sahara_rewards_per_day, queries.reputation_tiers, queries.marketplace_per_day,
        queries.sahara_validators,
    ):  # fmt: skip
        assert query(url).empty, query.__name__
    assert queries.miner_subnets(url) == []
    assert queries.miner_incentives(url, 1).empty
    assert queries.annotation_funnel(url)["annotations"].tolist() == [0, 0, 0]
    assert figures.funnel_figure(queries.annotation_funnel(url)).layout.annotations[0].text.startswith("No ")


def test_incentive_lorenz_reports_the_subnet_its_miners_and_gini():
    equal = figures.incentive_lorenz_figure(pd.DataFrame({"incentive": [0.25] * 4}), 3)
    assert "subnet 3 — 4 miners, Gini 0.00" in equal.layout.title.text
    skewed = figures.incentive_lorenz_figure(pd.DataFrame({"incentive": [0.0, 0.0, 0.0, 1.0]}), 3)
    assert "Gini 0.75" in skewed.layout.title.text
    assert skewed.data[1].y[50] == pytest.approx(0.0)  # the poorer half of the miners earns nothing
    nobody = figures.incentive_lorenz_figure(pd.DataFrame({"incentive": [0.0, 0.0]}), 3)
    assert nobody.layout.annotations[0].text == "No miner of this subnet earns incentive yet"


def test_ranked_bars_keep_the_top_and_sum_the_rest():
    frame = pd.DataFrame({"validator_id": [f"v{i}" for i in range(30)], "voting_power": range(30)})
    figure = figures.ranked_bar_figure(frame, "voting_power", "validator_id", "t", "power", top=5)
    bars = dict(zip(figure.data[0].y, figure.data[0].x, strict=True))
    assert list(figure.data[0].y)[-1] == "v29"  # the largest is drawn at the top
    assert bars["25 others"] == sum(range(25))
    assert sum(bars.values()) == sum(range(30))


# --------------------------------------------------------------------------------- browser tests


def _serve(url: str):
    from werkzeug.serving import make_server

    from dashboards.app import create_app

    server = make_server("127.0.0.1", 0, create_app(url).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def chain_warehouse(tmp_path_factory, devnet):
    """About an hour of both chains (as the other browser tests load) after a day of Sahara EVM logs."""
    from etl.pipeline.chain import ingest_range
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource

    url = f"duckdb:///{tmp_path_factory.mktemp('chain-pages') / 'warehouse.duckdb'}"
    db.migrate(url)
    comet, evm = CometBFTSource(devnet.endpoints["cometbft"]), EvmSource(devnet.endpoints["evm"])
    try:
        top = (comet.finalized_head() // 720) * 720  # the top `_load_chains` continues from
        ingest_range(evm, top - 17_280, top - 200, warehouse_url=url)
    finally:
        comet.close()
        evm.close()
    browser_tests._load_chains(devnet, url)
    engine = db.make_engine(url)
    run_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def chain_dashboard(chain_warehouse):
    server = _serve(chain_warehouse)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _sql(url: str, sql: str) -> pd.DataFrame:
    return read_sql(sql, {}, url=url)


def _per_hour(events: pd.DataFrame, value) -> dict[pd.Timestamp, float]:
    """`value(payload)` of events summed per UTC hour of their block, in Python (not the page's SQL)."""
    sums: dict[pd.Timestamp, float] = {}
    for block_time, payload in events[["block_time", "payload"]].itertuples(index=False):
        payload = json.loads(payload) if isinstance(payload, str) else payload
        hour = pd.Timestamp(block_time).floor("h")
        sums[hour] = sums.get(hour, 0) + value(payload)
    return dict(sorted(sums.items()))


def _plot(page, chart_id: str, expression: str):
    """Evaluate `expression` on the chart's plotly element `p`; `d` is its drawn traces with plain arrays
    (Dash sends numeric columns as typed, base64-encoded arrays, which plotly decodes into `_fullData`)."""
    return page.evaluate(
        "p => { const d = p._fullData.map(t => ({...t, x: Array.from(t.x || []), y: Array.from(t.y || [])}));"
        f" return {expression}; }}",
        page.locator(f"#{chart_id} .js-plotly-plot").element_handle(),
    )


def test_bittensor_page_shows_subnets_emission_registrations_and_stake(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/bittensor")
    page.wait_for_selector("#subnet-table td")
    page.wait_for_selector("#stake-chart .barlayer .trace")
    subnets = _sql(chain_warehouse, "SELECT netuid FROM subnets")
    shown = page.eval_on_selector_all(
        "#subnet-table td[data-dash-column=netuid]", "tds => tds.map(td => Number(td.innerText))"
    )
    assert sorted(shown) == sorted(subnets["netuid"].tolist()) and len(shown) >= 5

    # An hour of blocks: the TAO minted is drawn per hour, each bar the sum of its blocks' `minted`.
    minted = _sql(
        chain_warehouse,
        "SELECT block_time, payload FROM events WHERE event_type = 'SubtensorModule.EmissionObserved'",
    )
    per_hour = _per_hour(minted, lambda payload: int(payload["minted"]) / 1e9)
    emission = _plot(page, "emission-chart", "[d[0].x, d[0].y]")
    assert [pd.Timestamp(x) for x in emission[0]] == list(per_hour) and len(per_hour) > 1
    assert emission[1] == pytest.approx(list(per_hour.values()))
    assert _plot(page, "emission-chart", "p.layout.title.text") == "TAO emission per hour"

    registrations = _sql(
        chain_warehouse,
        "SELECT COUNT(*) AS n FROM events WHERE event_type = 'SubtensorModule.NeuronRegistered'",
    )["n"][0]
    drawn = _plot(page, "registrations-chart", "d.reduce((s, t) => s + t.y.reduce((a, b) => a + b, 0), 0)")
    assert registrations > 0 and drawn == registrations

    validators = _sql(chain_warehouse, "SELECT COUNT(*) AS n FROM validators WHERE chain = 'bittensor'")["n"][
        0
    ]
    assert _plot(page, "stake-chart", "d.reduce((s, t) => s + t.x.length, 0)") == validators > 0
    assert "miners, Gini" in _plot(page, "incentive-lorenz-chart", "p.layout.title.text")
    browser_tests._shot(page, "bittensor")
    assert page.console_errors == []


def test_subnet_filter_changes_the_charts_and_the_url_and_the_url_picks_the_subnet(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/bittensor")
    page.wait_for_selector("#incentive-lorenz-chart .scatterlayer .trace")
    page.wait_for_selector("#stake-chart .barlayer .trace")
    title = _plot(page, "incentive-lorenz-chart", "p.layout.title.text")
    curve = _plot(page, "incentive-lorenz-chart", "d[1].y")
    other = next(n for n in queries.miner_subnets(chain_warehouse) if f"subnet {n} " not in title)
    page.click("#netuid-filter")
    # Each option names its subnet as the devnet does (`subnet-<netuid>`), then its netuid.
    label = f"subnet-{other} (subnet {other})"
    page.locator(".dash-dropdown-option", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()
    page.wait_for_function(
        "document.querySelector('#incentive-lorenz-chart .js-plotly-plot').layout.title.text"
        f".includes('subnet {other} ')"
    )
    miners = len(queries.miner_incentives(chain_warehouse, other))
    assert f"subnet {other} — {miners} miners" in _plot(page, "incentive-lorenz-chart", "p.layout.title.text")
    assert _plot(page, "incentive-lorenz-chart", "d[1].y") != curve
    # The stake chart keeps that subnet's validators only.
    validators = _sql(
        chain_warehouse,
        f"SELECT COUNT(*) AS n FROM validators WHERE chain = 'bittensor' AND netuid = {other}",
    )["n"][0]
    page.wait_for_function(
        f"document.querySelector('#stake-chart .js-plotly-plot').layout.title.text.includes('in subnet {other}')"
    )
    assert _plot(page, "stake-chart", "d.reduce((s, t) => s + t.x.length, 0)") == validators > 0
    page.wait_for_function(f"location.search.includes('netuid={other}')")

    page.goto(chain_dashboard + f"/bittensor?netuid={other}")
    page.wait_for_selector("#incentive-lorenz-chart .scatterlayer .trace")
    assert f"subnet {other} " in _plot(page, "incentive-lorenz-chart", "p.layout.title.text")
    assert page.inner_text("#netuid-filter").strip() == f"subnet-{other} (subnet {other})"
    assert page.console_errors == []


def test_as_of_before_the_data_shows_an_empty_metagraph_and_after_it_the_same_as_now(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/bittensor?as_of=2026-01-14")
    page.wait_for_selector("#incentive-lorenz-chart .js-plotly-plot")
    page.wait_for_function(
        "document.querySelector('#stake-chart .js-plotly-plot').layout.annotations?.[0]?.text.startsWith('No Bittensor')"
    )
    assert page.input_value("#as-of-date") == "2026-01-14"
    page.goto(chain_dashboard + "/bittensor?as_of=2026-01-15")
    page.wait_for_selector("#stake-chart .barlayer .trace")
    validators = _sql(chain_warehouse, "SELECT COUNT(*) AS n FROM validators WHERE chain = 'bittensor'")["n"][
        0
    ]
    assert _plot(page, "stake-chart", "d.reduce((s, t) => s + t.x.length, 0)") == validators
    assert "as of 2026-01-15" in _plot(page, "stake-chart", "p.layout.title.text")
    assert page.console_errors == []


def test_clicking_a_registrations_bar_lists_its_events(page, chain_dashboard, chain_warehouse):
    page.goto(chain_dashboard + "/bittensor")
    page.wait_for_selector("#registrations-chart .barlayer .point path")
    bar = page.locator("#registrations-chart .barlayer .trace").first.locator(".point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    start, end, netuid = _plot(page, "registrations-chart", "Array.from(p._fullData[0].customdata[0])")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#registrations-chart-events td")
    # An hour of blocks is drawn an hour a bar: the bar is one hour of one subnet.
    hour = pd.Timestamp(start)
    assert pd.Timestamp(end) - hour == pd.Timedelta(hours=1)
    assert page.inner_text("#registrations-chart-drill-title") == (
        f"Registrations in subnet {netuid} {hour:%Y-%m-%d %H:%M}–{pd.Timestamp(end):%H:%M} UTC"
    )
    listed = browser_tests.download_csv(page, "#registrations-chart-events button.export")
    expected = _sql(
        chain_warehouse,
        "SELECT event_id FROM events WHERE event_type = 'SubtensorModule.NeuronRegistered' "
        f"AND block_time >= TIMESTAMP '{hour:%Y-%m-%d %H:%M:%S}' AND block_time < TIMESTAMP '{end.replace('T', ' ')}' "
        f"AND CAST(payload->>'netuid' AS INTEGER) = {int(netuid)} ORDER BY event_id",
    )
    assert len(expected) >= 1 and sorted(r["event_id"] for r in listed) == expected["event_id"].tolist()
    assert page.console_errors == []


def test_stake_flows_show_each_subnets_net_flow_partial_days_and_their_rows(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/bittensor")
    page.wait_for_selector("#stake-flow-chart .barlayer .trace")
    page.wait_for_selector("#stake-flow-rows td")
    flows = _sql(chain_warehouse, "SELECT netuid, net_flow_tao, complete FROM bittensor_stake_flows_daily")
    added = _sql(
        chain_warehouse, "SELECT COUNT(*) AS n FROM events WHERE event_type = 'SubtensorModule.StakeAdded'"
    )["n"][0]
    assert added > 0 and 0 < len(flows) <= 15  # one page of the table
    drawn = _plot(page, "stake-flow-chart", "d.map(t => [t.name, t.y.reduce((a, b) => a + b, 0)])")
    assert dict(drawn) == pytest.approx(
        {f"subnet {n}": float(v) for n, v in flows.groupby("netuid")["net_flow_tao"].sum().items()}
    )
    # The stored blocks run from 09:59:36 to 10:59:24 (300 blocks before the finalized head, 11:59:36,
    # less 300): neither hour is whole, so every bar is hatched and marked partial.
    assert not flows["complete"].any()
    shapes = _plot(page, "stake-flow-chart", "d.flatMap(t => Array.from(t.marker.pattern.shape))")
    assert set(shapes) == {"/"}
    assert "partial" in _plot(page, "stake-flow-chart", "p.layout.annotations.map(a => a.text)")
    shown = page.eval_on_selector_all(
        "#stake-flow-rows td[data-dash-column=netuid]", "tds => tds.map(td => Number(td.innerText))"
    )
    assert sorted(shown) == sorted(flows["netuid"].tolist())
    assert page.console_errors == []


def test_clicking_a_leaderboard_row_lists_the_events_behind_the_subnet(
    page, chain_dashboard, chain_warehouse
):
    from warehouse.provenance import events_behind

    page.goto(chain_dashboard + "/bittensor")
    page.wait_for_selector("#subnet-table td")
    cell = page.locator("#subnet-table td[data-dash-column=netuid]").first
    netuid = int(cell.inner_text())
    cell.click()
    page.wait_for_selector("#subnet-table-events td")
    assert page.inner_text("#subnet-table-drill-title") == f"Events behind subnet {netuid}"
    listed = browser_tests.download_csv(page, "#subnet-table-events button.export")
    expected = events_behind(chain_warehouse, "subnets", {"netuid": netuid})
    assert len(expected) >= 1 and sorted(r["event_id"] for r in listed) == sorted(expected["event_id"])
    assert page.console_errors == []


def test_a_hostile_subnet_in_the_url_is_refused_with_a_notice_and_changes_nothing(
    page, chain_dashboard, chain_warehouse
):
    count = "SELECT COUNT(*) AS n FROM events"
    before = int(_sql(chain_warehouse, count)["n"][0])
    for hostile in ("1;DROP TABLE events", "1 OR 1=1", "-1", "99999", "3%27%20--"):
        page.goto(chain_dashboard + f"/bittensor?netuid={hostile}")
        page.wait_for_selector("#url-notice li")
        assert "is not a subnet id" in page.inner_text("#url-notice"), hostile
        page.wait_for_selector("#stake-chart .barlayer .trace")
        assert page.inner_text("#netuid-filter").strip() == "all subnets"
    assert int(_sql(chain_warehouse, count)["n"][0]) == before > 0
    assert page.console_errors == []


def test_subnet_leaderboard_csv_has_the_rows_of_the_subnets_table(page, chain_dashboard, chain_warehouse):
    page.goto(chain_dashboard + "/bittensor")
    page.wait_for_selector("#subnet-table td")
    with page.expect_download() as download:
        page.locator("#subnet-table button.export").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    subnets = _sql(chain_warehouse, "SELECT netuid, miners, validators FROM subnets ORDER BY netuid")
    exported = sorted((int(r["netuid"]), r["miners"], r["validators"]) for r in rows)

    def count(value) -> str:
        return "" if pd.isna(value) else str(int(value))

    assert exported == [(int(r.netuid), count(r.miners), count(r.validators)) for r in subnets.itertuples()]
    assert page.console_errors == []


def test_sahara_page_funnel_marketplace_and_validators_match_the_warehouse(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/sahara")
    page.wait_for_selector("#funnel-chart .funnellayer .trace")
    page.wait_for_selector("#voting-power-chart .barlayer .trace")
    counts = _sql(
        chain_warehouse,
        "SELECT COUNT(*) AS submitted, COUNT(reviewed_at) AS reviewed, "
        "COUNT(CASE WHEN accepted AND reviewed_at IS NOT NULL THEN 1 END) AS accepted "
        "FROM annotations WHERE submitted_at IS NOT NULL",
    ).iloc[0]
    funnel = _plot(page, "funnel-chart", "d[0].x")
    assert funnel == [int(counts["submitted"]), int(counts["reviewed"]), int(counts["accepted"])]
    assert funnel[0] > funnel[2] > 0

    licences = _sql(
        chain_warehouse,
        "SELECT COUNT(*) AS n, SUM(CAST(payload->>'price' AS DOUBLE PRECISION)) / 1e18 AS sahara FROM events "
        "WHERE event_type = 'Marketplace.LicensePurchased'",
    ).iloc[0]
    assert licences["n"] > 0
    drawn = _plot(page, "marketplace-chart", "d[0].y.reduce((a, b) => a + b, 0)")
    assert drawn == pytest.approx(licences["sahara"])
    table = page.eval_on_selector_all(
        "#marketplace-table td[data-dash-column=licenses]", "tds => tds.map(td => Number(td.innerText))"
    )
    assert sum(table) == licences["n"]

    tiers = _sql(chain_warehouse, "SELECT COUNT(*) AS n FROM contributors WHERE reputation_tier IS NOT NULL")
    assert _plot(page, "reputation-chart", "d[0].y.reduce((a, b) => a + b, 0)") == tiers["n"][0] > 0

    validators = _sql(chain_warehouse, "SELECT COUNT(*) AS n FROM validators WHERE chain = 'sahara'")["n"][0]
    assert _plot(page, "voting-power-chart", "d[0].x.length") == min(validators, 26) > 0
    paid = _sql(
        chain_warehouse, "SELECT COUNT(*) AS n FROM events WHERE event_type = 'DataServices.RewardPaid'"
    )
    assert paid["n"][0] > 0 and _plot(page, "rewards-chart", "d[0].y.length") >= 1
    browser_tests._shot(page, "sahara")
    assert page.console_errors == []


def test_both_chain_pages_show_an_empty_state_before_any_data(page, tmp_path):
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    db.migrate(url)
    server = _serve(url)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        page.goto(base + "/bittensor")
        assert "No data yet" in page.inner_text("#bittensor-empty")
        page.goto(base + "/sahara")
        assert "decai backfill" in page.inner_text("#sahara-empty")
    finally:
        server.shutdown()
    assert page.console_errors == []


def test_clicking_an_hour_of_sahara_rewards_lists_its_reward_payments(page, chain_dashboard, chain_warehouse):
    page.goto(chain_dashboard + "/sahara")
    page.wait_for_selector("#rewards-chart .barlayer .point path")
    # The tallest bar (an hour's bar of a little reward can be too thin to click).
    tallest = _plot(page, "rewards-chart", "d[0].y.indexOf(Math.max(...d[0].y))")
    bar = page.locator("#rewards-chart .barlayer .point path").nth(tallest)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    start, end = _plot(page, "rewards-chart", f"Array.from(p._fullData[0].customdata[{tallest}])")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#rewards-chart-events td")
    listed = browser_tests.download_csv(page, "#rewards-chart-events button.export")
    assert pd.Timestamp(end) - pd.Timestamp(start) == pd.Timedelta(hours=1)  # a day of logs: hourly bars
    payments = _sql(
        chain_warehouse,
        "SELECT event_id, block_time, payload FROM events WHERE event_type = 'DataServices.RewardPaid'",
    )
    times = pd.to_datetime(payments["block_time"])
    expected = sorted(payments.loc[(times >= start) & (times < end), "event_id"])
    assert 0 < len(expected) <= queries.DRILL_LIMIT
    assert sorted(r["event_id"] for r in listed) == expected
    assert page.inner_text("#rewards-chart-drill-note") == f"{len(expected):,} events."
    # The chart's own CSV: the SAHARA paid per hour, the payments' amounts summed per hour.
    rows = browser_tests.download_csv(page, "#rewards-chart-csv")
    per_hour = _per_hour(payments, lambda payload: int(payload["amount"]) / 1e18)
    assert [pd.Timestamp(r["hour"]) for r in rows] == list(per_hour)
    assert [float(r["rewards_sahara"]) for r in rows] == pytest.approx(list(per_hour.values()))
    assert page.console_errors == []


def test_a_date_range_in_the_url_narrows_the_sahara_charts(page, chain_dashboard, chain_warehouse):
    page.goto(chain_dashboard + "/sahara?start=2026-01-15&end=2026-01-15")
    page.wait_for_selector("#funnel-chart .funnellayer .trace")
    counts = _sql(
        chain_warehouse,
        "SELECT COUNT(*) AS submitted FROM annotations WHERE submitted_at >= '2026-01-15' "
        "AND submitted_at < '2026-01-16'",
    )
    assert _plot(page, "funnel-chart", "d[0].x[0]") == counts["submitted"][0] > 0
    sales = _sql(
        chain_warehouse,
        "SELECT block_time FROM events WHERE event_type = 'Marketplace.LicensePurchased' "
        "AND block_time >= '2026-01-15' AND block_time < '2026-01-16'",
    )
    hours = {pd.Timestamp(t).floor("h") for t in sales["block_time"]}
    drawn = _plot(page, "marketplace-chart", "d[0].x")
    assert {pd.Timestamp(x) for x in drawn} == hours and len(drawn) == len(hours) > 0  # one bar an hour
    assert page.input_value("#date-range") == "2026-01-15"
    assert page.console_errors == []


def test_a_short_range_draws_the_per_day_charts_an_hour_a_point(page, chain_dashboard, chain_warehouse):
    """Two days of range (a day of Sahara's logs in it): the per-day charts draw a point per hour with
    events, not one or two dots."""
    events = _sql(
        chain_warehouse,
        "SELECT event_type, block_time FROM events WHERE event_type IN "
        "('DataServices.RewardPaid', 'DataServices.AnnotationSubmitted') "
        "AND block_time >= '2026-01-14' AND block_time < '2026-01-16'",
    )
    events["hour"] = pd.to_datetime(events["block_time"]).dt.floor("h")
    paid_hours = sorted(set(events.loc[events["event_type"] == "DataServices.RewardPaid", "hour"]))
    active_hours = sorted(set(events["hour"]))
    assert len(paid_hours) > 1

    page.goto(chain_dashboard + "/sahara?start=2026-01-14&end=2026-01-15")
    page.wait_for_selector("#rewards-chart .barlayer .point path")
    assert [pd.Timestamp(x) for x in _plot(page, "rewards-chart", "d[0].x")] == paid_hours
    assert _plot(page, "rewards-chart", "p.layout.title.text") == "Rewards paid per hour (RewardPaid)"

    page.goto(chain_dashboard + "/compare?start=2026-01-14&end=2026-01-15&chain=sahara")
    for chart in ("top10-chart", "share-earning-chart"):
        browser_tests._wait_for_plot(page, chart)
        drawn = _plot(page, chart, "d.flatMap(t => t.x.filter((x, i) => t.y[i] !== null))")
        assert sorted({pd.Timestamp(x) for x in drawn}) == active_hours, chart
    browser_tests._shot(page, "compare-short-range")
    assert page.console_errors == []


def test_as_of_queries_agree_with_the_warehouse_as_of_functions(chain_warehouse):
    """The dashboard's bounded as-of reads give the state `warehouse.asof` rebuilds from events."""
    from datetime import datetime

    from warehouse import asof

    moment = datetime(2026, 1, 16)
    metagraph = asof.metagraph_as_of(chain_warehouse, moment)
    for netuid in queries.miner_subnets(chain_warehouse):
        miners = metagraph[(metagraph["netuid"] == netuid) & ~metagraph["validator_permit"].astype(bool)]
        shown = queries.miner_incentives(chain_warehouse, netuid, moment)
        assert sorted(shown["uid"]) == sorted(miners["uid"]), netuid
        assert shown.set_index("uid")["incentive"].to_dict() == pytest.approx(
            miners.set_index("uid")["incentive"].to_dict()
        )
    permits = metagraph[metagraph["validator_permit"].astype(bool)]
    stakes = queries.bittensor_validator_stakes(chain_warehouse, as_of=moment)
    assert sorted(stakes["address"]) == sorted(permits["hotkey"])
    validator_set = asof.validator_set_as_of(chain_warehouse, moment)
    power = queries.sahara_validators(chain_warehouse, moment)
    assert sorted(power["voting_power"]) == sorted(validator_set["voting_power"]) and len(power) > 0
