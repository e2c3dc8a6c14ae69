"""`network_daily` for the Bittensor chain, on DuckDB and PostgreSQL.

- A whole devnet day (2026-01-14, blocks 316,800-323,999) and the first block of the next, ingested
  in runs: the day's transactions, active accounts, new accounts, transfers and their volume, fees
  and holders equal what the devnet's own record says (served on its control endpoint, the figures
  worked out below from the record's lines); USD at the day's last TAO quote; incremental runs equal
  a rebuild, and ingesting the same blocks again changes nothing.
- The same day ingested at other block boundaries, with `bittensor_accounts` and `network_daily` run
  at different positions (the staging behind or ahead of `network_daily`, as when ingest commits
  between the two): the day sums are folded exactly once whatever the split, so each step's row
  equals the devnet's record up to the staged block, and the end equals a rebuild and the record.
- The codec reads a signed extrinsic built by hand byte by byte (signer, nonce, tip, call), with the
  devnet's metadata and with subtensor's real spec-343 metadata.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from etl.events import Event
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all
from warehouse.store import append_batch

RAO = 10**9
DAY = date(2026, 1, 14)
FIRST, LAST = 316_800, 323_999  # the day's blocks (12 s blocks from 2025-12-01 00:00 UTC)
#: Runs of the ingest: the day in three, then the next day's first block (which brings the snapshot).
RUNS = ((FIRST, 319_200), (319_200, 321_600), (321_600, LAST + 1), (LAST + 1, LAST + 2))
TABLES = (
    "stg_bittensor_extrinsics",
    "stg_bittensor_transfers",
    "bittensor_accounts",
    "bittensor_account_snapshots",
    "bittensor_activity_daily",
    "bittensor_signer_days",
    "network_daily",
)
PRICE = 291.25  # the TAO/USD quote at the day's last hour (hand-made)
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bittensor" / "subtensor_spec343_metadata_v14.hex"


@pytest.fixture(scope="module")
def subtensor(devnet):
    """The subtensor connector, each window read from the devnet once and replayed to every ingest of
    it (both engines, and the re-run), which still validates and appends it in full."""
    from etl.sources.subtensor import SubtensorSource
    from tests.test_sahara_marts import CachedSource

    # The metagraph and emission observations are not what this test is about: left out, it is quicker.
    with SubtensorSource(devnet.endpoints["subtensor"], observations=False, accounts=True) as source:
        yield CachedSource(source)


def _ingest(source, url: str, window: tuple[int, int]) -> dict:
    from etl.pipeline.chain import ingest_range

    return ingest_range(source, *window, warehouse_url=url)


def _quote(engine, at: datetime, price: float) -> None:
    """One TAO/USD quote, as the CoinGecko connector writes it."""
    ts = int(at.timestamp())
    payload = {"coin_id": "bittensor", "vs_currency": "usd", "ts_ms": ts * 1000, "price_usd": str(price),
               "market_cap_usd": "1", "total_volume_usd": "1"}  # fmt: skip
    append_batch(
        engine, source="coingecko", stream="test-coingecko", range_unit="unix_s", range_start=ts,
        range_end=ts + 1, events=[Event("market", "coingecko", ts, "bittensor", "market.Quote", at, payload)],
    )  # fmt: skip


def _record(devnet, last: int = LAST) -> dict:
    """The devnet's record of the day (its blocks up to `last`), in network_daily's terms, worked out
    from its lines."""
    control = devnet.endpoints["control"] + "/subtensor/ledger"
    activity = httpx.get(control + "/accounts", params={"start_block": FIRST, "end_block": last}, timeout=300)
    activity.raise_for_status()
    balances = httpx.get(control + "/balances", params={"block": LAST}, timeout=300)
    balances.raise_for_status()
    lines = activity.json()
    extrinsics, transfers = lines["extrinsics"], lines["transfers"]
    return {
        "transactions": len(extrinsics),
        "active_accounts": len({x["signer"] for x in extrinsics}),
        "new_accounts": len(lines["accounts_created"]),
        "transfers": len(transfers),
        "volume_rao": sum(int(t["amount"]) for t in transfers),
        # Every extrinsic paid its inclusion fee plus its tip.
        "fees_rao": sum(int(x["fee"]) + int(x["tip"]) for x in extrinsics),
        "holders": sum(1 for a in balances.json()["accounts"] if int(a["free"]) + int(a["reserved"]) > 0),
        "calls": {x["call"] for x in extrinsics},
        "tips": sum(1 for x in extrinsics if int(x["tip"])),
    }


def _row(engine) -> dict:
    with db.connect(engine) as conn:
        rows = (
            conn.execute(
                sa.text("SELECT * FROM network_daily WHERE chain = 'bittensor' AND network = 'bittensor'")
            )
            .mappings()
            .all()
        )
    return {date.fromisoformat(str(r["day"])[:10]): r for r in rows}


def _checksums(engine) -> dict:
    return {t: table_checksum(engine, t) for t in TABLES}


def test_a_devnet_day_equals_the_devnets_record_and_a_rebuild_and_a_rerun_change_nothing(
    devnet, subtensor, warehouse_url
):
    engine = db.make_engine(warehouse_url)
    try:
        _quote(engine, datetime(2026, 1, 14, 22, tzinfo=UTC), PRICE - 1)
        _quote(engine, datetime(2026, 1, 14, 23, tzinfo=UTC), PRICE)
        for window in RUNS:
            assert _ingest(subtensor, warehouse_url, window)["rows_quarantined"] == 0
            run_all(engine)
        expected = _record(devnet)
        # The record has what the figures are made of: many signers, transfers, tips, new accounts.
        assert expected["transactions"] > 1000 and expected["transfers"] > 500
        assert expected["tips"] > 0 and expected["new_accounts"] >= 0 and expected["holders"] > 1000
        assert {"transfer_keep_alive", "transfer_allow_death", "add_stake", "set_weights"} <= expected[
            "calls"
        ]

        row = _row(engine)[DAY]
        assert row["complete"] is True and row["native_unit"] == "TAO"
        assert row["transactions"] == expected["transactions"]
        assert row["active_accounts"] == expected["active_accounts"]
        assert row["new_accounts"] == expected["new_accounts"]
        assert row["transfers"] == expected["transfers"]
        assert Decimal(row["transfer_volume_native"]) * RAO == expected["volume_rao"]
        assert Decimal(row["fees_native"]) * RAO == expected["fees_rao"]
        assert row["holders"] == expected["holders"]
        assert row["price_usd"] == PRICE
        assert row["transfer_volume_usd"] == pytest.approx(expected["volume_rao"] / RAO * PRICE, rel=1e-12)
        assert row["fees_usd"] == pytest.approx(expected["fees_rao"] / RAO * PRICE, rel=1e-12)
        # Without the metagraph and emission observations there is no yield to state.
        assert row["staking_apr"] is None and row["staking_apy"] is None
        # The next day has its first block only: not complete, no snapshot yet.
        following = _row(engine)[date(2026, 1, 15)]
        assert following["complete"] is False and following["holders"] is None

        incremental = _checksums(engine)
        rebuild(engine, ["bittensor_accounts", "network_daily"])
        assert _checksums(engine) == incremental

        for window in RUNS:
            assert _ingest(subtensor, warehouse_url, window)["rows_new"] == 0
        run_all(engine)
        assert _checksums(engine) == incremental
    finally:
        engine.dispose()


#: The same day at other boundaries, and after each window the projections run: all, only the staging
#: (`network_daily` lags), or only `network_daily` (its window holds events the staging does not yet).
SPLIT = (
    ((FIRST, 316_801), None),
    ((316_801, 317_950), ["bittensor_accounts"]),
    ((317_950, 319_333), ["network_daily"]),
    ((319_333, 321_007), None),
    ((321_007, 323_100), ["bittensor_accounts"]),
    ((323_100, 323_998), ["bittensor_accounts"]),
    ((323_998, LAST + 1), ["network_daily"]),
    ((LAST + 1, LAST + 2), None),
)
ACTIVITY = ("transactions", "active_accounts", "transfers", "volume_rao", "fees_rao")


def _activity(row) -> dict:
    return {
        "transactions": row["transactions"],
        "active_accounts": row["active_accounts"],
        "transfers": row["transfers"],
        "volume_rao": Decimal(row["transfer_volume_native"]) * RAO,
        "fees_rao": Decimal(row["fees_native"]) * RAO,
    }


def test_runs_at_other_seq_points_and_positions_fold_each_staging_row_once(devnet, subtensor, warehouse_url):
    engine = db.make_engine(warehouse_url)
    try:
        _quote(engine, datetime(2026, 1, 14, 23, tzinfo=UTC), PRICE)
        staged_to = None  # the last block whose rows the staging holds
        for window, names in SPLIT:
            assert _ingest(subtensor, warehouse_url, window)["rows_quarantined"] == 0
            run_all(engine, names)
            if names != ["network_daily"]:
                staged_to = window[1] - 1
            if names == ["bittensor_accounts"] or staged_to > LAST:
                continue
            # network_daily has just run: the day holds exactly what the staging holds, each row once.
            expected = _record(devnet, staged_to)
            assert expected["transactions"] > 0
            assert _activity(_row(engine)[DAY]) == {k: expected[k] for k in ACTIVITY}, window

        expected = _record(devnet)
        row = _row(engine)[DAY]
        assert _activity(row) == {k: expected[k] for k in ACTIVITY}
        assert row["complete"] is True and row["new_accounts"] == expected["new_accounts"]
        assert row["holders"] == expected["holders"] and row["price_usd"] == PRICE

        incremental = _checksums(engine)
        rebuild(engine, ["network_daily"])
        assert _checksums(engine) == incremental
        rebuild(engine, ["bittensor_accounts", "network_daily"])
        assert _checksums(engine) == incremental
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ the codec, by hand
SIGNER, DEST = bytes([0x11] * 32), bytes([0x33] * 32)


def _compact(n: int) -> bytes:
    """SCALE compact integer (the modes below 2**30), written out by hand."""
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    return ((n << 2) | 2).to_bytes(4, "little")


def _signed_transfer(extensions_after_tip: bytes = b"") -> bytes:
    """A signed v4 extrinsic: Balances.transfer_keep_alive of 1 TAO to DEST, nonce 5, tip 1,000 rao."""
    body = (
        b"\x84"  # signed, format version 4
        + b"\x00" + SIGNER  # MultiAddress::Id(AccountId32)
        + b"\x01" + bytes([0x22] * 64)  # MultiSignature::Sr25519
        + b"\x00"  # CheckMortality: Era::Immortal (the other extensions before the tip carry nothing)
        + _compact(5)  # CheckNonce
        + _compact(1000)  # ChargeTransactionPayment: the tip
        + extensions_after_tip
        + bytes([5, 3])  # Balances (pallet 5), transfer_keep_alive (call 3)
        + b"\x00" + DEST + _compact(10**9)  # dest: MultiAddress::Id, value: Compact<u64>
    )  # fmt: skip
    return _compact(len(body)) + body


def _check(runtime, raw: bytes) -> None:
    import hashlib

    from etl.sources.subtensor_codec import DecodedExtrinsic, ss58_encode

    (decoded,), (unsigned,) = runtime.decode_extrinsics([["0x" + raw.hex()], ["0x280402000b50d1e6c39b01"]])
    assert decoded == DecodedExtrinsic(
        index=0,
        signer=ss58_encode(SIGNER),
        nonce=5,
        tip=1000,
        pallet="Balances",
        call="transfer_keep_alive",
        hash="0x" + hashlib.blake2b(raw, digest_size=32).hexdigest(),
    )
    # The timestamp inherent: unsigned, nobody signed it.
    assert unsigned.signer is None and (unsigned.pallet, unsigned.call) == ("Timestamp", "set")
    # A body cut short is an extrinsic that cannot be read, named, never a decoder crash.
    (broken,) = runtime.decode_extrinsics([["0x" + raw[:-3].hex()]])[0]
    assert broken.reason.startswith("extrinsic 0:") and broken.raw == "0x" + raw[:-3].hex()


def test_a_signed_extrinsic_built_by_hand_decodes_with_its_signer_nonce_tip_and_call():
    from devnet.subtensor.metadata import runtime_metadata
    from etl.sources.subtensor_codec import runtime_from_metadata

    _check(runtime_from_metadata("0x" + runtime_metadata(343).v14.hex(), 343), _signed_transfer())


def test_the_real_spec_343_layout_reads_the_signer_past_its_own_extensions():
    from etl.sources.subtensor_codec import runtime_from_metadata

    runtime = runtime_from_metadata(FIXTURE.read_text().strip(), 343)
    assert [name for name, _t in runtime.extrinsic.extensions][-3:] == [
        "SubtensorTransactionExtension",
        "DrandPriority",
        "CheckMetadataHash",
    ]
    # Subtensor's three extensions after the tip: two empty, then CheckMetadataHash's mode (Disabled).
    _check(runtime, _signed_transfer(extensions_after_tip=b"\x00"))
