"""The modelled Sahara contracts, from the ABI files in `etl/abi/`: their events and how a log decodes.

Each `*.json` file there is either the project's documented object (`contractName`, `abi`, ...) or a
bare ABI array (a real ABI dropped in); the contract's name is `contractName`, else the file's stem.
An event is recognised by topic 0 (keccak256 of `Name(type1,...)`), so a real deployment at any
address decodes, and `ERC20.Transfer` matches every ERC-20 token.

Values in payloads: addresses lower-case `0x` hex; integers of at most 32 bits as JSON numbers, wider
ones (uint256 amounts, ids) as integer strings; `bytesN`/`bytes` as `0x` hex; bools as bools. An
indexed argument of a dynamic type (string, bytes, arrays) is only its keccak hash in the topic, so it
is given as that `0x` hex.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
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
    from eth_hash.auto import keccak

    out: dict[str, EventAbi] = {}
    for path in sorted(Path(abi_dir or ABI_DIR).glob("*.json")):
        document = json.loads(path.read_text())
        items = document["abi"] if isinstance(document, dict) else document
        contract = (document.get("contractName") if isinstance(document, dict) else None) or path.stem
        for item in items:
            if item.get("type") != "event" or item.get("anonymous"):
                continue
            inputs = item.get("inputs", [])
            signature = f"{item['name']}({','.join(_canonical_type(i) for i in inputs)})"
            spec = EventAbi(
                contract=contract,
                name=item["name"],
                signature=signature,
                topic0="0x" + keccak(signature.encode()).hex(),
                indexed=tuple((i["name"], _canonical_type(i)) for i in inputs if i.get("indexed")),
                data=tuple((i["name"], _canonical_type(i)) for i in inputs if not i.get("indexed")),
            )
            out.setdefault(spec.topic0, spec)
    return out
