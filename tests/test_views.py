"""Every analyst view (`v_*`) answers with the numbers of a small hand-built history of both chains, on
DuckDB and PostgreSQL.

The history covers one UTC day, 2026-01-10, written in the shapes the connectors produce and appended
batch by batch with the projections run after each batch, as the pipeline runs them:

- **Bittensor** (subtensor): blocks 5000-5005, four hours apart, stored whole with the times of blocks
  4999 and 5006 known, so the day is complete. Every block has its `EmissionObserved`: 0.5 TAO minted;
  subnet 1's pool gets 0.25 TAO a block while subnet 3 exists and 0.3 after it; subnet 2's gets 0.15,
  then 0.2; subnet 3's gets 0.1. Metagraph epochs (`NeuronObserved` with the subnet's `SubnetObserved`)
  of subnet 1 at blocks 5001 and 5004 and of subnet 2 at 5002. Subnet 3 is added at 5000 and removed
  at 5003. A new miner takes subnet 1's UID 3 at 5003 (its registration recycles 1 TAO), and another
  registers on subnet 2 at 5005 and is never observed. Stakers add 10 TAO on subnet 1, move 2 TAO from
  subnet 1 to subnet 2 and remove 4 TAO from subnet 2. A runtime upgrade (spec 343 to 344) is enacted
  in block 5003.
- **Sahara**: CometBFT heights 100-200 (validator sets at 100 and 200 with their distribution events,
  four delegation changes, a mint at every stored height) and EVM contract logs (a task, four
  submissions, three reviews, two payments, four reputation mints, a licence bought and its revenue
  shared). The day is partial.
- **Market**: CoinGecko quotes of TAO and SAHARA, including one for the next day.
- **Quarantine**: one undecodable subtensor record, one bad CometBFT attribute, and two undecodable EVM
  logs in two batches. Each batch carries its validation suite's result.

Each test works out its view's rows by hand from those numbers (the arithmetic is in the comments, or in
plain Python over the history's constants) and compares them with what the view returns. No test
recomputes a row with the warehouse's SQL.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.events import BlockRef, DQRecord, Event, QuarantinedRow
from tests.conftest import fresh_warehouse
from warehouse import db
from warehouse.projections import rebuild, run_all
from warehouse.store import append_batch

DAY = date(2026, 1, 10)
MIDNIGHT = datetime(2026, 1, 10, tzinfo=UTC)


def _at(hours: float, minutes: int = 0) -> datetime:
    return MIDNIGHT + timedelta(hours=hours, minutes=minutes)


def _naive(at: datetime) -> datetime:
    """A time as the warehouse stores it: naive UTC."""
    return at.astimezone(UTC).replace(tzinfo=None)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------ Bittensor
RAO = 10**9
U16 = 65535
BT_STREAM = "bittensor-test"
#: Block -> time: 5000 at midnight, then every four hours up to 5005 at 20:00.
BT_TIME = {5000 + k: _at(4 * k) for k in range(6)}
#: The times of blocks 4999 and 5006 as the node reported them (neither stored): the day is whole.
BT_BEFORE, BT_AFTER = _at(-1), _at(24)
MINTED = RAO // 2  # 0.5 TAO a block
ISSUANCE_AT_START = 10_500_000 * RAO
REGISTRATION_BLOCK, REGISTRATION_BURN = 5003, RAO  # a registration that recycles 1 TAO
ROOT_STAKE = 6_000_000 * RAO
ALPHA_IN = {1: 400_000 * RAO, 2: 100_000 * RAO, 3: 1_000 * RAO}
POOL_BEFORE_THE_DAY = {1: 100_000 * RAO, 2: 50_000 * RAO, 3: 1_000 * RAO}
SUBNET3_REMOVED_AT = 5003
DIVIDENDS, VALIDATOR_TRUST = 49151, 52428  # u16 scores of every validator
#: A runtime upgrade (spec 343 to 344) is enacted in block 5003: block 5004 is the first spec 344 executes.
UPGRADE_BLOCK = 5003


def _runtime(block: int) -> int:
    """The spec_version that executed `block`."""
    return 344 if block > UPGRADE_BLOCK else 343


def _injected(netuid: int, block: int) -> int:
    """TAO rao a block puts into a subnet's pool: 0.25 / 0.15 / 0.1 while subnet 3 lives, then 0.3 / 0.2."""
    if block < SUBNET3_REMOVED_AT:
        return {1: 250_000_000, 2: 150_000_000, 3: 100_000_000}[netuid]
    return {1: 300_000_000, 2: 200_000_000}[netuid]


def _pool_tao(netuid: int, block: int) -> int:
    """SubnetTAO after `block`: the pool before the day plus every injection up to that block."""
    return POOL_BEFORE_THE_DAY[netuid] + sum(_injected(netuid, b) for b in range(5000, block + 1))


#: (netuid, epoch block) -> the metagraph: (uid, hotkey, validator permit, stake alpha, emission alpha).
EPOCHS = {
    (1, 5001): [
        (0, "v1", True, 20_000, 40),
        (1, "m1a", False, 0, 30),
        (2, "m1b", False, 0, 10),
        (3, "m1c", False, 0, 0),
    ],
    (2, 5002): [(0, "v2", True, 5_000, 20), (1, "m2a", False, 0, 10), (2, "m2b", False, 0, 0)],
    (1, 5004): [
        (0, "v1", True, 20_100, 40),
        (1, "m1a", False, 0, 36),
        (2, "m1b", False, 0, 0),
        (3, "m1d", False, 0, 8),  # m1d took UID 3 from m1c at block 5003
    ],
}
#: (block, netuid, uid, hotkey) of each NeuronRegistered.
REGISTRATIONS = [(5003, 1, 3, "m1d"), (5005, 2, 3, "m2c")]
#: Subnet -> the epoch block of its SubnetObserved; subnet 3's only one is at 5000.
SUBNET_OBSERVED = {5000: 3, 5001: 1, 5002: 2, 5004: 1}
#: (block, position, event type, payload) of the day's stake operations: 10 TAO staked on subnet 1,
#: 2 TAO moved from subnet 1 to subnet 2, 4 TAO unstaked from subnet 2.
STAKE_EVENTS = [
    (
        5002,
        "1.0",
        "SubtensorModule.StakeAdded",
        {
            "coldkey": "5Staker1",
            "hotkey": "v1",
            "netuid": 1,
            "tao": str(10 * RAO),
            "alpha": str(40 * RAO),
            "fee": "0",
        },
    ),
    (
        5004,
        "1.0",
        "SubtensorModule.StakeMoved",
        {
            "coldkey": "5Staker1",
            "origin_hotkey": "v1",
            "origin_netuid": 1,
            "destination_hotkey": "v2",
            "destination_netuid": 2,
            "tao": str(2 * RAO),
        },
    ),
    (
        5005,
        "2.0",
        "SubtensorModule.StakeRemoved",
        {
            "coldkey": "5Staker2",
            "hotkey": "v2",
            "netuid": 2,
            "tao": str(4 * RAO),
            "alpha": str(8 * RAO),
            "fee": "0",
        },
    ),
]


def _incentive(netuid: int, block: int, hotkey: str) -> int:
    """A miner's incentive score: its share of the epoch's miner emission as a u16 (validators: 0)."""
    uids = EPOCHS[(netuid, block)]
    miners = {h: emission for _uid, h, permit, _stake, emission in uids if not permit}
    return miners.get(hotkey, 0) * U16 // sum(miners.values()) if sum(miners.values()) else 0


def _bt_event(block: int, position: str, event_type: str, payload: dict) -> Event:
    return Event(
        chain="bittensor",
        source="subtensor",
        block_number=block,
        position=position,
        event_type=event_type,
        block_time=BT_TIME[block],
        payload=payload,
        spec_version=_runtime(block - 1),  # a block's events are decoded with its parent's runtime
    )


def _neuron(
    netuid: int,
    uid: int,
    hotkey: str,
    block: int,
    permit: bool,
    stake: int,
    emission: int,
    incentive: int = 0,
) -> dict:
    return {
        "uid": uid,
        "netuid": netuid,
        "hotkey": hotkey,
        "coldkey": "5Cold" + hotkey,
        "stake": str(stake * RAO),
        "rank": 0,
        "incentive": incentive,
        "dividends": DIVIDENDS if permit else 0,
        "consensus": 0,
        "trust": 0,
        "validator_trust": VALIDATOR_TRUST if permit else 0,
        "emission": str(emission * RAO),
        "validator_permit": permit,
        "active": True,
        "last_update": block,
        "pruning_score": 0,
        "axon_block": 0,
    }


def _subnet_observed(netuid: int, block: int) -> dict:
    pool = _pool_tao(netuid, block)
    return {
        "netuid": netuid,
        "owner_coldkey": f"5Owner{netuid}",
        "owner_hotkey": f"5OwnerHot{netuid}",
        "owner": f"5Owner{netuid}",
        "subnet_name": f"subnet {netuid}",
        "tempo": 360,
        "emission": str(_injected(netuid, block)),
        "tao_in": str(pool),
        "alpha_in": str(ALPHA_IN[netuid]),
        "alpha_out": str(1_000_000 * RAO),
        "network_registered_at": 5000 if netuid == 3 else 1000 * netuid,
        "price_rao_per_alpha": str(pool * RAO // ALPHA_IN[netuid]),
    }


def _bittensor_block(block: int, issuance_before: int) -> tuple[list[Event], int]:
    issuance = issuance_before + MINTED - (REGISTRATION_BURN if block == REGISTRATION_BLOCK else 0)
    live = [1, 2] + ([3] if block < SUBNET3_REMOVED_AT else [])
    subnets = [
        {
            "netuid": 0,
            "subnet_tao": str(ROOT_STAKE),
            **dict.fromkeys(
                (
                    "subnet_alpha_in",
                    "subnet_alpha_out",
                    "tao_in_emission",
                    "excess_tao",
                    "alpha_in_emission",
                    "alpha_out_emission",
                ),
                "0",
            ),
        }
    ] + [
        {
            "netuid": netuid,
            "subnet_tao": str(_pool_tao(netuid, block)),
            "subnet_alpha_in": str(ALPHA_IN[netuid]),
            "subnet_alpha_out": str(1_000_000 * RAO),
            "tao_in_emission": str(_injected(netuid, block)),
            "excess_tao": "0",
            "alpha_in_emission": str(RAO // 2),
            "alpha_out_emission": str(RAO),
        }
        for netuid in live
    ]
    events = [
        _bt_event(
            block,
            "obs.emission",
            "SubtensorModule.EmissionObserved",
            {
                "total_issuance": str(issuance),
                "total_issuance_before": str(issuance_before),
                "minted": str(MINTED),
                "owner_cut": 11796,
                "subnets": subnets,
            },
        )
    ]
    if block == 5000:
        events.append(_bt_event(block, "1.0", "SubtensorModule.NetworkAdded", {"netuid": 3, "mechanism": 1}))
    if block == SUBNET3_REMOVED_AT:
        events.append(_bt_event(block, "2.0", "SubtensorModule.NetworkRemoved", {"netuid": 3}))
    for at, netuid, uid, hotkey in REGISTRATIONS:
        if at == block:
            events.append(
                _bt_event(
                    block,
                    "1.0",
                    "SubtensorModule.NeuronRegistered",
                    {"netuid": netuid, "uid": uid, "hotkey": hotkey},
                )
            )
    for (netuid, epoch), uids in EPOCHS.items():
        if epoch == block:
            events += [
                _bt_event(
                    block,
                    f"obs.neuron.{netuid}.{uid}",
                    "SubtensorModule.NeuronObserved",
                    _neuron(
                        netuid, uid, hotkey, block, permit, stake, emission, _incentive(netuid, epoch, hotkey)
                    ),
                )
                for uid, hotkey, permit, stake, emission in uids
            ]
    for at, position, event_type, payload in STAKE_EVENTS:
        if at == block:
            events.append(_bt_event(block, position, event_type, payload))
    if block in SUBNET_OBSERVED:
        netuid = SUBNET_OBSERVED[block]
        events.append(
            _bt_event(
                block,
                f"obs.subnet.{netuid}",
                "SubtensorModule.SubnetObserved",
                _subnet_observed(netuid, block),
            )
        )
    return events, issuance


def _bittensor_batches() -> list[dict]:
    """Blocks 5000-5002 and 5003-5005, each batch with its blocks and the times of the blocks beside it."""
    issuance = ISSUANCE_AT_START
    batches = []
    for first, last, before, after, quarantined in (
        (
            5000,
            5002,
            BT_BEFORE,
            BT_TIME[5003],
            [
                QuarantinedRow(
                    "subtensor",
                    "bittensor",
                    "5001:7",
                    "0x0b0d",
                    "block 5001: event record 7 cannot be decoded (ValueError: truncated)",
                    "decode_error",
                    5001,
                )
            ],
        ),
        (5003, 5005, BT_TIME[5002], BT_AFTER, []),
    ):
        events: list[Event] = []
        for block in range(first, last + 1):
            block_events, issuance = _bittensor_block(block, issuance)
            events += block_events
        blocks = [
            BlockRef(n, f"0x{n:064x}", f"0x{n - 1:064x}", BT_TIME[n], _runtime(n), 0)
            for n in range(first, last + 1)
        ]
        batches.append(
            {
                "source": "subtensor",
                "stream": BT_STREAM,
                "range_unit": "block",
                "range_start": first,
                "range_end": last + 1,
                "events": events,
                "quarantined": quarantined,
                "checkpoint": last,
                "blocks": blocks,
                "boundary_times": (before, after),
            }
        )
    return batches


# ---------------------------------------------------------------------------------------------- Sahara
SAHARA = 10**18  # usah per SAHARA
A, B, C = "saharavaloper1alpha", "saharavaloper1bravo", "saharavaloper1charlie"
COMET_STREAM, EVM_STREAM = "sahara-test", "313313"
COMET_TIME = {100: _at(9), 101: _at(9, 3), 120: _at(10), 130: _at(10, 30), 140: _at(11), 200: _at(14)}
#: Height -> the validator set CometBFT reported there: (operator, consensus address, voting power),
#: and each operator's commission in percent of its rewards. C has left the set by height 200.
SETS = {
    100: ([(A, "CA", 50), (B, "CB", 40), (C, "CC", 30)], {A: 10, B: 5, C: 20}),
    200: ([(A, "CA", 57), (B, "CB", 40)], {A: 10, B: 8}),
}
#: (height, event type, validator, delegator, SAHARA): d2's delegation to B is unbonded again.
FLOWS = [
    (101, "staking.delegate", A, "d1", 7),
    (120, "staking.delegate", B, "d2", 2),
    (130, "staking.unbond", B, "d2", 2),
    (140, "staking.delegate", C, "d3", 1),
]
MINT_PER_HEIGHT = 21 * SAHARA
#: Supply = annual provisions / inflation = 2^27 / 0.125 = 2^30 SAHARA: exact in floating point too.
SUPPLY_SAHARA = 2**30
INFLATION = "0.125000000000000000"
ANNUAL_PROVISIONS = f"{2**27 * SAHARA}.000000000000000000"
#: The mint module's bonded ratio: 0.25 until the day's last mint (height 200), 0.5 there.
BONDED_RATIO = {h: "0.250000000000000000" for h in COMET_TIME} | {200: "0.500000000000000000"}


def _comet(height: int, position: str, event_type: str, **payload) -> Event:
    return Event(
        chain="sahara",
        source="cometbft",
        block_number=height,
        position=position,
        event_type=event_type,
        block_time=COMET_TIME[height],
        payload=payload,
    )


def _validator_set(height: int) -> list[Event]:
    """The set's `staking.ValidatorObserved` and the block's distribution events in the set's order, each
    validator's rewards proportional to its power (10 SAHARA per unit) and its commission a share of them."""
    members, commission = SETS[height]
    events = [
        _comet(
            height,
            f"val.{k}",
            "staking.ValidatorObserved",
            address=consensus,
            pub_key="pk-" + consensus,
            pub_key_type="tendermint/PubKeyEd25519",
            voting_power=power,
            proposer_priority=0,
            validator_count=len(members),
        )
        for k, (_operator, consensus, power) in enumerate(members)
    ]
    for k, (operator, _consensus, power) in enumerate(members):
        rewards_atto = power * 10 * SAHARA * SAHARA
        for j, (kind, atto) in enumerate(
            (("commission", rewards_atto * commission[operator] // 100), ("rewards", rewards_atto))
        ):
            events.append(
                _comet(
                    height,
                    f"fb.{2 * k + j}",
                    f"distribution.{kind}",
                    amount_usah=str(atto // SAHARA),
                    amount_atto_usah=str(atto),
                    validator=operator,
                    mode="BeginBlock",
                )
            )
    return events


def _comet_height(height: int) -> list[Event]:
    events = _validator_set(height) if height in SETS else []
    events.append(
        _comet(
            height,
            "fb.90",
            "mint.mint",
            bonded_ratio=BONDED_RATIO[height],
            inflation=INFLATION,
            annual_provisions=ANNUAL_PROVISIONS,
            amount=str(MINT_PER_HEIGHT),
            mode="BeginBlock",
        )
    )
    for at, event_type, validator, delegator, amount in FLOWS:
        if at == height:
            events.append(
                _comet(
                    height,
                    "tx0.1",
                    event_type,
                    validator=validator,
                    delegator=delegator,
                    amount_usah=str(amount * SAHARA),
                    msg_index=0,
                )
            )
    return events


def _comet_batches() -> list[dict]:
    batches = []
    for heights, end, quarantined in (
        (
            (100, 101, 120, 130),
            131,
            [
                QuarantinedRow(
                    "cometbft",
                    "sahara",
                    "120:tx1.0",
                    '{"attributes": [["amount", "12 usah"]], "type": "delegate"}',
                    "block 120 from sahara_cometbft: attribute `amount` is not a coin string",
                    "cometbft_attribute",
                    120,
                )
            ],
        ),
        ((140, 200), 201, []),
    ):
        batches.append(
            {
                "source": "cometbft",
                "stream": COMET_STREAM,
                "range_unit": "block",
                "range_start": heights[0],
                "range_end": end,
                "events": [e for h in heights for e in _comet_height(h)],
                "quarantined": quarantined,
                "checkpoint": end - 1,
                "blocks": [BlockRef(h, f"0x{h:064x}", None, COMET_TIME[h]) for h in heights],
            }
        )
    return batches


EVM_TIME = {
    1000: _at(9, 30),
    1001: _at(9, 40),
    1002: _at(9, 50),
    1003: _at(10),
    1004: _at(10, 10),
    1010: _at(10, 20),
    1011: _at(10, 30),
    1020: _at(14, 10),
    1021: _at(14, 20),
    1025: _at(14, 30),
    1030: _at(20),
    1031: _at(20, 10),
}
A1, A2, A3, A4 = "0xa1a1", "0xa2a2", "0xa3a3", "0xa4a4"
#: (block, position, event type, payload) of the DataServices and Reputation contracts' logs.
CONTRACT_LOGS = [
    (1000, "0.0", "DataServices.TaskCreated", {"taskId": "7", "client": "0xc1", "tx_hash": "0xt7"}),
    *(
        (
            block,
            "0.0",
            "DataServices.AnnotationSubmitted",
            {
                "annotationId": annotation,
                "taskId": "7",
                "contributor": contributor,
                "contentHash": "0xh" + annotation,
                "tx_hash": "0xs" + annotation,
            },
        )
        for block, annotation, contributor in (
            (1001, "70", A1),
            (1002, "71", A1),
            (1003, "72", A2),
            (1004, "73", A3),
        )
    ),
    # 70 accepted and paid 5 SAHARA in the review's transaction; 71 rejected.
    (
        1010,
        "0.0",
        "DataServices.AnnotationReviewed",
        {"annotationId": "70", "reviewer": "0xr", "accepted": True, "qualityScore": 90, "tx_hash": "0xr70"},
    ),
    (
        1010,
        "0.1",
        "DataServices.RewardPaid",
        {"contributor": A1, "taskId": "7", "amount": str(5 * SAHARA), "tx_hash": "0xr70"},
    ),
    (
        1010,
        "1.0",
        "DataServices.AnnotationReviewed",
        {"annotationId": "71", "reviewer": "0xr", "accepted": False, "qualityScore": 20, "tx_hash": "0xr71"},
    ),
    (
        1011,
        "0.0",
        "Reputation.ReputationMinted",
        {"holder": A1, "tier": 2, "tokenId": "1", "tx_hash": "0xq1"},
    ),
    # 73 accepted and paid 3 SAHARA; 72 is never reviewed.
    (
        1020,
        "0.0",
        "DataServices.AnnotationReviewed",
        {"annotationId": "73", "reviewer": "0xr", "accepted": True, "qualityScore": 80, "tx_hash": "0xr73"},
    ),
    (
        1020,
        "0.1",
        "DataServices.RewardPaid",
        {"contributor": A3, "taskId": "7", "amount": str(3 * SAHARA), "tx_hash": "0xr73"},
    ),
    (
        1021,
        "0.0",
        "Reputation.ReputationMinted",
        {"holder": A3, "tier": 1, "tokenId": "2", "tx_hash": "0xq2"},
    ),
    # A licence to dataset 1 bought for 20 SAHARA, shared 6 to A1 (its annotations) and 14 to the owner.
    (
        1025,
        "0.0",
        "Marketplace.LicensePurchased",
        {"assetId": "1", "buyer": "0xb1", "price": str(20 * SAHARA), "tx_hash": "0xl1"},
    ),
    (
        1025,
        "0.1",
        "Marketplace.RevenueShared",
        {"assetId": "1", "recipient": A1, "amount": str(6 * SAHARA), "tx_hash": "0xl1"},
    ),
    (
        1025,
        "0.2",
        "Marketplace.RevenueShared",
        {"assetId": "1", "recipient": "0x0e1", "amount": str(14 * SAHARA), "tx_hash": "0xl1"},
    ),
    (
        1030,
        "0.0",
        "Reputation.ReputationMinted",
        {"holder": A3, "tier": 3, "tokenId": "3", "tx_hash": "0xq3"},
    ),
    # A4 holds a reputation token and has done nothing else.
    (
        1031,
        "0.0",
        "Reputation.ReputationMinted",
        {"holder": A4, "tier": 1, "tokenId": "4", "tx_hash": "0xq4"},
    ),
]


def _evm_batches() -> list[dict]:
    batches = []
    for first, end, bad_block in ((1000, 1012, 1005), (1012, 1032, 1022)):
        logs = [log for log in CONTRACT_LOGS if first <= log[0] < end]
        events = [
            Event(
                chain="sahara",
                source="evm",
                block_number=block,
                position=position,
                event_type=event_type,
                block_time=EVM_TIME[block],
                payload={"contract": "0xc0ffee", **payload},
            )
            for block, position, event_type, payload in logs
        ]
        blocks = sorted({log[0] for log in logs})
        batches.append(
            {
                "source": "evm",
                "stream": EVM_STREAM,
                "range_unit": "block",
                "range_start": first,
                "range_end": end,
                "events": events,
                "quarantined": [
                    QuarantinedRow(
                        "evm",
                        "sahara",
                        f"{bad_block}:0.0",
                        '{"topics": ["0xdead"]}',
                        f"block {bad_block} from sahara_evm: topic 0xdead is no known event of the contract",
                        "evm_log_decode",
                        bad_block,
                    )
                ],
                "checkpoint": end - 1,
                "blocks": [BlockRef(n, f"0x{n:064x}", None, EVM_TIME[n]) for n in blocks],
            }
        )
    return batches


# ---------------------------------------------------------------------------------------------- Market
#: coin -> [(time, price USD)]; the market cap quoted is price x circulating supply.
QUOTES = {
    "bittensor": [
        (_at(0, 30), "250"),
        (_at(4, 10), "260"),
        (_at(4, 50), "262"),
        (_at(16, 20), "240"),
        (_at(23, 30), "255"),
        (_at(24, 30), "270"),  # the next day
    ],
    "sahara-ai": [(_at(10, 15), "0.08"), (_at(10, 45), "0.09"), (_at(18), "0.10")],
}
CIRCULATING = {"bittensor": 9_600_000, "sahara-ai": 2_300_000_000}
VOLUME = {"bittensor": "123000000", "sahara-ai": "45000000"}


def _market_batches() -> list[dict]:
    """One batch per coin and window, as the market DAG writes them: the day, then the next day's first hour."""
    batches = []
    for coin, start, end in (
        ("bittensor", _at(0), _at(24)),
        ("sahara-ai", _at(0), _at(24)),
        ("bittensor", _at(24), _at(25)),
    ):
        events = []
        for at, price in QUOTES[coin]:
            if not start <= at < end:
                continue
            ts = int(at.timestamp())
            events.append(
                Event(
                    chain="market",
                    source="coingecko",
                    block_number=ts,
                    position=coin,
                    event_type="market.Quote",
                    block_time=at,
                    payload={
                        "coin_id": coin,
                        "vs_currency": "usd",
                        "ts_ms": ts * 1000,
                        "price_usd": price,
                        "market_cap_usd": str(Decimal(price) * CIRCULATING[coin]),
                        "total_volume_usd": VOLUME[coin],
                    },
                    spec_version=3,
                )
            )
        batches.append(
            {
                "source": "coingecko",
                "stream": coin,
                "range_unit": "unix_s",
                "range_start": int(start.timestamp()),
                "range_end": int(end.timestamp()),
                "events": events,
                "checkpoint": int(end.timestamp()),
            }
        )
    return batches


#: source -> (the suite that validates its batches, the runtime its events were read with).
SUITES = {
    "subtensor": ("bittensor_events", "spec"),  # each event's spec_version
    "cometbft": ("sahara_staking_events", "cosmos-sdk v0.50"),
    "evm": ("sahara_contracts_events", "abi 5eed0001"),
    "coingecko": ("market_quotes", None),
}


def _validated(batch: dict) -> dict:
    """The batch with its suite's result, as the pipeline stores it beside the batch: every row
    validated, 12 expectations of which one failed when a row was quarantined, and for a chain the
    events counted by the runtime that wrote them."""
    suite, runtime = SUITES[batch["source"]]
    events, quarantined = len(batch["events"]), len(batch.get("quarantined", ()))
    by_runtime: dict[str, int] = {}
    for event in batch["events"]:
        name = f"spec {event.spec_version}" if runtime == "spec" else runtime
        by_runtime[name] = by_runtime.get(name, 0) + 1
    details = {"events_by_runtime": by_runtime} if runtime else {}
    record = DQRecord(suite, events + quarantined, quarantined, 12, 1 if quarantined else 0, 0.01, details)
    return {**batch, "dq": [record]}


def _history() -> list[dict]:
    """The batches in the order the DAGs could write them: the first half of each chain, the day's
    quotes, the second half of each chain, the next day's first quote."""
    bittensor, comet, evm, market = _bittensor_batches(), _comet_batches(), _evm_batches(), _market_batches()
    batches = [
        bittensor[0],
        comet[0],
        evm[0],
        market[0],
        market[1],
        bittensor[1],
        comet[1],
        evm[1],
        market[2],
    ]
    return [_validated(batch) for batch in batches]


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def warehouse(request, tmp_path_factory):
    """The engine of a warehouse holding the history, and per (source, stream) the wall-clock interval
    around each of its appends (what `quarantined_at` and `updated_at` are stamped within)."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("views")) as url:
        engine = db.make_engine(url)
        appended: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
        for batch in _history():
            before = _now()
            append_batch(engine, **batch)
            appended.setdefault((batch["source"], batch["stream"]), []).append((before, _now()))
            run_all(engine)
        yield engine, appended
        engine.dispose()


# ------------------------------------------------------------------------------------------- helpers
def _view(engine, name: str, *key: str) -> list[dict]:
    """The view's rows as dicts, sorted in Python by `key` (collations differ between the engines)."""
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.text(f"SELECT * FROM {name}")).mappings()]
    return sorted(rows, key=lambda r: tuple(r[k] for k in key))


def _assert_rows(actual: list[dict], expected: list[dict]) -> None:
    """Row by row and column by column: a float expected is matched to 12 significant digits (the views
    return ratios as DOUBLE, or NUMERIC on PostgreSQL), a Decimal exactly, anything else with ==."""
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}: {actual}"
    assert [list(r) for r in actual] == [list(r) for r in expected], "columns differ"
    for number, (got, want) in enumerate(zip(actual, expected, strict=True)):
        for column, value in want.items():
            found = got[column]
            where = f"row {number} ({want}), column {column}: got {found!r}, expected {value!r}"
            if isinstance(value, float):
                assert found is not None and float(found) == pytest.approx(value, rel=1e-12), where
            elif isinstance(value, Decimal):
                assert found is not None and Decimal(str(found)) == value, where
            else:
                assert found == value and type(found) is not float, where


def _tao(rao: int) -> Decimal:
    return Decimal(rao).scaleb(-9)


def _sahara(usah: int) -> Decimal:
    return Decimal(usah).scaleb(-18)


def _gini(rewards: list[int]) -> float:
    """Mean absolute difference over every ordered pair / (2 x mean): sum |x_i - x_j| / (2 n^2 mean)."""
    n = len(rewards)
    return float(Fraction(sum(abs(a - b) for a in rewards for b in rewards), 2 * n * sum(rewards)))


def _epoch_rewards() -> dict[tuple[str, datetime], int]:
    """(netuid:hotkey, epoch time) -> the epoch's alpha in TAO rao at the pool price of the epoch block
    (SubnetTAO / SubnetAlphaIn there), rounded down to the rao."""
    return {
        (f"{netuid}:{hotkey}", BT_TIME[block]): emission * RAO * _pool_tao(netuid, block) // ALPHA_IN[netuid]
        for (netuid, block), uids in EPOCHS.items()
        for _uid, hotkey, _permit, _stake, emission in uids
    }


def _hour_price(coin: str, hour: datetime) -> float | None:
    """The hour's last quote, if the hour has one."""
    prices = [float(p) for at, p in QUOTES[coin] if hour <= at < hour + timedelta(hours=1)]
    return prices[-1] if prices else None


# --------------------------------------------------------------------------------------------- tests
CHECKED = {
    "v_comparison_daily",
    "v_contributor_leaderboard",
    "v_freshness",
    "v_market_daily",
    "v_milestones",
    "v_miners_earning_by_subnet",
    "v_quarantine_summary",
    "v_reference_facts",
    "v_subnet_leaderboard",
    "v_validators",
}


def _views(engine) -> set[str]:
    with engine.connect() as conn:
        names = conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'VIEW' AND table_schema = current_schema()"
            )
        ).scalars()
        return {name for name in names if name.startswith("v_")}


def _migrated_to(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


#: The revision that creates `v_milestones`.
MILESTONES_REVISION = "0018"


def test_every_view_of_the_warehouse_is_checked_here(warehouse):
    """A new `v_*` view fails this test until its rows are checked against hand-worked values below."""
    engine, _ = warehouse
    if _migrated_to(engine) < MILESTONES_REVISION:
        assert _views(engine) == CHECKED - {"v_milestones"}
    else:
        assert _views(engine) == CHECKED


def test_v_comparison_daily_gives_each_chains_day_from_the_history(warehouse):
    engine, _ = warehouse
    # Bittensor. Participants are the 8 (netuid, hotkey) observed in the day's epochs; m2c registered but
    # was never observed. Rewards are each epoch's alpha at its block's pool price, rounded down to the rao:
    #   block 5001, subnet 1 at 100,000.5 / 400,000 = 0.25000125 TAO/alpha: v1 40 -> 10.00005, m1a 30 -> 7.5000375,
    #     m1b 10 -> 2.5000125, m1c 0
    #   block 5002, subnet 2 at 50,000.45 / 100,000 = 0.5000045: v2 20 -> 10.00009, m2a 10 -> 5.000045, m2b 0
    #   block 5004, subnet 1 at 100,001.35 / 400,000 = 0.250003375: v1 40 -> 10.000135, m1a 36 -> 9.0001215,
    #     m1b 0, m1d 8 -> 2.000027
    epochs = _epoch_rewards()
    per_participant: dict[str, int] = {}
    for (member, _time), rao in epochs.items():
        per_participant[member] = per_participant.get(member, 0) + rao
    rewards = sorted(per_participant.values())
    total = sum(rewards)
    assert len(rewards) == 8 and total == 56_000_518_500  # 56.0005185 TAO
    # USD: each hour's rewards at that hour's last TAO quote, else the day's last (255 at 23:30):
    # 04:00 x 262, 08:00 x 255 (no quote that hour), 16:00 x 240; each hour rounded to the micro-dollar.
    by_hour: dict[datetime, int] = {}
    for (_member, at), rao in epochs.items():
        by_hour[at] = by_hour.get(at, 0) + rao
    bt_usd = sum(
        round(rao / RAO * (_hour_price("bittensor", hour) or 255.0), 6) for hour, rao in by_hour.items()
    )
    assert bt_usd == pytest.approx(20.0001 * 262 + 15.000135 * 255 + 21.0002835 * 240)
    # Supply: 10,500,000 TAO + 6 blocks x 0.5 minted - 1 TAO recycled at 5003 = 10,500,002 TAO.
    supply = ISSUANCE_AT_START + 6 * MINTED - REGISTRATION_BURN
    # Stake at the last block (5005): root 6,000,000 + subnet 1's pool 100,001.65 + subnet 2's 50,001.05.
    staked = ROOT_STAKE + _pool_tao(1, 5005) + _pool_tao(2, 5005)
    assert staked == 6_150_002_700_000_000
    bittensor = {
        "chain": "bittensor",
        "day": DAY,
        "complete": True,  # blocks 5000-5005 stored, 4999 before midnight, 5006 at the next midnight
        "native_unit": "TAO",
        "participants": 8,
        "participants_earning": 6,  # all but m1c and m2b
        "share_earning": 6 / 8,
        "validators": 2,  # v1 and v2 hold permits
        "nakamoto": 1,  # v1's 20,100 alpha = 5,025.07 TAO is more than half of it and v2's 2,500.02
        "gini": _gini(rewards),
        "top10_share": rewards[-1] / total,  # the top 10% of 8 rounds to one participant: v1
        "emission_native": _tao(6 * MINTED),  # 3 TAO
        "net_issuance_native": _tao(6 * MINTED - REGISTRATION_BURN),  # 2 TAO
        "rewards_native": _tao(total),
        "rewards_usd": bt_usd,
        "rewards_per_participant_native": _tao(total // 8),
        "rewards_per_participant_usd": bt_usd / 8,
        "stake_native": _tao(staked),
        "staking_ratio": staked / supply,
        "supply_native": _tao(supply),
        "supply_cap_share": supply / RAO / 21_000_000,
        "inflation_annualised": 3 * 365 / (supply / RAO),  # a complete day: 3 TAO x 365 / supply
        "price_usd": 255.0,
        "market_cap_usd": supply / RAO * 255.0,
        "units_active": 2,  # subnets 1 and 2
        "units_label": "subnets",
    }
    # Sahara. Participants: A1, A2 and A3 submitted (A4 only holds reputation); A1 was paid 5 SAHARA at
    # 10:20 (that hour's last quote 0.09), A3 3 SAHARA at 14:10 (no quote that hour: the day's last, 0.10).
    sahara_usd = 5 * 0.09 + 3 * 0.10
    sahara = {
        "chain": "sahara",
        "day": DAY,
        "complete": False,  # only some heights and blocks are stored
        "native_unit": "SAHARA",
        "participants": 3,
        "participants_earning": 2,
        "share_earning": 2 / 3,
        "validators": 3,  # CA, CB and CC were in a set that day
        # Latest power of the day: CA 57, CB 40, CC 30 (of 127); 57 is not more than half, 57 + 40 is.
        "nakamoto": 2,
        "gini": 5 / 12,  # rewards 0, 3, 5: |differences| 2 x (3 + 5 + 2) = 20, / (2 x 3 x 8) = 5/12
        "top10_share": 5 / 8,
        "emission_native": _sahara(6 * MINT_PER_HEIGHT),  # 21 SAHARA at each of six heights
        "net_issuance_native": None,
        "rewards_native": Decimal(8),
        "rewards_usd": sahara_usd,
        "rewards_per_participant_native": _sahara(8 * SAHARA // 3),  # 2.666666666666666666
        "rewards_per_participant_usd": sahara_usd / 3,
        "stake_native": Decimal(SUPPLY_SAHARA // 2),  # supply x the last mint's bonded ratio 0.5
        "staking_ratio": 0.5,
        "supply_native": Decimal(SUPPLY_SAHARA),
        "supply_cap_share": SUPPLY_SAHARA / 10_000_000_000,
        "inflation_annualised": None,  # a partial day is never annualised
        "price_usd": 0.10,
        "market_cap_usd": SUPPLY_SAHARA * 0.10,
        "units_active": 4,  # annotations submitted
        "units_label": "annotations",
    }
    # The next day's TAO quote makes no comparison row: the chains hold nothing that day.
    _assert_rows(_view(engine, "v_comparison_daily", "chain", "day"), [bittensor, sahara])


def test_v_market_daily_gives_each_coins_days_last_quote(warehouse):
    engine, _ = warehouse
    day, next_day = datetime(2026, 1, 10), datetime(2026, 1, 11)
    expected = [
        # 5 quotes on the day, the last at 23:30 (255 USD); one the next day at 00:30 (270 USD).
        {
            "coin_id": "bittensor",
            "day": day,
            "price_usd": 255.0,
            "market_cap_usd": 255.0 * 9_600_000,
            "total_volume_usd": 123_000_000.0,
            "quotes": 5,
        },
        {
            "coin_id": "bittensor",
            "day": next_day,
            "price_usd": 270.0,
            "market_cap_usd": 270.0 * 9_600_000,
            "total_volume_usd": 123_000_000.0,
            "quotes": 1,
        },
        {
            "coin_id": "sahara-ai",
            "day": day,
            "price_usd": 0.10,
            "market_cap_usd": 0.10 * 2_300_000_000,
            "total_volume_usd": 45_000_000.0,
            "quotes": 3,
        },
    ]
    actual = _view(engine, "v_market_daily", "coin_id", "day")
    for row in actual:
        row["day"] = datetime.fromisoformat(str(row["day"]))  # TIMESTAMP; a date on no engine
    _assert_rows(actual, expected)


def test_v_subnet_leaderboard_lists_the_live_subnets_from_their_latest_observation(warehouse):
    engine, _ = warehouse
    # Subnet 3 was removed at block 5003: not listed, and its 0.1 TAO a block is not in the shares'
    # denominator. Latest emissions: subnet 1 0.3 TAO (block 5004), subnet 2 0.15 (block 5002) -> 2/3, 1/3.
    expected = [
        {
            "netuid": 1,
            "owner": "5Owner1",
            "emission_share": 0.3 / 0.45,
            "price_tao_per_alpha": 100_001.35 / 400_000,  # pool at 5004: 100,000 + 3 x 0.25 + 2 x 0.3
            "price_block": 5004,
            "miners": 3,  # at its latest epoch (5004): m1a, m1b, m1d
            "validators": 1,
            "pool_tao": Decimal("100001.35"),
            "pool_alpha": Decimal(400_000),
            "last_observed_at": _naive(BT_TIME[5004]),
        },
        {
            "netuid": 2,
            "owner": "5Owner2",
            "emission_share": 0.15 / 0.45,
            "price_tao_per_alpha": 50_000.45 / 100_000,  # pool at 5002: 50,000 + 3 x 0.15
            "price_block": 5002,
            "miners": 2,  # m2a, m2b (m2c registered after the epoch)
            "validators": 1,
            "pool_tao": Decimal("50000.45"),
            "pool_alpha": Decimal(100_000),
            "last_observed_at": _naive(BT_TIME[5002]),
        },
    ]
    _assert_rows(_view(engine, "v_subnet_leaderboard", "netuid"), expected)


def test_v_miners_earning_by_subnet_counts_registered_miners_by_their_latest_epoch(warehouse):
    engine, _ = warehouse
    expected = [
        # Subnet 1: m1c was deregistered when m1d took UID 3 at block 5003. Of m1a (36 alpha), m1b (0 at
        # the latest epoch, 10 at the one before) and m1d (8), two earn.
        {"netuid": 1, "miners": 3, "miners_earning": 2, "share_earning": 2 / 3},
        # Subnet 2: m2a (10 alpha) earns, m2b (0) does not, m2c registered and was never observed.
        {"netuid": 2, "miners": 3, "miners_earning": 1, "share_earning": 1 / 3},
    ]
    _assert_rows(_view(engine, "v_miners_earning_by_subnet", "netuid"), expected)


def test_v_contributor_leaderboard_gives_each_contributors_work_rewards_and_tier(warehouse):
    engine, _ = warehouse
    t = _naive
    expected = [
        # Submitted 70 and 71; 70 accepted (paid 5 SAHARA), 71 rejected; reputation tier 2.
        {
            "contributor": A1,
            "submitted": 2,
            "reviewed": 2,
            "accepted": 1,
            "acceptance_rate": 0.5,
            "rewards_sahara": Decimal(5),
            "reputation_tier": 2,
            "first_seen_at": t(EVM_TIME[1001]),  # its first submission
            "last_active_at": t(EVM_TIME[1011]),  # its reputation mint
        },
        # Submitted 72, never reviewed: no acceptance rate.
        {
            "contributor": A2,
            "submitted": 1,
            "reviewed": 0,
            "accepted": 0,
            "acceptance_rate": None,
            "rewards_sahara": Decimal(0),
            "reputation_tier": None,
            "first_seen_at": t(EVM_TIME[1003]),
            "last_active_at": t(EVM_TIME[1003]),
        },
        # Submitted 73, accepted and paid 3 SAHARA; tiers 1 then 3: the highest counts.
        {
            "contributor": A3,
            "submitted": 1,
            "reviewed": 1,
            "accepted": 1,
            "acceptance_rate": 1.0,
            "rewards_sahara": Decimal(3),
            "reputation_tier": 3,
            "first_seen_at": t(EVM_TIME[1004]),
            "last_active_at": t(EVM_TIME[1030]),
        },
        # Holds a reputation token only.
        {
            "contributor": A4,
            "submitted": 0,
            "reviewed": 0,
            "accepted": 0,
            "acceptance_rate": None,
            "rewards_sahara": Decimal(0),
            "reputation_tier": 1,
            "first_seen_at": t(EVM_TIME[1031]),
            "last_active_at": t(EVM_TIME[1031]),
        },
    ]
    _assert_rows(_view(engine, "v_contributor_leaderboard", "contributor"), expected)


def test_v_validators_gives_both_chains_validators_with_stake_in_their_own_token(warehouse):
    engine, _ = warehouse

    def bittensor(netuid: int, hotkey: str, block: int, stake_alpha: int) -> dict:
        # Stake from the hotkey's latest epoch, in TAO at that block's pool price, rounded down to the rao.
        return {
            "chain": "bittensor",
            "validator_id": f"{netuid}:{hotkey}",
            "netuid": netuid,
            "address": hotkey,
            "stake_native": _tao(stake_alpha * RAO * _pool_tao(netuid, block) // ALPHA_IN[netuid]),
            "native_unit": "TAO",
            "stake_alpha": Decimal(stake_alpha),
            "price_tao_per_alpha": _pool_tao(netuid, block) / ALPHA_IN[netuid],
            "price_block": block,
            "voting_power": None,
            "delegators": None,
            "commission_rate": None,
            "dividends": DIVIDENDS / U16,
            "validator_trust": VALIDATOR_TRUST / U16,
            "last_observed_at": _naive(BT_TIME[block]),
        }

    def sahara(operator: str, power: int, delegators: int, commission: float, last: datetime) -> dict:
        return {
            "chain": "sahara",
            "validator_id": operator,
            "netuid": None,
            "address": operator,
            "stake_native": Decimal(power),
            "native_unit": "SAHARA",
            "stake_alpha": None,
            "price_tao_per_alpha": None,
            "price_block": None,
            "voting_power": power,
            "delegators": delegators,
            "commission_rate": commission,
            "dividends": None,
            "validator_trust": None,
            "last_observed_at": _naive(last),
        }

    expected = [
        # 20,100 alpha x 0.250003375 = 5,025.0678375 TAO; 5,000 x 0.5000045 = 2,500.0225 TAO.
        bittensor(1, "v1", 5004, 20_100),
        bittensor(2, "v2", 5002, 5_000),
        # Power in the latest set (height 200); d1's 7 SAHARA to A is A's one delegator.
        sahara(A, 57, 1, 0.10, COMET_TIME[200]),
        # d2 delegated 2 SAHARA to B and unbonded them again: no delegator; 8% at height 200.
        sahara(B, 40, 0, 0.08, COMET_TIME[200]),
        # C left the set by height 200: power 0; its commission from its last set (100); its latest event is
        # d3's delegation at height 140.
        sahara(C, 0, 1, 0.20, COMET_TIME[140]),
    ]
    _assert_rows(_view(engine, "v_validators", "chain", "validator_id"), expected)


def test_v_quarantine_summary_counts_each_sources_rejected_rows_by_rule(warehouse):
    engine, appended = warehouse
    rows = _view(engine, "v_quarantine_summary", "source", "rule")
    assert [(r["source"], r["rule"], r["rows_quarantined"]) for r in rows] == [
        ("cometbft", "cometbft_attribute", 1),
        ("evm", "evm_log_decode", 2),  # one in each EVM batch
        ("subtensor", "decode_error", 1),
    ]
    # Each row is stamped when its batch was appended: the EVM rule first in the first batch, last in the second.
    windows = {
        "cometbft": (appended[("cometbft", COMET_STREAM)][0], appended[("cometbft", COMET_STREAM)][0]),
        "evm": appended[("evm", EVM_STREAM)],
        "subtensor": (appended[("subtensor", BT_STREAM)][0], appended[("subtensor", BT_STREAM)][0]),
    }
    for row in rows:
        (first_from, first_to), (last_from, last_to) = windows[row["source"]]
        assert first_from <= row["first_seen"] <= first_to, row
        assert last_from <= row["last_seen"] <= last_to, row
    evm = rows[1]
    assert evm["first_seen"] < evm["last_seen"]


def test_v_freshness_gives_each_streams_position_and_newest_block(warehouse):
    engine, appended = warehouse
    rows = _view(engine, "v_freshness", "source", "stream")
    expected = [
        # A chain stream's position is the last block of its latest batch; CoinGecko's is the end of its
        # latest window (unix seconds), and it stores no blocks.
        ("coingecko", "bittensor", int(_at(25).timestamp()), None),
        ("coingecko", "sahara-ai", int(_at(24).timestamp()), None),
        ("cometbft", COMET_STREAM, 200, _naive(COMET_TIME[200])),
        ("evm", EVM_STREAM, 1031, _naive(EVM_TIME[1031])),
        ("subtensor", BT_STREAM, 5005, _naive(BT_TIME[5005])),
    ]
    assert [(r["source"], r["stream"], r["position"], r["last_block_time"]) for r in rows] == expected
    for row in rows:
        started, finished = appended[(row["source"], row["stream"])][-1]
        assert started <= row["updated_at"] <= finished, row


def _csv_facts() -> list[dict]:
    path = Path(__file__).resolve().parent.parent / "warehouse" / "data" / "reference_facts.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _period_start(value: str, unit: str) -> datetime:
    """The first moment of the date, month (YYYY-MM) or quarter (YYYY-Qn) a fact names."""
    if unit == "date":
        return datetime.fromisoformat(value)
    if unit == "month":
        return datetime.fromisoformat(value + "-01")
    year, quarter = value.split("-Q")
    return datetime(int(year), 3 * int(quarter) - 2, 1)


def test_v_milestones_gives_the_runtime_upgrade_seen_on_chain_and_every_dated_fact(warehouse):
    engine, _ = warehouse
    if _migrated_to(engine) < MILESTONES_REVISION:  # a tree from before the view: nothing to read yet
        assert "v_milestones" not in _views(engine)
        return
    # On chain: blocks 5000-5003 ran spec 343 and 5004-5005 spec 344, so the upgrade was enacted in block
    # 5003 (12:00). Every block minted 0.5 TAO: no halving inside the history.
    upgrade = {
        "milestone_id": f"runtime:subtensor:{BT_STREAM}:344",
        "chain": "bittensor",
        "kind": "runtime_upgrade",
        "label": "runtime 344",
        "detail": "runtime upgrade: spec 343 to 344, enacted in block 5003; "
        "block 5004 is the first the new runtime executed",
        "occurred_at": _naive(BT_TIME[UPGRADE_BLOCK]),
        "resolution": "block",
        "block_number": UPGRADE_BLOCK,
        "source_title": "on chain: the spec_version of subtensor blocks 5003 and 5004 (chain_blocks)",
        "source_url": None,
        "fact_id": None,
    }
    # Off chain: each fact of the file whose value is a date, a month or a quarter, at that period's start.
    facts = [
        {
            "milestone_id": "fact:" + f["fact_id"],
            "chain": f["subject"],
            "kind": "reference",
            "label": f["fact"],
            "detail": f"{f['fact']}: {f['value']}" + (f" ({f['note']})" if f["note"] else ""),
            "occurred_at": _period_start(f["value"], f["unit"]),
            "resolution": f["unit"],
            "block_number": None,
            "source_title": f["source_title"],
            "source_url": f["source_url"],
            "fact_id": f["fact_id"],
        }
        for f in _csv_facts()
        if f["unit"] in ("date", "month", "quarter")
    ]
    assert {f["fact_id"] for f in facts} >= {"bt_halving", "bt_dtao", "sh_tge", "sh_mainnet"}
    expected = sorted([upgrade, *facts], key=lambda r: r["milestone_id"])
    _assert_rows(_view(engine, "v_milestones", "milestone_id"), expected)


def test_v_reference_facts_holds_every_fact_of_the_csv_with_its_source(warehouse):
    engine, _ = warehouse
    facts = _csv_facts()
    expected = [
        {
            "subject": f["subject"],
            "fact_id": f["fact_id"],
            "fact": f["fact"],
            "value": f["value"],
            # A value written as a plain number is also kept as one; dates, ranges and text are not.
            "value_number": Decimal(f["value"]) if re.fullmatch(r"\d+(\.\d+)?", f["value"]) else None,
            "unit": f["unit"] or None,
            "as_of": date.fromisoformat(f["as_of"]),
            "source_title": f["source_title"],
            "source_url": f["source_url"],
            "note": f["note"] or None,
        }
        for f in sorted(facts, key=lambda f: f["fact_id"])
    ]
    actual = _view(engine, "v_reference_facts", "fact_id")
    for row in actual:
        row["as_of"] = date.fromisoformat(str(row["as_of"])[:10])
    _assert_rows(actual, expected)
    funding = next(r for r in actual if r["fact_id"] == "sh_funding")
    assert (funding["value_number"], funding["unit"]) == (Decimal(49_000_000), "USD")


def test_running_the_projections_again_or_rebuilding_them_leaves_every_view_as_it_was(warehouse):
    engine, _ = warehouse

    def snapshot() -> dict[str, list]:
        with engine.connect() as conn:
            return {
                view: sorted(
                    (tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {view}"))),
                    key=repr,
                )
                for view in sorted(_views(engine))
            }

    before = snapshot()
    run_all(engine)
    assert snapshot() == before
    rebuild(engine)
    assert snapshot() == before
