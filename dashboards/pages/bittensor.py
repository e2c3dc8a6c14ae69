"""Bittensor (`/bittensor`): subnets, emission and the halving, incentive per subnet, registrations, stake.

`?netuid=N` in the URL opens the incentive chart on that subnet.
"""

from __future__ import annotations

from dash import Input, Output, dcc, html
from dash.dash_table.Format import Format, Group, Scheme

from dashboards import figures, queries
from dashboards.app import warehouse_url
from dashboards.components import data_table, empty_state


def _initial_subnet(subnets: list[int], leaderboard, requested: str | None) -> int | None:
    """The subnet asked for in the URL, else the one with the largest emission share that has miners."""
    if requested is not None and str(requested).isdigit() and int(requested) in subnets:
        return int(requested)
    for netuid in leaderboard["netuid"]:
        if int(netuid) in subnets:
            return int(netuid)
    return subnets[0] if subnets else None


#: How the leaderboard shows its numbers; the CSV export keeps the full values.
LEADERBOARD_FORMATS = {
    "emission_share": Format(precision=2, scheme=Scheme.percentage),
    "alpha_price_tao": Format(precision=4, scheme=Scheme.fixed),
    "tao_in_pool": Format(precision=0, scheme=Scheme.fixed, group=Group.yes),
}


def leaderboard_table(leaderboard):
    table = data_table("subnet-table", leaderboard, page_size=20)
    for column in table.columns:
        if column["id"] in LEADERBOARD_FORMATS:
            column.update(type="numeric", format=LEADERBOARD_FORMATS[column["id"]])
        elif column["id"] in ("netuid", "miners", "validators"):
            column["type"] = "numeric"
    return table


def layout(netuid: str | None = None, **_query) -> html.Div:
    url = warehouse_url()
    leaderboard = queries.subnet_leaderboard(url)
    emission = queries.bittensor_emission_per_day(url)
    if leaderboard.empty and emission.empty:
        return empty_state("Bittensor data", element_id="bittensor-empty")
    subnets = queries.miner_subnets(url)
    selected = _initial_subnet(subnets, leaderboard, netuid)
    incentives = queries.miner_incentives(url, selected) if selected is not None else None
    return html.Div(
        [
            html.H2("Bittensor"),
            html.P(
                "Subnets compete for TAO emission; inside each subnet, validators score miners and Yuma "
                "Consensus turns the scores into incentive. Figures come from the metagraph observations "
                "and chain events in the warehouse."
            ),
            html.H3("Subnet leaderboard"),
            leaderboard_table(leaderboard),
            html.Div(
                [
                    dcc.Graph(
                        id="emission-chart",
                        figure=figures.emission_figure(emission, queries.TAO_HALVING_DAY),
                    ),
                    dcc.Graph(
                        id="registrations-chart",
                        figure=figures.registrations_figure(queries.registrations_per_day(url)),
                    ),
                ],
                className="chart-grid",
            ),
            html.H3("Incentive distribution per subnet"),
            html.Div(
                [
                    html.Label("Subnet", htmlFor="subnet-dropdown"),
                    dcc.Dropdown(
                        id="subnet-dropdown",
                        options=[{"label": f"subnet {n}", "value": n} for n in subnets],
                        value=selected,
                        clearable=False,
                    ),
                ],
                className="filter-row",
            ),
            dcc.Loading(
                dcc.Graph(
                    id="incentive-lorenz-chart",
                    figure=figures.incentive_lorenz_figure(incentives, selected)
                    if incentives is not None
                    else figures.no_data_figure("Incentive distribution", "No miners in the warehouse yet"),
                )
            ),
            dcc.Graph(
                id="stake-chart",
                figure=figures.stake_distribution_figure(queries.bittensor_validator_stakes(url)),
            ),
        ]
    )


def show_incentive_lorenz(netuid: int | None):
    if netuid is None:
        return figures.no_data_figure("Incentive distribution", "Choose a subnet")
    return figures.incentive_lorenz_figure(queries.miner_incentives(warehouse_url(), netuid), netuid)


def register_callbacks(app) -> None:
    app.callback(
        Output("incentive-lorenz-chart", "figure"),
        Input("subnet-dropdown", "value"),
        prevent_initial_call=True,
    )(show_incentive_lorenz)


PAGE = {
    "path": "/bittensor",
    "name": "Bittensor",
    "title": "DecAI Compare — Bittensor",
    "layout": layout,
    "order": 10,
}
