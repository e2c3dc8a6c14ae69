"""The devnet's subtensor: real clients read it, its metadata matches subtensor's, its economics hold."""

from __future__ import annotations

import json
from pathlib import Path

import bt_decode
import httpx
import numpy as np
import pytest
from async_substrate_interface import SubstrateInterface
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devnet.server import DevnetServer
from devnet.subtensor import economics as eco
from devnet.subtensor.bench import measure
from devnet.subtensor.chain import DEFAULT_NOW, WINDOW, ChainParams, SubtensorChain
from devnet.subtensor.encoding import EVENTS_KEY, storage_prefix, twox128
from devnet.subtensor.metadata import SPEC_NEW, SPEC_OLD, decode_metadata, runtime_metadata
from devnet.subtensor.rpc import SubtensorRpc

SEED = 7
FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "bittensor" / "subtensor_spec343_metadata_v14.hex"
)


@pytest.fixture(scope="module")
def devnet():
    with DevnetServer(seed=SEED, now=DEFAULT_NOW, rate_limit_per_minute=0) as server:
        yield server


@pytest.fixture(scope="module")
def chain():
    """The same chain as the devnet's (same seed and scale), read directly to find interesting blocks."""
    return SubtensorChain(seed=SEED)


@pytest.fixture(scope="module")
def substrate(devnet):
    client = SubstrateInterface(devnet.endpoints["subtensor_ws"])
    yield client
    client.close()


def _first_block_with(chain: SubtensorChain, name: str, start: int, stop: int) -> int:
    for block in range(start, stop):
        if any(e[2] == name for e in chain.events(block)):
            return block
    raise AssertionError(f"no {name} between blocks {start} and {stop}")


def _rpc(url: str, calls: list[tuple[str, list]]) -> list[dict]:
    payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    answers = httpx.post(url, json=payload, timeout=60).json()
    return sorted(answers, key=lambda a: a["id"])


# ---------------------------------------------------------------------------- real clients
def test_client_reads_blocks_and_events_across_the_runtime_upgrade(substrate, chain):
    upgrade = chain.params.upgrade_block
    assert substrate.chain == "Bittensor"
    assert substrate.properties["ss58Format"] == 42 and substrate.token_decimals == 9
    assert substrate.runtime.runtime_version == SPEC_NEW  # at the head
    before = _first_block_with(chain, "StakeAdded", upgrade - 3 * WINDOW, upgrade)
    after = _first_block_with(chain, "StakeAdded", upgrade + 1, upgrade + 3 * WINDOW)
    layouts = {}
    for block in (before, upgrade, after):
        block_hash = substrate.get_block_hash(block)
        assert substrate.get_block_number(block_hash) == block
        events = substrate.get_events(block_hash)
        assert len(events) == len(chain.events(block))
        assert substrate.runtime.runtime_version == (SPEC_OLD if block <= upgrade else SPEC_NEW)
        for event in events:
            if event["event"]["event_id"] == "StakeAdded":
                layouts[block] = event["event"]["attributes"]
    assert any(
        e["event"]["event_id"] == "CodeUpdated"
        for e in substrate.get_events(substrate.get_block_hash(upgrade))
    )
    old, new = layouts[before], layouts[after]
    assert len(old) == 5 and len(new) == 6  # StakeAdded gained its fee in spec 343
    expected = next(e[3] for e in chain.events(after) if e[2] == "StakeAdded")
    assert new[2:] == expected[2:]
    assert substrate.query("Timestamp", "Now", block_hash=substrate.get_block_hash(after)).value == (
        chain.timestamp_ms(after)
    )


def test_client_reads_block_bodies_and_runtime_apis(substrate, chain):
    block = _first_block_with(
        chain, "StakeRemoved", chain.params.upgrade_block + 10, chain.params.upgrade_block + 2000
    )
    block_hash = substrate.get_block_hash(block)
    body = substrate.get_block(block_hash)
    calls = [(x.value["call"]["call_module"], x.value["call"]["call_function"]) for x in body["extrinsics"]]
    assert calls[0] == ("Timestamp", "set")
    assert ("SubtensorModule", "remove_stake") in calls
    neurons = substrate.runtime_call("NeuronInfoRuntimeApi", "get_neurons_lite", [1], block_hash)
    assert len(neurons) == chain.params.max_uids
    incentive = sum(n["incentive"] for n in neurons) / 65535
    assert incentive == pytest.approx(1.0, abs=len(neurons) / 65535)
    subnets = substrate.runtime_call("SubnetInfoRuntimeApi", "get_all_dynamic_info", [], block_hash)
    live = [s for s in subnets if s is not None]
    assert len(live) == len(chain.state_at(block).subnets)
    assert all(s["tempo"] == 360 and s["tao_in"] >= 0 for s in live)


def test_bt_decode_decodes_the_same_events_and_neurons(devnet, chain, substrate):
    url = devnet.endpoints["subtensor"]
    upgrade = chain.params.upgrade_block
    for block in (
        _first_block_with(chain, "StakeAdded", upgrade - 3 * WINDOW, upgrade),
        _first_block_with(chain, "StakeAdded", upgrade + 1, upgrade + 3 * WINDOW),
    ):
        block_hash, parent = chain.block_hash(block), chain.block_hash(block - 1)
        meta_hex, events_hex, neurons_hex = (
            a["result"]
            for a in _rpc(
                url,
                [
                    ("state_call", ["Metadata_metadata_at_version", "0x0f000000", parent]),
                    ("state_getStorageAt", [EVENTS_KEY, block_hash]),
                    ("state_call", ["NeuronInfoRuntimeApi_get_neurons_lite", "0x0100", block_hash]),
                ],
            )
        )
        v15 = bt_decode.MetadataV15.decode_from_metadata_option(bytes.fromhex(meta_hex[2:]))
        registry = bt_decode.PortableRegistry.from_metadata_v15(v15)
        system = next(p for p in v15.value()["pallets"] if p["name"] == "System")
        events_ty = next(e for e in system["storage"]["entries"] if e["name"] == "Events")["ty"]["Plain"]
        records = bt_decode.decode(f"scale_info::{events_ty}", registry, bytes.fromhex(events_hex[2:]))
        ours = chain.events(block)
        assert len(records) == len(ours)
        stake = [
            r["event"]["SubtensorModule"][0]["StakeAdded"]
            for r in records
            if "SubtensorModule" in r["event"] and "StakeAdded" in r["event"]["SubtensorModule"][0]
        ]
        expected = next(e[3] for e in ours if e[2] == "StakeAdded")
        assert len(stake[0]) == (6 if block > upgrade else 5)
        assert list(stake[0][2:5]) == list(expected[2:5])
        # bt-decode's compiled NeuronInfoLite (subtensor's real layout) reads the runtime-API answer.
        neurons = bt_decode.NeuronInfoLite.decode_vec(bytes.fromhex(neurons_hex[2:]))
        via_client = substrate.runtime_call("NeuronInfoRuntimeApi", "get_neurons_lite", [1], block_hash)
        assert [n.uid for n in neurons] == [n["uid"] for n in via_client]
        assert [n.incentive for n in neurons] == [n["incentive"] for n in via_client]
        assert [n.emission for n in neurons] == [n["emission"] for n in via_client]


def test_real_spec343_metadata_decodes_like_ours_and_agrees_on_event_layout():
    real, real_codec = decode_metadata(FIXTURE.read_text().strip())
    ours, our_codec = decode_metadata(runtime_metadata(SPEC_NEW).v14)
    for metadata in (real, ours):
        assert "V14" in metadata.value[1]
        pallets = {p["name"]: p for p in metadata.value[1]["V14"]["pallets"]}
        assert pallets["SubtensorModule"]["index"] == 7 and pallets["Balances"]["index"] == 5
    # The same events encode to the same bytes under the real registry and under ours.
    acct_a, acct_b = "0x" + "11" * 32, "0x" + "22" * 32
    records = [
        {
            "phase": {"ApplyExtrinsic": 1},
            "event": {"SubtensorModule": {"StakeAdded": (acct_a, acct_b, 5, 6, 3, 7)}},
            "topics": [],
        },
        {
            "phase": {"ApplyExtrinsic": 1},
            "event": {"SubtensorModule": {"StakeRemoved": (acct_a, acct_b, 9, 8, 3, 1)}},
            "topics": [],
        },
        {
            "phase": {"ApplyExtrinsic": 2},
            "event": {"SubtensorModule": {"NeuronRegistered": (3, 17, acct_b)}},
            "topics": [],
        },
        {"phase": {"ApplyExtrinsic": 2}, "event": {"SubtensorModule": {"WeightsSet": (3, 17)}}, "topics": []},
        {
            "phase": {"ApplyExtrinsic": 2},
            "event": {"SubtensorModule": {"AxonServed": (3, acct_b)}},
            "topics": [],
        },
        {
            "phase": {"ApplyExtrinsic": 3},
            "event": {"SubtensorModule": {"NetworkAdded": (12, 1)}},
            "topics": [],
        },
        {"phase": {"ApplyExtrinsic": 3}, "event": {"SubtensorModule": {"NetworkRemoved": 12}}, "topics": []},
        {
            "phase": "Initialization",
            "event": {"Balances": {"Transfer": {"from": acct_a, "to": acct_b, "amount": 10**9}}},
            "topics": [],
        },
    ]

    def encode(metadata, codec) -> bytes:
        pallets = {p["name"]: p for p in metadata.value[1]["V14"]["pallets"]}
        entries = {e["name"]: e for e in pallets["System"]["storage"]["entries"]}
        ty = entries["Events"]["type"]["Plain"]
        return bytes(codec.create_scale_object(f"scale_info::{ty}", metadata=metadata).encode(records).data)

    assert encode(real, real_codec) == encode(ours, our_codec)


# ---------------------------------------------------------------------------- protocol
def test_json_rpc_batches_over_http_and_node_like_answers(devnet, chain):
    url = devnet.endpoints["subtensor"]
    head = chain.head(DEFAULT_NOW)
    answers = _rpc(
        url,
        [
            ("system_chain", []),
            ("system_properties", []),
            ("chain_getBlockHash", [head + 1000]),
            ("no_such_method", []),
            ("chain_getFinalizedHead", []),
            ("chain_getHead", []),
            ("state_getStorage", [storage_prefix("System", "Number"), chain.block_hash(1234)]),
            ("state_getStorageAt", [storage_prefix("Timestamp", "Now"), chain.block_hash(1234)]),
            ("rpc_methods", []),
            ("chain_getHeader", [chain.block_hash(head + 10)]),
            ("state_getRuntimeVersion", [chain.block_hash(10)]),
        ],
    )
    assert [a["id"] for a in answers] == list(range(11))
    assert answers[0]["result"] == "Bittensor"
    assert answers[1]["result"] == {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}
    assert answers[2]["result"] is None  # beyond the head, like a node
    assert answers[3]["error"]["code"] == -32601
    assert answers[4]["result"] == chain.block_hash(head - 2)
    assert answers[5]["result"] == chain.block_hash(head)
    assert int.from_bytes(bytes.fromhex(answers[6]["result"][2:]), "little") == 1234
    assert int.from_bytes(bytes.fromhex(answers[7]["result"][2:]), "little") == chain.timestamp_ms(1234)
    assert "state_call" in answers[8]["result"]["methods"]
    assert answers[9]["result"] is None
    assert answers[10]["result"]["specVersion"] == SPEC_OLD
    assert EVENTS_KEY == "0x" + (twox128(b"System") + twox128(b"Events")).hex()
    bad = httpx.post(url, content=b"{not json", timeout=10).json()
    assert bad["error"]["code"] == -32700


def test_same_seed_gives_identical_bytes():
    def answers(seed: int) -> str:
        rpc = SubtensorRpc(SubtensorChain(seed=seed), lambda: DEFAULT_NOW)
        chain = rpc.chain
        calls = []
        for block in (5, 700, 1500, 2900):
            h = chain.block_hash(block)
            calls += [
                {"jsonrpc": "2.0", "id": len(calls), "method": "chain_getBlock", "params": [h]},
                {
                    "jsonrpc": "2.0",
                    "id": len(calls) + 1,
                    "method": "state_getStorageAt",
                    "params": [EVENTS_KEY, h],
                },
            ]
        h = chain.block_hash(2900)
        calls.append(
            {
                "jsonrpc": "2.0",
                "id": 99,
                "method": "state_call",
                "params": ["SubnetInfoRuntimeApi_get_all_dynamic_info", "0x", h],
            }
        )
        return rpc.handle_text(json.dumps(calls))

    first, second, other = answers(11), answers(11), answers(12)
    assert first == second
    assert first != other


# ---------------------------------------------------------------------------- economics (hypothesis)
@given(st.integers(min_value=0, max_value=eco.TAO_CAP), st.integers(min_value=1, max_value=10**8))
@settings(max_examples=200, deadline=None)
def test_emission_follows_the_halving_schedule_and_respects_the_cap(initial, block):
    schedule = eco.IssuanceSchedule(initial)
    before = schedule.issued_at(block - 1)
    minted = schedule.emission_of_block(block)
    assert minted == eco.block_emission(before)
    assert minted == min(eco.BLOCK_EMISSION >> eco.halvings_at(before), eco.TAO_CAP - before)
    assert schedule.issued_at(block) <= eco.TAO_CAP


def test_default_history_halves_on_2025_12_12():
    chain = SubtensorChain(seed=SEED)
    halving = chain.params.halving_block
    assert chain.issuance.issued_at(halving) == 10_500_000 * eco.RAO_PER_TAO
    assert chain.issuance.emission_of_block(halving) == eco.RAO_PER_TAO  # 7,200 TAO/day
    assert chain.issuance.emission_of_block(halving + 1) == eco.RAO_PER_TAO // 2  # 3,600 TAO/day
    assert 0 < halving < chain.params.upgrade_block < chain.head(DEFAULT_NOW)


@given(
    st.integers(min_value=0, max_value=10**15),
    st.lists(st.floats(0, 1e6), min_size=1, max_size=64),
    st.lists(st.floats(0, 1e6), min_size=1, max_size=32),
)
@settings(max_examples=200, deadline=None)
def test_epoch_split_gives_the_owner_its_cut_and_halves_the_rest(emission, incentive, dividends):
    split = eco.split_emission(emission, np.array(incentive), np.array(dividends))
    assert split.owner + split.miner_total + split.validator_total == emission
    assert split.owner == emission * 11796 // 65535  # SubnetOwnerCut as the devnet serves it
    # The rest halved between miners and validators: about 41% each of the emission.
    assert split.miner_total == (emission - split.owner) // 2
    assert split.validator_total - split.miner_total in (0, 1)
    assert (split.miners >= 0).all() and (split.validators >= 0).all()


@st.composite
def subnet_epochs(draw):
    v = draw(st.integers(1, 12))
    n = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    stake = rng.lognormal(0, 2, v)
    weights = rng.random((v, n)) * (rng.random((v, n)) < 0.6)
    return stake, weights, rng.random((v, n))


@given(subnet_epochs())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_yuma_incentive_sums_to_one_and_consensus_is_the_stake_weighted_median(epoch):
    stake, weights, bonds_prev = epoch
    result = eco.yuma_consensus(stake, weights, bonds_prev)
    assert result.incentive.sum() == pytest.approx(1.0)
    assert (result.incentive >= 0).all()
    assert result.dividends.sum() == pytest.approx(1.0)
    s = stake / stake.sum()
    w = weights / np.where(weights.sum(1, keepdims=True) > 0, weights.sum(1, keepdims=True), 1)
    for j, c in enumerate(result.consensus):
        assert s[w[:, j] >= c].sum() >= eco.KAPPA - 1e-9  # enough stake supports C_j
        above = w[:, j][w[:, j] > c]
        if above.size:  # and no larger value is supported by kappa of the stake
            assert s[w[:, j] >= above.min()].sum() < eco.KAPPA + 1e-9
    assert (result.bonds.sum(axis=0)[weights.sum(0) > 0] <= 1 + 1e-9).all()


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=4, deadline=None)
def test_simulated_chain_keeps_stake_non_negative_and_splits_every_epoch(seed):
    params = ChainParams(seed=seed, scale=0.03)
    chain = SubtensorChain(params=params)
    windows = 24
    chain.window(windows)
    state = chain.state_at(windows * WINDOW - 1)
    assert chain.issuance.issued_at(state.block) <= eco.TAO_CAP
    for netuid, sn in state.subnets.items():
        assert all(alpha > 0 for alpha in sn.positions.values())
        assert all(alpha > 0 for alpha in sn.hot_stake.values())
        assert sn.tao_in >= 0 and sn.alpha_in >= 0 and sn.alpha_out >= 0
        if netuid and sn.last_split:
            emission, owner, miners, validators = sn.last_split
            assert owner + miners + validators == emission
            assert owner == emission * 11796 // 65535 and abs(miners - validators) <= 1
        if netuid and sn.n and sn.last_split:
            assert sn.scores["incentive"][: sn.n].sum() / 65535 == pytest.approx(1.0, abs=sn.n / 65535)
    for block in range(1, windows * WINDOW, 97):
        for _phase, _pallet, name, args in chain.events(block):
            if name in ("StakeAdded", "StakeRemoved"):
                assert min(args[2], args[3], args[5]) >= 0


def test_bench_reports_blocks_per_second(devnet):
    result = measure(devnet.endpoints["subtensor"], blocks=300, batch_size=100)
    assert result.blocks == 300
    assert result.blocks_per_second > 50


# ---------------------------------------------------------------------------- per-block issuance
DAY = 7200  # blocks per day; genesis is 2025-12-01 00:00 UTC, so day k is blocks 7200k .. 7200k + 7199
DEC_10, DEC_13 = 9 * DAY, 12 * DAY
TAO = eco.RAO_PER_TAO
EMISSION_ITEMS = (
    "SubnetTAO",
    "SubnetAlphaIn",
    "SubnetAlphaOut",
    "SubnetTaoInEmission",
    "SubnetExcessTao",
    "SubnetAlphaInEmission",
    "SubnetAlphaOutEmission",
)


def _u(value: str | None) -> int | None:
    return None if value is None else int.from_bytes(bytes.fromhex(value[2:]), "little")


def _storage(url: str, block_hash: str, keys: list[str]) -> dict[str, int | None]:
    (answer,) = _rpc(url, [("state_queryStorageAt", [keys, block_hash])])
    return {k: _u(v) for k, v in answer["result"][0]["changes"]}


def _blocks_with(chain: SubtensorChain, kind: str, start: int, stop: int) -> list[int]:
    return [op.block for w in range(start // WINDOW, stop // WINDOW + 1) for op in chain.window(w).ops
            if op.kind == kind and start <= op.block < stop]  # fmt: skip


def test_a_day_mints_7200_tao_before_the_halving_and_3600_after_and_the_subnets_receive_all_of_it(chain):
    for first, tao_per_day in ((DEC_10, 7_200), (DEC_13, 3_600)):
        record = chain.ledger(first, first + DAY - 1)
        (day,) = record["days"]
        assert day["complete"] and (day["first_block"], day["last_block"]) == (first, first + DAY - 1)
        assert day["minted"] == record["minted"] == tao_per_day * TAO  # to the rao
        received = sum(s["tao_in_emission"] + s["excess_tao"] for s in day["subnets"])
        assert received == tao_per_day * TAO
        assert all(s["netuid"] != 0 for s in day["subnets"])  # root receives no injection
        assert sum(s["excess_tao"] for s in day["subnets"]) < received  # most of it reaches the pools
        # Net issuance: minted less what registrations burned.
        assert day["total_issuance"] - day["total_issuance_before"] == day["minted"] - day["recycled"]
        assert 0 < day["recycled"] < day["minted"]


def test_the_halving_day_mints_one_block_at_1_tao_then_0_5(chain):
    halving = chain.params.halving_block
    assert halving % DAY == 0  # 2025-12-12 00:00 UTC is the first block of its day
    (day,) = chain.ledger(halving, halving + DAY - 1)["days"]
    assert day["minted"] == TAO + (DAY - 1) * TAO // 2


def test_every_block_splits_its_emission_exactly_over_the_subnets_as_the_storage_says(devnet, chain):
    """Per block: sum of injections + excess over the subnets (read over RPC) == BlockEmission read at
    the parent == the ledger's minted; the pools match the simulated state, across registrations."""
    url = devnet.endpoints["subtensor"]
    halving = chain.params.halving_block
    registrations = _blocks_with(chain, "register_network", DEC_10, DEC_13 + DAY)
    blocks = sorted(
        {halving - 1, halving, halving + 1, *registrations[:2], *(r + 1 for r in registrations[:2])}
    )
    record = chain.ledger(min(blocks) - 1, max(blocks), per_block=True)
    by_block = {row["block"]: row for row in record["blocks"]}
    plain = [
        storage_prefix("SubtensorModule", "BlockEmission"),
        storage_prefix("SubtensorModule", "TotalIssuance"),
    ]
    for block in blocks:
        state = chain.state_at(block)
        keys = plain + [storage_prefix("SubtensorModule", item) + n.to_bytes(2, "little").hex()
                        for n in range(max(state.subnets) + 2) for item in EMISSION_ITEMS]  # fmt: skip
        values = _storage(url, chain.block_hash(block), keys)
        parent = _storage(url, chain.block_hash(block - 1), plain)
        minted = parent[plain[0]]
        assert minted == (TAO if block <= halving else TAO // 2) == by_block[block]["minted"]
        received = 0
        for netuid in range(max(state.subnets) + 2):
            item = dict(zip(EMISSION_ITEMS, keys[2 + 7 * netuid : 9 + 7 * netuid], strict=True))
            tao = values[item["SubnetTAO"]]
            if netuid not in state.subnets:
                assert tao is None  # a subnet that does not exist has no value
                continue
            sn = state.subnets[netuid]
            assert (tao, values[item["SubnetAlphaIn"]], values[item["SubnetAlphaOut"]]) == (
                sn.tao_in, sn.alpha_in, sn.alpha_out)  # fmt: skip
            received += values[item["SubnetTaoInEmission"]] + values[item["SubnetExcessTao"]]
            assert values[item["SubnetAlphaInEmission"]] <= TAO  # the pool's alpha is capped per block
        assert received == minted
        assert values[plain[1]] - parent[plain[1]] == minted - by_block[block]["recycled"]


def test_an_epoch_pays_out_exactly_the_alpha_emitted_since_the_previous_one(chain):
    record = chain.ledger(DEC_10, DEC_10 + 3 * WINDOW)
    spans = record["emission_spans"]
    epochs = [e for e in record["epochs"] if e["block"] >= DEC_10 + WINDOW]
    assert {e["netuid"] for e in epochs} == {s["netuid"] for s in spans}
    for epoch in epochs:
        since = epoch["block"] - WINDOW  # tempo 360: the previous epoch of that subnet
        alpha = sum((min(s["last_block"], epoch["block"]) - max(s["first_block"], since + 1) + 1)
                    * s["alpha_out_emission"] for s in spans
                    if s["netuid"] == epoch["netuid"] and s["last_block"] > since and s["first_block"] <= epoch["block"])  # fmt: skip
        assert epoch["alpha_emission"] == alpha == WINDOW * TAO  # 1 alpha per block for 361 blocks
        parts = epoch["owner_alpha"] + epoch["miners_alpha"] + epoch["validators_alpha"]
        assert parts == alpha and epoch["owner_alpha"] == alpha * 11796 // 65535


def test_root_and_the_pools_hold_about_73_percent_of_the_issuance(chain):
    stakes = chain.ledger_stakes(DEC_10)
    root = next(s for s in stakes["subnets"] if s["netuid"] == 0)
    staked = sum(s["subnet_tao"] for s in stakes["subnets"])
    assert root["unit"] == "rao" and sum(h["stake"] for h in root["stakes"]) == root["subnet_tao"]
    assert 0.70 < staked / chain.total_issuance(DEC_10) < 0.78
    for subnet in stakes["subnets"][1:]:
        assert subnet["unit"] == "alpha" and 0 < sum(h["stake"] for h in subnet["stakes"])


def test_the_ledger_records_each_stake_operation_the_chain_applied(chain):
    """One record per StakeAdded / StakeRemoved the chain emitted, written as it applied the operation:
    same block, subnet, keys and amounts; the swap fee is 0.05% of the TAO paid in, or taken from the
    TAO paid out."""
    first, last = DEC_10, DEC_10 + 3 * WINDOW
    served = [
        (block, name, args)
        for block in range(first, last + 1)
        for _phase, _pallet, name, args in chain.events(block)
        if name in ("StakeAdded", "StakeRemoved")
    ]
    recorded = chain.ledger(first, last)["stake_operations"]
    assert len(recorded) == len(served) > 10
    for op, (block, name, (coldkey, hotkey, tao, alpha, netuid, fee)) in zip(recorded, served, strict=True):
        assert op == {"block": block, "operation": "add_stake" if name == "StakeAdded" else "remove_stake",
                      "netuid": netuid, "coldkey": coldkey, "hotkey": hotkey, "tao": tao, "alpha": alpha,
                      "fee": fee}  # fmt: skip
        if name == "StakeAdded":
            assert fee == tao * 5 // 10_000
    assert {op["operation"] for op in recorded} == {"add_stake", "remove_stake"}


def test_the_ledger_is_served_on_the_control_endpoint_with_integer_strings(devnet, chain):
    control = devnet.endpoints["control"] + "/subtensor/ledger"
    answer = httpx.get(control, params={"start_block": DEC_10, "end_block": DEC_10 + DAY - 1}, timeout=120)
    body = answer.json()
    assert answer.status_code == 200 and body["minted"] == str(7_200 * TAO)
    (day,) = body["days"]
    assert day["day"] == "2025-12-10" and day["complete"] is True and day["first_block"] == DEC_10
    assert all(isinstance(s["tao_in_emission"], str) and isinstance(s["netuid"], int) for s in day["subnets"])
    assert isinstance(body["epochs"][0]["subnet_tao"], str) and isinstance(body["epochs"][0]["block"], int)
    direct = chain.ledger(DEC_10, DEC_10 + DAY - 1)
    assert int(body["total_issuance"]) == direct["total_issuance"]
    stakes = httpx.get(control + "/stakes", params={"block": DEC_10}, timeout=60).json()
    assert stakes["block"] == DEC_10 and stakes["subnets"][0]["stakes"][0]["hotkey"].startswith("0x")
    head = chain.finalized(DEFAULT_NOW)
    late = httpx.get(control, params={"start_block": head, "end_block": head + 1}, timeout=10)
    assert late.status_code == 400 and "finalized head" in late.json()["error"]
    assert httpx.get(control, params={"start_block": "x"}, timeout=10).status_code == 400


def test_same_seed_gives_the_same_ledger_and_issuance_storage():
    def run(seed: int) -> str:
        chain = SubtensorChain(seed=seed)
        rpc = SubtensorRpc(chain, lambda: DEFAULT_NOW)
        keys = [storage_prefix("SubtensorModule", "TotalIssuance")] + [
            storage_prefix("SubtensorModule", item) + n.to_bytes(2, "little").hex()
            for n in range(4) for item in EMISSION_ITEMS]  # fmt: skip
        calls = [{"jsonrpc": "2.0", "id": b, "method": "state_queryStorageAt", "params": [keys, chain.block_hash(b)]}
                 for b in (1, 700, 2900)]  # fmt: skip
        return rpc.handle_text(json.dumps(calls)) + json.dumps(chain.ledger(1, 3000), sort_keys=True)

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_an_exchange_short_of_a_withdrawal_is_paid_by_the_richest_wallet_and_no_balance_goes_negative(chain):
    """At full scale the exchanges, which only pay out, run dry within days of history. A stake whose
    coldkey is short is then funded by a deposit from the richest wallet to the exchange; a stake
    that not even that can fund is not made. No balance ever goes below zero (a node would refuse the
    call; `System.Account` cannot encode a negative balance)."""
    from devnet.subtensor.chain import EXCHANGE_DEPOSIT_TAO, EXCHANGES, Op, _clone

    tao = 10**9
    state = _clone(chain.state_at(2 * WINDOW))
    wallets = chain.params.wallets
    netuid = next(n for n in state.subnets if n)
    poor = int(np.flatnonzero(state.exists[:wallets] & (state.free[:wallets] < tao))[0])
    hot = next(iter(state.subnets[netuid].hot_stake))
    stake = Op(2 * WINDOW, "add_stake", (netuid, hot, poor, 50 * tao))
    state.free[wallets : wallets + EXCHANGES] = 3 * tao  # every exchange nearly empty

    funded = _clone(state)
    whale = int(np.argmax(funded.free[:wallets]))
    whale_before = int(funded.free[whale])
    chain._apply(funded, stake, None)
    assert funded.nonce[poor] == state.nonce[poor] + 1  # the stake was made
    assert funded.nonce[whale] == state.nonce[whale] + 1  # after the whale's deposit
    # The whale paid the withdrawal (50 TAO + the stake's fee, rounded up, + 1..20 TAO) + the margin + its fee.
    paid = whale_before - int(funded.free[whale])
    assert (50 + 1 + EXCHANGE_DEPOSIT_TAO) * tao < paid < (50 + 1 + 20 + EXCHANGE_DEPOSIT_TAO + 1) * tao
    assert (funded.free >= 0).all()

    state.free[:wallets] = np.minimum(state.free[:wallets], tao)  # and nobody holds more than 1 TAO
    before_free, before_nonce = state.free.copy(), state.nonce.copy()
    chain._apply(state, stake, None)
    assert (state.free == before_free).all() and (state.nonce == before_nonce).all()
    assert (state.free >= 0).all()
