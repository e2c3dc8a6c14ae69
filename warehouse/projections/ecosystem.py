"""`ecosystem_daily`: the side-by-side comparison, one row per chain per UTC day.

Bittensor (competitive): a participant is a UID (netuid, hotkey) observed in that day's metagraph
epochs; its reward is the emission it received over the day (rao -> TAO); validators are permit
holders. Sahara (cooperative): a participant is a contributor who submitted an annotation or was paid
that day; its reward is the sum of its `RewardPaid` (usah -> SAHARA); validators are the CometBFT
validator set. Both chains then get the same measures, computed in SQL by the database:

- share of participants earning anything; rewards in tokens and USD (daily close from market_caps_daily);
- Gini and top-10% share of the day's rewards (zero rewards included), the Nakamoto coefficient of
  validator stake (fewest validators holding more than half of it);
- supply = market cap / price; staking ratio (Bittensor: observed stake / supply; Sahara: the mint
  module's bonded ratio); emission (Bittensor: UID emission / 0.82, the miners' and validators' 41 + 41
  per cent; Sahara: minted tokens) and its annualised inflation; units active (subnets / annotations).

Incremental: the days touched by new chain observations or quotes are deleted and recomputed.
"""

from warehouse.projections.base import Projection, register

TOP_FRACTION = 0.10


def _days(types: str, coin: str) -> str:
    return f"""
        SELECT DISTINCT CAST(date_trunc('day', block_time) AS DATE) AS day FROM events
        WHERE seq > :lo AND seq <= :hi
          AND (event_type IN ({types}) OR (event_type = 'market.Quote' AND payload->>'coin_id' = '{coin}'))
    """


def _distribution(rewards_cte: str, stakes_cte: str) -> str:
    """Gini, top-10% share and Nakamoto from CTEs `{rewards}(day, participant, reward)` and
    `{stakes}(day, validator, stake)`."""
    return f"""
        ranked AS (
            SELECT day, reward,
                   ROW_NUMBER() OVER (PARTITION BY day ORDER BY reward, participant) AS r_up,
                   ROW_NUMBER() OVER (PARTITION BY day ORDER BY reward DESC, participant) AS r_down,
                   COUNT(*) OVER (PARTITION BY day) AS n,
                   SUM(reward) OVER (PARTITION BY day) AS total
            FROM {rewards_cte}
        ),
        concentration AS (
            SELECT day, MAX(n) AS participants, MAX(total) AS total,
                   SUM(CASE WHEN reward > 0 THEN 1 ELSE 0 END) AS earning,
                   CASE WHEN MAX(total) > 0
                        THEN 2.0 * SUM(r_up * reward) / (MAX(n) * MAX(total)) - (MAX(n) + 1.0) / MAX(n) END AS gini,
                   CASE WHEN MAX(total) > 0
                        THEN SUM(CASE WHEN r_down <= GREATEST(1, FLOOR(n * {TOP_FRACTION} + 0.5)) THEN reward ELSE 0 END)
                             / MAX(total) END AS top10_share
            FROM ranked GROUP BY day
        ),
        stake_ranked AS (
            SELECT day, stake,
                   SUM(stake) OVER (PARTITION BY day ORDER BY stake DESC, validator ROWS UNBOUNDED PRECEDING) AS cum,
                   SUM(stake) OVER (PARTITION BY day) AS total,
                   ROW_NUMBER() OVER (PARTITION BY day ORDER BY stake DESC, validator) AS k,
                   COUNT(*) OVER (PARTITION BY day) AS validators
            FROM {stakes_cte}
        ),
        nakamoto AS (
            SELECT day, MAX(validators) AS validators,
                   MIN(CASE WHEN total > 0 AND cum > 0.5 * total THEN k END) AS nakamoto
            FROM stake_ranked GROUP BY day
        )
    """


def _insert(chain: str, coin: str, units_label: str, ctes: str) -> str:
    return f"""
        INSERT INTO ecosystem_daily (chain, day, participants, participants_earning, share_earning, validators,
            rewards_tokens, rewards_usd, emission_tokens, inflation_annualised, staking_ratio, supply_tokens,
            supply_cap_share, price_usd, market_cap_usd, rewards_per_participant_usd, gini, top10_share,
            nakamoto, units_active, units_label)
        WITH {ctes},
        market AS (
            SELECT CAST(day AS DATE) AS day, price_usd, market_cap_usd,
                   CASE WHEN price_usd > 0 THEN market_cap_usd / price_usd END AS supply
            FROM market_caps_daily WHERE coin_id = '{coin}'
        )
        SELECT '{chain}', c.day, c.participants, c.earning,
               CASE WHEN c.participants > 0 THEN CAST(c.earning AS DOUBLE PRECISION) / c.participants END,
               v.validators, c.total, c.total * m.price_usd, x.emission,
               CASE WHEN m.supply > 0 THEN x.emission * 365.0 / m.supply END,
               x.staking_ratio_source / (CASE WHEN x.ratio_is_absolute = 1 THEN 1.0 ELSE m.supply END),
               m.supply, m.supply / x.cap, m.price_usd, m.market_cap_usd,
               CASE WHEN c.participants > 0 THEN c.total * m.price_usd / c.participants END,
               c.gini, c.top10_share, v.nakamoto, x.units, '{units_label}'
        FROM concentration c
        LEFT JOIN nakamoto v ON v.day = c.day
        LEFT JOIN extras x ON x.day = c.day
        LEFT JOIN market m ON m.day = c.day
    """


_BT_DAYS = _days("'SubtensorModule.NeuronObserved'", "bittensor")
BITTENSOR_CTES = f"""
    days AS ({_BT_DAYS}),
    obs AS (
        SELECT d.day, e.block_time, e.payload->>'hotkey' AS hotkey,
               CAST(e.payload->>'netuid' AS INTEGER) AS netuid,
               CAST(e.payload->>'emission' AS DOUBLE PRECISION) / 1e9 AS emission,
               CAST(e.payload->>'stake' AS DOUBLE PRECISION) / 1e9 AS stake,
               e.payload->>'validator_permit' AS permit
        FROM days d
        JOIN events e ON e.event_type = 'SubtensorModule.NeuronObserved'
         AND e.block_time >= CAST(d.day AS TIMESTAMP) AND e.block_time < CAST(d.day AS TIMESTAMP) + INTERVAL '1 day'
    ),
    latest AS (
        SELECT * FROM (
            SELECT obs.*, ROW_NUMBER() OVER (PARTITION BY day, netuid, hotkey ORDER BY block_time DESC) AS rn FROM obs
        ) t WHERE rn = 1
    ),
    rewards AS (
        SELECT day, CAST(netuid AS VARCHAR) || ':' || hotkey AS participant, SUM(emission) AS reward
        FROM obs GROUP BY day, netuid, hotkey
    ),
    stakes AS (
        SELECT day, CAST(netuid AS VARCHAR) || ':' || hotkey AS validator, stake FROM latest WHERE permit = 'true'
    ),
    extras AS (
        SELECT day, SUM(emission) / 0.82 AS emission, SUM(stake) AS staking_ratio_source, 0 AS ratio_is_absolute,
               21000000.0 AS cap, COUNT(DISTINCT netuid) AS units
        FROM (SELECT o.day, o.emission, NULL AS stake, o.netuid FROM obs o
              UNION ALL SELECT l.day, 0, l.stake, l.netuid FROM latest l) u
        GROUP BY day
    ),
    {_distribution("rewards", "stakes")}
"""

_SA_DAYS = _days(
    "'DataServices.AnnotationSubmitted', 'DataServices.RewardPaid', 'staking.ValidatorObserved', 'mint.mint'",
    "sahara-ai",
)
SAHARA_CTES = f"""
    days AS ({_SA_DAYS}),
    day_events AS (
        SELECT d.day, e.block_time, e.event_type, e.event_id, e.payload
        FROM days d
        JOIN events e ON e.chain = 'sahara'
         AND e.event_type IN ('DataServices.AnnotationSubmitted', 'DataServices.RewardPaid',
                              'staking.ValidatorObserved', 'mint.mint')
         AND e.block_time >= CAST(d.day AS TIMESTAMP) AND e.block_time < CAST(d.day AS TIMESTAMP) + INTERVAL '1 day'
    ),
    rewards AS (
        SELECT day, participant, SUM(reward) AS reward FROM (
            SELECT day, payload->>'contributor' AS participant, 0.0 AS reward
            FROM day_events WHERE event_type = 'DataServices.AnnotationSubmitted'
            UNION ALL
            SELECT day, payload->>'contributor', CAST(payload->>'amount' AS DOUBLE PRECISION) / 1e18
            FROM day_events WHERE event_type = 'DataServices.RewardPaid'
        ) u GROUP BY day, participant
    ),
    validator_obs AS (
        SELECT * FROM (
            SELECT day, payload->>'address' AS validator,
                   CAST(payload->>'voting_power' AS DOUBLE PRECISION) AS stake,
                   ROW_NUMBER() OVER (PARTITION BY day, payload->>'address' ORDER BY block_time DESC, event_id) AS rn
            FROM day_events WHERE event_type = 'staking.ValidatorObserved'
        ) t WHERE rn = 1
    ),
    stakes AS (SELECT day, validator, stake FROM validator_obs),
    mints AS (
        SELECT day, SUM(CAST(payload->>'amount' AS DOUBLE PRECISION)) / 1e18 AS minted,
               MAX(CAST(payload->>'bonded_ratio' AS DOUBLE PRECISION)) AS bonded_ratio
        FROM day_events WHERE event_type = 'mint.mint' GROUP BY day
    ),
    annotations AS (
        SELECT day, COUNT(*) AS submitted FROM day_events
        WHERE event_type = 'DataServices.AnnotationSubmitted' GROUP BY day
    ),
    extras AS (
        SELECT d.day, m.minted AS emission, m.bonded_ratio AS staking_ratio_source, 1 AS ratio_is_absolute,
               10000000000.0 AS cap, COALESCE(a.submitted, 0) AS units
        FROM days d LEFT JOIN mints m ON m.day = d.day LEFT JOIN annotations a ON a.day = d.day
    ),
    {_distribution("rewards", "stakes")}
"""


def _delete(chain: str, days_sql: str) -> str:
    return f"DELETE FROM ecosystem_daily WHERE chain = '{chain}' AND day IN (SELECT day FROM ({days_sql}) t)"


ECOSYSTEM_DAILY = register(
    Projection(
        name="ecosystem_daily",
        tables=("ecosystem_daily",),
        doc=__doc__,
        statements=(
            _delete("bittensor", _BT_DAYS),
            _insert("bittensor", "bittensor", "subnets", BITTENSOR_CTES),
            _delete("sahara", _SA_DAYS),
            _insert("sahara", "sahara-ai", "annotations", SAHARA_CTES),
        ),
        stage=2,
    )
)
