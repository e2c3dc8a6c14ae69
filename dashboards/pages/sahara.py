"""Sahara (`/sahara`): the annotation funnel, contributors, rewards, reputation, marketplace, validators."""

from __future__ import annotations

from dash import dcc, html

from dashboards import figures, queries
from dashboards.app import warehouse_url
from dashboards.components import data_table, empty_state


def layout(**_query) -> html.Div:
    url = warehouse_url()
    funnel = queries.annotation_funnel(url)
    contributors = queries.contributors_over_time(url)
    validators = queries.sahara_validators(url)
    marketplace = queries.marketplace_per_day(url)
    if not funnel["annotations"].any() and contributors.empty and validators.empty and marketplace.empty:
        return empty_state("Sahara data", element_id="sahara-empty")
    rewards = queries.sahara_rewards_per_day(url)
    return html.Div(
        [
            html.H2("Sahara AI"),
            html.P(
                "Clients post data tasks, contributors annotate, reviewers accept or reject, and every "
                "accepted annotation is paid. Datasets and models are licensed on the marketplace, which "
                "shares the revenue with the people who built them."
            ),
            html.Div(
                [
                    dcc.Graph(id="funnel-chart", figure=figures.funnel_figure(funnel)),
                    dcc.Graph(id="contributors-chart", figure=figures.contributors_figure(contributors)),
                    dcc.Graph(
                        id="rewards-chart",
                        figure=figures.daily_bar_figure(
                            rewards,
                            "rewards_sahara",
                            "Rewards paid per day (RewardPaid)",
                            "SAHARA",
                            color=figures.SAHARA_COLOR,
                        ),  # fmt: skip
                    ),
                    dcc.Graph(
                        id="reputation-chart",
                        figure=figures.reputation_figure(queries.reputation_tiers(url)),
                    ),
                ],
                className="chart-grid",
            ),
            dcc.Graph(id="marketplace-chart", figure=figures.marketplace_figure(marketplace)),
            html.H3("Marketplace per day"),
            data_table(
                "marketplace-table",
                marketplace.assign(day=marketplace["day"].dt.strftime("%Y-%m-%d")).round(6),
            ),
            dcc.Graph(
                id="voting-power-chart",
                figure=figures.ranked_bar_figure(
                    validators,
                    "voting_power",
                    "validator_id",
                    "Validator voting power",
                    "voting power (SAHARA)",
                    color=figures.SAHARA_COLOR,
                ),  # fmt: skip
            ),
            html.H3("Validators"),
            data_table(
                "sahara-validators-table", validators.round({"delegated_sahara": 6, "commission_rate": 4})
            ),
        ]
    )


def register_callbacks(app) -> None:
    """The page has no controls yet."""


PAGE = {
    "path": "/sahara",
    "name": "Sahara",
    "title": "DecAI Compare — Sahara",
    "layout": layout,
    "order": 20,
}
