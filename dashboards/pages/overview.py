"""Overview (`/`): both networks' market data side by side."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from dashboards import figures, queries
from dashboards.app import warehouse_url
from dashboards.components import empty_state


def _money(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:,.2f}{unit}"
    return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"


def kpi_cards(latest) -> html.Div:
    cards = []
    for row in latest.to_dict("records"):
        change = row.get("market_cap_change_24h")
        cards.append(
            html.Div(
                [
                    html.H3(queries.COIN_LABELS.get(row["coin_id"], row["coin_id"])),
                    html.Div([html.Span("Market cap "), html.Strong(_money(row["market_cap_usd"]))]),
                    html.Div([html.Span("Price "), html.Strong(_money(row["price_usd"]))]),
                    html.Div([html.Span("24h volume "), html.Strong(_money(row["total_volume_usd"]))]),
                    html.Div(
                        f"24h change {change:+.1%}" if change is not None else "24h change –",
                        className="change",
                    ),
                ],
                className="kpi-card",
                id=f"kpi-{row['coin_id']}",
            )
        )
    return html.Div(cards, className="kpi-row")


def layout(**_query) -> html.Div:
    frame = queries.market_caps(warehouse_url())
    if frame.empty:
        return empty_state("market data")
    as_of = frame["hour"].max()
    return html.Div(
        [
            html.P(f"As of {as_of:%Y-%m-%d %H:%M} UTC", id="as-of"),
            kpi_cards(queries.latest_quotes(frame)),
            dcc.Checklist(
                id="market-cap-log",
                options=[{"label": " log scale", "value": "log"}],
                value=["log"],
                inline=True,
            ),
            dcc.Loading(dcc.Graph(id="market-cap-chart", figure=figures.market_cap_figure(frame))),
        ]
    )


def toggle_log_scale(value: list[str]):
    frame = queries.market_caps(warehouse_url())
    return figures.market_cap_figure(frame, log_scale="log" in (value or []))


def register_callbacks(app) -> None:
    app.callback(
        Output("market-cap-chart", "figure"), Input("market-cap-log", "value"), prevent_initial_call=True
    )(toggle_log_scale)


PAGE = {"path": "/", "name": "Overview", "title": "DecAI Compare — Overview", "layout": layout, "order": 0}
