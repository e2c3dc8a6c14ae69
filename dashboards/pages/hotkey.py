"""Hotkey (`/bittensor/hotkey/<ss58>`): one Bittensor hotkey through time, in every subnet it registered in.

Per subnet: its registrations, its stake (in that subnet's alpha, and in TAO at each epoch's pool price),
and what it earned as miner incentive and as validator dividends, both in TAO (each epoch's alpha at that
epoch's price). TAO values are added across subnets (stacked bars); alpha never is: every alpha figure is
one subnet's own. Then the UIDs it held, its registrations and its history as tables with CSV, each netuid
linking to the subnet's page. Reached from any table cell holding a hotkey (a subnet's neurons, a
validator's address) and from the stake chart's drill-down. An address that is not SS58 of prefix 42
with a valid checksum, or that the warehouse never saw, gets a notice instead.
"""

from __future__ import annotations

from dashboards import entity_queries as eq
from dashboards import entity_view as view
from dashboards.components import data_table
from dashboards.entities import HOTKEY
from dashboards.entity_view import Fact, Series

FEATURES: tuple[str, ...] = ()
PANELS: list = []
SOURCES = ("subtensor",)

EARNINGS = [
    Series("incentive_tao", "miner incentive", "hotkey_history.incentive_tao", "bar"),
    Series("dividends_tao", "validator dividends", "hotkey_history.dividends_tao", "bar"),
]
STAKE = [Series("stake_tao", "stake in TAO", "hotkey_history.stake_tao")]
SCORES = [
    Series("incentive", "incentive", "hotkey_history.incentive"),
    Series("dividends", "dividends", "hotkey_history.dividends"),
]


def history_table(history):
    return data_table("hotkey-history-table", view.rounded(history), page_size=12)


def holdings_table(holdings):
    return data_table("hotkey-holdings-table", holdings, page_size=10)


def registrations_table(registrations):
    return data_table("hotkey-registrations-table", registrations, page_size=10)


def _facts(hotkey: str, holdings, history) -> list[Fact]:
    live = holdings[holdings["deregistered_at"].isna()] if not holdings.empty else holdings
    latest = history.sort_values("period").groupby("netuid").tail(1) if not history.empty else history
    return [
        Fact("subnets registered in now", len(live["netuid"].unique()) if not live.empty else 0),
        Fact("UIDs held so far", len(holdings)),
        Fact("coldkey", holdings["coldkey"].dropna().iloc[-1] if holdings["coldkey"].notna().any() else None,
             "bittensor_holders.coldkey"),
        Fact("stake now, all subnets", latest["stake_tao"].sum(min_count=1) if not latest.empty else None,
             "hotkey_history.stake_tao"),
        Fact("miner incentive, whole history", history["incentive_tao"].sum(min_count=1) if not history.empty
             else None, "hotkey_history.incentive_tao", "TAO"),
        Fact("validator dividends, whole history", history["dividends_tao"].sum(min_count=1) if not history.empty
             else None, "hotkey_history.dividends_tao", "TAO"),
    ]  # fmt: skip


def render(url: str, hotkey: str, notices: list[str]):
    holdings = eq.hotkey_holdings(url, hotkey)
    registrations = eq.hotkey_registrations(url, hotkey)
    netuids = set(holdings["netuid"].astype(int)) | set(registrations["netuid"].astype(int))
    epochs = eq.hotkey_epochs(url, hotkey, netuids)
    if holdings.empty and registrations.empty and epochs.empty:
        return view.not_found(
            HOTKEY,
            f"the warehouse holds no registration or metagraph observation of hotkey {hotkey}.",
            notices,
        )
    period = eq.grain([epochs["block_time"], registrations["block_time"]])
    history = eq.hotkey_history(epochs, period)
    if not registrations.empty:
        registrations = registrations.assign(period=eq.period_of(registrations["block_time"], period))
        counted = registrations.groupby(["netuid", "period"]).size().rename("registrations").reset_index()
    else:
        counted = registrations
    fresh = view.freshness(url, SOURCES)
    short = f"{hotkey[:6]}…{hotkey[-4:]}"
    charts = [
        view.chart_card("hotkey-earnings-chart", "Incentive and dividends in TAO", "hotkey_history.incentive_tao",
                        view.history_figure(history, EARNINGS, f"Hotkey {short}: earned", period, group="netuid",
                                           stacked=True),
                        fresh),
        view.chart_card("hotkey-stake-chart", "Stake in TAO", "hotkey_history.stake_tao",
                        view.history_figure(history, STAKE, f"Hotkey {short}: stake", period, group="netuid"),
                        fresh),
        view.chart_card("hotkey-scores-chart", "Incentive and dividends (scores)", "hotkey_history.incentive",
                        view.history_figure(history, SCORES, f"Hotkey {short}: scores", period, group="netuid"),
                        fresh),
        view.chart_card("hotkey-registrations-chart", "Registrations", "hotkey_history.registrations",
                        view.history_figure(counted, [Series("registrations", "registrations",
                                                             "hotkey_history.registrations", "bar")],
                                            f"Hotkey {short}: registrations", period, group="netuid"), fresh),
    ]  # fmt: skip
    return view.page(
        HOTKEY,
        f"Hotkey {hotkey}",
        notices,
        f"The hotkey in every subnet it registered in, {view.PERIOD_NOTE[period]}. Each subnet's alpha is its "
        "own token: alpha is converted to TAO at each epoch's pool price and only TAO is added across subnets.",
        [
            view.facts(_facts(hotkey, holdings, history)),
            view.chart_grid(charts),
            *view.table_card(
                "History per subnet",
                history_table(history),
                f"One row per subnet and {period} with an observation; Export gives every row as CSV.",
            ),
            *view.table_card(
                "UIDs held",
                holdings_table(holdings),
                "Every UID the hotkey has held (bittensor_holders); a netuid opens the subnet's page.",
            ),
            *view.table_card(
                "Registrations",
                registrations_table(registrations.drop(columns="period", errors="ignore")),
                "Its NeuronRegistered events.",
            ),
        ],  # fmt: skip
    )


layout = view.entity_layout(HOTKEY, render)

PAGE = {
    "path": HOTKEY.prefix,
    "path_template": HOTKEY.template,
    "name": "Hotkey",
    "title": "DecAI Compare — Hotkey",
    "layout": layout,
    "order": 111,
}


def register_callbacks(app) -> None:
    """The page draws everything when it is opened: no callbacks."""
