"""Deterministic market feed in CoinGecko API v3's `market_chart/range` format.

Prices follow a seeded geometric random walk on an hourly grid, anchored to early-2026 calibration
(TAO about $270 and $2.9B market cap; SAHARA about $0.02 and $71M). Circulating TAO follows the
emission schedule (7,200 TAO/day, halved to 3,600 at 10.5M issued on 2025-12-12); SAHARA unlocks
linearly from its listing. Any timestamp always gets the same value, whatever range asked for it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

GRID_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
GRID_END = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())
ANCHOR = int(datetime(2026, 1, 15, tzinfo=UTC).timestamp())
HOUR = 3600
DAY = 86400

TAO_HALVING = int(datetime(2025, 12, 12, tzinfo=UTC).timestamp())
TAO_AT_HALVING = 10_500_000.0


@dataclass(frozen=True)
class Coin:
    coin_id: str
    symbol: str
    anchor_price_usd: float
    hourly_volatility: float
    daily_volume_share: float
    listed_at: int

    def circulating_supply(self, ts: float) -> float:
        if self.coin_id == "bittensor":
            days = (ts - TAO_HALVING) / DAY
            issued = TAO_AT_HALVING + 3_600.0 * days if days >= 0 else TAO_AT_HALVING + 7_200.0 * days
            return float(min(max(issued, 0.0), 21_000_000.0))
        # SAHARA: 2.1B at listing, about 3.4B by January 2026, capped at the 10B max supply.
        days = (ts - self.listed_at) / DAY
        return float(min(2.1e9 + 6.5e6 * max(days, 0.0), 10e9))


COINS = {
    "bittensor": Coin(
        "bittensor", "tao", 270.0, 0.011, 0.035, int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
    ),
    "sahara-ai": Coin(
        "sahara-ai", "sahara", 0.021, 0.017, 0.12, int(datetime(2025, 6, 26, tzinfo=UTC).timestamp())
    ),
}


def _unit_hash(*parts: object) -> float:
    """A deterministic number in (-1, 1) from the parts, for sub-hour noise."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


class MarketModel:
    """Price, market cap and volume for each coin at any second, deterministic from the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._log_price: dict[str, np.ndarray] = {}
        n = (GRID_END - GRID_START) // HOUR + 1
        anchor_idx = (ANCHOR - GRID_START) // HOUR
        for i, coin in enumerate(COINS.values()):
            rng = np.random.default_rng([seed, i])
            steps = rng.normal(0.0, coin.hourly_volatility, n)
            # A slow cycle gives the chart the booms and busts real markets have.
            cycle = 0.35 * np.sin(np.arange(n) / (24 * 180) * 2 * np.pi + i)
            walk = np.cumsum(steps) + cycle
            walk += math.log(coin.anchor_price_usd) - walk[anchor_idx]
            self._log_price[coin.coin_id] = walk

    def quote(self, coin_id: str, ts: int) -> tuple[float, float, float]:
        """(price_usd, market_cap_usd, total_volume_usd) at unix second `ts`."""
        coin = COINS[coin_id]
        walk = self._log_price[coin_id]
        pos = (min(max(ts, GRID_START), GRID_END) - GRID_START) / HOUR
        lo = int(pos)
        hi = min(lo + 1, len(walk) - 1)
        frac = pos - lo
        log_price = walk[lo] * (1 - frac) + walk[hi] * frac
        if ts % HOUR:
            log_price += 0.002 * _unit_hash(self.seed, coin_id, ts)
        price = float(round(math.exp(log_price), 10))
        market_cap = price * coin.circulating_supply(ts)
        volume = market_cap * coin.daily_volume_share * (1.0 + 0.4 * _unit_hash(self.seed, coin_id, "v", ts))
        return price, round(market_cap, 2), round(volume, 2)

    def market_chart_range(self, coin_id: str, start: int, end: int, now: int) -> dict:
        """CoinGecko's granularity: 5-minutely below 1 day, hourly up to 90 days, daily beyond."""
        span = end - start
        step = 300 if span < DAY else HOUR if span <= 90 * DAY else DAY
        coin = COINS[coin_id]
        first = max(start, coin.listed_at)
        first += (-first) % step
        last = min(end, now)
        prices, caps, volumes = [], [], []
        for ts in range(first, last + 1, step):
            price, cap, volume = self.quote(coin_id, ts)
            prices.append([ts * 1000, price])
            caps.append([ts * 1000, cap])
            volumes.append([ts * 1000, volume])
        return {"prices": prices, "market_caps": caps, "total_volumes": volumes}
