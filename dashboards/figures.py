"""Figures: small functions from a DataFrame to a Plotly figure, shared by pages and tests."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.queries import COIN_LABELS

COLORS = {"bittensor": "#1f2937", "sahara-ai": "#e4572e"}


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
        template="plotly_white",
    )
    return figure


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
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def daily_comparison_figure(
    frame: pd.DataFrame, column: str, title: str, percent: bool = False, y_title: str | None = None
) -> go.Figure:
    """One measure of `ecosystem_daily` over time, both chains on one chart; the y axis names the
    measure and its unit from the data dictionary unless `y_title` says otherwise."""
    if frame.empty:
        return no_data_figure(title, "No data in the selected range")
    figure = go.Figure()
    for chain, group in frame.groupby("chain"):
        figure.add_trace(
            go.Scatter(
                x=group["day"],
                y=group[column],
                mode="lines+markers",
                name=CHAIN_LABELS.get(chain, chain).split()[0],
                line={"color": CHAIN_COLORS.get(chain)},
                customdata=_day_keys(group.assign(chain=chain), "chain")[:, ::-1],
            )
        )
    figure.update_layout(
        title=title,
        yaxis={"tickformat": ".0%" if percent else None, "title": y_title or _measure_title(column, percent)},
        xaxis={"tickformat": "%Y-%m-%d", "dtick": 86_400_000, "title": "UTC day"},  # one tick per day
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def _measure_title(column: str, percent: bool) -> str | None:
    """A measure of `ecosystem_daily` as an axis names it: its name and unit from the data dictionary."""
    from dashboards import glossary

    ref = f"ecosystem_daily.{column}"
    try:
        glossary.entry(ref)
    except KeyError:
        return None
    what = column.removesuffix("_usd").removesuffix("_native").replace("_", " ")
    return f"{what} (%)" if percent else glossary.axis_title(ref, what)


# ------------------------------------------------------------------------------- chain pages (shared)

TAO_COLOR, SAHARA_COLOR = COLORS["bittensor"], COLORS["sahara-ai"]


def _layout(figure: go.Figure, title: str, **extra) -> go.Figure:
    figure.update_layout(
        title=title, template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 40}, **extra
    )
    return figure


#: Bars on a date axis are measured in milliseconds; without a width a lone day's bar is 1 ms wide.
DAY_MS = 86_400_000


def day_axis(days: pd.Series) -> dict:
    """A date axis with one tick per day; a few days are padded so a lone day's bar does not fill the chart."""
    axis = {"type": "date", "tickformat": "%Y-%m-%d", "title": "UTC day"}
    first, last = pd.Timestamp(days.min()), pd.Timestamp(days.max())
    if last - first <= pd.Timedelta(days=14):
        # Padding under a day keeps the only ticks on days with data (none in the corner by the y axis's 0).
        pad = pd.Timedelta(hours=15)
        axis.update(dtick=DAY_MS, range=[first - pad, last + pad])
    return axis


def _day_keys(frame: pd.DataFrame, *extra: str):
    """Per point: the day as YYYY-MM-DD (and `extra` columns as text), what a drill-down gets back."""
    keys = frame[["day", *extra]].copy()
    keys["day"] = pd.to_datetime(keys["day"]).dt.strftime("%Y-%m-%d")
    return keys.astype(str).to_numpy()


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
    """One measure per day as bars (an hour of data still shows as a visible bar, unlike a line).

    With a `complete` column, a day not stored whole is drawn hatched and labelled "partial", so its
    lower total does not read as a drop."""
    if frame.empty:
        return no_data_figure(title, "No data in the selected range")
    partial = partial_days(frame)
    figure = go.Figure(
        go.Bar(x=frame["day"], y=frame[column], marker_color=color, name=y_title, width=0.8 * DAY_MS,
               marker_pattern_shape=["/" if p else "" for p in partial],
               text=[PARTIAL_LABEL if p else "" for p in partial], textposition="outside",
               customdata=_day_keys(frame),
               hovertemplate=[f"%{{x|%Y-%m-%d}}<br>%{{y:,.4~f}}{PARTIAL_HOVER if p else ''}<extra></extra>"
                              for p in partial])
    )  # fmt: skip
    return _layout(figure, title, yaxis={"title": y_title}, xaxis=day_axis(frame["day"]))


PARTIAL_LABEL = "partial"
PARTIAL_HOVER = "<br>partial day: not every block of it is stored yet"


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


# ------------------------------------------------------------------------------------------ Bittensor


def emission_figure(frame: pd.DataFrame, halving: pd.Timestamp) -> go.Figure:
    """TAO emitted per day, with the halving drawn where the range includes it, else noted above the chart."""
    title = "TAO emission per day"
    if frame.empty:
        return no_data_figure(title, "No Bittensor emission in the warehouse yet")
    figure = daily_bar_figure(frame, "emission_tao", title, "TAO per day")
    first, last = frame["day"].min(), frame["day"].max()
    if first <= halving <= last:
        # A shape and an annotation rather than add_vline(annotation_text=...), which fails on date axes.
        figure.add_shape(type="line", x0=halving, x1=halving, y0=0, y1=1, yref="paper",
                         line={"dash": "dash", "color": SAHARA_COLOR})  # fmt: skip
        figure.add_annotation(x=halving, y=1, yref="paper", text="halving", showarrow=False, yanchor="bottom",
                              font={"color": SAHARA_COLOR})  # fmt: skip
    else:
        side = "before" if halving < first else "after"
        figure.add_annotation(
            text=f"Halving on {halving:%Y-%m-%d}, {side} the range shown (0.5 TAO per block since then)"
            if side == "before"
            else f"Halving on {halving:%Y-%m-%d}, after the range shown",
            x=0, y=1.02, xref="paper", yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
            font={"color": "#6b7280", "size": 12}, name="halving-note",
        )  # fmt: skip
        figure.update_layout(margin={"t": 70})
    return figure


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


def registrations_figure(frame: pd.DataFrame) -> go.Figure:
    """Neuron registrations per day, stacked by subnet."""
    title = "Registrations per day (NeuronRegistered)"
    if frame.empty:
        return no_data_figure(title, "No registrations in the selected range")
    figure = go.Figure(
        [
            go.Bar(
                x=group["day"],
                y=group["registrations"],
                name=f"subnet {netuid}",
                marker_color=subnet_color(netuid),
                width=0.8 * DAY_MS,
                customdata=_day_keys(group, "netuid"),
            )
            for netuid, group in frame.groupby("netuid")
        ]
    )
    largest = frame.groupby("day")["registrations"].sum().max()
    return _layout(
        figure, title, barmode="stack", yaxis=_count_axis("registrations (count per day)", largest), xaxis=day_axis(frame["day"]),
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


def stake_flow_figure(frame: pd.DataFrame, netuid: int | None = None) -> go.Figure:
    """Net stake flow per day and subnet in TAO terms (added - removed + moved in - moved out), a bar
    per subnet stacked above or below zero. A day not stored whole is hatched and marked "partial"."""
    title = "Net stake flow per day (TAO)" + (f", subnet {netuid}" if netuid is not None else "")
    if frame.empty:
        return no_data_figure(title, "No stake added, removed or moved in the selected range")
    traces = []
    for subnet, group in frame.groupby("netuid"):
        partial = partial_days(group)
        traces.append(
            go.Bar(
                x=group["day"], y=[float(v) for v in group["net_flow_tao"]], name=f"subnet {subnet}",
                marker_color=subnet_color(subnet), width=0.8 * DAY_MS,
                marker_pattern_shape=["/" if p else "" for p in partial],
                customdata=_day_keys(group, "netuid"),
                hovertemplate=[f"subnet {subnet}<br>%{{x|%Y-%m-%d}}<br>%{{y:,.4~f}} TAO"
                               f"{PARTIAL_HOVER if p else ''}<extra></extra>" for p in partial],
            )
        )  # fmt: skip
    figure = _layout(
        go.Figure(traces), title, barmode="relative", xaxis=day_axis(frame["day"]),
        yaxis={"title": "net stake flow (TAO per day)", "zeroline": True},
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip
    days = frame.loc[partial_days(frame), "day"].drop_duplicates()
    for day in days:
        figure.add_annotation(x=day, y=1, yref="paper", yanchor="bottom", text=PARTIAL_LABEL, showarrow=False,
                              font={"color": "#6b7280", "size": 11})  # fmt: skip
    return figure


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
    """Contributors seen so far (cumulative, line) and new ones per day (bars)."""
    title = "Contributors over time"
    if frame.empty:
        return no_data_figure(title, "No new contributors in the selected range")
    figure = go.Figure(
        [
            go.Bar(x=frame["day"], y=frame["new_contributors"], name="new that day", width=0.8 * DAY_MS,
                   marker_color="rgba(228, 87, 46, 0.35)"),
            go.Scatter(x=frame["day"], y=frame["contributors"], name="total", mode="lines+markers",
                       line={"color": SAHARA_COLOR}),
        ]
    )  # fmt: skip
    return _layout(
        figure, title, yaxis=_count_axis("contributors (count)", frame["contributors"].max()), xaxis=day_axis(frame["day"]),
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


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
    """Licence sales and the revenue shared out per day (SAHARA), with the licence count on the bars."""
    title = "Marketplace: licences and revenue"
    if frame.empty:
        return no_data_figure(title, "No licence purchases in the selected range")
    figure = go.Figure(
        [
            go.Bar(x=frame["day"], y=frame["license_sales_sahara"], name="licence sales", width=0.4 * DAY_MS,
                   offset=-0.4 * DAY_MS,
                   marker_color=SAHARA_COLOR, text=[f"{n} licences" for n in frame["licenses"]],
                   textposition="outside", customdata=_day_keys(frame)),
            go.Bar(x=frame["day"], y=frame["revenue_shared_sahara"], name="revenue shared", width=0.4 * DAY_MS,
                   offset=0, customdata=_day_keys(frame),
                   marker_color="#f2a488"),
        ]
    )  # fmt: skip
    return _layout(
        figure, title, barmode="group", yaxis={"title": "SAHARA per day"}, xaxis=day_axis(frame["day"]),
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


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
) -> go.Figure:
    """Series rebased to 100 at the start of the range (`index` column), one line per `key`, so that
    networks 40x apart in size compare by their moves; the raw value is in the hover."""
    if frame.empty:
        return no_data_figure(title, "No data in the selected range")
    figure = go.Figure()
    hover = f"%{{x|%Y-%m-%d %H:%M}}<br>index %{{y:.1f}}{hover_value}"
    for name, group in frame.groupby(key, sort=True):
        partial = pd.Series(partial_days(group), index=group.index) if "complete" in group else None
        whole = group if partial is None else group[~partial]
        figure.add_trace(
            go.Scatter(
                x=whole[period],
                y=whole["index"],
                mode="lines+markers" if len(group) <= 60 else "lines",
                marker={"size": 5},
                name=labels.get(name, name),
                line={"color": colors.get(name)},
                customdata=whole[list(customdata)].astype(str).to_numpy() if customdata else None,
                hovertemplate=f"{hover}<extra>%{{fullData.name}}</extra>",
            )
        )
        if partial is not None and partial.any():
            # Partial days: a dashed segment from the last whole day to hollow markers labelled "partial".
            tail = pd.concat([whole.tail(1), group[partial]])
            figure.add_trace(
                go.Scatter(
                    x=tail[period],
                    y=tail["index"],
                    mode="lines+markers+text",
                    marker={"size": 8, "symbol": "circle-open", "color": colors.get(name)},
                    line={"color": colors.get(name), "dash": "dash"},
                    text=[""] * len(whole.tail(1)) + [PARTIAL_LABEL] * int(partial.sum()),
                    textposition="top center",
                    name=f"{labels.get(name, name)} (partial day)",
                    showlegend=False,
                    customdata=tail[list(customdata)].astype(str).to_numpy() if customdata else None,
                    hovertemplate=f"{hover}{PARTIAL_HOVER}<extra>%{{fullData.name}}</extra>",
                )
            )
    figure.add_hline(y=100, line={"dash": "dot", "color": "#9ca3af", "width": 1})
    return _layout(
        figure,
        title,
        yaxis={"type": "log" if log_scale else "linear", "title": "index (start of range = 100)"},
        xaxis={"title": "UTC time"},
        legend={"orientation": "h", "y": -0.15},
        hovermode="closest",
    )
