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
