"""Bittensor (`/bittensor`): subnets, emission and the halving, incentive per subnet, registrations, stake,
stake flows (stake added, removed and moved per subnet and day), and the subnets over time (alpha price,
emission share and participants of the subnets picked, `dashboards.subnet_history`).

Controls: date range (emission, registrations, stake flows), as-of date (incentive and stake: the
metagraph as it stood at the end of that day), subnet (incentive, registrations, stake, stake flows);
all kept in the URL, e.g.
`/bittensor?netuid=3&as_of=2026-01-14`. Clicking a row of the leaderboard lists the events behind it.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, html
from dash.dash_table.Format import Format, Group, Scheme

from dashboards import charts, controls, drill, figures, queries, series, subnet_history
from dashboards.charts import Panel
from dashboards.components import data_table, empty_state
from dashboards.context import warehouse_url
from dashboards.state import View

FEATURES = ("range", "as_of", "netuid")

#: How the leaderboard shows its numbers; the CSV export keeps the full values.
LEADERBOARD_FORMATS = {
    "emission_share": Format(precision=2, scheme=Scheme.percentage),
    "price_tao_per_alpha": Format(precision=4, scheme=Scheme.fixed),
    "pool_tao": Format(precision=0, scheme=Scheme.fixed, group=Group.yes),
}


def leaderboard_table(leaderboard: pd.DataFrame):
    # `id` lets a clicked cell name its subnet whatever the sort order.
    table = data_table("subnet-table", leaderboard.assign(id=leaderboard["netuid"]), page_size=20)
    table.columns = [c for c in table.columns if c["id"] != "id"]
    for column in table.columns:
        if column["id"] in LEADERBOARD_FORMATS:
            column.update(type="numeric", format=LEADERBOARD_FORMATS[column["id"]])
        elif column["id"] in ("netuid", "miners", "validators"):
            column["type"] = "numeric"
    return table


def lorenz_subnet(url: str, view: View) -> int | None:
    """The subnet the incentive chart shows: the chosen one, else the largest by emission share."""
    if view.netuid is not None:
        return view.netuid
    frame = queries._read_or_empty(
        url,
        "SELECT s.netuid FROM subnets s WHERE EXISTS (SELECT 1 FROM miners m WHERE m.netuid = s.netuid "
        "AND m.deregistered_at IS NULL) ORDER BY s.emission_share DESC NULLS LAST, s.netuid LIMIT 1",
        ["netuid"],
    )
    return int(frame["netuid"].iloc[0]) if not frame.empty else None


def incentives_frame(url: str, view: View) -> pd.DataFrame:
    netuid = lorenz_subnet(url, view)
    if netuid is None:
        return pd.DataFrame(columns=["netuid", "uid", "hotkey", "incentive"])
    return queries.miner_incentives(url, netuid, view.as_of_at).assign(netuid=netuid)[
        ["netuid", "uid", "hotkey", "incentive"]
    ]


def incentives_figure(frame: pd.DataFrame, view: View):
    if frame.empty:
        which = f"subnet {view.netuid}" if view.netuid is not None else "any subnet"
        return figures.no_data_figure("Incentive distribution", f"No miners of {which} in the warehouse")
    figure = figures.incentive_lorenz_figure(frame, int(frame["netuid"].iloc[0]))
    if view.as_of is not None:
        figure.update_layout(title_text=f"{figure.layout.title.text} (as of {view.as_of})")
    return figure


def stakes_frame(url: str, view: View) -> pd.DataFrame:
    return queries.bittensor_validator_stakes(url, view.netuid, view.as_of_at)


def stakes_figure(frame: pd.DataFrame, view: View):
    figure = figures.stake_distribution_figure(frame)
    if not frame.empty:
        where = f" in subnet {view.netuid}" if view.netuid is not None else ""
        when = f", as of {view.as_of}" if view.as_of is not None else ""
        figure.update_layout(title_text=f"{figure.layout.title.text}{where}{when}")
    return figure


def stake_flows_frame(url: str, view: View) -> pd.DataFrame:
    return queries.bittensor_stake_flows(url, view.start_at, view.end_at, view.netuid)


#: The page's time series mark Bittensor's milestones.
BITTENSOR = ("bittensor",)
PANELS = [
    Panel("emission-chart", "TAO emission per day", series.emission,
          lambda frame, view: figures.emission_figure(frame), ("subtensor",),
          drill=drill.day_of("bittensor", ("SubtensorModule.EmissionObserved",), "TAO emission"),
          milestones=BITTENSOR),
    Panel("registrations-chart", "Registrations per day", series.registrations,
          lambda frame, view: figures.registrations_figure(frame), ("subtensor",),
          inputs=("start", "end", "netuid"), drill=drill.registrations, milestones=BITTENSOR),
    Panel("incentive-lorenz-chart", "Incentive distribution", incentives_frame, incentives_figure,
          ("subtensor",), inputs=("netuid", "as_of")),
    Panel("stake-chart", "Validator stake", stakes_frame, stakes_figure, ("subtensor",),
          inputs=("netuid", "as_of"), drill=drill.bittensor_validator),
    Panel("stake-flow-chart", "Net stake flow per day", series.stake_flows,
          lambda frame, view: figures.stake_flow_figure(frame, view.netuid), ("subtensor",),
          inputs=("start", "end", "netuid"), drill=drill.stake_flows, milestones=BITTENSOR),
    Panel("stake-flow-table", "Stake flows per subnet and day", stake_flows_frame,
          lambda frame, view: data_table("stake-flow-rows", frame), ("subtensor",),
          inputs=("start", "end", "netuid"), kind="html"),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def _layout(url: str, query: dict) -> html.Div:
    leaderboard = queries.subnet_leaderboard(url)
    view, notices, extent = controls.page_view(url, query)
    if leaderboard.empty and extent[1] is None:
        return empty_state("Bittensor data", element_id="bittensor-empty")
    subnets = queries.miner_subnets(url)
    if view.netuid is not None and view.netuid not in subnets:
        notices = [*notices, f"Subnet {view.netuid} has no miners in the warehouse; all subnets are shown."]
        view = View(view.start, view.end, view.as_of, view.chain, None, view.scale)
    fresh = queries.cached_freshness(url)
    return html.Div(
        [
            html.H2("Bittensor"),
            html.P(
                "Subnets compete for TAO emission; inside each subnet, validators score miners and Yuma "
                "Consensus turns the scores into incentive. Figures come from the metagraph observations "
                "and chain events in the warehouse."
            ),
            controls.bar("/bittensor", view, notices, FEATURES, extent, subnets, subnet_history.names(url)),
            html.H3("Subnet leaderboard (latest observation)"),
            html.Div(
                [
                    leaderboard_table(leaderboard),
                    html.Div(
                        html.Span(queries.freshness_caption(fresh, ("subtensor",)), className="freshness"),
                        className="card-footer",
                    ),
                    html.P("Click a subnet's row to list the events behind it.", className="drill-hint"),
                    html.Div(id="subnet-table-drill", className="drill"),
                ],
                className="card wide",
            ),
            html.Div([charts.card(PANEL["emission-chart"], fresh), charts.card(PANEL["registrations-chart"], fresh)],
                     className="chart-grid"),
            html.H3("Incentive distribution per subnet"),
            html.Div([charts.card(PANEL["incentive-lorenz-chart"], fresh), charts.card(PANEL["stake-chart"], fresh)],
                     className="chart-grid"),
            html.H3("Stake flows per subnet"),
            html.P("TAO staked into each subnet minus TAO unstaked, plus stake moved in minus moved out, per "
                   "day (StakeAdded, StakeRemoved, StakeMoved, StakeTransferred, StakeSwapped). The table "
                   "adds each subnet's own alpha, which is never summed across subnets."),
            charts.card(PANEL["stake-flow-chart"], fresh, wide=True),
            charts.card(PANEL["stake-flow-table"], fresh, wide=True),
            *subnet_history.section(url, fresh),
        ]
    )  # fmt: skip


layout = charts.page_layout(_layout)


def show_subnet_events(active_cell):
    """A clicked leaderboard row: the events behind that subnet."""
    if not active_cell:
        raise dash.exceptions.PreventUpdate
    if not isinstance(active_cell, dict) or active_cell.get("row_id") is None:
        return charts.drill_panel("subnet-table", None)  # not a cell of the table: nothing to trace
    return charts.drill_panel("subnet-table", drill.subnet(warehouse_url(), active_cell["row_id"]))


def register_callbacks(app) -> None:
    charts.register(app, PANELS)
    subnet_history.register(app)
    app.callback(
        Output("subnet-table-drill", "children"),
        Input("subnet-table", "active_cell"),
        prevent_initial_call=True,
    )(show_subnet_events)


PAGE = {
    "path": "/bittensor",
    "name": "Bittensor",
    "title": "DecAI Compare — Bittensor",
    "layout": layout,
    "order": 10,
}
