"""The dashboard's callbacks as plain functions of a warehouse URL, for `decai bench` to time.

Each entry does what the callback does when a page opens with its default view (the last
`state.DEFAULT_DAYS` days with data, the latest state): run the panel's queries on one read-only
connection and build its figure or table. The default view is resolved once per warehouse, outside
the timed work, as the page layout resolves it once and the callbacks then get it from the controls.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import timedelta

import pandas as pd

from dashboards import charts, controls, drill, queries
from dashboards.pages import bittensor, compare, overview, quality, sahara
from dashboards.state import View


@functools.lru_cache(maxsize=8)
def _default_view(url: str) -> View:
    view, _, _ = controls.page_view(url, {})
    return view


def _view(url: str, **changes) -> View:
    return dataclasses.replace(_default_view(url), **changes)


def _panel(panel: charts.Panel, **changes) -> Callable[[str], object]:
    def run(url: str):
        return charts.render(panel, url, _view(url, **changes))

    return run


@functools.lru_cache(maxsize=8)
def _first_subnet(url: str) -> int:
    """The subnet the filtered benchmarks choose (as a user picks one from the dropdown's list)."""
    subnets = queries.miner_subnets(url)
    return subnets[0] if subnets else 0


def bittensor_subnet_registrations(url: str):
    """The registrations chart filtered to one subnet (the first with miners)."""
    return charts.render(bittensor.PANEL["registrations-chart"], url, _view(url, netuid=_first_subnet(url)))


def bittensor_subnet_incentives(url: str):
    """The incentive Lorenz curve of one chosen subnet."""
    return charts.render(
        bittensor.PANEL["incentive-lorenz-chart"], url, _view(url, netuid=_first_subnet(url))
    )


def _as_of_panel(panel: charts.Panel) -> Callable[[str], object]:
    """A panel as of the day before the last day with data (an analyst looking back a day)."""

    def run(url: str):
        default = _default_view(url)
        return charts.render(panel, url, dataclasses.replace(default, as_of=default.end - timedelta(days=1)))

    return run


def quality_tables(url: str):
    """The quality page's three tables and its quarantined rows."""
    view = _view(url)
    tables = [charts.render(panel, url, view) for panel in quality.PANELS]
    with queries.session(url):
        rows = quality.quarantined_rows_frame(url, None, "both")
    return [*tables, quality.quarantined_table(rows)]


@functools.lru_cache(maxsize=8)
def _last_tao_hour(url: str) -> pd.Timestamp | None:
    """The last hour of TAO market data: the point the drill-down benchmark clicks."""
    quotes = queries.quotes_as_of(url, coins=["bittensor"])
    return quotes["hour"].max() if not quotes.empty else None


def market_cap_drill(url: str):
    """A click on the last hour of TAO's market cap: the quotes behind it."""
    hour = _last_tao_hour(url)
    if hour is None:
        return None
    point = {
        "customdata": [
            "bittensor",
            f"{hour:%Y-%m-%dT%H:%M:%S}",
            f"{hour + pd.Timedelta(hours=1):%Y-%m-%dT%H:%M:%S}",
        ]
    }
    with queries.session(url):
        found = drill.market_window(url, _view(url), point)
    return charts.drill_panel("market-cap-chart", found)


#: (name, callback of a warehouse URL) — what `bench.runner.bench_callbacks` times.
CALLBACKS: list[tuple[str, Callable[[str], object]]] = [
    ("overview.kpi_cards", _panel(overview.PANEL["kpi-cards"])),
    ("overview.market_cap_rebased", _panel(overview.PANEL["market-cap-chart"])),
    ("overview.market_cap_rebased_linear", _panel(overview.PANEL["market-cap-chart"], scale="linear")),
    ("overview.participants_rebased", _panel(overview.PANEL["participants-chart"])),
    ("overview.head_to_head", _panel(overview.PANEL["head-to-head"])),
    ("bittensor.emission", _panel(bittensor.PANEL["emission-chart"])),
    ("bittensor.registrations_netuid", bittensor_subnet_registrations),
    ("bittensor.incentive_lorenz_netuid", bittensor_subnet_incentives),
    ("bittensor.stake", _panel(bittensor.PANEL["stake-chart"])),
    ("bittensor.stake_as_of", _as_of_panel(bittensor.PANEL["stake-chart"])),
    ("bittensor.stake_flows", _panel(bittensor.PANEL["stake-flow-chart"])),
    ("bittensor.incentive_lorenz_as_of", _as_of_panel(bittensor.PANEL["incentive-lorenz-chart"])),
    ("overview.kpi_cards_as_of", _as_of_panel(overview.PANEL["kpi-cards"])),
    ("sahara.funnel", _panel(sahara.PANEL["funnel-chart"])),
    ("sahara.rewards", _panel(sahara.PANEL["rewards-chart"])),
    ("sahara.voting_power", _panel(sahara.PANEL["voting-power-chart"])),
    ("compare.lorenz", _panel(compare.PANEL["lorenz-chart"])),
    ("compare.top10", _panel(compare.PANEL["top10-chart"])),
    ("quality.tables", quality_tables),
    ("drill.market_cap_hour", market_cap_drill),
]
