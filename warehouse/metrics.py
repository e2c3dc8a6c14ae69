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


#: What the two designs are, in words (from public descriptions), with what each row compares; the
#: measured rows come from the warehouse and are defined by the data dictionary.
DESCRIPTIVE_ROWS = (
    (
        "Primary focus",
        "Marketplace for AI outputs (models, inference)",
        "AI inputs: data, annotation, attribution",
        "What the network pays for: AI outputs (models, inference) or AI inputs (data, labels).",
    ),
    (
        "Consensus",
        "Yuma Consensus over validator weights (Substrate, GRANDPA)",
        "CometBFT proof of stake (Cosmos SDK)",
        "How the network agrees on its state and on who is rewarded.",
    ),
    (
        "Token supply",
        "21M TAO cap, emission halves at each 10.5M issued",
        "10B SAHARA max supply, inflationary staking",
        "The token's supply cap and how new tokens are issued.",
    ),
    (
        "Mining model",
        "Miners compete per subnet; validators score them",
        "Contributors annotate; every accepted item is paid",
        "Who does the work, and how their rewards are decided.",
    ),
    (
        "Key metric",
        "Emission share per subnet and UID",
        "Annotations accepted and rewards paid",
        "The figure each network's own activity is best measured by.",
    ),
    (
        "Main differentiator",
        "Competitive: rewards concentrate on the best",
        "Cooperative: rewards spread across contributors",
        "The shape of the rewards: concentrated on the best, or spread across contributors.",
    ),
)


def head_to_head(latest: dict[str, dict]) -> list[dict]:
    """The comparison table: descriptive rows, then measured rows from each chain's latest
    `ecosystem_daily` row (`latest["bittensor"]`, `latest["sahara"]`; missing values show as None).
    Each row carries its `definition`: a measured row's is its column's entry in the data dictionary."""

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

    rows = [
        {"aspect": a, "bittensor": b, "sahara": s, "measured": False, "definition": d}
        for a, b, s, d in DESCRIPTIVE_ROWS
    ]
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
            {"aspect": aspect, "bittensor": b, "sahara": s, "measured": True, "definition": definition}
        )
    return rows
