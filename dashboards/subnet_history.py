"""The Bittensor page's subnet view over time: one or several subnets, picked by name, and their alpha
price, emission share and participants per UTC day, from `subnet_daily`.

`names()` gives every subnet's name as the chain serves it (`subnets.name`), and `label()` how a
selector, a legend or a title shows a subnet: its name and netuid. The three charts are `Panel`s like
the page's others (unit and hover from the data dictionary, CSV, milestones), but their data also
depends on the page's subnet picker (`PICKER_ID`, several subnets at once), so the page wires their
callbacks itself with `register()`.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from dashboards import charts, controls, figures, glossary, queries
from dashboards.charts import Panel
from dashboards.state import View

PICKER_ID = "subnet-history-netuids"
#: How many subnets the view shows before any is picked: the largest by emission share.
DEFAULT_SUBNETS = 3
COLUMNS = [
    "day", "netuid", "name", "complete", "price_open_tao_per_alpha", "price_close_tao_per_alpha",
    "price_twap_tao_per_alpha", "emission_share", "tao_injected_tao", "alpha_emitted_alpha", "registrations",
    "uids", "miners", "validators", "top_miner_share", "top_validator_share",
]  # fmt: skip


def names(url: str | None) -> dict[int, str]:
    """netuid -> the subnet's name at its latest observation (subnets without one are left out)."""
    frame = queries._read_or_empty(
        url, "SELECT netuid, name FROM subnets WHERE name IS NOT NULL ORDER BY netuid", ["netuid", "name"]
    )
    return {int(n): str(name) for n, name in zip(frame["netuid"], frame["name"], strict=True)}


def label(netuid: int, known: dict[int, str]) -> str:
    """A subnet as the page shows it: `apex (subnet 1)`, or `subnet 1` when it has no name yet."""
    name = known.get(int(netuid))
    return f"{name} (subnet {netuid})" if name else f"subnet {netuid}"


def options(url: str | None) -> list[dict]:
    """The picker's choices: every subnet with a day of history, by netuid, labelled with its name."""
    frame = queries._read_or_empty(
        url, "SELECT DISTINCT netuid FROM subnet_daily ORDER BY netuid", ["netuid"]
    )
    known = names(url)
    return [{"label": label(int(n), known), "value": int(n)} for n in frame["netuid"]]


def default_subnets(url: str | None) -> list[int]:
    """The subnets shown before any is picked: the largest by emission share (root left out)."""
    frame = queries._read_or_empty(
        url,
        "SELECT netuid FROM subnets WHERE netuid <> 0 AND removed_at IS NULL "
        f"ORDER BY emission_share DESC NULLS LAST, netuid LIMIT {DEFAULT_SUBNETS}",
        ["netuid"],
    )
    return [int(n) for n in frame["netuid"]]


def history(url: str | None, view: View, netuids: list[int] | None = None) -> pd.DataFrame:
    """The picked subnets' rows of `subnet_daily` in the view's range (the default subnets when none is
    picked), amounts as floats for the charts, each row named as the subnet is named now."""
    picked = [int(n) for n in netuids] if netuids else default_subnets(url)
    if not picked:
        return pd.DataFrame(columns=COLUMNS)
    marks = ", ".join(f":n{i}" for i in range(len(picked)))
    params = {f"n{i}": n for i, n in enumerate(picked)}
    params.update(start=view.start, end=view.end)
    frame = queries._read_or_empty(
        url,
        "SELECT day, netuid, name, complete, price_open_tao_per_alpha, price_close_tao_per_alpha, "
        "price_twap_tao_per_alpha, emission_share, CAST(tao_injected_tao AS DOUBLE PRECISION) AS tao_injected_tao, "
        "CAST(alpha_emitted_alpha AS DOUBLE PRECISION) AS alpha_emitted_alpha, registrations, uids, miners, "
        "validators, top_miner_share, top_validator_share "
        f"FROM subnet_daily WHERE netuid IN ({marks}) AND day >= :start AND day <= :end ORDER BY netuid, day",
        COLUMNS,
        params,
        dates=("day",),
    )
    known = names(url)
    frame["name"] = [label(n, known) for n in frame["netuid"]]
    return frame


def history_figure(frame: pd.DataFrame, measures: tuple[tuple[str, str], ...], title: str, ref: str,
                   percent: bool = False) -> go.Figure:  # fmt: skip
    """A line per picked subnet and measure (`(column, label)`, the first solid, the others dotted), a
    point per UTC day; a day not stored whole drawn hollow, dashed and labelled "partial". The y axis
    names the measure and its unit from the data dictionary entry `ref`."""
    shown = frame.dropna(subset=[c for c, _ in measures], how="all") if not frame.empty else frame
    if shown.empty:
        return figures.no_data_figure(title, "No subnet history in the selected range")
    figure = go.Figure()
    value = "%{y:.2%}" if percent else "%{y:,.6~f}"
    for netuid, group in shown.groupby("netuid", sort=True):
        for k, (column, what) in enumerate(measures):
            part = group.dropna(subset=[column])
            if part.empty:
                continue
            name = group["name"].iloc[0] + (f" · {what}" if len(measures) > 1 else "")
            traces = figures.series_traces(
                part, "day", column, name, figures.subnet_color(int(netuid)), None,
                f"%{{x|%Y-%m-%d}}<br>{what}: {value}",
            )  # fmt: skip
            if k:
                traces[0].line.dash = "dot"
            figure.add_traces(traces)
    what = measures[0][1] if len(measures) == 1 else "participants"
    figure.update_layout(
        title=title,
        yaxis={"tickformat": ".0%" if percent else None, "title": glossary.axis_title(ref, what),
               "rangemode": "tozero" if not percent else None},
        xaxis=figures.period_axis(shown["day"], "day"),
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return figures.use_template(figure)


PRICE = (("price_close_tao_per_alpha", "alpha price at the close"),)
SHARE = (("emission_share", "emission share"),)
PARTICIPANTS = (("miners", "miners"), ("validators", "validators"))

#: The view's charts; their data reads the default subnets until the picker's callback passes its own.
PANELS = [
    Panel("subnet-price-chart", "Alpha price per day", history,
          lambda frame, view: history_figure(frame, PRICE, "Alpha price (close)",
                                             "subnet_daily.price_close_tao_per_alpha"),
          ("subtensor",), milestones=("bittensor",)),
    Panel("subnet-share-chart", "Emission share per day", history,
          lambda frame, view: history_figure(frame, SHARE, "Share of the day's TAO emission",
                                             "subnet_daily.emission_share", percent=True),
          ("subtensor",), milestones=("bittensor",)),
    Panel("subnet-participants-chart", "Miners and validators per day", history,
          lambda frame, view: history_figure(frame, PARTICIPANTS, "Miners (solid) and validators (dotted)",
                                             "subnet_daily.miners"),
          ("subtensor",), milestones=("bittensor",)),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def render(panel: Panel, url: str, view: View, netuids: list[int] | None):
    """What the panel's callback returns: its figure for the picked subnets, milestones marked."""
    return charts.render(dataclasses.replace(panel, data=partial(history, netuids=netuids)), url, view)


def picker(url: str | None) -> html.Div:
    return html.Div(
        [
            html.Label("Subnets", htmlFor=PICKER_ID),
            dcc.Dropdown(
                id=PICKER_ID,
                options=options(url),
                value=default_subnets(url),
                multi=True,
                placeholder="the largest by emission share",
                style={"minWidth": "22rem"},
            ),
        ],
        className="control",
    )


def section(url: str | None, fresh: pd.DataFrame) -> list:
    """The view on the page: the picker and the three charts."""
    return [
        html.H3("Subnets over time"),
        html.P(
            "Pick one or several subnets: their alpha price (TAO per alpha of each subnet's own pool, at "
            "the day's last block), their share of the day's TAO emission, and their miners and validators "
            "at the day's last epoch (subnet_daily)."
        ),
        picker(url),
        html.Div([charts.card(PANEL["subnet-price-chart"], fresh), charts.card(PANEL["subnet-share-chart"], fresh)],
                 className="chart-grid"),
        charts.card(PANEL["subnet-participants-chart"], fresh, wide=True),
    ]  # fmt: skip


def _picked(value) -> tuple[list[int] | None, list[str]]:
    """The picker's value as sent by the browser (checked): the netuids, or a notice."""
    if value in (None, []):
        return None, []
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None, ["the subnets picked are not a list of subnet ids"]
    return value, []


def register(app) -> None:
    """Each chart follows the date range and the picker; its CSV holds the rows it draws."""
    from dashboards.context import warehouse_url

    names_ = list(controls.CONTROLS)
    for panel in PANELS:

        def show(start, end, picked, *values, panel=panel):
            view, notices = charts._view(dict(zip(names_, (start, end, *values), strict=True)))
            netuids, bad = _picked(picked)
            if notices or bad:
                return charts.notice_output(panel, notices + bad)
            return render(panel, warehouse_url(), view, netuids)

        app.callback(
            Output(panel.id, "figure"),
            Input(*controls.CONTROLS["start"]),
            Input(*controls.CONTROLS["end"]),
            Input(PICKER_ID, "value"),
            *[State(*controls.CONTROLS[n]) for n in names_ if n not in ("start", "end")],
        )(show)

        def download(n_clicks, picked, *values, panel=panel):
            if not n_clicks:
                raise dash.exceptions.PreventUpdate
            view, notices = charts._view(dict(zip(names_, values, strict=True)))
            netuids, bad = _picked(picked)
            if notices or bad:
                return charts._notice_download(panel, notices + bad)
            with queries.session(warehouse_url()):
                frame = charts.csv_frame(history(warehouse_url(), view, netuids))
            return dcc.send_data_frame(frame.to_csv, charts.csv_filename(panel, view), index=False)

        app.callback(
            Output(f"{panel.id}-download", "data"),
            Input(f"{panel.id}-csv", "n_clicks"),
            State(PICKER_ID, "value"),
            *[State(*controls.CONTROLS[n]) for n in names_],
            prevent_initial_call=True,
        )(download)
