"""Data quality (`/quality`): freshness per source, latest suite results, quarantined rows, Data Docs."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboards import queries
from dashboards.app import warehouse_url
from dashboards.components import data_table, empty_state


def layout(**_query) -> html.Div:
    url = warehouse_url()
    fresh = queries.freshness(url)
    if fresh.empty:
        return empty_state("ingested data, so nothing has been validated")
    results = queries.latest_dq_results(url)
    by_rule = queries.quarantine_by_rule(url)
    sources = sorted(queries.quarantined_rows(url, limit=100000)["source"].unique())
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
            html.H3("Freshness"),
            data_table(
                "freshness-table", fresh[["source", "stream", "position", "last_data_at", "lag_hours"]]
            ),
            html.H3("Latest result per suite"),
            data_table("dq-results-table", results),
            html.H3("Quarantined rows by rule"),
            data_table("quarantine-rules-table", by_rule),
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


def show_quarantined_rows(source: str | None):
    frame = queries.quarantined_rows(warehouse_url(), source)
    if frame.empty:
        return html.P("Nothing quarantined.", id="no-quarantine")
    return data_table("quarantine-table", frame)


def register_callbacks(app) -> None:
    app.callback(Output("quarantine-rows", "children"), Input("quarantine-source", "value"))(
        show_quarantined_rows
    )


PAGE = {
    "path": "/quality",
    "name": "Data quality",
    "title": "DecAI Compare — Data quality",
    "layout": layout,
    "order": 90,
}
