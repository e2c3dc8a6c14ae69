"""The CoinGecko connector against the devnet: splitting, retries, Retry-After, clear errors."""

import time

import pytest

from etl.sources.coingecko import CoinGeckoClient, CoinGeckoError, split_range
from tests.conftest import DEVNET_NOW

DAY = 86400


def test_split_range_covers_the_window_exactly_in_90_day_pieces():
    pieces = split_range(0, 200 * DAY)
    assert pieces == [(0, 90 * DAY), (90 * DAY, 180 * DAY), (180 * DAY, 200 * DAY)]
    with pytest.raises(ValueError, match="empty range"):
        split_range(5, 5)


def test_long_range_is_fetched_hourly_without_overlap(devnet):
    with CoinGeckoClient(devnet.endpoints["coingecko"]) as client:
        result = client.market_chart_range("bittensor", DEVNET_NOW - 100 * DAY, DEVNET_NOW)
    stamps = [q.ts_ms for q in result.quotes]
    assert result.requests == 2
    assert len(stamps) == len(set(stamps)) == 100 * 24
    assert min(stamps) == (DEVNET_NOW - 100 * DAY) * 1000 and max(stamps) == (DEVNET_NOW - 3600) * 1000


def test_429_storm_and_5xx_are_retried_honouring_retry_after(devnet, faults):
    faults(
        {"kind": "status", "path": "/api/v3", "status": 429, "retry_after": 1, "count": 3},
        {"kind": "status", "path": "/api/v3", "status": 503, "count": 1},
    )
    with CoinGeckoClient(devnet.endpoints["coingecko"], backoff_initial=0.01) as client:
        started = time.monotonic()
        result = client.market_chart_range("sahara-ai", DEVNET_NOW - 2 * DAY, DEVNET_NOW)
        elapsed = time.monotonic() - started
    assert result.requests == 5 and result.retries == 4
    assert len(result.quotes) == 48
    assert elapsed >= 3.0, "each 429 waited the Retry-After second it asked for"


def test_persistent_errors_become_a_clear_error(devnet, faults):
    faults({"kind": "status", "path": "/api/v3", "status": 500, "count": 10})
    with CoinGeckoClient(devnet.endpoints["coingecko"], backoff_initial=0.01, max_attempts=3) as client:
        with pytest.raises(CoinGeckoError, match=r"HTTP 500 .* after 3 attempts"):
            client.market_chart_range("bittensor", DEVNET_NOW - DAY, DEVNET_NOW)


def test_unknown_coin_is_not_retried(devnet):
    with CoinGeckoClient(devnet.endpoints["coingecko"]) as client:
        with pytest.raises(CoinGeckoError, match="HTTP 404.*check the coin id"):
            client.market_chart_range("no-such-coin", DEVNET_NOW - DAY, DEVNET_NOW)


def test_a_truncated_body_is_retried_and_then_succeeds(devnet, faults):
    faults({"kind": "truncate", "path": "/api/v3", "count": 2})
    with CoinGeckoClient(devnet.endpoints["coingecko"], backoff_initial=0.01) as client:
        result = client.market_chart_range("bittensor", DEVNET_NOW - 2 * DAY, DEVNET_NOW)
    assert result.retries == 2 and len(result.quotes) == 48 and not result.unreadable


def test_api_key_is_sent_in_the_demo_header(devnet, faults):
    import httpx

    seen = {}

    def record(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(200, json={"prices": [], "market_caps": [], "total_volumes": []})

    with CoinGeckoClient(
        "https://api.example.invalid/api/v3", "k-123", transport=httpx.MockTransport(record)
    ) as c:
        c.market_chart_range("bittensor", 0, 3600)
    assert seen["x-cg-demo-api-key"] == "k-123"
