"""Network fundamentals of the Sahara chain (network 'sahara'): the statements that fold its rows of `network_daily`.

`NETWORK_DAILY` runs inside the `network_daily` projection (`warehouse.projections.network`) with
:lo and :hi bound to the seq window, and writes only this network's rows; `NETWORK_DAILY_UPSTREAM`
names the tables of other projections it reads.

One row per UTC day with a stored Sahara block or transaction, from the staging of
`warehouse.projections.sahara_activity`:

- `transactions`: Cosmos transactions, distinct by hash; an EVM transaction is a Cosmos transaction
  holding a MsgEthereumTx and is counted once, by its Ethereum hash;
- `active_accounts`: distinct signers (`message.sender`) and fee payers (`tx.fee_payer`);
  `new_accounts`: accounts (signers, fee payers, both sides of a transaction's transfers) first seen
  that day since the store's first block;
- `transfers`, `transfer_volume_native`: bank transfers made by transactions' messages (sends, reward
  withdrawals; not the fee deduction nor block-level minting flows) and their usah in SAHARA;
- `fees_native`: Σ `tx.fee` (an empty fee is zero), failed transactions included (they pay);
- `holders`: accounts whose balance, folded from every bank transfer, coinbase mint and burn since
  the store's first block, is positive at the day's end (exact only when the store starts at genesis:
  a balance held before the first stored block is not seen; staking bonds move no transfer). A run
  starts from the holders of the network's last row before the first day it recomputes and adds, day
  by day, the accounts whose balance turned positive or back to zero since (their balance before that
  day summed for them only), so it does not fold every account's history again;
- `staking_apr`: on complete days, the day's `distribution.rewards` ÷ bonded tokens (the day's latest
  mint event's bonded ratio × supply, `ecosystem_day_totals`) × 365; `staking_apy` =
  (1 + apr/365)^365 - 1;
- USD at the day's last SAHARA quote (`market_caps_daily`), `complete` from `chain_days`.

The days recomputed are the window's days and every later day of the network (holders and first
sightings carry forward), the days of the window's SAHARA quotes, and days whose completeness changed.
"""

from __future__ import annotations

from warehouse.projections.base import OnlyOn
from warehouse.projections.bittensor import whole

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
_MINE = "n.chain = 'sahara' AND n.network = 'sahara'"

DAYS = f"""
    CREATE TEMPORARY TABLE w_net_days_sahara AS
    WITH window_days AS (
        SELECT DISTINCT {_DAY} AS day FROM events WHERE {WINDOW} AND chain = 'sahara' AND source = 'cometbft'
    )
    SELECT day FROM window_days
    UNION
    SELECT n.day FROM network_daily n WHERE {_MINE} AND n.day >= (SELECT MIN(day) FROM window_days)
    UNION
    SELECT {_DAY} FROM events
    WHERE {WINDOW} AND event_type = 'market.Quote' AND payload->>'coin_id' = 'sahara-ai'
    UNION
    SELECT n.day FROM network_daily n JOIN chain_days c ON c.chain = 'sahara' AND c.day = n.day
    WHERE {_MINE} AND c.complete <> n.complete
"""

DELETE = f"""
    DELETE FROM network_daily n
    WHERE {_MINE} AND n.day IN (SELECT day FROM w_net_days_sahara)
"""

INSERT = f"""
    INSERT INTO network_daily (chain, network, day, complete, native_unit, transactions, active_accounts,
        new_accounts, transfers, transfer_volume_native, transfer_volume_usd, fees_native, fees_usd, holders,
        staking_apr, staking_apy, price_usd)
    WITH days AS (SELECT day FROM w_net_days_sahara),
    bounds AS (SELECT MIN(day) AS lo, MAX(day) + 1 AS hi FROM days),
    tx AS (
        SELECT {_DAY} AS day,
               COUNT(DISTINCT COALESCE(t.evm_tx_hash, t.tx_hash,
                                       CAST(t.block_number AS VARCHAR) || '/' || CAST(t.tx_index AS VARCHAR)))
                   AS transactions,
               SUM(COALESCE(t.fee_usah, 0)) AS fees
        FROM stg_sahara_transactions t, bounds b
        WHERE t.block_time >= b.lo AND t.block_time < b.hi
        GROUP BY {_DAY}
    ),
    moved AS (
        SELECT {_DAY} AS day, COUNT(*) AS transfers, SUM(COALESCE(s.amount_usah, 0)) AS volume
        FROM stg_sahara_bank_transfers s, bounds b
        WHERE s.in_message AND s.block_time >= b.lo AND s.block_time < b.hi
        GROUP BY {_DAY}
    ),
    active AS (
        SELECT a.day, SUM(CASE WHEN a.active THEN 1 ELSE 0 END) AS active_accounts
        FROM sahara_account_days a JOIN days d ON d.day = a.day
        GROUP BY a.day
    ),
    fresh AS (
        SELECT a.first_day AS day, COUNT(*) AS new_accounts
        FROM sahara_accounts a JOIN days d ON d.day = a.first_day
        GROUP BY a.first_day
    ),
    last_kept AS (SELECT MAX(n.day) AS day FROM network_daily n, bounds b WHERE {_MINE} AND n.day < b.lo),
    anchor AS (
        SELECT COALESCE(l.day, DATE '1970-01-01') AS day, COALESCE(n.holders, 0) AS holders
        FROM last_kept l LEFT JOIN network_daily n ON {_MINE} AND n.day = l.day
    ),
    recent AS (
        SELECT c.account, c.day, c.change_usah
        FROM sahara_balance_changes_daily c, anchor a WHERE c.day > a.day
    ),
    opening AS (
        SELECT c.account, SUM(c.change_usah) AS balance
        FROM sahara_balance_changes_daily c, anchor a
        WHERE c.day <= a.day AND c.account IN (SELECT account FROM recent)
        GROUP BY c.account
    ),
    changes AS (
        SELECT r.day, r.change_usah AS delta,
               COALESCE(o.balance, 0)
               + SUM(r.change_usah) OVER (PARTITION BY r.account ORDER BY r.day ROWS UNBOUNDED PRECEDING) AS after
        FROM recent r LEFT JOIN opening o ON o.account = r.account
    ),
    turns AS (
        SELECT day, SUM(CASE WHEN after > 0 THEN 1 ELSE 0 END - CASE WHEN after - delta > 0 THEN 1 ELSE 0 END)
            AS turn
        FROM changes GROUP BY day
    ),
    holders AS (
        SELECT d.day, MAX(a.holders) + COALESCE(SUM(t.turn), 0) AS holders
        FROM days d CROSS JOIN anchor a LEFT JOIN turns t ON t.day <= d.day
        GROUP BY d.day
    ),
    price AS (
        SELECT CAST(m.day AS DATE) AS day, m.price_usd
        FROM market_caps_daily m JOIN days d ON d.day = CAST(m.day AS DATE)
        WHERE m.coin_id = 'sahara-ai'
    ),
    rows_ AS (
        SELECT d.day, COALESCE(c.complete, FALSE) AS complete,
               COALESCE(t.transactions, 0) AS transactions, COALESCE(a.active_accounts, 0) AS active_accounts,
               COALESCE(f.new_accounts, 0) AS new_accounts, COALESCE(m.transfers, 0) AS transfers,
               {whole("COALESCE(m.volume, 0)", 18)} AS volume, {whole("COALESCE(t.fees, 0)", 18)} AS fees,
               COALESCE(h.holders, 0) AS holders, p.price_usd,
               CASE WHEN c.complete AND e.bonded_ratio > 0 AND e.supply_base_units > 0 AND r.rewards_usah IS NOT NULL
                    THEN CAST(r.rewards_usah AS DOUBLE PRECISION) * 365.0
                         / (CAST(e.supply_base_units AS DOUBLE PRECISION) * e.bonded_ratio) END AS apr
        FROM days d
        LEFT JOIN chain_days c ON c.chain = 'sahara' AND c.day = d.day
        LEFT JOIN tx t ON t.day = d.day
        LEFT JOIN moved m ON m.day = d.day
        LEFT JOIN active a ON a.day = d.day
        LEFT JOIN fresh f ON f.day = d.day
        LEFT JOIN holders h ON h.day = d.day
        LEFT JOIN price p ON p.day = d.day
        LEFT JOIN sahara_staking_rewards_daily r ON r.day = d.day
        LEFT JOIN ecosystem_day_totals e ON e.chain = 'sahara' AND e.day = d.day
        WHERE c.day IS NOT NULL OR t.day IS NOT NULL OR m.day IS NOT NULL OR r.day IS NOT NULL
    )
    SELECT 'sahara', 'sahara', day, complete, 'SAHARA', transactions, active_accounts, new_accounts, transfers,
           CAST(volume AS NUMERIC(38, 18)), CAST(volume AS DOUBLE PRECISION) * price_usd,
           CAST(fees AS NUMERIC(38, 18)), CAST(fees AS DOUBLE PRECISION) * price_usd, holders,
           apr, POWER(1.0 + apr / 365.0, 365) - 1.0, price_usd
    FROM rows_
"""

NETWORK_DAILY: tuple[str | OnlyOn, ...] = (
    DAYS,
    OnlyOn("postgresql", "ANALYZE w_net_days_sahara"),
    DELETE,
    INSERT,
    "DROP TABLE w_net_days_sahara",
)
NETWORK_DAILY_UPSTREAM: tuple[str, ...] = (
    "chain_days",
    "ecosystem_day_totals",
    "market_caps_daily",
    "stg_sahara_transactions",
    "stg_sahara_bank_transfers",
    "sahara_account_days",
    "sahara_accounts",
    "sahara_balance_changes_daily",
    "sahara_staking_rewards_daily",
)
