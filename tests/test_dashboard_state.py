"""The dashboard's URL state, its guards against hostile input, and its callbacks as plain functions.

URL parsing never raises: a bad value falls back to the default with a notice. Values reach SQL only
as bound parameters, so injection attempts change nothing. Every panel of every page renders on DuckDB
and PostgreSQL: on an empty warehouse each shows its empty state, and on devnet data the charts draw it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, datetime

import pandas as pd
import pytest

from dashboards import drill, queries
from dashboards.state import View, ViewState, from_controls, parse_query, parse_search, resolve, to_search
from tests.conftest import DEVNET_NOW

DAY = 86400


def test_a_full_query_parses_to_its_state_without_notices():
    state, notices = parse_query(
        {"start": "2026-01-01", "end": "2026-01-15", "as_of": "2026-01-10", "chain": "Bittensor", "netuid": "3",
         "scale": "linear"}
    )  # fmt: skip
    assert notices == []
    assert state == ViewState(
        date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 10), "bittensor", 3, "linear"
    )
    assert parse_query({}) == (ViewState(), [])


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"start": "2026-13-45"}, "start", "`start=2026-13-45` is not a date (YYYY-MM-DD)"),
        ({"end": "15/01/2026"}, "end", "`end=15/01/2026` is not a date"),
        ({"as_of": "yesterday"}, "as_of", "`as_of=yesterday` is not a date"),
        ({"start": "1970-01-01"}, "start", "is outside 2009–2100"),
        (
            {"start": "2026-01-15", "end": "2026-01-01"},
            "start",
            "`start=2026-01-15` is after `end=2026-01-01`",
        ),
        ({"chain": "ethereum"}, "chain", "`chain=ethereum` is not one of both, bittensor, sahara"),
        ({"netuid": "-1"}, "netuid", "`netuid=-1` is not a subnet id"),
        ({"netuid": "65536"}, "netuid", "`netuid=65536` is not a subnet id"),
        ({"netuid": "3.5"}, "netuid", "is not a subnet id"),
        ({"scale": "sqrt"}, "scale", "`scale=sqrt` is not one of log, linear"),
        ({"netuid": "1" * 50}, "netuid", "`netuid` is too long (50 characters)"),
        ({"color": "red"}, None, "`color` is not a parameter of this dashboard"),
    ],
)
def test_a_bad_value_falls_back_to_the_default_with_a_notice(query, field, says):
    state, notices = parse_query(query)
    assert any(says in n for n in notices), notices
    if field:
        assert getattr(state, field) == getattr(ViewState(), field)


@pytest.mark.parametrize(
    "hostile",
    [
        "1;DROP TABLE events",
        "1 OR 1=1",
        "1' OR '1'='1",
        "1)--",
        "0x10",
        "１２",  # full-width digits: isdigit() says yes, the subnet pattern says no
        "3\x00",
        "$(rm -rf /)",
    ],
)
def test_injection_attempts_in_the_url_never_reach_the_view(hostile):
    for name in ("netuid", "start", "end", "as_of", "chain", "scale"):
        state, notices = parse_query({name: hostile})
        assert notices, (name, hostile)
        assert state == ViewState(), (name, hostile)
        assert "\x00" not in " ".join(notices)


def test_repeated_parameters_take_the_last_value_and_say_so():
    state, notices = parse_query({"netuid": ["1", "4"]})
    assert state.netuid == 4 and notices == ["`netuid` was given 2 times; the last value is used."]


def test_search_strings_round_trip_and_defaults_are_left_out():
    view = View(date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 10), "sahara", 7, "linear")
    search = to_search(view, ("start", "end", "as_of", "chain", "netuid", "scale"))
    assert search == "?start=2026-01-01&end=2026-01-15&as_of=2026-01-10&chain=sahara&netuid=7&scale=linear"
    state, notices = parse_search(search)
    assert notices == [] and resolve(state, None, None) == view
    # A page writes only its own parameters; defaults (both chains, log scale, latest) stay out.
    plain = View(date(2026, 1, 1), date(2026, 1, 15), None)
    assert to_search(plain, ("start", "end", "chain", "scale")) == "?start=2026-01-01&end=2026-01-15"
    assert to_search(view, ("chain",)) == "?chain=sahara"
    assert parse_search("") == (ViewState(), [])
    # What parse_qs makes of a hostile search is parsed like any other value.
    state, notices = parse_search("?netuid=1%3BDROP%20TABLE%20events")
    assert state.netuid is None and "`netuid=1;DROP TABLE events` is not a subnet id" in notices[0]


def test_navigation_links_carry_only_what_the_next_page_takes_and_can_use():
    from dashboards.controls import FEATURES, carried_search, parameters
    from dashboards.pages import PAGE_MODULES

    search = "?start=2026-01-10&end=2026-01-12&as_of=2026-01-11&chain=sahara&netuid=3&scale=linear"
    taken = {
        module.PAGE["path"]: carried_search(search, parameters(module.FEATURES)) for module in PAGE_MODULES
    }
    assert taken == {
        "/": "?start=2026-01-10&end=2026-01-12&as_of=2026-01-11&chain=sahara&scale=linear",
        "/bittensor": "?start=2026-01-10&end=2026-01-12&as_of=2026-01-11&netuid=3",
        "/sahara": "?start=2026-01-10&end=2026-01-12&as_of=2026-01-11",
        "/compare": "?start=2026-01-10&end=2026-01-12&chain=sahara",
        "/quality": "?chain=sahara",
        "/dictionary": "",
        "/sql": "",
    }
    assert carried_search("", parameters(tuple(FEATURES))) == ""
    # A value the current page could not use stays behind, so the next page has nothing to warn about.
    carried = carried_search(
        "?start=2026-13-45&end=2026-01-12&chain=bittensor'--&color=red", ("start", "end", "chain")
    )
    assert carried == "?end=2026-01-12" and parse_search(carried)[1] == []


def test_the_default_range_is_the_last_30_days_with_data():
    view = resolve(ViewState(), date(2025, 11, 1), date(2026, 1, 15))
    assert (view.start, view.end, view.days) == (date(2025, 12, 17), date(2026, 1, 15), 30)
    short = resolve(ViewState(), date(2026, 1, 10), date(2026, 1, 15))
    assert (short.start, short.end) == (date(2026, 1, 10), date(2026, 1, 15))
    assert resolve(ViewState(end=date(2026, 1, 5)), date(2026, 1, 1), date(2026, 1, 15)).start == date(
        2026, 1, 1
    )
    assert resolve(ViewState(start=date(2026, 1, 12)), None, date(2026, 1, 15)).end == date(2026, 1, 15)
    view = resolve(ViewState(as_of=date(2026, 1, 10)), None, date(2026, 1, 15))
    assert (view.start_at, view.end_at, view.as_of_at) == (
        datetime(2025, 12, 17),
        datetime(2026, 1, 16),
        datetime(2026, 1, 11),
    )


def test_control_values_are_parsed_like_the_url():
    state, notices = from_controls("2026-01-01T00:00:00", "2026-01-15", None, "sahara", 3, "log")
    assert notices == [] and state == ViewState(date(2026, 1, 1), date(2026, 1, 15), None, "sahara", 3, "log")
    state, notices = from_controls("2026-01-01", "2026-01-15", None, "solana", "1;", None)
    assert state.chain == "both" and state.netuid is None and len(notices) == 2


@pytest.mark.parametrize(
    "point",
    [
        {},
        {"customdata": None},
        {"customdata": ["bitcoin", "2026-01-15T10:00:00", "2026-01-15T11:00:00"]},
        {"customdata": ["bittensor", "2026-01-15T10:00:00", "2026-01-25T11:00:00"]},  # wider than a day
        {"customdata": ["bittensor", "2026-01-15T11:00:00", "2026-01-15T10:00:00"]},  # backwards
        {"customdata": ["bittensor", "'; DROP TABLE events; --", "2026-01-15T11:00:00"]},
        {"customdata": ["bittensor", {"$gt": ""}, "x"]},
        "not a point",
    ],
)
def test_a_clicked_point_that_does_not_parse_lists_nothing(point, duckdb_url):
    view = View(date(2026, 1, 1), date(2026, 1, 15), None)
    assert drill.market_window(duckdb_url, view, point) is None
    # The time-series points carry their period's start and end (an hour or a day) and their key.
    day = ["2026-01-15T00:00:00", "2026-01-16T00:00:00"]
    assert drill.chain_day(duckdb_url, view, {"customdata": ["bittensor'--", *day]}) is None
    assert drill.chain_day(duckdb_url, view, point) is None
    assert drill.registrations(duckdb_url, view, {"customdata": [*day, "1;DROP TABLE events"]}) is None
    assert drill.stake_flows(duckdb_url, view, {"customdata": [*day, "1 OR 1=1"]}) is None
    assert drill.day_of("sahara", ("DataServices.RewardPaid",), "Rewards")(duckdb_url, view, point) is None
    assert drill.subnet(duckdb_url, "1 OR 1=1") is None


def test_window_queries_bind_their_values_and_refuse_field_names_from_outside(duckdb_url):
    start, end = datetime(2026, 1, 1), datetime(2026, 2, 1)
    events, truncated = queries.events_in_window(
        duckdb_url, "market", ("market.Quote",), start, end, {"coin_id": "x' OR '1'='1"}
    )
    assert events.empty and not truncated
    with pytest.raises(ValueError, match="is not a payload field name"):
        queries.events_in_window(duckdb_url, "market", ("market.Quote",), start, end, {"a' OR 1=1 --": "x"})
    with pytest.raises(ValueError, match="limit must be"):
        queries.events_in_window(duckdb_url, "market", ("market.Quote",), start, end, limit=0)
    with pytest.raises(ValueError, match="unknown chain"):
        queries.rewards_per_participant(duckdb_url, "ethereum", start, end)


def test_freshness_captions_name_each_source_and_its_lag():
    fresh = pd.DataFrame(
        {
            "source": ["subtensor", "coingecko", "coingecko"],
            "stream": ["bittensor-1", "bittensor", "sahara-ai"],
            "position": [327_297, 1_768_478_400, 1_768_478_400],
            "last_data_at": pd.to_datetime(
                ["2026-01-15 10:59:24", "2026-01-15 11:00:00", "2026-01-15 09:00:00"]
            ),
        }
    )
    now = pd.Timestamp("2026-01-15 12:00")
    caption = queries.freshness_caption(fresh, ("subtensor", "coingecko", "evm"), now=now)
    assert caption == (
        "Data as of: Bittensor blocks to 2026-01-15 10:59 UTC (block 327,297), 1.0 h ago; "
        "market quotes to 2026-01-15 09:00 UTC (last quote), 3.0 h ago; Sahara EVM logs: none yet"
    )


# ------------------------------------------------------------------------ callbacks on both engines


def _load(devnet, url: str) -> None:
    from etl.connections import CoinGeckoConnection
    from etl.pipeline.market import ingest_coin_window
    from tests.test_dashboard_browser import _load_chains
    from warehouse import db
    from warehouse.projections import run_all

    connection = CoinGeckoConnection(devnet.endpoints["coingecko"])
    for coin in ("bittensor", "sahara-ai"):
        ingest_coin_window(connection, coin, DEVNET_NOW - 3 * DAY, DEVNET_NOW, warehouse_url=url)
    _load_chains(devnet, url)
    engine = db.make_engine(url)
    run_all(engine)
    engine.dispose()


@contextlib.contextmanager
def _serving(url: str):
    """An application context serving `url`, as Dash runs a callback (the page callbacks read it)."""
    import flask

    server = flask.Flask("decai-test")
    server.config["WAREHOUSE_URL"] = url
    with server.app_context():
        yield


def _panels() -> dict:
    from dashboards.pages import PAGE_MODULES

    return {panel.id: panel for module in PAGE_MODULES for panel in getattr(module, "PANELS", [])}


def _walk(component):
    if isinstance(component, list | tuple):
        for child in component:
            yield from _walk(child)
        return
    if component is None or isinstance(component, str | int | float):
        return
    yield component
    yield from _walk(getattr(component, "children", None))


def _text(component) -> str:
    """The text a reader sees in a rendered component tree, pieces joined by single spaces."""
    pieces = []
    for node in _walk(component):
        children = getattr(node, "children", node)
        for child in children if isinstance(children, list | tuple) else [children]:
            if isinstance(child, str):
                pieces.append(child)
    return " ".join(pieces)


def _table(component, table_id: str):
    from dash import dash_table

    (table,) = [c for c in _walk(component) if isinstance(c, dash_table.DataTable) and c.id == table_id]
    return table


#: What each chart says on an empty warehouse, in place of data (the page's empty states, as a reader
#: sees them); the panels that are tables show their header and no row.
EMPTY_CHARTS = {
    "market-cap-chart": "No market data in the selected range",
    "participants-chart": "No participants in the selected range",
    "emission-chart": "No Bittensor emission in the warehouse yet",
    "registrations-chart": "No registrations in the selected range",
    "incentive-lorenz-chart": "No miners of any subnet in the warehouse",
    "stake-chart": "No Bittensor validators in the warehouse yet",
    "stake-flow-chart": "No stake added, removed or moved in the selected range",
    "funnel-chart": "No annotations submitted in the selected range",
    "contributors-chart": "No new contributors in the selected range",
    "rewards-chart": "No data in the selected range",
    "reputation-chart": "No reputation tokens minted in the warehouse yet",
    "marketplace-chart": "No licence purchases in the selected range",
    "voting-power-chart": "No data in the warehouse yet",
    "lorenz-chart": "No rewards in the selected range",
    "top10-chart": "No data in the selected range",
    "share-earning-chart": "No data in the selected range",
    "rewards-per-participant-chart": "No data in the selected range",
    **{
        f"fundamentals-{measure}": "No network fundamentals in the selected range"
        for measure in (
            "transactions",
            "active-accounts",
            "transfer-volume",
            "fees",
            "holders",
            "staking-apy",
        )
    },
}
EMPTY_TABLES = {
    "stake-flow-table": "stake-flow-rows",
    "marketplace": "marketplace-table",
    "sahara-validators": "sahara-validators-table",
    "contributors": "contributors-table",
    "ecosystem-daily": "ecosystem-daily-table",
    "network-daily": "network-daily-table",
    "freshness": "freshness-table",
    "dq-results": "dq-results-table",
    "quarantine-rules": "quarantine-rules-table",
}
EMPTY_BLOCKS = {
    "kpi-cards": "No market or chain data on or before this date.",
    "runtime-types": "No chain batch in the warehouse has event counts per runtime yet.",
}


def test_every_panel_and_drill_down_shows_its_empty_state_on_an_empty_warehouse(warehouse_url):
    """Every panel of every page renders on a migrated warehouse without data, and says so: each chart
    draws nothing and carries its message, each table has no row, the blocks say there is nothing yet.
    The clicks wired by hand (a leaderboard row, an hour of market cap) list no event, and the quality
    page has nothing quarantined."""
    from dashboards import charts, drill, queries
    from dashboards.pages import bittensor, quality

    view = View(date(2026, 1, 1), date(2026, 1, 15), None)
    with _serving(warehouse_url):
        for panel_id, panel in _panels().items():
            rendered = charts.render(panel, warehouse_url, view)
            if panel_id in EMPTY_CHARTS:
                assert [a.text for a in rendered.layout.annotations] == [EMPTY_CHARTS[panel_id]], panel_id
                drawn = [t for t in rendered.data if t.name not in ("Equal rewards", "Equal incentive")]
                assert all(t.x is None or len(t.x) == 0 for t in drawn), panel_id
            elif panel_id in EMPTY_TABLES:
                table = _table(rendered, EMPTY_TABLES[panel_id])
                assert table.data == [] and table.columns, panel_id
            elif panel_id in EMPTY_BLOCKS:
                assert _text(rendered) == EMPTY_BLOCKS[panel_id], panel_id
            else:
                assert panel_id == "head-to-head", f"panel {panel_id}: list its empty state above"
        # The head-to-head: the sourced facts, but no figure of the warehouse's, and no day to show.
        head = charts.render(_panels()["head-to-head"], warehouse_url, view)
        assert "no day complete on both chains yet" in _text(head)
        figures = [
            r for r in _table(head, "head-to-head-table").data if "as of" not in r["bittensor"] + r["sahara"]
        ]
        assert figures and all(r["bittensor"] == r["sahara"] == "–" for r in figures)

        subnet = bittensor.show_subnet_events({"row": 0, "column": 0, "row_id": 1})
        assert "Events behind subnet 1" in _text(subnet)
        assert "0 events." in _text(subnet) and "No events in the warehouse for this point." in _text(subnet)
        hour = ["bittensor", "2026-01-15T10:00:00", "2026-01-15T11:00:00"]
        with queries.session(warehouse_url):
            quotes = charts.drill_panel(
                "market-cap-chart", drill.market_window(warehouse_url, view, {"customdata": hour})
            )
        assert "Quotes of Bittensor (TAO), 2026-01-15 10:00 to 2026-01-15 11:00 UTC" in _text(quotes)
        assert "0 events." in _text(quotes) and "No events in the warehouse for this point." in _text(quotes)
        assert _text(quality.show_quarantined_rows(None)) == "Nothing quarantined."


def test_the_panels_draw_the_devnet_warehouse_on_both_engines(devnet, warehouse_url):
    """Three days of quotes and about an hour of both chains from the devnet, the pages opened with their
    default view (the last days with data)."""
    from dashboards import charts, controls, drill, queries
    from dashboards.pages import bittensor, compare, overview, sahara
    from warehouse.db import read_sql

    _load(devnet, warehouse_url)
    with _serving(warehouse_url):
        view, _, _ = controls.page_view(warehouse_url, {})
        rebased = charts.render(overview.PANEL["market-cap-chart"], warehouse_url, view)
        linear = charts.render(
            overview.PANEL["market-cap-chart"], warehouse_url, dataclasses.replace(view, scale="linear")
        )
        lorenz = charts.render(compare.PANEL["lorenz-chart"], warehouse_url, view)
        subnet = queries.miner_subnets(warehouse_url)[0]
        incentive = charts.render(
            bittensor.PANEL["incentive-lorenz-chart"], warehouse_url, dataclasses.replace(view, netuid=subnet)
        )
        funnel = charts.render(sahara.PANEL["funnel-chart"], warehouse_url, view)
        last_hour = ["bittensor", "2026-01-15T11:00:00", "2026-01-15T12:00:00"]
        with queries.session(warehouse_url):
            found = drill.market_window(warehouse_url, view, {"customdata": last_hour})
        title, _note, table = charts.drill_panel("market-cap-chart", found)
    # Three days of quotes are drawn a point a day (the days' closes), the first and last days partial.
    series: dict[str, dict] = {}
    for trace in rebased.data:
        points = series.setdefault(trace.name.removesuffix(" (partial day)"), {})
        points.update({pd.Timestamp(x): y for x, y in zip(trace.x, trace.y, strict=True) if y is not None})
    assert list(series) == ["Bittensor (TAO)", "Sahara AI (SAHARA)"]
    days = read_sql(
        "SELECT COUNT(*) AS n FROM market_caps_daily WHERE coin_id = 'bittensor'", url=warehouse_url
    )
    assert [points[min(points)] for points in series.values()] == pytest.approx([100, 100])
    assert len(series["Bittensor (TAO)"]) == days["n"][0] >= 3
    assert rebased.layout.yaxis.type == "log" and linear.layout.yaxis.type == "linear"
    assert {t.name for t in lorenz.data} == {"Equal rewards", "Bittensor miners", "Sahara contributors"}
    assert (
        f"subnet {subnet} — " in incentive.layout.title.text and "miners, Gini" in incentive.layout.title.text
    )
    assert list(funnel.data[0].x) == sorted(funnel.data[0].x, reverse=True)
    # The drill-down of the last hour lists exactly that hour's TAO quotes.
    expected = read_sql(
        "SELECT event_id FROM events WHERE event_type = 'market.Quote' AND payload->>'coin_id' = 'bittensor' "
        "AND block_time >= :start AND block_time < :end ORDER BY block_time, event_id",
        {"start": datetime(2026, 1, 15, 11), "end": datetime(2026, 1, 15, 12)},
        url=warehouse_url,
    )
    assert title.children == "Quotes of Bittensor (TAO), 2026-01-15 11:00 to 2026-01-15 12:00 UTC"
    assert len(expected) >= 1 and [row["event_id"] for row in table.data] == expected["event_id"].tolist()
