"""Every figure the dashboard shows has its unit and a one-line definition from the data dictionary:
KPI cards, data-table headers, chart panels, axis titles and the head-to-head rows."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
from dash import dash_table

from dashboards import charts, figures, glossary
from dashboards.pages import PAGE_MODULES, bittensor, data_dictionary, overview, quality
from dashboards.queries import EVENT_COLUMNS
from dashboards.state import View
from warehouse import dictionary, metrics

DASHBOARDS = Path(__file__).resolve().parent.parent / "dashboards"
VIEW = View(start=date(2026, 1, 10), end=date(2026, 1, 15), as_of=None)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _walk(child)


def _kpi_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "chain": chain, "market_hour": pd.Timestamp("2026-01-15 11:00"), "market_cap_usd": 2.9e9,
                "price_usd": 270.0, "volume_24h_usd": 1e8, "market_cap_change_24h": 0.012,
                "day": pd.Timestamp("2026-01-14"), "supply_native": 10.6e6, "supply_cap_share": 0.505,
                "staking_ratio": 0.74, "emission_native": 3600, "emission_usd": 972000.0, "rewards_native": 2100,
                "rewards_usd": 567000.0, "participants": 1234, "share_earning": 0.53, "validators": 78,
                "rewards_per_participant_usd": 1847.79, "gini": 0.763, "nakamoto": 16,
            }
            for chain in ("bittensor", "sahara")
        ]
    )  # fmt: skip


def test_every_kpi_card_figure_has_its_definition_as_hover_and_shows_a_unit():
    cards = overview.kpi_cards(_kpi_frame(), VIEW)
    kpis = [c for c in _walk(cards[1]) if getattr(c, "className", None) == "kpi"]
    shown = {getattr(k, "data-kpi") for k in kpis}
    assert shown == set(glossary.KPIS)  # every card figure has an entry, and no entry is unused
    for kpi in kpis:
        key = getattr(kpi, "data-kpi")
        assert kpi.title == glossary.hover(glossary.KPIS[key])
        assert kpi.title.endswith(f"Unit: {dictionary.describe(glossary.KPIS[key]).unit}.")
    staked = next(k for k in kpis if getattr(k, "data-kpi") == "staked")
    assert "(root TAO stake + Σ SubnetTAO of the other subnets) ÷ TotalIssuance" in staked.title

    def value(chain_card, key):
        kpi = next(k for k in _walk(chain_card) if getattr(k, "data-kpi", None) == key)
        strong = kpi.children[1].children
        return (
            "".join(c if isinstance(c, str) else c.children for c in strong)
            if isinstance(strong, list)
            else strong
        )

    bittensor_card, sahara_card = cards[1].children
    assert value(bittensor_card, "participants") == "1,234 UIDs"
    assert value(sahara_card, "participants") == "1,234 contributors"
    assert value(bittensor_card, "emission") == "3,600 TAO · $972.00k"
    assert value(sahara_card, "price") == "$270.00 per SAHARA"
    assert value(bittensor_card, "nakamoto") == "16 validators"
    assert value(bittensor_card, "staked") == "74.0% of supply"
    assert value(bittensor_card, "gini") == "0.763 (0–1)"


def _tables_shown(url: str) -> dict[str, dash_table.DataTable]:
    """Every data table the pages draw, rendered on the warehouse at `url` (one-row frames where a page
    shows a table only when there are rows)."""
    tables = {}
    for module in PAGE_MODULES:
        for panel in module.PANELS:
            if panel.kind == "html":
                rendered = charts.render(panel, url, VIEW)
                for component in _walk(html_root(rendered)):
                    if isinstance(component, dash_table.DataTable):
                        tables[component.id] = component
    from dashboards import components as dashboard_components
    from dashboards import queries

    tables["subnet-table"] = bittensor.leaderboard_table(queries.subnet_leaderboard(url))
    one_row = pd.DataFrame([dict.fromkeys(quality.RUNTIME_COLUMNS, 1)])
    tables["runtime-types-table"] = next(
        c for c in _walk(quality.runtime_types_table(one_row, VIEW)) if isinstance(c, dash_table.DataTable)
    )
    quarantined = pd.DataFrame([dict.fromkeys(queries.quarantined_rows(url).columns, "x")])
    tables["quarantine-table"] = quality.quarantined_table(quarantined)
    unmodelled = pd.DataFrame([dict.fromkeys(queries.unmodelled_logs(url).columns, 1)])
    tables["unmodelled-logs-table"] = dashboard_components.data_table("unmodelled-logs-table", unmodelled)
    drill = charts.Drill("events behind a point", pd.DataFrame([dict.fromkeys(EVENT_COLUMNS, "x")]))
    events = next(
        c
        for c in _walk(html_root(charts.drill_panel("lorenz-chart", drill)))
        if isinstance(c, dash_table.DataTable)
    )
    tables[events.id] = events
    for component in _walk(data_dictionary._layout(url, {})):
        if isinstance(component, dash_table.DataTable):
            tables[component.id] = component
    tables.update({table.id: table for table in _entity_tables()})
    return tables


def _entity_tables() -> list[dash_table.DataTable]:
    """The tables of the entity pages, each drawn from one row of its query's columns."""
    from dashboards import entity_queries as eq
    from dashboards.pages import contributor, hotkey, sahara_validator, subnet

    def one(columns):
        return pd.DataFrame([dict.fromkeys(columns, 1)])

    return [
        subnet.history_table(one(eq.SUBNET_HISTORY)), subnet.neurons_table(one(eq.NEURON_COLUMNS)),
        hotkey.history_table(one(eq.HOTKEY_HISTORY)), hotkey.holdings_table(one(eq.HOLDING_COLUMNS)),
        hotkey.registrations_table(one(eq.HOTKEY_REGISTRATIONS)),
        sahara_validator.history_table(one(eq.VALIDATOR_HISTORY)),
        sahara_validator.flows_table(one([c for c in eq.FLOW_COLUMNS if c != "event_id"])),
        sahara_validator.delegations_table(one(eq.DELEGATION_COLUMNS)),
        contributor.history_table(one(eq.CONTRIBUTOR_HISTORY)),
        contributor.annotations_table(one(eq.ANNOTATION_COLUMNS)),
    ]  # fmt: skip


def html_root(rendered):
    return rendered if not isinstance(rendered, list) else type("Root", (), {"children": rendered})()


#: Tables whose columns are whatever the analyst's own statement returns (the SQL workbench): no
#: dictionary entry can describe them in advance.
FREE_FORM_TABLES = {"workbench-table"}


def test_every_column_of_every_data_table_has_a_header_definition(duckdb_url):
    tables = _tables_shown(duckdb_url)
    in_code = set()
    for path in DASHBOARDS.rglob("*.py"):
        text = path.read_text()
        in_code |= set(re.findall(r'data_table\(\s*"([a-z0-9-]+)"', text))
        in_code |= set(re.findall(r'_table\("([a-z0-9-]+-table)"\)', text))
    in_code -= FREE_FORM_TABLES
    assert in_code <= set(tables), f"tables not rendered by this test: {sorted(in_code - set(tables))}"
    missing = []
    for table_id, table in tables.items():
        for column in table.columns:
            tip = table.tooltip_header.get(column["id"])
            if not tip or "Unit:" not in tip:
                missing.append(f"{table_id}.{column['id']}")
    assert missing == [], "data table columns without a definition in the dictionary: " + ", ".join(missing)


def test_table_headers_say_the_unit_where_the_name_does_not():
    shown = glossary.table_columns(
        "ecosystem-daily-table", ["staking_ratio", "emission_native", "rewards_usd", "participants", "chain"]
    )
    assert {c: h for c, (h, _tip) in shown.items()} == {
        "staking_ratio": "staking_ratio (0–1)",
        "emission_native": "emission_native (TAO or SAHARA per day)",
        "rewards_usd": "rewards_usd",
        "participants": "participants",
        "chain": "chain",
    }
    assert shown["emission_native"][1].startswith(
        "Tokens minted that day: Bittensor, TAO minted by the day's"
    )


def test_every_panel_has_a_header_with_its_definition():
    for module in PAGE_MODULES:
        for panel in module.PANELS:
            assert panel.id in glossary.PANELS, f"{module.__name__}: panel {panel.id} has no dictionary entry"
            header = charts.about(panel)
            assert header.title == glossary.hover(glossary.PANELS[panel.id])
    header = charts.about(next(p for p in bittensor.PANELS if p.id == "emission-chart"))
    assert header.children[1] == " TAO emission per day · unit: TAO per day"
    assert header.title.startswith("TAO minted by the day's blocks")


def test_head_to_head_rows_each_carry_a_definition(duckdb_url):
    rows = metrics.head_to_head({"bittensor": {"staking_ratio": 0.74, "native_unit": "TAO"}, "sahara": {}})
    assert all(r["definition"] for r in rows)
    by_aspect = {r["aspect"]: r["definition"] for r in rows}
    assert by_aspect["Staked (share of supply)"] == glossary.hover("ecosystem_daily.staking_ratio")
    assert "halving" in by_aspect["Emission per day"]
    frame = overview.head_to_head_frame(duckdb_url, VIEW)
    table = overview.head_to_head_table(frame, VIEW)[1]
    assert [c["id"] for c in table.columns] == ["aspect", "bittensor", "sahara"]
    tips = [row.get("aspect") for row in table.tooltip_data]
    assert tips[0] == rows[0]["definition"] and all(tips)
    assert len(tips) == len(table.data) and table.data[-1]["aspect"] == "Figures as of"


def test_chart_axes_name_their_unit():
    days = pd.DataFrame(
        {"chain": ["bittensor", "sahara"], "day": pd.to_datetime(["2026-01-14"] * 2),
         "rewards_per_participant_usd": [1847.8, 0.09], "top10_share": [0.59, 0.42]}
    )  # fmt: skip
    figure = figures.daily_comparison_figure(days, "rewards_per_participant_usd", "Rewards per participant")
    assert figure.layout.yaxis.title.text == "rewards per participant (USD per day)"
    assert figure.layout.xaxis.title.text == "UTC day"
    figure = figures.daily_comparison_figure(days, "top10_share", "Top-10% share", percent=True)
    assert figure.layout.yaxis.title.text == "top10 share (%)"
    emission = pd.DataFrame(
        {"day": pd.to_datetime(["2026-01-14"]), "emission_tao": [3600.0], "complete": [True]}
    )
    figure = figures.emission_figure(emission, pd.Timestamp("2025-12-12"))
    assert figure.layout.yaxis.title.text == "TAO per day"
