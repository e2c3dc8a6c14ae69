"""Contributor (`/sahara/contributor/<address>`): one Sahara AI trainer through time.

The annotations they submitted and the reviews of them (accepted or not), their acceptance rate, the
rewards paid to them in SAHARA with the running total, and the highest reputation tier minted to them;
then their history and their annotations as tables with CSV. Reached from the contributors table of the
Sahara page. An address that is not an EVM address, or that the warehouse never saw, gets a notice.
"""

from __future__ import annotations

from dashboards import entity_queries as eq
from dashboards import entity_view as view
from dashboards.components import data_table
from dashboards.entities import CONTRIBUTOR
from dashboards.entity_view import Fact, Series

FEATURES: tuple[str, ...] = ()
PANELS: list = []
SOURCES = ("evm",)

ANNOTATIONS = [
    (
        Series("submitted", "submitted", "contributor_history.submitted", "bar"),
        Series("reviewed", "reviewed", "contributor_history.reviewed", "bar"),
        Series("accepted", "accepted", "contributor_history.accepted", "bar"),
    ),
    Series("acceptance_rate", "acceptance rate", "contributor_history.acceptance_rate"),
]
REWARDS = [
    Series("rewards_sahara", "rewards paid", "contributor_history.rewards_sahara", "bar"),
    Series(
        "cumulative_rewards_sahara", "rewards paid so far", "contributor_history.cumulative_rewards_sahara"
    ),
]
REPUTATION = [Series("reputation_tier", "reputation tier", "contributor_history.reputation_tier")]


def history_table(history):
    return data_table("contributor-history-table", view.rounded(history), page_size=12)


def annotations_table(annotations):
    return data_table("contributor-annotations-table", view.rounded(annotations), page_size=10)


def _facts(row: dict) -> list[Fact]:
    return [
        Fact("first seen", row.get("first_seen_at"), "contributors.first_seen_at"),
        Fact("last active", row.get("last_active_at"), "contributors.last_active_at"),
        Fact("submitted", row.get("submitted"), "contributors.submitted"),
        Fact("reviewed", row.get("reviewed"), "contributors.reviewed"),
        Fact("accepted", row.get("accepted"), "contributors.accepted"),
        Fact("acceptance rate", row.get("acceptance_rate"), "contributors.acceptance_rate"),
        Fact("rewards", row.get("rewards_sahara"), "contributors.rewards_sahara"),
        Fact("reputation tier", row.get("reputation_tier"), "contributors.reputation_tier"),
    ]


def render(url: str, contributor: str, notices: list[str]):
    row = eq.contributor_facts(url, contributor)
    annotations = eq.contributor_annotations(url, contributor)
    payments = eq.contributor_payments(url, contributor)
    reputation = eq.contributor_reputation(url, contributor)
    if row is None and annotations.empty and payments.empty and reputation.empty:
        return view.not_found(
            CONTRIBUTOR, f"the warehouse holds no annotation, payment or reputation token of {contributor}.",
            notices,
        )  # fmt: skip
    period = eq.grain(
        [
            annotations["submitted_at"],
            annotations["reviewed_at"],
            payments["block_time"],
            reputation["block_time"],
        ]
    )
    history = eq.contributor_history(annotations, payments, reputation, period)
    fresh = view.freshness(url, SOURCES)
    short = f"{contributor[:8]}…{contributor[-4:]}"
    charts = [
        view.chart_card("contributor-annotations-chart", "Annotations and acceptance",
                        "contributor_history.submitted",
                        view.history_figure(history, ANNOTATIONS, f"{short}: annotations", period), fresh),
        view.chart_card("contributor-rewards-chart", "Rewards", "contributor_history.rewards_sahara",
                        view.history_figure(history, REWARDS, f"{short}: rewards", period), fresh),
        view.chart_card("contributor-reputation-chart", "Reputation", "contributor_history.reputation_tier",
                        view.history_figure(history, REPUTATION, f"{short}: reputation", period), fresh),
    ]  # fmt: skip
    return view.page(
        CONTRIBUTOR,
        f"Contributor {contributor}",
        notices,
        f"The contributor through time, {view.PERIOD_NOTE[period]}. Rewards are the RewardPaid amounts paid "
        "to them, in SAHARA.",
        [
            view.facts(_facts(row or {})),
            view.chart_grid(charts),
            *view.table_card(
                "History",
                history_table(history),
                f"One row per {period} with an annotation, review, payment or reputation token; "
                "Export gives every row as CSV.",
            ),
            *view.table_card(
                "Annotations",
                annotations_table(annotations),
                "Their annotations (annotations mart), newest first.",
            ),
        ],  # fmt: skip
    )


layout = view.entity_layout(CONTRIBUTOR, render)

PAGE = {
    "path": CONTRIBUTOR.prefix,
    "path_template": CONTRIBUTOR.template,
    "name": "Contributor",
    "title": "DecAI Compare — Contributor",
    "layout": layout,
    "order": 121,
}


def register_callbacks(app) -> None:
    """The page draws everything when it is opened: no callbacks."""
