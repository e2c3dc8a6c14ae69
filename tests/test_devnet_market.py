"""The devnet's market feed answers like CoinGecko v3: granularity, limits, determinism."""

import httpx

from devnet.market import MarketModel
from devnet.server import DevnetServer
from tests.conftest import DEVNET_NOW

DAY = 86400


def _chart(devnet, coin, start, end, **headers):
    return httpx.get(
        devnet.endpoints["coingecko"] + f"/coins/{coin}/market_chart/range",
        params={"vs_currency": "usd", "from": start, "to": end},
        headers=headers,
    )


def test_granularity_follows_the_range_length(devnet):
    for span, step in ((6 * 3600, 300), (10 * DAY, 3600), (200 * DAY, DAY)):
        body = _chart(devnet, "bittensor", DEVNET_NOW - span, DEVNET_NOW).json()
        stamps = [p[0] for p in body["prices"]]
        assert {b - a for a, b in zip(stamps, stamps[1:], strict=False)} == {step * 1000}
        assert len(body["prices"]) == len(body["market_caps"]) == len(body["total_volumes"])


def test_calibration_matches_early_2026(devnet):
    body = _chart(devnet, "bittensor", DEVNET_NOW - 3 * DAY, DEVNET_NOW).json()
    price, cap = body["prices"][-1][1], body["market_caps"][-1][1]
    assert 100 < price < 700 and 1e9 < cap < 8e9
    body = _chart(devnet, "sahara-ai", DEVNET_NOW - 3 * DAY, DEVNET_NOW).json()
    assert 0.005 < body["prices"][-1][1] < 0.08 and 2e7 < body["market_caps"][-1][1] < 3e8


def test_nothing_after_now_and_nothing_before_listing(devnet):
    body = _chart(devnet, "bittensor", DEVNET_NOW - 3600, DEVNET_NOW + 10 * DAY).json()
    assert max(p[0] for p in body["prices"]) <= DEVNET_NOW * 1000
    before = _chart(devnet, "sahara-ai", DEVNET_NOW - 400 * DAY, DEVNET_NOW - 300 * DAY).json()
    assert before["prices"] == []


def test_errors_match_the_api(devnet):
    assert _chart(devnet, "no-such-coin", 0, 10).status_code == 404
    response = httpx.get(
        devnet.endpoints["coingecko"] + "/coins/bittensor/market_chart/range", params={"vs_currency": "usd"}
    )
    assert response.status_code == 400


def test_rate_limit_answers_429_with_retry_after():
    with DevnetServer(seed=1, now=DEVNET_NOW, rate_limit_per_minute=2) as server:
        codes = [_chart(server, "bittensor", DEVNET_NOW - 7200, DEVNET_NOW).status_code for _ in range(4)]
        limited = _chart(server, "bittensor", DEVNET_NOW - 7200, DEVNET_NOW)
    assert codes[:2] == [200, 200] and codes[2:] == [429, 429]
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_same_seed_same_bytes_and_different_seed_different_prices():
    a, b, c = MarketModel(7), MarketModel(7), MarketModel(8)
    args = ("sahara-ai", DEVNET_NOW - 5 * DAY, DEVNET_NOW, DEVNET_NOW)
    assert a.market_chart_range(*args) == b.market_chart_range(*args)
    assert a.market_chart_range(*args) != c.market_chart_range(*args)


def test_a_timestamp_has_one_value_whatever_range_asked_for_it():
    model = MarketModel(7)
    hourly = dict(
        map(
            tuple,
            model.market_chart_range("bittensor", DEVNET_NOW - 10 * DAY, DEVNET_NOW, DEVNET_NOW)["prices"],
        )
    )
    fine = dict(
        map(
            tuple,
            model.market_chart_range("bittensor", DEVNET_NOW - 3 * 3600, DEVNET_NOW, DEVNET_NOW)["prices"],
        )
    )
    shared = set(hourly) & set(fine)
    assert shared and all(hourly[t] == fine[t] for t in shared)
