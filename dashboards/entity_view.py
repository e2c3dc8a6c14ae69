"""What the entity pages share: the layout function Dash calls with the id from the path, the notice for an
id that names nothing, the line of key facts, history charts and the tables with their CSV export.

A page module gives `entity_layout` its kind (`dashboards.entities`) and a function
`render(url, entity_id, notices)` that draws the page for an id already parsed; everything the address
holds besides the id is ignored, with a notice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from dashboards import controls, entities, figures, glossary, queries
from dashboards import state as url_state
from dashboards.entities import Kind

PERIOD_AXIS = {"hour": "UTC hour", "day": "UTC day"}
PERIOD_NOTE = {
    "hour": "one point per hour with data (the history covers three UTC days or fewer)",
    "day": "one point per UTC day with data (the history covers more than three UTC days)",
}


def entity_layout(kind: Kind, render: Callable[[str, str, list[str]], Any]) -> Callable[..., Any]:
    """A page's `layout(**kwargs)` for Dash: the path variable parsed (a missing or malformed id gets the
    not-found notice), then `render` on one read-only connection to the app's warehouse."""

    def layout(**kwargs):
        from dashboards.context import warehouse_url

        raw = kwargs.pop(kind.variable, None)
        notices = controls._request_notices() + [
            f"`{url_state._shown(str(name))}` is not a parameter of this page; it is ignored."
            for name in kwargs
        ]
        entity_id, problem = entities.parse(kind, raw)
        if entity_id is None:
            return not_found(kind, problem, notices)
        url = warehouse_url()
        with queries.session(url):
            return render(url, entity_id, notices)

    return layout


BACK = {
    "subnet": ("/bittensor", "the Bittensor page"),
    "hotkey": ("/bittensor", "the Bittensor page"),
    "sahara_validator": ("/sahara", "the Sahara page"),
    "contributor": ("/sahara", "the Sahara page"),
}


def back_link(kind: Kind) -> html.P:
    href, label = BACK[kind.name]
    return html.P(dcc.Link(f"← Back to {label}", href=href), className="entity-back")


def not_found(kind: Kind, message: str, notices: list[str] | None = None) -> html.Div:
    """The page for an id that is malformed or names nothing in the warehouse: says which, and links back."""
    return html.Div(
        [
            html.H2(f"{kind.noun[:1].upper()}{kind.noun[1:]} not found"),
            html.Div([html.Strong("Not found: "), message], id="entity-notice", className="url-notice",
                     role="alert"),
            *([controls.notice_block(notices)] if notices else []),
            back_link(kind),
        ],
        id="entity-not-found",
    )  # fmt: skip


def page(kind: Kind, heading: str, notices: list[str], intro: str, children: list) -> html.Div:
    return html.Div(
        [
            back_link(kind),
            html.H2(heading, id="entity-heading"),
            *([controls.notice_block(notices)] if notices else []),
            html.P(intro, className="entity-intro", id="entity-intro"),
            *children,
        ],
        id="entity-page",
        **{"data-entity": kind.name},
    )


# ---------------------------------------------------------------------------------------------- facts
def _text(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    if isinstance(value, pd.Timestamp | datetime):
        return f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{digits}g}" if abs(value) < 1000 else f"{value:,.2f}"
    return str(value)


@dataclass(frozen=True)
class Fact:
    label: str
    value: Any
    #: The dictionary entry it shows (its hover and unit).
    ref: str | None = None
    #: The unit shown, where it is not the entry's (a total over the whole history of a per-period figure).
    unit: str | None = None


def facts(items: list[Fact], element_id: str = "entity-facts") -> html.Div:
    """The entity's key figures in one card: each says its unit and hovers its definition."""
    shown = []
    for item in items:
        unit = item.unit or (glossary.short_unit(glossary.entry(item.ref)) if item.ref else None)
        value = _text(item.value)
        shown.append(
            html.Span(
                [html.Span(item.label, className="fact-label"), html.Strong(value + (f" {unit}" if unit and
                                                                                       value != "—" else ""))],
                className="fact",
                title=glossary.hover(item.ref) if item.ref else None,
            )
        )  # fmt: skip
    return html.Div(shown, className="card wide entity-facts", id=element_id)


# ------------------------------------------------------------------------------------------- history
@dataclass(frozen=True)
class Series:
    """One measure of a history chart: its column, its label, its dictionary entry, bars or a line."""

    column: str
    label: str
    ref: str
    kind: str = "line"


Row = Series | tuple[Series, ...]


def _rows(rows: list[Row], frame: pd.DataFrame) -> list[tuple[Series, ...]]:
    """The rows that have something to draw, each as the measures it holds."""
    out = []
    for row in rows:
        measures = tuple(m for m in (row if isinstance(row, tuple) else (row,))
                         if m.column in frame and frame[m.column].notna().any())  # fmt: skip
        if measures:
            out.append(measures)
    return out


def history_figure(
    frame: pd.DataFrame,
    rows: list[Row],
    title: str,
    period: str,
    group: str | None = None,
    stacked: bool = False,
) -> go.Figure:
    """A history chart: one row per measure, or per tuple of measures sharing a unit (each row's axis says
    its unit), periods on a shared x axis. `group` draws one trace per value of that column (a subnet),
    coloured alike in every row; `stacked` stacks bars (only for amounts that add up: TAO of several
    subnets, never alpha), else they stand side by side."""
    frame = frame.dropna(subset=["period"]) if not frame.empty else frame
    drawn = _rows(rows, frame) if not frame.empty else []
    if not drawn:
        return figures.no_data_figure(title, "Nothing in the warehouse for this chart yet")
    figure = make_subplots(
        rows=len(drawn), cols=1, shared_xaxes=True, vertical_spacing=0.16 / len(drawn),
        subplot_titles=[" · ".join(m.label for m in row) for row in drawn],
    )  # fmt: skip
    groups = sorted(frame[group].dropna().unique()) if group else [None]
    legend_seen: set[str] = set()
    for number, row in enumerate(drawn, start=1):
        for index, measure in enumerate(row):
            unit = glossary.short_unit(glossary.entry(measure.ref)) or ""
            for key in groups:
                part = frame if key is None else frame[frame[group] == key]
                part = part.dropna(subset=[measure.column]).sort_values("period")
                if part.empty:
                    continue
                name = f"subnet {int(key)}" if key is not None else measure.label
                color = (
                    figures.subnet_color(int(key))
                    if key is not None
                    else LINE_COLORS[index % len(LINE_COLORS)]
                )
                common = {
                    "x": part["period"],
                    "y": part[measure.column].astype(float),
                    "name": name,
                    "legendgroup": name,
                    "showlegend": (key is not None or len(row) > 1) and name not in legend_seen,
                    "hovertemplate": f"%{{x|%Y-%m-%d %H:%M}} UTC<br>{measure.label}: %{{y:,.6g}} {unit}"
                    f"<extra>{name}</extra>",
                }
                legend_seen.add(name)
                if measure.kind == "bar":
                    figure.add_trace(go.Bar(marker={"color": color}, **common), row=number, col=1)
                else:
                    figure.add_trace(go.Scatter(mode="lines+markers", line={"color": color}, **common),
                                     row=number, col=1)  # fmt: skip
        figure.update_yaxes(title_text=glossary.axis_title(row[0].ref, ROW_NOUN.get(row[0].column, row[0].label)),
                            row=number, col=1)  # fmt: skip
    # The periods with data, with half a period either side (one period alone would span a millisecond).
    step = pd.Timedelta(hours=1) if period == "hour" else pd.Timedelta(days=1)
    figure.update_xaxes(
        range=[frame["period"].min() - 0.6 * step, frame["period"].max() + 0.6 * step],
        tickformat="%H:%M\n%b %d" if period == "hour" else "%b %d\n%Y",
    )
    figure.update_xaxes(title_text=PERIOD_AXIS[period], row=len(drawn), col=1)
    figure.update_layout(
        title=f"{title} ({'hourly' if period == 'hour' else 'daily'})",
        height=150 + 200 * len(drawn),
        barmode="relative" if stacked else "group",
        margin={"l": 80, "r": 20, "t": 80, "b": 90},
        # Below the x axis's title: 70 px under a plot area about 200 px a row high.
        legend={"orientation": "h", "y": -70 / (200 * len(drawn) - 20)},
    )
    return figures.use_template(figure)


#: Colours of the measures sharing a row (a single measure is drawn in the first).
LINE_COLORS = ("#1f2937", "#2563eb", "#e4572e", "#16a34a")
#: An axis shared by several measures is named for what they have in common.
ROW_NOUN = {"uids": "UIDs", "submitted": "annotations"}


def chart_grid(cards: list) -> html.Div:
    return html.Div(cards, className="chart-grid")


def chart_card(chart_id: str, title: str, ref: str, figure: go.Figure, caption: str, wide: bool = False):
    """A history chart's card: its header names the unit and hovers the definition, its footer says
    how fresh the data is."""
    column = glossary.entry(ref)
    return html.Div(
        [
            html.Div([html.Span("ⓘ", className="card-info"),
                      f" {title} · unit: {glossary.short_unit(column) or column.unit}"],
                     className="card-head", title=glossary.hover(ref)),
            dcc.Graph(id=chart_id, figure=figure, config={"displaylogo": False}, className="chart"),
            html.Div(html.Span(caption, className="freshness"), className="card-footer"),
        ],
        className="card wide" if wide else "card",
        id=f"{chart_id}-card",
    )  # fmt: skip


def rounded(frame: pd.DataFrame, digits: int = 9) -> pd.DataFrame:
    """Float columns rounded for display (amounts hold 9 decimals: rao); the rest as they are."""
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    return frame.round(dict.fromkeys(floats, digits)) if floats else frame


def table_card(heading: str, table, note: str) -> list:
    """A table of the page with its heading and a note on what one row is; the table's Export button
    gives its rows as CSV."""
    return [
        html.H3(heading),
        html.Div([html.P(note, className="drill-note"), table], className="card wide"),
    ]


def freshness(url: str, sources: tuple[str, ...]) -> str:
    return queries.freshness_caption(queries.cached_freshness(url), sources)
