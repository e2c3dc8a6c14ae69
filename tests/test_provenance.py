"""Provenance on a small hand-built warehouse: every table `events_behind` knows returns exactly the
events its row was computed from, on DuckDB and PostgreSQL.

The history below is written by hand in the shapes the connectors produce (Bittensor metagraph
observations and registrations, Sahara contract logs and CometBFT staking events, CoinGecko quotes),
all on one UTC day, so that every expected set can be checked by reading it. `tests/test_projection_fold.py`
replays the same history in other orders and checks the Sahara delegation figures by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from etl.events import Event
from warehouse import db
from warehouse.projections import run_all
from warehouse.provenance import _BEHIND, events_behind
from warehouse.store import append_batch

DAY0 = datetime(2026, 1, 10, tzinfo=UTC)
SAHARA = 10**18  # usah per SAHARA
A, B, C = "saharavaloper1aaa", "saharavaloper1bbb", "saharavaloper1ccc"


def _at(seconds: int) -> datetime:
    return DAY0 + timedelta(seconds=seconds)


def _neuron(
    netuid: int, uid: int, hotkey: str, block: int, *, permit: bool, stake: int, emission: int
) -> dict:
    return {
        "netuid": netuid,
        "uid": uid,
        "hotkey": hotkey,
        "coldkey": "ck-" + hotkey,
        "stake": str(stake),
        "emission": str(emission),
        "rank": 0,
        "incentive": 0 if permit else 65535,
        "dividends": 65535 if permit else 0,
        "consensus": 0,
        "trust": 0,
        "validator_trust": 65535 if permit else 0,
        "pruning_score": 0,
        "validator_permit": permit,
        "active": True,
        "last_update": block,
        "axon_block": 0,
    }


def _bittensor(label: str, block: int, index: int, event_type: str, payload: dict) -> tuple[str, Event]:
    return label, Event(
        chain="bittensor",
        source="subtensor",
        block_number=block,
        position=f"{index}",
        event_type=event_type,
        block_time=_at((block - 1000) * 12),
        payload=payload,
    )


def _evm(label: str, block: int, position: str, event_type: str, **payload) -> tuple[str, Event]:
    return label, Event(
        chain="sahara",
        source="evm",
        block_number=block,
        position=position,
        event_type=event_type,
        block_time=_at(block * 5),
        payload={"contract": "0xc0ffee", **payload},
    )


def _comet(label: str, block: int, position: str, event_type: str, **payload) -> tuple[str, Event]:
    return label, Event(
        chain="sahara",
        source="cometbft",
        block_number=block,
        position=position,
        event_type=event_type,
        block_time=_at(block * 5),
        payload=payload,
    )


def _quote(label: str, coin: str, seconds: int, price: str) -> tuple[str, Event]:
    ts = int(_at(seconds).timestamp())
    return label, Event(
        chain="market",
        source="coingecko",
        block_number=ts,
        position=coin,
        event_type="market.Quote",
        block_time=_at(seconds),
        payload={
            "coin_id": coin,
            "vs_currency": "usd",
            "ts_ms": ts * 1000,
            "price_usd": price,
            "market_cap_usd": str(float(price) * 1000),
            "total_volume_usd": "10",
        },
    )


def _validator_set(block: int, powers: list[tuple[str, str, int]], commission_percent: dict) -> list:
    """`staking.ValidatorObserved` of a set plus the block's distribution events, as the devnet emits them."""
    out = [
        _comet(
            f"set{block}:{op}",
            block,
            f"val.{k}",
            "staking.ValidatorObserved",
            address=cons,
            pub_key="pk-" + cons,
            pub_key_type="tendermint/PubKeyEd25519",
            voting_power=power,
            proposer_priority=0,
            validator_count=len(powers),
        )
        for k, (op, cons, power) in enumerate(powers)
    ]
    for k, (op, _cons, power) in enumerate(powers):
        reward = power * 10 * SAHARA  # atto-usah, proportional to power
        commission = reward * commission_percent[op] // 100
        for j, (kind, amount) in enumerate((("commission", commission), ("rewards", reward))):
            out.append(
                _comet(
                    f"{kind}{block}:{op}",
                    block,
                    f"fb.{2 * k + j}",
                    f"distribution.{kind}",
                    amount_usah=str(amount // SAHARA),
                    amount_atto_usah=str(amount),
                    validator=op,
                    mode="BeginBlock",
                )
            )
    return out


COMMISSION = {A: 10, B: 5, C: 20}

#: (source, stream, [(label, event)]) in block order; one batch each.
HISTORY: list[tuple[str, str, list[tuple[str, Event]]]] = [
    (
        "subtensor",
        "test-subtensor",
        [
            _bittensor("added", 1000, 0, "SubtensorModule.NetworkAdded", {"netuid": 1, "mechanism": 1}),
            _bittensor(
                "regA", 1001, 0, "SubtensorModule.NeuronRegistered", {"netuid": 1, "uid": 0, "hotkey": "hkA"}
            ),
            _bittensor(
                "regB", 1002, 0, "SubtensorModule.NeuronRegistered", {"netuid": 1, "uid": 1, "hotkey": "hkB"}
            ),
            _bittensor(
                "staked",
                1005,
                0,
                "SubtensorModule.StakeAdded",
                {
                    "coldkey": "ck1",
                    "hotkey": "hkA",
                    "tao": "1000000000",
                    "alpha": "500000000",
                    "netuid": 1,
                    "fee": "0",
                },
            ),
            _bittensor(
                "obsA1",
                1010,
                0,
                "SubtensorModule.NeuronObserved",
                _neuron(1, 0, "hkA", 1010, permit=True, stake=100 * 10**9, emission=5 * 10**9),
            ),
            _bittensor(
                "obsB1",
                1010,
                1,
                "SubtensorModule.NeuronObserved",
                _neuron(1, 1, "hkB", 1010, permit=False, stake=0, emission=0),
            ),
            _bittensor(
                "subnet1",
                1010,
                2,
                "SubtensorModule.SubnetObserved",
                {
                    "netuid": 1,
                    "owner": "5Owner",
                    "tempo": 10,
                    "emission": "1000000000",
                    "price_rao_per_alpha": "2000000000",
                    "tao_in": "2000",
                    "alpha_in": "1000",
                    "alpha_out": "5000",
                    "network_registered_at": 1000,
                },
            ),
        ],
    ),
    (
        "subtensor",
        "test-subtensor",
        [
            _bittensor(
                "regC", 1020, 0, "SubtensorModule.NeuronRegistered", {"netuid": 1, "uid": 1, "hotkey": "hkC"}
            ),
            _bittensor(
                "moved",
                1025,
                0,
                "SubtensorModule.StakeMoved",
                {
                    "coldkey": "ck1",
                    "origin_hotkey": "hkA",
                    "origin_netuid": 1,
                    "destination_hotkey": "hkD",
                    "destination_netuid": 2,
                    "tao": "300000000",
                },
            ),
            _bittensor(
                "obsA2",
                1030,
                0,
                "SubtensorModule.NeuronObserved",
                _neuron(1, 0, "hkA", 1030, permit=True, stake=110 * 10**9, emission=5 * 10**9),
            ),
            _bittensor(
                "obsC2",
                1030,
                1,
                "SubtensorModule.NeuronObserved",
                _neuron(1, 1, "hkC", 1030, permit=False, stake=0, emission=2 * 10**9),
            ),
        ],
    ),
    (
        "cometbft",
        "test-sahara",
        [
            _comet(
                "unbond95",
                95,
                "tx0.1",
                "staking.unbond",
                validator=A,
                delegator="d1",
                amount_usah=str(5 * SAHARA),
            ),
            *_validator_set(100, [(A, "CA", 50), (B, "CB", 30)], COMMISSION),
            _comet(
                "delegate100",
                100,
                "tx0.1",
                "staking.delegate",
                validator=A,
                delegator="d2",
                amount_usah=str(25 * SAHARA // 10),
            ),
            _comet(
                "redelegate120",
                120,
                "tx0.1",
                "staking.redelegate",
                source_validator=A,
                destination_validator=B,
                delegator="d1",
                amount_usah=str(SAHARA),
            ),
        ],
    ),
    (
        "cometbft",
        "test-sahara",
        [
            _comet(
                "create130",
                130,
                "tx0.1",
                "staking.create_validator",
                validator=C,
                amount_usah=str(10 * SAHARA),
            ),
            _comet(
                "delegate131",
                131,
                "tx0.1",
                "staking.delegate",
                validator=C,
                delegator="d3",
                amount_usah=str(3 * SAHARA),
            ),
            *_validator_set(200, [(A, "CA", 51), (B, "CB", 31), (C, "CC", 13)], COMMISSION),
            _comet(
                "unbond210",
                210,
                "tx0.1",
                "staking.unbond",
                validator=B,
                delegator="d1",
                amount_usah=str(SAHARA // 2),
            ),
        ],
    ),
    (
        "evm",
        "test-evm",
        [
            _evm("task7", 500, "0.0", "DataServices.TaskCreated", taskId="7", client="0xc1", tx_hash="0xt0"),
            _evm(
                "sub70",
                501,
                "0.0",
                "DataServices.AnnotationSubmitted",
                annotationId="70",
                taskId="7",
                contributor="0xa1",
                contentHash="0xh70",
                tx_hash="0xs70",
            ),
            _evm(
                "sub71",
                502,
                "0.0",
                "DataServices.AnnotationSubmitted",
                annotationId="71",
                taskId="7",
                contributor="0xa1",
                contentHash="0xh71",
                tx_hash="0xs71",
            ),
            _evm(
                "rev70",
                503,
                "0.0",
                "DataServices.AnnotationReviewed",
                annotationId="70",
                reviewer="0xr",
                accepted=True,
                qualityScore=90,
                tx_hash="0xt1",
            ),
            _evm(
                "pay70",
                503,
                "0.1",
                "DataServices.RewardPaid",
                contributor="0xa1",
                taskId="7",
                amount=str(5 * SAHARA),
                tx_hash="0xt1",
            ),
            _evm(
                "rev71",
                503,
                "1.0",
                "DataServices.AnnotationReviewed",
                annotationId="71",
                reviewer="0xr",
                accepted=False,
                qualityScore=20,
                tx_hash="0xt2",
            ),
            _evm(
                "rep1",
                504,
                "0.0",
                "Reputation.ReputationMinted",
                holder="0xa1",
                tier=2,
                tokenId="1",
                tx_hash="0xt3",
            ),
            _evm(
                "sub72",
                505,
                "0.0",
                "DataServices.AnnotationSubmitted",
                annotationId="72",
                taskId="8",
                contributor="0xa2",
                contentHash="0xh72",
                tx_hash="0xs72",
            ),
        ],
    ),
    (
        "coingecko",
        "test-market",
        [
            _quote("q1", "bittensor", 300, "270.5"),
            _quote("q2", "bittensor", 2100, "271"),
            _quote("q3", "bittensor", 3300, "272.25"),
            _quote("q4", "bittensor", 3900, "269"),
            _quote("qs", "sahara-ai", 600, "0.02"),
        ],
    ),
]

EVENTS = {label: event for _source, _stream, batch in HISTORY for label, event in batch}


def ids(*labels: str) -> set[str]:
    return {EVENTS[label].event_id for label in labels}


def append(engine, source: str, stream: str, batch: list[tuple[str, Event]]) -> None:
    blocks = [e.block_number for _label, e in batch]
    append_batch(
        engine,
        source=source,
        stream=stream,
        range_unit="block",
        range_start=min(blocks),
        range_end=max(blocks) + 1,
        events=[e for _label, e in batch],
    )


def build(url: str, order: list[int] | None = None, *, project_each: bool = True):
    """The history appended batch by batch (in `order`), projecting after each; returns the engine."""
    engine = db.make_engine(url)
    for i in order if order is not None else range(len(HISTORY)):
        append(engine, *HISTORY[i])
        if project_each:
            run_all(engine)
    run_all(engine)
    return engine


#: table -> [(key, labels of the events behind that row)]
EXPECTED = {
    "stg_bittensor_neurons": [({"event_id": EVENTS["obsB1"].event_id}, ["obsB1"])],
    "miners": [
        # hkB was displaced by hkC's registration at block 1020: that event is behind its deregistration.
        ({"netuid": 1, "uid": 1, "hotkey": "hkB"}, ["regB", "obsB1", "regC"]),
        ({"netuid": 1, "uid": 1, "hotkey": "hkC"}, ["regC", "obsC2"]),
    ],
    "validators": [
        ({"validator_id": "1:hkA"}, ["obsA1", "obsA2"]),
        # Observations, the latest set's rewards and commission, and every flow of its bonded tokens.
        (
            {"validator_id": A},
            ["set100:" + A, "set200:" + A, "rewards200:" + A, "commission200:" + A, "unbond95", "delegate100"]
            + ["redelegate120"],
        ),
        (
            {"validator_id": C},
            ["set200:" + C, "rewards200:" + C, "commission200:" + C, "create130", "delegate131"],
        ),
    ],
    "subnets": [({"netuid": 1}, ["subnet1", "added", "obsA2", "obsC2"])],
    "annotations": [
        ({"annotation_id": "70"}, ["sub70", "rev70", "pay70", "task7"]),
        ({"annotation_id": "71"}, ["sub71", "rev71", "task7"]),
        ({"annotation_id": "72"}, ["sub72"]),
    ],
    "contributors": [
        ({"contributor": "0xa1"}, ["sub70", "sub71", "rev70", "pay70", "rev71", "rep1"]),
        ({"contributor": "0xa2"}, ["sub72"]),
    ],
    # The stake moved from subnet 1 to subnet 2 is a leg of both.
    "bittensor_stake_flows_daily": [
        ({"netuid": 1, "day": date(2026, 1, 10)}, ["staked", "moved"]),
        ({"netuid": 2, "day": date(2026, 1, 10)}, ["moved"]),
    ],
    "market_caps": [
        ({"coin_id": "bittensor", "hour": datetime(2026, 1, 10, 0, 0)}, ["q1", "q2", "q3"]),
        ({"coin_id": "bittensor", "hour": datetime(2026, 1, 10, 1, 0)}, ["q4"]),
    ],
    "market_caps_daily": [({"coin_id": "bittensor", "day": datetime(2026, 1, 10)}, ["q1", "q2", "q3", "q4"])],
    "ecosystem_daily": [
        (
            {"chain": "bittensor", "day": date(2026, 1, 10)},
            ["obsA1", "obsB1", "obsA2", "obsC2", "q1", "q2", "q3", "q4"],
        ),
        (
            {"chain": "sahara", "day": date(2026, 1, 10)},
            ["sub70", "sub71", "sub72", "pay70", "qs"]
            + [f"set{b}:{op}" for b, ops in ((100, (A, B)), (200, (A, B, C))) for op in ops],
        ),
    ],
}


@pytest.fixture()
def warehouse(warehouse_url):
    engine = build(warehouse_url)
    yield warehouse_url, engine
    engine.dispose()


def test_every_table_with_lineage_is_checked_here():
    assert set(EXPECTED) == set(_BEHIND)


def test_every_row_traces_to_exactly_the_events_it_was_computed_from(warehouse):
    url, engine = warehouse
    for table, cases in EXPECTED.items():
        for key, labels in cases:
            behind = events_behind(engine, table, key)
            assert set(behind.event_id) == ids(*labels), (table, key)
            assert len(behind) == len(labels) and not behind.attrs["truncated"], (table, key)
            assert list(behind.block_number) == sorted(behind.block_number), (table, key)
    # The row's own `event_id` is among its events (the observation it shows).
    with engine.connect() as conn:
        for table, key_sql in (
            ("miners", "netuid = 1 AND uid = 1 AND hotkey = 'hkB'"),
            ("annotations", "annotation_id = '70'"),
        ):
            (event_id,) = conn.exec_driver_sql(f"SELECT event_id FROM {table} WHERE {key_sql}").one()
            assert event_id in set(
                events_behind(
                    url, table, {"netuid": 1, "uid": 1, "hotkey": "hkB", "annotation_id": "70"}
                ).event_id
            )


def test_results_are_bounded_and_keys_are_checked(warehouse):
    _url, engine = warehouse
    behind = events_behind(engine, "ecosystem_daily", {"chain": "sahara", "day": "2026-01-10"}, limit=4)
    assert len(behind) == 4 and behind.attrs["truncated"]
    assert set(behind.event_id) <= set(
        events_behind(engine, "ecosystem_daily", {"chain": "sahara", "day": "2026-01-10"}).event_id
    )
    with pytest.raises(ValueError, match="keyed by"):
        events_behind(engine, "market_caps", {"coin_id": "bittensor"})
    with pytest.raises(ValueError, match="no lineage"):
        events_behind(engine, "events", {})
