"""ERC-20 tokens on EVM networks: their transfers, approvals and holders, and the logs nothing models.

The EVM connector decodes the events of the tokens in the contract registry (`etl/contracts.toml`)
with the token's `network`, `chain_id`, `token_symbol` and `token_decimals` in the payload; an
`ERC20.Transfer` without them (stored before the registry, or decoded from a capture of an unknown
token) is not a registered token's and is left out.

- `stg_erc20_transfers` — grain: one row per `ERC20.Transfer` of a registered token: network, token,
  block, transaction, log index, `from_address`, `to_address` and `amount_base_units` (NUMERIC(38, 0)).
- `stg_erc20_approvals` — grain: one row per `ERC20.Approval` of a registered token, likewise.
- `erc20_tokens` — grain: one row per (network, token contract): symbol, decimals, chain id, counts of
  transfers and approvals, first and last block with one.
- `erc20_balances` — grain: one row per (network, token, account) in a transfer: the balance folded
  from every stored Transfer (sent subtracted, received added; the zero address, the source of
  mints, goes negative by the supply), the first and last UTC day it was in a transfer, its transfers.
  Exact holders need the token's transfers from its first block (the registry's `first_block`).
- `erc20_balance_days` — grain: one row per (network, token, account, UTC day) with a transfer: the
  day's net change; holders at any day's end are read from it (`network_erc20`).
- `evm_unmodelled_logs` — grain: one row per (network, contract address) with an `evm.RawLog`: logs
  of registered contracts that no registered ABI matches (an ERC-721 `Transfer`, an event the ABIs
  lack), counted, with the first and last block.

**Folding.** Everything here is a sum, a count, a minimum or a maximum over the window's events, added
to the stored rows by key, so incremental runs and a rebuild give identical rows whatever the split.
"""

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register

WINDOW = "seq > :lo AND seq <= :hi"
_DAY = "CAST(date_trunc('day', block_time) AS DATE)"
ZERO_ADDRESS = "0x" + "0" * 40

_TOKEN_COLUMNS = (
    "event_id, seq, network, chain_id, token_address, token_symbol, token_decimals, block_number, "
    "block_time, tx_hash, log_index"
)
_TOKEN_VALUES = (
    "event_id, seq, payload->>'network', CAST(payload->>'chain_id' AS BIGINT), payload->>'contract', "
    "payload->>'token_symbol', CAST(payload->>'token_decimals' AS INTEGER), block_number, block_time, "
    "payload->>'tx_hash', CAST(split_part(position, '.', 2) AS INTEGER)"
)


def _stage(table: str, event_type: str, columns: str, values: str) -> tuple[OnlyOn, OnlyOn]:
    return parse_payload_once(f"""
        INSERT INTO {table} ({_TOKEN_COLUMNS}, {columns})
        SELECT {_TOKEN_VALUES}, {values}
        FROM events
        WHERE {WINDOW} AND event_type = '{event_type}' AND payload->>'network' IS NOT NULL
          AND payload->>'token_symbol' IS NOT NULL
    """)


STAGE_TRANSFERS = _stage(
    "stg_erc20_transfers",
    "ERC20.Transfer",
    "from_address, to_address, amount_base_units",
    "payload->>'from', payload->>'to', CAST(payload->>'value' AS NUMERIC(38, 0))",
)
STAGE_APPROVALS = _stage(
    "stg_erc20_approvals",
    "ERC20.Approval",
    "owner_address, spender_address, amount_base_units",
    "payload->>'owner', payload->>'spender', CAST(payload->>'value' AS NUMERIC(38, 0))",
)

FOLD_TOKENS = f"""
    INSERT INTO erc20_tokens
        (network, token_address, chain_id, token_symbol, token_decimals, transfers, approvals,
         first_block, last_block)
    SELECT network, token_address, MAX(chain_id), MAX(token_symbol), MAX(token_decimals),
           SUM(transfers), SUM(approvals), MIN(block_number), MAX(block_number)
    FROM (
        SELECT network, token_address, chain_id, token_symbol, token_decimals, 1 AS transfers,
               0 AS approvals, block_number
        FROM stg_erc20_transfers WHERE {WINDOW}
        UNION ALL
        SELECT network, token_address, chain_id, token_symbol, token_decimals, 0, 1, block_number
        FROM stg_erc20_approvals WHERE {WINDOW}
    ) w
    GROUP BY network, token_address
    ON CONFLICT (network, token_address) DO UPDATE SET
        transfers = erc20_tokens.transfers + excluded.transfers,
        approvals = erc20_tokens.approvals + excluded.approvals,
        first_block = LEAST(erc20_tokens.first_block, excluded.first_block),
        last_block = GREATEST(erc20_tokens.last_block, excluded.last_block)
"""

#: The window's balance legs: the sender's amount out, the recipient's in.
WINDOW_LEGS = f"""
    CREATE TEMPORARY TABLE w_erc_legs AS
    SELECT network, token_address, from_address AS holder, {_DAY} AS day, -amount_base_units AS delta
    FROM stg_erc20_transfers WHERE {WINDOW}
    UNION ALL
    SELECT network, token_address, to_address, {_DAY}, amount_base_units
    FROM stg_erc20_transfers WHERE {WINDOW}
"""

FOLD_BALANCE_DAYS = """
    INSERT INTO erc20_balance_days (network, token_address, holder, day, delta_base_units)
    SELECT network, token_address, holder, day, SUM(delta) FROM w_erc_legs
    GROUP BY network, token_address, holder, day
    ON CONFLICT (network, token_address, holder, day) DO UPDATE SET
        delta_base_units = erc20_balance_days.delta_base_units + excluded.delta_base_units
"""

FOLD_BALANCES = """
    INSERT INTO erc20_balances
        (network, token_address, holder, balance_base_units, first_day, last_day, transfers)
    SELECT network, token_address, holder, SUM(delta), MIN(day), MAX(day), COUNT(*) FROM w_erc_legs
    GROUP BY network, token_address, holder
    ON CONFLICT (network, token_address, holder) DO UPDATE SET
        balance_base_units = erc20_balances.balance_base_units + excluded.balance_base_units,
        first_day = LEAST(erc20_balances.first_day, excluded.first_day),
        last_day = GREATEST(erc20_balances.last_day, excluded.last_day),
        transfers = erc20_balances.transfers + excluded.transfers
"""

FOLD_UNMODELLED = parse_payload_once(f"""
    INSERT INTO evm_unmodelled_logs (network, contract_address, logs, first_block, last_block, last_block_time)
    SELECT COALESCE(payload->>'network', ''), payload->>'address', COUNT(*), MIN(block_number),
           MAX(block_number), MAX(block_time)
    FROM events
    WHERE {WINDOW} AND event_type = 'evm.RawLog' AND payload->>'address' IS NOT NULL
    GROUP BY COALESCE(payload->>'network', ''), payload->>'address'
    ON CONFLICT (network, contract_address) DO UPDATE SET
        logs = evm_unmodelled_logs.logs + excluded.logs,
        first_block = LEAST(evm_unmodelled_logs.first_block, excluded.first_block),
        last_block = GREATEST(evm_unmodelled_logs.last_block, excluded.last_block),
        last_block_time = GREATEST(evm_unmodelled_logs.last_block_time, excluded.last_block_time)
""")

ERC20_TOKENS = register(
    Projection(
        name="erc20_tokens",
        tables=(
            "stg_erc20_transfers",
            "stg_erc20_approvals",
            "erc20_tokens",
            "erc20_balances",
            "erc20_balance_days",
            "evm_unmodelled_logs",
        ),
        doc=__doc__,
        statements=(
            *STAGE_TRANSFERS,
            *STAGE_APPROVALS,
            FOLD_TOKENS,
            WINDOW_LEGS,
            OnlyOn("postgresql", "ANALYZE w_erc_legs"),
            FOLD_BALANCE_DAYS,
            FOLD_BALANCES,
            "DROP TABLE w_erc_legs",
            *FOLD_UNMODELLED,
        ),
    )
)
