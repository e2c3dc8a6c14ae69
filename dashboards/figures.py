"""Figures: small functions from a DataFrame to a Plotly figure, shared by pages and tests."""

from __future__ import annotations

import copy
import html as html_text
import numbers

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboards.queries import COIN_LABELS

COLORS = {"bittensor": "#1f2937", "sahara-ai": "#e4572e"}
#: The template of every figure, validated once: the copy that setting it by name makes (same
#: properties, same order), which plotly would otherwise make and validate again for every figure (its
#: defaults for every trace type: about 24 ms a figure).
TEMPLATE = copy.deepcopy(pio.templates["plotly_white"])


def use_template(figure: go.Figure) -> go.Figure:
    """`figure` drawn on the plotly_white template (`TEMPLATE`), the same layout as
    `update_layout(template="plotly_white")` gives; the template is copied in as it stands, without
    validating it again, as plotly sets its default template."""
    layout = figure.layout
    layout._validate = False
    try:
        layout.template = TEMPLATE
    finally:
        layout._validate = figure._validate
    return figure


def market_cap_figure(frame: pd.DataFrame, log_scale: bool = True) -> go.Figure:
    """Market cap of both coins over time on one chart (log scale by default: they differ 40x)."""
    figure = go.Figure()
    for coin_id, group in frame.groupby("coin_id"):
        figure.add_trace(
            go.Scatter(
                x=group["hour"],
                y=group["market_cap_usd"],
                mode="lines",
                name=COIN_LABELS.get(coin_id, coin_id),
                line={"color": COLORS.get(coin_id)},
                hovertemplate="%{x|%Y-%m-%d %H:%M} UTC<br>$%{y:,.0f}<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(
        title="Market capitalisation (USD, hourly)",
        yaxis={"type": "log" if log_scale else "linear", "title": "market cap (USD)"},
        xaxis={"title": "UTC time"},
        legend={"orientation": "h", "y": -0.15},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return use_template(figure)


CHAIN_LABELS = {"bittensor": "Bittensor miners", "sahara": "Sahara contributors"}
CHAIN_COLORS = {"bittensor": COLORS["bittensor"], "sahara": COLORS["sahara-ai"]}


def lorenz_figure(curves: dict[str, list[tuple[float, float]]]) -> go.Figure:
    """Lorenz curves of rewards for both networks on one chart, with the line of equality."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="Equal rewards", line={"dash": "dot", "color": "#9ca3af"}
        )
    )
    for chain, curve in curves.items():
        if not curve:
            continue
        xs, ys = zip(*curve, strict=True)
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=CHAIN_LABELS.get(chain, chain),
                line={"color": CHAIN_COLORS.get(chain)},
            )
        )
    figure.update_layout(
        title="Who gets the rewards (Lorenz curve)",
        xaxis={"title": "share of participants, least rewarded first (%)", "tickformat": ".0%"},
        yaxis={"title": "share of rewards (%)", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.2},
    )
    return use_template(figure)


def daily_comparison_figure(
    frame: pd.DataFrame, column: str, title: str, percent: bool = False, y_title: str | None = None
) -> go.Figure:
    """One measure of `ecosystem_daily` over time, both chains on one chart, a point per day or per
    hour (the frame's `day` or `hour` column); a period not stored whole is drawn hollow, dashed and
    labelled "partial". The y axis names the measure and its unit from the data dictionary unless
    `y_title` says otherwise."""
    if frame.empty:
        return no_data_figure(title, "No data in the selected range")
    period = period_of(frame)
    figure = go.Figure()
    value = "%{y:.1%}" if percent else "%{y:,.4~f}"
    for chain, group in frame.groupby("chain"):
        figure.add_traces(
            series_traces(
                group, period, column, CHAIN_LABELS.get(chain, chain).split()[0], CHAIN_COLORS.get(chain),
                _period_keys(group.assign(chain=chain), "chain")[:, [2, 0, 1]],
                f"{_PERIOD_HOVER[period]}<br>{value}",
            )
        )  # fmt: skip
    figure.update_layout(
        title=title,
        yaxis={
            "tickformat": ".0%" if percent else None,
            "title": y_title or _measure_title(column, percent, period),
        },
        xaxis=period_axis(frame[period], period),
        legend={"orientation": "h", "y": -0.2},
    )
    return use_template(figure)


def network_label(chain: str, network: str) -> str:
    """How a legend names a network: the chain itself, or its token on another network."""
    if network == chain:
        return {"bittensor": "Bittensor", "sahara": "Sahara chain"}.get(chain, chain)
    token = {"bittensor": "TAO", "sahara": "SAHARA"}.get(chain, chain)
    return f"{token} ({network})"


_NETWORK_DASH = ("solid", "dot", "dashdot", "longdash")


def network_figure(frame: pd.DataFrame, column: str, title: str, percent: bool = False) -> go.Figure:
    """One measure of `network_daily` per day, a line per (chain, network): each chain in its colour,
    its other networks (an ERC-20 on an EVM network) dotted; a day not stored whole is drawn hollow,
    dashed and labelled "partial". The y axis names the measure and its unit from the data dictionary."""
    shown = frame.dropna(subset=[column]) if not frame.empty else frame
    if shown.empty:
        return no_data_figure(title, "No network fundamentals in the selected range")
    figure = go.Figure()
    value = "%{y:.2%}" if percent else "%{y:,.4~f}"
    for (chain, network), group in shown.groupby(["chain", "network"]):
        traces = series_traces(
            group, "day", column, network_label(chain, network), CHAIN_COLORS.get(chain), None,
            f"{_PERIOD_HOVER['day']}<br>{value}",
        )  # fmt: skip
        if network != chain:
            others = sorted(n for n in shown.loc[shown["chain"] == chain, "network"].unique() if n != chain)
            dash = _NETWORK_DASH[1 + others.index(network) % (len(_NETWORK_DASH) - 1)]
            traces[0].line.dash = dash
        figure.add_traces(traces)
    from dashboards import glossary

    try:
        entry = glossary.entry(f"network_daily.{column}")
        y_title = f"{column.replace('_', ' ')} ({entry.unit})"
    except KeyError:
        y_title = column.replace("_", " ")
    figure.update_layout(
        title=title,
        yaxis={"tickformat": ".1%" if percent else None, "title": y_title},
        xaxis=period_axis(shown["day"], "day"),
        legend={"orientation": "h", "y": -0.2},
    )
    return use_template(figure)


def _measure_title(column: str, percent: bool, period: str = "day") -> str | None:
    """A measure of `ecosystem_daily` as an axis names it: its name and unit from the data dictionary
    (a figure per day is per hour on an hourly chart)."""
    from dashboards import glossary

    ref = f"ecosystem_daily.{column}"
    try:
        glossary.entry(ref)
    except KeyError:
        return None
    what = column.removesuffix("_usd").removesuffix("_native").replace("_", " ")
    title = f"{what} (%)" if percent else glossary.axis_title(ref, what)
    return title.replace(" per day)", " per hour)") if period == "hour" else title


# ------------------------------------------------------------------------------- chain pages (shared)

TAO_COLOR, SAHARA_COLOR = COLORS["bittensor"], COLORS["sahara-ai"]


def _layout(figure: go.Figure, title: str, **extra) -> go.Figure:
    figure.update_layout(title=title, margin={"l": 60, "r": 20, "t": 50, "b": 40}, **extra)
    return use_template(figure)


#: Bars on a date axis are measured in milliseconds; without a width a lone day's bar is 1 ms wide.
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
PERIOD_MS = {"day": DAY_MS, "hour": HOUR_MS}
PERIOD_STEP = {"day": pd.Timedelta(days=1), "hour": pd.Timedelta(hours=1)}
#: How a point's period reads in a hover.
_PERIOD_HOVER = {"day": "%{x|%Y-%m-%d}", "hour": "%{x|%Y-%m-%d %H:00} UTC"}


def period_of(frame: pd.DataFrame) -> str:
    """'hour' for a frame of hourly points (its periods in an `hour` column), else 'day'."""
    return "hour" if "hour" in frame.columns else "day"


def day_axis(days: pd.Series) -> dict:
    """A date axis with one tick per day; a few days are padded so a lone day's bar does not fill the chart."""
    axis = {"type": "date", "tickformat": "%Y-%m-%d", "title": "UTC day"}
    first, last = pd.Timestamp(days.min()), pd.Timestamp(days.max())
    if last - first <= pd.Timedelta(days=14):
        # Padding under a day keeps the only ticks on days with data (none in the corner by the y axis's 0).
        pad = pd.Timedelta(hours=15)
        axis.update(dtick=DAY_MS, range=[first - pad, last + pad])
    return axis


def period_axis(periods: pd.Series, period: str = "day") -> dict:
    """The date axis of a chart of days (`day_axis`) or of hours: hour ticks, padded by under an hour
    so that a few hours' bars do not fill the chart."""
    if period == "day":
        return day_axis(periods)
    first, last = pd.Timestamp(periods.min()), pd.Timestamp(periods.max())
    pad = pd.Timedelta(minutes=40)
    return {
        "type": "date",
        "title": "UTC hour",
        "tickformat": "%H:%M\n%Y-%m-%d",
        "range": [first - pad, last + pad],
    }


def _period_keys(frame: pd.DataFrame, *extra: str):
    """Per point: its period's start and end as ISO times (and `extra` columns as text), what a
    drill-down gets back to list the events of that hour or day."""
    period = period_of(frame)
    start = pd.to_datetime(frame[period])
    keys = pd.DataFrame(
        {"start": start.dt.strftime("%Y-%m-%dT%H:%M:%S"),
         "end": (start + PERIOD_STEP[period]).dt.strftime("%Y-%m-%dT%H:%M:%S")}, index=frame.index
    )  # fmt: skip
    for column in extra:
        keys[column] = frame[column].astype(str)
    return keys.astype(str).to_numpy()


def series_traces(
    group, period: str, column: str, name: str, color, customdata, hover: str, step: str | None = None
) -> list:
    """One series as a solid line through its whole periods and, for periods not stored whole (see
    `partial_days`; `step` names them, by default `period`), dashed segments from the neighbouring
    whole points to hollow markers labelled "partial"."""
    step = step or period
    order = pd.to_datetime(group[period]).argsort(kind="stable").to_numpy()
    group = group.iloc[order]
    customdata = customdata[order] if customdata is not None else None
    partial = partial_days(group)
    positions = range(len(group))
    whole = [i for i in positions if not partial[i]]
    traces = [
        go.Scatter(x=group[period].iloc[whole], y=group[column].iloc[whole],
                   mode="lines+markers" if len(group) <= 60 else "lines", marker={"size": 5}, name=name,
                   line={"color": color}, customdata=customdata[whole] if customdata is not None else None,
                   hovertemplate=f"{hover}<extra>%{{fullData.name}}</extra>")
    ]  # fmt: skip
    if any(partial):
        # The partial points and their whole neighbours, in order; a break (no y) between separate runs.
        near = [
            i
            for i in positions
            if partial[i] or (i > 0 and partial[i - 1]) or (i + 1 < len(group) and partial[i + 1])
        ]
        points = []  # (row, y, text, marker size)
        for k, i in enumerate(near):
            if k and i != near[k - 1] + 1:
                points.append((i, None, "", 0))
            points.append(
                (i, group[column].iloc[i], PARTIAL_LABEL if partial[i] else "", 8 if partial[i] else 0)
            )
        rows = [p[0] for p in points]
        xs, ys = group[period].iloc[rows], [p[1] for p in points]
        texts, sizes = [p[2] for p in points], [p[3] for p in points]
        traces.append(
            go.Scatter(x=xs, y=ys, mode="lines+markers+text", marker={"size": sizes, "symbol": "circle-open",
                       "color": color}, line={"color": color, "dash": "dash"}, text=texts,
                       textposition="top center", name=f"{name} (partial {step})", showlegend=False,
                       customdata=customdata[rows] if customdata is not None else None,
                       hovertemplate=f"{hover}{partial_hover(step)}<extra>%{{fullData.name}}</extra>")
        )  # fmt: skip
    return traces


def _count_axis(title: str, largest: float) -> dict:
    """Whole-number ticks for counts (no "2.5 registrations")."""
    return {
        "title": title,
        "rangemode": "tozero",
        "dtick": max(1, int(largest // 8) + 1) if largest < 80 else None,
    }


def subnet_color(netuid: int) -> str:
    """The same colour for a subnet on every chart of the page."""
    from plotly.colors import qualitative

    return qualitative.Plotly[int(netuid) % len(qualitative.Plotly)]


def no_data_figure(title: str, message: str) -> go.Figure:
    """An empty chart that says why it is empty, instead of blank axes."""
    figure = _layout(go.Figure(), title, xaxis={"visible": False}, yaxis={"visible": False})
    figure.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"color": "#6b7280"}
    )
    return figure


def daily_bar_figure(
    frame: pd.DataFrame, column: str, title: str, y_title: str, color: str = TAO_COLOR
) -> go.Figure:
    """One measure per day, or per hour (the frame's `day` or `hour` column), as bars: an hour of data
    still shows as a visible bar, unlike a line.

    With a `complete` column, a period not stored whole is drawn hatched and labelled "partial", so its
    lower total does not read as a drop."""
    if frame.empty:
        return no_data_figure(title, "No data in the selected range")
    period = period_of(frame)
    partial = partial_days(frame)
    figure = go.Figure(
        go.Bar(x=frame[period], y=frame[column], marker_color=color, name=y_title, width=0.8 * PERIOD_MS[period],
               marker_pattern_shape=["/" if p else "" for p in partial],
               text=[PARTIAL_LABEL if p else "" for p in partial], textposition="outside",
               customdata=_period_keys(frame),
               hovertemplate=[f"{_PERIOD_HOVER[period]}<br>%{{y:,.4~f}}{partial_hover(period) if p else ''}"
                              "<extra></extra>" for p in partial])
    )  # fmt: skip
    return _layout(figure, title, yaxis={"title": y_title}, xaxis=period_axis(frame[period], period))


PARTIAL_LABEL = "partial"
PARTIAL_HOVER = "<br>partial day: not every block of it is stored yet"


def partial_hover(period: str = "day") -> str:
    """What a partial point's hover adds: the period is not stored whole."""
    return f"<br>partial {period}: not every block of it is stored yet"


def partial_days(frame: pd.DataFrame) -> list[bool]:
    """Per row, whether the day is partial: `complete` is false or unknown (no column: none is)."""
    if "complete" not in frame:
        return [False] * len(frame)
    return [bool(pd.isna(value)) or not bool(value) for value in frame["complete"]]


def ranked_bar_figure(
    frame: pd.DataFrame,
    value: str,
    label: str,
    title: str,
    x_title: str,
    color: str = TAO_COLOR,
    top: int = 25,
) -> go.Figure:
    """The `top` largest rows as horizontal bars, largest at the top; the rest summed into one bar."""
    if frame.empty:
        return no_data_figure(title, "No data in the warehouse yet")
    ranked = frame.sort_values(value, ascending=False)
    shown = ranked.head(top)
    labels, values = [_short(str(v)) for v in shown[label]], shown[value].tolist()
    if len(ranked) > top:
        labels.append(f"{len(ranked) - top} others")
        values.append(float(ranked[value].iloc[top:].sum()))
    keys = [str(v) for v in shown[label]] + ([""] if len(ranked) > top else [])
    figure = go.Figure(
        go.Bar(x=values[::-1], y=labels[::-1], orientation="h", marker_color=color,
               customdata=[[k] for k in keys[::-1]], hovertemplate="%{y}<br>%{x:,.0f}<extra></extra>")
    )  # fmt: skip
    return _layout(
        figure,
        title,
        xaxis={"title": x_title},
        yaxis={"automargin": True},
        height=max(360, 22 * len(labels) + 120),
    )


def _short(text: str, keep: int = 10) -> str:
    """`saharavaloper1abc…xyz`: long addresses shortened so axis labels stay readable."""
    return text if len(text) <= 2 * keep + 1 else f"{text[: keep + 4]}…{text[-keep // 2 :]}"


# ------------------------------------------------------------------------------------------ milestones

MILESTONE_COLOR = "#7c3aed"
#: Milestones closer than this share of the chart's width share one marker (their labels would overlap).
MILESTONE_MERGE_SHARE = 0.02
#: Longer labels are cut on the chart; the hover has them whole.
MILESTONE_LABEL_CHARS = 28


def x_extent(figure: go.Figure) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The time span a chart on a date axis covers: from its first point to the end of its last
    period (an hour, or a day when every point is at midnight); (None, None) without dated points."""
    values = [v for trace in figure.data if getattr(trace, "x", None) is not None for v in trace.x]
    if not values or any(isinstance(v, numbers.Number) for v in values):
        return None, None  # no points, or not a date axis
    try:
        times = pd.to_datetime(pd.Series(values))
    except (TypeError, ValueError):
        return None, None  # not a date axis
    times = times.dropna()
    if times.empty:
        return None, None
    daily = bool((times == times.dt.normalize()).all())
    return times.min(), times.max() + (pd.Timedelta(days=1) if daily else pd.Timedelta(hours=1))


def _milestone_when(row) -> str:
    at, resolution = pd.Timestamp(row["occurred_at"]), row["resolution"]
    if resolution == "block":
        return f"{at:%Y-%m-%d %H:%M:%S} UTC, block {int(row['block_number']):,}"
    if resolution == "month":
        return f"{at:%Y-%m} (the month; drawn at its first day)"
    if resolution == "quarter":
        return f"{at.year}-Q{(at.month - 1) // 3 + 1} (the quarter; drawn at its first day)"
    return f"{at:%Y-%m-%d}"


def _milestone_hover(row) -> str:
    source = html_text.escape(str(row["source_title"]))
    lines = [
        f"<b>{html_text.escape(str(row['label']))}</b>",
        html_text.escape(str(row["detail"])),
        f"when: {_milestone_when(row)}",
        f"source: {source}",
    ]
    if isinstance(row.get("source_url"), str) and row["source_url"]:
        lines.append(html_text.escape(row["source_url"]))
    return "<br>".join(lines)


def _milestone_label(row) -> str:
    label = str(row["label"])
    if len(label) > MILESTONE_LABEL_CHARS:
        label = label[: MILESTONE_LABEL_CHARS - 1].rstrip() + "…"
    text = html_text.escape(label)
    url = row.get("source_url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        # The label links to the fact's source; on-chain milestones have none.
        return f'<a href="{html_text.escape(url)}" target="_blank">{text}</a>'
    return text


def add_milestones(figure: go.Figure, milestones: pd.DataFrame) -> go.Figure:
    """Mark on a time-series chart every milestone (rows of `queries.milestones`) inside its span
    (`x_extent`): a dotted vertical line and a label at the top, whose hover says what happened, when
    and the source (a fact's label links to its source). Milestones outside the span are not drawn;
    ones closer than `MILESTONE_MERGE_SHARE` of the span share one marker."""
    lo, hi = x_extent(figure)
    if lo is None or milestones.empty:
        return figure
    inside = milestones[(milestones["occurred_at"] >= lo) & (milestones["occurred_at"] < hi)]
    inside = inside.sort_values(["occurred_at", "milestone_id"])
    groups: list[list[dict]] = []
    for row in inside.to_dict("records"):
        if groups and row["occurred_at"] - groups[-1][0]["occurred_at"] < MILESTONE_MERGE_SHARE * (hi - lo):
            groups[-1].append(row)
        else:
            groups.append([row])
    for group in groups:
        at = group[0]["occurred_at"]
        ids = " ".join(str(r["milestone_id"]) for r in group)
        figure.add_shape(
            type="line",
            x0=at,
            x1=at,
            y0=0,
            y1=1,
            yref="paper",
            layer="above",
            line={"dash": "dot", "color": MILESTONE_COLOR, "width": 1.5},
            name=f"milestone {ids}",
        )
        figure.add_annotation(x=at, y=1, yref="paper", yanchor="bottom", xanchor="left", showarrow=False,
                              text=" · ".join(_milestone_label(r) for r in group),
                              hovertext="<br><br>".join(_milestone_hover(r) for r in group),
                              font={"color": MILESTONE_COLOR, "size": 11}, name=f"milestone {ids}")  # fmt: skip
    if groups:
        figure.update_layout(margin={"t": 80})
    return figure


# ------------------------------------------------------------------------------------------ Bittensor


def emission_figure(frame: pd.DataFrame, _halving: pd.Timestamp | None = None) -> go.Figure:
    """TAO emitted per day, or per hour on a short range. The halving is a milestone, marked like the
    others where the chain's stored blocks show it (`add_milestones`); the second argument is accepted
    for callers that still pass the halving's date, and not used."""
    period = period_of(frame)
    title = f"TAO emission per {period}"
    if frame.empty:
        return no_data_figure(title, "No Bittensor emission in the warehouse yet")
    return daily_bar_figure(frame, "emission_tao", title, f"TAO per {period}")


def incentive_lorenz_figure(incentives: pd.DataFrame, netuid: int | None) -> go.Figure:
    """Lorenz curve of the miners' incentive in one subnet, with its Gini in the title."""
    from warehouse import metrics

    title = f"Incentive distribution, subnet {netuid}"
    curve = metrics.lorenz_curve(incentives["incentive"].tolist()) if not incentives.empty else []
    if not curve:
        return no_data_figure(title, "No miner of this subnet earns incentive yet")
    gini = metrics.gini(incentives["incentive"].tolist())
    xs, ys = zip(*curve, strict=True)
    figure = go.Figure(
        [
            go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Equal incentive",
                       line={"dash": "dot", "color": "#9ca3af"}),
            go.Scatter(x=xs, y=ys, mode="lines", name=f"Subnet {netuid} miners", line={"color": TAO_COLOR},
                       fill="tonexty", fillcolor="rgba(31, 41, 55, 0.08)"),
        ]
    )  # fmt: skip
    return _layout(
        figure,
        f"{title} — {len(incentives)} miners, Gini {gini:.2f}",
        xaxis={"title": "share of miners, least incentive first (%)", "tickformat": ".0%"},
        yaxis={"title": "share of incentive (%)", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.2},
    )


def _partial_marks(figure: go.Figure, frame: pd.DataFrame, period: str) -> go.Figure:
    """Above each period not stored whole (stacked bars of several traces), the word "partial"."""
    for at in frame.loc[partial_days(frame), period].drop_duplicates():
        figure.add_annotation(x=at, y=1, yref="paper", yanchor="bottom", text=PARTIAL_LABEL, showarrow=False,
                              font={"color": "#6b7280", "size": 11})  # fmt: skip
    return figure


def _subnet_bars(frame: pd.DataFrame, period: str, values, what: str) -> list[dict]:
    """A bar trace per subnet of `frame` (its `netuid`, by netuid) of `values` (one per row), a period
    not stored whole hatched, each point's drill-down keys and hover (`what` after the period).

    Plain dicts of whole-frame columns sliced per subnet: the figure validates each trace once, where a
    `go.Bar` per subnet is validated, then copied into the figure (128 subnets at 10M events)."""
    partial = partial_days(frame)
    periods = frame[period].to_numpy()
    keys = _period_keys(frame, "netuid")
    width = 0.8 * PERIOD_MS[period]
    traces = []
    for netuid, rows in sorted(frame.groupby("netuid").indices.items()):
        hover = f"subnet {netuid}<br>{_PERIOD_HOVER[period]}<br>{what}"
        marks = [partial[i] for i in rows]
        traces.append(
            {"type": "bar", "x": periods[rows], "y": _rows_of(values, rows), "name": f"subnet {netuid}",
             "marker": {"color": subnet_color(netuid), "pattern": {"shape": ["/" if p else "" for p in marks]}},
             "width": width, "customdata": keys[rows],
             "hovertemplate": [f"{hover}{partial_hover(period) if p else ''}<extra></extra>" for p in marks]}
        )  # fmt: skip
    return traces


def _rows_of(values, rows):
    """The values at positions `rows`: a numpy slice of an array (plotly sends it as a typed array), a
    list of a list."""
    return values[rows] if hasattr(values, "dtype") else [values[i] for i in rows]


def registrations_figure(frame: pd.DataFrame) -> go.Figure:
    """Neuron registrations per day, or per hour on a short range, stacked by subnet; a period not
    stored whole is hatched and marked "partial"."""
    period = period_of(frame)
    title = f"Registrations per {period} (NeuronRegistered)"
    if frame.empty:
        return no_data_figure(title, "No registrations in the selected range")
    traces = _subnet_bars(frame, period, frame["registrations"].to_numpy(), "%{y} registrations")
    largest = frame.groupby(period)["registrations"].sum().max()
    figure = _layout(
        go.Figure(traces), title, barmode="stack", yaxis=_count_axis(f"registrations (count per {period})", largest),
        xaxis=period_axis(frame[period], period), legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return _partial_marks(figure, frame, period)


def stake_flow_figure(frame: pd.DataFrame, netuid: int | None = None) -> go.Figure:
    """Net stake flow per day (or per hour on a short range) and subnet in TAO terms (added - removed
    + moved in - moved out), a bar per subnet stacked above or below zero. A period not stored whole
    is hatched and marked "partial"."""
    period = period_of(frame)
    title = f"Net stake flow per {period} (TAO)" + (f", subnet {netuid}" if netuid is not None else "")
    if frame.empty:
        return no_data_figure(title, "No stake added, removed or moved in the selected range")
    flows = [float(v) for v in frame["net_flow_tao"]]
    traces = _subnet_bars(frame, period, flows, "%{y:,.4~f} TAO")
    figure = _layout(
        go.Figure(traces), title, barmode="relative", xaxis=period_axis(frame[period], period),
        yaxis={"title": f"net stake flow (TAO per {period})", "zeroline": True},
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return _partial_marks(figure, frame, period)


def stake_distribution_figure(frame: pd.DataFrame) -> go.Figure:
    """Every validator's stake, ranked, coloured by subnet (log scale: stakes span orders of magnitude)."""
    title = "Validator stake, ranked"
    if frame.empty:
        return no_data_figure(title, "No Bittensor validators in the warehouse yet")
    ranked = frame.sort_values("stake_tao", ascending=False).reset_index(drop=True)
    ranked["rank"] = ranked.index + 1
    ranks, stakes = ranked["rank"].to_numpy(), ranked["stake_tao"].to_numpy()
    custom = ranked[["validator_id", "netuid", "address"]].astype(str).to_numpy()
    # A trace per subnet (128 at 10M events) as plain dicts of numpy slices: the figure validates each
    # once, where `go.Bar` objects of pandas columns cost four times as much (validated, then copied).
    figure = go.Figure(
        [
            {"type": "bar", "x": ranks[rows], "y": stakes[rows], "name": f"subnet {netuid}",
             "marker": {"color": subnet_color(netuid)}, "customdata": custom[rows],
             "hovertemplate": "#%{x} %{customdata[2]}<br>%{y:,.0f} TAO"}
            for netuid, rows in sorted(ranked.groupby("netuid").indices.items())
        ]
    )  # fmt: skip
    return _layout(
        figure, f"{title} — {len(ranked)} validators, {ranked['stake_tao'].sum():,.0f} TAO",
        barmode="overlay", bargap=0.1, xaxis={"title": "rank (1 = largest stake)"}, yaxis={"title": "stake (TAO)", "type": "log"},
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


# --------------------------------------------------------------------------------------------- Sahara


def funnel_figure(funnel: pd.DataFrame) -> go.Figure:
    """Annotations submitted -> reviewed -> accepted, with the share kept at each step."""
    title = "Annotation funnel"
    if funnel.empty or not funnel["annotations"].iloc[0]:
        return no_data_figure(title, "No annotations submitted in the selected range")
    figure = go.Figure(
        go.Funnel(y=[s.capitalize() for s in funnel["stage"]], x=funnel["annotations"],
                  textinfo="value+percent initial", marker={"color": SAHARA_COLOR})
    )  # fmt: skip
    return _layout(figure, title)


def contributors_figure(frame: pd.DataFrame) -> go.Figure:
    """Contributors seen so far (cumulative, line) and new ones per day, or per hour on a short range
    (bars); a period not stored whole is hatched and marked "partial"."""
    title = "Contributors over time"
    if frame.empty:
        return no_data_figure(title, "No new contributors in the selected range")
    period = period_of(frame)
    partial = partial_days(frame)
    figure = go.Figure(
        [
            go.Bar(x=frame[period], y=frame["new_contributors"], name=f"new that {period}",
                   width=0.8 * PERIOD_MS[period], marker_color="rgba(228, 87, 46, 0.35)",
                   marker_pattern_shape=["/" if p else "" for p in partial], customdata=_period_keys(frame),
                   hovertemplate=[f"{_PERIOD_HOVER[period]}<br>%{{y}} new{partial_hover(period) if p else ''}"
                                  "<extra></extra>" for p in partial]),
            go.Scatter(x=frame[period], y=frame["contributors"], name="total", mode="lines+markers",
                       line={"color": SAHARA_COLOR}, customdata=_period_keys(frame)),
        ]
    )  # fmt: skip
    figure = _layout(
        figure, title, yaxis=_count_axis("contributors (count)", frame["contributors"].max()),
        xaxis=period_axis(frame[period], period), legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return _partial_marks(figure, frame, period)


def reputation_figure(frame: pd.DataFrame) -> go.Figure:
    title = "Contributors per reputation tier"
    if frame.empty:
        return no_data_figure(title, "No reputation tokens minted in the warehouse yet")
    figure = go.Figure(
        go.Bar(x=[f"tier {t}" for t in frame["reputation_tier"]], y=frame["contributors"],
               marker_color=SAHARA_COLOR, text=frame["contributors"], textposition="outside")
    )  # fmt: skip
    return _layout(
        figure, title, yaxis=_count_axis("contributors (count)", frame["contributors"].max() * 1.15),
        xaxis={"title": "reputation tier (1 lowest, 5 highest)"},
    )  # fmt: skip


def marketplace_figure(frame: pd.DataFrame) -> go.Figure:
    """Licence sales and the revenue shared out per day, or per hour on a short range (SAHARA), with
    the licence count on the bars; a period not stored whole is hatched and marked "partial"."""
    title = "Marketplace: licences and revenue"
    if frame.empty:
        return no_data_figure(title, "No licence purchases in the selected range")
    period = period_of(frame)
    width, keys = PERIOD_MS[period], _period_keys(frame)
    hatch = ["/" if p else "" for p in partial_days(frame)]
    figure = go.Figure(
        [
            go.Bar(x=frame[period], y=frame["license_sales_sahara"], name="licence sales", width=0.4 * width,
                   offset=-0.4 * width, marker_color=SAHARA_COLOR, marker_pattern_shape=hatch,
                   text=[f"{n} licences" for n in frame["licenses"]], textposition="outside", customdata=keys),
            go.Bar(x=frame[period], y=frame["revenue_shared_sahara"], name="revenue shared", width=0.4 * width,
                   offset=0, customdata=keys, marker_color="#f2a488", marker_pattern_shape=hatch),
        ]
    )  # fmt: skip
    figure = _layout(
        figure, title, barmode="group", yaxis={"title": f"SAHARA per {period}"},
        xaxis=period_axis(frame[period], period), legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    return _partial_marks(figure, frame, period)


# ------------------------------------------------------------------------------------------- overview


def rebased_figure(
    frame: pd.DataFrame,
    key: str,
    period: str,
    title: str,
    labels: dict[str, str],
    colors: dict[str, str],
    log_scale: bool = True,
    hover_value: str = "",
    customdata: tuple[str, ...] = (),
    step: str | None = None,
) -> go.Figure:
    """Series rebased to 100 at the start of the range (`index` column), one line per `key`, so that
    networks 40x apart in size compare by their moves; the raw value is in the hover. With a
    `complete` column, a period (`step`: 'hour' or 'day', by default what `period` is named) not
    stored whole is drawn dashed, hollow and labelled "partial"."""
    if frame.empty:
        return no_data_figure(title, "No data in the selected range")
    figure = go.Figure()
    hover = f"%{{x|%Y-%m-%d %H:%M}}<br>index %{{y:.1f}}{hover_value}"
    for name, group in frame.groupby(key, sort=True):
        figure.add_traces(
            series_traces(
                group, period, "index", labels.get(name, name), colors.get(name),
                group[list(customdata)].astype(str).to_numpy() if customdata else None, hover,
                step=step or ("hour" if period == "hour" else "day"),
            )
        )  # fmt: skip
    figure.add_hline(y=100, line={"dash": "dot", "color": "#9ca3af", "width": 1})
    return _layout(
        figure,
        title,
        yaxis={"type": "log" if log_scale else "linear", "title": "index (start of range = 100)"},
        xaxis={"title": "UTC time"},
        legend={"orientation": "h", "y": -0.15},
        hovermode="closest",
    )
