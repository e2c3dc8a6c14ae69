"""`market_caps` (one row per coin per UTC hour) and `market_caps_daily` (one row per coin per UTC day),
each from the last `market.Quote` observed in that period (by time, then event id).

Folded: a run groups its new quotes by (coin, period) and merges them into the period's row — the
quote count adds up, and the row takes the new quote's values when it is later than the one it shows.
A late or re-sent quote for an old period lands in the right row, and the result never depends on the
order the events arrived in, nor costs more than the new quotes.
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
        statements=_statements("market_caps_daily", "day", "day"),
        stage=0,
    )
)
