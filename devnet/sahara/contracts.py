"""The modelled contracts of Sahara Chain's EVM, read from the ABI files in `etl/abi/`.

Topic 0 of an event is keccak256 of its canonical signature (`Name(type1,type2,...)`); indexed
arguments become the following topics (all modelled indexed types are static, one 32-byte word
each); the other arguments are ABI-encoded with eth-abi into the log's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from eth_abi import decode, encode
from eth_hash.auto import keccak

ABI_DIR = Path(__file__).resolve().parents[2] / "etl" / "abi"

#: ABI file of each modelled contract (the token's file holds the ERC-20 Transfer event).
CONTRACT_FILES = {
    "DataServices": "DataServices.json",
    "Marketplace": "Marketplace.json",
    "Reputation": "Reputation.json",
    "SAHARA": "ERC20.json",
}


def devnet_address(name: str) -> bytes:
    """The devnet's deployment address of a contract: keccak256('decai-devnet/<name>')[12:]."""
    return keccak(f"decai-devnet/{name}".encode())[12:]


ADDRESSES = {name: devnet_address(name) for name in (*CONTRACT_FILES, "Unknown")}
#: Marketplace asset kinds (the `kind` field of AssetListed).
KIND_MODEL, KIND_DATASET, KIND_COMPUTE = 0, 1, 2


def load_abi(path: str | Path) -> list[dict]:
    """The ABI array of a file: a bare ABI array or an object holding one under `abi`."""
    data = json.loads(Path(path).read_text())
    return data["abi"] if isinstance(data, dict) else data


@dataclass(frozen=True)
class EventSpec:
    contract: str
    name: str
    signature: str
    topic0: bytes
    indexed: tuple[tuple[str, str], ...]  # (name, type)
    data: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        return f"{self.contract}.{self.name}"

    def topics(self, indexed_values: tuple) -> list[bytes]:
        return [self.topic0] + [
            encode([typ], [value]) for (_, typ), value in zip(self.indexed, indexed_values, strict=True)
        ]

    def encode_data(self, values: tuple) -> bytes:
        return encode([typ for _, typ in self.data], list(values))

    def decode(self, topics: list[bytes], data: bytes) -> dict:
        """Decode a log back to {argument: value} with eth-abi, as a connector would."""
        out: dict = {}
        for (name, typ), topic in zip(self.indexed, topics[1:], strict=True):
            out[name] = decode([typ], topic)[0]
        for (name, _), value in zip(self.data, decode([t for _, t in self.data], data), strict=True):
            out[name] = value
        return out


@cache
def event_specs() -> dict[str, EventSpec]:
    """Every modelled event by `Contract.Event` key."""
    specs: dict[str, EventSpec] = {}
    for contract, filename in CONTRACT_FILES.items():
        for item in load_abi(ABI_DIR / filename):
            if item.get("type") != "event":
                continue
            inputs = item["inputs"]
            signature = f"{item['name']}({','.join(i['type'] for i in inputs)})"
            spec = EventSpec(
                contract=contract,
                name=item["name"],
                signature=signature,
                topic0=keccak(signature.encode()),
                indexed=tuple((i["name"], i["type"]) for i in inputs if i.get("indexed")),
                data=tuple((i["name"], i["type"]) for i in inputs if not i.get("indexed")),
            )
            specs[spec.key] = spec
    return specs


def by_topic0() -> dict[bytes, EventSpec]:
    return {spec.topic0: spec for spec in event_specs().values()}


def merkle_root(leaves: list[bytes]) -> bytes:
    """keccak256 Merkle root: pairs hashed in order, an odd last node carried up; zero for no leaves."""
    if not leaves:
        return b"\x00" * 32
    level = list(leaves)
    while len(level) > 1:
        nxt = [keccak(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]
