"""Sahara chain activity staging: transactions, bank transfers, accounts, balances and staking rewards.

Read from the CometBFT events (`tx.TransactionObserved`, `tx.tx`, `tx.message`, `evm.ethereum_tx`,
`bank.transfer`, `bank.coinbase`, `bank.burn`, `distribution.rewards`); amounts in usah (other denoms
are not kept), exact as NUMERIC(38, 0).

- `stg_sahara_transactions` — grain: one row per Cosmos transaction (block, index): its hash (from
  `tx.TransactionObserved`), the Ethereum hash of a MsgEthereumTx (`ethereum_tx.ethereumTxHash`,
  lower-case), result code, gas used, `fee_usah` (the `tx` event's fee; an empty fee is 0), `fee_payer`
  (`tx.fee_payer`, else the signer: Ethermint names no payer) and `signer` (the first `message.sender`
  of the transaction).
- `stg_sahara_bank_transfers` — grain: one row per `bank.transfer` event: sender, recipient,
  `amount_usah`; `in_message` when a transaction's message made it (it carries `msg_index`: a send, a
  reward withdrawal), not the ante handler's fee deduction nor a block-level flow (minting,
  distribution), whose `tx_index` is NULL.
- `sahara_account_days` — running state, one row per (account, day) it appeared in a transaction:
  `active` when it signed (`message.sender`) or paid a fee (`tx.fee_payer`) that day, else it only
  sent or received a transfer of a transaction (the fee collector, a reward's distribution module).
- `sahara_accounts` — one row per account seen so: the first day and block it was seen in.
- `sahara_balance_changes_daily` — one row per (account, day): the net usah of the day's transfers
  (in minus out, transaction and block-level alike: sends, fees, withdrawals, mint flows), coinbase
  mints (in) and burns (out). Staking bonds and unbondings emit no transfer and are not in it.
- `sahara_staking_rewards_daily` — one row per day: Σ `distribution.rewards` (whole usah) of the
  day's blocks, the rewards distributed to validators (their commission included).

**Folding.** The events of one block are appended in one transaction, so a window holds a
transaction's events whole; staging appends, the running tables add (sums), take the earliest (first
seen) or OR (active). Incremental runs and a rebuild give identical tables whatever the split.
"""

from __future__ import annotations

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
TYPES = (
    "tx.TransactionObserved",
    "tx.tx",
    "tx.message",
    "evm.ethereum_tx",
    "bank.transfer",
    "bank.coinbase",
    "bank.burn",
    "distribution.rewards",
)
_TYPES = ", ".join(f"'{t}'" for t in TYPES)

WINDOW_EVENTS = f"""
    CREATE TEMPORARY TABLE w_sa_events AS
    SELECT event_id, seq, block_number, block_time, {_DAY} AS day, event_type,
           CASE WHEN position LIKE 'obs.tx%' THEN CAST(substr(position, 7) AS INTEGER)
                WHEN position LIKE 'tx%' THEN CAST(substr(split_part(position, '.', 1), 3) AS INTEGER)
           END AS tx_index,
           CASE WHEN position LIKE 'tx%' THEN CAST(split_part(position, '.', 2) AS INTEGER) END AS event_index,
           payload->>'tx_hash' AS tx_hash, payload->>'code' AS code, payload->>'gas_used' AS gas_used,
           payload->>'fee_usah' AS fee_usah, payload->>'fee_payer' AS fee_payer, payload->>'sender' AS sender,
           payload->>'recipient' AS recipient, payload->>'amount_usah' AS amount_usah,
           payload->>'msg_index' AS msg_index, payload->>'ethereumTxHash' AS evm_hash,
           payload->>'minter' AS minter, payload->>'burner' AS burner
    FROM events
    WHERE {WINDOW} AND chain = 'sahara' AND source = 'cometbft' AND event_type IN ({_TYPES})
"""

STAGE_TRANSACTIONS = """
    INSERT INTO stg_sahara_transactions
        (event_id, seq, block_number, block_time, tx_index, tx_hash, evm_tx_hash, code, gas_used, fee_usah,
         fee_payer, signer)
    WITH tx_events AS (SELECT * FROM w_sa_events WHERE tx_index IS NOT NULL AND event_type <> 'distribution.rewards'),
    signers AS (
        SELECT block_number, tx_index, sender AS signer,
               ROW_NUMBER() OVER (PARTITION BY block_number, tx_index ORDER BY event_index) AS rn
        FROM tx_events WHERE event_type = 'tx.message' AND sender IS NOT NULL AND sender <> ''
    ),
    grouped AS (
        SELECT block_number, tx_index,
               COALESCE(MAX(CASE WHEN event_type = 'tx.TransactionObserved' THEN event_id END), MIN(event_id))
                   AS event_id,
               MIN(seq) AS seq, MIN(block_time) AS block_time,
               MAX(CASE WHEN event_type = 'tx.TransactionObserved' THEN tx_hash END) AS tx_hash,
               MAX(CASE WHEN event_type = 'evm.ethereum_tx' THEN lower(evm_hash) END) AS evm_tx_hash,
               MAX(CASE WHEN event_type = 'tx.TransactionObserved' THEN CAST(code AS INTEGER) END) AS code,
               MAX(CASE WHEN event_type = 'tx.TransactionObserved' THEN CAST(gas_used AS BIGINT) END) AS gas_used,
               MAX(CASE WHEN event_type = 'tx.tx' THEN CAST(fee_usah AS NUMERIC(38, 0)) END) AS fee_usah,
               MAX(CASE WHEN event_type = 'tx.tx' AND fee_payer <> '' THEN fee_payer END) AS fee_payer
        FROM tx_events
        GROUP BY block_number, tx_index
    )
    SELECT g.event_id, g.seq, g.block_number, g.block_time, g.tx_index, g.tx_hash, g.evm_tx_hash, g.code,
           g.gas_used, g.fee_usah, COALESCE(g.fee_payer, s.signer), s.signer
    FROM grouped g
    LEFT JOIN signers s ON s.block_number = g.block_number AND s.tx_index = g.tx_index AND s.rn = 1
"""

STAGE_TRANSFERS = """
    INSERT INTO stg_sahara_bank_transfers
        (event_id, seq, block_number, block_time, tx_index, in_message, sender, recipient, amount_usah)
    SELECT event_id, seq, block_number, block_time, tx_index,
           tx_index IS NOT NULL AND msg_index IS NOT NULL, sender, recipient, CAST(amount_usah AS NUMERIC(38, 0))
    FROM w_sa_events WHERE event_type = 'bank.transfer'
"""

#: Accounts seen in the window's transactions: signers and fee payers (active), and the two sides of
#: the transfers the transactions make.
SEEN = """
    CREATE TEMPORARY TABLE w_sa_seen AS
    SELECT account, day, MIN(block_number) AS block_number, BOOL_OR(active) AS active
    FROM (
        SELECT sender AS account, day, block_number, TRUE AS active FROM w_sa_events
        WHERE event_type = 'tx.message' AND tx_index IS NOT NULL
        UNION ALL
        SELECT fee_payer, day, block_number, TRUE FROM w_sa_events WHERE event_type = 'tx.tx' AND tx_index IS NOT NULL
        UNION ALL
        SELECT sender, day, block_number, FALSE FROM w_sa_events
        WHERE event_type = 'bank.transfer' AND tx_index IS NOT NULL
        UNION ALL
        SELECT recipient, day, block_number, FALSE FROM w_sa_events
        WHERE event_type = 'bank.transfer' AND tx_index IS NOT NULL
    ) x
    WHERE account IS NOT NULL AND account <> ''
    GROUP BY account, day
"""

FOLD_ACCOUNT_DAYS = """
    INSERT INTO sahara_account_days (account, day, active)
    SELECT account, day, active FROM w_sa_seen
    ON CONFLICT (account, day) DO UPDATE SET active = sahara_account_days.active OR excluded.active
"""

FOLD_ACCOUNTS = """
    INSERT INTO sahara_accounts (account, first_day, first_block)
    SELECT account, MIN(day), MIN(block_number) FROM w_sa_seen GROUP BY account
    ON CONFLICT (account) DO UPDATE SET
        first_day = LEAST(sahara_accounts.first_day, excluded.first_day),
        first_block = LEAST(sahara_accounts.first_block, excluded.first_block)
"""

FOLD_BALANCES = """
    INSERT INTO sahara_balance_changes_daily (account, day, change_usah)
    SELECT account, day, SUM(change) FROM (
        SELECT recipient AS account, day, CAST(amount_usah AS NUMERIC(38, 0)) AS change
        FROM w_sa_events WHERE event_type = 'bank.transfer'
        UNION ALL
        SELECT sender, day, -CAST(amount_usah AS NUMERIC(38, 0)) FROM w_sa_events WHERE event_type = 'bank.transfer'
        UNION ALL
        SELECT minter, day, CAST(amount_usah AS NUMERIC(38, 0)) FROM w_sa_events WHERE event_type = 'bank.coinbase'
        UNION ALL
        SELECT burner, day, -CAST(amount_usah AS NUMERIC(38, 0)) FROM w_sa_events WHERE event_type = 'bank.burn'
    ) x
    WHERE account IS NOT NULL AND account <> '' AND change IS NOT NULL
    GROUP BY account, day
    ON CONFLICT (account, day) DO UPDATE SET
        change_usah = sahara_balance_changes_daily.change_usah + excluded.change_usah
"""

FOLD_REWARDS = """
    INSERT INTO sahara_staking_rewards_daily (day, rewards_usah)
    SELECT day, SUM(CAST(amount_usah AS NUMERIC(38, 0))) FROM w_sa_events
    WHERE event_type = 'distribution.rewards' AND tx_index IS NULL AND amount_usah IS NOT NULL
    GROUP BY day
    ON CONFLICT (day) DO UPDATE SET rewards_usah = sahara_staking_rewards_daily.rewards_usah + excluded.rewards_usah
"""

SAHARA_ACTIVITY = register(
    Projection(
        name="sahara_activity",
        tables=(
            "stg_sahara_transactions",
            "stg_sahara_bank_transfers",
            "sahara_account_days",
            "sahara_accounts",
            "sahara_balance_changes_daily",
            "sahara_staking_rewards_daily",
        ),
        doc=__doc__ or "",
        statements=(
            *parse_payload_once(WINDOW_EVENTS),
            OnlyOn("postgresql", "ANALYZE w_sa_events"),
            STAGE_TRANSACTIONS,
            STAGE_TRANSFERS,
            SEEN,
            FOLD_ACCOUNT_DAYS,
            FOLD_ACCOUNTS,
            FOLD_BALANCES,
            FOLD_REWARDS,
            "DROP TABLE w_sa_seen",
            "DROP TABLE w_sa_events",
        ),
    )
)
