"""`ecosystem_daily`: the side-by-side comparison, one row per chain per UTC day.

Bittensor (competitive): a participant is a UID (netuid, hotkey) observed in that day's metagraph
epochs; its reward is the emission it received over the day (rao -> TAO); validators are permit
holders (permit and stake from the participant's latest observation of the day). Sahara
(cooperative): a participant is a contributor who submitted an annotation or was paid that day; its
reward is the sum of its `RewardPaid` (usah -> SAHARA); validators are the CometBFT validator set
(each address's latest voting power of the day). Both chains then get the same measures, computed in
SQL by the database:

- share of participants earning anything; rewards in tokens and USD (daily close from market_caps_daily);
- Gini and top-10% share of the day's rewards (zero rewards included), the Nakamoto coefficient of
  validator stake (fewest validators holding more than half of it);
- supply = market cap / price; staking ratio (Bittensor: observed stake / supply; Sahara: the mint
  module's bonded ratio); emission (Bittensor: UID emission / 0.82, the miners' and validators' 41 + 41
  per cent; Sahara: minted tokens) and its annualised inflation; units active (subnets / annotations).

**Running state.** `ecosystem_day_members` — grain: one row per (chain, day, role, member), role
'participant' or 'validator': the member's reward so far that day in base units (summed exactly) and
its latest stake, permit and subnet (by block time, then event id); and what the comparison page's
Lorenz curves sum over a range of days (`dashboards.queries.rewards_per_participant`): `earner` — the
member is one of their participants that day (Bittensor: a UID observed at least once without
validator permit, i.e. as a miner; Sahara: every contributor) — and `earner_reward_base_units`, the
reward of those observations only (Sahara: the whole reward). `ecosystem_day_totals` — grain: one
row per (chain, day): Sahara's minted base units, highest bonded ratio and submissions that day. A run
folds the window's events into both (sums add, latest replaces when newer), then recomputes only the
days it touched — by new chain events or by a new quote of the chain's coin — from those days' members:
a day's row costs that day's participants, never the history before it.
"""

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register

TOP_FRACTION = 0.10
WINDOW = "seq > :lo AND seq <= :hi"
BITTENSOR_TYPES = "'SubtensorModule.NeuronObserved'"
SAHARA_TYPES = (
    "'DataServices.AnnotationSubmitted', 'DataServices.RewardPaid', 'staking.ValidatorObserved', 'mint.mint'"
)
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"


def _days(chain: str, types: str, coin: str) -> str:
    return f"""
        CREATE TEMPORARY TABLE w_eco_days_{chain} AS
        SELECT DISTINCT {_DAY} AS day FROM events
        WHERE {WINDOW}
          AND (event_type IN ({types}) OR (event_type = 'market.Quote' AND payload->>'coin_id' = '{coin}'))
    """


_LATER = """
    (excluded.latest_at > ecosystem_day_members.latest_at
     OR (excluded.latest_at = ecosystem_day_members.latest_at
         AND excluded.latest_event_id > ecosystem_day_members.latest_event_id))
"""

#: Fold a CTE `m(chain, day, role, member, reward, earner_reward, earner, stake, permit, netuid, at_,
#: event_id)` of the window's member events into the running state: sums add, `earner` is true once
#: any of the day's events made the member an earner, the latest observation replaces when newer.
_FOLD_MEMBERS = f"""
    INSERT INTO ecosystem_day_members
        (chain, day, role, member, reward_base_units, earner_reward_base_units, earner, stake, permit, netuid,
         latest_at, latest_event_id)
    SELECT chain, day, role, member, SUM(reward), SUM(earner_reward), BOOL_OR(earner),
           MAX(CASE WHEN rn = 1 THEN stake END), BOOL_OR(CASE WHEN rn = 1 THEN permit END), MAX(CASE WHEN rn = 1 THEN netuid END),
           MAX(CASE WHEN rn = 1 THEN at_ END), MAX(CASE WHEN rn = 1 THEN event_id END)
    FROM (
        SELECT m.*,
               ROW_NUMBER() OVER (PARTITION BY chain, day, role, member ORDER BY at_ DESC, event_id DESC) AS rn
        FROM m
    ) x
    GROUP BY chain, day, role, member
    ON CONFLICT (chain, day, role, member) DO UPDATE SET
        reward_base_units = ecosystem_day_members.reward_base_units + excluded.reward_base_units,
        earner_reward_base_units = ecosystem_day_members.earner_reward_base_units + excluded.earner_reward_base_units,
        earner = ecosystem_day_members.earner OR excluded.earner,
        stake = CASE WHEN {_LATER} THEN excluded.stake ELSE ecosystem_day_members.stake END,
        permit = CASE WHEN {_LATER} THEN excluded.permit ELSE ecosystem_day_members.permit END,
        netuid = CASE WHEN {_LATER} THEN excluded.netuid ELSE ecosystem_day_members.netuid END,
        latest_event_id = CASE WHEN {_LATER} THEN excluded.latest_event_id
                               ELSE ecosystem_day_members.latest_event_id END,
        latest_at = GREATEST(ecosystem_day_members.latest_at, excluded.latest_at)
"""

#: A Bittensor observation counts towards the Lorenz curves when it holds no validator permit (a
#: miner's); an unknown permit counts as neither.
FOLD_BITTENSOR_MEMBERS = f"""
    WITH o AS (
        SELECT {_DAY} AS day, (payload->>'netuid') || ':' || (payload->>'hotkey') AS member,
               CAST(payload->>'emission' AS NUMERIC(38, 0)) AS reward,
               CAST(payload->>'stake' AS DOUBLE PRECISION) / 1e9 AS stake,
               CAST(payload->>'validator_permit' AS BOOLEAN) AS permit,
               CAST(payload->>'netuid' AS INTEGER) AS netuid, block_time AS at_, event_id
        FROM events
        WHERE {WINDOW} AND event_type = {BITTENSOR_TYPES}
    ),
    m AS (
        SELECT 'bittensor' AS chain, day, 'participant' AS role, member, reward,
               CASE WHEN permit = FALSE THEN reward ELSE CAST(0 AS NUMERIC(38, 0)) END AS earner_reward,
               COALESCE(permit = FALSE, FALSE) AS earner, stake, permit, netuid, at_, event_id
        FROM o
    )
    {_FOLD_MEMBERS}
"""

FOLD_SAHARA_MEMBERS = f"""
    WITH o AS (
        SELECT {_DAY} AS day,
               CASE WHEN event_type = 'staking.ValidatorObserved' THEN 'validator' ELSE 'participant' END AS role,
               CASE WHEN event_type = 'staking.ValidatorObserved' THEN payload->>'address'
                    ELSE payload->>'contributor' END AS member,
               CASE WHEN event_type = 'DataServices.RewardPaid' THEN CAST(payload->>'amount' AS NUMERIC(38, 0))
                    ELSE CAST(0 AS NUMERIC(38, 0)) END AS reward,
               CASE WHEN event_type = 'staking.ValidatorObserved'
                    THEN CAST(payload->>'voting_power' AS DOUBLE PRECISION) END AS stake,
               block_time AS at_, event_id
        FROM events
        WHERE {WINDOW}
          AND event_type IN ('DataServices.AnnotationSubmitted', 'DataServices.RewardPaid', 'staking.ValidatorObserved')
    ),
    m AS (
        SELECT 'sahara' AS chain, day, role, member, reward,
               CASE WHEN role = 'participant' THEN reward ELSE CAST(0 AS NUMERIC(38, 0)) END AS earner_reward,
               role = 'participant' AS earner, stake, CAST(NULL AS BOOLEAN) AS permit, CAST(NULL AS INTEGER) AS netuid,
               at_, event_id
        FROM o
    )
    {_FOLD_MEMBERS}
"""

FOLD_SAHARA_TOTALS = f"""
    INSERT INTO ecosystem_day_totals (chain, day, minted_base_units, bonded_ratio, submitted)
    SELECT 'sahara', {_DAY},
           SUM(CASE WHEN event_type = 'mint.mint' THEN CAST(payload->>'amount' AS NUMERIC(38, 0)) END),
           MAX(CASE WHEN event_type = 'mint.mint' THEN CAST(payload->>'bonded_ratio' AS DOUBLE PRECISION) END),
           SUM(CASE WHEN event_type = 'DataServices.AnnotationSubmitted' THEN 1 ELSE 0 END)
    FROM events
    WHERE {WINDOW} AND event_type IN ('mint.mint', 'DataServices.AnnotationSubmitted')
    GROUP BY {_DAY}
    ON CONFLICT (chain, day) DO UPDATE SET
        minted_base_units = CASE
            WHEN ecosystem_day_totals.minted_base_units IS NULL THEN excluded.minted_base_units
            WHEN excluded.minted_base_units IS NULL THEN ecosystem_day_totals.minted_base_units
            ELSE ecosystem_day_totals.minted_base_units + excluded.minted_base_units END,
        bonded_ratio = GREATEST(ecosystem_day_totals.bonded_ratio, excluded.bonded_ratio),
        submitted = ecosystem_day_totals.submitted + excluded.submitted
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
        WITH members AS (
            SELECT x.* FROM ecosystem_day_members x
            JOIN w_eco_days_{chain} d ON d.day = x.day
            WHERE x.chain = '{chain}'
        ),
        {ctes},
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


BITTENSOR_CTES = f"""
    rewards AS (
        SELECT day, member AS participant, CAST(reward_base_units AS DOUBLE PRECISION) / 1e9 AS reward
        FROM members WHERE role = 'participant'
    ),
    stakes AS (
        SELECT day, member AS validator, stake FROM members WHERE role = 'participant' AND permit
    ),
    extras AS (
        SELECT day, CAST(SUM(reward_base_units) AS DOUBLE PRECISION) / 1e9 / 0.82 AS emission,
               SUM(stake) AS staking_ratio_source, 0 AS ratio_is_absolute, 21000000.0 AS cap,
               COUNT(DISTINCT netuid) AS units
        FROM members WHERE role = 'participant'
        GROUP BY day
    ),
    {_distribution("rewards", "stakes")}
"""

SAHARA_CTES = f"""
    rewards AS (
        SELECT day, member AS participant, CAST(reward_base_units AS DOUBLE PRECISION) / 1e18 AS reward
        FROM members WHERE role = 'participant'
    ),
    stakes AS (SELECT day, member AS validator, stake FROM members WHERE role = 'validator'),
    extras AS (
        SELECT d.day, CAST(t.minted_base_units AS DOUBLE PRECISION) / 1e18 AS emission,
               t.bonded_ratio AS staking_ratio_source, 1 AS ratio_is_absolute, 10000000000.0 AS cap,
               COALESCE(t.submitted, 0) AS units
        FROM w_eco_days_sahara d
        LEFT JOIN ecosystem_day_totals t ON t.chain = 'sahara' AND t.day = d.day
    ),
    {_distribution("rewards", "stakes")}
"""


def _delete(chain: str) -> str:
    return (
        f"DELETE FROM ecosystem_daily WHERE chain = '{chain}' AND day IN (SELECT day FROM w_eco_days_{chain})"
    )


ECOSYSTEM_DAILY = register(
    Projection(
        name="ecosystem_daily",
        tables=("ecosystem_day_members", "ecosystem_day_totals", "ecosystem_daily"),
        doc=__doc__,
        statements=(
            *parse_payload_once(FOLD_BITTENSOR_MEMBERS),
            FOLD_SAHARA_MEMBERS,
            FOLD_SAHARA_TOTALS,
            _days("bittensor", BITTENSOR_TYPES, "bittensor"),
            _days("sahara", SAHARA_TYPES, "sahara-ai"),
            OnlyOn("postgresql", "ANALYZE w_eco_days_bittensor"),
            OnlyOn("postgresql", "ANALYZE w_eco_days_sahara"),
            _delete("bittensor"),
            _insert("bittensor", "bittensor", "subnets", BITTENSOR_CTES),
            _delete("sahara"),
            _insert("sahara", "sahara-ai", "annotations", SAHARA_CTES),
            "DROP TABLE w_eco_days_bittensor",
            "DROP TABLE w_eco_days_sahara",
        ),
        stage=2,
    )
)
