"""`market_caps` (one row per coin per UTC hour) and `market_caps_daily` (one row per coin per UTC day),
each from the last `market.Quote` observed in that period.

Incremental: the periods touched by new quotes are deleted and recomputed from every quote in them,
so a late or re-sent quote for an old period lands in the right row and the result never depends on
the order events arrived in.
"""

from warehouse.projections.base import Projection, register


def _statements(table: str, period_column: str, unit: str) -> tuple[str, str]:
    touched = f"""
        SELECT DISTINCT payload->>'coin_id' AS coin_id, date_trunc('{unit}', block_time) AS period
        FROM events
        WHERE seq > :lo AND seq <= :hi AND event_type = 'market.Quote'
    """
    delete = f"""
        DELETE FROM {table}
        WHERE EXISTS (
            SELECT 1 FROM ({touched}) t WHERE t.coin_id = {table}.coin_id AND t.period = {table}.{period_column}
        )
    """
    insert = f"""
        INSERT INTO {table}
            (coin_id, {period_column}, price_usd, market_cap_usd, total_volume_usd, observed_at, quotes, event_id)
        WITH touched AS ({touched}),
        quotes AS (
            SELECT t.coin_id, t.period, e.block_time, e.event_id, e.payload
            FROM touched t
            JOIN events e
              ON e.event_type = 'market.Quote'
             AND e.block_time >= t.period AND e.block_time < t.period + INTERVAL '1 {unit}'
             AND e.payload->>'coin_id' = t.coin_id
        ),
        ranked AS (
            SELECT quotes.*,
                   ROW_NUMBER() OVER (PARTITION BY coin_id, period ORDER BY block_time DESC, event_id DESC) AS rn,
                   COUNT(*) OVER (PARTITION BY coin_id, period) AS n
            FROM quotes
        )
        SELECT coin_id, period,
               CAST(payload->>'price_usd' AS DOUBLE PRECISION),
               CAST(payload->>'market_cap_usd' AS DOUBLE PRECISION),
               CAST(payload->>'total_volume_usd' AS DOUBLE PRECISION),
               block_time, n, event_id
        FROM ranked WHERE rn = 1
    """
    return delete, insert


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
