"""Competitive vs cooperative (`/compare`): how each network shares its rewards."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboards import figures, queries
from dashboards.app import warehouse_url
from dashboards.components import data_table, empty_state
from warehouse import metrics


def layout(**_query) -> html.Div:
    url = warehouse_url()
    daily = queries.ecosystem_daily(url)
    if daily.empty:
        return empty_state("chain data for the comparison")
    start, end = daily["day"].min(), daily["day"].max() + pd.Timedelta(days=1)
    curves = {}
    for chain in ("bittensor", "sahara"):
        rewards = queries.rewards_per_participant(url, chain, start, end)
        curves[chain] = metrics.lorenz_curve(rewards["reward"].tolist()) if not rewards.empty else []
    latest = queries.latest_by_chain(daily)
    return html.Div(
        [
            html.H2("Competitive vs cooperative"),
            html.P(
                "Bittensor pays miners by how well validators score them, so rewards concentrate; Sahara pays "
                "every accepted annotation, so rewards spread. The curves and measures below are computed from "
                "the on-chain events in the warehouse."
            ),
            data_table(
                "head-to-head-table",
                pd.DataFrame(metrics.head_to_head(latest))[["aspect", "bittensor", "sahara"]],
                page_size=20,
            ),
            dcc.Graph(id="lorenz-chart", figure=figures.lorenz_figure(curves)),
            dcc.Graph(
                id="top10-chart",
                figure=figures.daily_comparison_figure(
                    daily, "top10_share", "Top-10% share of rewards", percent=True
                ),
            ),
            dcc.Graph(
                id="share-earning-chart",
                figure=figures.daily_comparison_figure(
                    daily, "share_earning", "Share of participants earning anything", percent=True
                ),
            ),
            dcc.Graph(
                id="rewards-per-participant-chart",
                figure=figures.daily_comparison_figure(
                    daily, "rewards_per_participant_usd", "Rewards per participant (USD per day)"
                ),
            ),
            html.H3("ecosystem_daily"),
            data_table("ecosystem-daily-table", daily),
        ]
    )


def register_callbacks(app) -> None:
    """The page is static for now; filters arrive with the dashboard issue."""


PAGE = {
    "path": "/compare",
    "name": "Competitive vs cooperative",
    "title": "DecAI Compare — Competitive vs cooperative",
    "layout": layout,
    "order": 30,
}
