"""Decoding subtensor's SCALE data with the metadata of the runtime that wrote it.

`Runtime` wraps one runtime version's metadata (a `state_getMetadata` result, V14, or the V15 blob of
`Metadata_metadata_at_version`): bt-decode reads `System.Events` in one call per block (the fast
path); when bt-decode fails, cyscale (the `scalecodec` import of async-substrate-interface) reads the
records one at a time, so a record it cannot read is isolated and the rest are still counted.

Block bodies (`decode_extrinsics`): each extrinsic is walked by the metadata's own types (address,
signature, every signed extension in the metadata's order, then the call's pallet and call index),
and its signer (an AccountId32 as SS58), nonce and tip are read with bt-decode; `System.Account`
values (`decode_account_infos`) likewise, from the storage map's value type.

Decoded values are turned into JSON-ready payloads by converters compiled per type id from the
metadata's type registry: account ids become SS58 (prefix 42), byte arrays hex, enums without data
their variant name, integers of token-amount fields integer strings in base units.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import bt_decode

from etl.catalog import is_amount_field
from etl.events import to_base_units

SS58_PREFIX = 42
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_JSON_SAFE_INT = 2**53 - 1


def is_decoder_failure(exc: BaseException) -> bool:
    """True for what a decoder may raise on a bad payload: any `Exception`, and a Rust panic.

    pyo3 turns a panic inside bt-decode into `PanicException`, which derives from `BaseException`
    (so `except Exception` misses it); an interrupt or an exit is never a decoding failure.
    """
    if isinstance(exc, Exception):
        return True
    return type(exc).__name__ == "PanicException" and not isinstance(
        exc, KeyboardInterrupt | SystemExit | GeneratorExit
    )


#: Names for subtensor's unnamed event fields, per field count (layouts change between runtimes).
FIELD_NAMES: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {
    ("SubtensorModule", "StakeAdded"): {
        5: ("coldkey", "hotkey", "tao", "alpha", "netuid"),
        6: ("coldkey", "hotkey", "tao", "alpha", "netuid", "fee"),
    },
    ("SubtensorModule", "StakeRemoved"): {
        5: ("coldkey", "hotkey", "tao", "alpha", "netuid"),
        6: ("coldkey", "hotkey", "tao", "alpha", "netuid", "fee"),
    },
    # Stake that changes hands or subnets without leaving the stakers; the amount is in TAO (TaoCurrency).
    ("SubtensorModule", "StakeMoved"): {
        6: ("coldkey", "origin_hotkey", "origin_netuid", "destination_hotkey", "destination_netuid", "tao"),
    },
    ("SubtensorModule", "StakeTransferred"): {
        6: ("origin_coldkey", "destination_coldkey", "hotkey", "origin_netuid", "destination_netuid", "tao"),
    },
    ("SubtensorModule", "StakeSwapped"): {
        5: ("coldkey", "hotkey", "origin_netuid", "destination_netuid", "tao"),
    },
    ("SubtensorModule", "NeuronRegistered"): {3: ("netuid", "uid", "hotkey")},
    ("SubtensorModule", "WeightsSet"): {2: ("netuid", "uid")},
    ("SubtensorModule", "AxonServed"): {2: ("netuid", "hotkey")},
    ("SubtensorModule", "NetworkAdded"): {2: ("netuid", "mechanism")},
    ("SubtensorModule", "NetworkRemoved"): {1: ("netuid",)},
}


# ------------------------------------------------------------------------------------------ SS58
def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(_B58[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


@lru_cache(maxsize=1 << 18)
def ss58_encode(public_key: bytes, prefix: int = SS58_PREFIX) -> str:
    """SS58 address of a 32-byte account id (blake2b-512 checksum over b"SS58PRE" + prefix + key)."""
    if len(public_key) != 32:
        raise ValueError(f"an account id has 32 bytes, not {len(public_key)}")
    if prefix < 64:
        head = bytes([prefix])
    else:  # two-byte form for prefixes 64..16383
        head = bytes([((prefix & 0xFC) >> 2) | 0x40, (prefix >> 8) | ((prefix & 0x03) << 6)])
    checksum = hashlib.blake2b(b"SS58PRE" + head + public_key, digest_size=64).digest()[:2]
    return _b58encode(head + public_key + checksum)


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes(value)


def _account(value: Any) -> str:
    """An AccountId32 in either decoder's shape (bt-decode: ((32 ints),), cyscale: hex) as SS58."""
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and not value.startswith("0x"):
        return value  # already an address
    return ss58_encode(_to_bytes(value))


def amount_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """Integer token amounts as integer strings in base units; other large integers as strings too."""
    out = {}
    for key, value in payload.items():
        if isinstance(value, int) and not isinstance(value, bool):
            if is_amount_field(key) and value >= 0:
                value = to_base_units(value)
            elif abs(value) > _JSON_SAFE_INT:
                value = str(value)
        out[key] = value
    return out


# ------------------------------------------------------------------------------------------ types
class Converters:
    """Type-directed converters from decoded values to JSON-ready values, compiled once per type id.

    `flavor` is the decoder that produced the value: "bt" (bt-decode) or "cy" (cyscale); they shape
    single-field composites, enums and byte arrays differently.
    """

    def __init__(self, types: list[dict]) -> None:
        self.types = {t["id"]: t["type"] for t in types}
        self._cache: dict[tuple[int, str], Callable[[Any], Any]] = {}

    def get(self, tid: int, flavor: str) -> Callable[[Any], Any]:
        key = (tid, flavor)
        fn = self._cache.get(key)
        if fn is None:
            cell: list[Callable[[Any], Any]] = []
            self._cache[key] = lambda v: cell[0](v)  # recursive types resolve through this stub
            fn = self._build(tid, flavor)
            cell.append(fn)
            self._cache[key] = fn
        return fn

    def _is_u8(self, tid: int) -> bool:
        return self.types[tid]["def"].get("primitive") == "u8"

    def _build(self, tid: int, flavor: str) -> Callable[[Any], Any]:
        ty = self.types[tid]
        path = ty.get("path") or []
        ((kind, body),) = ty["def"].items()
        if kind in ("primitive", "compact"):
            return _identity
        if kind in ("sequence", "array"):
            inner = body["type"]
            if self._is_u8(inner):
                return _hex
            conv = self.get(inner, flavor)
            if conv is _identity:
                return list
            return lambda v: [conv(x) for x in v]
        if kind == "tuple":
            convs = [self.get(t, flavor) for t in body]
            if not convs:
                return lambda v: None
            return lambda v: [c(x) for c, x in zip(convs, v, strict=False)]
        if kind == "composite":
            fields = body.get("fields", [])
            if path and path[-1] == "AccountId32":
                return _account
            if fields and all(f.get("name") for f in fields):
                return _named_fields([(f["name"], self.get(f["type"], flavor)) for f in fields])
            if len(fields) == 1:
                conv = self.get(fields[0]["type"], flavor)
                if flavor == "bt":
                    return lambda v: conv(v[0] if isinstance(v, tuple) and len(v) == 1 else v)
                return conv
            convs = [self.get(f["type"], flavor) for f in fields]
            return lambda v: [c(x) for c, x in zip(convs, v, strict=False)]
        if kind == "variant":
            variants = {v["name"]: v.get("fields", []) for v in body.get("variants", [])}
            if path == ["Option"] and "Some" in variants:
                some = self.get(variants["Some"][0]["type"], flavor)
                return lambda v: None if v is None else some(v)
            compiled = {name: self._variant_fields(fields, flavor) for name, fields in variants.items()}

            def convert_variant(v: Any) -> Any:
                if isinstance(v, str):
                    return v
                ((name, data),) = v.items()
                conv = compiled[name]
                return name if conv is None else {name: conv(data)}

            return convert_variant
        return _identity  # bitSequence and anything newer: kept as decoded

    def _variant_fields(self, fields: list[dict], flavor: str) -> Callable[[Any], Any] | None:
        if not fields:
            return None
        if all(f.get("name") for f in fields):
            return _named_fields([(f["name"], self.get(f["type"], flavor)) for f in fields])
        if len(fields) == 1:
            conv = self.get(fields[0]["type"], flavor)
            if flavor == "bt":
                return lambda v: conv(v[0])
            return conv
        convs = [self.get(f["type"], flavor) for f in fields]
        return lambda v: [c(x) for c, x in zip(convs, v, strict=False)]


def _named_fields(named: list[tuple[str, Callable[[Any], Any]]]) -> Callable[[Any], dict[str, Any]]:
    """A struct's converter: its fields by name, in metadata order; plain values are not called through."""
    if all(conv is _identity for _name, conv in named):
        names = [name for name, _conv in named]
        return lambda v: {k: v[k] for k in names}
    steps = [(name, None if conv is _identity else conv) for name, conv in named]
    return lambda v: {k: v[k] if c is None else c(v[k]) for k, c in steps}


_PRIMITIVE_BYTES = {
    "bool": 1, "u8": 1, "i8": 1, "u16": 2, "i16": 2, "char": 4, "u32": 4, "i32": 4,
    "u64": 8, "i64": 8, "u128": 16, "i128": 16, "u256": 32, "i256": 32,
}  # fmt: skip


class LengthCheck:
    """Walks a SCALE value by its type without building it, to prove every length fits its bytes.

    bt-decode reserves memory for a sequence's claimed length before reading it and aborts the whole
    process when that fails, so a corrupt length must never reach it. Compiled once per type id.
    """

    def __init__(self, types: list[dict]) -> None:
        self.types = {t["id"]: t["type"] for t in types}
        self._cache: dict[int, Callable[[bytes, int], int]] = {}

    def fits(self, tid: int, raw: bytes) -> bool:
        try:
            return self.get(tid)(raw, 0) <= len(raw)
        except (ValueError, IndexError, KeyError):
            return False

    def get(self, tid: int) -> Callable[[bytes, int], int]:
        fn = self._cache.get(tid)
        if fn is None:
            cell: list[Callable[[bytes, int], int]] = []
            self._cache[tid] = lambda raw, at: cell[0](raw, at)  # recursive types
            fn = self._build(tid)
            cell.append(fn)
            self._cache[tid] = fn
        return fn

    @staticmethod
    def _length(raw: bytes, at: int) -> tuple[int, int]:
        """(claimed length, offset after it); raises when it cannot fit in the bytes that remain."""
        if at >= len(raw):
            raise ValueError("value ends inside a length")
        value, used = _compact_prefix(raw[at : at + 68])
        if at + used > len(raw) or value > len(raw) - at - used:
            raise ValueError("length beyond the value's bytes")
        return value, at + used

    def static_size(self, tid: int, seen: frozenset[int] = frozenset()) -> int | None:
        """The size of every value of the type when it is fixed (no length, compact or variant inside)."""
        if tid in seen:
            return None
        ((kind, body),) = self.types[tid]["def"].items()
        if kind == "primitive":
            return _PRIMITIVE_BYTES.get(body)
        if kind == "array":
            inner = self.static_size(body["type"], seen | {tid})
            return None if inner is None else inner * body["len"]
        if kind in ("tuple", "composite"):
            ids = body if kind == "tuple" else [f["type"] for f in body.get("fields", [])]
            sizes = [self.static_size(t, seen | {tid}) for t in ids]
            return None if None in sizes else sum(sizes)
        return None

    def _parts(self, ids: list[int]) -> list[int | Callable[[bytes, int], int]]:
        """The walkers of consecutive values; a run of fixed-size values is one size to add."""
        parts: list[int | Callable[[bytes, int], int]] = []
        for t in ids:
            size = self.static_size(t)
            if size is None:
                parts.append(self.get(t))
            elif parts and type(parts[-1]) is int:
                parts[-1] += size
            else:
                parts.append(size)
        return parts or [0]

    def _build(self, tid: int) -> Callable[[bytes, int], int]:
        size = self.static_size(tid)
        if size is not None:  # e.g. an account id: 32 bytes whatever they hold, no need to walk them
            return lambda raw, at: at + size
        ((kind, body),) = self.types[tid]["def"].items()
        if kind == "primitive":
            if body == "str":
                return lambda raw, at: sum(self._length(raw, at))
            size = _PRIMITIVE_BYTES[body]
            return lambda raw, at: at + size
        if kind == "compact":
            return _skip_compact
        if kind == "bitSequence":

            def bits(raw: bytes, at: int) -> int:
                count, at = self._length(raw, at)
                return at + (count + 7) // 8

            return bits
        if kind == "sequence":
            each = self.static_size(body["type"])
            if each is not None:  # the elements need no walk: count times their size

                def sized_sequence(raw: bytes, at: int) -> int:
                    count, at = self._length(raw, at)
                    return at + count * each

                return sized_sequence
            inner = self.get(body["type"])

            def sequence(raw: bytes, at: int) -> int:
                count, at = self._length(raw, at)
                for _ in range(count):
                    at = inner(raw, at)
                return at

            return sequence
        if kind == "array":
            inner, count = self.get(body["type"]), body["len"]

            def array(raw: bytes, at: int) -> int:
                for _ in range(count):
                    at = inner(raw, at)
                return at

            return array
        if kind in ("tuple", "composite"):
            ids = body if kind == "tuple" else [f["type"] for f in body.get("fields", [])]
            parts = self._parts(ids)

            def fields(raw: bytes, at: int) -> int:
                for part in parts:
                    at = at + part if type(part) is int else part(raw, at)
                return at

            return fields
        if kind == "variant":
            # Per variant index: the size of its fields when fixed, else their parts.
            arms: dict[int, int | list] = {}
            for v in body.get("variants", []):
                parts = self._parts([f["type"] for f in v.get("fields", [])])
                arms[v["index"]] = parts[0] if len(parts) == 1 and type(parts[0]) is int else parts

            def variant(raw: bytes, at: int) -> int:
                arm = arms[raw[at]]  # an unknown index is a KeyError: not this type
                if type(arm) is int:
                    return at + 1 + arm
                at += 1
                for part in arm:
                    at = at + part if type(part) is int else part(raw, at)
                return at

            return variant
        raise ValueError(f"type {tid} has kind {kind}, which the length check does not know")


def _skip_compact(raw: bytes, at: int) -> int:
    """The offset after the SCALE compact integer at `at` (a value, so any size is fine)."""
    if at >= len(raw):
        raise ValueError("value ends inside a compact integer")
    mode = raw[at] & 3
    return at + (1, 2, 4)[mode] if mode < 3 else at + 1 + (raw[at] >> 2) + 4


def _identity(value: Any) -> Any:
    return value


def _json_ready(value: Any, is_amount: bool) -> Any:
    """A decoded field's value as a payload holds it: an amount (an integer, not negative) and an
    integer beyond what JSON numbers hold exactly become integer strings; anything else is kept."""
    if type(value) is int:
        if is_amount and value >= 0:
            return str(value)
        if value > _JSON_SAFE_INT or value < -_JSON_SAFE_INT:
            return str(value)
    return value


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value.encode().hex()
    return "0x" + bytes(value).hex()


# ------------------------------------------------------------------------------------------ runtime
@dataclass(slots=True)
class DecodedEvent:
    index: int  # position of the record in the block's System.Events
    phase: str  # extrinsic index, 'i' (initialization) or 'f' (finalization)
    pallet: str
    name: str
    payload: dict[str, Any]


@dataclass
class UndecodedEvent:
    index: int
    raw: str  # hex of the bytes from this record on (records have no length prefix)
    reason: str


@dataclass
class DecodedExtrinsic:
    """One extrinsic of a block body: who signed it (None: unsigned, an inherent), its nonce and tip
    (the `CheckNonce` and `ChargeTransactionPayment` extensions), the call's pallet and name, and its
    hash (blake2b-256 of the encoded extrinsic, as a node names it)."""

    index: int
    signer: str | None
    nonce: int | None
    tip: int | None
    pallet: str
    call: str
    hash: str


@dataclass
class UndecodedExtrinsic:
    index: int
    raw: str
    reason: str


@dataclass
class ExtrinsicLayout:
    """Where a runtime's signed extrinsic keeps its parts: the type ids of the address and signature,
    its signed extensions (identifier, type id) in order, and every call by (pallet index, call index)."""

    address: int
    signature: int
    extensions: list[tuple[str, int]]
    calls: dict[tuple[int, int], tuple[str, str]]


@dataclass
class Runtime:
    """One runtime version's metadata, ready to decode events (and runtime-API answers with V15)."""

    spec_version: int | None
    metadata_hex: str
    registry: Any
    types: list[dict]
    events_type: int
    record_type: int
    pallet_events: dict[str, dict[str, list[tuple[str | None, int]]]]
    apis: dict[str, int] = field(default_factory=dict)  # "Api_method" -> output type id (V15)
    extrinsic: ExtrinsicLayout | None = None
    account_type: int | None = None  # System.Account's value type (AccountInfo)
    _converters: Converters | None = None
    _lengths: LengthCheck | None = None
    _codec: Any = None
    _builders: dict = field(default_factory=dict)
    _bt_readers: dict = field(default_factory=dict)  # (pallet, name) -> payload of bt-decode's fields

    @property
    def converters(self) -> Converters:
        if self._converters is None:
            self._converters = Converters(self.types)
        return self._converters

    @property
    def lengths(self) -> LengthCheck:
        if self._lengths is None:
            self._lengths = LengthCheck(self.types)
        return self._lengths

    # -------------------------------------------------------------------- events
    def decode_events(self, raw: bytes) -> tuple[int, list[DecodedEvent | UndecodedEvent]]:
        """(record count, one entry per record) of one block's System.Events value."""
        return self.decode_blocks([raw])[0]

    def decode_blocks(self, raws: list[bytes]) -> list[tuple[int, list[DecodedEvent | UndecodedEvent]]]:
        """`decode_events` for many blocks: one bt-decode call for all of them (its per-call cost is
        high), then per block where that fails, then record by record with cyscale."""
        type_string = f"scale_info::{self.events_type}"
        # bt-decode reserves memory for the count a value claims before reading it, and aborts the
        # process when that fails: a value whose count cannot fit in its bytes never reaches it.
        # The same holds for every length inside a record, so a value whose lengths overrun its bytes
        # goes straight to cyscale, which reads record by record and fails cleanly.
        unreadable = {
            i: raw.reason if isinstance(raw, UnreadableValue) else _implausible_count(raw)
            for i, raw in enumerate(raws)
            if raw
        }
        fits = {i: unreadable[i] is None and self.lengths.fits(self.events_type, raws[i]) for i in unreadable}
        present = [raw for i, raw in enumerate(raws) if raw and fits[i]]
        try:
            decoded = iter(bt_decode.decode_list([type_string] * len(present), self.registry, present))
        except BaseException as exc:  # a panic too - narrowed down block by block below
            if not is_decoder_failure(exc):
                raise
            decoded = None
        out = []
        for i, raw in enumerate(raws):
            if not raw:
                out.append((0, []))
                continue
            if unreadable[i] is not None:
                # Its records cannot be told apart: the value is one unreadable record, kept whole.
                kept = raw.text if isinstance(raw, UnreadableValue) else "0x" + raw.hex()
                out.append((1, [UndecodedEvent(0, kept, unreadable[i])]))
                continue
            count = _compact_prefix(raw)[0]
            if not fits[i]:
                out.append((count, list(self._decode_with_cyscale(raw, count))))
                continue
            try:
                records = next(decoded) if decoded is not None else None
                if records is None:
                    records = bt_decode.decode(type_string, self.registry, raw)
                if len(records) != count:
                    raise ValueError(f"bt-decode read {len(records)} records of {count}")
                out.append((count, self._events_from_bt(records)))
            except BaseException as exc:  # a panic too - the record-by-record codec isolates the bad record
                if not is_decoder_failure(exc):
                    raise
                out.append((count, list(self._decode_with_cyscale(raw, count))))
        return out

    def _payload_plan(self, pallet: str, name: str, flavor: str) -> list[tuple[str, str | None, Any, bool]]:
        """Per field of an event, in metadata order: its payload name, its name in the metadata,
        its converter (None where the decoded value is kept as it is) and whether it is an amount."""
        fields = self.pallet_events.get(pallet, {}).get(name)
        if fields is None:
            raise ValueError(f"event {pallet}.{name} is not in the metadata of spec {self.spec_version}")
        names = [n for n, _t in fields]
        if not all(names):
            names = list(
                FIELD_NAMES.get((pallet, name), {}).get(len(fields))
                or [n or f"arg{i}" for i, n in enumerate(names)]
            )
        plan = []
        for n, (fname, tid) in zip(names, fields, strict=True):
            conv = self.converters.get(tid, flavor)
            plan.append((n, fname, None if conv is _identity else conv, is_amount_field(n)))
        return plan

    def _payload_builder(self, pallet: str, name: str, flavor: str) -> Callable[[list], dict[str, Any]]:
        """A compiled function from one event's field values (in metadata order) to its payload."""
        key = (pallet, name, flavor)
        builder = self._builders.get(key)
        if builder is not None:
            return builder
        plan = self._payload_plan(pallet, name, flavor)

        def build(values: list) -> dict[str, Any]:
            if len(values) != len(plan):
                raise ValueError(f"{pallet}.{name} has {len(values)} fields, the metadata {len(plan)}")
            payload = {}
            for (field_name, _fname, conv, is_amount), value in zip(plan, values, strict=True):
                payload[field_name] = _json_ready(value if conv is None else conv(value), is_amount)
            return payload

        self._builders[key] = build
        return build

    def _bt_reader(self, pallet: str, name: str) -> Callable[[Any], dict[str, Any]]:
        """`_payload_builder` for bt-decode's shape of an event's data, read in place: a dict by
        field name, or a tuple when the fields have no names."""
        reader = self._bt_readers.get((pallet, name))
        if reader is not None:
            return reader
        plan = self._payload_plan(pallet, name, "bt")
        steps = [
            (field_name, fname, i, conv, is_amount)
            for i, (field_name, fname, conv, is_amount) in enumerate(plan)
        ]
        size = len(plan)

        def read(data: Any) -> dict[str, Any]:
            by_name = isinstance(data, dict)
            if not by_name and len(data) != size:
                raise ValueError(f"{pallet}.{name} has {len(data)} fields, the metadata {size}")
            payload = {}
            for field_name, fname, i, conv, is_amount in steps:
                value = data[fname] if by_name else data[i]
                if conv is not None:
                    value = conv(value)
                if type(value) is int and (
                    (is_amount and value >= 0) or value > _JSON_SAFE_INT or value < -_JSON_SAFE_INT
                ):
                    value = str(value)  # as `_json_ready` does, inline: this runs for every field
                payload[field_name] = value
            return payload

        self._bt_readers[(pallet, name)] = read
        return read

    def _events_from_bt(self, records: list[dict]) -> list[DecodedEvent]:
        """One block's records as bt-decode shapes them ({"phase": {"ApplyExtrinsic": (1,)},
        "event": {pallet: ({name: data},)}, "topics": ...}), in order."""
        readers, out = self._bt_readers, []
        for index, record in enumerate(records):
            ((phase_name, phase_data),) = record["phase"].items()
            phase = str(phase_data[0]) if phase_name == "ApplyExtrinsic" else phase_name[0].lower()
            ((pallet, inner),) = record["event"].items()
            ((name, data),) = inner[0].items()
            reader = readers.get((pallet, name)) or self._bt_reader(pallet, name)
            out.append(DecodedEvent(index, phase, pallet, name, reader(data)))
        return out

    def _decode_with_cyscale(self, raw: bytes, count: int) -> Iterator[DecodedEvent | UndecodedEvent]:
        from scalecodec.base import ScaleBytes

        codec = self._cyscale()
        data = ScaleBytes(raw)
        _n, data.offset = _compact_prefix(raw)
        for index in range(count):
            start = data.offset
            try:
                record = codec.create_scale_object(f"scale_info::{self.record_type}", data=data)
                value = record.decode()
                yield self._event_from_cy(index, value)
            except Exception as exc:  # noqa: BLE001 - the record and the rest of the block are quarantined
                rest = "0x" + raw[start:].hex()
                for later in range(index, count):
                    yield UndecodedEvent(
                        later,
                        rest,
                        f"event {later} of {count} cannot be decoded with the metadata of spec "
                        f"{self.spec_version}: {type(exc).__name__}: {exc}",
                    )
                return

    def _event_from_cy(self, index: int, value: dict) -> DecodedEvent:
        phase_name = value["phase"]
        phase = str(value["extrinsic_idx"]) if phase_name == "ApplyExtrinsic" else phase_name[0].lower()
        pallet, name = value["module_id"], value["event_id"]
        fields = self.pallet_events.get(pallet, {}).get(name, [])
        attrs = value.get("attributes")
        if not fields:
            values: list = []
        elif isinstance(attrs, dict) and all(n for n, _t in fields):
            values = [attrs[n] for n, _t in fields]
        elif len(fields) == 1:
            values = [attrs]
        else:
            values = list(attrs)
        return DecodedEvent(index, phase, pallet, name, self._payload_builder(pallet, name, "cy")(values))

    def _cyscale(self):
        if self._codec is None:
            from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
            from scalecodec.type_registry import load_type_registry_preset

            codec = RuntimeConfigurationObject()
            codec.update_type_registry(load_type_registry_preset(name="core"))
            metadata = codec.create_scale_object("MetadataVersioned", data=ScaleBytes(self.metadata_hex))
            metadata.decode()
            codec.add_portable_registry(metadata)
            self._codec = codec
        return self._codec

    # -------------------------------------------------------------------- block bodies
    def decode_extrinsics(self, bodies: list[list[str]]) -> list[list[DecodedExtrinsic | UndecodedExtrinsic]]:
        """The extrinsics of each block body (`chain_getBlock`'s hex strings), in order.

        Each is walked by the metadata's types to find its parts (a length that does not fit its bytes
        is an `UndecodedExtrinsic`, never a decoder panic); the signer and the extensions that carry
        the nonce and tip are then read with bt-decode, every block of the call in one batch.
        """
        layout = self.extrinsic
        if layout is None:
            raise ValueError(f"the metadata of spec {self.spec_version} describes no extrinsic format")
        walked: list[list] = []
        types: list[str] = []
        values: list[bytes] = []
        for body in bodies:
            rows = []
            for index, text in enumerate(body):
                try:
                    rows.append(
                        self._walk_extrinsic(index, strict_hex_bytes(text, "extrinsic"), types, values)
                    )
                except (ValueError, IndexError, KeyError) as exc:
                    rows.append(UndecodedExtrinsic(index, _raw_hex(text), f"extrinsic {index}: {exc}"))
            walked.append(rows)
        decoded = iter(bt_decode.decode_list(types, self.registry, values) if types else [])
        out = []
        for rows in walked:
            block = []
            for row in rows:
                if isinstance(row, UndecodedExtrinsic) or row.signer is None:
                    block.append(row)
                    continue
                parts = {name: next(decoded) for name in row.signer}  # the parts _walk_extrinsic queued
                block.append(self._signed_extrinsic(row, parts))
            out.append(block)
        return out

    _SIGNED_PARTS = ("CheckNonce", "ChargeTransactionPayment")

    def _walk_extrinsic(
        self, index: int, raw: bytes, types: list[str], values: list[bytes]
    ) -> DecodedExtrinsic:
        layout = self.extrinsic
        length, at = _compact_prefix(raw)
        if length != len(raw) - at:
            raise ValueError(f"its length prefix says {length} bytes, {len(raw) - at} follow")
        version = raw[at]
        if version & 0x7F != 4:
            raise ValueError(f"extrinsic format version {version & 0x7F} is not 4")
        at += 1
        parts: list[str] = []
        if version & 0x80:
            start = at
            at = self.lengths.get(layout.address)(raw, at)
            types.append(f"scale_info::{layout.address}")
            values.append(raw[start:at])
            parts.append("address")
            at = self.lengths.get(layout.signature)(raw, at)
            for name, tid in layout.extensions:
                start = at
                at = self.lengths.get(tid)(raw, at)
                if name in self._SIGNED_PARTS:
                    types.append(f"scale_info::{tid}")
                    values.append(raw[start:at])
                    parts.append(name)
        if at + 2 > len(raw):
            raise ValueError("it ends before its call")
        pallet, call = layout.calls.get((raw[at], raw[at + 1]), (None, None))
        if pallet is None:
            raise ValueError(
                f"call ({raw[at]}, {raw[at + 1]}) is not in the metadata of spec {self.spec_version}"
            )
        digest = "0x" + hashlib.blake2b(raw, digest_size=32).hexdigest()
        # `signer` holds the queued part names until bt-decode has read them.
        return DecodedExtrinsic(index, parts or None, None, None, pallet, call, digest)  # type: ignore[arg-type]

    def _signed_extrinsic(self, row: DecodedExtrinsic, parts: dict[str, Any]) -> DecodedExtrinsic:
        layout = self.extrinsic
        address = self.converters.get(layout.address, "bt")(parts["address"])
        if isinstance(address, dict) and len(address) == 1:
            ((kind, value),) = address.items()
            signer = value if kind == "Id" else _account(value) if kind == "Address32" else f"{kind}:{value}"
        else:
            signer = str(address)
        ext = dict(layout.extensions)

        def number(name: str) -> int | None:
            if name not in parts:
                return None
            value = self.converters.get(ext[name], "bt")(parts[name])
            while isinstance(value, list | tuple) and len(value) == 1:
                value = value[0]
            return int(value) if isinstance(value, int) else None

        return DecodedExtrinsic(
            row.index,
            signer,
            number("CheckNonce"),
            number("ChargeTransactionPayment"),
            row.pallet,
            row.call,
            row.hash,
        )

    # -------------------------------------------------------------------- storage values
    def decode_account_infos(self, raws: list[bytes]) -> list[dict]:
        """`System.Account` values (AccountInfo) as JSON-ready dicts; a value that does not fit its
        type raises ValueError naming its position."""
        tid = self.account_type
        if tid is None:
            raise ValueError(f"the metadata of spec {self.spec_version} has no System.Account")
        for i, raw in enumerate(raws):
            if not self.lengths.fits(tid, raw) or self.lengths.get(tid)(raw, 0) != len(raw):
                raise ValueError(f"System.Account value {i} ({len(raw)} bytes) does not fit AccountInfo")
        if not raws:
            return []
        conv = self.converters.get(tid, "bt")
        return [
            conv(v) for v in bt_decode.decode_list([f"scale_info::{tid}"] * len(raws), self.registry, raws)
        ]

    # -------------------------------------------------------------------- runtime APIs (V15)
    def decode_api(self, api_method: str, raw: bytes) -> Any:
        """A runtime-API answer (`SubnetInfoRuntimeApi_get_dynamic_info`, …) as JSON-ready values."""
        tid = self.apis.get(api_method)
        if tid is None:
            raise ValueError(f"runtime API {api_method} is not in the metadata of spec {self.spec_version}")
        # A length that overruns the answer would make bt-decode reserve memory it cannot have.
        if not raw:
            raise ValueError(f"the {api_method} answer is empty")
        if not self.lengths.fits(tid, raw):
            raise ValueError(
                f"the {api_method} answer ({len(raw)} bytes) is truncated or corrupt: "
                "a length or variant in it does not fit its bytes"
            )
        try:
            value = bt_decode.decode(f"scale_info::{tid}", self.registry, raw)
            return self.converters.get(tid, "bt")(value)
        except BaseException as exc:
            if not is_decoder_failure(exc):
                raise
            raise ValueError(
                f"the {api_method} answer does not decode: {type(exc).__name__}: {exc}"
            ) from None


def _raw_hex(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)[:100_000]


def _compact_prefix(raw: bytes) -> tuple[int, int]:
    """(value, bytes used) of the SCALE compact integer at the start of `raw`."""
    mode = raw[0] & 3
    if mode == 0:
        return raw[0] >> 2, 1
    if mode == 1:
        return int.from_bytes(raw[:2], "little") >> 2, 2
    if mode == 2:
        return int.from_bytes(raw[:4], "little") >> 2, 4
    length = (raw[0] >> 2) + 4
    return int.from_bytes(raw[1 : 1 + length], "little"), 1 + length


class _Truncated(ValueError):
    pass


def _canonical_compact(raw: bytes, at: int, max_bits: int) -> int:
    """The offset after a compact integer of at most `max_bits` bits, checked as parity-scale-codec
    checks it (shortest form, in range), since any decoding error panics inside bt-decode."""
    if at >= len(raw):
        raise _Truncated("ends inside a compact integer")
    mode = raw[at] & 3
    if mode < 3:
        size = (1, 2, 4)[mode]
        if at + size > len(raw):
            raise _Truncated("ends inside a compact integer")
        value = int.from_bytes(raw[at : at + size], "little") >> 2
        smallest = (0, 1 << 6, 1 << 14)[mode]
    else:
        size = (raw[at] >> 2) + 4
        if size * 8 > max(max_bits, 32) or at + 1 + size > len(raw):
            raise _Truncated("a compact integer is longer than its type or its bytes")
        value = int.from_bytes(raw[at + 1 : at + 1 + size], "little")
        smallest = 1 << 30 if size == 4 else 1 << (8 * (size - 1))
        size += 1
    if value < smallest or value >= 1 << max_bits:
        raise _Truncated("a compact integer is not in its shortest form or out of range")
    return at + size


def _fixed(raw: bytes, at: int, size: int) -> int:
    if at + size > len(raw):
        raise _Truncated(f"ends inside a {size}-byte field")
    return at + size


def _bool(raw: bytes, at: int) -> int:
    if at >= len(raw) or raw[at] > 1:
        raise _Truncated("a bool is neither 0 nor 1")
    return at + 1


#: NeuronInfoLite as subtensor encodes it: AxonInfo (u64, u32, u128, u16, 4 x u8) and
#: PrometheusInfo (u64, u32, u128, u16, u8) are fixed-size.
_AXON_BYTES, _PROMETHEUS_BYTES = 8 + 4 + 16 + 2 + 4, 8 + 4 + 16 + 2 + 1


def neurons_lite_problem(raw: bytes) -> str | None:
    """Why a `get_neurons_lite` answer (a SCALE `Vec<NeuronInfoLite>`) cannot decode, or None.

    bt-decode's `NeuronInfoLite.decode_vec` panics on any malformed answer and prints the Rust
    panic to stderr before Python sees it, so the whole layout is walked first, as cheaply as a scan.
    """
    try:
        if not raw:
            raise _Truncated("the answer is empty")
        at = _canonical_compact(raw, 0, 32)
        count = _compact_prefix(raw)[0]
        # hotkey + coldkey + the fixed parts + at least one byte per compact and bool
        if count * (64 + 2 + 1 + _AXON_BYTES + _PROMETHEUS_BYTES + 1 + 10) > len(raw) - at:
            raise _Truncated(f"it claims {count} neurons, more than its {len(raw)} bytes can hold")
        for _ in range(count):
            at = _fixed(raw, at, 64)  # hotkey, coldkey
            at = _canonical_compact(raw, at, 16)  # uid
            at = _canonical_compact(raw, at, 16)  # netuid
            at = _bool(raw, at)  # active
            at = _fixed(raw, at, _AXON_BYTES + _PROMETHEUS_BYTES)
            stakes = _compact_prefix(raw[at : at + 9])[0] if at < len(raw) else 0
            at = _canonical_compact(raw, at, 32)
            if stakes * 33 > len(raw) - at:
                raise _Truncated(f"a neuron claims {stakes} stake entries, more than the bytes left")
            for _ in range(stakes):
                at = _canonical_compact(raw, _fixed(raw, at, 32), 64)
            at = _canonical_compact(raw, at, 16)  # rank
            at = _canonical_compact(raw, at, 64)  # emission
            for _ in range(5):  # incentive, consensus, trust, validator_trust, dividends
                at = _canonical_compact(raw, at, 16)
            at = _canonical_compact(raw, at, 64)  # last_update
            at = _bool(raw, at)  # validator_permit
            at = _canonical_compact(raw, at, 16)  # pruning_score
    except _Truncated as exc:
        return f"the get_neurons_lite answer ({len(raw)} bytes) is truncated or corrupt: {exc}"
    if at != len(raw):
        return f"the get_neurons_lite answer has {len(raw) - at} bytes after its last neuron"
    return None


def decode_neurons_lite(raw: bytes) -> list:
    """bt-decode's NeuronInfoLite list of a `get_neurons_lite` answer; a ValueError, never a panic."""
    problem = neurons_lite_problem(raw)
    if problem is not None:
        raise ValueError(problem)
    try:
        return bt_decode.NeuronInfoLite.decode_vec(raw)
    except BaseException as exc:
        if not is_decoder_failure(exc):
            raise
        raise ValueError(
            f"the get_neurons_lite answer does not decode: {type(exc).__name__}: {exc}"
        ) from None


#: The shortest SCALE EventRecord: phase (1 byte), pallet and event index (2), empty topics (1).
_MIN_RECORD_BYTES = 4


def _implausible_count(raw: bytes) -> str | None:
    """Why the record count at the start of a System.Events value cannot be right, or None."""
    count, used = _compact_prefix(raw)
    if used > len(raw):
        return f"the System.Events value is {len(raw)} bytes, shorter than its own record count"
    if count * _MIN_RECORD_BYTES > len(raw) - used:
        return (
            f"the System.Events value claims {count} records but has only {len(raw) - used} bytes "
            "after the count; it is corrupt and is kept whole"
        )
    return None


_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


def strict_hex_bytes(value: Any, what: str) -> bytes:
    """The bytes of a node's `0x…` hex answer; a ValueError naming `what` for anything else."""
    if not isinstance(value, str):
        raise ValueError(f"the {what} answer is {type(value).__name__}, not a 0x-prefixed hex string")
    if not _HEX.fullmatch(value):
        raise ValueError(f"the {what} answer is not 0x-prefixed hex of whole bytes ({value[:40]!r})")
    return bytes.fromhex(value[2:])


class UnreadableValue(bytes):
    """A storage answer that is not hex at all: `decode_blocks` makes it one quarantined record."""

    text: str
    reason: str

    def __bool__(self) -> bool:  # even an empty text is an answer that must be quarantined
        return True


def storage_bytes(value: Any, what: str = "System.Events") -> bytes:
    """A `state_getStorage` answer as bytes (None, an empty value, is b""); an answer that is no hex
    string becomes an `UnreadableValue`, so the block is quarantined instead of failing the run."""
    if value is None:
        return b""
    try:
        return strict_hex_bytes(value, what)
    except ValueError as exc:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        out = UnreadableValue(text.encode()[:100_000])
        out.text, out.reason = text[:100_000], f"{exc}; the value is kept whole"
        return out


def _strip_envelope(text: str) -> str:
    """A hex blob from a JSON-RPC envelope, a JSON string, or bare hex."""
    text = text.strip()
    if text.startswith("{") or text.startswith('"'):
        value = json.loads(text)
        if isinstance(value, dict):
            if "error" in value:
                raise ValueError(f"the capture is a JSON-RPC error: {value['error']}")
            value = value.get("result")
        if not isinstance(value, str):
            raise ValueError("expected a hex string result")
        text = value
    return text if text.startswith("0x") else "0x" + text


@lru_cache(maxsize=16)
def runtime_from_metadata(metadata: str, spec_version: int | None = None) -> Runtime:
    """A `Runtime` from a `state_getMetadata` result (hex, JSON-RPC envelope, V14 or V15)."""
    blob = bytes.fromhex(_strip_envelope(metadata)[2:])
    if blob[:4] != b"meta":
        raise ValueError("metadata must start with the magic b'meta' (a state_getMetadata result)")
    version = blob[4]
    if version == 15:
        return _runtime_v15(b"\x01" + _compact_bytes(len(blob)) + blob, spec_version)
    if version != 14:
        raise ValueError(f"metadata V{version} is not supported (V14 and V15 are)")
    from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
    from scalecodec.type_registry import load_type_registry_preset

    codec = RuntimeConfigurationObject()
    codec.update_type_registry(load_type_registry_preset(name="core"))
    decoded = codec.create_scale_object("MetadataVersioned", data=ScaleBytes(blob))
    decoded.decode()
    v14 = decoded.value[1]["V14"]
    types = v14["types"]["types"] if isinstance(v14["types"], dict) else v14["types"]
    registry = bt_decode.PortableRegistry.from_json(json.dumps({"types": types}))
    pallets = v14["pallets"]
    codec.add_portable_registry(decoded)
    runtime = _runtime(
        spec_version, "0x" + blob.hex(), registry, types, pallets, "type", "ty", v14.get("extrinsic")
    )
    runtime._codec = codec
    return runtime


def _runtime_v15(option: bytes, spec_version: int | None) -> Runtime:
    """A `Runtime` from an `Option<OpaqueMetadata>` holding V15 metadata."""
    v15 = bt_decode.MetadataV15.decode_from_metadata_option(option)
    registry = bt_decode.PortableRegistry.from_metadata_v15(v15)
    value = v15.value()
    types = json.loads(registry.registry)["types"]
    _length, used = _compact_prefix(option[1:])
    blob = option[1 + used :]
    runtime = _runtime(spec_version, "0x" + blob.hex(), registry, types, value["pallets"], "ty", "ty")
    for api in value.get("apis", []):
        for method in api["methods"]:
            runtime.apis[f"{api['name']}_{method['name']}"] = method["output"]
    return runtime


def runtime_from_v15_option(option: bytes, spec_version: int | None = None) -> Runtime:
    """A `Runtime` from the answer of `state_call Metadata_metadata_at_version(15)`."""
    if not option or option[0] != 1:
        raise ValueError("the node has no V15 metadata for this block (Metadata_metadata_at_version)")
    return _runtime_v15(option, spec_version)


def _compact_bytes(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


def _type_id(value: Any, key: str) -> int | None:
    """A type id as either metadata reader gives it: an int, or {key: int}."""
    if isinstance(value, dict):
        value = value.get(key)
    return value if isinstance(value, int) else None


def _extrinsic_layout(extrinsic: Any, by_id: dict, pallets: list, ty_key: str) -> ExtrinsicLayout | None:
    """The signed-extrinsic layout of a V14 `extrinsic` entry (its type's Address, Signature and Call
    parameters, its signed extensions) with every pallet's calls; None when the metadata lacks it."""
    if not isinstance(extrinsic, dict):
        return None
    ty = _type_id(extrinsic.get("ty"), "ty")
    params = (
        {p.get("name"): p.get("type") for p in by_id.get(ty, {}).get("params", [])} if ty is not None else {}
    )
    address, signature = params.get("Address"), params.get("Signature")
    extensions = [
        (e["identifier"], _type_id(e.get("ty"), "ty")) for e in extrinsic.get("signed_extensions", [])
    ]
    if address is None or signature is None or any(t is None for _n, t in extensions):
        return None
    calls: dict[tuple[int, int], tuple[str, str]] = {}
    for pallet in pallets:
        cty = _type_id(pallet.get("calls"), ty_key)
        if cty is None:
            continue
        for variant in by_id[cty]["def"].get("variant", {}).get("variants", []):
            calls[(pallet["index"], variant["index"])] = (pallet["name"], variant["name"])
    return ExtrinsicLayout(address, signature, extensions, calls)


def _runtime(
    spec_version, metadata_hex, registry, types, pallets, storage_ty_key, event_ty_key, extrinsic=None
) -> Runtime:
    by_id = {t["id"]: t["type"] for t in types}
    system = next(p for p in pallets if p["name"] == "System")
    entries = {e["name"]: e for e in system["storage"]["entries"]}
    account = entries.get("Account", {}).get(storage_ty_key)
    account_type = account["Map"].get("value") if isinstance(account, dict) and "Map" in account else None
    storage_type = entries["Events"][storage_ty_key]
    events_type = storage_type["Plain"] if isinstance(storage_type, dict) else storage_type
    record_type = by_id[events_type]["def"]["sequence"]["type"]
    pallet_events: dict[str, dict[str, list[tuple[str | None, int]]]] = {}
    for pallet in pallets:
        event = pallet.get("event")
        if not event:
            continue
        ety = event[event_ty_key] if isinstance(event, dict) else event
        variants = by_id[ety]["def"]["variant"].get("variants", [])
        pallet_events[pallet["name"]] = {
            v["name"]: [(f.get("name"), f["type"]) for f in v.get("fields", [])] for v in variants
        }
    runtime = Runtime(spec_version, metadata_hex, registry, types, events_type, record_type, pallet_events)
    runtime.extrinsic = _extrinsic_layout(extrinsic, by_id, pallets, event_ty_key)
    runtime.account_type = account_type if isinstance(account_type, int) else None
    return runtime


# ---------------------------------------------------------------------------- storage keys and values
def _twox128(data: bytes) -> bytes:
    import xxhash

    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


@lru_cache(maxsize=256)
def storage_key(pallet: str, item: str, netuid: int | None = None) -> str:
    """The key of a plain storage value, or of a netuid-keyed map entry (u16 under the Identity hasher)."""
    key = _twox128(pallet.encode()) + _twox128(item.encode())
    if netuid is not None:
        key += int(netuid).to_bytes(2, "little")
    return "0x" + key.hex()


def storage_uint(value: Any, size: int, what: str) -> int | None:
    """A SCALE little-endian unsigned integer of `size` bytes from a storage answer (None stays None);
    a ValueError naming `what` for anything else."""
    if value is None:
        return None
    raw = strict_hex_bytes(value, what)
    if len(raw) != size:
        raise ValueError(f"{what}: expected {size} bytes (u{size * 8}), got {len(raw)}: {value[:40]}")
    return int.from_bytes(raw, "little")
