"""The devnet's compiled SCALE encoders write exactly the bytes scalecodec's generic codec writes.

Every value the devnet encodes while serving a small chain's first three windows (System.Events,
block bodies, header digests, System.Account, every runtime API) is re-encoded through scalecodec
and compared byte for byte; so are values of the registry's types the devnet never emits. A value
of the wrong shape raises instead of writing bytes.
"""

from __future__ import annotations

from collections import Counter

import pytest

from devnet.subtensor import encoding
from devnet.subtensor.chain import BLOCK_SECONDS, GENESIS, WINDOW, ChainParams, SubtensorChain
from devnet.subtensor.metadata import (
    SPEC_NEW,
    SPEC_OLD,
    RuntimeMetadata,
    ScaleEncodeError,
    runtime_metadata,
)

UPGRADE = 700  # the runtime upgrade's block on the test chain
BLOCKS = range(1, 3 * WINDOW)
#: Every event the devnet's chain emits (chain.py's `_op_*`, fees and accounts).
EMITTED = {
    "ExtrinsicSuccess",
    "NewAccount",
    "CodeUpdated",
    "Endowed",
    "Transfer",
    "Withdraw",
    "Deposit",
    "TransactionFeePaid",
    "NetworkAdded",
    "NetworkRemoved",
    "StakeAdded",
    "StakeRemoved",
    "WeightsSet",
    "NeuronRegistered",
    "AxonServed",
    "IncentiveAlphaEmittedToMiners",
}
ALICE = "0x" + "d4" * 32
BOB = "0x" + "8e" * 32


@pytest.fixture(scope="module")
def chain():
    """A small chain whose first three windows hold every event kind: the upgrade at block 700, and
    the subnets reach their limit early, so networks are removed as well as added."""
    params = ChainParams(
        seed=7,
        scale=0.05,
        upgrade_at=GENESIS + UPGRADE * BLOCK_SECONDS,
        reference_now=GENESIS + 3 * WINDOW * BLOCK_SECONDS,
    )
    return SubtensorChain(params=params)


def scalecodec(meta: RuntimeMetadata, type_name: str, value) -> bytes:
    obj = meta.runtime_config.create_scale_object(
        f"scale_info::{meta.type_ids[type_name]}", metadata=meta.decoded
    )
    return bytes(obj.encode(value).data)


@pytest.fixture(scope="module")
def served(chain):
    """(runtime, type name, value, bytes) of every encode the devnet made while serving the chain."""
    calls = []
    encode = RuntimeMetadata.encode

    def recording(self, type_name, value):
        data = encode(self, type_name, value)
        calls.append((self, type_name, value, data))
        return data

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RuntimeMetadata, "encode", recording)
        for block in BLOCKS:
            encoding.storage_value(chain, encoding.EVENTS_KEY, block)
            encoding.extrinsics(chain, block)
            encoding.header(chain, block)
        for block in (UPGRADE - 1, UPGRADE, BLOCKS[-1]):
            for key in encoding.account_keys(chain, block)[:20]:
                encoding.storage_value(chain, key, block)
            subnets = sorted(chain.state_at(block).subnets)
            calls_at = [
                ("Metadata_metadata", b""),
                ("Metadata_metadata_versions", b""),
                ("Core_version", b""),
                ("SubnetInfoRuntimeApi_get_all_dynamic_info", b""),
                *[("Metadata_metadata_at_version", v.to_bytes(4, "little")) for v in (14, 15, 16)],
                *[("SubnetInfoRuntimeApi_get_dynamic_info", n.to_bytes(2, "little")) for n in (1, 999)],
                *[("NeuronInfoRuntimeApi_get_neurons_lite", n.to_bytes(2, "little")) for n in subnets],
                ("NeuronInfoRuntimeApi_get_neuron_lite", subnets[-1].to_bytes(2, "little") + b"\0\0"),
                ("NeuronInfoRuntimeApi_get_neuron_lite", subnets[-1].to_bytes(2, "little") + b"\xff\0"),
            ]
            for method, data in calls_at:
                encoding.state_call(chain, method, data, block)
    return calls


def test_served_values_cover_every_type_event_and_both_runtimes(served):
    types = Counter(name for _, name, _, _ in served)
    assert set(types) == {
        "EventRecords",
        "RuntimeCall",
        "MultiAddress",
        "MultiSignature",
        "Extra",
        "DigestItem",
        "AccountInfo",
        "OpaqueMetadata",
        "OptionOpaqueMetadata",
        "VecU32",
        "RuntimeVersion",
        "DynamicInfoVec",
        "OptionDynamicInfo",
        "NeuronInfoLiteVec",
        "OptionNeuronInfoLite",
    }
    events = {
        (meta.spec_version, name)
        for meta, type_name, records, _ in served
        if type_name == "EventRecords"
        for record in records
        for pallet in record["event"].values()
        for name in pallet
    }
    assert {name for _, name in events} == EMITTED
    assert {(SPEC_OLD, "StakeAdded"), (SPEC_NEW, "StakeAdded")} <= events
    calls = {value["call_function"] for _, name, value, _ in served if name == "RuntimeCall"}
    assert {"set", "add_stake", "remove_stake", "burned_register", "set_weights", "serve_axon"} <= calls
    assert {"register_network", "transfer_keep_alive", "transfer_allow_death"} <= calls


def test_served_bytes_equal_scalecodecs(served):
    for meta, type_name, value, data in served:
        assert data == scalecodec(meta, type_name, value), (meta.spec_version, type_name, value)


def _record(phase, pallet: str, name: str, args) -> dict:
    return {"phase": phase, "event": {pallet: {name: args}}, "topics": []}


SYNTHETIC = [
    (
        "EventRecords",
        [
            _record(
                {"ApplyExtrinsic": 3},
                "System",
                "ExtrinsicFailed",
                {
                    "dispatch_error": {"Module": {"index": 7, "error": "0x09000000"}},
                    "dispatch_info": {
                        "weight": {"ref_time": 2**64 - 1, "proof_size": 0},
                        "class": "Operational",
                        "pays_fee": "No",
                    },
                },
            ),
            _record(
                "Finalization",
                "System",
                "ExtrinsicFailed",
                {
                    "dispatch_error": "BadOrigin",
                    "dispatch_info": {
                        "weight": {"ref_time": 64, "proof_size": 16384},
                        "class": "Mandatory",
                        "pays_fee": "Yes",
                    },
                },
            ),
            _record("Initialization", "System", "KilledAccount", {"account": ALICE}),
            _record("Initialization", "System", "Remarked", {"sender": ALICE, "hash": BOB}),
            _record({"ApplyExtrinsic": 2**32 - 1}, "Balances", "DustLost", {"account": BOB, "amount": 1}),
            _record("Initialization", "Balances", "Issued", {"amount": 2**64 - 1}),
            _record("Initialization", "SubtensorModule", "StakeMoved", (ALICE, BOB, 1, ALICE, 65535, 2**63)),
            {**_record("Finalization", "SubtensorModule", "NetworkRemoved", 9), "topics": [ALICE, BOB]},
        ],
    ),
    ("DigestItem", {"Other": "0x"}),
    ("DigestItem", {"Consensus": ("0x46524e4b", "0x0102")}),
    ("MultiAddress", {"Raw": "0x00ff"}),
    ("MultiAddress", {"Address32": ALICE}),
    ("MultiAddress", {"Address20": "0x" + "ab" * 20}),
    ("MultiSignature", {"Ed25519": "0x" + "01" * 64}),
    ("MultiSignature", {"Ecdsa": "0x" + "02" * 65}),
    (
        "RuntimeCall",
        {"call_module": "System", "call_function": "remark", "call_args": {"remark": "0x" + "ee" * 300}},
    ),
    (
        "RuntimeCall",
        {
            "call_module": "SubtensorModule",
            "call_function": "serve_axon",
            "call_args": {
                "netuid": 1,
                "version": 2**32 - 1,
                "ip": 2**128 - 1,
                "port": 65535,
                "ip_type": 6,
                "protocol": 255,
                "placeholder1": 0,
                "placeholder2": 0,
            },
        },
    ),
    *[
        ("RuntimeCall", {"call_module": "Timestamp", "call_function": "set", "call_args": {"now": n}})
        for n in (0, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**32, 2**56, 2**64 - 1)
    ],
    (
        "OptionDynamicInfo",
        {
            "netuid": 65535,
            "owner_hotkey": ALICE,
            "owner_coldkey": BOB,
            "subnet_name": [],
            "token_symbol": [255, 0],
            "tempo": 360,
            "last_step": 2**64 - 1,
            "blocks_since_last_step": 0,
            "emission": 1,
            "alpha_in": 2,
            "alpha_out": 3,
            "tao_in": 4,
            "alpha_out_emission": 5,
            "alpha_in_emission": 6,
            "tao_in_emission": 7,
            "pending_alpha_emission": 8,
            "pending_root_emission": 9,
            "subnet_volume": 2**128 - 1,
            "network_registered_at": 10,
            "subnet_identity": {
                key: "0x" + key.encode().hex()
                for key in (
                    "subnet_name",
                    "github_repo",
                    "subnet_contact",
                    "subnet_url",
                    "discord",
                    "description",
                    "logo_url",
                    "additional",
                )
            },
            "moving_price": {"bits": -(2**127)},
        },
    ),
]


@pytest.mark.parametrize("spec", [SPEC_OLD, SPEC_NEW])
def test_values_the_devnet_never_emits_encode_like_scalecodec(spec):
    meta = runtime_metadata(spec)
    for type_name, value in SYNTHETIC:
        assert meta.encode(type_name, value) == scalecodec(meta, type_name, value), (type_name, value)


def _transfer(amount) -> list[dict]:
    return [_record("Initialization", "Balances", "Transfer", {"from": ALICE, "to": BOB, "amount": amount})]


def _stake_added_without_fee() -> list[dict]:
    args = (ALICE, BOB, 10, 9, 1)  # spec 342's layout, encoded with spec 343's metadata
    return [_record({"ApplyExtrinsic": 1}, "SubtensorModule", "StakeAdded", args)]


@pytest.mark.parametrize(
    ("type_name", "value", "where"),
    [
        ("EventRecords", _transfer(-1), "EventRecords[0].event::Balances::Transfer.amount: u64"),
        ("EventRecords", _transfer(2**64), "EventRecords[0].event::Balances::Transfer.amount: u64"),
        ("EventRecords", _transfer(1.5), "EventRecords[0].event::Balances::Transfer.amount: u64"),
        ("EventRecords", _transfer("5"), "EventRecords[0].event::Balances::Transfer.amount: u64"),
        (
            "EventRecords",
            [_record(1, "Balances", "Transfer", {"from": ALICE, "to": BOB})],
            "EventRecords[0].phase: Phase takes a variant name",
        ),
        (
            "EventRecords",
            [_record("Initialization", "Balances", "Transfer", {"from": ALICE, "to": BOB})],
            "Transfer takes a dict of ['from', 'to', 'amount']",
        ),
        (
            "EventRecords",
            [
                _record(
                    "Initialization", "Balances", "Transfer", {"from": ALICE, "to": BOB, "amount": 1, "x": 2}
                )
            ],
            "Transfer takes a dict of ['from', 'to', 'amount']",
        ),
        (
            "EventRecords",
            [_record("Initialization", "Balances", "Teleported", {})],
            "event::Balances: Event has no variant 'Teleported'",
        ),
        (
            "EventRecords",
            [_record("Initialization", "System", "CodeUpdated", {"code": "0x00"})],
            "CodeUpdated has no fields",
        ),
        (
            "EventRecords",
            [_record("Initialization", "System", "NewAccount", {"account": "0x" + "00" * 31})],
            "NewAccount.account: [u8; 32] takes 32 bytes, got 31",
        ),
        (
            "EventRecords",
            [_record("Initialization", "System", "NewAccount", {"account": "5Grwva"})],
            "NewAccount.account: [u8; 32] takes 32 items",
        ),
        ("EventRecords", _stake_added_without_fee(), "StakeAdded: Event::StakeAdded takes a tuple of 6"),
        ("EventRecords", {"phase": "Initialization"}, "EventRecords: Vec<EventRecord> takes a list"),
        ("DigestItem", "Seal", "DigestItem::Seal has fields"),
        ("DigestItem", {"Seal": ("0x61757261",)}, "DigestItem::Seal takes a tuple of 2"),
        ("DigestItem", {"Seal": ("0x61757261", "zz")}, "DigestItem::Seal.1: Vec<u8> takes a list"),
        ("MultiSignature", {"Sr25519": "0xzz"}, "not hex"),
        ("AccountInfo", {"nonce": 0}, "AccountInfo takes a dict"),
        ("VecU32", 14, "VecU32: Vec<u32> takes a list or tuple"),
        ("VecU32", [14, None], "VecU32[1]: u32 takes an integer"),
        ("OptionNeuronInfoLite", {"uid": 1}, "NeuronInfoLite takes a dict"),
        ("RuntimeVersion", {"spec_name": b"x"}, "RuntimeVersion takes a dict"),
        ("Extra", ((), (), (), (), "01", 0, (), 0), "Extra.4: Era has no variant '01'"),
        ("Extra", ((), (), (), (), "00", 0, (), -1), "Extra.7: Compact<u64> takes an integer"),
        ("Extra", ((), (), (), (), "00", 0, ()), "takes a tuple of 8, got tuple"),
        (
            "RuntimeCall",
            {"call_module": "Balances", "call_function": "burn", "call_args": {}},
            "RuntimeCall::Balances: Call has no variant 'burn'",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_raises_instead_of_writing_bytes(type_name, value, where):
    meta = runtime_metadata(SPEC_NEW)
    with pytest.raises(ScaleEncodeError) as raised:
        meta.encode(type_name, value)
    assert where in str(raised.value)


def test_booleans_integers_and_strings_are_not_taken_for_one_another():
    meta = runtime_metadata(SPEC_NEW)
    version = {
        "spec_name": "node-subtensor",
        "impl_name": "node-subtensor",
        "authoring_version": 1,
        "spec_version": SPEC_NEW,
        "impl_version": 1,
        "apis": [("0x" + "00" * 8, 1)],
        "transaction_version": 1,
        "system_version": 1,
    }
    assert meta.encode("RuntimeVersion", version) == scalecodec(meta, "RuntimeVersion", version)
    with pytest.raises(ScaleEncodeError, match=r"RuntimeVersion\.spec_name: str takes a str"):
        meta.encode("RuntimeVersion", {**version, "spec_name": b"node"})
    with pytest.raises(ScaleEncodeError, match=r"RuntimeVersion\.apis\[0\]\.0: \[u8; 8\] takes 8 bytes"):
        meta.encode("RuntimeVersion", {**version, "apis": [("0x00", 1)]})
    axon = dict.fromkeys(
        ("block", "version", "ip", "port", "ip_type", "protocol", "placeholder1", "placeholder2"), 0
    )
    neuron = {
        "hotkey": ALICE,
        "coldkey": BOB,
        "uid": 3,
        "netuid": 1,
        "active": True,
        "axon_info": axon,
        "prometheus_info": {key: 0 for key in ("block", "version", "ip", "port", "ip_type")},
        "stake": [(BOB, 2**64 - 1)],
        **dict.fromkeys(("rank", "emission", "incentive", "consensus", "trust", "validator_trust"), 1),
        "dividends": 65535,
        "last_update": 5,
        "validator_permit": False,
        "pruning_score": 0,
    }
    assert meta.encode("OptionNeuronInfoLite", neuron) == scalecodec(meta, "OptionNeuronInfoLite", neuron)
    with pytest.raises(ScaleEncodeError, match=r"OptionNeuronInfoLite\.active: bool takes True or False"):
        meta.encode("OptionNeuronInfoLite", {**neuron, "active": 1})
    with pytest.raises(ScaleEncodeError, match=r"OptionNeuronInfoLite\.uid: Compact<u16> takes an integer"):
        meta.encode("OptionNeuronInfoLite", {**neuron, "uid": 65536})
    with pytest.raises(ScaleEncodeError, match=r"OptionNeuronInfoLite\.stake\[0\]\.1: Compact<u64>"):
        meta.encode("OptionNeuronInfoLite", {**neuron, "stake": [(BOB, 2**64)]})
