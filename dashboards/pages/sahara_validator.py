"""Sahara validator (`/sahara/validator/<address>`): one validator of Sahara's CometBFT set through time.

Its voting power and share of the set's power in each observed validator set, its commission rate, and
the tokens delegated to it and taken away (delegations, unbondings, redelegations, self-bond) with their
running net; then its history, its delegation changes and its delegators as tables with CSV. The address
is its operator address (`saharavaloper1…`), or the consensus address CometBFT reports for a validator
whose operator is not known. Reached from the validators table of the Sahara page and from the voting
power chart's drill-down. An address that is neither, or that the warehouse never saw, gets a notice.
"""

from __future__ import annotations

from dashboards import entity_queries as eq
from dashboards import entity_view as view
from dashboards.components import data_table
from dashboards.entities import SAHARA_VALIDATOR, is_operator_address
from dashboards.entity_view import Fact, Series

FEATURES: tuple[str, ...] = ()
PANELS: list = []
SOURCES = ("cometbft",)

POWER = [
    Series("voting_power", "voting power", "sahara_validator_history.voting_power"),
    Series("power_share", "share of the set's power", "sahara_validator_history.power_share"),
]
COMMISSION = [Series("commission_rate", "commission rate", "sahara_validator_history.commission_rate")]
DELEGATIONS = [
    (
        Series("delegated_sahara", "delegated", "sahara_validator_history.delegated_sahara", "bar"),
        Series("undelegated_sahara", "undelegated", "sahara_validator_history.undelegated_sahara", "bar"),
    ),
    Series("cumulative_net_flow_sahara", "net since the first stored flow",
           "sahara_validator_history.cumulative_net_flow_sahara"),
]  # fmt: skip


def history_table(history):
    return data_table("validator-history-table", view.rounded(history), page_size=12)


def flows_table(flows):
    return data_table("validator-flows-table", view.rounded(flows), page_size=10)


def delegations_table(delegations):
    return data_table("validator-delegations-table", view.rounded(delegations), page_size=10)


def _facts(row: dict, sets) -> list[Fact]:
    last = sets.iloc[-1].to_dict() if not sets.empty else {}
    return [
        Fact("operator", row.get("validator_id"), "validators.validator_id"),
        Fact("consensus address", row.get("consensus_address"), "validators.consensus_address"),
        Fact("voting power", row.get("voting_power", last.get("voting_power")), "validators.voting_power"),
        Fact("share of the set's power", last.get("power_share"), "sahara_validator_history.power_share"),
        Fact("commission rate", row.get("commission_rate", last.get("commission_rate")), "validators.commission_rate"),
        Fact("delegated", row.get("delegated_sahara"), "sahara_validators.delegated_sahara"),
        Fact("delegators", row.get("delegators"), "validators.delegators"),
        Fact("first observed", row.get("first_observed_at"), "validators.first_observed_at"),
        Fact("last observed", row.get("last_observed_at"), "validators.last_observed_at"),
    ]  # fmt: skip


def render(url: str, validator: str, notices: list[str]):
    by_consensus = not is_operator_address(validator)
    row = eq.sahara_validator_facts(url, validator, by_consensus)
    sets = eq.sahara_validator_sets(url, validator, by_consensus)
    # Delegations are keyed by operator: a consensus address finds them through the validator's row.
    operator = validator if not by_consensus else (row or {}).get("validator_id")
    operator = operator if operator and is_operator_address(operator) else None
    flows = eq.sahara_validator_flows(url, operator)
    delegations = eq.sahara_validator_delegations(url, operator)
    if row is None and sets.empty and flows.empty and delegations.empty:
        return view.not_found(
            SAHARA_VALIDATOR, f"the warehouse holds no validator set, staking event or validators row of "
            f"{validator}.", notices,
        )  # fmt: skip
    period = eq.grain([sets["block_time"], flows["block_time"]])
    history = eq.sahara_validator_history(sets, flows, period)
    fresh = view.freshness(url, SOURCES)
    short = f"{validator[:16]}…{validator[-4:]}"
    charts = [
        view.chart_card("validator-power-chart", "Voting power", "sahara_validator_history.voting_power",
                        view.history_figure(history, POWER, f"{short}: voting power", period), fresh),
        view.chart_card("validator-commission-chart", "Commission", "sahara_validator_history.commission_rate",
                        view.history_figure(history, COMMISSION, f"{short}: commission", period), fresh),
        view.chart_card("validator-delegations-chart", "Delegations", "sahara_validator_history.net_flow_sahara",
                        view.history_figure(history, DELEGATIONS, f"{short}: delegations", period), fresh,
                        wide=True),
    ]  # fmt: skip
    return view.page(
        SAHARA_VALIDATOR,
        f"Sahara validator {validator}",
        notices,
        f"The validator through time, {view.PERIOD_NOTE[period]}. Voting power is whole SAHARA bonded; "
        "delegations are the stored staking events, so their running net starts at the first one stored.",
        [
            view.facts(_facts(row or {}, sets)),
            view.chart_grid(charts),
            *view.table_card(
                "History",
                history_table(history),
                f"One row per {period} with an observed set or a staking event; Export gives every "
                "row as CSV.",
            ),
            *view.table_card(
                "Delegation changes",
                flows_table(flows.drop(columns="event_id")),
                "Every change of its bonded tokens, signed (stg_sahara_delegation_flows).",
            ),
            *view.table_card(
                "Delegators",
                delegations_table(delegations),
                "Each delegator's net delegation over the stored events (sahara_delegations).",
            ),
        ],  # fmt: skip
    )


layout = view.entity_layout(SAHARA_VALIDATOR, render)

PAGE = {
    "path": SAHARA_VALIDATOR.prefix,
    "path_template": SAHARA_VALIDATOR.template,
    "name": "Sahara validator",
    "title": "DecAI Compare — Sahara validator",
    "layout": layout,
    "order": 120,
}


def register_callbacks(app) -> None:
    """The page draws everything when it is opened: no callbacks."""
