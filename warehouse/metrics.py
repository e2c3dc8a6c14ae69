"""Comparison metrics: one small pure function per metric, unit-tested on hand-computed inputs.

They take plain sequences (rewards per participant, stakes per validator) so that the projections,
the dashboard and an analyst's notebook compute them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from warehouse.dictionary import describe


def _clean(values: Sequence[float]) -> list[float]:
    cleaned = [float(v) for v in values if v is not None and float(v) == float(v)]
    if any(v < 0 for v in cleaned):
        raise ValueError("rewards and stakes cannot be negative")
    return cleaned


def gini(values: Sequence[float]) -> float | None:
    """Gini coefficient: 0 when everyone gets the same, approaching 1 when one gets everything."""
    xs = sorted(_clean(values))
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return None
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


def top_share(values: Sequence[float], fraction: float = 0.10) -> float | None:
    """Share of the total held by the top `fraction` of participants (at least one participant)."""
    xs = sorted(_clean(values), reverse=True)
    total = sum(xs)
    if not xs or total == 0:
        return None
    k = max(1, int(len(xs) * fraction + 0.5))  # half up, as the SQL of ecosystem_daily rounds
    return sum(xs[:k]) / total


def nakamoto_coefficient(stakes: Sequence[float], threshold: float = 0.5) -> int | None:
    """Fewest validators whose combined stake exceeds `threshold` of the total (Bittensor: 50%,
    CometBFT chains: 1/3 can halt, so pass threshold=1/3 for the liveness variant)."""
    xs = sorted(_clean(stakes), reverse=True)
    total = sum(xs)
    if not xs or total == 0:
        return None
    running = 0.0
    for count, stake in enumerate(xs, start=1):
        running += stake
        if running > threshold * total:
            return count
    return len(xs)


def share_earning(values: Sequence[float]) -> float | None:
    """Share of participants that earned anything at all."""
    xs = _clean(values)
    if not xs:
        return None
    return sum(1 for x in xs if x > 0) / len(xs)


def per_participant(total: float | None, participants: int | None) -> float | None:
    if total is None or not participants:
        return None
    return total / participants


def lorenz_curve(values: Sequence[float], points: int = 101) -> list[tuple[float, float]]:
    """(share of participants, share of rewards) from poorest to richest, `points` samples from (0, 0)."""
    xs = sorted(_clean(values))
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return []
    cumulative = [0.0]
    for x in xs:
        cumulative.append(cumulative[-1] + x)
    curve = []
    for p in range(points):
        share = p / (points - 1)
        position = share * n
        lo = int(position)
        frac = position - lo
        value = cumulative[lo] if lo >= n else cumulative[lo] + frac * (cumulative[lo + 1] - cumulative[lo])
        curve.append((share, value / total))
    return curve


def supply_against_cap(supply: float, cap: float) -> float:
    if cap <= 0:
        raise ValueError("cap must be positive")
    return supply / cap


def staking_ratio(staked: float, supply: float) -> float | None:
    return staked / supply if supply else None


def annualised_inflation(issued_per_day: float, supply: float) -> float | None:
    return issued_per_day * 365 / supply if supply else None


#: The head-to-head's rows of off-chain facts: (aspect, key of its definition in the data dictionary's
#: `head_to_head_rows`, Bittensor's facts, Sahara's facts), facts named by their `reference_facts.fact_id`.
#: Their values, dates and sources come from the table (loaded from warehouse/data/reference_facts.csv);
#: a fact missing there shows as empty.
FACT_ROWS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Primary focus", "primary_focus", ("bt_focus",), ("sh_focus",)),
    ("Consensus", "consensus", ("bt_consensus",), ("sh_consensus",)),
    ("How rewards are decided", "incentive", ("bt_incentive",), ("sh_incentive",)),
    ("Reward split", "reward_split", ("bt_split",), ()),
    ("Token supply", "token_supply", ("bt_cap",), ("sh_cap",)),
    ("Halving", "halving", ("bt_halving",), ()),
    ("Dynamic TAO", "dtao", ("bt_dtao",), ()),
    ("Funding", "funding", (), ("sh_funding",)),
    ("IDO", "ido", (), ("sh_ido_raised", "sh_ido_people")),
    ("Token generation event", "tge", (), ("sh_tge",)),
    ("Mainnet", "mainnet", (), ("sh_mainnet",)),
    ("ETF filing", "etf", ("bt_etf",), ()),
    (
        "Participants (third-party counts)",
        "participants_reported",
        ("bt_miners", "bt_validators", "bt_wallets"),
        ("sh_trainers", "sh_clients"),
    ),
)

#: Units whose values are counts of something, shown as `103,000 people`.
_COUNTED = {"people", "subnets", "wallets", "miners", "validators", "clients", "annotations", "accounts"}


def fact_value(fact: dict) -> str:
    """A reference fact's value as the table shows it, with its unit and the source's qualifier:
    `$49M`, `103,000 people (from 118 countries)`, `73%`, `21,000,000 TAO (hard cap, ...)`, `2025-06`."""
    value, unit, number = str(fact["value"]), fact.get("unit") or "", fact.get("value_number")
    number = None if number is None or number != number else float(number)
    if number is not None and unit == "USD":
        text = next(
            (f"${number / size:,.4g}{suffix}" for suffix, size in (("B", 1e9), ("M", 1e6)) if number >= size),
            f"${number:,.2f}",
        )
    elif number is not None and unit == "ratio":
        text = f"{number:.0%}"
    elif number is not None and (unit in _COUNTED or unit in ("TAO", "SAHARA")):
        text = f"{number:,.0f} {unit}"
    elif unit == "percent":
        text = f"{value}%"
    else:
        text = value
    note = fact.get("note")
    return f"{text} ({note})" if note and note == note else text


def _fact_cell(ids: tuple[str, ...], facts: dict[str, dict]) -> tuple[str | None, list[dict]]:
    """The text of one side of a fact row and the facts behind it; a cell of several facts names each."""
    found = [facts[i] for i in ids if i in facts]
    if not found:
        return None, []
    if len(found) == 1:
        return fact_value(found[0]), found
    return "; ".join(f"{f['fact']}: {fact_value(f)}" for f in found), found


#: The head-to-head's network fundamentals: (aspect, `network_daily` column, format). Each chain's side
#: is its own chain's row (network = chain) of the day the measured rows are from.
FUNDAMENTAL_ROWS: tuple[tuple[str, str, object], ...] = (
    ("Transactions (day)", "transactions", lambda v: f"{int(v):,}"),
    ("Active accounts (day)", "active_accounts", lambda v: f"{int(v):,}"),
    ("New accounts (day)", "new_accounts", lambda v: f"{int(v):,}"),
    ("Transfers (day)", "transfers", lambda v: f"{int(v):,}"),
    ("Transfer volume (USD/day)", "transfer_volume_usd", lambda v: _usd(v)),
    ("Fees paid (USD/day)", "fees_usd", lambda v: _usd(v)),
    ("Holders", "holders", lambda v: f"{int(v):,}"),
    ("Staking APR", "staking_apr", lambda v: f"{v:.2%}"),
    ("Staking APY", "staking_apy", lambda v: f"{v:.2%}"),
)

#: The rows of a token network that is not a chain of its own (the SAHARA ERC-20 on an EVM network).
TOKEN_NETWORK_ROWS: tuple[tuple[str, str, object], ...] = (
    ("holders", "holders", lambda v: f"{int(v):,}"),
    ("transfers (day)", "transfers", lambda v: f"{int(v):,}"),
    ("transfer volume (USD/day)", "transfer_volume_usd", lambda v: _usd(v)),
)


def _usd(value) -> str:
    value = float(value)
    if value >= 1e9:
        return f"${value / 1e9:,.2f}B"
    if value >= 1e6:
        return f"${value / 1e6:,.2f}M"
    return f"${value:,.2f}"


def _present(value) -> bool:
    return value is not None and value == value


def network_rows(networks: dict[tuple[str, str], dict]) -> list[dict]:
    """Head-to-head rows of network fundamentals from `network_daily` rows keyed by (chain, network):
    each chain's own network side by side, then each other network's (an ERC-20's) rows on its chain's
    side. Each row carries its definition from the data dictionary."""
    rows = []

    def definition(column: str) -> str:
        entry = describe(f"network_daily.{column}")
        return f"{entry.meaning[:1].upper()}{entry.meaning[1:]}. Unit: {entry.unit}."

    for aspect, column, fmt in FUNDAMENTAL_ROWS:
        values = {}
        for chain in ("bittensor", "sahara"):
            value = (networks.get((chain, chain)) or {}).get(column)
            values[chain] = fmt(value) if _present(value) else None
        rows.append(
            {"aspect": aspect, **values, "measured": True, "definition": definition(column),
             "bittensor_facts": [], "sahara_facts": [], "network": True}
        )  # fmt: skip
    for (chain, network), row in sorted(networks.items()):
        if network == chain:
            continue
        for label, column, fmt in TOKEN_NETWORK_ROWS:
            value = row.get(column)
            values = {"bittensor": None, "sahara": None}
            values[chain] = fmt(value) if _present(value) else None
            rows.append(
                {"aspect": f"{row.get('native_unit') or 'Token'} on {network}: {label}", **values,
                 "measured": True, "definition": definition(column), "bittensor_facts": [],
                 "sahara_facts": [], "network": True}
            )  # fmt: skip
    return rows


def head_to_head(latest: dict[str, dict], facts: dict[str, dict] | None = None) -> list[dict]:
    """The comparison table: rows of off-chain facts (`FACT_ROWS`, values from `facts`: fact_id ->
    its `reference_facts` row), then measured rows from each chain's latest `ecosystem_daily` row
    (`latest["bittensor"]`, `latest["sahara"]`; missing values show as None). Each row carries its
    `definition` from the data dictionary (a measured row's is its column's entry) and, per chain, the
    facts it shows (`bittensor_facts`, `sahara_facts`: their rows, for the as-of date and source)."""
    facts = facts or {}

    def measured(key: str, fmt) -> tuple:
        values = []
        for chain in ("bittensor", "sahara"):
            row = latest.get(chain) or {}
            value = row.get(key)
            text = None if value is None or value != value else fmt(value)
            # A native amount is in the chain's own token: say which.
            if text is not None and key.endswith("_native") and row.get("native_unit"):
                text = f"{text} {row['native_unit']}"
            values.append(text)
        return tuple(values)

    rows = []
    for aspect, key, bittensor_ids, sahara_ids in FACT_ROWS:
        (b, b_facts), (s, s_facts) = _fact_cell(bittensor_ids, facts), _fact_cell(sahara_ids, facts)
        entry = describe(f"head_to_head_rows.{key}")
        rows.append(
            {"aspect": aspect, "bittensor": b, "sahara": s, "measured": False,
             "definition": f"{entry.meaning[:1].upper()}{entry.meaning[1:]}.",
             "bittensor_facts": b_facts, "sahara_facts": s_facts}
        )  # fmt: skip
    for aspect, key, fmt in (
        (
            "Market cap (USD)",
            "market_cap_usd",
            lambda v: f"${v / 1e9:,.2f}B" if v >= 1e9 else f"${v / 1e6:,.1f}M",
        ),
        ("Supply against cap", "supply_cap_share", lambda v: f"{v:.1%}"),
        ("Emission per day", "emission_native", lambda v: f"{float(v):,.0f}"),
        ("Staked (share of supply)", "staking_ratio", lambda v: f"{v:.1%}"),
        ("Inflation (annualised)", "inflation_annualised", lambda v: f"{v:.1%}"),
        ("Rewards paid (day)", "rewards_native", lambda v: f"{float(v):,.0f}"),
        ("Participants (day)", "participants", lambda v: f"{int(v):,}"),
        ("Share earning anything", "share_earning", lambda v: f"{v:.1%}"),
        ("Top-10% share of rewards", "top10_share", lambda v: f"{v:.1%}"),
        ("Gini of rewards", "gini", lambda v: f"{v:.3f}"),
        ("Validators", "validators", lambda v: f"{int(v):,}"),
        ("Nakamoto coefficient", "nakamoto", lambda v: f"{int(v):,}"),
        ("Rewards per participant (USD/day)", "rewards_per_participant_usd", lambda v: f"${v:,.2f}"),
    ):
        b, s = measured(key, fmt)
        entry = describe(f"ecosystem_daily.{key}")
        definition = f"{entry.meaning[:1].upper()}{entry.meaning[1:]}. Unit: {entry.unit}."
        rows.append(
            {"aspect": aspect, "bittensor": b, "sahara": s, "measured": True, "definition": definition,
             "bittensor_facts": [], "sahara_facts": []}
        )  # fmt: skip
    return rows
