"""Queries behind the dashboard: plain functions of a warehouse URL, tested without a browser."""

from __future__ import annotations

import collections
import contextlib
import contextvars
import functools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from warehouse import db
from warehouse.asof import METAGRAPH_LOOKBACK, STAKE_TAO_AT_EPOCH, staged_metagraph_sql
from warehouse.readonly import check_read_only

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


@functools.lru_cache(maxsize=8)
def _engine(url: str):
    """One read-only engine per warehouse URL, kept for the process (PostgreSQL pools its connections;
    DuckDB opens the file per connection, so no idle process holds its lock)."""
    return db.make_engine(url, read_only=True)


#: The connection of the current `session()`, if any: (resolved url, connection).
_SESSION: contextvars.ContextVar[tuple[str, sa.Connection] | None] = contextvars.ContextVar(
    "dashboard_session", default=None
)


#: The warehouse's state (`warehouse_state`) as the current `session()` read it, once per session.
_SESSION_STATE: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "dashboard_session_state", default=None
)


@contextlib.contextmanager
def session(url: str | None) -> Iterator[None]:
    """Run every query inside on one read-only connection: a callback opens the warehouse once,
    not once per query (on DuckDB opening the file costs more than a small query)."""
    resolved = db.resolve_url(url)
    current = _SESSION.get()
    if current is not None and current[0] == resolved:
        yield
        return
    with db.connect(_engine(resolved)) as conn:
        token = _SESSION.set((resolved, conn))
        state_token = _SESSION_STATE.set({})
        try:
            yield
        finally:
            _SESSION_STATE.reset(state_token)
            _SESSION.reset(token)


def _query(conn: sa.Connection, sql: str, params: dict) -> pd.DataFrame:
    try:
        return pd.read_sql_query(sa.text(sql), conn, params=params)
    finally:
        conn.rollback()  # read-only: ends the transaction, and clears a failed one on PostgreSQL


def _read_or_empty(
    url: str | None, sql: str, columns: list[str], params: dict | None = None, dates: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Run one read-only query with bound parameters; a warehouse that has not been migrated yet reads
    as empty, not as an error. Columns named in `dates` come back as pandas datetimes on every engine.
    """
    sql = check_read_only(sql)
    resolved = db.resolve_url(url)
    current = _SESSION.get()
    try:
        if current is not None and current[0] == resolved:
            frame = _query(current[1], sql, params or {})
        else:
            for attempt in db.retry_on_lock():
                with attempt, db.connect(_engine(resolved)) as conn:
                    frame = _query(conn, sql, params or {})
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
    """Per source and stream: how far ingestion has got, the time of the last block (chains) or quote
    (market) it holds, and how long ago that was. One query, through the keys of `chain_blocks` and
    `market_caps` (never a scan of either)."""
    columns = ["source", "stream", "position", "updated_at", "last_data_at"]
    frame = _read_or_empty(
        url,
        """
        SELECT c.source, c.stream, c.position, c.updated_at, COALESCE(b.block_time, q.observed_at) AS last_data_at
        FROM ingest_checkpoints c
        LEFT JOIN chain_blocks b ON b.source = c.source AND b.stream = c.stream AND b.block_number = c.position
        LEFT JOIN LATERAL (
            SELECT m.observed_at FROM market_caps m
            WHERE c.source = 'coingecko' AND m.coin_id = c.stream
            ORDER BY m.hour DESC LIMIT 1
        ) q ON TRUE
        ORDER BY c.source, c.stream
        """,
        columns,
    )
    if frame.empty:
        return pd.DataFrame(columns=[*columns, "lag_hours"])
    frame["last_data_at"] = pd.to_datetime(frame["last_data_at"])
    # Market data not projected yet: the checkpoint is the end of the covered interval, in unix seconds.
    missing = (frame["source"] == "coingecko") & frame["last_data_at"].isna()
    frame.loc[missing, "last_data_at"] = pd.to_datetime(frame.loc[missing, "position"], unit="s")
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    frame["lag_hours"] = ((now - frame["last_data_at"]).dt.total_seconds() / 3600).round(2)
    return frame


def cached_freshness(url: str | None) -> pd.DataFrame:
    """`freshness`, queried once per HTTP request however many captions a page draws from it."""
    import flask

    if not flask.has_request_context():
        return freshness(url)
    cache = flask.g.setdefault("decai_freshness", {})
    if url not in cache:
        cache[url] = freshness(url)
    return cache[url]


#: What each source's freshness is called in a chart caption.
SOURCE_LABELS = {"subtensor": "Bittensor blocks", "cometbft": "Sahara blocks", "evm": "Sahara EVM logs",
                 "coingecko": "market quotes"}  # fmt: skip


def freshness_caption(fresh: pd.DataFrame, sources: tuple[str, ...], now: pd.Timestamp | None = None) -> str:
    """`Data as of …` for the sources behind one chart: the oldest stream of each, with its lag."""
    now = now if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    oldest = _oldest_streams(fresh)
    parts = []
    for source in sources:
        label = SOURCE_LABELS.get(source, source)
        if source not in oldest:
            parts.append(f"{label}: none yet")
            continue
        position, last_data_at = oldest[source]
        what = "last quote" if source == "coingecko" else f"block {int(position):,}"
        parts.append(f"{label} to {last_data_at:%Y-%m-%d %H:%M} UTC ({what}), {_lag(now - last_data_at)}")
    return "Data as of: " + "; ".join(parts)


def _oldest_streams(fresh: pd.DataFrame) -> dict[str, tuple]:
    """Per source of `freshness`, (position, last_data_at) of its stream whose data ends first (of
    equals, the first listed); a stream without data yet is left out. A plain loop over the few rows:
    a page draws a caption per card, and pandas' filter and sort cost milliseconds each."""
    oldest: dict[str, tuple] = {}
    if fresh.empty:
        return oldest
    columns = (fresh[name].tolist() for name in ("source", "position", "last_data_at"))
    for source, position, last_data_at in zip(*columns, strict=True):
        if pd.isna(last_data_at):
            continue
        if source not in oldest or last_data_at < oldest[source][1]:
            oldest[source] = (position, last_data_at)
    return oldest


def _lag(delta: pd.Timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 0:
        return "ahead of this machine's clock"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:,.0f} days ago"


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


#: At most this many batches are read for the counts per runtime (the newest).
DQ_DETAILS_LIMIT = 5000


def _json_object(value) -> dict:
    """A JSON column as a dict whatever the engine returns (DuckDB: text, PostgreSQL: a dict); a value
    that is not a JSON object reads as {}."""
    if isinstance(value, bytes | bytearray):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def dq_batch_details(
    url: str | None,
    suites: tuple[str, ...],
    sources: tuple[str, ...] | None = None,
    limit: int = DQ_DETAILS_LIMIT,
) -> tuple[pd.DataFrame, bool]:
    """The newest runs (at most `limit`) of `suites` that let their batch through to the store (batch_id
    set: a failed batch wrote nothing), of `sources` if given, newest first, with `details` parsed into
    a dict on every engine; the flag says whether there were more. One read through (suite, validated_at),
    every value a bound parameter."""
    if not suites:
        raise ValueError("dq_batch_details: name at least one suite")
    if not 0 < limit <= 20 * DQ_DETAILS_LIMIT:
        raise ValueError(f"dq_batch_details: limit must be 1..{20 * DQ_DETAILS_LIMIT}, not {limit}")
    columns = ["suite", "source", "stream", "range_start", "range_end", "validated_at", "details"]
    params: dict = {"limit": limit + 1}
    names = {f"suite{i}": suite for i, suite in enumerate(suites)}
    params.update(names)
    sql = (
        f"SELECT {', '.join(columns)} FROM dq_results "
        f"WHERE suite IN ({', '.join(':' + n for n in names)}) AND batch_id IS NOT NULL"
    )
    if sources is not None:
        if not sources:
            return pd.DataFrame(columns=columns), False
        kept = {f"source{i}": source for i, source in enumerate(sources)}
        sql += f" AND source IN ({', '.join(':' + n for n in kept)})"
        params.update(kept)
    frame = _read_or_empty(
        url,
        sql + " ORDER BY validated_at DESC, result_id DESC LIMIT :limit",
        columns,
        params,
        ("validated_at",),
    )
    truncated = len(frame) > limit
    frame = frame.head(limit).copy()
    frame["details"] = frame["details"].map(_json_object)
    return frame.reset_index(drop=True), truncated


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


def unmodelled_logs(url: str | None) -> pd.DataFrame:
    """Logs of registered EVM contracts that no registered ABI decodes, per network and contract."""
    return _read_or_empty(
        url,
        "SELECT network, contract_address, logs, first_block, last_block, last_block_time "
        "FROM evm_unmodelled_logs ORDER BY logs DESC, network, contract_address",
        ["network", "contract_address", "logs", "first_block", "last_block", "last_block_time"],
        dates=("last_block_time",),
    )


#: Chain (as the dashboard names it) -> the coin its market data is quoted under.
COINS = {"bittensor": "bittensor", "sahara": "sahara-ai"}


def _per_coin(sql: str, coins) -> tuple[str, dict]:
    """`sql` (with `:coin`) once per coin, joined by UNION ALL with the coin bound as a parameter:
    each branch is an index range scan on (coin_id, hour) where a GROUP BY over coins would scan."""
    parts, params = [], {}
    for i, coin in enumerate(coins):
        parts.append("(" + sql.replace(":coin", f":coin{i}") + ")")
        params[f"coin{i}"] = coin
    return " UNION ALL ".join(parts), params


# ---------------------------------------------------------------------------------------- extent


def data_extent(url: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last day with market or comparison data (None, None before any data exists)."""
    market, params = _per_coin(
        "SELECT MIN(hour) AS first_at, MAX(hour) AS last_at FROM market_caps WHERE coin_id = :coin",
        COINS.values(),
    )
    frames = [
        _read_or_empty(url, market, ["first_at", "last_at"], params, dates=("first_at", "last_at")),
        _read_or_empty(
            url,
            "SELECT MIN(day) AS first_at, MAX(day) AS last_at FROM ecosystem_daily",
            ["first_at", "last_at"],
            dates=("first_at", "last_at"),
        ),
    ]
    frame = pd.concat([f for f in frames if not f.empty])
    if frame.empty or frame["last_at"].isna().all():
        return None, None
    return frame["first_at"].min().normalize(), frame["last_at"].max().normalize()


# ---------------------------------------------------------------------------------------- market


def market_caps(
    url: str | None,
    start: datetime | None = None,
    end: datetime | None = None,
    daily: bool = False,
    coins=None,
) -> pd.DataFrame:
    """Market caps of the coins in [start, end), hourly (or daily, from `market_caps_daily`, with its
    `complete`), with the period in column `hour` either way; an empty frame before any data exists."""
    table, period = ("market_caps_daily", "day") if daily else ("market_caps", "hour")
    columns = ["coin_id", "hour", "price_usd", "market_cap_usd", "total_volume_usd"]
    if daily:
        columns.append("complete")  # all 24 hourly quotes of the day are stored
    condition, params = _window(period, start, end)
    sql, coin_params = _per_coin(
        f"SELECT coin_id, {period} AS hour, {', '.join(columns[2:])} FROM {table} "
        f"WHERE coin_id = :coin{condition}",
        coins or COINS.values(),
    )
    frame = _read_or_empty(url, sql, columns, {**params, **coin_params}, dates=("hour",))
    return frame.sort_values(["coin_id", "hour"]).reset_index(drop=True)


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


def quotes_as_of(url: str | None, until: datetime | None = None, coins=None) -> pd.DataFrame:
    """Each coin's last hourly row before `until` (None: the latest) and the 24 hours before it, which
    `latest_quotes` turns into the KPI figures; reads at most 26 rows per coin through the key."""
    columns = ["coin_id", "hour", "price_usd", "market_cap_usd", "total_volume_usd"]
    bound = " AND hour < :until" if until is not None else ""
    sql, params = _per_coin(
        "SELECT coin_id, hour, price_usd, market_cap_usd, total_volume_usd FROM market_caps "
        f"WHERE coin_id = :coin AND hour >= (SELECT MAX(hour) FROM market_caps WHERE coin_id = :coin{bound})"
        f" - INTERVAL '25 hours'{bound}",
        coins or COINS.values(),
    )
    if until is not None:
        params["until"] = until
    return _read_or_empty(url, sql, columns, params, dates=("hour",))


def rebased(frame: pd.DataFrame, key: str, period: str, value: str) -> pd.DataFrame:
    """`value` as an index of 100 at each series' first period (`key` names the series); a series
    whose first value is zero or missing cannot be rebased and is left out."""
    if frame.empty:
        return frame.assign(index=pd.Series(dtype=float))
    parts = []
    for _, group in frame.sort_values(period).groupby(key):
        series = group.dropna(subset=[value])
        if series.empty or not series[value].iloc[0]:
            continue
        index = 100.0 * series[value] / series[value].iloc[0]
        index.iloc[0] = 100.0  # exactly: x * 100 / x is not always 100 in floating point
        parts.append(series.assign(index=index))
    if not parts:
        return frame.iloc[0:0].assign(index=pd.Series(dtype=float))
    return pd.concat(parts).reset_index(drop=True)


# ------------------------------------------------------------------------------- reference facts

REFERENCE_FACT_COLUMNS = [
    "fact_id", "subject", "fact", "value", "value_number", "unit", "as_of", "source_title", "source_url", "note",
]  # fmt: skip


def reference_facts(url: str | None) -> pd.DataFrame:
    """Every off-chain reference fact with its source and as-of date (`reference_facts`, loaded from
    the repository's CSV), ordered by fact_id."""
    return _read_or_empty(
        url,
        f"SELECT {', '.join(REFERENCE_FACT_COLUMNS)} FROM reference_facts ORDER BY fact_id",
        REFERENCE_FACT_COLUMNS,
        dates=("as_of",),
    )


# ------------------------------------------------------------------------------------ milestones

MILESTONE_COLUMNS = [
    "milestone_id", "chain", "kind", "label", "detail", "occurred_at", "resolution", "block_number",
    "source_title", "source_url", "fact_id",
]  # fmt: skip
#: Resolved warehouse URL -> (its state when `v_milestones` was last read, every milestone then).
_MILESTONES: dict[str, tuple[tuple, pd.DataFrame]] = {}


def warehouse_state(url: str | None) -> tuple:
    """What every table the dashboard reads depends on, read cheaply: the committed ingest batches
    (new events and blocks: a batch is recorded in the transaction that stores them), the projections'
    positions and last runs (new staging and mart rows) and the dated reference facts. Read once per
    `session()`: a DuckDB file cannot change while a reader has it open."""
    memo = _SESSION_STATE.get()
    resolved = db.resolve_url(url)
    if memo is not None and resolved in memo:
        return memo[resolved]
    state = _read_state(url)
    if memo is not None:
        memo[resolved] = state
    return state


def _read_state(url: str | None) -> tuple:
    frame = _read_or_empty(
        url,
        """
        SELECT 'batches' AS part, CAST(COUNT(*) AS VARCHAR) AS name, CAST(MAX(started_at) AS VARCHAR) AS state
        FROM ingest_batches
        UNION ALL
        SELECT 'projection', projection, CAST(last_seq AS VARCHAR) || '|' || CAST(updated_at AS VARCHAR)
        FROM projection_state
        UNION ALL
        SELECT 'fact', fact_id, subject || '|' || fact || '|' || value || '|' || COALESCE(unit, '') || '|'
               || CAST(as_of AS VARCHAR) || '|' || source_title || '|' || source_url || '|' || COALESCE(note, '')
        FROM reference_facts
        """,
        ["part", "name", "state"],
    )
    return tuple(sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False)))


#: (resolved URL, what, arguments) -> (the warehouse state it was computed in, the frame); newest last.
_PER_STATE: collections.OrderedDict[tuple, tuple[tuple, pd.DataFrame]] = collections.OrderedDict()
_PER_STATE_LOCK = threading.Lock()
PER_STATE_ENTRIES = 64


def per_state(url: str | None, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`compute()`, or a copy of what it returned for the same `key` while the warehouse was in the
    same state (`warehouse_state`): panels that draw the same frame of one view (the comparison
    measures of the overview and compare pages) compute it once until ingestion or a projection run
    changes the warehouse. `key` names what is computed and every argument it depends on."""
    full_key = (db.resolve_url(url), *key)
    state = warehouse_state(url)
    with _PER_STATE_LOCK:
        cached = _PER_STATE.get(full_key)
        if cached is not None and cached[0] == state:
            _PER_STATE.move_to_end(full_key)
            return cached[1].copy()
    frame = compute()
    with _PER_STATE_LOCK:
        _PER_STATE[full_key] = (state, frame.copy())
        _PER_STATE.move_to_end(full_key)
        while len(_PER_STATE) > PER_STATE_ENTRIES:
            _PER_STATE.popitem(last=False)
    return frame


def milestones(
    url: str | None, start: datetime | None = None, end: datetime | None = None, chains=None
) -> pd.DataFrame:
    """The milestones (`v_milestones`: runtime upgrades and halvings seen on chain, dated reference
    facts) that occurred in [start, end), of `chains` if given (a chain's and the sector's), oldest
    first. The view is read again only when the warehouse has changed since the last read."""
    resolved = db.resolve_url(url)
    state = warehouse_state(url)
    cached = _MILESTONES.get(resolved)
    if cached is None or cached[0] != state:
        every = _read_or_empty(
            url,
            f"SELECT {', '.join(MILESTONE_COLUMNS)} FROM v_milestones ORDER BY occurred_at, milestone_id",
            MILESTONE_COLUMNS,
            dates=("occurred_at",),
        )
        _MILESTONES[resolved] = cached = (state, every)
    frame = cached[1]
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= frame["occurred_at"] >= pd.Timestamp(start)
    if end is not None:
        keep &= frame["occurred_at"] < pd.Timestamp(end)
    if chains is not None:
        keep &= frame["chain"].isin([*chains, "sector"])
    return frame[keep].reset_index(drop=True)


# ----------------------------------------------------------------------------------- comparison


def ecosystem_daily(url: str | None, start=None, end=None, chains=None) -> pd.DataFrame:
    """The comparison mart, one row per chain per day, in [start, end)."""
    condition, params = _window("day", start, end)
    sql = "SELECT * FROM ecosystem_daily WHERE 1 = 1" + condition
    if chains:
        names = {f"chain{i}": chain for i, chain in enumerate(chains)}
        sql += f" AND chain IN ({', '.join(':' + n for n in names)})"
        params.update(names)
    return _read_or_empty(url, sql + " ORDER BY chain, day", ["chain", "day"], params, dates=("day",))


def ecosystem_as_of(url: str | None, as_of: datetime | None = None) -> pd.DataFrame:
    """Each chain's latest `ecosystem_daily` row of a day before `as_of` (None: the latest row)."""
    bound = " AND day < :as_of" if as_of is not None else ""
    parts, params = [], {"as_of": as_of} if as_of is not None else {}
    for i, chain in enumerate(COINS):
        params[f"chain{i}"] = chain
        parts.append(
            f"(SELECT * FROM ecosystem_daily WHERE chain = :chain{i} AND day = "
            f"(SELECT MAX(day) FROM ecosystem_daily WHERE chain = :chain{i}{bound}))"
        )
    return _read_or_empty(url, " UNION ALL ".join(parts), ["chain", "day"], params, dates=("day",))


def ecosystem_complete_as_of(url: str | None, as_of: datetime | None = None) -> pd.DataFrame:
    """Each chain's last *complete* `ecosystem_daily` day before `as_of` (None: the latest): the day
    whose blocks are all stored (`chain_days`), so its per-day figures are whole."""
    bound = " AND day < :as_of" if as_of is not None else ""
    parts, params = [], {"as_of": as_of} if as_of is not None else {}
    for i, chain in enumerate(COINS):
        params[f"chain{i}"] = chain
        parts.append(
            f"(SELECT * FROM ecosystem_daily WHERE chain = :chain{i} AND day = "
            f"(SELECT MAX(day) FROM ecosystem_daily WHERE chain = :chain{i} AND complete{bound}))"
        )
    return _read_or_empty(url, " UNION ALL ".join(parts), ["chain", "day"], params, dates=("day",))


def ecosystem_complete_on_both(url: str | None, as_of: datetime | None = None) -> pd.DataFrame:
    """Both chains' `ecosystem_daily` rows of the latest day before `as_of` that is complete on every
    chain (empty when no such day), so a head-to-head compares the same whole day."""
    bound = " AND day < :as_of" if as_of is not None else ""
    chains = {f"chain{i}": chain for i, chain in enumerate(COINS)}
    listed = ", ".join(":" + name for name in chains)
    sql = f"""
        SELECT * FROM ecosystem_daily WHERE chain IN ({listed}) AND day = (
            SELECT MAX(day) FROM (
                SELECT day FROM ecosystem_daily WHERE complete AND chain IN ({listed}){bound}
                GROUP BY day HAVING COUNT(DISTINCT chain) = {len(chains)}
            ) both_complete
        )
    """
    params = {**chains, **({"as_of": as_of} if as_of is not None else {})}
    return _read_or_empty(url, sql, ["chain", "day"], params, dates=("day",))


NETWORK_COLUMNS = [
    "chain", "network", "day", "complete", "native_unit", "transactions", "active_accounts", "new_accounts",
    "transfers", "transfer_volume_native", "transfer_volume_usd", "fees_native", "fees_usd", "holders",
    "staking_apr", "staking_apy", "price_usd",
]  # fmt: skip


def network_daily(url: str | None, start=None, end=None, chains=None) -> pd.DataFrame:
    """Network fundamentals, one row per chain, network and day, in [start, end)."""
    condition, params = _window("day", start, end)
    sql = f"SELECT {', '.join(NETWORK_COLUMNS)} FROM network_daily WHERE 1 = 1" + condition
    if chains:
        names = {f"chain{i}": chain for i, chain in enumerate(chains)}
        sql += f" AND chain IN ({', '.join(':' + n for n in names)})"
        params.update(names)
    return _read_or_empty(url, sql + " ORDER BY chain, network, day", NETWORK_COLUMNS, params, dates=("day",))


def network_on_days(url: str | None, days: dict[str, object]) -> dict[tuple[str, str], dict]:
    """Each chain's complete `network_daily` rows of its given day, keyed by (chain, network)."""
    if not days:
        return {}
    parts, params = [], {}
    for i, (chain, day) in enumerate(sorted(days.items())):
        parts.append(f"(chain = :chain{i} AND day = :day{i})")
        params.update({f"chain{i}": chain, f"day{i}": pd.Timestamp(day).date()})
    sql = (
        f"SELECT {', '.join(NETWORK_COLUMNS)} FROM network_daily WHERE complete AND ({' OR '.join(parts)}) "
        "ORDER BY chain, network"
    )
    frame = _read_or_empty(url, sql, NETWORK_COLUMNS, params, dates=("day",))
    return {(row["chain"], row["network"]): row for row in frame.to_dict("records")}


def latest_by_chain(frame: pd.DataFrame) -> dict[str, dict]:
    if frame.empty:
        return {}
    return {chain: group.sort_values("day").iloc[-1].to_dict() for chain, group in frame.groupby("chain")}


#: Base units per token of each chain's rewards.
REWARD_UNITS = {"bittensor": "1e9", "sahara": "1e18"}


def rewards_per_participant(url: str | None, chain: str, start, end) -> pd.DataFrame:
    """Each participant's rewards over the whole UTC days in [start, end), in tokens, from the running
    state of `ecosystem_daily` (one row per member and day, however many events made it):

    - Bittensor: every UID (`netuid:hotkey`) observed without validator permit in the range — a miner —
      with the emission of those observations (the ones with a permit, as a validator, are left out);
    - Sahara: every contributor who submitted an annotation or was paid in the range, with the
      `DataServices.RewardPaid` amounts paid to them in it (0 for those only submitting).

    Sahara counts every `RewardPaid` on its own day, to the contributor it names, as `ecosystem_daily`
    does. Summing the `annotations` mart instead gives the same rows except in four cases the devnet
    never produces: the mart leaves out a payment it cannot attribute to an annotation (no accepted
    review before it in its transaction); it dates all the payments of an annotation paid more than
    once at the latest of them; it credits a payment to the annotation's submitter, should the payment
    name someone else; and it counts only the first submission of an annotation id submitted twice. A
    payment on a day without a submission by the same contributor counts alike in both (the
    contributor takes part that day).
    """
    if chain not in REWARD_UNITS:
        raise ValueError(f"rewards per participant: unknown chain {chain!r}; use one of {list(COINS)}")
    return _read_or_empty(
        url,
        "SELECT member AS participant, "
        f"CAST(SUM(earner_reward_base_units) AS DOUBLE PRECISION) / {REWARD_UNITS[chain]} AS reward "
        "FROM ecosystem_day_members "
        "WHERE chain = :chain AND day >= :start AND day < :end AND role = 'participant' AND earner "
        "GROUP BY member",
        ["participant", "reward"],
        {"chain": chain, "start": start, "end": end},
    )


# ------------------------------------------------------------------------------------------ Bittensor

#: The first TAO halving (1 -> 0.5 TAO per block), as the chain scheduled it.
TAO_HALVING_DAY = pd.Timestamp("2025-12-12")


def subnet_leaderboard(url: str | None) -> pd.DataFrame:
    """One row per subnet of the `subnets` mart, largest emission share first (pool TAO in whole TAO), with
    the name the chain serves for it."""
    columns = [
        "netuid", "name", "emission_share", "price_tao_per_alpha", "pool_tao", "miners", "validators",
        "last_observed_at", "registered_at", "removed_at", "owner",
    ]  # fmt: skip
    return _read_or_empty(
        url,
        "SELECT netuid, name, emission_share, price_tao_per_alpha, CAST(pool_tao AS DOUBLE PRECISION) AS pool_tao, "
        "miners, validators, last_observed_at, registered_at, removed_at, owner "
        "FROM subnets ORDER BY emission_share DESC NULLS LAST, netuid",
        columns,
    )


def bittensor_emission_per_day(url: str | None, start=None, end=None) -> pd.DataFrame:
    """TAO minted per day (`emission_native` of the Bittensor rows of `ecosystem_daily`) and whether the
    day is complete, in [start, end)."""
    condition, params = _window("day", start, end)
    return _read_or_empty(
        url,
        "SELECT day, CAST(emission_native AS DOUBLE PRECISION) AS emission_tao, complete FROM ecosystem_daily "
        f"WHERE chain = 'bittensor'{condition} ORDER BY day",
        ["day", "emission_tao", "complete"],
        params,
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


def miner_incentives(url: str | None, netuid: int, as_of: datetime | None = None) -> pd.DataFrame:
    """Incentive (0..1) of every miner of one subnet: from the `miners` mart (now), or as of a moment
    from the subnet's staging rows: each UID's last observation before `as_of` (within
    `METAGRAPH_LOOKBACK`), without validator permit — the metagraph `warehouse.asof` rebuilds."""
    columns = ["uid", "hotkey", "incentive"]
    if as_of is None:
        return _read_or_empty(
            url,
            "SELECT uid, hotkey, incentive FROM miners WHERE netuid = :netuid AND deregistered_at IS NULL "
            "ORDER BY incentive DESC, uid",
            columns,
            {"netuid": int(netuid)},
        )
    metagraph = staged_metagraph_sql(
        "uid", "s.uid, s.hotkey, s.incentive, s.validator_permit", " AND s.netuid = :netuid"
    )
    return _read_or_empty(
        url,
        f"SELECT uid, hotkey, incentive FROM ({metagraph}) m WHERE validator_permit = FALSE "
        "ORDER BY incentive DESC, uid",
        columns,
        {"netuid": int(netuid), "as_of": as_of, "since": as_of - METAGRAPH_LOOKBACK},
    )


def registrations_per_day(url: str | None, start=None, end=None, netuid: int | None = None) -> pd.DataFrame:
    """`SubtensorModule.NeuronRegistered` events per day and subnet in [start, end) (one subnet if given),
    from their staging table (typed columns, no JSON to parse: the event store is never scanned)."""
    condition, params = _window("block_time", start, end)
    if netuid is not None:
        condition += " AND netuid = :netuid"
        params["netuid"] = int(netuid)
    return _read_or_empty(
        url,
        "SELECT CAST(block_time AS DATE) AS day, netuid, COUNT(*) AS registrations "
        f"FROM stg_bittensor_registrations WHERE 1 = 1{condition} GROUP BY 1, 2 ORDER BY 1, 2",
        ["day", "netuid", "registrations"],
        params,
        dates=("day",),
    )


STAKE_FLOW_COLUMNS = [
    "day", "netuid", "complete", "net_flow_tao", "added_count", "added_tao", "removed_count", "removed_tao",
    "moved_in_count", "moved_in_tao", "moved_out_count", "moved_out_tao", "added_alpha", "removed_alpha",
    "net_staked_alpha", "coldkeys",
]  # fmt: skip


def bittensor_stake_flows(url: str | None, start=None, end=None, netuid: int | None = None) -> pd.DataFrame:
    """Stake put into and taken out of each subnet per day, in [start, end) (one subnet if given), from
    `bittensor_stake_flows_daily`: counts, TAO (`*_tao`) and the subnet's alpha (`*_alpha`), the net
    flow in TAO terms and whether the day is complete. The amounts arrive as floats, as every chart
    reads them; the warehouse holds them exact (DECIMAL(38, 9))."""
    condition, params = _window("day", start, end)
    if netuid is not None:
        condition += " AND netuid = :netuid"
        params["netuid"] = int(netuid)
    return _read_or_empty(
        url,
        f"SELECT {', '.join(STAKE_FLOW_COLUMNS)} FROM bittensor_stake_flows_daily "
        f"WHERE 1 = 1{condition} ORDER BY day, netuid",
        STAKE_FLOW_COLUMNS,
        params,
        dates=("day",),
    )


def bittensor_validator_stakes(
    url: str | None, netuid: int | None = None, as_of: datetime | None = None
) -> pd.DataFrame:
    """Stake of every Bittensor validator (permit holder) in its subnet's alpha and in TAO at the pool
    price of the observation's epoch, largest TAO value first: from the `validators` mart (now), or as
    of a moment from the metagraph as it stood: each UID's last observation before it (within
    `METAGRAPH_LOOKBACK`), so a hotkey whose UID went to a new registration is no longer shown, as in
    `warehouse.asof.metagraph_as_of`. One subnet if `netuid` is given."""
    columns = [
        "validator_id",
        "netuid",
        "address",
        "stake_alpha",
        "stake_tao",
        "dividends",
        "validator_trust",
    ]
    params: dict = {}
    subnet = ""
    if netuid is not None:
        subnet, params["netuid"] = " AND netuid = :netuid", int(netuid)
    if as_of is None:
        return _read_or_empty(
            url,
            "SELECT validator_id, netuid, address, CAST(stake_alpha AS DOUBLE PRECISION) AS stake_alpha, "
            "CAST(stake_native AS DOUBLE PRECISION) AS stake_tao, dividends, validator_trust FROM validators "
            f"WHERE chain = 'bittensor'{subnet} ORDER BY stake_tao DESC NULLS LAST, validator_id",
            columns,
            params,
        )
    params.update(as_of=as_of, since=as_of - METAGRAPH_LOOKBACK)
    metagraph = staged_metagraph_sql(
        "uid",
        "s.netuid, s.hotkey, s.block_number, s.stake_rao, s.dividends, s.validator_trust, s.validator_permit",
        " AND s.netuid = :netuid" if netuid is not None else "",
    )
    return _read_or_empty(
        url,
        f"""
        SELECT CAST(m.netuid AS VARCHAR) || ':' || m.hotkey AS validator_id, m.netuid, m.hotkey AS address,
               CAST(m.stake_rao AS DOUBLE PRECISION) / 1e9 AS stake_alpha, {STAKE_TAO_AT_EPOCH} AS stake_tao,
               m.dividends, m.validator_trust
        FROM ({metagraph}) m
        LEFT JOIN bittensor_epoch_prices p ON p.netuid = m.netuid AND p.block_number = m.block_number
        WHERE m.validator_permit = TRUE
        ORDER BY stake_tao DESC NULLS LAST, validator_id
        """,
        columns,
        params,
    )


# --------------------------------------------------------------------------------------------- Sahara

FUNNEL_STAGES = ("submitted", "reviewed", "accepted")


def annotation_funnel(url: str | None, start=None, end=None) -> pd.DataFrame:
    """Annotations submitted in [start, end) (all stored submissions without bounds): how many were
    submitted, reviewed and accepted.

    Reviews of submissions from before the store's coverage are left out, so each stage is a subset
    of the one before (the same rule as the `contributors` counts).
    """
    condition, params = _window("submitted_at", start, end)
    frame = _read_or_empty(
        url,
        "SELECT COUNT(*) AS submitted, "
        "COUNT(reviewed_at) AS reviewed, "
        "SUM(CASE WHEN reviewed_at IS NOT NULL AND accepted THEN 1 ELSE 0 END) AS accepted "
        f"FROM annotations WHERE submitted_at IS NOT NULL{condition}",
        list(FUNNEL_STAGES),
        params,
    )
    counts = frame.iloc[0].fillna(0) if not frame.empty else pd.Series(0, index=list(FUNNEL_STAGES))
    return pd.DataFrame(
        {"stage": list(FUNNEL_STAGES), "annotations": [int(counts[s]) for s in FUNNEL_STAGES]}
    )


def contributors_over_time(url: str | None, start=None, end=None) -> pd.DataFrame:
    """New contributors per day (by `first_seen_at`) in [start, end), and the running total including
    those first seen before the range."""
    condition, params = _window("first_seen_at", start, end)
    frame = _read_or_empty(
        url,
        "SELECT CAST(first_seen_at AS DATE) AS day, COUNT(*) AS new_contributors FROM contributors "
        f"WHERE first_seen_at IS NOT NULL{condition} GROUP BY 1 ORDER BY 1",
        ["day", "new_contributors"],
        params,
        dates=("day",),
    )
    before = 0
    if start is not None and not frame.empty:
        earlier = _read_or_empty(
            url,
            "SELECT COUNT(*) AS n FROM contributors WHERE first_seen_at < :start",
            ["n"],
            {"start": start},
        )
        before = int(earlier["n"].iloc[0]) if not earlier.empty else 0
    frame["contributors"] = frame["new_contributors"].cumsum() + before
    return frame


def sahara_rewards_per_day(url: str | None, start=None, end=None) -> pd.DataFrame:
    """SAHARA paid to contributors per day (`DataServices.RewardPaid`, summed in `ecosystem_daily`),
    with its USD value at that day's close and whether the day is complete, in [start, end)."""
    condition, params = _window("day", start, end)
    return _read_or_empty(
        url,
        "SELECT day, CAST(rewards_native AS DOUBLE PRECISION) AS rewards_sahara, rewards_usd, complete "
        f"FROM ecosystem_daily WHERE chain = 'sahara'{condition} ORDER BY day",
        ["day", "rewards_sahara", "rewards_usd", "complete"],
        params,
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


def marketplace_sql(period: str, condition: str) -> str:
    """Licences bought per `period` (an SQL expression of `block_time` with its name) with their
    price, and the revenue shared out, in SAHARA (base units / 1e18), from `stg_sahara_marketplace`
    (typed: no event JSON to parse), of the rows `condition` (`AND …` on block_time) keeps."""
    return f"""
        SELECT {period},
               SUM(CASE WHEN kind = 'license' THEN 1 ELSE 0 END) AS licenses,
               SUM(CASE WHEN kind = 'license' THEN CAST(amount_usah AS DOUBLE PRECISION) ELSE 0 END) / 1e18
                   AS license_sales_sahara,
               SUM(CASE WHEN kind = 'revenue_share' THEN CAST(amount_usah AS DOUBLE PRECISION) ELSE 0 END) / 1e18
                   AS revenue_shared_sahara
        FROM stg_sahara_marketplace
        WHERE 1 = 1{condition}
        GROUP BY 1 ORDER BY 1
    """


def marketplace_per_day(url: str | None, start=None, end=None) -> pd.DataFrame:
    """Licences bought per day with their price, and the revenue shared out, in SAHARA (base units / 1e18),
    in [start, end) (`marketplace_sql`)."""
    condition, params = _window("block_time", start, end)
    return _read_or_empty(
        url,
        marketplace_sql("CAST(block_time AS DATE) AS day", condition),
        ["day", "licenses", "license_sales_sahara", "revenue_shared_sahara"],
        params,
        dates=("day",),
    )


def sahara_validators(url: str | None, as_of: datetime | None = None) -> pd.DataFrame:
    """Sahara validators by voting power (whole SAHARA): with delegators and commission from the
    `validators` mart (now), or as of a moment: the last validator set observed before it (staging)."""
    columns = ["validator_id", "voting_power", "delegators", "delegated_sahara", "commission_rate"]
    if as_of is None:
        return _read_or_empty(
            url,
            "SELECT validator_id, voting_power, delegators, "
            "CAST(delegated_base_units AS DOUBLE PRECISION) / 1e18 AS delegated_sahara, commission_rate "
            "FROM validators WHERE chain = 'sahara' ORDER BY voting_power DESC NULLS LAST, validator_id",
            columns,
        )
    return _read_or_empty(
        url,
        """
        SELECT COALESCE(operator_address, consensus_address) AS validator_id, voting_power,
               CAST(NULL AS INTEGER) AS delegators, CAST(NULL AS DOUBLE PRECISION) AS delegated_sahara,
               commission_atto_usah / NULLIF(reward_atto_usah, 0) AS commission_rate
        FROM stg_sahara_validator_sets
        WHERE block_number = (SELECT MAX(block_number) FROM stg_sahara_validator_sets WHERE block_time < :as_of)
        ORDER BY voting_power DESC, validator_id
        """,
        columns,
        {"as_of": as_of},
    )


# ------------------------------------------------------------------------------------ drill-down

#: At most this many events are listed behind one point; the panel says when there are more.
DRILL_LIMIT = 1000
EVENT_COLUMNS = ["event_id", "block_number", "block_time", "event_type", "payload"]


def _payload_text(value) -> str:
    """A payload as compact JSON text whatever the engine returns (DuckDB: text, PostgreSQL: a dict)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _events_frame(frame: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, bool]:
    truncated = len(frame) > limit
    frame = frame.head(limit)[EVENT_COLUMNS].copy()
    frame["payload"] = frame["payload"].map(_payload_text)
    frame["block_time"] = pd.to_datetime(frame["block_time"])
    return frame.reset_index(drop=True), truncated


def events_in_window(
    url: str | None,
    chain: str,
    event_types: tuple[str, ...],
    start: datetime,
    end: datetime,
    match: dict[str, str] | None = None,
    limit: int = DRILL_LIMIT,
) -> tuple[pd.DataFrame, bool]:
    """The events of `chain` of `event_types` with block_time in [start, end) whose payload fields
    equal `match` (all values bound as parameters; field names come from code, never from a user),
    oldest first, at most `limit` of them; the flag says whether there were more."""
    if not event_types:
        raise ValueError("events_in_window: name at least one event type")
    if not 0 < limit <= 10 * DRILL_LIMIT:
        raise ValueError(f"events_in_window: limit must be 1..{10 * DRILL_LIMIT}, not {limit}")
    types = {f"type{i}": t for i, t in enumerate(event_types)}
    params: dict = {"chain": chain, "start": start, "end": end, "limit": limit + 1, **types}
    sql = (
        "SELECT event_id, block_number, block_time, event_type, payload FROM events "
        f"WHERE chain = :chain AND event_type IN ({', '.join(':' + k for k in types)}) "
        "AND block_time >= :start AND block_time < :end"
    )
    for i, (field, value) in enumerate((match or {}).items()):
        if not field.isidentifier():
            raise ValueError(f"events_in_window: {field!r} is not a payload field name")
        sql += f" AND payload->>'{field}' = :match{i}"
        params[f"match{i}"] = str(value)
    frame = _read_or_empty(url, sql + " ORDER BY block_time, event_id LIMIT :limit", EVENT_COLUMNS, params)
    return _events_frame(frame, limit)


def rows_behind(
    url: str | None, table: str, key: dict, limit: int = DRILL_LIMIT, window: tuple | None = None
) -> tuple[pd.DataFrame, bool]:
    """The events behind one mart row (`warehouse.provenance.events_behind`), at most `limit` listed;
    only those with block_time in [start, end) when a `window` is given (an hour of a daily row)."""
    from warehouse.provenance import events_behind

    frame = events_behind(_engine(db.resolve_url(url)), table, key)
    if window is not None and not frame.empty:
        times = pd.to_datetime(frame["block_time"])
        frame = frame[(times >= pd.Timestamp(window[0])) & (times < pd.Timestamp(window[1]))]
    return _events_frame(frame, limit)
