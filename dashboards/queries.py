"""Queries behind the dashboard: plain functions of a warehouse URL, tested without a browser."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from warehouse.db import read_sql

COIN_LABELS = {"bittensor": "Bittensor (TAO)", "sahara-ai": "Sahara AI (SAHARA)"}


def market_caps(url: str | None, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Hourly market caps of both coins in [start, end); empty frame before any data exists."""
    sql = "SELECT coin_id, hour, price_usd, market_cap_usd, total_volume_usd FROM market_caps WHERE 1 = 1"
    params: dict = {}
    if start is not None:
        sql += " AND hour >= :start"
        params["start"] = start
    if end is not None:
        sql += " AND hour < :end"
        params["end"] = end
    try:
        return read_sql(sql + " ORDER BY coin_id, hour", params, url=url)
    except Exception as exc:  # noqa: BLE001 - a warehouse without tables yet is the empty state
        if "market_caps" in str(exc) and ("does not exist" in str(exc) or "not exist" in str(exc).lower()):
            return pd.DataFrame(
                columns=["coin_id", "hour", "price_usd", "market_cap_usd", "total_volume_usd"]
            )
        raise


def latest_quotes(frame: pd.DataFrame) -> pd.DataFrame:
    """The last hour of each coin, with the 24-hour change of its market cap."""
    if frame.empty:
        return frame
    rows = []
    for coin_id, group in frame.sort_values("hour").groupby("coin_id"):
        last = group.iloc[-1]
        day_ago = group[group["hour"] <= last["hour"] - pd.Timedelta(hours=24)]
        change = None
        if not day_ago.empty:
            change = last["market_cap_usd"] / day_ago.iloc[-1]["market_cap_usd"] - 1.0
        rows.append({**last.to_dict(), "coin_id": coin_id, "market_cap_change_24h": change})
    return pd.DataFrame(rows)
