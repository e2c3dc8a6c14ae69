"""`network_daily` for the Sahara chain (network 'sahara') against the devnet's own record.

One whole devnet day (2026-01-14, every CometBFT and EVM block of it) and the first blocks of the next
are read once with the production connectors and ingested into DuckDB and PostgreSQL in two windows,
projections running after each. Every figure of the complete day is worked out here from the record
the devnet serves on GET /_devnet/sahara/ledger?activity=1 (transactions with their hash, signer and
fee; the transfers they make; the day's block-level mint flows), never from the warehouse's SQL; the
incremental tables equal a rebuild, and a re-run changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa

from devnet.server import DevnetServer
from etl.pipeline.chain import ingest_range
from etl.sources.cometbft import CometBFTSource
from etl.sources.evm import EvmSource
from tests.conftest import DEVNET_NOW
from tests.test_sahara_marts import CachedSource
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

DAY = date(2026, 1, 14)
USAH = Decimal(10) ** 18
TABLES = (
    "network_daily",
    "stg_sahara_transactions",
    "stg_sahara_bank_transfers",
    "sahara_account_days",
    "sahara_accounts",
    "sahara_balance_changes_daily",
    "sahara_staking_rewards_daily",
)


def _first_height_at(source: CometBFTSource, when: datetime, lo: int, hi: int) -> int:
    """The first block whose time is at or after `when` (blocks in [lo, hi])."""
    target = int(when.timestamp())
    while lo < hi:
        mid = (lo + hi) // 2
        if source.block_time(mid) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


#: Sahara's size on this module's devnet: four validators (the fewest it runs), so each of the day's
#: 17,280 blocks carries 8 distribution events rather than the shared devnet's 44, while the day still
#: holds over a thousand MsgEthereumTx transactions, bank sends, delegations and zero-fee transactions.
SAHARA_SCALE = 0.0016


@pytest.fixture(scope="module")
def sahara_day():
    with DevnetServer(
        seed=7, now=DEVNET_NOW, rate_limit_per_minute=0, sahara={"scale": SAHARA_SCALE}
    ) as devnet:
        yield from _read_the_day(devnet)


def _read_the_day(devnet: DevnetServer):
    comet = CometBFTSource(devnet.endpoints["cometbft"], concurrency=16)
    evm = EvmSource(devnet.endpoints["evm"])
    head = comet.finalized_head()
    start = _first_height_at(comet, datetime(2026, 1, 14, tzinfo=UTC), head - 3 * 17_280, head)
    end = _first_height_at(comet, datetime(2026, 1, 15, tzinfo=UTC), start, head) + 120
    middle = start + 9_000
    cached = {"comet": CachedSource(comet), "evm": CachedSource(evm)}
    windows = [(start, middle), (middle, end)]
    ledger = httpx.get(
        devnet.base_url + "/_devnet/sahara/ledger",
        params={"start_height": start, "end_height": end, "activity": 1},
        timeout=300,
    ).json()
    yield {"windows": windows, "sources": cached, "ledger": ledger}
    comet.close()
    evm.close()


def _ingest(url: str, sources: dict, lo: int, hi: int) -> None:
    for source in sources.values():
        for a in range(lo, hi, 2_000):
            ingest_range(source, a, min(a + 2_000, hi), warehouse_url=url)


def _expected(ledger: dict) -> dict:
    """The complete day's figures, from the devnet's record."""
    (day,) = [d for d in ledger["days"] if d["day"] == DAY.isoformat()]
    lo, hi = day["first_height"], day["last_height"]
    in_day = [t for t in ledger["transactions"] if lo <= t["height"] <= hi]
    moved = [t for t in ledger["transfers"] if lo <= t["height"] <= hi and t["kind"] == "message"]
    seen: dict[str, int] = {}  # account -> first height it appeared in a transaction
    for t in ledger["transactions"]:
        for who in (t["signer"], t["fee_payer"]):
            seen[who] = min(seen.get(who, t["height"]), t["height"])
    for t in ledger["transfers"]:
        for who in (t["sender"], t["recipient"]):
            seen[who] = min(seen.get(who, t["height"]), t["height"])
    balance: dict[str, int] = defaultdict(int)
    for t in ledger["transfers"]:
        if t["height"] <= hi:
            balance[t["sender"]] -= int(t["amount_usah"])
            balance[t["recipient"]] += int(t["amount_usah"])
    for flow in ledger["block_flows"]:
        if flow["day"] <= DAY.isoformat():
            if flow["sender"]:
                balance[flow["sender"]] -= int(flow["amount_usah"])
            balance[flow["recipient"]] += int(flow["amount_usah"])
    (period,) = [p for p in ledger["mint_periods"] if p["first_height"] <= lo <= p["last_height"]]
    rewards = Decimal(day["minted_usah"]) * Decimal(98) / Decimal(100)  # x/distribution's 2% community tax
    bonded = Decimal(period["supply_usah_at_period_start"]) * Decimal(period["bonded_ratio"])
    hashes = {t["ethereum_tx_hash"] or t["hash"] for t in in_day}
    return {
        "transactions": len(hashes),
        "evm_transactions": sum(1 for t in in_day if t["ethereum_tx_hash"]),
        "active_accounts": len({t["signer"] for t in in_day} | {t["fee_payer"] for t in in_day}),
        "new_accounts": sum(1 for h in seen.values() if lo <= h <= hi),
        "transfers": len(moved),
        "transfer_volume_native": sum(Decimal(t["amount_usah"]) for t in moved) / USAH,
        "fees_native": sum(Decimal(t["fee_usah"]) for t in in_day) / USAH,
        "zero_fee_transactions": sum(1 for t in in_day if t["fee_usah"] == "0"),
        "holders": sum(1 for v in balance.values() if v > 0),
        "staking_apr": float(rewards * 365 / bonded),
    }


def _rows(url: str, sql: str) -> list[tuple]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def _checksums(url: str) -> dict:
    engine = db.make_engine(url)
    try:
        return {t: table_checksum(engine, t) for t in TABLES}
    finally:
        engine.dispose()


COLUMNS = (
    "day, complete, native_unit, transactions, active_accounts, new_accounts, transfers, transfer_volume_native, "
    "transfer_volume_usd, fees_native, fees_usd, holders, staking_apr, staking_apy, price_usd"
)


def test_the_sahara_day_equals_the_devnets_record_and_incremental_equals_rebuild(sahara_day, warehouse_url):
    for lo, hi in sahara_day["windows"]:
        _ingest(warehouse_url, sahara_day["sources"], lo, hi)
        run_all(db.make_engine(warehouse_url))
    rows = {
        r[0]: dict(zip(COLUMNS.split(", "), r, strict=True))
        for r in _rows(
            warehouse_url,
            f"SELECT {COLUMNS} FROM network_daily WHERE chain = 'sahara' AND network = 'sahara' ORDER BY day",
        )
    }
    assert sorted(rows) == [DAY, date(2026, 1, 15)]
    got, want = rows[DAY], _expected(sahara_day["ledger"])
    assert got["complete"] is True and rows[date(2026, 1, 15)]["complete"] is False
    assert got["native_unit"] == "SAHARA"
    # The record has MsgEthereumTx transactions and zero-fee ones: both are in the figures.
    assert want["evm_transactions"] > 100 and want["zero_fee_transactions"] > 0
    for name in ("transactions", "active_accounts", "new_accounts", "transfers", "holders"):
        assert got[name] == want[name], name
    assert got["transfer_volume_native"] == want["transfer_volume_native"]
    assert got["fees_native"] == want["fees_native"]
    assert got["staking_apr"] == pytest.approx(want["staking_apr"], rel=1e-9)
    assert got["staking_apy"] == pytest.approx((1 + want["staking_apr"] / 365) ** 365 - 1, rel=1e-9)
    assert rows[date(2026, 1, 15)]["staking_apr"] is None  # a partial day has no yearly yield
    if got["price_usd"] is not None:
        assert got["fees_usd"] == pytest.approx(float(want["fees_native"]) * got["price_usd"])
    # Each EVM transaction is also a Cosmos transaction: counted once, with the Cosmos transactions.
    ((evm_hashes,),) = _rows(
        warehouse_url,
        "SELECT COUNT(DISTINCT evm_tx_hash) FROM stg_sahara_transactions "
        f"WHERE CAST(block_time AS DATE) = DATE '{DAY.isoformat()}'",
    )
    assert evm_hashes == want["evm_transactions"]

    incremental = _checksums(warehouse_url)
    run_all(db.make_engine(warehouse_url))  # nothing new: nothing changes
    assert _checksums(warehouse_url) == incremental
    rebuild(db.make_engine(warehouse_url))
    assert _checksums(warehouse_url) == incremental
