"""Competitive vs cooperative (`/compare`): how each network shares its rewards.

Controls: date range (the window the Lorenz curves sum rewards over, and the daily charts) and
chain; both kept in the URL. The head-to-head table is on the overview page. Below the reward
measures, the "fundamentals" section sets both chains side by side on `network_daily`.
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboards import charts, controls, drill, figures, queries, series
from dashboards.charts import Panel
from dashboards.components import data_table, empty_state
from dashboards.state import View
from warehouse import metrics

FEATURES = ("range", "chain")


def rewards_frame(url: str, view: View) -> pd.DataFrame:
    """Rewards per participant over the range, one row per (chain, participant)."""
    frames = [
        queries.rewards_per_participant(url, chain, view.start_at, view.end_at).assign(chain=chain)
        for chain in view.chains()
    ]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return frame.reindex(columns=["chain", "participant", "reward"])


def lorenz_figure(frame: pd.DataFrame, view: View):
    curves = {
        chain: metrics.lorenz_curve(frame.loc[frame["chain"] == chain, "reward"].tolist())
        for chain in view.chains()
    }
    figure = figures.lorenz_figure(curves)
    figure.update_layout(title_text=f"Who gets the rewards (Lorenz curve), {view.start} to {view.end}")
    if not any(curves.values()):
        figure.add_annotation(text="No rewards in the selected range", x=0.5, y=0.5, xref="paper", yref="paper",
                              showarrow=False, font={"color": "#6b7280"})  # fmt: skip
    return figure


def daily_frame(url: str, view: View) -> pd.DataFrame:
    return queries.ecosystem_daily(url, view.start_at, view.end_at, chains=view.chains())


def _daily(column: str, title: str, percent: bool = False):
    def render(frame: pd.DataFrame, view: View):
        period = series.period_column(frame)
        return figures.daily_comparison_figure(frame, column, f"{title}, per {period}", percent=percent)

    return render


def _measure(column: str):
    """One measure per chain and period (`dashboards.series.comparison`: a day from `ecosystem_daily`,
    an hour from staging on a short range), with whether the period is stored whole."""

    def data(url: str, view: View) -> pd.DataFrame:
        frame = series.comparison(url, view)
        period = series.period_column(frame)
        return frame.reindex(columns=["chain", period, "complete", column])

    return data


def network_frame(url: str, view: View) -> pd.DataFrame:
    """Network fundamentals over the range: one row per chain, network and day (`network_daily`)."""
    return queries.network_daily(url, view.start_at, view.end_at, chains=view.chains())


def _network(column: str, title: str, percent: bool = False):
    def data(url: str, view: View) -> pd.DataFrame:
        frame = network_frame(url, view)
        return frame.reindex(columns=["chain", "network", "day", "complete", "native_unit", column])

    def render(frame: pd.DataFrame, view: View):
        return figures.network_figure(frame, column, f"{title}, per day", percent=percent)

    return data, render


CHAINS = ("subtensor", "evm")
#: The sources of the fundamentals: both chains' blocks, the ERC-20's logs, the quotes that price them.
NETWORK_SOURCES = ("subtensor", "cometbft", "evm", "coingecko")
#: (panel id, column, title, percent)
FUNDAMENTALS = (
    ("fundamentals-transactions", "transactions", "Transactions", False),
    ("fundamentals-active-accounts", "active_accounts", "Active accounts", False),
    ("fundamentals-transfer-volume", "transfer_volume_usd", "Transfer volume (USD)", False),
    ("fundamentals-fees", "fees_usd", "Fees paid (USD)", False),
    ("fundamentals-holders", "holders", "Holders", False),
    ("fundamentals-staking-apy", "staking_apy", "Staking APY", True),
)
#: The time series mark both chains' milestones (of the chains the view shows).
BOTH = ("bittensor", "sahara")
PANELS = [
    Panel("lorenz-chart", "Lorenz curves of rewards", rewards_frame, lorenz_figure, CHAINS,
          inputs=("start", "end", "chain")),
    Panel("top10-chart", "Top-10% share", _measure("top10_share"),
          _daily("top10_share", "Top-10% share of rewards", percent=True), CHAINS,
          inputs=("start", "end", "chain"), drill=drill.chain_day, milestones=BOTH),
    Panel("share-earning-chart", "Share earning", _measure("share_earning"),
          _daily("share_earning", "Share of participants earning anything", percent=True), CHAINS,
          inputs=("start", "end", "chain"), drill=drill.chain_day, milestones=BOTH),
    Panel("rewards-per-participant-chart", "Rewards per participant", _measure("rewards_per_participant_usd"),
          _daily("rewards_per_participant_usd", "Rewards per participant (USD)"), CHAINS,
          inputs=("start", "end", "chain"), drill=drill.chain_day, milestones=BOTH),
    Panel("ecosystem-daily", "ecosystem_daily", daily_frame,
          lambda frame, view: data_table("ecosystem-daily-table", frame), CHAINS,
          inputs=("start", "end", "chain"), kind="html"),
    *(Panel(panel_id, title, *_network(column, title, percent), NETWORK_SOURCES,
            inputs=("start", "end", "chain"), milestones=BOTH)
      for panel_id, column, title, percent in FUNDAMENTALS),
    Panel("network-daily", "network_daily", network_frame,
          lambda frame, view: data_table("network-daily-table", frame), NETWORK_SOURCES,
          inputs=("start", "end", "chain"), kind="html"),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def _layout(url: str, query: dict) -> html.Div:
    view, notices, extent = controls.page_view(url, query)
    if extent[1] is None:
        return empty_state("chain data for the comparison")
    fresh = queries.cached_freshness(url)
    return html.Div(
        [
            html.H2("Competitive vs cooperative"),
            html.P(
                [
                    "Bittensor pays miners by how well validators score them, so rewards concentrate; Sahara "
                    "pays every accepted annotation, so rewards spread. The curves and measures below are "
                    "computed from the on-chain events in the warehouse; the head-to-head table is on the ",
                    dcc.Link("overview", href="/"),
                    ".",
                ]
            ),
            controls.bar("/compare", view, notices, FEATURES, extent),
            charts.card(PANEL["lorenz-chart"], fresh, wide=True),
            html.Div(
                [charts.card(PANEL[p], fresh) for p in ("top10-chart", "share-earning-chart")],
                className="chart-grid",
            ),
            charts.card(PANEL["rewards-per-participant-chart"], fresh, wide=True),
            html.H3("ecosystem_daily"),
            charts.card(PANEL["ecosystem-daily"], fresh, wide=True),
            html.H3("Fundamentals", id="fundamentals"),
            html.P(
                "The two networks through the same fundamentals: transactions, active accounts, transfers, "
                "fees, holders and staking yield, per UTC day, from each chain's own blocks (and the SAHARA "
                "ERC-20's logs on the EVM networks it lives on), in USD at the day's last quote."
            ),
            html.Div([charts.card(PANEL[p], fresh) for p, *_ in FUNDAMENTALS], className="chart-grid"),
            html.H3("network_daily"),
            charts.card(PANEL["network-daily"], fresh, wide=True),
        ]
    )


layout = charts.page_layout(_layout)


def register_callbacks(app) -> None:
    charts.register(app, PANELS)


PAGE = {
    "path": "/compare",
    "name": "Competitive vs cooperative",
    "title": "DecAI Compare — Competitive vs cooperative",
    "layout": layout,
    "order": 30,
}
