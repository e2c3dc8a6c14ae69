"""`market_caps`: one row per coin per UTC hour, from the last `market.Quote` observed in that hour.

Incremental: the hours touched by new quotes are deleted and recomputed from every quote in them, so
a late or re-sent quote for an old hour lands in the right row and the result never depends on the
order events arrived in.
"""

from warehouse.projections.base import Projection, register

_TOUCHED = """
    SELECT DISTINCT payload->>'coin_id' AS coin_id, date_trunc('hour', block_time) AS hour
    FROM events
    WHERE seq > :lo AND seq <= :hi AND event_type = 'market.Quote'
"""

MARKET_CAPS = register(
    Projection(
        name="market_caps",
        tables=("market_caps",),
        doc=__doc__,
        statements=(
            f"""
            DELETE FROM market_caps
            WHERE EXISTS (
                SELECT 1 FROM ({_TOUCHED}) t WHERE t.coin_id = market_caps.coin_id AND t.hour = market_caps.hour
            )
            """,
            f"""
            INSERT INTO market_caps
                (coin_id, hour, price_usd, market_cap_usd, total_volume_usd, observed_at, quotes, event_id)
            WITH touched AS ({_TOUCHED}),
            quotes AS (
                SELECT t.coin_id, t.hour, e.block_time, e.event_id, e.payload
                FROM touched t
                JOIN events e
                  ON e.event_type = 'market.Quote'
                 AND e.block_time >= t.hour AND e.block_time < t.hour + INTERVAL '1 hour'
                 AND e.payload->>'coin_id' = t.coin_id
            ),
            ranked AS (
                SELECT quotes.*,
                       ROW_NUMBER() OVER (PARTITION BY coin_id, hour ORDER BY block_time DESC, event_id DESC) AS rn,
                       COUNT(*) OVER (PARTITION BY coin_id, hour) AS n
                FROM quotes
            )
            SELECT coin_id, hour,
                   CAST(payload->>'price_usd' AS DOUBLE PRECISION),
                   CAST(payload->>'market_cap_usd' AS DOUBLE PRECISION),
                   CAST(payload->>'total_volume_usd' AS DOUBLE PRECISION),
                   block_time, n, event_id
            FROM ranked WHERE rn = 1
            """,
        ),
    )
)
