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


def _read_or_empty(
    url: str | None, sql: str, columns: list[str], params: dict | None = None, dates: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Run a query; a warehouse that has not been migrated yet reads as empty, not as an error.

    Columns named in `dates` come back as pandas datetimes on every engine.
    """
    try:
        frame = read_sql(sql, params or {}, url=url)
    except Exception as exc:  # noqa: BLE001
        text = str(exc).lower()
        if "does not exist" in text or "not exist" in text or "no such table" in text:
            frame = pd.DataFrame(columns=columns)
        else:
            raise
    for column in dates:
        frame[column] = pd.to_datetime(frame[column])
    return frame


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
    return _read_or_empty(url, sql + " ORDER BY chain, day", ["chain", "day"], params, dates=("day",))


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


# ------------------------------------------------------------------------------------------ Bittensor

#: The first TAO halving (1 -> 0.5 TAO per block), as the chain scheduled it.
TAO_HALVING_DAY = pd.Timestamp("2025-12-12")


def subnet_leaderboard(url: str | None) -> pd.DataFrame:
    """One row per subnet of the `subnets` mart, largest emission share first (pool TAO in whole TAO)."""
    columns = [
        "netuid", "emission_share", "alpha_price_tao", "tao_in_pool", "miners", "validators",
        "last_observed_at", "registered_at", "removed_at", "owner",
    ]  # fmt: skip
    return _read_or_empty(
        url,
        "SELECT netuid, emission_share, alpha_price_tao, CAST(tao_in_rao AS DOUBLE PRECISION) / 1e9 AS tao_in_pool, "
        "miners, validators, last_observed_at, registered_at, removed_at, owner "
        "FROM subnets ORDER BY emission_share DESC NULLS LAST, netuid",
        columns,
    )


def bittensor_emission_per_day(url: str | None) -> pd.DataFrame:
    """TAO emitted per day, from the Bittensor rows of `ecosystem_daily`."""
    return _read_or_empty(
        url,
        "SELECT day, emission_tokens FROM ecosystem_daily WHERE chain = 'bittensor' ORDER BY day",
        ["day", "emission_tokens"],
        dates=("day",),
    )


def miner_subnets(url: str | None) -> list[int]:
    """Subnets with at least one registered miner, for the subnet filter."""
    frame = _read_or_empty(
        url,
        "SELECT DISTINCT netuid FROM miners WHERE deregistered_at IS NULL ORDER BY netuid",
        ["netuid"],
    )
    return [int(n) for n in frame["netuid"]]


def miner_incentives(url: str | None, netuid: int) -> pd.DataFrame:
    """Incentive (0..1) of every registered miner of one subnet, from its latest observation."""
    return _read_or_empty(
        url,
        "SELECT uid, hotkey, incentive FROM miners WHERE netuid = :netuid AND deregistered_at IS NULL "
        "ORDER BY incentive DESC, uid",
        ["uid", "hotkey", "incentive"],
        {"netuid": int(netuid)},
    )


def registrations_per_day(url: str | None) -> pd.DataFrame:
    """`SubtensorModule.NeuronRegistered` events per day and subnet."""
    return _read_or_empty(
        url,
        "SELECT CAST(block_time AS DATE) AS day, CAST(payload->>'netuid' AS INTEGER) AS netuid, "
        "COUNT(*) AS registrations FROM events WHERE event_type = 'SubtensorModule.NeuronRegistered' "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        ["day", "netuid", "registrations"],
        dates=("day",),
    )


def bittensor_validator_stakes(url: str | None) -> pd.DataFrame:
    """Stake (whole TAO) of every Bittensor validator (permit holder), largest first."""
    return _read_or_empty(
        url,
        "SELECT validator_id, netuid, address, stake_tokens, dividends, validator_trust FROM validators "
        "WHERE chain = 'bittensor' ORDER BY stake_tokens DESC NULLS LAST, validator_id",
        ["validator_id", "netuid", "address", "stake_tokens", "dividends", "validator_trust"],
    )


# --------------------------------------------------------------------------------------------- Sahara

FUNNEL_STAGES = ("submitted", "reviewed", "accepted")


def annotation_funnel(url: str | None) -> pd.DataFrame:
    """Annotations whose submission is in the store: how many were submitted, reviewed and accepted.

    Reviews of submissions from before the store's coverage are left out, so each stage is a subset
    of the one before (the same rule as the `contributors` counts).
    """
    frame = _read_or_empty(
        url,
        "SELECT COUNT(*) AS submitted, "
        "COUNT(reviewed_at) AS reviewed, "
        "SUM(CASE WHEN reviewed_at IS NOT NULL AND accepted THEN 1 ELSE 0 END) AS accepted "
        "FROM annotations WHERE submitted_at IS NOT NULL",
        list(FUNNEL_STAGES),
    )
    counts = frame.iloc[0].fillna(0) if not frame.empty else pd.Series(0, index=list(FUNNEL_STAGES))
    return pd.DataFrame(
        {"stage": list(FUNNEL_STAGES), "annotations": [int(counts[s]) for s in FUNNEL_STAGES]}
    )


def contributors_over_time(url: str | None) -> pd.DataFrame:
    """New contributors per day (by `first_seen_at`) and the running total."""
    frame = _read_or_empty(
        url,
        "SELECT CAST(first_seen_at AS DATE) AS day, COUNT(*) AS new_contributors FROM contributors "
        "WHERE first_seen_at IS NOT NULL GROUP BY 1 ORDER BY 1",
        ["day", "new_contributors"],
        dates=("day",),
    )
    frame["contributors"] = frame["new_contributors"].cumsum()
    return frame


def sahara_rewards_per_day(url: str | None) -> pd.DataFrame:
    """`DataServices.RewardPaid` per day: payments and SAHARA paid (amount in usah / 1e18)."""
    return _read_or_empty(
        url,
        "SELECT CAST(block_time AS DATE) AS day, COUNT(*) AS payments, "
        "SUM(CAST(payload->>'amount' AS DOUBLE PRECISION)) / 1e18 AS rewards_sahara "
        "FROM events WHERE event_type = 'DataServices.RewardPaid' GROUP BY 1 ORDER BY 1",
        ["day", "payments", "rewards_sahara"],
        dates=("day",),
    )


def reputation_tiers(url: str | None) -> pd.DataFrame:
    """Contributors per reputation tier (their highest minted tier)."""
    frame = _read_or_empty(
        url,
        "SELECT reputation_tier, COUNT(*) AS contributors FROM contributors "
        "WHERE reputation_tier IS NOT NULL GROUP BY 1 ORDER BY 1",
        ["reputation_tier", "contributors"],
    )
    frame["reputation_tier"] = frame["reputation_tier"].astype(int)
    return frame


def marketplace_per_day(url: str | None) -> pd.DataFrame:
    """Licences bought per day with their price, and the revenue shared out, in SAHARA (base units / 1e18)."""
    return _read_or_empty(
        url,
        """
        SELECT CAST(block_time AS DATE) AS day,
               SUM(CASE WHEN event_type = 'Marketplace.LicensePurchased' THEN 1 ELSE 0 END) AS licenses,
               SUM(CASE WHEN event_type = 'Marketplace.LicensePurchased'
                        THEN CAST(payload->>'price' AS DOUBLE PRECISION) ELSE 0 END) / 1e18 AS license_sales_sahara,
               SUM(CASE WHEN event_type = 'Marketplace.RevenueShared'
                        THEN CAST(payload->>'amount' AS DOUBLE PRECISION) ELSE 0 END) / 1e18 AS revenue_shared_sahara
        FROM events
        WHERE event_type IN ('Marketplace.LicensePurchased', 'Marketplace.RevenueShared')
        GROUP BY 1 ORDER BY 1
        """,
        ["day", "licenses", "license_sales_sahara", "revenue_shared_sahara"],
        dates=("day",),
    )


def sahara_validators(url: str | None) -> pd.DataFrame:
    """Sahara validators by voting power (whole SAHARA), with delegators and commission."""
    return _read_or_empty(
        url,
        "SELECT validator_id, voting_power, delegators, "
        "CAST(delegated_base_units AS DOUBLE PRECISION) / 1e18 AS delegated_sahara, commission_rate "
        "FROM validators WHERE chain = 'sahara' ORDER BY voting_power DESC NULLS LAST, validator_id",
        ["validator_id", "voting_power", "delegators", "delegated_sahara", "commission_rate"],
    )
