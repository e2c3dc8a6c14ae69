"""Sahara (`/sahara`): the annotation funnel, contributors, rewards, reputation, marketplace, validators.

Controls: date range (funnel, contributors, rewards, marketplace) and as-of date (the validator set
as it stood at the end of that day); both kept in the URL.
"""

from __future__ import annotations

from dash import html

from dashboards import charts, controls, drill, figures, queries, series
from dashboards import entity_queries as eq
from dashboards.charts import Panel
from dashboards.components import data_table, empty_state

FEATURES = ("range", "as_of")
MARKETPLACE_EVENTS = ("Marketplace.LicensePurchased", "Marketplace.RevenueShared")


def _marketplace_table(frame, view):
    return data_table("marketplace-table", frame.assign(day=frame["day"].dt.strftime("%Y-%m-%d")).round(6))


def _validators_table(frame, view):
    return data_table("sahara-validators-table", frame.round({"delegated_sahara": 6, "commission_rate": 4}))


def _contributors_table(frame, view):
    return data_table("contributors-table", frame.round({"rewards_sahara": 6, "acceptance_rate": 4}))


def _voting_power(frame, view):
    title = "Validator voting power" + (f" (as of {view.as_of})" if view.as_of is not None else "")
    return figures.ranked_bar_figure(
        frame, "voting_power", "validator_id", title, "voting power (SAHARA)", color=figures.SAHARA_COLOR
    )


def _rewards(frame, view):
    period = series.period_column(frame)
    return figures.daily_bar_figure(
        frame,
        "rewards_sahara",
        f"Rewards paid per {period} (RewardPaid)",
        "SAHARA",
        color=figures.SAHARA_COLOR,
    )


RANGE = ("start", "end")
#: The page's time series mark Sahara's milestones.
SAHARA = ("sahara",)
PANELS = [
    Panel("funnel-chart", "Annotation funnel",
          lambda url, view: queries.annotation_funnel(url, view.start_at, view.end_at),
          lambda frame, view: figures.funnel_figure(frame), ("evm",)),
    Panel("contributors-chart", "Contributors over time", series.contributors,
          lambda frame, view: figures.contributors_figure(frame), ("evm",), milestones=SAHARA),
    Panel("rewards-chart", "Rewards paid per day", series.sahara_rewards, _rewards, ("evm",),
          drill=drill.day_of("sahara", ("DataServices.RewardPaid",), "Rewards paid"), milestones=SAHARA),
    Panel("reputation-chart", "Reputation tiers", lambda url, view: queries.reputation_tiers(url),
          lambda frame, view: figures.reputation_figure(frame), ("evm",)),
    Panel("marketplace-chart", "Marketplace per day", series.marketplace,
          lambda frame, view: figures.marketplace_figure(frame), ("evm",),
          drill=drill.day_of("sahara", MARKETPLACE_EVENTS, "Marketplace"), milestones=SAHARA),
    Panel("marketplace", "Marketplace per day (table)",
          lambda url, view: queries.marketplace_per_day(url, view.start_at, view.end_at),
          _marketplace_table, ("evm",), kind="html"),
    Panel("contributors", "Top contributors", lambda url, view: eq.top_contributors(url), _contributors_table,
          ("evm",), kind="html"),
    Panel("voting-power-chart", "Validator voting power",
          lambda url, view: queries.sahara_validators(url, view.as_of_at), _voting_power, ("cometbft",),
          inputs=("as_of",), drill=drill.sahara_validator),
    Panel("sahara-validators", "Validators (table)",
          lambda url, view: queries.sahara_validators(url, view.as_of_at), _validators_table, ("cometbft",),
          inputs=("as_of",), kind="html"),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def _has_data(url: str) -> bool:
    return not (
        queries.sahara_validators(url).empty
        and queries.contributors_over_time(url).empty
        and not queries.annotation_funnel(url)["annotations"].any()
    )


def _layout(url: str, query: dict) -> html.Div:
    view, notices, extent = controls.page_view(url, query)
    if extent[1] is None and not _has_data(url):
        return empty_state("Sahara data", element_id="sahara-empty")
    fresh = queries.cached_freshness(url)
    grid = ("funnel-chart", "contributors-chart", "rewards-chart", "reputation-chart")
    return html.Div(
        [
            html.H2("Sahara AI"),
            html.P(
                "Clients post data tasks, contributors annotate, reviewers accept or reject, and every "
                "accepted annotation is paid. Datasets and models are licensed on the marketplace, which "
                "shares the revenue with the people who built them."
            ),
            controls.bar("/sahara", view, notices, FEATURES, extent),
            html.Div(
                [charts.card(PANEL[panel_id], fresh) for panel_id in grid],
                className="chart-grid",
            ),
            charts.card(PANEL["marketplace-chart"], fresh, wide=True),
            html.H3("Marketplace per day"),
            charts.card(PANEL["marketplace"], fresh, wide=True),
            html.H3("Top contributors"),
            html.P(
                "The contributors paid the most over the stored history; an address opens the "
                "contributor's page."
            ),
            charts.card(PANEL["contributors"], fresh, wide=True),
            charts.card(PANEL["voting-power-chart"], fresh, wide=True),
            html.H3("Validators"),
            html.P("An operator address opens the validator's page."),
            charts.card(PANEL["sahara-validators"], fresh, wide=True),
        ]
    )


layout = charts.page_layout(_layout)


def register_callbacks(app) -> None:
    charts.register(app, PANELS)


PAGE = {
    "path": "/sahara",
    "name": "Sahara",
    "title": "DecAI Compare — Sahara",
    "layout": layout,
    "order": 20,
}
