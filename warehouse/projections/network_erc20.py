"""Network fundamentals of the SAHARA ERC-20 on EVM networks (networks 'evm:<name>'): the statements that fold its rows of `network_daily`.

`NETWORK_DAILY` runs inside the `network_daily` projection (`warehouse.projections.network`) with
:lo and :hi bound to the seq window, and writes only this network's rows; `NETWORK_DAILY_UPSTREAM`
names the tables of other projections it reads.

One row per EVM network (the registry's name, `evm:<name>`) and UTC day with a SAHARA Transfer or
Approval stored (`erc20` staging; the token is the registered contract whose symbol is `SAHARA`):
- `transactions`: distinct transaction hashes with a SAHARA log (Transfer or Approval);
- `active_accounts`: distinct senders (`from`) of the day's transfers, the zero address (the source of
  mints) left out; `new_accounts`: accounts in a transfer (either side) for the first time that day;
- `transfers`, `transfer_volume_native`: the day's transfers and their exact sum in SAHARA;
  `transfer_volume_usd` and `price_usd`: at the day's last SAHARA quote (`market_caps_daily`);
- `holders`: accounts (not the zero address) whose balance, folded from every stored Transfer since
  the token's first block, is above zero after the day's last block;
- `complete`: the EVM source's day for the network's chain id is stored whole (`chain_source_days`);
- fees and staking yield: NULL (gas is paid in the network's own coin, and the token is not staked).

**Folding.** A day's holders depend on every day before it, so a run recomputes, for each network
whose SAHARA rows the window touches, every day from the first touched one on: holders at that day's
start from the network's last row before it, then day by day the accounts whose balance turned
positive or back to zero (their balance before the day: the folded balance minus the changes since).
Rows that did not change are not rewritten. `complete` and the USD figures are refreshed on every
run for the rows whose chain day or quote changed. Late backfills are recomputed from their day on,
so incremental runs and a rebuild give the same rows.
"""

from __future__ import annotations

from warehouse.projections.base import OnlyOn, replace_rows
from warehouse.projections.bittensor import whole

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
ZERO_ADDRESS = "'0x" + "0" * 40 + "'"
SAHARA = "token_symbol = 'SAHARA'"

#: Per network, the first day the window's SAHARA events touch: every day from it on is recomputed.
FIRST_TOUCHED = f"""
    CREATE TEMPORARY TABLE w_ne_from AS
    SELECT network, MIN(day) AS first_day
    FROM (
        SELECT network, {_DAY} AS day FROM stg_erc20_transfers WHERE {WINDOW} AND {SAHARA}
        UNION ALL
        SELECT network, {_DAY} FROM stg_erc20_approvals WHERE {WINDOW} AND {SAHARA}
    ) w
    GROUP BY network
"""

#: The SAHARA rows of those days: (network, token, day, tx hash, sender, amount; approvals have none).
DAY_ROWS = f"""
    CREATE TEMPORARY TABLE w_ne_rows AS
    SELECT t.network, t.token_address, t.token_decimals, {_DAY} AS day, t.tx_hash, t.from_address,
           t.amount_base_units
    FROM stg_erc20_transfers t JOIN w_ne_from f ON f.network = t.network
    WHERE t.{SAHARA} AND t.block_time >= f.first_day
    UNION ALL
    SELECT a.network, a.token_address, a.token_decimals, {_DAY}, a.tx_hash, NULL,
           CAST(NULL AS NUMERIC(38, 0))
    FROM stg_erc20_approvals a JOIN w_ne_from f ON f.network = a.network
    WHERE a.{SAHARA} AND a.block_time >= f.first_day
"""

#: Holders at the end of each of those days: the holders of the network's last row before the first
#: day (no transfer in between), then per day the accounts turning positive minus those turning back to
#: zero or below. An account's balance before the first day is its folded balance (`erc20_balances`)
#: minus its changes since, so only the accounts that moved are read, not every account's history.
HOLDERS = f"""
    CREATE TEMPORARY TABLE w_ne_holders AS
    WITH tokens AS (
        SELECT DISTINCT r.network, r.token_address, f.first_day
        FROM w_ne_rows r JOIN w_ne_from f ON f.network = r.network
    ),
    kept AS (
        SELECT k.network, k.token_address, MAX(n.day) AS day
        FROM tokens k
        LEFT JOIN network_daily n
          ON n.chain = 'sahara' AND n.network = 'evm:' || k.network AND n.day < k.first_day
        GROUP BY k.network, k.token_address
    ),
    opening_count AS (
        SELECT k.network, k.token_address, COALESCE(n.holders, 0) AS holders
        FROM kept k
        LEFT JOIN network_daily n ON n.chain = 'sahara' AND n.network = 'evm:' || k.network AND n.day = k.day
    ),
    recent AS (
        SELECT b.network, b.token_address, b.holder, b.day, b.delta_base_units
        FROM erc20_balance_days b
        JOIN tokens k ON k.network = b.network AND k.token_address = b.token_address
        WHERE b.day >= k.first_day AND b.holder <> {ZERO_ADDRESS}
    ),
    opening AS (
        SELECT r.network, r.token_address, r.holder, MAX(b.balance_base_units) - SUM(r.delta_base_units) AS balance
        FROM recent r
        JOIN erc20_balances b
          ON b.network = r.network AND b.token_address = r.token_address AND b.holder = r.holder
        GROUP BY r.network, r.token_address, r.holder
    ),
    changes AS (
        SELECT r.network, r.token_address, r.day, r.delta_base_units AS delta,
               COALESCE(o.balance, 0) + SUM(r.delta_base_units) OVER (
                   PARTITION BY r.network, r.token_address, r.holder ORDER BY r.day
               ) AS after
        FROM recent r
        LEFT JOIN opening o
          ON o.network = r.network AND o.token_address = r.token_address AND o.holder = r.holder
    ),
    turns AS (
        SELECT network, token_address, day,
               SUM(CASE WHEN after > 0 THEN 1 ELSE 0 END - CASE WHEN after - delta > 0 THEN 1 ELSE 0 END) AS turn
        FROM changes GROUP BY network, token_address, day
    ),
    days AS (SELECT DISTINCT network, token_address, day FROM w_ne_rows)
    SELECT d.network, d.token_address, d.day,
           COALESCE(MAX(c.holders), 0) + COALESCE(SUM(t.turn), 0) AS holders
    FROM days d
    LEFT JOIN opening_count c ON c.network = d.network AND c.token_address = d.token_address
    LEFT JOIN turns t ON t.network = d.network AND t.token_address = d.token_address AND t.day <= d.day
    GROUP BY d.network, d.token_address, d.day
"""

#: Accounts in a transfer for the first time, per day (from the folded balances).
NEW_ACCOUNTS = f"""
    CREATE TEMPORARY TABLE w_ne_new AS
    SELECT b.network, b.token_address, b.first_day AS day, COUNT(*) AS new_accounts
    FROM erc20_balances b
    JOIN (SELECT DISTINCT r.network, r.token_address, f.first_day
          FROM w_ne_rows r JOIN w_ne_from f ON f.network = r.network) k
      ON k.network = b.network AND k.token_address = b.token_address
    WHERE b.first_day >= k.first_day AND b.holder <> {ZERO_ADDRESS}
    GROUP BY b.network, b.token_address, b.first_day
"""

_VOLUME = whole(
    "SUM(r.amount_base_units) * CAST(POWER(10, 18 - MAX(r.token_decimals)) AS NUMERIC(38, 0))", 18
)
_COLUMNS = (
    "(chain, network, day, complete, native_unit, transactions, active_accounts, new_accounts, transfers, "
    "transfer_volume_native, transfer_volume_usd, fees_native, fees_usd, holders, staking_apr, staking_apy, "
    "price_usd)"
)
_DAYS = f"""
    WITH days AS (
        SELECT r.network, r.token_address, r.day,
               COUNT(DISTINCT r.tx_hash) AS transactions,
               COUNT(DISTINCT CASE WHEN r.from_address <> {ZERO_ADDRESS} THEN r.from_address END) AS active,
               COUNT(r.amount_base_units) AS transfers,
               COALESCE({_VOLUME}, CAST(0 AS NUMERIC(38, 18))) AS volume
        FROM w_ne_rows r
        GROUP BY r.network, r.token_address, r.day
    )
    SELECT 'sahara', 'evm:' || d.network, d.day, COALESCE(s.complete, FALSE), 'SAHARA',
           d.transactions, d.active, COALESCE(n.new_accounts, 0), d.transfers, d.volume,
           CAST(d.volume AS DOUBLE PRECISION) * q.price_usd, CAST(NULL AS NUMERIC(38, 18)),
           CAST(NULL AS DOUBLE PRECISION), h.holders, CAST(NULL AS DOUBLE PRECISION),
           CAST(NULL AS DOUBLE PRECISION), q.price_usd
    FROM days d
    JOIN erc20_tokens k ON k.network = d.network AND k.token_address = d.token_address
    JOIN w_ne_holders h ON h.network = d.network AND h.token_address = d.token_address AND h.day = d.day
    LEFT JOIN w_ne_new n ON n.network = d.network AND n.token_address = d.token_address AND n.day = d.day
    LEFT JOIN chain_source_days s
      ON s.source = 'evm' AND s.stream = CAST(k.chain_id AS VARCHAR) AND s.day = d.day
    LEFT JOIN market_caps_daily q ON q.coin_id = 'sahara-ai' AND CAST(q.day AS DATE) = d.day
"""

#: Rows whose chain day was stored whole (or found incomplete) since they were written.
REFRESH_COMPLETE = """
    UPDATE network_daily SET complete = c.complete
    FROM (
        SELECT 'evm:' || k.network AS network, s.day, s.complete
        FROM erc20_tokens k
        JOIN chain_source_days s ON s.source = 'evm' AND s.stream = CAST(k.chain_id AS VARCHAR)
        WHERE k.token_symbol = 'SAHARA'
    ) c
    WHERE network_daily.chain = 'sahara' AND network_daily.network = c.network
      AND network_daily.day = c.day AND network_daily.complete <> c.complete
"""

#: Rows whose day's last SAHARA quote arrived or changed since they were written.
REFRESH_QUOTES = """
    UPDATE network_daily
    SET price_usd = q.price_usd,
        transfer_volume_usd = CAST(network_daily.transfer_volume_native AS DOUBLE PRECISION) * q.price_usd
    FROM market_caps_daily q
    WHERE network_daily.chain = 'sahara' AND network_daily.network LIKE 'evm:%'
      AND q.coin_id = 'sahara-ai' AND CAST(q.day AS DATE) = network_daily.day
      AND network_daily.price_usd IS DISTINCT FROM q.price_usd
"""

NETWORK_DAILY: tuple[str | OnlyOn, ...] = (
    FIRST_TOUCHED,
    DAY_ROWS,
    OnlyOn("postgresql", "ANALYZE w_ne_rows"),
    HOLDERS,
    NEW_ACCOUNTS,
    *replace_rows("network_daily", ("chain", "network", "day"), _COLUMNS, _DAYS),
    "DROP TABLE w_ne_new",
    "DROP TABLE w_ne_holders",
    "DROP TABLE w_ne_rows",
    "DROP TABLE w_ne_from",
    REFRESH_COMPLETE,
    REFRESH_QUOTES,
)
NETWORK_DAILY_UPSTREAM: tuple[str, ...] = (
    "stg_erc20_transfers",
    "stg_erc20_approvals",
    "erc20_balance_days",
    "erc20_balances",
    "erc20_tokens",
    "chain_source_days",
    "market_caps_daily",
)
