"""`market_caps` (one row per coin per UTC hour) and `market_caps_daily` (one row per coin per UTC day),
each from the last `market.Quote` observed in that period (by time, then event id).

Folded: a run groups its new quotes by (coin, period) and merges them into the period's row — the
quote count adds up, and the row takes the new quote's values when it is later than the one it shows.
A late or re-sent quote for an old period lands in the right row, and the result never depends on the
order the events arrived in, nor costs more than the new quotes.

`market_caps_daily.hours_stored` counts the UTC hours of the day that hold at least one stored quote
(recounted from the quotes of the days a run touched); the day is `complete` when all 24 are stored.
"""

from warehouse.projections.base import Projection, register


def _later(table: str) -> str:
    return (
        f"(excluded.observed_at > {table}.observed_at "
        f"OR (excluded.observed_at = {table}.observed_at AND excluded.event_id > {table}.event_id))"
    )


def _statements(table: str, period_column: str, unit: str) -> tuple[str]:
    later = _later(table)
    values = ("price_usd", "market_cap_usd", "total_volume_usd", "observed_at", "event_id")
    upsert = f"""
        INSERT INTO {table}
            (coin_id, {period_column}, price_usd, market_cap_usd, total_volume_usd, observed_at, quotes, event_id)
        WITH quotes AS (
            SELECT payload->>'coin_id' AS coin_id, date_trunc('{unit}', block_time) AS period, block_time,
                   event_id, payload,
                   ROW_NUMBER() OVER (
                       PARTITION BY payload->>'coin_id', date_trunc('{unit}', block_time)
                       ORDER BY block_time DESC, event_id DESC
                   ) AS rn,
                   COUNT(*) OVER (PARTITION BY payload->>'coin_id', date_trunc('{unit}', block_time)) AS n
            FROM events
            WHERE seq > :lo AND seq <= :hi AND event_type = 'market.Quote'
        )
        SELECT coin_id, period,
               CAST(payload->>'price_usd' AS DOUBLE PRECISION),
               CAST(payload->>'market_cap_usd' AS DOUBLE PRECISION),
               CAST(payload->>'total_volume_usd' AS DOUBLE PRECISION),
               block_time, n, event_id
        FROM quotes WHERE rn = 1
        ON CONFLICT (coin_id, {period_column}) DO UPDATE SET
            quotes = {table}.quotes + excluded.quotes,
            {", ".join(f"{c} = CASE WHEN {later} THEN excluded.{c} ELSE {table}.{c} END" for c in values)}
    """
    return (upsert,)


#: Hours stored per (coin, day) for the days the window's quotes fall in, recounted from their quotes.
DAILY_HOURS = """
    UPDATE market_caps_daily SET hours_stored = h.hours, complete = h.hours = 24
    FROM (
        SELECT t.coin_id, t.day, COUNT(DISTINCT date_trunc('hour', e.block_time)) AS hours
        FROM (
            SELECT DISTINCT payload->>'coin_id' AS coin_id, date_trunc('day', block_time) AS day
            FROM events WHERE seq > :lo AND seq <= :hi AND event_type = 'market.Quote'
        ) t
        JOIN events e
          ON e.event_type = 'market.Quote' AND e.block_time >= t.day AND e.block_time < t.day + INTERVAL '1 day'
         AND e.payload->>'coin_id' = t.coin_id
        GROUP BY t.coin_id, t.day
    ) h
    WHERE market_caps_daily.coin_id = h.coin_id AND market_caps_daily.day = h.day
"""


MARKET_CAPS = register(
    Projection(
        name="market_caps",
        tables=("market_caps",),
        doc=__doc__,
        statements=_statements("market_caps", "hour", "hour"),
    )
)
MARKET_CAPS_DAILY = register(
    Projection(
        name="market_caps_daily",
        tables=("market_caps_daily",),
        doc=__doc__,
        statements=(*_statements("market_caps_daily", "day", "day"), DAILY_HOURS),
    )
)
