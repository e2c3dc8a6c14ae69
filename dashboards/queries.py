"""Queries behind the dashboard: plain functions of a warehouse URL, tested without a browser."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from warehouse.db import read_sql

COIN_LABELS = {"bittensor": "Bittensor (TAO)", "sahara-ai": "Sahara AI (SAHARA)"}


def _window(column: str, start, end) -> tuple[str, dict]:
    """SQL conditions and parameters for `column` in [start, end) (either bound may be open)."""
    sql, params = "", {}
    if start is not None:
        sql += f" AND {column} >= :start"
        params["start"] = start
    if end is not None:
        sql += f" AND {column} < :end"
        params["end"] = end
    return sql, params


def market_caps(url: str | None, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Hourly market caps of both coins in [start, end); empty frame before any data exists."""
    columns = ["coin_id", "hour", "price_usd", "market_cap_usd", "total_volume_usd"]
    condition, params = _window("hour", start, end)
    return _read_or_empty(
        url,
        f"SELECT {', '.join(columns)} FROM market_caps WHERE 1 = 1{condition} ORDER BY coin_id, hour",
        columns,
        params,
    )


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


def _read_or_empty(url: str | None, sql: str, columns: list[str], params: dict | None = None) -> pd.DataFrame:
    """Run a query; a warehouse that has not been migrated yet reads as empty, not as an error."""
    try:
        return read_sql(sql, params or {}, url=url)
    except Exception as exc:  # noqa: BLE001
        text = str(exc).lower()
        if "does not exist" in text or "not exist" in text or "no such table" in text:
            return pd.DataFrame(columns=columns)
        raise


def freshness(url: str | None) -> pd.DataFrame:
    """Per source and stream: how far ingestion has got, and how long ago that was."""
    columns = ["source", "stream", "position", "last_data_at", "updated_at"]
    checkpoints = _read_or_empty(
        url,
        "SELECT source, stream, position, updated_at FROM ingest_checkpoints ORDER BY source, stream",
        columns,
    )
    if checkpoints.empty:
        return pd.DataFrame(columns=[*columns, "lag_hours"])
    blocks = _read_or_empty(
        url,
        "SELECT b.source, b.stream, b.block_time AS last_data_at FROM chain_blocks b "
        "JOIN (SELECT source, stream, MAX(block_number) AS n FROM chain_blocks GROUP BY source, stream) m "
        "ON b.source = m.source AND b.stream = m.stream AND b.block_number = m.n",
        ["source", "stream", "last_data_at"],
    )
    frame = checkpoints.merge(blocks, on=["source", "stream"], how="left")
    market = frame["source"] == "coingecko"
    # For market data the checkpoint is the end of the covered interval, in unix seconds.
    frame.loc[market, "last_data_at"] = pd.to_datetime(frame.loc[market, "position"], unit="s")
    frame["last_data_at"] = pd.to_datetime(frame["last_data_at"])
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    frame["lag_hours"] = ((now - frame["last_data_at"]).dt.total_seconds() / 3600).round(2)
    return frame


def latest_dq_results(url: str | None) -> pd.DataFrame:
    """The latest run of every suite and stream, with totals over all runs."""
    columns = [
        "suite", "source", "stream", "validated_at", "outcome", "rows_validated", "rows_quarantined",
        "expectations_evaluated", "expectations_failed", "runs", "runs_failed",
    ]  # fmt: skip
    return _read_or_empty(
        url,
        """
        WITH ranked AS (
            SELECT d.*, ROW_NUMBER() OVER (PARTITION BY suite, source, stream ORDER BY validated_at DESC) AS rn,
                   COUNT(*) OVER (PARTITION BY suite, source, stream) AS runs,
                   SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) OVER (PARTITION BY suite, source, stream)
                       AS runs_failed
            FROM dq_results d
        )
        SELECT suite, source, stream, validated_at, outcome, rows_validated, rows_quarantined,
               expectations_evaluated, expectations_failed, runs, runs_failed
        FROM ranked WHERE rn = 1 ORDER BY suite, stream
        """,
        columns,
    )


def quarantine_by_rule(url: str | None) -> pd.DataFrame:
    return _read_or_empty(
        url,
        "SELECT source, rule, COUNT(*) AS rows, MAX(quarantined_at) AS last_seen FROM quarantine "
        "GROUP BY source, rule ORDER BY rows DESC",
        ["source", "rule", "rows", "last_seen"],
    )


def quarantined_rows(url: str | None, source: str | None = None, limit: int = 500) -> pd.DataFrame:
    sql = "SELECT quarantined_at, source, chain, position, rule, reason, raw FROM quarantine"
    params: dict = {"limit": limit}
    if source:
        sql += " WHERE source = :source"
        params["source"] = source
    sql += " ORDER BY quarantined_at DESC, position LIMIT :limit"
    return _read_or_empty(
        url, sql, ["quarantined_at", "source", "chain", "position", "rule", "reason", "raw"], params
    )


def ecosystem_daily(url: str | None, start=None, end=None) -> pd.DataFrame:
    """The comparison mart, one row per chain per day, in [start, end)."""
    condition, params = _window("day", start, end)
    sql = "SELECT * FROM ecosystem_daily WHERE 1 = 1" + condition
    frame = _read_or_empty(url, sql + " ORDER BY chain, day", ["chain", "day"], params)
    if not frame.empty:
        frame["day"] = pd.to_datetime(frame["day"])
    return frame


def latest_by_chain(frame: pd.DataFrame) -> dict[str, dict]:
    if frame.empty:
        return {}
    return {chain: group.sort_values("day").iloc[-1].to_dict() for chain, group in frame.groupby("chain")}


#: Rewards per participant over a window: Bittensor miners (UIDs without a validator permit) and Sahara
#: contributors (submitters count with zero until paid).
REWARDS_PER_PARTICIPANT = {
    "bittensor": """
        SELECT CAST(payload->>'netuid' AS VARCHAR) || ':' || (payload->>'hotkey') AS participant,
               SUM(CAST(payload->>'emission' AS DOUBLE PRECISION)) / 1e9 AS reward
        FROM events
        WHERE event_type = 'SubtensorModule.NeuronObserved' AND payload->>'validator_permit' = 'false'
          AND block_time >= :start AND block_time < :end
        GROUP BY 1
    """,
    "sahara": """
        SELECT participant, SUM(reward) AS reward FROM (
            SELECT payload->>'contributor' AS participant, 0.0 AS reward FROM events
            WHERE event_type = 'DataServices.AnnotationSubmitted' AND block_time >= :start AND block_time < :end
            UNION ALL
            SELECT payload->>'contributor', CAST(payload->>'amount' AS DOUBLE PRECISION) / 1e18 FROM events
            WHERE event_type = 'DataServices.RewardPaid' AND block_time >= :start AND block_time < :end
        ) u GROUP BY participant
    """,
}


def rewards_per_participant(url: str | None, chain: str, start, end) -> pd.DataFrame:
    return _read_or_empty(
        url, REWARDS_PER_PARTICIPANT[chain], ["participant", "reward"], {"start": start, "end": end}
    )
