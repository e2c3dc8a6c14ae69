"""The contract registry and the ABI files in `etl/abi/`: which contracts are read and how a log decodes.

**The registry** (`etl/contracts.toml`, or the file `DECAI_CONTRACTS_FILE` names) lists EVM networks
(name, chain id) and on each the contracts to read: address, ABI sets (file stems of `etl/abi/`),
first block, and for a token its symbol and decimals. A log decodes only when its address, its topic 0
and its number of topics match an event of that contract's ABI sets (`Network.match`): an ERC-721
`Transfer` (same topic 0 as ERC-20's, four topics) or an event the ABIs lack is no match, and the
connector keeps it as `evm.RawLog`.

**ABI files.** Each `*.json` file there is either the project's documented object (`contractName`,
`abi`, ...) or a bare ABI array (a real ABI dropped in); the contract's name is `contractName`, else
the file's stem.
Topic 0 of an event is keccak256 of its canonical signature `Name(type1,...)`; `events_by_topic0` lists
every event of every file by it (the runtime name of the contracts' event family is a digest of them).

Values in payloads: addresses lower-case `0x` hex; integers of at most 32 bits as JSON numbers, wider
ones (uint256 amounts, ids) as integer strings; `bytesN`/`bytes` as `0x` hex; bools as bools. An
indexed argument of a dynamic type (string, bytes, arrays) is only its keccak hash in the topic, so it
is given as that `0x` hex.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

ABI_DIR = Path(__file__).resolve().parent / "abi"


class LogDecodeError(ValueError):
    pass


@dataclass(frozen=True)
class EventAbi:
    contract: str
    name: str
    signature: str
    topic0: str  # 0x hex, lower case
    indexed: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]

    @property
    def event_type(self) -> str:
        return f"{self.contract}.{self.name}"

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        """{argument: value} of one log; raises LogDecodeError naming what did not fit."""
        from eth_abi import decode
        from eth_abi.exceptions import DecodingError

        if len(topics) != 1 + len(self.indexed):
            raise LogDecodeError(
                f"{self.signature} has {len(self.indexed)} indexed arguments but the log has "
                f"{len(topics) - 1} topics after topic 0"
            )
        try:
            raw = bytes.fromhex(data[2:] if data.startswith("0x") else data)
            out: dict[str, Any] = {}
            for (name, typ), topic in zip(self.indexed, topics[1:], strict=True):
                word = bytes.fromhex(topic[2:])
                if len(word) != 32:
                    raise LogDecodeError(f"topic for `{name}` is {len(word)} bytes, not 32")
                out[name] = "0x" + word.hex() if _dynamic(typ) else _plain(typ, decode([typ], word)[0])
            values = decode([t for _, t in self.data], raw) if self.data else ()
            if not self.data and raw:
                raise LogDecodeError(
                    f"{self.signature} has no data arguments but the log has {len(raw)} bytes"
                )
            for (name, typ), value in zip(self.data, values, strict=True):
                out[name] = _plain(typ, value)
        except LogDecodeError:
            raise
        except (DecodingError, ValueError, OverflowError, TypeError, AttributeError, IndexError) as exc:
            # Whatever eth-abi or the hex reader raise on one log's bytes, the log is what is wrong.
            raise LogDecodeError(f"{self.signature}: {type(exc).__name__}: {exc}") from None
        return out


def _dynamic(typ: str) -> bool:
    return typ in ("string", "bytes") or typ.endswith("]") or typ.startswith("tuple")


def _plain(typ: str, value: Any) -> Any:
    if typ.endswith("]"):
        inner = typ[: typ.rindex("[")]
        return [_plain(inner, v) for v in value]
    if typ == "address":
        return str(value).lower()
    match = re.fullmatch(r"u?int(\d*)", typ)
    if match:
        bits = int(match.group(1) or 256)
        return int(value) if bits <= 32 else str(int(value))
    if typ == "bool":
        return bool(value)
    if typ.startswith("bytes"):
        return "0x" + bytes(value).hex()
    return value


def _canonical_type(item: dict) -> str:
    typ = item["type"]
    if typ.startswith("tuple"):
        return (
            "(" + ",".join(_canonical_type(c) for c in item.get("components", [])) + ")" + typ[len("tuple") :]
        )
    return typ


@cache
def events_by_topic0(abi_dir: str | None = None) -> dict[str, EventAbi]:
    """Every event of every ABI file by topic 0 (0x hex)."""
    out: dict[str, EventAbi] = {}
    for path in sorted(Path(abi_dir or ABI_DIR).glob("*.json")):
        for spec in _file_events(path):
            out.setdefault(spec.topic0, spec)
    return out


@cache
def abi_events(name: str, abi_dir: str | None = None) -> tuple[EventAbi, ...]:
    """The events of one ABI set: the file `<name>.json` of `etl/abi/` (or `abi_dir`)."""
    path = Path(abi_dir or ABI_DIR) / f"{name}.json"
    if not path.is_file():
        raise RegistryError(f"ABI set {name!r} has no file {path.name} in the ABI directory")
    return tuple(_file_events(path))


def _file_events(path: Path) -> list[EventAbi]:
    from eth_hash.auto import keccak

    document = json.loads(path.read_text())
    items = document["abi"] if isinstance(document, dict) else document
    contract = (document.get("contractName") if isinstance(document, dict) else None) or path.stem
    out = []
    for item in items:
        if item.get("type") != "event" or item.get("anonymous"):
            continue
        inputs = item.get("inputs", [])
        signature = f"{item['name']}({','.join(_canonical_type(i) for i in inputs)})"
        out.append(
            EventAbi(
                contract=contract,
                name=item["name"],
                signature=signature,
                topic0="0x" + keccak(signature.encode()).hex(),
                indexed=tuple((i["name"], _canonical_type(i)) for i in inputs if i.get("indexed")),
                data=tuple((i["name"], _canonical_type(i)) for i in inputs if not i.get("indexed")),
            )
        )
    return out


# --- the contract registry ---------------------------------------------------------------------------

ZERO_ADDRESS = "0x" + "0" * 40
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,43}")


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class Contract:
    """One registered contract of one network."""

    network: str
    name: str
    address: str  # 0x hex, lower case
    abi: tuple[str, ...]
    first_block: int
    symbol: str | None = None
    decimals: int | None = None
    chain_id: int = 0

    @property
    def is_token(self) -> bool:
        return self.symbol is not None


@dataclass(frozen=True)
class Network:
    """An EVM network of the registry and the contracts read on it."""

    name: str
    chain_id: int
    contracts: tuple[Contract, ...] = field(default=())

    @property
    def label(self) -> str:
        """The network as `network_daily` names it: `evm:<name>`."""
        return f"evm:{self.name}"

    def addresses(self, start: int, end: int) -> list[str]:
        """Addresses of the contracts deployed before block `end` (blocks [start, end) may hold their logs)."""
        return sorted({c.address for c in self.contracts if c.first_block < end})

    @cached_property
    def _matches(self) -> dict[tuple[str, str, int], tuple[EventAbi, Contract]]:
        out: dict[tuple[str, str, int], tuple[EventAbi, Contract]] = {}
        for contract in self.contracts:
            for abi in contract.abi:
                for spec in abi_events(abi):
                    out.setdefault((contract.address, spec.topic0, 1 + len(spec.indexed)), (spec, contract))
        return out

    def match(self, address: str, topics: list[str]) -> tuple[EventAbi, Contract] | None:
        """The event and contract a log is (by address, topic 0 and topic count), None for no match."""
        if not topics:
            return None
        return self._matches.get((address, topics[0], len(topics)))

    def contract(self, address: str) -> Contract | None:
        return next((c for c in self.contracts if c.address == address), None)


@dataclass(frozen=True)
class Registry:
    networks: tuple[Network, ...]
    path: str = ""

    def network(self, chain_id: int) -> Network:
        for network in self.networks:
            if network.chain_id == chain_id:
                return network
        known = ", ".join(f"{n.name} ({n.chain_id})" for n in self.networks) or "none"
        raise RegistryError(
            f"the contract registry {Path(self.path).name or ''} has no network with chain id {chain_id} "
            f"(it has: {known}); add a [[networks]] entry with that chain_id and its contracts"
        )

    @cached_property
    def every_network(self) -> Network:
        """All networks' contracts as one, for a capture whose chain is unknown (`decai decode`)."""
        return Network("any", 0, tuple(c for n in self.networks for c in n.contracts))


def parse_registry(text: str, path: str = "") -> Registry:
    """A registry from TOML text; raises RegistryError naming the entry that is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"contract registry {path}: not TOML ({exc})") from None
    networks = []
    seen_names: set[str] = set()
    seen_ids: set[int] = set()
    for n_index, raw in enumerate(document.get("networks") or []):
        where = f"contract registry {Path(path).name}: networks[{n_index}]"
        name, chain_id = raw.get("name"), raw.get("chain_id")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise RegistryError(f"{where}: name {name!r} is not a short lower-case name (a-z, 0-9, _ . -)")
        if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
            raise RegistryError(f"{where} ({name}): chain_id {chain_id!r} is not a positive integer")
        if name in seen_names or chain_id in seen_ids:
            raise RegistryError(f"{where}: network {name!r} or chain id {chain_id} is listed twice")
        seen_names.add(name)
        seen_ids.add(chain_id)
        contracts = []
        for c_index, entry in enumerate(raw.get("contracts") or []):
            cwhere = f"{where} ({name}).contracts[{c_index}]"
            address = str(entry.get("address", "")).lower()
            if not _ADDRESS.fullmatch(address):
                raise RegistryError(
                    f"{cwhere}: address {entry.get('address')!r} is not a 0x + 40 hex address"
                )
            abi = entry.get("abi", [])
            if isinstance(abi, str):
                abi = [abi]
            if not isinstance(abi, list) or not all(isinstance(a, str) for a in abi):
                raise RegistryError(f"{cwhere}: abi {abi!r} is not a list of ABI set names")
            for abi_name in abi:
                abi_events(abi_name)  # the file exists
            first_block = entry.get("first_block", 0)
            if isinstance(first_block, bool) or not isinstance(first_block, int) or first_block < 0:
                raise RegistryError(f"{cwhere}: first_block {first_block!r} is not a block number")
            symbol, decimals = entry.get("symbol"), entry.get("decimals")
            if (symbol is None) != (decimals is None):
                raise RegistryError(f"{cwhere}: a token needs both `symbol` and `decimals`")
            if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int)
                                         or not 0 <= decimals <= 36):  # fmt: skip
                raise RegistryError(f"{cwhere}: decimals {decimals!r} is not an integer 0..36")
            contracts.append(
                Contract(
                    network=name,
                    name=str(entry.get("name") or address),
                    address=address,
                    abi=tuple(abi),
                    first_block=first_block,
                    symbol=symbol,
                    decimals=decimals,
                    chain_id=chain_id,
                )
            )
        if len({c.address for c in contracts}) != len(contracts):
            raise RegistryError(f"{where} ({name}): an address is listed twice")
        networks.append(Network(name, chain_id, tuple(contracts)))
    return Registry(tuple(networks), path)


REGISTRY_FILE = Path(__file__).resolve().parent / "contracts.toml"


def load_registry(path: str | Path | None = None) -> Registry:
    """The registry of `path`, else of `DECAI_CONTRACTS_FILE`, else the committed `etl/contracts.toml`."""
    from etl.settings import contracts_file

    chosen = Path(path) if path is not None else contracts_file()
    try:
        stamp = chosen.stat().st_mtime_ns
    except OSError:
        raise RegistryError(f"contract registry {chosen} does not exist (DECAI_CONTRACTS_FILE?)") from None
    return _load(str(chosen), stamp)


@cache
def _load(path: str, _stamp: int) -> Registry:
    return parse_registry(Path(path).read_text(), path)
