"""Data quality (`/quality`): freshness per source, latest suite results, quarantined rows, Data Docs.

Controls: chain (Bittensor: subtensor and TAO quotes; Sahara: CometBFT, EVM and SAHARA quotes),
kept in the URL; quarantined market rows are shown with either chain.
"""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, dcc, html

from dashboards import charts, controls, queries
from dashboards.app import warehouse_url
from dashboards.charts import Panel
from dashboards.components import data_table, empty_state
from dashboards.state import View

FEATURES = ("chain",)
#: chain -> (its ingest sources, its coin's stream at CoinGecko)
CHAIN_SOURCES = {"bittensor": (("subtensor",), "bittensor"), "sahara": (("cometbft", "evm"), "sahara-ai")}
ALL_SOURCES = ("subtensor", "cometbft", "evm", "coingecko")


def for_chain(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    """The rows of source/stream-keyed results that belong to the chosen chain."""
    if view.chain == "both" or frame.empty:
        return frame
    sources, coin = CHAIN_SOURCES[view.chain]
    keep = frame["source"].isin(sources) | ((frame["source"] == "coingecko") & (frame["stream"] == coin))
    return frame[keep].reset_index(drop=True)


def quarantine_for_chain(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    if view.chain == "both" or frame.empty:
        return frame
    sources, _ = CHAIN_SOURCES[view.chain]
    return frame[frame["source"].isin((*sources, "coingecko"))].reset_index(drop=True)


def freshness_frame(url: str, view: View) -> pd.DataFrame:
    fresh = for_chain(queries.cached_freshness(url), view)
    return fresh.reindex(columns=["source", "stream", "position", "last_data_at", "lag_hours"])


def results_frame(url: str, view: View) -> pd.DataFrame:
    return for_chain(queries.latest_dq_results(url), view)


def rules_frame(url: str, view: View) -> pd.DataFrame:
    return quarantine_for_chain(queries.quarantine_by_rule(url), view)


def _table(table_id: str):
    return lambda frame, view: data_table(table_id, frame)


PANELS = [
    Panel("freshness", "Freshness", freshness_frame, _table("freshness-table"), ALL_SOURCES,
          inputs=("chain",), kind="html"),
    Panel("dq-results", "Latest result per suite", results_frame, _table("dq-results-table"), ALL_SOURCES,
          inputs=("chain",), kind="html"),
    Panel("quarantine-rules", "Quarantined rows by rule", rules_frame, _table("quarantine-rules-table"),
          ALL_SOURCES, inputs=("chain",), kind="html"),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def layout(**query) -> html.Div:
    url = warehouse_url()
    with queries.session(url):
        return _layout(url, query)


def _layout(url: str, query: dict) -> html.Div:
    fresh = queries.cached_freshness(url)
    if fresh.empty:
        return empty_state("ingested data, so nothing has been validated")
    view, notices, extent = controls.page_view(url, query)
    sources = sorted(queries.quarantine_by_rule(url)["source"].unique())
    return html.Div(
        [
            html.H2("Data quality"),
            html.P(
                [
                    "Every batch is validated by a Great Expectations suite before it is stored; rows that fail "
                    "are set aside with the reason. ",
                    html.A("Open the Data Docs", href="/data-docs/", target="_blank", id="data-docs-link"),
                    " for every expectation and every run.",
                ]
            ),
            controls.bar("/quality", view, notices, FEATURES, extent),
            html.H3("Freshness"),
            charts.card(PANEL["freshness"], fresh, wide=True),
            html.H3("Latest result per suite"),
            charts.card(PANEL["dq-results"], fresh, wide=True),
            html.H3("Quarantined rows by rule"),
            charts.card(PANEL["quarantine-rules"], fresh, wide=True),
            html.H3("Quarantined rows"),
            dcc.Dropdown(
                id="quarantine-source",
                options=[{"label": s, "value": s} for s in sources],
                placeholder="all sources",
                clearable=True,
            ),
            dcc.Loading(html.Div(id="quarantine-rows")),
        ]
    )


def quarantined_rows_frame(url: str, source: str | None, chain: str | None) -> pd.DataFrame:
    view = controls.view_from_values(None, None, None, chain, None, None)
    return quarantine_for_chain(queries.quarantined_rows(url, source), view)


def quarantined_table(frame: pd.DataFrame):
    if frame.empty:
        return html.P("Nothing quarantined.", id="no-quarantine")
    return data_table("quarantine-table", frame)


def show_quarantined_rows(source: str | None, chain: str | None = None):
    return quarantined_table(quarantined_rows_frame(warehouse_url(), source, chain))


def register_callbacks(app) -> None:
    charts.register(app, PANELS)
    app.callback(
        Output("quarantine-rows", "children"),
        Input("quarantine-source", "value"),
        Input("chain-filter", "value"),
    )(show_quarantined_rows)


PAGE = {
    "path": "/quality",
    "name": "Data quality",
    "title": "DecAI Compare — Data quality",
    "layout": layout,
    "order": 90,
}
