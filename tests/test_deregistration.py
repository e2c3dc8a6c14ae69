"""A Bittensor hotkey leaves `miners` and `validators` when it is deregistered: another hotkey takes its
UID, or its subnet is removed. On DuckDB and PostgreSQL, folded batch by batch and rebuilt.

The history (blocks 7000-7006, one hour apart, stream `dereg-test`):

- block 7000: subnet 4 is added; epochs of subnet 4 (UID 0 `v4`, a validator holding 100 alpha; UID 1
  `m4a`, a miner earning 5 alpha) and of subnet 5 (UID 0 `v5a`, validator, 300 alpha; UID 1 `v5b`,
  validator, 200 alpha; UID 2 `m5a`, miner earning 3 alpha);
- block 7002: `m5b` registers on subnet 5 and takes UID 1 from `v5b`;
- block 7003: subnet 4 is removed;
- block 7004: epoch of subnet 5 (UID 0 `v5a` 310 alpha, UID 1 `m5b` earning 1 alpha, UID 2 `m5a` 0);
- block 7005: netuid 4 is registered again (a new subnet reusing the id);
- block 7006: its first epoch: UID 0 `n4`, a validator holding 50 alpha.

Worked out by hand: `v4` and `m4a` left at block 7003 (the removal); `v5b` left at 7002 (its UID was
taken); `n4` is not touched by a removal that came before it. The current validators are `v5a` (310
alpha) and `n4` (50 alpha); the current miners `m5a` and `m5b` on subnet 5 and none on subnet 4.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from etl.events import BlockRef, Event
from tests.conftest import fresh_warehouse
from warehouse import db
from warehouse.projections import rebuild, run_all
from warehouse.store import append_batch

RAO = 10**9
STREAM = "dereg-test"
START = datetime(2026, 2, 1, tzinfo=UTC)
TIME = {b: START + timedelta(hours=b - 7000) for b in range(6999, 7008)}

#: (netuid, block) -> [(uid, hotkey, validator permit, stake alpha, emission alpha)]
EPOCHS = {
    (4, 7000): [(0, "v4", True, 100, 2), (1, "m4a", False, 0, 5)],
    (5, 7000): [(0, "v5a", True, 300, 4), (1, "v5b", True, 200, 4), (2, "m5a", False, 0, 3)],
    (5, 7004): [(0, "v5a", True, 310, 4), (1, "m5b", False, 0, 1), (2, "m5a", False, 0, 0)],
    (4, 7006): [(0, "n4", True, 50, 1)],
}
POOL = {4: (1_000 * RAO, 4_000 * RAO), 5: (2_000 * RAO, 1_000 * RAO)}  # (SubnetTAO, SubnetAlphaIn)


def _event(block: int, position: str, event_type: str, payload: dict) -> Event:
    return Event(
        chain="bittensor",
        source="subtensor",
        block_number=block,
        position=position,
        event_type=event_type,
        block_time=TIME[block],
        payload=payload,
        spec_version=343,
    )


def _neuron(netuid: int, block: int, uid: int, hotkey: str, permit: bool, stake: int, emission: int) -> dict:
    return {
        "uid": uid,
        "netuid": netuid,
        "hotkey": hotkey,
        "coldkey": "5Cold" + hotkey,
        "stake": str(stake * RAO),
        "rank": 0,
        "incentive": 0 if permit else 30_000,
        "dividends": 40_000 if permit else 0,
        "consensus": 0,
        "trust": 0,
        "validator_trust": 50_000 if permit else 0,
        "emission": str(emission * RAO),
        "validator_permit": permit,
        "active": True,
        "last_update": block,
        "pruning_score": 0,
        "axon_block": 0,
    }


def _subnet(netuid: int) -> dict:
    tao, alpha = POOL[netuid]
    return {
        "netuid": netuid,
        "owner_coldkey": f"5Owner{netuid}",
        "owner_hotkey": f"5OwnerHot{netuid}",
        "owner": f"5Owner{netuid}",
        "subnet_name": f"subnet {netuid}",
        "tempo": 360,
        "emission": str(RAO // 10),
        "tao_in": str(tao),
        "alpha_in": str(alpha),
        "alpha_out": str(10_000 * RAO),
        "network_registered_at": 7000,
        "price_rao_per_alpha": str(tao * RAO // alpha),
    }


def _emission(block: int) -> Event:
    """The block's EmissionObserved: the pools stay as in POOL (the price the stake converts at)."""
    live = [5] + ([4] if block < 7003 or block >= 7005 else [])
    zero = dict.fromkeys(("excess_tao", "alpha_in_emission", "alpha_out_emission", "tao_in_emission"), "0")
    subnets = [
        {
            "netuid": netuid,
            "subnet_tao": str(POOL[netuid][0]),
            "subnet_alpha_in": str(POOL[netuid][1]),
            "subnet_alpha_out": str(10_000 * RAO),
            **zero,
        }
        for netuid in sorted(live)
    ]
    payload = {
        "total_issuance": str(1_000_000 * RAO),
        "total_issuance_before": str(1_000_000 * RAO),
        "minted": "0",
        "owner_cut": 11796,
        "subnets": subnets,
    }
    return _event(block, "obs.emission", "SubtensorModule.EmissionObserved", payload)


def _block_events(block: int) -> list[Event]:
    events = [_emission(block)]
    if block in (7000, 7005):
        events.append(_event(block, "1.0", "SubtensorModule.NetworkAdded", {"netuid": 4, "mechanism": 1}))
    if block == 7002:
        events.append(
            _event(block, "1.0", "SubtensorModule.NeuronRegistered", {"netuid": 5, "uid": 1, "hotkey": "m5b"})
        )
    if block == 7003:
        events.append(_event(block, "1.0", "SubtensorModule.NetworkRemoved", {"netuid": 4}))
    for (netuid, epoch), uids in EPOCHS.items():
        if epoch != block:
            continue
        events.append(
            _event(block, f"obs.subnet.{netuid}", "SubtensorModule.SubnetObserved", _subnet(netuid))
        )
        events += [
            _event(
                block,
                f"obs.neuron.{netuid}.{row[0]}",
                "SubtensorModule.NeuronObserved",
                _neuron(netuid, block, *row),
            )
            for row in uids
        ]
    return events


def _batch(first: int, last: int) -> dict:
    return {
        "source": "subtensor",
        "stream": STREAM,
        "range_unit": "block",
        "range_start": first,
        "range_end": last + 1,
        "events": [e for b in range(first, last + 1) for e in _block_events(b)],
        "checkpoint": last,
        "blocks": [
            BlockRef(n, f"0x{n:064x}", f"0x{n - 1:064x}", TIME[n], 343, 0) for n in range(first, last + 1)
        ],
        "boundary_times": (TIME[first - 1], TIME[last + 1]),
    }


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def warehouse(request, tmp_path_factory):
    """A warehouse folded after each of three batches: 7000-7002, 7003-7004, 7005-7006."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("dereg")) as url:
        engine = db.make_engine(url)
        for first, last in ((7000, 7002), (7003, 7004), (7005, 7006)):
            append_batch(engine, **_batch(first, last))
            run_all(engine)
        yield engine
        engine.dispose()


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(sql)))


def _naive(block: int) -> datetime:
    return TIME[block].replace(tzinfo=None)


def test_a_removed_subnets_holders_and_a_taken_uids_holder_are_deregistered_when_it_happened(warehouse):
    holders = _rows(warehouse, "SELECT netuid, uid, hotkey, deregistered_block FROM bittensor_holders")
    assert holders == [
        (4, 0, "n4", None),  # registered after the removal: untouched by it
        (4, 0, "v4", 7003),
        (4, 1, "m4a", 7003),
        (5, 0, "v5a", None),
        (5, 1, "m5b", None),
        (5, 1, "v5b", 7002),  # m5b's registration took the UID
        (5, 2, "m5a", None),
    ]
    miners = _rows(warehouse, "SELECT netuid, hotkey, deregistered_at FROM miners")
    assert miners == [(4, "m4a", _naive(7003)), (5, "m5a", None), (5, "m5b", None)]


def test_v_validators_lists_only_hotkeys_still_holding_their_uid(warehouse):
    rows = _rows(
        warehouse,
        "SELECT validator_id, stake_alpha, stake_native FROM v_validators WHERE chain = 'bittensor'",
    )
    # n4: 50 alpha at 1,000 / 4,000 = 0.25 TAO per alpha = 12.5 TAO; v5a: 310 alpha at 2 TAO = 620 TAO.
    assert [(v, Decimal(str(a)), Decimal(str(n))) for v, a, n in rows] == [
        ("4:n4", Decimal(50), Decimal("12.5")),
        ("5:v5a", Decimal(310), Decimal(620)),
    ]


def test_v_miners_earning_by_subnet_leaves_out_the_removed_subnets_miners(warehouse):
    rows = _rows(warehouse, "SELECT netuid, miners, miners_earning FROM v_miners_earning_by_subnet")
    # Subnet 5: m5a (0 at the latest epoch) and m5b (1 alpha); subnet 4's only miner left with it.
    assert rows == [(5, 2, 1)]


def test_folding_batch_by_batch_equals_a_rebuild(warehouse):
    tables = {
        "bittensor_holders": "SELECT netuid, uid, hotkey, deregistered_block, deregistered_at, last_seen_block "
        "FROM bittensor_holders",
        "miners": "SELECT netuid, uid, hotkey, deregistered_block, earns FROM miners",
        "validators": "SELECT validator_id, stake_alpha, stake_native FROM validators WHERE chain = 'bittensor'",
    }
    folded = {name: _rows(warehouse, sql) for name, sql in tables.items()}
    rebuild(warehouse, ["bittensor"])
    assert {name: _rows(warehouse, sql) for name, sql in tables.items()} == folded


def test_the_events_behind_a_miner_removed_with_its_subnet_include_the_removal(warehouse):
    from warehouse.provenance import events_behind

    behind = events_behind(warehouse, "miners", {"netuid": 4, "uid": 1, "hotkey": "m4a"})
    assert list(zip(behind["block_number"], behind["event_type"], strict=True)) == [
        (7000, "SubtensorModule.NeuronObserved"),
        (7003, "SubtensorModule.NetworkRemoved"),
    ]
