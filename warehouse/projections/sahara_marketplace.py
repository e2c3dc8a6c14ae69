"""Sahara marketplace staging: licences bought and the revenue they share out.

- `stg_sahara_marketplace` — grain: one row per `Marketplace.LicensePurchased` (`kind` 'license': the
  buyer in `account`, the price in `amount_usah`) or `Marketplace.RevenueShared` (`kind`
  'revenue_share': the recipient, the share paid) event, with its block, transaction, log index and
  asset; amounts in usah, exact as NUMERIC(38, 0).

The dashboard's marketplace panels sum it per day or hour, where they parsed the events' JSON
before. **Folding.** Staging appends the window's events, so incremental runs and a rebuild give
identical rows whatever the split.
"""

from __future__ import annotations

from warehouse.projections.base import Projection, parse_payload_once, register

LICENSE = "'Marketplace.LicensePurchased'"
REVENUE_SHARED = "'Marketplace.RevenueShared'"

STAGE = f"""
    INSERT INTO stg_sahara_marketplace
        (event_id, seq, block_number, block_time, tx_hash, log_index, kind, asset_id, account, amount_usah)
    SELECT event_id, seq, block_number, block_time, payload->>'tx_hash',
           CAST(split_part(position, '.', 2) AS INTEGER),
           CASE WHEN event_type = {LICENSE} THEN 'license' ELSE 'revenue_share' END,
           payload->>'assetId',
           CASE WHEN event_type = {LICENSE} THEN payload->>'buyer' ELSE payload->>'recipient' END,
           CAST(CASE WHEN event_type = {LICENSE} THEN payload->>'price' ELSE payload->>'amount' END
                AS NUMERIC(38, 0))
    FROM events
    WHERE seq > :lo AND seq <= :hi AND event_type IN ({LICENSE}, {REVENUE_SHARED})
"""

SAHARA_MARKETPLACE = register(
    Projection(
        name="sahara_marketplace",
        tables=("stg_sahara_marketplace",),
        doc=__doc__ or "",
        statements=parse_payload_once(STAGE),
    )
)
