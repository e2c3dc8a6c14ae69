"""Comparison metrics on small inputs computed by hand."""

from decimal import Decimal

import pytest

from warehouse import metrics


def test_gini():
    assert metrics.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert metrics.gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n-1)/n when one holds everything
    assert metrics.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert metrics.gini([]) is None and metrics.gini([0, 0]) is None
    with pytest.raises(ValueError, match="negative"):
        metrics.gini([1, -1])


def test_nakamoto_coefficient():
    assert metrics.nakamoto_coefficient([50, 30, 20]) == 2  # 50 is not more than half; 80 is
    assert metrics.nakamoto_coefficient([60, 30, 10]) == 1
    assert metrics.nakamoto_coefficient([25, 25, 25, 25]) == 3
    assert metrics.nakamoto_coefficient([40, 30, 30], threshold=1 / 3) == 1
    assert metrics.nakamoto_coefficient([]) is None


def test_top_share_and_share_earning():
    rewards = [100] + [0] * 9
    assert metrics.top_share(rewards, 0.10) == pytest.approx(1.0)
    assert metrics.top_share([1] * 20, 0.10) == pytest.approx(0.10)
    assert metrics.share_earning(rewards) == pytest.approx(0.1)
    assert metrics.share_earning([1, 2, 0, 4]) == pytest.approx(0.75)


def test_lorenz_curve():
    equal = metrics.lorenz_curve([1, 1, 1, 1], points=5)
    assert equal == [pytest.approx((p, p)) for p in (0, 0.25, 0.5, 0.75, 1.0)]
    unequal = metrics.lorenz_curve([0, 0, 0, 4], points=5)
    assert [y for _, y in unequal] == pytest.approx([0, 0, 0, 0, 1])


def test_ratios():
    assert metrics.supply_against_cap(10.5e6, 21e6) == pytest.approx(0.5)
    assert metrics.staking_ratio(73, 100) == pytest.approx(0.73)
    assert metrics.annualised_inflation(3600, 10.5e6) == pytest.approx(0.12514, rel=1e-3)
    assert metrics.per_participant(100, 4) == 25 and metrics.per_participant(100, 0) is None


def test_head_to_head_mixes_descriptions_and_measured_figures():
    rows = metrics.head_to_head(
        {
            "bittensor": {
                "market_cap_usd": 2.9e9,
                "gini": 0.91,
                "participants": 144_400,
                "nakamoto": 7,
                "emission_native": Decimal("3600.000000000"),
                "native_unit": "TAO",
                "staking_ratio": 0.7427,
            },
            "sahara": {
                "market_cap_usd": 71e6,
                "gini": 0.42,
                "participants": 200_000,
                "emission_native": Decimal("159116.963984086774053787"),
                "native_unit": "SAHARA",
            },
        }
    )
    by_aspect = {r["aspect"]: r for r in rows}
    assert by_aspect["Market cap (USD)"]["bittensor"] == "$2.90B"
    assert by_aspect["Market cap (USD)"]["sahara"] == "$71.0M"
    assert by_aspect["Gini of rewards"]["sahara"] == "0.420"
    assert by_aspect["Nakamoto coefficient"]["sahara"] is None
    # Native amounts carry their chain's token; a missing figure stays empty.
    assert by_aspect["Emission per day"]["bittensor"] == "3,600 TAO"
    assert by_aspect["Emission per day"]["sahara"] == "159,117 SAHARA"
    assert by_aspect["Staked (share of supply)"]["bittensor"] == "74.3%"
    assert by_aspect["Staked (share of supply)"]["sahara"] is None
    assert by_aspect["Consensus"]["measured"] is False and by_aspect["Participants (day)"]["measured"] is True
