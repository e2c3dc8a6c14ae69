"""Every dashboard callback as a plain function, for `decai bench` to time one by one.

`callbacks(url)` lists, for every page the app serves (`dashboards.pages.PAGE_MODULES`):

- the page's layout (`<page>.layout`): what a request for the page runs, including resolving its
  default view against the warehouse (the last `state.DEFAULT_DAYS` days with data, latest state);
- every panel of its `PANELS` with that default view (`<page>.<panel>`), and once more for each
  control the panel reads, set as a user sets it (`<page>.<panel>[as_of]`: as of the day before the
  last day with data; `[netuid]`: the first subnet of the dropdown; `[scale]`: linear; `[chain]`:
  Bittensor only), which is the panel's callback with those control values;
- the callbacks the pages wire by hand: the leaderboard's drill-down, the quarantined rows, a click
  on a market-cap point.

Every function runs inside an application context of a server holding the warehouse URL, as Dash
runs a callback. The default view is resolved once here, to give the panels the control values a
browser would hold; its cost is timed in the layouts. The process's heap is then settled as
`decai dashboard` settles it before serving (`dashboards.app.settle_heap`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pandas as pd

#: The controls a panel's callback is timed with besides its default view (when the panel reads them).
VARIANTS = ("as_of", "netuid", "scale", "chain")


def callbacks(url: str) -> list[tuple[str, Callable[[], object]]]:
    """(name, callback) for every callback of every page, in page order."""
    import flask

    from dashboards import charts, controls, queries
    from dashboards.app import settle_heap
    from dashboards.pages import PAGE_MODULES

    server = flask.Flask("decai-bench")
    server.config["WAREHOUSE_URL"] = url

    def in_app(fn: Callable[[], object]) -> Callable[[], object]:
        def run():
            with server.app_context():
                return fn()

        return run

    with server.app_context():
        default, _, _ = controls.page_view(url, {})
        subnets = queries.miner_subnets(url)
        quotes = queries.quotes_as_of(url, coins=["bittensor"])
    last_tao_hour = quotes["hour"].max() if not quotes.empty else None
    changed = {
        "as_of": {"as_of": default.end - timedelta(days=1)},
        "netuid": {"netuid": subnets[0] if subnets else 0},
        "scale": {"scale": "linear" if default.scale != "linear" else "log"},
        "chain": {"chain": "bittensor"},
    }
    out: list[tuple[str, Callable[[], object]]] = []
    for module in PAGE_MODULES:
        page = module.__name__.rsplit(".", 1)[-1]
        out.append((f"{page}.layout", in_app(module.layout)))
        for panel in getattr(module, "PANELS", []):
            out.append((f"{page}.{panel.id}", in_app(lambda p=panel: charts.render(p, url, default))))
            for control in VARIANTS:
                if control in panel.inputs:
                    view = dataclasses.replace(default, **changed[control])
                    out.append(
                        (
                            f"{page}.{panel.id}[{control}]",
                            in_app(lambda p=panel, v=view: charts.render(p, url, v)),
                        )
                    )
    extras = {
        "bittensor.subnet-table drill": lambda: _subnet_drill(subnets),
        "quality.quarantine-rows": lambda: _quarantined_rows(),
        "overview.market-cap-chart drill": lambda: _market_cap_drill(url, default, last_tao_hour),
    }
    out += [(name, in_app(fn)) for name, fn in extras.items()]
    settle_heap()
    return out


def connection_floor(url: str) -> Callable[[], object]:
    """What every callback pays before its own work: a read-only session on the warehouse and one
    trivial query (the baseline of the callback figures)."""
    from dashboards import queries

    def run():
        with queries.session(url):
            return queries._read_or_empty(url, "SELECT 1 AS one", ["one"])

    return run


def _subnet_drill(subnets: list[int]):
    """A click on the leaderboard's row of the first subnet: the events behind it."""
    from dashboards.pages import bittensor

    return bittensor.show_subnet_events({"row": 0, "column": 0, "row_id": subnets[0] if subnets else 0})


def _quarantined_rows():
    """The quality page's quarantined rows, every source."""
    from dashboards.pages import quality

    return quality.show_quarantined_rows(None)


def _market_cap_drill(url: str, view, hour: pd.Timestamp | None):
    """A click on the last hour of TAO's market cap (the point the chart shows last): its quotes."""
    from dashboards import charts, drill, queries

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
        found = drill.market_window(url, view, point)
    return charts.drill_panel("market-cap-chart", found)
