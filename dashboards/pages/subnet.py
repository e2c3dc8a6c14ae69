"""Subnet (`/bittensor/subnet/<netuid>`): one Bittensor subnet through time.

Its emission (TAO injected into its pool, alpha emitted to participants and to the pool), its pool price
and TAO, the stake on its UIDs (alpha and TAO at each epoch's price), its UIDs, miners and validators,
its registrations and its stake flows; then its history as a table with CSV, its stake flows per day and
its neurons now, each hotkey linking to its own page. Reached from any table cell holding a netuid, and
from the drill-downs of a subnet. A netuid that is not a number 0–65535, or names no subnet in the
warehouse, gets a notice instead.
"""

from __future__ import annotations

from dashboards import entity_queries as eq
from dashboards import entity_view as view
from dashboards import figures, queries
from dashboards.components import data_table
from dashboards.entities import SUBNET
from dashboards.entity_view import Fact, Series

FEATURES: tuple[str, ...] = ()
PANELS: list = []
SOURCES = ("subtensor",)

EMISSION = [
    Series("tao_injected_tao", "TAO injected", "subnet_history.tao_injected_tao", "bar"),
    Series("alpha_to_participants_alpha", "alpha emitted to participants",
           "subnet_history.alpha_to_participants_alpha", "bar"),
    Series("alpha_to_pool_alpha", "alpha added to the pool", "subnet_history.alpha_to_pool_alpha", "bar"),
]  # fmt: skip
POOL = [
    Series("price_tao_per_alpha", "price", "subnet_history.price_tao_per_alpha"),
    Series("pool_tao", "TAO in the pool", "subnet_history.pool_tao"),
]
STAKE = [
    Series("stake_tao", "stake in TAO", "subnet_history.stake_tao"),
    Series("stake_alpha", "stake in alpha", "subnet_history.stake_alpha"),
]
UIDS = [
    (
        Series("uids", "UIDs", "subnet_history.uids"),
        Series("miners", "miners", "subnet_history.miners"),
        Series("validators", "validators", "subnet_history.validators"),
    ),
    Series("registrations", "registrations", "subnet_history.registrations", "bar"),
]


def history_table(history):
    return data_table("subnet-history-table", view.rounded(history), page_size=12)


def neurons_table(neurons):
    return data_table("subnet-neurons-table", view.rounded(neurons), page_size=15)


def stake_flows_table(flows):
    return data_table("stake-flow-rows", flows.assign(day=flows["day"].dt.strftime("%Y-%m-%d")), page_size=10)


def _facts(row: dict) -> list[Fact]:
    return [
        Fact("owner", row.get("owner"), "subnets.owner"),
        Fact("registered", row.get("registered_at"), "subnets.registered_at"),
        Fact("removed", row.get("removed_at"), "subnets.removed_at"),
        Fact("tempo", row.get("tempo"), "subnets.tempo"),
        Fact("emission share", row.get("emission_share"), "subnets.emission_share"),
        Fact("price", row.get("price_tao_per_alpha"), "subnets.price_tao_per_alpha"),
        Fact("pool", row.get("pool_tao"), "subnets.pool_tao"),
        Fact("stake", row.get("stake_tao"), "subnets.stake_tao"),
        Fact("miners", row.get("miners"), "subnets.miners"),
        Fact("validators", row.get("validators"), "subnets.validators"),
        Fact("last observed", row.get("last_observed_at"), "subnets.last_observed_at"),
    ]


def render(url: str, netuid_id: str, notices: list[str]):
    netuid = int(netuid_id)
    row = eq.subnet_facts(url, netuid)
    flows = queries.bittensor_stake_flows(url, netuid=netuid)
    history, period = eq.subnet_history(url, netuid, flows["day"])
    neurons = eq.subnet_neurons(url, netuid)
    if row is None and history.empty and flows.empty and neurons.empty:
        return view.not_found(
            SUBNET, f"the warehouse holds nothing about subnet {netuid} (no observation, block, epoch, "
            "registration or stake event).", notices,
        )  # fmt: skip
    fresh = view.freshness(url, SOURCES)
    name = (row or {}).get("name")
    title = f"Subnet {netuid} · {name}" if name else f"Subnet {netuid}"
    charts = [
        view.chart_card("subnet-emission-chart", "Emission", "subnet_history.tao_injected_tao",
                        view.history_figure(history, EMISSION, f"{title}: emission", period), fresh),
        view.chart_card("subnet-pool-chart", "Pool price and TAO", "subnet_history.price_tao_per_alpha",
                        view.history_figure(history, POOL, f"{title}: pool", period), fresh),
        view.chart_card("subnet-stake-chart", "Stake", "subnet_history.stake_tao",
                        view.history_figure(history, STAKE, f"{title}: stake on its UIDs", period), fresh),
        view.chart_card("subnet-uids-chart", "UIDs and registrations", "subnet_history.uids",
                        view.history_figure(history, UIDS, f"{title}: UIDs", period), fresh),
    ]  # fmt: skip
    flow_figure = figures.stake_flow_figure(flows, netuid)
    return view.page(
        SUBNET,
        title,
        notices,
        f"The subnet through time, {view.PERIOD_NOTE[period]}. Amounts in alpha are this subnet's own "
        "token; TAO values convert each epoch's alpha at that epoch's pool price.",
        [
            view.facts(_facts(row or {})),
            view.chart_grid(charts),
            view.chart_card(
                "subnet-stake-flow-chart",
                "Net stake flow per day",
                "bittensor_stake_flows_daily.net_flow_tao",
                flow_figure,
                fresh,
                wide=True,
            ),
            *view.table_card(
                "History",
                history_table(history),
                f"One row per {period} with data; Export gives every row as CSV.",
            ),
            *view.table_card(
                "Stake flows per day",
                stake_flows_table(flows),
                "One row per UTC day with a stake event of the subnet (bittensor_stake_flows_daily).",
            ),
            *view.table_card(
                "Neurons now",
                neurons_table(neurons),
                "Registered UIDs at their latest epoch (miners and validators marts); a hotkey "
                "opens its own page.",
            ),
        ],  # fmt: skip
    )


layout = view.entity_layout(SUBNET, render)

PAGE = {
    "path": SUBNET.prefix,
    "path_template": SUBNET.template,
    "name": "Subnet",
    "title": "DecAI Compare — Subnet",
    "layout": layout,
    "order": 110,
}


def register_callbacks(app) -> None:
    """The page draws everything when it is opened: no callbacks."""
