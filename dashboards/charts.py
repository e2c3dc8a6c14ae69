"""Panels: a chart or block of a page, from its data to its figure, CSV, freshness and drill-down.

A `Panel` names a data function `(url, view) -> DataFrame` (the rows behind it, which its CSV
download holds too) and a render function `(frame, view) -> figure or component`. `card()` lays it
out with a loading indicator, a "data as of" caption, a CSV button and, where the panel can trace a
point to its events, a drill-down area; `register()` wires its callbacks to the page's controls.
`render()` is the callback's work as a plain function, which tests and the benchmark call.
"""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboards import controls, figures, glossary, queries
from dashboards import state as url_state
from dashboards.components import data_table
from dashboards.state import View


@dataclass(frozen=True)
class Drill:
    """The events behind one point: what the point is, the events (at most `DRILL_LIMIT`), and
    whether there were more than that."""

    title: str
    events: pd.DataFrame
    truncated: bool = False
    #: The pages of the entities the point is about: (label, path), e.g. ("subnet 3", "/bittensor/subnet/3").
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    data: Callable[[str, View], pd.DataFrame]
    render: Callable[[pd.DataFrame, View], Any]
    #: Sources whose freshness the caption states: subtensor, cometbft, evm, coingecko.
    sources: tuple[str, ...]
    #: Controls that change it (names of `controls.CONTROLS`); the others are read as they are.
    inputs: tuple[str, ...] = ("start", "end")
    #: "graph": render returns a figure; "html": render returns components.
    kind: str = "graph"
    #: From a clicked point (plotly's `clickData["points"][0]`) to the events behind it.
    drill: Callable[[str, View, dict], Drill | None] | None = None
    #: A time series: the chains whose milestones (`queries.milestones`) its figure marks, of those the
    #: view shows; empty for a chart that is not over time.
    milestones: tuple[str, ...] = ()


def page_layout(render_page: Callable[[str, dict], Any]) -> Callable[..., Any]:
    """A page's `layout(**query)` for Dash: `render_page(url, query)` with the warehouse of the app
    serving the request and the URL's query parameters, every query on one read-only connection."""

    def layout(**query):
        from dashboards.context import warehouse_url

        url = warehouse_url()
        with queries.session(url):
            return render_page(url, query)

    return layout


def render(panel: Panel, url: str, view: View):
    """What the panel's callback returns for `view` (a figure, or components); a time series marks
    the milestones of its chains inside the span it draws."""
    with queries.session(url):
        frame = panel.data(url, view)
        shown = panel.render(frame, view)
        if panel.milestones and panel.kind == "graph":
            chains = [chain for chain in panel.milestones if chain in view.chains()]
            figures.add_milestones(shown, queries.milestones(url, view.start_at, view.end_at, chains))
    return shown


def card(panel: Panel, fresh: pd.DataFrame, wide: bool = False) -> html.Div:
    """The panel's place on the page: filled by its callback when the page loads."""
    body = (
        dcc.Graph(id=panel.id, config={"displaylogo": False}, className="chart")
        if panel.kind == "graph"
        else html.Div(id=panel.id)
    )
    parts = [
        about(panel),
        dcc.Loading(body, type="circle", delay_show=150),
        html.Div(
            [
                html.Span(queries.freshness_caption(fresh, panel.sources), className="freshness",
                          id=f"{panel.id}-freshness"),
                html.Button("Download CSV", id=f"{panel.id}-csv", className="csv-button", n_clicks=0,
                            title=f"The rows behind “{panel.title}” as CSV"),
                dcc.Download(id=f"{panel.id}-download"),
            ],
            className="card-footer",
        ),
    ]  # fmt: skip
    if panel.drill is not None:
        parts.append(html.P("Click a point to list the on-chain events behind it.", className="drill-hint"))
        parts.append(dcc.Loading(html.Div(id=f"{panel.id}-drill", className="drill"), type="dot"))
    return html.Div(parts, className="card wide" if wide else "card", id=f"{panel.id}-card")


def about(panel: Panel) -> html.Div:
    """The panel's header: the unit of what it draws, and its definition from the data dictionary as
    the hover (`title`)."""
    ref = glossary.PANELS.get(panel.id)
    if ref is None:
        return html.Div(className="card-head", id=f"{panel.id}-about")
    column = glossary.entry(ref)
    return html.Div(
        [html.Span("ⓘ", className="card-info"), f" {panel.title} · unit: {glossary.short_unit(column) or column.unit}"],
        className="card-head", id=f"{panel.id}-about", title=glossary.hover(ref),
    )  # fmt: skip


def csv_filename(panel: Panel, view: View) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", panel.id.lower()).strip("-")
    return f"{slug}_{view.start:%Y%m%d}-{view.end:%Y%m%d}.csv"


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as its CSV shows it: datetimes as ISO text, everything else as is."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return shown


def drill_panel(panel_id: str, drill: Drill | None) -> list:
    """The list of events behind a point, with their CSV (the table's export button)."""
    if drill is None:
        return [html.P("No events can be traced from this point.", className="drill-empty")]
    note = (
        f"The first {len(drill.events):,} events are listed; there are more — narrow the point down."
        if drill.truncated
        else f"{len(drill.events):,} events."
    )
    rows = drill.events
    return [
        html.H4(drill.title, id=f"{panel_id}-drill-title"),
        *_entity_links(panel_id, drill.links),
        html.P(note, className="drill-note", id=f"{panel_id}-drill-note"),
        data_table(f"{panel_id}-events", rows, page_size=10)
        if not rows.empty
        else html.P("No events in the warehouse for this point.", className="drill-empty"),
    ]


def _entity_links(panel_id: str, links: tuple[tuple[str, str], ...]) -> list:
    if not links:
        return []
    items = [part for label, href in links for part in (" · ", dcc.Link(label, href=href))][1:]
    return [html.P(["Open the page of ", *items], className="drill-note", id=f"{panel_id}-drill-links")]


NOTICE_HEADING = controls.NOTICE_HEADING


def _view(values: dict) -> tuple[View, list[str]]:
    """The view the controls' values ask for, and a notice for each value that was not usable."""
    wanted, notices = url_state.from_controls(*(values.get(name) for name in controls.CONTROLS))
    return url_state.resolve(wanted, None, None), notices


def notice_output(panel: Panel, notices: list[str]):
    """What a panel shows in place of its chart when the controls sent values it cannot use: the
    bad-link notice, as a figure's annotation or as a block of text."""
    if panel.kind == "graph":
        # Plotly reads tags in annotation text: the notices quote what the browser sent, so escape them.
        lines = [html_text.escape(n, quote=False) for n in [NOTICE_HEADING, *notices[:5]]]
        return figures.no_data_figure(panel.title, "<br>".join(lines))
    return controls.notice_block(notices)


def _notice_download(panel: Panel, notices: list[str]) -> dict:
    text = "\n".join([NOTICE_HEADING, *notices]) + "\n"
    return {"content": text, "filename": f"{panel.id}_notice.txt", "type": "text/plain", "base64": False}


def _click_point(click) -> dict | None:
    """The first point of a plotly `clickData` (sent by the browser, so checked), or None."""
    points = click.get("points") if isinstance(click, dict) else None
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    return points[0]


def register(app, panels: list[Panel]) -> None:
    """Callbacks of each panel: render on load and on its controls, CSV on click, drill on a point.

    Control values come from the browser: a value of the wrong type or shape gets the bad-link
    notice in place of the chart (or in the downloaded file), never a server error."""
    from dashboards.context import warehouse_url

    names = list(controls.CONTROLS)
    for panel in panels:
        inputs = [n for n in names if n in panel.inputs]
        states = [n for n in names if n not in panel.inputs]
        output = Output(panel.id, "figure" if panel.kind == "graph" else "children")

        def show(*values, panel=panel, order=inputs + states):
            view, notices = _view(dict(zip(order, values, strict=True)))
            if notices:
                return notice_output(panel, notices)
            return render(panel, warehouse_url(), view)

        app.callback(
            output,
            *[Input(*controls.CONTROLS[n]) for n in inputs],
            *[State(*controls.CONTROLS[n]) for n in states],
        )(show)

        def download(n_clicks, *values, panel=panel):
            if not n_clicks:
                raise dash.exceptions.PreventUpdate
            view, notices = _view(dict(zip(names, values, strict=True)))
            if notices:
                return _notice_download(panel, notices)
            with queries.session(warehouse_url()):
                frame = csv_frame(panel.data(warehouse_url(), view))
            return dcc.send_data_frame(frame.to_csv, csv_filename(panel, view), index=False)

        app.callback(
            Output(f"{panel.id}-download", "data"),
            Input(f"{panel.id}-csv", "n_clicks"),
            *[State(*controls.CONTROLS[n]) for n in names],
            prevent_initial_call=True,
        )(download)

        if panel.drill is None:
            continue

        def drill(click, *values, panel=panel):
            if not click:
                raise dash.exceptions.PreventUpdate
            view, notices = _view(dict(zip(names, values, strict=True)))
            if notices:
                return [controls.notice_block(notices)]
            point = _click_point(click)
            if point is None:
                return drill_panel(panel.id, None)
            with queries.session(warehouse_url()):
                found = panel.drill(warehouse_url(), view, point)
            return drill_panel(panel.id, found)

        app.callback(
            Output(f"{panel.id}-drill", "children"),
            Input(panel.id, "clickData"),
            *[State(*controls.CONTROLS[n]) for n in names],
            prevent_initial_call=True,
        )(drill)
