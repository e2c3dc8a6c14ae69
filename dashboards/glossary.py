"""What each figure on the dashboard means and its unit, from the data dictionary (`warehouse.dictionary`).

The pages ask here for a KPI card's hover, a data table's header tooltips and units, a chart panel's
definition and the head-to-head rows' definitions; every text comes from the dictionary, the same
entries the warehouse stores as comments and `decai catalog` prints, so the three never disagree.
`tests/test_glossary.py` checks that every KPI, table column and panel shown has an entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from warehouse import dictionary
from warehouse.dictionary import Column

#: KPI card (`data-kpi`) -> its dictionary entry.
KPIS: dict[str, str] = {
    "market_cap": "market_caps.market_cap_usd",
    "change_24h": "kpi.market_cap_change_24h",
    "price": "market_caps.price_usd",
    "volume_24h": "market_caps.total_volume_usd",
    "supply": "ecosystem_daily.supply_native",
    "staked": "ecosystem_daily.staking_ratio",
    "emission": "ecosystem_daily.emission_native",
    "rewards": "ecosystem_daily.rewards_native",
    "participants": "ecosystem_daily.participants",
    "share_earning": "ecosystem_daily.share_earning",
    "validators": "ecosystem_daily.validators",
    "rewards_per_participant": "ecosystem_daily.rewards_per_participant_usd",
    "gini": "ecosystem_daily.gini",
    "nakamoto": "ecosystem_daily.nakamoto",
}

#: Data table (its component id) -> the dictionary entries its columns are described by, first match wins.
TABLES: dict[str, tuple[str, ...]] = {
    "head-to-head-table": ("head_to_head",),
    "ecosystem-daily-table": ("ecosystem_daily",),
    "network-daily-table": ("network_daily",),
    "unmodelled-logs-table": ("evm_unmodelled_logs",),
    "subnet-table": ("subnets",),
    "stake-flow-rows": ("bittensor_stake_flows_daily",),
    "marketplace-table": ("marketplace_per_day",),
    "sahara-validators-table": ("sahara_validators", "validators"),
    "freshness-table": ("freshness", "ingest_checkpoints"),
    "dq-results-table": ("dq_results_latest", "dq_results"),
    "runtime-types-table": ("runtime_types", "dq_results"),
    "quarantine-rules-table": ("quarantine_by_rule", "quarantine"),
    "quarantine-table": ("quarantine",),
    "dictionary-relations-table": ("catalogue",),
    "dictionary-columns-table": ("catalogue",),
    "dictionary-events-table": ("event_catalog",),
    # entity pages
    "contributors-table": ("contributors",),
    "subnet-history-table": ("subnet_history",),
    "subnet-neurons-table": ("subnet_neurons", "miners"),
    "hotkey-history-table": ("hotkey_history",),
    "hotkey-holdings-table": ("bittensor_holders",),
    "hotkey-registrations-table": ("stg_bittensor_registrations",),
    "validator-history-table": ("sahara_validator_history",),
    "validator-flows-table": ("sahara_validator_flows", "stg_sahara_delegation_flows"),
    "validator-delegations-table": ("sahara_validator_delegations", "sahara_delegations"),
    "contributor-history-table": ("contributor_history",),
    "contributor-annotations-table": ("annotations",),
}
#: Every drill-down lists events (`<panel>-events`).
EVENTS_TABLE_SUFFIX = "-events"

#: Chart panel (its id) -> the dictionary entry of what it draws.
PANELS: dict[str, str] = {
    # overview
    "kpi-cards": "ecosystem_daily.complete",
    "head-to-head": "head_to_head.aspect",
    "market-cap-chart": "market_caps.market_cap_usd",
    "participants-chart": "ecosystem_daily.participants",
    # compare
    "lorenz-chart": "rewards_per_participant.reward",
    "top10-chart": "ecosystem_daily.top10_share",
    "share-earning-chart": "ecosystem_daily.share_earning",
    "rewards-per-participant-chart": "ecosystem_daily.rewards_per_participant_usd",
    "ecosystem-daily": "ecosystem_daily.day",
    "fundamentals-transactions": "network_daily.transactions",
    "fundamentals-active-accounts": "network_daily.active_accounts",
    "fundamentals-transfer-volume": "network_daily.transfer_volume_usd",
    "fundamentals-fees": "network_daily.fees_usd",
    "fundamentals-holders": "network_daily.holders",
    "fundamentals-staking-apy": "network_daily.staking_apy",
    "network-daily": "network_daily.day",
    # bittensor
    "emission-chart": "emission_per_day.emission_tao",
    "registrations-chart": "registrations_per_day.registrations",
    "incentive-lorenz-chart": "miners.incentive",
    "stake-chart": "bittensor_stakes.stake_tao",
    "stake-flow-chart": "bittensor_stake_flows_daily.net_flow_tao",
    "stake-flow-table": "bittensor_stake_flows_daily.net_flow_tao",
    "subnet-price-chart": "subnet_daily.price_close_tao_per_alpha",
    "subnet-share-chart": "subnet_daily.emission_share",
    "subnet-participants-chart": "subnet_daily.miners",
    # sahara
    "funnel-chart": "annotation_funnel.annotations",
    "contributors-chart": "contributors_over_time.contributors",
    "rewards-chart": "sahara_rewards_per_day.rewards_sahara",
    "reputation-chart": "contributors.reputation_tier",
    "marketplace-chart": "marketplace_per_day.license_sales_sahara",
    "marketplace": "marketplace_per_day.licenses",
    "voting-power-chart": "validators.voting_power",
    "sahara-validators": "validators.delegated_base_units",
    "contributors": "contributors.rewards_sahara",
    # quality
    "freshness": "freshness.last_data_at",
    "dq-results": "dq_results.outcome",
    "runtime-types": "runtime_types.unknown_events",
    "quarantine-rules": "quarantine.rule",
}

#: How a unit reads in a table header, for the units worth saying there (amounts, prices, ratios).
_SHORT = {
    dictionary.TAO: "TAO",
    dictionary.ALPHA: "alpha",
    dictionary.SAHARA: "SAHARA",
    dictionary.NATIVE: "TAO or SAHARA",
    dictionary.NATIVE_BASE: "rao or usah",
    dictionary.RAO: "rao",
    dictionary.ALPHA_RAO: "alpha rao",
    dictionary.USAH: "usah",
    dictionary.ATTO_USAH: "atto-usah",
    dictionary.USD: "USD",
    dictionary.PRICE: "TAO per alpha",
    dictionary.RATIO: "0–1",
    dictionary.SCORE: "0–1",
    dictionary.SECONDS: "s",
    "hours": "h",
    "ratio per year": "per year",
    "ratio, shown as %": "%",
    "TAO per block": "TAO per block",
    "score 0..100": "0–100",
}
#: Column-name endings that already say the unit.
_NAMED = ("_tao", "_alpha", "_sahara", "_usd", "_rao", "_wei", "_usah", "_u16", "_s", "_hours")


def entry(ref: str) -> Column:
    """The dictionary entry `table.column` (or `group.figure`)."""
    return dictionary.describe(ref)


def hover(ref: str) -> str:
    """The one-line definition a hover shows: meaning, then unit."""
    column = entry(ref)
    return f"{column.meaning[:1].upper()}{column.meaning[1:]}. Unit: {column.unit}."


def short_unit(column: Column) -> str | None:
    """The unit as a table header or axis says it (`TAO per day`), or None for counts, text and times."""
    unit, per = column.unit, ""
    if unit.endswith(dictionary.PER_DAY):
        unit, per = unit.removesuffix(dictionary.PER_DAY), " per day"
    elif unit.endswith(dictionary.PER_PERIOD):
        unit, per = unit.removesuffix(dictionary.PER_PERIOD), " per period"
    label = _SHORT.get(unit)
    return label + per if label else None


def axis_title(ref: str, what: str) -> str:
    """An axis title naming `what` and the entry's unit: `share of rewards (0–1)`."""
    unit = short_unit(entry(ref))
    return f"{what} ({unit})" if unit else what


def table_sources(table_id: str) -> tuple[str, ...]:
    if table_id.endswith(EVENTS_TABLE_SUFFIX):
        return ("events",)
    return TABLES.get(table_id, ())


def table_columns(table_id: str, columns: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Per column of a data table that the dictionary describes: (header text, tooltip). The header
    gains the unit in brackets when the column's name does not already carry it."""
    found = dictionary.definitions(columns, table_sources(table_id))
    shown = {}
    for name, column in found.items():
        unit = short_unit(column)
        header = f"{name} ({unit})" if unit and not name.endswith(_NAMED) else name
        shown[name] = (header, f"{column.meaning[:1].upper()}{column.meaning[1:]}. Unit: {column.unit}.")
    return shown
