"""Bittensor accounts: signed extrinsics and their fees, transfers, accounts and balance snapshots.

- `stg_bittensor_extrinsics` — grain: one row per signed extrinsic (`System.ExtrinsicObserved`, read
  from the block body): signer, call, nonce, tip, and from the block's events at the extrinsic's
  phase its fee (`TransactionPayment.TransactionFeePaid.actual_fee`: the inclusion fee plus the tip)
  and outcome (`System.ExtrinsicSuccess` true, `ExtrinsicFailed` false). A block's events and body
  are one batch, so they meet in one window.
- `stg_bittensor_transfers` — grain: one row per `Balances.Transfer` (from, to, amount in rao).
- `bittensor_accounts` — grain: one row per account the events show: the earliest block showing it
  (signing, a transfer either side, its `System.NewAccount`, or a `System.Account` snapshot), its
  creation (`System.NewAccount`) and its balance at the latest snapshot holding it.
- `bittensor_account_snapshots` — grain: one row per UTC day with a `System.AccountsObserved`
  snapshot (the state at the day's last block, read in pages): accounts, holders (free + reserved >
  0), free and reserved TAO, and how many of its pages are stored.

**Units.** Amounts are rao summed exactly as NUMERIC(38, 0), whole TAO as DECIMAL(38, 9).

**Folding.** Staging appends the window's rows. Accounts fold by key: the earliest block wins, a
later snapshot replaces the balance; snapshot days add the window's pages (each page is one event,
stored once). Every fold is order-free, so incremental runs and a rebuild give identical tables.
"""

import json

from warehouse.projections.base import OnlyOn, Projection, parse_payload_once, register
from warehouse.projections.bittensor import whole

EXTRINSIC = "System.ExtrinsicObserved"
FEE_PAID = "TransactionPayment.TransactionFeePaid"
SUCCESS, FAILED = "System.ExtrinsicSuccess", "System.ExtrinsicFailed"
TRANSFER = "Balances.Transfer"
NEW_ACCOUNT = "System.NewAccount"
SNAPSHOT = "System.AccountsObserved"
_TYPES = ", ".join(f"'{t}'" for t in (EXTRINSIC, FEE_PAID, SUCCESS, FAILED, TRANSFER, NEW_ACCOUNT, SNAPSHOT))

#: The window's account events, their payload read once.
WINDOW_EVENTS = f"""
    CREATE TEMPORARY TABLE w_bta AS
    SELECT event_id, seq, block_number, block_time, event_type, position,
           split_part(position, '.', 1) AS phase,
           payload->>'index' AS xt_index, payload->>'signer' AS signer, payload->>'pallet' AS pallet,
           payload->>'call' AS call_name, payload->>'nonce' AS nonce, payload->>'tip' AS tip,
           payload->>'hash' AS xt_hash, payload->>'actual_fee' AS actual_fee,
           payload->>'from' AS from_account, payload->>'to' AS to_account, payload->>'amount' AS amount,
           payload->>'account' AS account, payload->>'day' AS snapshot_day,
           payload->>'at_block' AS at_block, payload->>'pages' AS pages
    FROM events
    WHERE seq > :lo AND seq <= :hi AND event_type IN ({_TYPES})
"""

STAGE_EXTRINSICS = f"""
    INSERT INTO stg_bittensor_extrinsics
        (event_id, seq, block_number, block_time, extrinsic_index, signer, pallet, call_name, nonce, tip_rao,
         fee_rao, success, extrinsic_hash)
    SELECT x.event_id, x.seq, x.block_number, x.block_time, CAST(x.xt_index AS INTEGER), x.signer, x.pallet,
           x.call_name, CAST(x.nonce AS BIGINT), CAST(x.tip AS NUMERIC(38, 0)), f.fee_rao, o.success, x.xt_hash
    FROM w_bta x
    LEFT JOIN (
        SELECT block_number, phase, SUM(CAST(actual_fee AS NUMERIC(38, 0))) AS fee_rao
        FROM w_bta WHERE event_type = '{FEE_PAID}' GROUP BY block_number, phase
    ) f ON f.block_number = x.block_number AND f.phase = x.xt_index
    LEFT JOIN (
        SELECT block_number, phase, BOOL_OR(event_type = '{SUCCESS}') AS success
        FROM w_bta WHERE event_type IN ('{SUCCESS}', '{FAILED}') GROUP BY block_number, phase
    ) o ON o.block_number = x.block_number AND o.phase = x.xt_index
    WHERE x.event_type = '{EXTRINSIC}'
"""

STAGE_TRANSFERS = f"""
    INSERT INTO stg_bittensor_transfers
        (event_id, seq, block_number, block_time, position, from_account, to_account, amount_rao)
    SELECT event_id, seq, block_number, block_time, position, from_account, to_account,
           CAST(amount AS NUMERIC(38, 0))
    FROM w_bta WHERE event_type = '{TRANSFER}'
"""

_SNAPSHOT_FIELDS = ("account", "free", "reserved")
_SNAPSHOT_COLUMNS = "(event_id, snapshot_day, at_block, pages, block_time, account, free_rao, reserved_rao)"


def _snapshot_values(field) -> str:
    return (
        f"{field('account')}, CAST({field('free')} AS NUMERIC(38, 0)), "
        f"CAST({field('reserved')} AS NUMERIC(38, 0))"
    )


#: One row per account of each snapshot page in the window: PostgreSQL expands the JSONB array,
#: DuckDB unnests it as a list of structs.
WINDOW_SNAPSHOT_ACCOUNTS = (
    """
    CREATE TEMPORARY TABLE w_bta_accounts (
        event_id VARCHAR(32), snapshot_day DATE, at_block BIGINT, pages INTEGER, block_time TIMESTAMP,
        account VARCHAR(64), free_rao NUMERIC(38, 0), reserved_rao NUMERIC(38, 0)
    )
    """,
    OnlyOn(
        "postgresql",
        f"""
        INSERT INTO w_bta_accounts {_SNAPSHOT_COLUMNS}
        SELECT e.event_id, CAST(e.payload->>'day' AS DATE), CAST(e.payload->>'at_block' AS BIGINT),
               CAST(e.payload->>'pages' AS INTEGER), e.block_time,
               {_snapshot_values(lambda f: f"a.value->>'{f}'")}
        FROM events e CROSS JOIN LATERAL jsonb_array_elements(e.payload->'accounts') a
        WHERE e.seq > :lo AND e.seq <= :hi AND e.event_type = '{SNAPSHOT}'
        """,
    ),
    OnlyOn(
        "duckdb",
        f"""
        INSERT INTO w_bta_accounts {_SNAPSHOT_COLUMNS}
        SELECT x.event_id, CAST(w.snapshot_day AS DATE), CAST(w.at_block AS BIGINT), CAST(w.pages AS INTEGER),
               w.block_time, {_snapshot_values(lambda f: f"x.a.{f}")}
        FROM (
            SELECT event_id,
                   UNNEST(json_transform(payload->'accounts', '{json.dumps([dict.fromkeys(_SNAPSHOT_FIELDS, "VARCHAR")])}')) AS a
            FROM events
            WHERE seq > :lo AND seq <= :hi AND event_type = '{SNAPSHOT}'
        ) x
        JOIN w_bta w ON w.event_id = x.event_id
        """,
    ),
)

#: Each snapshot day: the window's pages add to what is stored (a page is one event, stored once).
FOLD_SNAPSHOTS = f"""
    INSERT INTO bittensor_account_snapshots
        (day, at_block, pages, pages_stored, accounts, holders, free_tao, reserved_tao)
    SELECT snapshot_day, MAX(at_block), MAX(pages), COUNT(DISTINCT event_id), COUNT(*),
           SUM(CASE WHEN free_rao + reserved_rao > 0 THEN 1 ELSE 0 END),
           {whole("SUM(free_rao)")}, {whole("SUM(reserved_rao)")}
    FROM w_bta_accounts
    GROUP BY snapshot_day
    ON CONFLICT (day) DO UPDATE SET
        at_block = GREATEST(bittensor_account_snapshots.at_block, excluded.at_block),
        pages = GREATEST(bittensor_account_snapshots.pages, excluded.pages),
        pages_stored = bittensor_account_snapshots.pages_stored + excluded.pages_stored,
        accounts = bittensor_account_snapshots.accounts + excluded.accounts,
        holders = bittensor_account_snapshots.holders + excluded.holders,
        free_tao = bittensor_account_snapshots.free_tao + excluded.free_tao,
        reserved_tao = bittensor_account_snapshots.reserved_tao + excluded.reserved_tao
"""

#: Every account the window shows, with its earliest block (ties: the earliest time), its creation
#: and its latest snapshot balance; folded into the stored row by key, order-free.
FOLD_ACCOUNTS = f"""
    INSERT INTO bittensor_accounts
        (account, first_seen_block, first_seen_at, created_block, created_at, snapshot_block, free_tao,
         reserved_tao)
    SELECT account, MIN(seen_block), MIN(seen_at), MIN(created_block), MIN(created_at),
           MAX(snapshot_block),
           MAX(CASE WHEN rn = 1 THEN free_tao END), MAX(CASE WHEN rn = 1 THEN reserved_tao END)
    FROM (
        SELECT s.*,
               ROW_NUMBER() OVER (PARTITION BY account ORDER BY snapshot_block DESC NULLS LAST) AS rn
        FROM (
            SELECT signer AS account, block_number AS seen_block, block_time AS seen_at,
                   CAST(NULL AS BIGINT) AS created_block, CAST(NULL AS TIMESTAMP) AS created_at,
                   CAST(NULL AS BIGINT) AS snapshot_block, CAST(NULL AS NUMERIC(38, 9)) AS free_tao,
                   CAST(NULL AS NUMERIC(38, 9)) AS reserved_tao
            FROM w_bta WHERE event_type = '{EXTRINSIC}'
            UNION ALL
            SELECT from_account, block_number, block_time, NULL, NULL, NULL, NULL, NULL
            FROM w_bta WHERE event_type = '{TRANSFER}'
            UNION ALL
            SELECT to_account, block_number, block_time, NULL, NULL, NULL, NULL, NULL
            FROM w_bta WHERE event_type = '{TRANSFER}'
            UNION ALL
            SELECT account, block_number, block_time, block_number, block_time, NULL, NULL, NULL
            FROM w_bta WHERE event_type = '{NEW_ACCOUNT}'
            UNION ALL
            SELECT account, at_block, block_time, NULL, NULL, at_block, {whole("free_rao")}, {whole("reserved_rao")}
            FROM w_bta_accounts
        ) s
    ) x
    GROUP BY account
    ON CONFLICT (account) DO UPDATE SET
        first_seen_block = LEAST(bittensor_accounts.first_seen_block, excluded.first_seen_block),
        first_seen_at = LEAST(bittensor_accounts.first_seen_at, excluded.first_seen_at),
        created_block = LEAST(bittensor_accounts.created_block, excluded.created_block),
        created_at = LEAST(bittensor_accounts.created_at, excluded.created_at),
        free_tao = CASE WHEN excluded.snapshot_block > bittensor_accounts.snapshot_block
                             OR bittensor_accounts.snapshot_block IS NULL
                        THEN COALESCE(excluded.free_tao, bittensor_accounts.free_tao)
                        ELSE bittensor_accounts.free_tao END,
        reserved_tao = CASE WHEN excluded.snapshot_block > bittensor_accounts.snapshot_block
                                OR bittensor_accounts.snapshot_block IS NULL
                           THEN COALESCE(excluded.reserved_tao, bittensor_accounts.reserved_tao)
                           ELSE bittensor_accounts.reserved_tao END,
        snapshot_block = GREATEST(bittensor_accounts.snapshot_block, excluded.snapshot_block)
"""

BITTENSOR_ACCOUNTS = register(
    Projection(
        name="bittensor_accounts",
        tables=(
            "stg_bittensor_extrinsics",
            "stg_bittensor_transfers",
            "bittensor_accounts",
            "bittensor_account_snapshots",
        ),
        statements=(
            *parse_payload_once(WINDOW_EVENTS),
            OnlyOn("postgresql", "ANALYZE w_bta"),
            STAGE_EXTRINSICS,
            STAGE_TRANSFERS,
            *WINDOW_SNAPSHOT_ACCOUNTS,
            FOLD_SNAPSHOTS,
            FOLD_ACCOUNTS,
            "DROP TABLE w_bta_accounts",
            "DROP TABLE w_bta",
        ),
        doc=__doc__ or "",
    )
)
