"""Time series at the grain that fits their range: a point per hour under three days, per day above.

A chart's range is the view's range clipped to the data stored for it — the blocks of its chains
(`chain_source_days`), or the quotes of its coins — so 25 hours of chain data in a 30-day view are
drawn hour by hour, and a chart never shows one lonely day. Each point sums the events of its period:
a period without any is absent, never a zero. Whether a period is stored whole rides along as
`complete`, so the charts draw a partial period as partial:

- a day is complete when `chain_days` says so (every block of the day stored, by every source);
- an hour is complete when its day is, or when every source of the chain stored its blocks of that
  day without a gap, from the hour's start (the first stored block is at or before it, or the block
  before that one is known to be earlier) to its end (the last stored block is at or after it, or
  the block after that one is known to be).

Frames carry their period in a column named for the grain, `hour` or `day` (what the CSV says too).
The hourly figures are computed here from staging and hourly tables; the daily ones come from the
marts, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pandas as pd

from dashboards import queries
from dashboards.state import View
from warehouse.projections.completeness import GENESIS, REQUIRED_SOURCES

#: A range shorter than this is drawn a point per hour; from this on, a point per day.
HOURLY_UNDER = pd.Timedelta(days=3)
PERIODS = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1)}
#: The sources each chain's periods need, as `chain_days` requires them.
SOURCES = {chain: tuple(s for c, s, _ in REQUIRED_SOURCES if c == chain) for chain, _, _ in REQUIRED_SOURCES}
#: The share of a token's base unit: rao per TAO, usah per SAHARA.
BASE_UNITS = {"bittensor": 1e9, "sahara": 1e18}
#: Of each participant's rewards in a period, the top share the top-10% measure sums.
TOP_FRACTION = 0.10


def period_column(frame: pd.DataFrame) -> str:
    """The column holding a frame's periods: `hour` for an hourly series, else `day`."""
    return "hour" if "hour" in frame.columns else "day"


# ------------------------------------------------------------------------------------------ grain


def _chain_span(
    url: str, view: View, chains: Iterable[str]
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Times of the first and last stored block of `chains` on the view's days (through the stored
    days' first and last blocks: a handful of key lookups)."""
    names = {f"chain{i}": chain for i, chain in enumerate(chains)}
    if not names:
        return None, None
    frame = queries._read_or_empty(
        url,
        f"""
        SELECT MIN(f.block_time) AS first_at, MAX(l.block_time) AS last_at
        FROM chain_source_days s
        JOIN chain_blocks f ON f.source = s.source AND f.stream = s.stream AND f.block_number = s.first_block
        JOIN chain_blocks l ON l.source = s.source AND l.stream = s.stream AND l.block_number = s.last_block
        WHERE s.chain IN ({", ".join(":" + n for n in names)}) AND s.day >= :first_day AND s.day < :after_day
        """,
        ["first_at", "last_at"],
        {**names, "first_day": view.start, "after_day": view.end + timedelta(days=1)},
        dates=("first_at", "last_at"),
    )
    if frame.empty or frame["first_at"].isna().all():
        return None, None
    return frame["first_at"].min(), frame["last_at"].max()


def _market_span(
    url: str, view: View, coins: Iterable[str]
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    sql, params = queries._per_coin(
        "SELECT MIN(hour) AS first_at, MAX(hour) AS last_at FROM market_caps "
        "WHERE coin_id = :coin AND hour >= :start AND hour < :end",
        list(coins),
    )
    if not params:
        return None, None
    frame = queries._read_or_empty(
        url, sql, ["first_at", "last_at"], {**params, "start": view.start_at, "end": view.end_at},
        dates=("first_at", "last_at"),
    )  # fmt: skip
    if frame.empty or frame["first_at"].isna().all():
        return None, None
    return frame["first_at"].min(), frame["last_at"].max()


def chart_grain(url: str, view: View, chains: Iterable[str] = (), coins: Iterable[str] = ()) -> str:
    """'hour' or 'day': the grain of a chart of `chains` (or of the quotes of `coins`) over the view's
    range, clipped to what is stored of them in it; hourly when that covers less than three days. With
    nothing stored in the range, the range itself decides."""
    first, last = _chain_span(url, view, chains) if chains else _market_span(url, view, coins)
    start, end = pd.Timestamp(view.start_at), pd.Timestamp(view.end_at)
    if first is None:
        span = end - start
    else:
        # The hours the data touches: three whole days of blocks (00:00:00 to 23:59:48) or of hourly
        # quotes (00:00 to 23:00) are three days.
        span = min(last, end).floor("h") + PERIODS["hour"] - max(first, start).floor("h")
    return "hour" if span < HOURLY_UNDER else "day"


# ------------------------------------------------------------------------------------ completeness


def _complete_days(url: str, chain: str, days: list[date]) -> dict[date, bool]:
    frame = queries._read_or_empty(
        url,
        "SELECT day, complete FROM chain_days WHERE chain = :chain AND day >= :lo AND day <= :hi",
        ["day", "complete"],
        {"chain": chain, "lo": min(days), "hi": max(days)},
        dates=("day",),
    )
    return {row.day.date(): bool(row.complete) for row in frame.itertuples(index=False)}


#: `_stored_days` rows of this source are the chain's `chain_days` rows (the day as a whole).
WHOLE_DAY = "chain_days"


def _stored_days(url: str, chain: str, days: list[date]) -> pd.DataFrame:
    """Per source, stream and day of the chain: how its stored blocks cover the day (see the module);
    and, as rows of source `WHOLE_DAY`, whether `chain_days` says the day is complete. One read."""
    return queries._read_or_empty(
        url,
        f"""
        SELECT s.source, s.stream, s.day, s.complete, s.first_block, s.last_block, s.blocks_stored,
               s.previous_block_time, s.next_block_time, f.block_time AS first_at, l.block_time AS last_at
        FROM chain_source_days s
        LEFT JOIN chain_blocks f ON f.source = s.source AND f.stream = s.stream AND f.block_number = s.first_block
        LEFT JOIN chain_blocks l ON l.source = s.source AND l.stream = s.stream AND l.block_number = s.last_block
        WHERE s.chain = :chain AND s.day >= :lo AND s.day <= :hi
        UNION ALL
        SELECT '{WHOLE_DAY}', CAST(NULL AS VARCHAR), day, complete, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
               CAST(NULL AS INTEGER), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP),
               CAST(NULL AS TIMESTAMP)
        FROM chain_days WHERE chain = :chain AND day >= :lo AND day <= :hi
        """,
        ["source", "stream", "day", "complete", "first_block", "last_block", "blocks_stored",
         "previous_block_time", "next_block_time", "first_at", "last_at"],
        {"chain": chain, "lo": min(days), "hi": max(days)},
        dates=("day", "previous_block_time", "next_block_time", "first_at", "last_at"),
    )  # fmt: skip


def _covers(row, start: pd.Timestamp, end: pd.Timestamp) -> bool:
    """Whether one source's stored blocks of a day hold every block of [start, end) of that day: no gap
    between them, none missing before (the block before the first stored one is the genesis's none,
    or is earlier than `start`, or the first stored one is at or after `start`) and none missing after
    (the block after the last stored one is at or after `end`, or the last stored one is)."""
    if bool(row.complete):
        return True
    if row.blocks_stored != row.last_block - row.first_block + 1 or pd.isna(row.first_at):
        return False  # a gap in the day, or its blocks not found
    from_start = (
        start >= row.first_at
        or row.first_block == GENESIS.get(row.source)
        or (not pd.isna(row.previous_block_time) and row.previous_block_time < start)
    )
    to_end = end <= row.last_at or (not pd.isna(row.next_block_time) and end <= row.next_block_time)
    return from_start and to_end


def complete_periods(url: str, chain: str, grain: str, periods: pd.Series) -> list[bool]:
    """Per period start in `periods` (hours or days of `chain`), whether every block of it is stored."""
    if periods.empty:
        return []
    starts = pd.to_datetime(periods)
    days = sorted({t.date() for t in starts})
    if grain == "day":
        known = _complete_days(url, chain, days)
        return [known.get(t.date(), False) for t in starts]
    stored = _stored_days(url, chain, days)
    whole_days = {
        row.day.date(): bool(row.complete)
        for row in stored.itertuples(index=False)
        if row.source == WHOLE_DAY
    }
    by_day: dict[date, list] = {}
    for row in stored.itertuples(index=False):
        if row.source != WHOLE_DAY:
            by_day.setdefault(row.day.date(), []).append(row)

    def covered(start: pd.Timestamp) -> bool:
        if whole_days.get(start.date(), False):
            return True
        rows, end = by_day.get(start.date(), []), start + PERIODS["hour"]
        return all(
            any(r.source == source for r in rows)
            and all(_covers(r, start, end) for r in rows if r.source == source)
            for source in SOURCES[chain]
        )

    return [covered(start) for start in starts]


def _with_complete(url: str, chain: str, grain: str, frame: pd.DataFrame) -> pd.DataFrame:
    column = grain
    return frame.assign(
        complete=complete_periods(url, chain, grain, frame[column]) if not frame.empty else []
    )


def _hourly(url: str, sql: str, columns: list[str], view: View, params: dict | None = None) -> pd.DataFrame:
    return queries._read_or_empty(
        url, sql, columns, {"start": view.start_at, "end": view.end_at, **(params or {})}, dates=("hour",)
    )


# ----------------------------------------------------------------------------------------- Bittensor


def emission(url: str, view: View) -> pd.DataFrame:
    """TAO minted per period: `ecosystem_daily.emission_native` per day, or per hour the blocks'
    `minted_rao` (`stg_bittensor_issuance`, the figure the day sums)."""
    if chart_grain(url, view, ("bittensor",)) == "day":
        return queries.bittensor_emission_per_day(url, view.start_at, view.end_at)
    frame = _hourly(
        url,
        "SELECT date_trunc('hour', block_time) AS hour, CAST(SUM(minted_rao) AS DOUBLE PRECISION) / 1e9 AS emission_tao "
        "FROM stg_bittensor_issuance WHERE block_time >= :start AND block_time < :end GROUP BY 1 ORDER BY 1",
        ["hour", "emission_tao"],
        view,
    )
    return _with_complete(url, "bittensor", "hour", frame)


def registrations(url: str, view: View) -> pd.DataFrame:
    """`NeuronRegistered` events per period and subnet (one subnet if the view names one)."""
    grain = chart_grain(url, view, ("bittensor",))
    if grain == "day":
        frame = queries.registrations_per_day(url, view.start_at, view.end_at, view.netuid)
    else:
        subnet = " AND netuid = :netuid" if view.netuid is not None else ""
        frame = _hourly(
            url,
            "SELECT date_trunc('hour', block_time) AS hour, netuid, COUNT(*) AS registrations "
            f"FROM stg_bittensor_registrations WHERE block_time >= :start AND block_time < :end{subnet} "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            ["hour", "netuid", "registrations"],
            view,
            {"netuid": view.netuid} if view.netuid is not None else None,
        )
    return _with_complete(url, "bittensor", grain, frame)


STAKE_FLOW_CHART_COLUMNS = ["netuid", "complete", "net_flow_tao"]


def stake_flows(url: str, view: View) -> pd.DataFrame:
    """Net stake flow in TAO per period and subnet: the `bittensor_stake_flows_daily` rows per day, or
    per hour from the stake events (`stg_bittensor_stake_events`): TAO added - removed to the subnet,
    plus moved in - moved out, as the mart sums a day."""
    grain = chart_grain(url, view, ("bittensor",))
    if grain == "day":
        return queries.bittensor_stake_flows(url, view.start_at, view.end_at, view.netuid)
    params = {"netuid": view.netuid} if view.netuid is not None else {}
    subnet = " AND netuid = :netuid" if view.netuid is not None else ""
    frame = _hourly(
        url,
        f"""
        WITH legs AS (
            SELECT block_time, netuid,
                   CASE WHEN operation = 'added' THEN 1 ELSE -1 END * CAST(tao_rao AS DOUBLE PRECISION) AS flow_rao
            FROM stg_bittensor_stake_events WHERE block_time >= :start AND block_time < :end
            UNION ALL
            SELECT block_time, destination_netuid, CAST(tao_rao AS DOUBLE PRECISION)
            FROM stg_bittensor_stake_events
            WHERE block_time >= :start AND block_time < :end AND operation IN ('moved', 'transferred', 'swapped')
        )
        SELECT date_trunc('hour', block_time) AS hour, netuid, SUM(flow_rao) / 1e9 AS net_flow_tao
        FROM legs WHERE netuid IS NOT NULL{subnet} GROUP BY 1, 2 ORDER BY 1, 2
        """,
        ["hour", "netuid", "net_flow_tao"],
        view,
        params,
    )
    return _with_complete(url, "bittensor", "hour", frame)[["hour", *STAKE_FLOW_CHART_COLUMNS]]


# -------------------------------------------------------------------------------------------- Sahara


def sahara_rewards(url: str, view: View) -> pd.DataFrame:
    """SAHARA paid to contributors per period with its USD value: `ecosystem_daily` per day, or per
    hour `ecosystem_day_hours` (what the day sums) at that hour's quote, else the day's."""
    if chart_grain(url, view, ("sahara",)) == "day":
        return queries.sahara_rewards_per_day(url, view.start_at, view.end_at)
    frame = _hourly(
        url,
        """
        SELECT h.hour, CAST(h.reward_base_units AS DOUBLE PRECISION) / 1e18 AS rewards_sahara,
               CAST(h.reward_base_units AS DOUBLE PRECISION) / 1e18 * COALESCE(q.price_usd, m.price_usd) AS rewards_usd
        FROM ecosystem_day_hours h
        LEFT JOIN market_caps q ON q.coin_id = 'sahara-ai' AND q.hour = h.hour
        LEFT JOIN market_caps_daily m ON m.coin_id = 'sahara-ai' AND CAST(m.day AS DATE) = CAST(h.hour AS DATE)
        WHERE h.chain = 'sahara' AND h.hour >= :start AND h.hour < :end
        ORDER BY h.hour
        """,
        ["hour", "rewards_sahara", "rewards_usd"],
        view,
    )
    return _with_complete(url, "sahara", "hour", frame)


def marketplace(url: str, view: View) -> pd.DataFrame:
    """Licences bought per period with their price and the revenue shared, in SAHARA
    (`queries.marketplace_sql`, per day or per hour)."""
    grain = chart_grain(url, view, ("sahara",))
    if grain == "day":
        frame = queries.marketplace_per_day(url, view.start_at, view.end_at)
    else:
        frame = _hourly(
            url,
            queries.marketplace_sql(
                "date_trunc('hour', block_time) AS hour", " AND block_time >= :start AND block_time < :end"
            ),
            ["hour", "licenses", "license_sales_sahara", "revenue_shared_sahara"],
            view,
        )
    return _with_complete(url, "sahara", grain, frame)


def contributors(url: str, view: View) -> pd.DataFrame:
    """New contributors per period (by `first_seen_at`) and the running total, as
    `queries.contributors_over_time` counts them per day."""
    grain = chart_grain(url, view, ("sahara",))
    if grain == "day":
        frame = queries.contributors_over_time(url, view.start_at, view.end_at)
    else:
        frame = queries._read_or_empty(
            url,
            "SELECT date_trunc('hour', first_seen_at) AS hour, COUNT(*) AS new_contributors FROM contributors "
            "WHERE first_seen_at >= :start AND first_seen_at < :end GROUP BY 1 ORDER BY 1",
            ["hour", "new_contributors"],
            {"start": view.start_at, "end": view.end_at},
            dates=("hour",),
        )
        before = queries._read_or_empty(
            url, "SELECT COUNT(*) AS n FROM contributors WHERE first_seen_at < :start", ["n"],
            {"start": view.start_at},
        )  # fmt: skip
        earlier = int(before["n"].iloc[0]) if not before.empty and not frame.empty else 0
        frame["contributors"] = frame["new_contributors"].cumsum() + earlier
    return _with_complete(url, "sahara", grain, frame)


# ---------------------------------------------------------------------------------------- comparison

#: A member's reward in each chain's token for one hour, from staging: Bittensor, every UID (netuid and
#: hotkey) observed at a metagraph epoch in the hour with its alpha in TAO at that epoch's pool price;
#: Sahara, every contributor who submitted or was paid in the hour with the SAHARA paid to them.
_HOUR_MEMBERS = {
    "bittensor": """
        SELECT date_trunc('hour', s.block_time) AS hour, CAST(s.netuid AS VARCHAR) || ':' || s.hotkey AS member,
               SUM(COALESCE(CASE WHEN s.netuid = 0 THEN CAST(s.emission_rao AS DOUBLE PRECISION)
                                 ELSE CAST(s.emission_rao AS DOUBLE PRECISION) * CAST(p.subnet_tao_rao AS DOUBLE PRECISION)
                                      / CAST(NULLIF(p.subnet_alpha_in_rao, 0) AS DOUBLE PRECISION) END, 0)) / 1e9 AS reward
        FROM stg_bittensor_neurons s
        LEFT JOIN bittensor_epoch_prices p ON p.netuid = s.netuid AND p.block_number = s.block_number
        WHERE s.block_time >= :start AND s.block_time < :end
        GROUP BY 1, 2
    """,
    "sahara": """
        SELECT date_trunc('hour', block_time) AS hour, contributor AS member,
               SUM(CASE WHEN kind = 'paid' THEN CAST(amount_usah AS DOUBLE PRECISION) ELSE 0 END) / 1e18 AS reward
        FROM stg_sahara_annotation_events
        WHERE kind IN ('submitted', 'paid') AND contributor IS NOT NULL
          AND block_time >= :start AND block_time < :end
        GROUP BY 1, 2
    """,
}

COMPARISON_COLUMNS = [
    "chain", "hour", "complete", "participants", "participants_earning", "share_earning", "rewards_native",
    "rewards_usd", "rewards_per_participant_usd", "top10_share",
]  # fmt: skip


def comparison_per_hour(url: str, chain: str, start: datetime, end: datetime) -> pd.DataFrame:
    """`ecosystem_daily`'s participant measures per hour of one chain, from staging: participants, those
    earning and their share, rewards in the chain's token and in USD (at the hour's quote, else the
    day's), rewards per participant in USD, and the top-10% share of the hour's rewards (the top
    10% of participants, at least one, rounded half up, as the daily mart counts them)."""
    coin = queries.COINS[chain]
    frame = queries._read_or_empty(
        url,
        f"""
        WITH m AS ({_HOUR_MEMBERS[chain]}),
        ranked AS (
            SELECT hour, reward,
                   ROW_NUMBER() OVER (PARTITION BY hour ORDER BY reward DESC, member) AS r_down,
                   COUNT(*) OVER (PARTITION BY hour) AS n,
                   SUM(reward) OVER (PARTITION BY hour) AS total
            FROM m
        ),
        measures AS (
            SELECT hour, MAX(n) AS participants, SUM(CASE WHEN reward > 0 THEN 1 ELSE 0 END) AS participants_earning,
                   MAX(total) AS rewards_native,
                   CASE WHEN MAX(total) > 0
                        THEN SUM(CASE WHEN r_down <= GREATEST(1, FLOOR(n * {TOP_FRACTION} + 0.5)) THEN reward ELSE 0 END)
                             / MAX(total) END AS top10_share
            FROM ranked GROUP BY hour
        )
        SELECT x.hour, x.participants, x.participants_earning, x.rewards_native, x.top10_share,
               x.rewards_native * COALESCE(q.price_usd, d.price_usd) AS rewards_usd
        FROM measures x
        LEFT JOIN market_caps q ON q.coin_id = :coin AND q.hour = x.hour
        LEFT JOIN market_caps_daily d ON d.coin_id = :coin AND CAST(d.day AS DATE) = CAST(x.hour AS DATE)
        ORDER BY x.hour
        """,
        ["hour", "participants", "participants_earning", "rewards_native", "top10_share", "rewards_usd"],
        {"start": start, "end": end, "coin": coin},
        dates=("hour",),
    )
    frame["share_earning"] = frame["participants_earning"] / frame["participants"]
    frame["rewards_per_participant_usd"] = frame["rewards_usd"] / frame["participants"]
    frame = _with_complete(url, chain, "hour", frame).assign(chain=chain)
    return frame.reindex(columns=COMPARISON_COLUMNS)


def comparison(url: str, view: View) -> pd.DataFrame:
    """The comparison measures per chain and period: `ecosystem_daily`'s rows per day, or per hour
    `comparison_per_hour`, for the view's chains. Four panels draw it from the same view, so it is
    computed once per view and warehouse state (`queries.per_state`)."""
    chains = tuple(view.chains())
    return queries.per_state(
        url, ("comparison", view.start_at, view.end_at, chains), lambda: _comparison(url, view, chains)
    )


def _comparison(url: str, view: View, chains: tuple[str, ...]) -> pd.DataFrame:
    if chart_grain(url, view, chains) == "day":
        return queries.ecosystem_daily(url, view.start_at, view.end_at, chains=chains)
    frames = [comparison_per_hour(url, chain, view.start_at, view.end_at) for chain in chains]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["chain", "hour"]).reset_index(drop=True)
