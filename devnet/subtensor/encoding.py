"""What the devnet's subtensor answers with, SCALE-encoded through its own metadata.

Headers and block bodies, storage values and keys, runtime-API results. The chain (chain.py) holds
plain values; this module turns them into the bytes and JSON shapes a Substrate node serves.

Issuance and pool storage at every block, under subtensor's names: `TotalIssuance` (Balances and
SubtensorModule: minted - recycled), `BlockEmission` (what the next block mints), `SubnetOwnerCut`
(u16, 18%), and per netuid (u16 key, Identity hasher, u64 values) `SubnetTAO`, `SubnetAlphaIn`,
`SubnetAlphaOut`, `SubnetTaoInEmission`, `SubnetExcessTao`, `SubnetAlphaInEmission`,
`SubnetAlphaOutEmission`, read from the chain's per-block record (`SubtensorChain.emission_state`).
A netuid that does not exist at the block has no value (None).

Accounts: `System.Account` (Blake2_128Concat of the account id) holds an `AccountInfo` for every
account existing after the block (`SubtensorChain.account_info`), and `state_getKeysPaged` pages
over its keys in key order, as a node does.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import xxhash

from devnet.subtensor.chain import (
    BLOCK_SECONDS,
    EXCHANGES,
    OWNER_CUT_U16,
    ROOT,
    TEMPO,
    ChainState,
    SubtensorChain,
    _hash32,
    hexs,
)
from devnet.subtensor.metadata import RuntimeMetadata, runtime_metadata

EVENTS_KEY = "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"


def twox128(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


def twox64(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1]


@lru_cache(maxsize=256)
def storage_prefix(pallet: str, item: str) -> str:
    return "0x" + (twox128(pallet.encode()) + twox128(item.encode())).hex()


def compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


def meta_for(chain: SubtensorChain, block: int) -> RuntimeMetadata:
    """The metadata of the runtime in the state after `block` (what runtime calls at that block use)."""
    return runtime_metadata(chain.spec_version(block))


# ------------------------------------------------------------------------------ headers and bodies
def header(chain: SubtensorChain, block: int) -> dict:
    meta = meta_for(chain, block)
    slot = (chain.params.genesis + block * BLOCK_SECONDS) // BLOCK_SECONDS
    logs = [
        meta.encode("DigestItem", {"PreRuntime": ("0x61757261", "0x" + slot.to_bytes(8, "little").hex())})
    ]
    if block == chain.params.upgrade_block and block > 0:
        logs.append(meta.encode("DigestItem", "RuntimeEnvironmentUpdated"))
    seal = hexs(hashlib.blake2b(f"{chain.block_hash(block)}/seal".encode(), digest_size=64).digest())
    logs.append(meta.encode("DigestItem", {"Seal": ("0x61757261", seal)}))
    return {
        "parentHash": chain.block_hash(block - 1) if block > 0 else "0x" + "00" * 32,
        "number": hex(block),
        "stateRoot": hexs(_hash32(chain.block_hash(block), "state")),
        "extrinsicsRoot": hexs(_hash32(chain.block_hash(block), "extrinsics")),
        "digest": {"logs": ["0x" + log.hex() for log in logs]},
    }


def _call_value(chain: SubtensorChain, call: tuple) -> tuple[str, dict, str]:
    """(signer, call value, kind) of a recorded extrinsic."""
    kind = call[0]
    if kind == "transfer":
        _, a, c, amount, function = call
        args = {"dest": {"Id": chain.coldkey(c)}, "value": amount}
        return (
            chain.coldkey(a),
            {"call_module": "Balances", "call_function": function, "call_args": args},
            kind,
        )
    if kind == "add_stake":
        _, netuid, hot, cold, tao = call
        args = {"hotkey": hot, "netuid": netuid, "amount_staked": tao}
        return chain.coldkey(cold), _sub("add_stake", args), kind
    if kind == "remove_stake":
        _, netuid, hot, cold, alpha = call
        args = {"hotkey": hot, "netuid": netuid, "amount_unstaked": alpha}
        return chain.coldkey(cold), _sub("remove_stake", args), kind
    if kind == "burned_register":
        _, netuid, hot, cold = call
        return chain.coldkey(cold), _sub("burned_register", {"netuid": netuid, "hotkey": hot}), kind
    if kind == "set_weights":
        _, netuid, hot, dests, weights = call
        args = {"netuid": netuid, "dests": dests, "weights": weights, "version_key": 0}
        return hot, _sub("set_weights", args), kind
    if kind == "serve_axon":
        _, netuid, hot = call
        ip = int.from_bytes(bytes.fromhex(hot[2:10]), "big")
        args = {
            "netuid": netuid,
            "version": 9_010_000,
            "ip": ip,
            "port": 8091,
            "ip_type": 4,
            "protocol": 4,
            "placeholder1": 0,
            "placeholder2": 0,
        }
        return hot, _sub("serve_axon", args), kind
    if kind == "register_network":
        _, hot, cold = call
        return chain.coldkey(cold), _sub("register_network", {"hotkey": hot}), kind
    raise ValueError(f"unknown extrinsic kind {kind}")


def _sub(function: str, args: dict) -> dict:
    return {"call_module": "SubtensorModule", "call_function": function, "call_args": args}


def extrinsics(chain: SubtensorChain, block: int) -> list[str]:
    """The block body: the timestamp inherent (unsigned), then signed extrinsics (v4), each with its
    signer's nonce (a hotkey's: derived) and tip."""
    meta = runtime_metadata(chain.spec_executing(block))
    out = []
    signed = chain.signed(block)
    for i, call in enumerate(chain.extrinsics(block)):
        if call[0] == "timestamp":
            body = b"\x04" + meta.encode(
                "RuntimeCall",
                {"call_module": "Timestamp", "call_function": "set", "call_args": {"now": call[1]}},
            )
        else:
            signer, value, _kind = _call_value(chain, call)
            seed = _hash32(chain.block_hash(block), "xt", i)
            signature = hexs(hashlib.blake2b(seed, digest_size=64).digest())
            nonce, tip = signed[i - 1]
            if nonce is None:
                nonce = int.from_bytes(seed[:2], "little")
            body = (
                b"\x84"
                + meta.encode("MultiAddress", {"Id": signer})
                + meta.encode("MultiSignature", {"Sr25519": signature})
                + meta.encode("Extra", ((), (), (), (), "00", nonce, (), tip))  # "00": Era::Immortal
                + meta.encode("RuntimeCall", value)
            )
        out.append("0x" + (compact(len(body)) + body).hex())
    return out


# ------------------------------------------------------------------------------ storage
def _u16(n: int) -> bytes:
    return int(n).to_bytes(2, "little")


def _u64(n: int) -> bytes:
    return int(n).to_bytes(8, "little")


def storage_value(chain: SubtensorChain, key: str, block: int) -> str | None:
    """The raw storage value under `key` after `block`, hex; None where the state holds nothing."""
    key = key.lower()
    if key == EVENTS_KEY:
        return "0x" + chain.encoded_events(block).hex()
    simple = {
        storage_prefix("System", "Number"): lambda: int(block).to_bytes(4, "little"),
        storage_prefix("System", "ParentHash"): lambda: bytes.fromhex(
            (chain.block_hash(block - 1) if block > 0 else "0x" + "00" * 32)[2:]
        ),
        storage_prefix("System", "EventCount"): lambda: len(chain.events(block)).to_bytes(4, "little"),
        storage_prefix("Timestamp", "Now"): lambda: _u64(chain.timestamp_ms(block)),
        storage_prefix("Balances", "TotalIssuance"): lambda: _u64(chain.total_issuance(block)),
        storage_prefix("SubtensorModule", "TotalIssuance"): lambda: _u64(chain.total_issuance(block)),
        storage_prefix("SubtensorModule", "BlockEmission"): lambda: _u64(
            chain.issuance.emission_of_block(block + 1)
        ),
        storage_prefix("SubtensorModule", "SubnetOwnerCut"): lambda: _u16(OWNER_CUT_U16),
        storage_prefix("SubtensorModule", "TotalNetworks"): lambda: _u16(len(chain.state_at(block).subnets)),
        storage_prefix("SubtensorModule", "TotalStake"): lambda: _u64(
            sum(sn.tao_in for sn in chain.state_at(block).subnets.values())
        ),
    }
    if key in simple:
        return "0x" + simple[key]().hex()
    if key.startswith(ACCOUNT_PREFIX) and len(key) == len(ACCOUNT_PREFIX) + 96:
        account = _account_ids(chain).get(key)
        info = None if account is None else chain.account_info(block, account)
        if info is None:
            return None
        return "0x" + runtime_metadata(chain.spec_version(block)).encode("AccountInfo", info).hex()
    block_hash_prefix = storage_prefix("System", "BlockHash")
    if key.startswith(block_hash_prefix) and len(key) == len(block_hash_prefix) + 24:
        n = int.from_bytes(bytes.fromhex(key[-8:]), "little")
        if n <= block and block - n <= 4096:
            return chain.block_hash(n)
        return None
    if len(key) == _MAP_KEY_LENGTH:
        item = _EMISSION_PREFIXES.get(key[:-4])
        if item is not None:
            values = chain.subnet_values(block, int.from_bytes(bytes.fromhex(key[-4:]), "little"))
            return None if values is None else "0x" + _u64(values[item]).hex()
        for item, getter in SUBNET_MAPS.items():
            if key.startswith(storage_prefix("SubtensorModule", item)):
                netuid = int.from_bytes(bytes.fromhex(key[-4:]), "little")
                sn = chain.state_at(block).subnets.get(netuid)
                return None if sn is None else "0x" + getter(sn).hex()
    return None


SUBNET_MAPS = {
    "Tempo": lambda sn: _u16(TEMPO),
    "SubnetworkN": lambda sn: _u16(sn.n),
}
#: Maps served from the chain's per-block record (`SubtensorChain.emission_state`), by value index.
EMISSION_MAPS = (
    "SubnetTAO",
    "SubnetAlphaIn",
    "SubnetAlphaOut",
    "SubnetTaoInEmission",
    "SubnetExcessTao",
    "SubnetAlphaInEmission",
    "SubnetAlphaOutEmission",
)
_EMISSION_PREFIXES = {storage_prefix("SubtensorModule", item): i for i, item in enumerate(EMISSION_MAPS)}
_MAP_KEY_LENGTH = len(storage_prefix("SubtensorModule", "Tempo")) + 4  # prefix + u16 (Identity hasher)


ACCOUNT_PREFIX = storage_prefix("System", "Account")


def account_key(account_id: str) -> str:
    """The System.Account key of a 0x account id (Blake2_128Concat)."""
    raw = bytes.fromhex(account_id[2:])
    return ACCOUNT_PREFIX + hashlib.blake2b(raw, digest_size=16).hexdigest() + raw.hex()


@lru_cache(maxsize=4)
def _account_keys(chain: SubtensorChain) -> tuple[list[str], np.ndarray]:
    """Every possible account's System.Account key, sorted, and the coldkey id of each."""
    total = chain.params.wallets + EXCHANGES
    keys = [account_key(chain.coldkey(i)) for i in range(total)]
    order = np.array(sorted(range(total), key=keys.__getitem__), dtype=np.int64)
    return [keys[i] for i in order], order


@lru_cache(maxsize=4)
def _account_ids(chain: SubtensorChain) -> dict[str, int]:
    keys, order = _account_keys(chain)
    return dict(zip(keys, (int(i) for i in order), strict=True))


def account_keys(chain: SubtensorChain, block: int) -> list[str]:
    """The System.Account keys holding a value after `block`, sorted."""
    keys, order = _account_keys(chain)
    exists = chain.state_at(block).exists
    return [k for k, present in zip(keys, exists[order], strict=True) if present]


def storage_keys(chain: SubtensorChain, prefix: str, block: int) -> list[str]:
    """All keys under `prefix` that hold a value after `block`, sorted (what state_getKeysPaged pages over)."""
    prefix = prefix.lower()
    keys: list[str] = []
    if ACCOUNT_PREFIX.startswith(prefix) or prefix.startswith(ACCOUNT_PREFIX):
        keys += account_keys(chain, block)
    state = None
    for item in (*SUBNET_MAPS, *EMISSION_MAPS):
        map_prefix = storage_prefix("SubtensorModule", item)
        if map_prefix.startswith(prefix) or prefix.startswith(map_prefix):
            state = state or chain.state_at(block)
            keys += [map_prefix + _u16(n).hex() for n in state.subnets]
    plain = [
        storage_prefix(p, i)
        for p, i in (
            ("System", "Number"),
            ("System", "ParentHash"),
            ("System", "Events"),
            ("System", "EventCount"),
            ("Timestamp", "Now"),
            ("Balances", "TotalIssuance"),
            ("SubtensorModule", "TotalIssuance"),
            ("SubtensorModule", "TotalStake"),
            ("SubtensorModule", "TotalNetworks"),
            ("SubtensorModule", "BlockEmission"),
            ("SubtensorModule", "SubnetOwnerCut"),
        )
    ]
    keys += [k for k in plain if k.startswith(prefix)]
    return sorted(k for k in keys if k.startswith(prefix))


# ------------------------------------------------------------------------------ runtime API
def neurons_lite(chain: SubtensorChain, state: ChainState, netuid: int, block: int) -> list[dict] | None:
    sn = state.subnets.get(netuid)
    if sn is None or netuid == ROOT:
        return None
    by_hot: dict[str, list[tuple[str, int]]] = {}
    live = set(sn.hotkeys[: sn.n])
    for (hot, cold), alpha in sn.positions.items():
        if hot in live:
            by_hot.setdefault(hot, []).append((chain.coldkey(cold), alpha))
    out = []
    for uid in range(sn.n):
        hot = sn.hotkeys[uid]
        served = int(sn.axon_block[uid])
        ip = int.from_bytes(bytes.fromhex(hot[2:10]), "big") if served else 0
        out.append(
            {
                "hotkey": hot,
                "coldkey": chain.coldkey(int(sn.coldkeys[uid])),
                "uid": uid,
                "netuid": netuid,
                "active": bool(block - int(sn.last_update[uid]) < 5000),
                "axon_info": {
                    "block": served,
                    "version": 9_010_000 if served else 0,
                    "ip": ip,
                    "port": 8091 if served else 0,
                    "ip_type": 4 if served else 0,
                    "protocol": 4 if served else 0,
                    "placeholder1": 0,
                    "placeholder2": 0,
                },
                "prometheus_info": {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0},
                "stake": by_hot.get(hot, []),
                "rank": int(sn.scores["rank"][uid]),
                "emission": int(sn.emission[uid]),
                "incentive": int(sn.scores["incentive"][uid]),
                "consensus": int(sn.scores["consensus"][uid]),
                "trust": int(sn.scores["trust"][uid]),
                "validator_trust": int(sn.scores["validator_trust"][uid]),
                "dividends": int(sn.scores["dividends"][uid]),
                "last_update": int(sn.last_update[uid]),
                "validator_permit": bool(sn.permit[uid]),
                "pruning_score": int(sn.scores["pruning"][uid]),
            }
        )
    return out


def dynamic_info(chain: SubtensorChain, state: ChainState, netuid: int, block: int) -> dict | None:
    sn = state.subnets.get(netuid)
    if sn is None:
        return None
    # The block's emission parts from the subnet's own plan (the state may be a walk's, not state_at's).
    parts = sn.plan.get(chain.issuance.emission_of_block(block)) if block > sn.registered_at else None
    tao_in_em, _excess, alpha_in_em, alpha_out_em = parts or (0, 0, 0, 0)
    return {
        "netuid": netuid,
        "owner_hotkey": sn.owner_hot,
        "owner_coldkey": chain.coldkey(sn.owner_cold),
        "subnet_name": list(sn.name.encode()),
        "token_symbol": list(sn.symbol.encode()),
        "tempo": TEMPO,
        "last_step": sn.last_step,
        "blocks_since_last_step": max(0, block - sn.last_step),
        "emission": tao_in_em,
        "alpha_in": sn.alpha_in,
        "alpha_out": sn.alpha_out,
        "tao_in": sn.tao_in,
        "alpha_out_emission": alpha_out_em,
        "alpha_in_emission": alpha_in_em,
        "tao_in_emission": tao_in_em,
        "pending_alpha_emission": sn.pending_alpha,
        "pending_root_emission": 0,
        "subnet_volume": sn.volume,
        "network_registered_at": sn.registered_at,
        "subnet_identity": None,
        "moving_price": {"bits": int(np.float64(sn.moving_price) * (1 << 32))},
    }


class RuntimeApiError(Exception):
    pass


def state_call(chain: SubtensorChain, method: str, data: bytes, block: int) -> bytes:
    """Execute a runtime API call at `block` (in the state after it) and return the SCALE result."""
    meta = meta_for(chain, block)
    if method == "Metadata_metadata_at_version":
        version = int.from_bytes(data[:4].ljust(4, b"\0"), "little")
        blob = {14: meta.v14, 15: meta.v15}.get(version)
        return meta.encode("OptionOpaqueMetadata", None if blob is None else "0x" + blob.hex())
    if method == "Metadata_metadata":
        return meta.encode("OpaqueMetadata", "0x" + meta.v14.hex())
    if method == "Metadata_metadata_versions":
        return meta.encode("VecU32", [14, 15])
    if method == "Core_version":
        rv = meta.runtime_version()
        return meta.encode(
            "RuntimeVersion",
            {
                "spec_name": rv["specName"],
                "impl_name": rv["implName"],
                "authoring_version": 1,
                "spec_version": rv["specVersion"],
                "impl_version": 1,
                "apis": [(api, version) for api, version in rv["apis"]],
                "transaction_version": 1,
                "system_version": 1,
            },
        )
    if method == "NeuronInfoRuntimeApi_get_neurons_lite":
        netuid = int.from_bytes(data[:2], "little")
        neurons = neurons_lite(chain, chain.state_at(block), netuid, block)
        return meta.encode("NeuronInfoLiteVec", neurons or [])
    if method == "NeuronInfoRuntimeApi_get_neuron_lite":
        netuid, uid = int.from_bytes(data[:2], "little"), int.from_bytes(data[2:4], "little")
        neurons = neurons_lite(chain, chain.state_at(block), netuid, block) or []
        return meta.encode("OptionNeuronInfoLite", neurons[uid] if uid < len(neurons) else None)
    if method == "SubnetInfoRuntimeApi_get_all_dynamic_info":
        state = chain.state_at(block)
        top = max(state.subnets) if state.subnets else -1
        return meta.encode("DynamicInfoVec", [dynamic_info(chain, state, n, block) for n in range(top + 1)])
    if method == "SubnetInfoRuntimeApi_get_dynamic_info":
        netuid = int.from_bytes(data[:2], "little")
        return meta.encode("OptionDynamicInfo", dynamic_info(chain, chain.state_at(block), netuid, block))
    raise RuntimeApiError(f"Client error: Execution failed: Other: Exported method {method} is not found")
