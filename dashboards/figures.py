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
        yaxis={"type": "log" if log_scale else "linear", "title": "USD"},
        xaxis={"title": None},
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
        xaxis={"title": "share of participants, least rewarded first", "tickformat": ".0%"},
        yaxis={"title": "share of rewards", "tickformat": ".0%"},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def daily_comparison_figure(frame: pd.DataFrame, column: str, title: str, percent: bool = False) -> go.Figure:
    """One measure of `ecosystem_daily` over time, both chains on one chart."""
    figure = go.Figure()
    for chain, group in frame.groupby("chain"):
        figure.add_trace(
            go.Scatter(
                x=group["day"],
                y=group[column],
                mode="lines+markers",
                name=CHAIN_LABELS.get(chain, chain).split()[0],
                line={"color": CHAIN_COLORS.get(chain)},
            )
        )
    figure.update_layout(
        title=title,
        yaxis={"tickformat": ".0%" if percent else None},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure
