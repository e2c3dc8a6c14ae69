"""`decai reconcile` on a hand-made chain ledger: every expected figure below is worked out by hand.

The ledger: blocks 1079-1445 of a chain with 12 s blocks, block 1079 at 2026-01-14 23:00 UTC (so
blocks 1079-1378 fall on 2026-01-14 and 1379-1445 on 2026-01-15). Before block 1079, 10,499,900 TAO
are issued. Each block mints 1 TAO until issuance reaches 10.5M; block 1100 recycles 0.3 TAO (a
registration burn; a transfer's fee in the same block is not), so after block 1178 issuance is 10,499,999.7 TAO, block 1179 still mints 1 TAO
and from block 1180 on each block mints 0.5 TAO (the halving, found by hand from the thresholds).

Subnets 1 and 2 (and root, 0). Subnet 1 takes 3/5 of each block's TAO, subnet 2 the rest less 1,000
rao of excess. Alpha to participants per block: 0.5 alpha (subnet 1), 0.4 alpha (subnet 2). Owner cut
11796/65535. Subnet 1's epochs are at 1081 and 1442 ((b + 2) % 361 == 0), subnet 2's at 1080 and
1441; the tempos ending at 1442 and 1441 are fully stored (blocks 1082-1442 and 1081-1441):
  subnet 1: 361 x 500,000,000 = 180,500,000,000 alpha units emitted; the owner takes
    floor(x 11796/65535) = 32,489,173,723, so the UIDs are due 148,010,826,277; 148,010,826,276 is paid to
    3 UIDs (74,005,413,138 + 2 x 37,002,706,569), a base unit of rounding;
  subnet 2: 361 x 400,000,000 = 144,400,000,000; the owner takes 25,991,338,979, the UIDs are due
    118,408,661,021; 118,408,661,020 is paid to 2 UIDs (2 x 59,204,330,510).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from etl.events import BlockRef, Event
from warehouse import db
from warehouse.reconcile import reconcile
from warehouse.store import append_batch

FIRST, LAST = 1079, 1445
T0 = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)
TAO = 10**9
HALVING_BLOCK = 1180
BURN_BLOCK, BURN = 1100, 300_000_000
OWNER_CUT = 11796
DAY1, DAY2 = "2026-01-14", "2026-01-15"
PAID = {  # (netuid, epoch block) -> alpha base units per UID
    (1, 1442): [74_005_413_138, 37_002_706_569, 37_002_706_569],
    (2, 1441): [59_204_330_510, 59_204_330_510],
    (1, 1081): [1, 2, 3],  # tempos that start before the stored history: not judged
    (2, 1080): [5],
}


def at(block: int) -> datetime:
    return T0 + timedelta(seconds=12 * (block - FIRST))


def minted_by(block: int) -> int:
    return TAO if block < HALVING_BLOCK else TAO // 2


def ledger() -> dict[int, dict]:
    """The EmissionObserved payload of every block."""
    out = {}
    issuance = 10_499_900 * TAO
    for b in range(FIRST, LAST + 1):
        minted = minted_by(b)
        after = issuance + minted - (BURN if b == BURN_BLOCK else 0)
        to_one = minted * 3 // 5
        out[b] = {
            "total_issuance": str(after),
            "total_issuance_before": str(issuance),
            "minted": str(minted),
            "owner_cut": OWNER_CUT,
            "subnets": [
                _subnet(0, 0, 0, 0, 0),
                _subnet(1, 1_000 * TAO + b, 4_000 * TAO, to_one, 500_000_000),
                _subnet(2, 500 * TAO, 1_000 * TAO, minted - to_one - 1_000, 400_000_000, excess=1_000),
            ],
        }
        issuance = after
    return out


def _subnet(netuid, tao, alpha_in, injected, alpha_out, excess=0) -> dict:
    return {
        "netuid": netuid,
        "subnet_tao": str(tao),
        "subnet_alpha_in": str(alpha_in),
        "subnet_alpha_out": str(10 * alpha_in),
        "tao_in_emission": str(injected),
        "excess_tao": str(excess),
        "alpha_in_emission": str(alpha_out // 2),
        "alpha_out_emission": str(alpha_out),
    }


def emission_event(block: int, payload: dict) -> Event:
    return Event(
        "bittensor",
        "subtensor",
        block,
        "obs.emission",
        "SubtensorModule.EmissionObserved",
        at(block),
        payload,
    )


def neuron_events(netuid: int, block: int, paid: list[int]) -> list[Event]:
    return [
        Event(
            "bittensor",
            "subtensor",
            block,
            f"obs.neuron.{netuid}.{uid}",
            "SubtensorModule.NeuronObserved",
            at(block),
            {
                "netuid": netuid,
                "uid": uid,
                "hotkey": f"5H{netuid}x{uid}",
                "emission": str(amount),
                "stake": "0",
            },
        )
        for uid, amount in enumerate(paid)
    ]


def burn_events() -> list[Event]:
    """Block 1100's `burned_register` (extrinsic 1): the burn withdrawn, then the registration. A
    transfer's fee withdrawn in extrinsic 2 of the same block is not recycled."""

    def event(position, event_type, payload):
        return Event("bittensor", "subtensor", BURN_BLOCK, position, event_type, at(BURN_BLOCK), payload)

    return [
        event("1.0", "Balances.Withdraw", {"who": "5Cold", "amount": str(BURN)}),
        event("1.1", "SubtensorModule.NeuronRegistered", {"netuid": 1, "uid": 3, "hotkey": "5Hot"}),
        event("2.0", "Balances.Withdraw", {"who": "5Other", "amount": "125000"}),
    ]


def append(url: str, events: list[Event], blocks: range | None = None) -> None:
    engine = db.make_engine(url)
    reported = {BURN_BLOCK: len(burn_events())}  # what the chain counts: no observations
    refs = [
        BlockRef(b, f"0x{b:064x}", f"0x{b - 1:064x}", at(b), 343, reported.get(b, 0)) for b in (blocks or [])
    ]
    append_batch(
        engine,
        source="subtensor",
        stream="test",
        range_unit="block",
        range_start=FIRST,
        range_end=LAST + 1,
        events=events,
        blocks=refs,
    )
    engine.dispose()


def replace(url: str, event: Event, payload: dict | None) -> None:
    """Delete the stored event; with `payload`, store it again saying that instead."""
    engine = db.make_engine(url)
    with db.begin(engine) as conn:
        conn.execute(sa.text("DELETE FROM events WHERE event_id = :id"), {"id": event.event_id})
    engine.dispose()
    if payload is not None:
        append(url, [Event(event.chain, event.source, event.block_number, event.position, event.event_type,
                           event.block_time, payload)])  # fmt: skip


def by_check(url: str) -> dict[str, dict]:
    return {r["check"]: r for r in reconcile(url)}


@pytest.fixture()
def chain(warehouse_url):
    book = ledger()
    events = [emission_event(b, p) for b, p in book.items()] + burn_events()
    for (netuid, block), paid in PAID.items():
        events += neuron_events(netuid, block, paid)
    append(warehouse_url, events, range(FIRST, LAST + 1))
    return warehouse_url, book


def test_a_consistent_ledger_passes_every_check(chain):
    url, _ = chain
    results = by_check(url)
    assert {name: r["failures"] for name, r in results.items() if r["failures"]} == {}
    assert results["tao_minted"]["checked"] == LAST - FIRST + 1
    assert results["block_injection"]["checked"] == LAST - FIRST + 1
    assert results["tempo_split"]["checked"] == 2  # subnet 1 at 1442, subnet 2 at 1441
    stored = db.read_sql(
        "SELECT stream, outcome FROM dq_results WHERE suite = 'reconciliation' ORDER BY stream", url=url
    )
    assert set(stored["stream"]) >= {"tao_minted", "block_injection", "tempo_split", "price_observed"}
    assert set(stored["outcome"]) == {"passed"}


def test_an_altered_issuance_observation_breaks_the_chain_of_issuance_on_its_day(chain):
    url, book = chain
    payload = dict(book[1300], total_issuance=str(int(book[1300]["total_issuance"]) + 1))
    replace(url, emission_event(1300, book[1300]), payload)
    results = by_check(url)
    minted = results["tao_minted"]
    assert minted["failed_days"] == [DAY1]
    assert any(
        line.startswith(f"{DAY1} block 1301:") and "(difference -1)" in line for line in minted["failures"]
    )
    assert any(
        line.startswith(f"{DAY1} block 1300:") and "(difference +1)" in line for line in minted["failures"]
    )
    assert results["block_injection"]["failures"] == []


def test_minted_off_the_halving_schedule_fails_on_its_day(chain):
    url, book = chain
    # Block 1200 comes after the halving (block 1180): it may mint 0.5 TAO, not 1.
    replace(url, emission_event(1200, book[1200]), dict(book[1200], minted=str(TAO)))
    results = by_check(url)
    assert results["tao_minted"]["failures"][0] == (
        f"{DAY1} block 1200: minted 1000000000 rao, the halving schedule at issuance "
        f"{book[1200]['total_issuance_before']} rao gives 500000000 (difference +500000000)"
    )
    assert results["block_injection"]["failures"] == [
        f"{DAY1} block 1200: subnets took 500000000 rao (injected + excess over 3 subnets), the block minted "
        "1000000000 (difference -500000000)"
    ]


def test_a_subnet_missing_from_a_block_fails_the_injection_check(chain):
    url, book = chain
    payload = dict(book[1390], subnets=[s for s in book[1390]["subnets"] if s["netuid"] != 2])
    replace(url, emission_event(1390, book[1390]), payload)
    injection = by_check(url)["block_injection"]
    # Block 1390 mints 0.5 TAO: subnet 1 took 300,000,000 rao, subnet 2's 199,999,000 + 1,000 are gone.
    assert injection["failures"] == [
        f"{DAY2} block 1390: subnets took 300000000 rao (injected + excess over 2 subnets), the block minted "
        "500000000 (difference -200000000)"
    ]


def test_a_lost_observation_is_named_by_its_day(chain):
    url, book = chain
    replace(url, emission_event(1081, book[1081]), None)
    results = by_check(url)
    assert results["tao_minted"]["failures"] == [
        f"{DAY1}: 1 stored blocks have no EmissionObserved (first 1081)"
    ]
    # Subnet 2's tempo (1081-1441) lost a block and cannot be judged; subnet 1's (1082-1442) still is.
    assert results["tempo_split"]["checked"] == 1


def test_a_subnets_epoch_deleted_or_misstated_fails_the_split(chain):
    url, _ = chain
    for event in neuron_events(1, 1442, PAID[(1, 1442)]):
        replace(url, event, None)
    split = by_check(url)["tempo_split"]
    assert split["failures"] == [
        f"{DAY2} block 1442 subnet 1: epoch of blocks 1082-1442: no NeuronObserved at the epoch; UIDs were due "
        "148010826277 alpha base units (180500000000 emitted, owner cut 11796/65535)"
    ]
    # Pay one of subnet 2's UIDs 1,000 base units more than the chain's parameters allow.
    first = neuron_events(2, 1441, PAID[(2, 1441)])[0]
    replace(url, first, dict(first.payload, emission=str(59_204_330_510 + 1_000)))
    split = by_check(url)["tempo_split"]
    assert split["failed_days"] == [DAY2]
    assert split["failures"][1] == (
        f"{DAY2} block 1442 subnet 1: epoch of blocks 1082-1442: no NeuronObserved at the epoch; UIDs were due "
        "148010826277 alpha base units (180500000000 emitted, owner cut 11796/65535)"
    )
    assert split["failures"][0] == (
        f"{DAY2} block 1441 subnet 2: epoch of blocks 1081-1441: 2 UIDs were paid 118408662020 alpha base units, "
        "(1 - 11796/65535) x 144400000000 emitted is 118408661021 (difference +999)"
    )


def _execute(url: str, sql: str, params: dict | None = None) -> None:
    engine = db.make_engine(url)
    with db.begin(engine) as conn:
        conn.execute(sa.text(sql), params or {})
    engine.dispose()


def test_a_complete_days_minted_tao_is_compared_with_the_mart(chain):
    url, _ = chain
    # Take 2026-01-14 as complete over blocks 1079-1378: 101 blocks mint 1 TAO (1079-1179) and 199
    # blocks 0.5 TAO (1180-1378): 200.5 TAO.
    _execute(
        url,
        "INSERT INTO chain_days (chain, day, complete, first_block, last_block, blocks_stored) "
        "VALUES ('bittensor', :d, TRUE, 1079, 1378, 300)",
        {"d": DAY1},
    )
    _execute(
        url,
        "INSERT INTO ecosystem_daily (chain, day, complete, native_unit, emission_native) "
        "VALUES ('bittensor', :d, TRUE, 'TAO', 200.5)",
        {"d": DAY1},
    )
    minted = by_check(url)["tao_minted"]
    assert minted["failures"] == [] and minted["complete_days_checked"] == [DAY1]
    _execute(url, "UPDATE ecosystem_daily SET emission_native = 200 WHERE day = :d", {"d": DAY1})
    (line,) = by_check(url)["tao_minted"]["failures"]
    assert line.startswith(f"{DAY1}: ecosystem_daily.emission_native shows 200")
    assert "the chain minted 200.5" in line and "over blocks 1079-1378 (difference -0.5" in line


def test_every_converted_value_is_priced_at_or_before_its_block(chain):
    url, _ = chain
    price_1442 = (1_000 * TAO + 1442) / (4_000 * TAO)  # subnet 1's pool at block 1442
    rows = [
        (1, 1442, 1442, price_1442),  # right
        (2, 1441, 1440, 0.5),  # a price older than the block's own observation
        (1, 1400, None, None),  # no price at all
        (2, 1300, 1301, 0.5),  # a price from after the value's block
        (1, 1420, 1420, 0.26),  # the right block, a price it did not observe (0.25000000035500)
    ]
    for netuid, block, price_block, price in rows:
        _execute(
            url,
            "INSERT INTO bittensor_epoch_prices (netuid, block_number, price_block, price_tao_per_alpha) "
            "VALUES (:n, :b, :p, :price)",
            {"n": netuid, "b": block, "p": price_block, "price": price},
        )
    priced = by_check(url)["price_observed"]
    assert priced["checked"] == 5, priced["failures"]
    assert sorted(priced["failures"]) == sorted(
        [
            f"{DAY2} block 1441 subnet 2: bittensor_epoch_prices: priced at block 1440, but the latest observation "
            "at or before the value's block is block 1441",
            f"{DAY2} block 1400 subnet 1: bittensor_epoch_prices: a converted value has no price (the latest "
            "observation at or before it is block 1400)",
            f"{DAY1} block 1300 subnet 2: bittensor_epoch_prices: priced at block 1301, after the value's block",
            f"{DAY2} block 1420 subnet 1: bittensor_epoch_prices: price 0.26 TAO per alpha, block 1420 observed "
            "0.250000000355 (difference +0.009999999645)",
        ]
    )


def test_a_complete_sahara_days_mint_is_compared_with_the_mart(warehouse_url):
    minted = [3 * 10**18, 15 * 10**17]  # 4.5 SAHARA on 2026-01-14
    engine = db.make_engine(warehouse_url)
    append_batch(
        engine,
        source="cometbft",
        stream="test",
        range_unit="block",
        range_start=1,
        range_end=3,
        events=[
            Event(
                "sahara",
                "cometbft",
                n,
                "f.0",
                "mint.mint",
                T0 + timedelta(minutes=n),
                {"amount": str(amount)},
            )
            for n, amount in enumerate(minted, start=1)
        ],
    )
    engine.dispose()
    _execute(
        warehouse_url,
        "INSERT INTO chain_days (chain, day, complete, first_block, last_block, blocks_stored) "
        "VALUES ('sahara', :d, TRUE, 1, 2, 2)",
        {"d": DAY1},
    )
    _execute(
        warehouse_url,
        "INSERT INTO ecosystem_daily (chain, day, complete, native_unit, emission_native) "
        "VALUES ('sahara', :d, TRUE, 'SAHARA', 4.4)",
        {"d": DAY1},
    )
    (line,) = by_check(warehouse_url)["sahara_minted"]["failures"]
    assert line.startswith(f"{DAY1}: ecosystem_daily.emission_native shows 4.4")
    assert "mint events minted 4.5 SAHARA" in line
    _execute(warehouse_url, "UPDATE ecosystem_daily SET emission_native = 4.5 WHERE chain = 'sahara'")
    sahara = by_check(warehouse_url)["sahara_minted"]
    assert (sahara["checked"], sahara["failures"]) == (1, [])


def test_a_run_after_new_events_looks_only_at_the_days_they_touch(chain):
    url, _ = chain
    engine = db.make_engine(url)
    with db.connect(engine) as conn:
        last = conn.execute(sa.text("SELECT MAX(seq) FROM events")).scalar()
    engine.dispose()
    later = neuron_events(2, 1441, [1_000_000])[0]  # one late observation, on 2026-01-15
    append(url, [Event(later.chain, later.source, later.block_number, "obs.neuron.2.9", later.event_type,
                       later.block_time, dict(later.payload, uid=9))])  # fmt: skip
    results = {r["check"]: r for r in reconcile(url, since_seq=last)}
    assert results["tao_minted"]["days"] == [DAY2]
    assert results["tao_minted"]["checked"] == LAST - 1379 + 1  # the blocks of 2026-01-15 only
    assert results["tempo_split"]["failed_days"] == [DAY2]  # subnet 2's UIDs now got 1,000,000 more
