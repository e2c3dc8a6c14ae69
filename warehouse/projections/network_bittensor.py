"""Network fundamentals of the Bittensor chain (network 'bittensor'): the statements that fold its rows of `network_daily`.

`NETWORK_DAILY` runs inside the `network_daily` projection (`warehouse.projections.network`) with
:lo and :hi bound to the seq window, and writes only this network's rows; `NETWORK_DAILY_UPSTREAM`
names the tables of other projections it reads.

One row per UTC day with a stored Bittensor block (`chain_days`) or a `System.Account` snapshot, from
the staging of `warehouse.projections.bittensor_accounts`:

- `transactions`: signed extrinsics (`stg_bittensor_extrinsics`), failed ones included (they pay);
  `active_accounts`: their distinct signers;
- `new_accounts`: accounts the chain created that day (`System.NewAccount`: an account's first
  funding);
- `transfers`, `transfer_volume_native`: `Balances.Transfer` events and their amounts in TAO;
- `fees_native`: Σ `TransactionPayment.TransactionFeePaid.actual_fee` (inclusion fee + tip) in TAO;
- `holders`: accounts with free + reserved > 0 in the snapshot of `System.Account` at the day's last
  block (`bittensor_account_snapshots`), NULL until every page of it is stored;
- `staking_apr`, on complete days only: the day's validator dividends in TAO (Σ over subnets of
  `subnet_emission_daily.validator_dividends_tao`, each epoch's alpha at its pool price) × (1 −
  VALIDATOR_TAKE) ÷ the TAO staked at the day's last block (`bittensor_emission_daily.staked_rao`:
  root's SubnetTAO + every other subnet's) × 365; `staking_apy` = (1 + apr/365)^365 − 1;
- USD at the day's last TAO quote (`market_caps_daily`, coin 'bittensor'), `complete` from `chain_days`.

**Folding.** The extrinsic and transfer figures are running sums, never a day's staging read again:
`bittensor_activity_daily` (grain: one row per UTC day) adds each staging row's count, fee and amount
once, and `bittensor_signer_days` (grain: one row per UTC day and signer) holds the day's signers,
whose count is `active_accounts`. A run folds the staging rows above the highest `seq` folded so far
(`bittensor_activity_daily.last_seq`, the greatest over its days) up to :hi, not the rows of its own
window: `bittensor_accounts` has its own position, and a run of this projection can find the staging
behind :hi (ingest committed between the two projections' runs, or one of them was run or rebuilt
alone). The staging always holds every row up to that projection's position and nothing above it, so
what is folded is exactly what has not been, whatever the runs' split; the rows still missing are
folded by the next run. A migration that changes what the staging rows hold must reset this
projection's position too: the sums keep what was folded.

The days recomputed are the days of the window's Bittensor events (a snapshot's: the day it closes),
the days of the staging rows folded, the days of the window's TAO quotes, and days whose completeness
changed; a day's row reads that day's rows of the running tables, its new accounts and the day's
snapshot, quote, emission and dividends.
"""

from __future__ import annotations

from warehouse.projections.base import OnlyOn, parse_payload_once
from warehouse.projections.bittensor import whole

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
_MINE = "n.chain = 'bittensor' AND n.network = 'bittensor'"
#: Subtensor's default delegate take, 11,796 / 65,535 (18%): what a validator keeps of its dividends
#: before its nominators share the rest. The chain data read here do not carry each validator's take.
VALIDATOR_TAKE = "(11796.0 / 65535.0)"

WINDOW_DAYS = f"""
    CREATE TEMPORARY TABLE w_net_days_bittensor AS
    SELECT DISTINCT CASE WHEN event_type = 'System.AccountsObserved' THEN CAST(payload->>'day' AS DATE)
                         ELSE {_DAY} END AS day
    FROM events
    WHERE {WINDOW}
      AND (chain = 'bittensor' OR (event_type = 'market.Quote' AND payload->>'coin_id' = 'bittensor'))
"""

#: The staging rows not folded yet, one row each with what it adds to its day: above the highest seq
#: folded so far, up to :hi (the module's **Folding**). The bound is a scalar subquery, so PostgreSQL
#: reads the seq index as a range and DuckDB prunes row groups by it as it would a constant.
_UNFOLDED = "seq > (SELECT COALESCE(MAX(last_seq), 0) FROM bittensor_activity_daily) AND seq <= :hi"
STAGED = f"""
    CREATE TEMPORARY TABLE w_net_bt_staged AS
    SELECT {_DAY} AS day, seq, signer, 1 AS transactions, COALESCE(fee_rao, 0) AS fees_rao, 0 AS transfers,
           CAST(0 AS NUMERIC(38, 0)) AS volume_rao
    FROM stg_bittensor_extrinsics
    WHERE {_UNFOLDED}
    UNION ALL
    SELECT {_DAY}, seq, NULL, 0, CAST(0 AS NUMERIC(38, 0)), 1, amount_rao
    FROM stg_bittensor_transfers
    WHERE {_UNFOLDED}
"""

FOLD_ACTIVITY = """
    INSERT INTO bittensor_activity_daily (day, transactions, fees_rao, transfers, volume_rao, last_seq)
    SELECT day, SUM(transactions), SUM(fees_rao), SUM(transfers), SUM(volume_rao), MAX(seq)
    FROM w_net_bt_staged
    GROUP BY day
    ON CONFLICT (day) DO UPDATE SET
        transactions = bittensor_activity_daily.transactions + excluded.transactions,
        fees_rao = bittensor_activity_daily.fees_rao + excluded.fees_rao,
        transfers = bittensor_activity_daily.transfers + excluded.transfers,
        volume_rao = bittensor_activity_daily.volume_rao + excluded.volume_rao,
        last_seq = GREATEST(bittensor_activity_daily.last_seq, excluded.last_seq)
"""

FOLD_SIGNERS = """
    INSERT INTO bittensor_signer_days (day, signer)
    SELECT DISTINCT day, signer FROM w_net_bt_staged WHERE signer IS NOT NULL
    ON CONFLICT (day, signer) DO NOTHING
"""

CHANGED_DAYS = f"""
    INSERT INTO w_net_days_bittensor (day)
    SELECT n.day FROM network_daily n JOIN chain_days c ON c.chain = 'bittensor' AND c.day = n.day
    WHERE {_MINE} AND c.complete <> n.complete
      AND n.day NOT IN (SELECT day FROM w_net_days_bittensor)
"""

FOLDED_DAYS = """
    INSERT INTO w_net_days_bittensor (day)
    SELECT DISTINCT day FROM w_net_bt_staged
    WHERE day NOT IN (SELECT day FROM w_net_days_bittensor)
"""

DELETE = f"""
    DELETE FROM network_daily n
    WHERE {_MINE} AND n.day IN (SELECT day FROM w_net_days_bittensor)
"""

INSERT = f"""
    INSERT INTO network_daily (chain, network, day, complete, native_unit, transactions, active_accounts,
        new_accounts, transfers, transfer_volume_native, transfer_volume_usd, fees_native, fees_usd, holders,
        staking_apr, staking_apy, price_usd)
    WITH days AS (SELECT DISTINCT day FROM w_net_days_bittensor),
    bounds AS (SELECT MIN(day) AS lo, MAX(day) + 1 AS hi FROM days),
    signers AS (
        SELECT s.day, COUNT(*) AS active_accounts
        FROM bittensor_signer_days s JOIN days d ON d.day = s.day
        GROUP BY s.day
    ),
    created AS (
        SELECT CAST(date_trunc('day', a.created_at) AS DATE) AS day, COUNT(*) AS new_accounts
        FROM bittensor_accounts a, bounds b
        WHERE a.created_at >= b.lo AND a.created_at < b.hi
        GROUP BY CAST(date_trunc('day', a.created_at) AS DATE)
    ),
    dividends AS (
        SELECT s.day, SUM(s.validator_dividends_tao) AS dividends_tao
        FROM subnet_emission_daily s JOIN days d ON d.day = s.day
        GROUP BY s.day
    ),
    price AS (
        SELECT CAST(m.day AS DATE) AS day, m.price_usd
        FROM market_caps_daily m JOIN days d ON d.day = CAST(m.day AS DATE)
        WHERE m.coin_id = 'bittensor'
    ),
    rows_ AS (
        SELECT d.day, COALESCE(c.complete, FALSE) AS complete,
               COALESCE(x.transactions, 0) AS transactions, COALESCE(a.active_accounts, 0) AS active_accounts,
               COALESCE(f.new_accounts, 0) AS new_accounts, COALESCE(x.transfers, 0) AS transfers,
               {whole("COALESCE(x.volume_rao, 0)")} AS volume, {whole("COALESCE(x.fees_rao, 0)")} AS fees,
               CASE WHEN s.pages_stored = s.pages THEN s.holders END AS holders, p.price_usd,
               CASE WHEN c.complete AND e.staked_rao > 0 AND v.dividends_tao IS NOT NULL
                    THEN CAST(v.dividends_tao AS DOUBLE PRECISION) * (1.0 - {VALIDATOR_TAKE}) * 365.0
                         / (CAST(e.staked_rao AS DOUBLE PRECISION) / 1e9) END AS apr
        FROM days d
        LEFT JOIN chain_days c ON c.chain = 'bittensor' AND c.day = d.day
        LEFT JOIN bittensor_activity_daily x ON x.day = d.day
        LEFT JOIN signers a ON a.day = d.day
        LEFT JOIN created f ON f.day = d.day
        LEFT JOIN bittensor_account_snapshots s ON s.day = d.day
        LEFT JOIN price p ON p.day = d.day
        LEFT JOIN dividends v ON v.day = d.day
        LEFT JOIN bittensor_emission_daily e ON e.day = d.day
        WHERE c.day IS NOT NULL OR s.day IS NOT NULL
    )
    SELECT 'bittensor', 'bittensor', day, complete, 'TAO', transactions, active_accounts, new_accounts,
           transfers, CAST(volume AS NUMERIC(38, 18)), CAST(volume AS DOUBLE PRECISION) * price_usd,
           CAST(fees AS NUMERIC(38, 18)), CAST(fees AS DOUBLE PRECISION) * price_usd, holders,
           apr, POWER(1.0 + apr / 365.0, 365) - 1.0, price_usd
    FROM rows_
"""

NETWORK_DAILY: tuple[str | OnlyOn, ...] = (
    *parse_payload_once(WINDOW_DAYS),
    STAGED,
    FOLD_ACTIVITY,
    FOLD_SIGNERS,
    CHANGED_DAYS,
    FOLDED_DAYS,
    OnlyOn("postgresql", "ANALYZE w_net_days_bittensor"),
    DELETE,
    INSERT,
    "DROP TABLE w_net_bt_staged",
    "DROP TABLE w_net_days_bittensor",
)
#: The running tables of the Bittensor rows; `network_daily` owns them, so a rebuild empties them.
NETWORK_DAILY_TABLES: tuple[str, ...] = ("bittensor_activity_daily", "bittensor_signer_days")
NETWORK_DAILY_UPSTREAM: tuple[str, ...] = (
    "chain_days",
    "market_caps_daily",
    "stg_bittensor_extrinsics",
    "stg_bittensor_transfers",
    "bittensor_accounts",
    "bittensor_account_snapshots",
    "subnet_emission_daily",
    "bittensor_emission_daily",
)
