"""`ecosystem_daily`: the side-by-side comparison, one row per chain per UTC day, every amount in the
chain's own token (`*_native`, unit in `native_unit`: 'TAO' or 'SAHARA') or in USD.

Amounts are summed exactly, in base units (NUMERIC(38, 0)), and turned into whole tokens as
DECIMAL(38, 18) at the end; ratios (shares, Gini, staking ratio, inflation) and USD figures are
DOUBLE, each computed once from exact sums, so a rebuild gives the same row to the last digit.

Bittensor (competitive): a participant is a UID (netuid, hotkey) observed in that day's metagraph
epochs. Its reward is the alpha it received at each epoch converted to TAO rao at that epoch's pool
price (`bittensor_epoch_prices`: the subnet's block observation at the epoch block, else the latest
before it); validators are permit holders, their stake converted the same way. Then:
- `emission_native` = TAO minted by the day's blocks (sum of `minted` over `SubtensorModule.
  EmissionObserved`), `net_issuance_native` = the TotalIssuance growth over them (minted - recycled),
  both from `bittensor_emission_daily`;
- `rewards_native` = miner incentive (UIDs without permit) + validator dividends (permit holders),
  `owner_cut_native` from `subnet_emission_daily` (each block's owner cut at its pool price);
- `stake_native` = SubnetTAO(0) (root stake) + the sum of every other subnet's SubnetTAO at the day's
  last observed block; `staking_ratio` = stake_native / TotalIssuance there; `supply_native` =
  TotalIssuance there.
Sahara (cooperative): a participant is a contributor who submitted an annotation or was paid that day;
its reward is the sum of its `RewardPaid` (usah); validators are the CometBFT validator set (each
address's latest voting power of the day, whole SAHARA). `emission_native` = usah minted by the mint
events; `staking_ratio` = the latest mint event's bonded ratio (bonded tokens / supply);
`supply_native` = its annual provisions / inflation; `stake_native` = bonded ratio x supply.

Both chains then get the same measures: share of participants earning, `rewards_usd` (each UTC
hour's rewards x that hour's price, else the day's), Gini and top-10% share of the day's rewards in
native units (zero rewards included), the Nakamoto coefficient of native validator stake (fewest
validators holding more than half), `market_cap_usd` = supply_native x price_usd (the day's last
quote), `inflation_annualised` = emission_native x 365 / supply_native on complete days only (NULL
on a partial one), `complete` from `chain_days`.

**Running state.** `ecosystem_day_members` — grain: one row per (chain, day, role, member), role
'participant' or 'validator': the member's reward so far that day in native base units (TAO rao /
usah, summed exactly) and its latest stake (native), permit and subnet (by block time, then event
id); `earner` and `earner_reward_base_units` are what the comparison page's Lorenz curves sum
(`dashboards.queries.rewards_per_participant`: Bittensor observations without validator permit, i.e.
miner incentive; every Sahara payment). `ecosystem_day_totals` — grain: one row per (chain, day):
Sahara's minted usah, the latest mint event's staking state, and submissions. `ecosystem_day_hours` —
grain: one row per (chain, hour): the native base units paid that hour. A run folds the window's
events into these (sums add, latest replaces when newer), then recomputes only the days it touched —
by new chain events, a new quote of the chain's coin, or a change of the day's completeness — from
those days' rows: a day's row costs that day's participants, never the history before it.
"""

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register
from warehouse.projections.bittensor import DIV_MACRO, alpha_to_tao_rao, native, whole

TOP_FRACTION = 0.10
WINDOW = "seq > :lo AND seq <= :hi"
BITTENSOR_TYPES = "'SubtensorModule.NeuronObserved', 'SubtensorModule.EmissionObserved'"
SAHARA_TYPES = (
    "'DataServices.AnnotationSubmitted', 'DataServices.RewardPaid', 'staking.ValidatorObserved', 'mint.mint'"
)
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
#: Base units per token, and the max supply.
DECIMALS = {"bittensor": 9, "sahara": 18}
CAP = {"bittensor": "21000000.0", "sahara": "10000000000.0"}


def _days(chain: str, types: str, coin: str) -> str:
    """The days to recompute: days of the window's events and quotes, and days whose completeness changed."""
    return f"""
        CREATE TEMPORARY TABLE w_eco_days_{chain} AS
        SELECT DISTINCT {_DAY} AS day FROM events
        WHERE {WINDOW}
          AND (event_type IN ({types}) OR (event_type = 'market.Quote' AND payload->>'coin_id' = '{coin}'))
        UNION
        SELECT e.day FROM ecosystem_daily e
        JOIN chain_days c ON c.chain = e.chain AND c.day = e.day
        WHERE e.chain = '{chain}' AND c.complete <> e.complete
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
        (chain, day, role, member, reward_base_units, earner_reward_base_units, earner, stake_native, permit,
         netuid, latest_at, latest_event_id)
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
        stake_native = CASE WHEN {_LATER} THEN excluded.stake_native ELSE ecosystem_day_members.stake_native END,
        permit = CASE WHEN {_LATER} THEN excluded.permit ELSE ecosystem_day_members.permit END,
        netuid = CASE WHEN {_LATER} THEN excluded.netuid ELSE ecosystem_day_members.netuid END,
        latest_event_id = CASE WHEN {_LATER} THEN excluded.latest_event_id
                               ELSE ecosystem_day_members.latest_event_id END,
        latest_at = GREATEST(ecosystem_day_members.latest_at, excluded.latest_at)
"""

#: The window's metagraph observations, parsed once.
WINDOW_BITTENSOR_OBSERVATIONS = """
    CREATE TEMPORARY TABLE w_eco_bt_obs AS
    SELECT block_time, block_number, event_id,
           (payload->>'netuid') || ':' || (payload->>'hotkey') AS member,
           CAST(payload->>'netuid' AS INTEGER) AS netuid,
           CAST(payload->>'emission' AS NUMERIC(38, 0)) AS emission_rao,
           CAST(payload->>'stake' AS NUMERIC(38, 0)) AS stake_rao,
           CAST(payload->>'validator_permit' AS BOOLEAN) AS permit
    FROM events
    WHERE seq > :lo AND seq <= :hi AND event_type = 'SubtensorModule.NeuronObserved'
"""

#: Each observation's alpha in TAO at its epoch's pool price (`bittensor_epoch_prices`, which the
#: Bittensor projection filled for every epoch before this one runs).
_PRICED_OBSERVATIONS = f"""
    o AS (
        SELECT {_DAY.replace("block_time", "w.block_time")} AS day, w.block_time, w.member, w.netuid, w.permit,
               w.event_id, {alpha_to_tao_rao("w.emission_rao", "p")} AS reward,
               {native(alpha_to_tao_rao("w.stake_rao", "p"))} AS stake
        FROM w_eco_bt_obs w
        LEFT JOIN bittensor_epoch_prices p ON p.netuid = w.netuid AND p.block_number = w.block_number
    )
"""

#: A Bittensor observation counts towards the Lorenz curves when it holds no validator permit (a
#: miner's); an unknown permit counts as neither.
FOLD_BITTENSOR_MEMBERS = f"""
    WITH {_PRICED_OBSERVATIONS},
    m AS (
        SELECT 'bittensor' AS chain, day, 'participant' AS role, member, COALESCE(reward, 0) AS reward,
               CASE WHEN permit = FALSE THEN COALESCE(reward, 0) ELSE CAST(0 AS NUMERIC(38, 0)) END AS earner_reward,
               COALESCE(permit = FALSE, FALSE) AS earner, stake, permit, netuid, block_time AS at_, event_id
        FROM o
    )
    {_FOLD_MEMBERS}
"""

_FOLD_HOURS = """
    ON CONFLICT (chain, hour) DO UPDATE SET
        reward_base_units = ecosystem_day_hours.reward_base_units + excluded.reward_base_units
"""

FOLD_BITTENSOR_HOURS = f"""
    INSERT INTO ecosystem_day_hours (chain, hour, reward_base_units)
    WITH {_PRICED_OBSERVATIONS}
    SELECT 'bittensor', date_trunc('hour', block_time), SUM(COALESCE(reward, 0)) FROM o
    GROUP BY date_trunc('hour', block_time)
    {_FOLD_HOURS}
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
                    THEN CAST(payload->>'voting_power' AS NUMERIC(38, 18)) END AS stake,
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

FOLD_SAHARA_HOURS = f"""
    INSERT INTO ecosystem_day_hours (chain, hour, reward_base_units)
    SELECT 'sahara', date_trunc('hour', block_time), SUM(CAST(payload->>'amount' AS NUMERIC(38, 0)))
    FROM events
    WHERE {WINDOW} AND event_type = 'DataServices.RewardPaid'
    GROUP BY date_trunc('hour', block_time)
    {_FOLD_HOURS}
"""

_LATER_MINT = (
    "excluded.mint_block > ecosystem_day_totals.mint_block OR ecosystem_day_totals.mint_block IS NULL"
)

#: Sahara's day: usah minted (sum), the latest mint event's staking state (bonded ratio, and the
#: supply its annual provisions / inflation imply), submissions (count).
FOLD_SAHARA_TOTALS = f"""
    INSERT INTO ecosystem_day_totals (chain, day, minted_base_units, bonded_ratio, supply_base_units, mint_block, submitted)
    WITH w AS (
        SELECT {_DAY} AS day, event_type, block_number,
               CASE WHEN event_type = 'mint.mint' THEN CAST(payload->>'amount' AS NUMERIC(38, 0)) END AS minted,
               CAST(payload->>'bonded_ratio' AS DOUBLE PRECISION) AS bonded_ratio,
               CAST(payload->>'annual_provisions' AS DOUBLE PRECISION)
                   / NULLIF(CAST(payload->>'inflation' AS DOUBLE PRECISION), 0) AS supply,
               ROW_NUMBER() OVER (
                   PARTITION BY {_DAY}, event_type = 'mint.mint' ORDER BY block_number DESC, event_id DESC
               ) AS rn
        FROM events
        WHERE {WINDOW} AND event_type IN ('mint.mint', 'DataServices.AnnotationSubmitted')
    )
    SELECT 'sahara', day, SUM(minted),
           MAX(CASE WHEN rn = 1 AND event_type = 'mint.mint' THEN bonded_ratio END),
           CAST(MAX(CASE WHEN rn = 1 AND event_type = 'mint.mint' THEN supply END) AS NUMERIC(38, 0)),
           MAX(CASE WHEN event_type = 'mint.mint' THEN block_number END),
           SUM(CASE WHEN event_type = 'DataServices.AnnotationSubmitted' THEN 1 ELSE 0 END)
    FROM w
    GROUP BY day
    ON CONFLICT (chain, day) DO UPDATE SET
        minted_base_units = CASE
            WHEN ecosystem_day_totals.minted_base_units IS NULL THEN excluded.minted_base_units
            WHEN excluded.minted_base_units IS NULL THEN ecosystem_day_totals.minted_base_units
            ELSE ecosystem_day_totals.minted_base_units + excluded.minted_base_units END,
        bonded_ratio = CASE WHEN {_LATER_MINT} THEN excluded.bonded_ratio ELSE ecosystem_day_totals.bonded_ratio END,
        supply_base_units = CASE WHEN {_LATER_MINT}
                                 THEN excluded.supply_base_units ELSE ecosystem_day_totals.supply_base_units END,
        mint_block = GREATEST(ecosystem_day_totals.mint_block, excluded.mint_block),
        submitted = ecosystem_day_totals.submitted + excluded.submitted
"""


def _distribution(rewards_cte: str, stakes_cte: str) -> str:
    """Gini, top-10% share and Nakamoto from CTEs `{rewards}(day, participant, reward)` (exact base
    units) and `{stakes}(day, validator, stake)` (exact native tokens)."""
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
                        THEN 2.0 * CAST(SUM(r_up * reward) AS DOUBLE PRECISION)
                             / (MAX(n) * CAST(MAX(total) AS DOUBLE PRECISION)) - (MAX(n) + 1.0) / MAX(n) END AS gini,
                   CASE WHEN MAX(total) > 0
                        THEN CAST(SUM(CASE WHEN r_down <= GREATEST(1, FLOOR(n * {TOP_FRACTION} + 0.5)) THEN reward ELSE 0 END)
                                  AS DOUBLE PRECISION) / CAST(MAX(total) AS DOUBLE PRECISION) END AS top10_share
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
                   MIN(CASE WHEN total > 0 AND cum * 2 > total THEN k END) AS nakamoto
            FROM stake_ranked GROUP BY day
        )
    """


def _insert(chain: str, coin: str, unit: str, units_label: str, ctes: str) -> str:
    """The touched days' rows of one chain from CTE `extras(day, emission, net_issuance, miner, dividends,
    owner_cut, stake, staking_ratio, supply, units, last_block)` (amounts in whole native tokens)."""
    decimals = DECIMALS[chain]
    return f"""
        INSERT INTO ecosystem_daily (chain, day, complete, native_unit, participants, participants_earning,
            share_earning, validators, emission_native, net_issuance_native, rewards_native, rewards_usd,
            miner_incentive_native, validator_dividends_native, owner_cut_native, rewards_per_participant_native,
            rewards_per_participant_usd, stake_native, staking_ratio, supply_native, supply_cap_share,
            inflation_annualised, price_usd, market_cap_usd, gini, top10_share, nakamoto, units_active, units_label,
            last_block)
        WITH days AS (SELECT day FROM w_eco_days_{chain}),
        members AS (
            SELECT x.* FROM ecosystem_day_members x
            JOIN days d ON d.day = x.day
            WHERE x.chain = '{chain}'
        ),
        {ctes},
        market AS (
            SELECT CAST(m.day AS DATE) AS day, m.price_usd, m.market_cap_usd
            FROM market_caps_daily m JOIN days d ON d.day = CAST(m.day AS DATE)
            WHERE m.coin_id = '{coin}'
        ),
        -- Each hour's rewards at that hour's price (else the day's), to the micro-dollar, summed exactly.
        usd AS (
            SELECT d.day,
                   SUM(CAST(CAST(h.reward_base_units AS DOUBLE PRECISION) / 1e{decimals}
                            * COALESCE(q.price_usd, m.price_usd) AS NUMERIC(38, 6))) AS rewards_usd
            FROM days d
            JOIN ecosystem_day_hours h
              ON h.chain = '{chain}' AND h.hour >= d.day AND h.hour < d.day + INTERVAL '1 day'
            LEFT JOIN market_caps q ON q.coin_id = '{coin}' AND q.hour = h.hour
            LEFT JOIN market m ON m.day = d.day
            GROUP BY d.day
        ),
        rows_ AS (
            SELECT d.day, COALESCE(cd.complete, FALSE) AS complete, c.participants, c.earning, v.validators,
                   x.emission, x.net_issuance, {whole("c.total", decimals)} AS rewards, u.rewards_usd,
                   x.miner, x.dividends, x.owner_cut,
                   {whole("div(c.total, NULLIF(c.participants, 0))", decimals)} AS per_participant,
                   x.stake, x.staking_ratio, x.supply, x.units, x.last_block,
                   m.price_usd, m.market_cap_usd, c.gini, c.top10_share, v.nakamoto
            FROM days d
            LEFT JOIN concentration c ON c.day = d.day
            LEFT JOIN nakamoto v ON v.day = d.day
            LEFT JOIN extras x ON x.day = d.day
            LEFT JOIN market m ON m.day = d.day
            LEFT JOIN usd u ON u.day = d.day
            LEFT JOIN chain_days cd ON cd.chain = '{chain}' AND cd.day = d.day
            WHERE c.day IS NOT NULL OR x.emission IS NOT NULL
        )
        SELECT '{chain}', r.day, r.complete, '{unit}', r.participants, r.earning,
               CASE WHEN r.participants > 0 THEN CAST(r.earning AS DOUBLE PRECISION) / r.participants END,
               r.validators, CAST(r.emission AS NUMERIC(38, 18)), CAST(r.net_issuance AS NUMERIC(38, 18)),
               CAST(r.rewards AS NUMERIC(38, 18)), CAST(r.rewards_usd AS DOUBLE PRECISION),
               CAST(r.miner AS NUMERIC(38, 18)), CAST(r.dividends AS NUMERIC(38, 18)), CAST(r.owner_cut AS NUMERIC(38, 18)),
               CAST(r.per_participant AS NUMERIC(38, 18)),
               CASE WHEN r.participants > 0 THEN CAST(r.rewards_usd AS DOUBLE PRECISION) / r.participants END,
               CAST(r.stake AS NUMERIC(38, 18)), r.staking_ratio, CAST(r.supply AS NUMERIC(38, 18)),
               CAST(r.supply AS DOUBLE PRECISION) / {CAP[chain]},
               CASE WHEN r.complete AND r.supply > 0
                    THEN CAST(r.emission AS DOUBLE PRECISION) * 365.0 / CAST(r.supply AS DOUBLE PRECISION) END,
               r.price_usd, COALESCE(CAST(r.supply AS DOUBLE PRECISION) * r.price_usd, r.market_cap_usd),
               r.gini, r.top10_share, r.nakamoto, r.units, '{units_label}', r.last_block
        FROM rows_ r
    """


BITTENSOR_CTES = f"""
    rewards AS (SELECT day, member AS participant, reward_base_units AS reward FROM members WHERE role = 'participant'),
    stakes AS (SELECT day, member AS validator, stake_native AS stake FROM members WHERE role = 'participant' AND permit),
    split AS (
        SELECT day, {whole("SUM(earner_reward_base_units)")} AS miner,
               {whole("SUM(reward_base_units) - SUM(earner_reward_base_units)")} AS dividends,
               COUNT(DISTINCT netuid) AS units
        FROM members WHERE role = 'participant' GROUP BY day
    ),
    owner_cut AS (
        SELECT s.day, SUM(s.owner_cut_tao) AS owner_cut
        FROM subnet_emission_daily s JOIN days d ON d.day = s.day
        GROUP BY s.day
    ),
    extras AS (
        SELECT d.day, {whole("e.minted_rao")} AS emission, {whole("e.net_issuance_rao")} AS net_issuance,
               p.miner, p.dividends, o.owner_cut, {whole("e.staked_rao")} AS stake,
               CAST(e.staked_rao AS DOUBLE PRECISION) / CAST(NULLIF(e.total_issuance_rao, 0) AS DOUBLE PRECISION)
                   AS staking_ratio,
               {whole("e.total_issuance_rao")} AS supply, p.units, e.last_block
        FROM days d
        LEFT JOIN bittensor_emission_daily e ON e.day = d.day
        LEFT JOIN split p ON p.day = d.day
        LEFT JOIN owner_cut o ON o.day = d.day
    ),
    {_distribution("rewards", "stakes")}
"""

SAHARA_CTES = f"""
    rewards AS (SELECT day, member AS participant, reward_base_units AS reward FROM members WHERE role = 'participant'),
    stakes AS (SELECT day, member AS validator, stake_native AS stake FROM members WHERE role = 'validator'),
    extras AS (
        SELECT d.day, {whole("t.minted_base_units", 18)} AS emission, CAST(NULL AS NUMERIC(38, 18)) AS net_issuance,
               CAST(NULL AS NUMERIC(38, 18)) AS miner, CAST(NULL AS NUMERIC(38, 18)) AS dividends,
               CAST(NULL AS NUMERIC(38, 18)) AS owner_cut,
               CAST(CAST(t.supply_base_units AS DOUBLE PRECISION) * t.bonded_ratio / 1e18 AS NUMERIC(38, 18)) AS stake,
               t.bonded_ratio AS staking_ratio, {whole("t.supply_base_units", 18)} AS supply,
               COALESCE(t.submitted, 0) AS units, CAST(NULL AS BIGINT) AS last_block
        FROM days d
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
        tables=("ecosystem_day_members", "ecosystem_day_totals", "ecosystem_day_hours", "ecosystem_daily"),
        doc=__doc__,
        statements=(
            DIV_MACRO,
            *parse_payload_once(WINDOW_BITTENSOR_OBSERVATIONS),
            FOLD_BITTENSOR_MEMBERS,
            FOLD_BITTENSOR_HOURS,
            FOLD_SAHARA_MEMBERS,
            FOLD_SAHARA_HOURS,
            FOLD_SAHARA_TOTALS,
            _days("bittensor", BITTENSOR_TYPES, "bittensor"),
            _days("sahara", SAHARA_TYPES, "sahara-ai"),
            OnlyOn("postgresql", "ANALYZE w_eco_days_bittensor"),
            OnlyOn("postgresql", "ANALYZE w_eco_days_sahara"),
            _delete("bittensor"),
            _insert("bittensor", "bittensor", "TAO", "subnets", BITTENSOR_CTES),
            _delete("sahara"),
            _insert("sahara", "sahara-ai", "SAHARA", "annotations", SAHARA_CTES),
            "DROP TABLE w_eco_days_bittensor",
            "DROP TABLE w_eco_days_sahara",
            "DROP TABLE w_eco_bt_obs",
        ),
        upstream=(
            "bittensor_emission_daily",
            "bittensor_epoch_prices",
            "chain_days",
            "market_caps",
            "market_caps_daily",
            "subnet_emission_daily",
        ),
    )
)
