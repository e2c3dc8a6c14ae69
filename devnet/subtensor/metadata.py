"""Runtime metadata that the devnet authors itself, with subtensor's pallet, event and field layout.

The metadata is built as data: a portable type registry (scale-info style type definitions, numbered
as they are added) plus pallets, extrinsic description and runtime APIs, then SCALE-encoded as
`MetadataVersioned` (V14, and V15 for `Metadata_metadata_at_version`) with the codec of `scalecodec`
(cyscale). What the devnet serves in these types (events, extrinsics, storage values, runtime API
results) is encoded by writers compiled once per runtime from the same registry (`compile_encoders`),
byte for byte what scalecodec's generic codec writes for the same values, without building a codec
object per value. Only the part of subtensor's runtime that the devnet serves is described: System,
Timestamp, Balances, TransactionPayment and SubtensorModule, with their real pallet indices and event
variant indices.

Two runtime versions exist on the devnet chain. Spec 342 emits `StakeAdded`/`StakeRemoved` as
(coldkey, hotkey, tao, alpha, netuid); spec 343 appends the swap `fee`, as subtensor did. A decoder
that reads every block with one metadata therefore mis-decodes one side of the upgrade.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

SPEC_NAME = "node-subtensor"
SPEC_OLD = 342
SPEC_NEW = 343
METADATA_MAGIC = "0x6d657461"  # b"meta"

Field = tuple[str | None, int, str | None]  # (name, type id, type name)


class TypeRegistry:
    """A portable type registry under construction; identical definitions share one id."""

    def __init__(self) -> None:
        self.types: list[dict] = []
        self._memo: dict[Any, int] = {}

    def _add(self, key: Any, definition: dict, path=(), params=(), docs=()) -> int:
        if key in self._memo:
            return self._memo[key]
        tid = len(self.types)
        self.types.append(
            {
                "id": tid,
                "type": {
                    "path": list(path),
                    "params": [{"name": n, "type": t} for n, t in params],
                    "def": definition,
                    "docs": list(docs),
                },
            }
        )
        self._memo[key] = tid
        return tid

    def prim(self, name: str) -> int:
        return self._add(("prim", name), {"primitive": name})

    def seq(self, inner: int) -> int:
        return self._add(("seq", inner), {"sequence": {"type": inner}})

    def array(self, length: int, inner: int) -> int:
        return self._add(("array", length, inner), {"array": {"len": length, "type": inner}})

    def compact(self, inner: int) -> int:
        return self._add(("compact", inner), {"compact": {"type": inner}})

    def tuple(self, *inner: int) -> int:
        return self._add(("tuple", inner), {"tuple": list(inner)})

    @staticmethod
    def _fields(fields: list[Field]) -> list[dict]:
        return [{"name": n, "type": t, "typeName": tn, "docs": []} for n, t, tn in fields]

    def composite(self, path: str, fields: list[Field], params=(), docs=()) -> int:
        segments = path.split("::")
        key = ("composite", path, tuple(params), tuple(map(tuple, fields)))
        return self._add(key, {"composite": {"fields": self._fields(fields)}}, segments, params, docs)

    def variant(self, path: str, variants: list[tuple], params=(), docs=()) -> int:
        """variants: (name, index, fields[, docs])."""
        rendered = [
            {
                "name": v[0],
                "fields": self._fields(v[2]),
                "index": v[1],
                "docs": list(v[3]) if len(v) > 3 else [],
            }
            for v in variants
        ]
        key = ("variant", path, tuple(params), repr(rendered))
        return self._add(key, {"variant": {"variants": rendered}}, path.split("::"), params, docs)

    def option(self, inner: int) -> int:
        return self.variant("Option", [("None", 0, []), ("Some", 1, [(None, inner, None)])], [("T", inner)])


# ------------------------------------------------------------------------------ encoders
class ScaleEncodeError(ValueError):
    """A value whose shape does not fit the registry type it is encoded as; `path` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []  # innermost first

    def __str__(self) -> str:
        where = "".join(reversed(self.path))
        return f"{where}: {self.message}" if where else self.message


Writer = Callable[[bytearray, Any], None]


def _compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


def _raw_bytes(value: Any) -> bytes | None:
    """Bytes given as bytes or 0x hex; None for any other shape."""
    if isinstance(value, str):
        if value[:2] != "0x":
            return None
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            raise ScaleEncodeError(f"not hex: {value[:80]!r}") from None
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return None


def _empty(value: Any) -> bool:
    """What a variant case or composite without fields takes: None, (), [] or {}."""
    return value is None or (isinstance(value, tuple | list | dict) and not value)


def _shape(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}{'...' if len(text) > 80 else ''}"


_INT_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "u128": 128, "u256": 256}
_INT_BITS |= {"i" + name[1:]: bits for name, bits in _INT_BITS.items()}
_CALL_KEYS = {"call_module", "call_function", "call_args"}  # a RuntimeCall as scalecodec spells it


def compile_encoders(types: list[dict]) -> dict[int, Writer]:
    """One writer per type id of a portable registry: `writer(out, value)` appends `value`'s SCALE
    encoding to `out`. The values are those the devnet builds (and scalecodec takes):

    - integers for u8..u256 and i8..i256 (and their Compact), True/False for bool, str for str;
    - a composite's named fields as a dict with exactly those keys, unnamed fields as a tuple or list,
      a single unnamed field bare (so AccountId32 and H256 take 0x hex), no fields as () or {};
    - a variant as its name when it has no fields, else {name: fields} (fields as for a composite);
      `Option<T>` as None or the value, a `RuntimeCall` as {call_module, call_function, call_args},
      an `Era` also as "00" (immortal);
    - sequences and arrays as lists or tuples, of u8 also as bytes or 0x hex.

    Anything else raises `ScaleEncodeError` instead of writing bytes.
    """
    defs = {t["id"]: t["type"] for t in types}
    writers: dict[int, Writer] = {}

    def label(tid: int) -> str:
        ty = defs[tid]
        if ty["path"]:
            return ty["path"][-1]
        kind, body = next(iter(ty["def"].items()))
        if kind == "primitive":
            return body
        if kind == "sequence":
            return f"Vec<{label(body['type'])}>"
        if kind == "array":
            return f"[{label(body['type'])}; {body['len']}]"
        if kind == "compact":
            return f"Compact<{label(body['type'])}>"
        if kind == "tuple":
            return f"({', '.join(map(label, body))})"
        return kind

    def writer(tid: int) -> Writer:
        if tid not in writers:
            writers[tid] = build(tid)
        return writers[tid]

    def is_u8(tid: int) -> bool:
        return defs[tid]["def"] == {"primitive": "u8"}

    def build(tid: int) -> Writer:
        kind, body = next(iter(defs[tid]["def"].items()))
        name = label(tid)
        if kind == "primitive":
            return primitive(body)
        if kind == "compact":
            inner = defs[body["type"]]["def"].get("primitive")
            if inner not in _INT_BITS or inner[0] != "u":
                return unsupported(f"{name}: only unsigned integers are compact-encoded here")
            return compact(name, (1 << _INT_BITS[inner]) - 1)
        if kind == "sequence":
            return sequence(name, writer(body["type"]), is_u8(body["type"]))
        if kind == "array":
            return array(name, body["len"], writer(body["type"]), is_u8(body["type"]))
        if kind == "tuple":
            return fields(name, [(None, writer(t)) for t in body]) or nothing(name)
        if kind == "composite":
            return fields(name, [(f["name"], writer(f["type"])) for f in body["fields"]]) or nothing(name)
        if kind == "variant":
            return variant(tid, name, body["variants"])
        return unsupported(f"{name}: no encoder for {kind} types")

    def unsupported(message: str) -> Writer:
        def write(out: bytearray, value: Any) -> None:
            raise ScaleEncodeError(message)

        return write

    def primitive(prim: str) -> Writer:
        if prim == "bool":

            def write_bool(out: bytearray, value: Any) -> None:
                if value is True or value is False:
                    out.append(value)
                else:
                    raise ScaleEncodeError(f"bool takes True or False, got {_shape(value)}")

            return write_bool
        if prim == "str":

            def write_str(out: bytearray, value: Any) -> None:
                if not isinstance(value, str):
                    raise ScaleEncodeError(f"str takes a str, got {_shape(value)}")
                data = value.encode()
                out += _compact(len(data))
                out += data

            return write_str
        if prim not in _INT_BITS:
            return unsupported(f"no encoder for primitive {prim}")
        size, signed = _INT_BITS[prim] // 8, prim[0] == "i"

        def write_int(out: bytearray, value: Any) -> None:
            try:
                out += operator.index(value).to_bytes(size, "little", signed=signed)
            except (TypeError, OverflowError):
                raise ScaleEncodeError(f"{prim} takes an integer in its range, got {_shape(value)}") from None

        return write_int

    def compact(name: str, top: int) -> Writer:
        def write(out: bytearray, value: Any) -> None:
            try:
                n = operator.index(value)
            except TypeError:
                n = -1
            if not 0 <= n <= top:
                raise ScaleEncodeError(f"{name} takes an integer in 0..{top}, got {_shape(value)}")
            out += _compact(n)

        return write

    def sequence(name: str, item: Writer, of_u8: bool) -> Writer:
        def write(out: bytearray, value: Any) -> None:
            data = _raw_bytes(value) if of_u8 else None
            if data is not None:
                out += _compact(len(data))
                out += data
                return
            if not isinstance(value, list | tuple):
                raise ScaleEncodeError(f"{name} takes a list or tuple, got {_shape(value)}")
            out += _compact(len(value))
            for i, element in enumerate(value):
                try:
                    item(out, element)
                except ScaleEncodeError as e:
                    e.path.append(f"[{i}]")
                    raise

        return write

    def array(name: str, length: int, item: Writer, of_u8: bool) -> Writer:
        def write(out: bytearray, value: Any) -> None:
            data = _raw_bytes(value) if of_u8 else None
            if data is not None:
                if len(data) != length:
                    raise ScaleEncodeError(f"{name} takes {length} bytes, got {len(data)}")
                out += data
                return
            if not isinstance(value, list | tuple) or len(value) != length:
                raise ScaleEncodeError(f"{name} takes {length} items, got {_shape(value)}")
            for i, element in enumerate(value):
                try:
                    item(out, element)
                except ScaleEncodeError as e:
                    e.path.append(f"[{i}]")
                    raise

        return write

    def nothing(name: str) -> Writer:
        def write(out: bytearray, value: Any) -> None:
            if not _empty(value):
                raise ScaleEncodeError(f"{name} has no fields, got {_shape(value)}")

        return write

    def fields(name: str, parts: list[tuple[str | None, Writer]]) -> Writer | None:
        """The writer of a field list (composite, tuple or variant case); None when it is empty."""
        if not parts:
            return None
        if len(parts) == 1 and parts[0][0] is None:
            return parts[0][1]  # a single unnamed field is given bare
        if parts[0][0] is None:
            count, writers_ = len(parts), [w for _, w in parts]

            def write_unnamed(out: bytearray, value: Any) -> None:
                if not isinstance(value, tuple | list) or len(value) != count:
                    raise ScaleEncodeError(f"{name} takes a tuple of {count}, got {_shape(value)}")
                for i, (w, element) in enumerate(zip(writers_, value, strict=False)):
                    try:
                        w(out, element)
                    except ScaleEncodeError as e:
                        e.path.append(f".{i}")
                        raise

            return write_unnamed
        keys = [n for n, _ in parts]

        def write_named(out: bytearray, value: Any) -> None:
            if type(value) is not dict or len(value) != len(parts):
                raise ScaleEncodeError(f"{name} takes a dict of {keys}, got {_shape(value)}")
            for key, w in parts:
                try:
                    element = value[key]
                except KeyError:
                    raise ScaleEncodeError(f"{name} takes a dict of {keys}, got {_shape(value)}") from None
                try:
                    w(out, element)
                except ScaleEncodeError as e:
                    e.path.append(f".{key}")
                    raise

        return write_named

    def variant(tid: int, name: str, variants: list[dict]) -> Writer:
        path = defs[tid]["path"]
        cases = {
            v["name"]: (
                v["index"],
                fields(f"{name}::{v['name']}", [(f["name"], writer(f["type"])) for f in v["fields"]]),
            )
            for v in variants
        }
        if path == ["Option"] and [(v["name"], v["index"]) for v in variants] == [("None", 0), ("Some", 1)]:
            some = cases["Some"][1]

            def write_option(out: bytearray, value: Any) -> None:
                if value is None:
                    out.append(0)
                else:
                    out.append(1)
                    some(out, value)

            return write_option
        if path[-1:] == ["Era"]:
            cases["00"] = cases["Immortal"]  # scalecodec's spelling of Era::Immortal
        call = path[-1:] == ["RuntimeCall"]

        def write(out: bytearray, value: Any) -> None:
            if type(value) is str:
                case, inner = value, None
            elif type(value) is dict and call and value.keys() == _CALL_KEYS:
                case, inner = value["call_module"], {value["call_function"]: value["call_args"]}
            elif type(value) is dict and len(value) == 1:
                ((case, inner),) = value.items()
            else:
                raise ScaleEncodeError(
                    f"{name} takes a variant name or {{name: fields}}, got {_shape(value)}"
                )
            found = cases.get(case)
            if found is None:
                raise ScaleEncodeError(f"{name} has no variant {case!r}")
            index, write_fields = found
            if write_fields is None:
                if not _empty(inner):
                    raise ScaleEncodeError(f"{name}::{case} has no fields, got {_shape(inner)}")
                out.append(index)
                return
            if type(value) is str:
                raise ScaleEncodeError(f"{name}::{case} has fields: give {{{case!r}: fields}}")
            out.append(index)
            try:
                write_fields(out, inner)
            except ScaleEncodeError as e:
                e.path.append(f"::{case}")
                raise

        return write

    for t in types:
        writer(t["id"])
    return writers


def _storage_plain(name: str, ty: int, default: str, docs: str = "") -> dict:
    return {
        "name": name,
        "modifier": "Default",
        "type": {"Plain": ty},
        "default": default,
        "documentation": [docs] if docs else [],
    }


def _storage_map(name: str, hasher: str, key: int, value: int, default: str) -> dict:
    return {
        "name": name,
        "modifier": "Default",
        "type": {"Map": {"hashers": [hasher], "key": key, "value": value}},
        "default": default,
        "documentation": [],
    }


def api_id(name: str) -> str:
    """A runtime API's id as listed in RuntimeVersion.apis: blake2b-64 of the trait name."""
    return "0x" + hashlib.blake2b(name.encode(), digest_size=8).hexdigest()


RUNTIME_APIS = [
    ("Core", 5),
    ("Metadata", 2),
    ("BlockBuilder", 6),
    ("TaggedTransactionQueue", 3),
    ("AuraApi", 1),
    ("GrandpaApi", 3),
    ("AccountNonceApi", 1),
    ("TransactionPaymentApi", 4),
    ("NeuronInfoRuntimeApi", 1),
    ("SubnetInfoRuntimeApi", 1),
]


@dataclass
class RuntimeMetadata:
    """One runtime version's metadata: encoded V14/V15 blobs and an encoder bound to its registry."""

    spec_version: int
    v14: bytes
    v15: bytes
    type_ids: dict[str, int]
    pallet_index: dict[str, int]
    runtime_config: RuntimeConfigurationObject = field(repr=False)
    decoded: Any = field(repr=False)
    encoders: dict[int, Writer] = field(repr=False)  # compile_encoders of the registry

    def encode(self, type_name: str, value: Any) -> bytes:
        """SCALE-encode `value` as the registry type named `type_name` (a key of `type_ids`), with the
        registry's compiled encoders (see `compile_encoders` for the values each type takes)."""
        out = bytearray()
        try:
            self.encoders[self.type_ids[type_name]](out, value)
        except ScaleEncodeError as e:
            e.path.append(type_name)
            raise
        return bytes(out)

    def decode(self, type_name: str, data: bytes) -> Any:
        obj = self.runtime_config.create_scale_object(
            f"scale_info::{self.type_ids[type_name]}", data=ScaleBytes(data), metadata=self.decoded
        )
        obj.decode()
        return obj.value

    def runtime_version(self) -> dict:
        """The JSON shape of `state_getRuntimeVersion` for this runtime."""
        return {
            "specName": SPEC_NAME,
            "implName": SPEC_NAME,
            "authoringVersion": 1,
            "specVersion": self.spec_version,
            "implVersion": 1,
            "apis": [[api_id(name), version] for name, version in RUNTIME_APIS],
            "transactionVersion": 1,
            "stateVersion": 1,
        }


def decode_metadata(data: bytes | str) -> tuple[Any, RuntimeConfigurationObject]:
    """Decode a `MetadataVersioned` blob (V14 or V15) and return it with a codec bound to its registry.

    This is the one code path for both the devnet's own metadata and real subtensor metadata.
    """
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset(name="core"))
    obj = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(data))
    obj.decode()
    rc.add_portable_registry(obj)
    return obj, rc


def _build(spec_version: int) -> dict:
    """The metadata of one runtime version as plain data (no bytes yet)."""
    reg = TypeRegistry()
    u8, u16, u32, u64, u128 = (reg.prim(n) for n in ("u8", "u16", "u32", "u64", "u128"))
    i128, boolean, text = reg.prim("i128"), reg.prim("bool"), reg.prim("str")
    bytes32 = reg.array(32, u8)
    account = reg.composite("sp_core::crypto::AccountId32", [(None, bytes32, "[u8; 32]")])
    h256 = reg.composite("primitive_types::H256", [(None, bytes32, "[u8; 32]")])
    vec_u8 = reg.seq(u8)
    vec_u16 = reg.seq(u16)
    vec_u64 = reg.seq(u64)
    c_u16, c_u32, c_u64 = reg.compact(u16), reg.compact(u32), reg.compact(u64)
    c_u8, c_u128 = reg.compact(u8), reg.compact(u128)
    t = "T"
    generic = [(t, None)]

    # --- frame_system -------------------------------------------------------------------------
    extra_flags = reg.composite("pallet_balances::types::ExtraFlags", [(None, u128, "u128")])
    account_data = reg.composite(
        "pallet_balances::types::AccountData",
        [
            ("free", u64, "Balance"),
            ("reserved", u64, "Balance"),
            ("frozen", u64, "Balance"),
            ("flags", extra_flags, "ExtraFlags"),
        ],
        [("Balance", u64)],
    )
    account_info = reg.composite(
        "frame_system::AccountInfo",
        [
            ("nonce", u32, "Nonce"),
            ("consumers", u32, "RefCount"),
            ("providers", u32, "RefCount"),
            ("sufficients", u32, "RefCount"),
            ("data", account_data, "AccountData"),
        ],
        [("Nonce", u32), ("AccountData", account_data)],
    )
    weight = reg.composite(
        "sp_weights::weight_v2::Weight", [("ref_time", c_u64, "u64"), ("proof_size", c_u64, "u64")]
    )
    dispatch_class = reg.variant(
        "frame_support::dispatch::DispatchClass",
        [("Normal", 0, []), ("Operational", 1, []), ("Mandatory", 2, [])],
    )
    pays = reg.variant("frame_support::dispatch::Pays", [("Yes", 0, []), ("No", 1, [])])
    dispatch_info = reg.composite(
        "frame_system::DispatchEventInfo",
        [
            ("weight", weight, "Weight"),
            ("class", dispatch_class, "DispatchClass"),
            ("pays_fee", pays, "Pays"),
        ],
    )
    module_error = reg.composite(
        "sp_runtime::ModuleError",
        [("index", u8, "u8"), ("error", reg.array(4, u8), "[u8; MAX_MODULE_ERROR_ENCODED_SIZE]")],
    )
    dispatch_error = reg.variant(
        "sp_runtime::DispatchError",
        [
            ("Other", 0, []),
            ("CannotLookup", 1, []),
            ("BadOrigin", 2, []),
            ("Module", 3, [(None, module_error, "ModuleError")]),
            ("ConsumerRemaining", 4, []),
            ("NoProviders", 5, []),
            ("TooManyConsumers", 6, []),
            ("Exhausted", 10, []),
            ("Corruption", 11, []),
            ("Unavailable", 12, []),
        ],
    )
    system_event = reg.variant(
        "frame_system::pallet::Event",
        [
            (
                "ExtrinsicSuccess",
                0,
                [("dispatch_info", dispatch_info, "DispatchEventInfo")],
                ["An extrinsic completed successfully."],
            ),
            (
                "ExtrinsicFailed",
                1,
                [
                    ("dispatch_error", dispatch_error, "DispatchError"),
                    ("dispatch_info", dispatch_info, "DispatchEventInfo"),
                ],
                ["An extrinsic failed."],
            ),
            ("CodeUpdated", 2, [], ["`:code` was updated."]),
            ("NewAccount", 3, [("account", account, "T::AccountId")], ["A new account was created."]),
            ("KilledAccount", 4, [("account", account, "T::AccountId")], ["An account was reaped."]),
            (
                "Remarked",
                5,
                [("sender", account, "T::AccountId"), ("hash", h256, "T::Hash")],
                ["On on-chain remark happened."],
            ),
        ],
        generic,
    )
    system_call = reg.variant(
        "frame_system::pallet::Call",
        [("remark", 0, [("remark", vec_u8, "Vec<u8>")]), ("set_code", 2, [("code", vec_u8, "Vec<u8>")])],
        generic,
    )
    system_error = reg.variant(
        "frame_system::pallet::Error",
        [
            ("InvalidSpecName", 0, []),
            ("SpecVersionNeedsToIncrease", 1, []),
            ("FailedToExtractRuntimeVersion", 2, []),
            ("NonDefaultComposite", 3, []),
            ("NonZeroRefCount", 4, []),
            ("CallFiltered", 5, []),
        ],
        generic,
    )
    consensus_id = reg.array(4, u8)
    digest_item = reg.variant(
        "sp_runtime::generic::digest::DigestItem",
        [
            ("PreRuntime", 6, [(None, consensus_id, "ConsensusEngineId"), (None, vec_u8, "Vec<u8>")]),
            ("Consensus", 4, [(None, consensus_id, "ConsensusEngineId"), (None, vec_u8, "Vec<u8>")]),
            ("Seal", 5, [(None, consensus_id, "ConsensusEngineId"), (None, vec_u8, "Vec<u8>")]),
            ("Other", 0, [(None, vec_u8, "Vec<u8>")]),
            ("RuntimeEnvironmentUpdated", 8, []),
        ],
    )
    digest = reg.composite(
        "sp_runtime::generic::digest::Digest", [("logs", reg.seq(digest_item), "Vec<DigestItem>")]
    )
    phase = reg.variant(
        "frame_system::Phase",
        [("ApplyExtrinsic", 0, [(None, u32, "u32")]), ("Finalization", 1, []), ("Initialization", 2, [])],
    )
    api_entry = reg.tuple(reg.array(8, u8), u32)
    runtime_version = reg.composite(
        "sp_version::RuntimeVersion",
        [
            ("spec_name", text, "Cow<'static, str>"),
            ("impl_name", text, "Cow<'static, str>"),
            ("authoring_version", u32, "u32"),
            ("spec_version", u32, "u32"),
            ("impl_version", u32, "u32"),
            ("apis", reg.seq(api_entry), "ApisVec"),
            ("transaction_version", u32, "u32"),
            ("system_version", u8, "u8"),
        ],
    )

    # --- pallet_timestamp ---------------------------------------------------------------------
    timestamp_call = reg.variant(
        "pallet_timestamp::pallet::Call",
        [("set", 0, [("now", c_u64, "T::Moment")], ["Set the current time."])],
        generic,
    )

    # --- pallet_balances ----------------------------------------------------------------------
    multi_address = reg.variant(
        "sp_runtime::multiaddress::MultiAddress",
        [
            ("Id", 0, [(None, account, "AccountId")]),
            ("Raw", 2, [(None, vec_u8, "Vec<u8>")]),
            ("Address32", 3, [(None, bytes32, "[u8; 32]")]),
            ("Address20", 4, [(None, reg.array(20, u8), "[u8; 20]")]),
        ],
        [("AccountId", account), ("AccountIndex", None)],
    )

    def acct(name: str) -> Field:
        return (name, account, "T::AccountId")

    def bal(name: str) -> Field:
        return (name, u64, "T::Balance")

    balances_event = reg.variant(
        "pallet_balances::pallet::Event",
        [
            ("Endowed", 0, [acct("account"), bal("free_balance")]),
            ("DustLost", 1, [acct("account"), bal("amount")]),
            ("Transfer", 2, [acct("from"), acct("to"), bal("amount")], ["Transfer succeeded."]),
            ("BalanceSet", 3, [acct("who"), bal("free")]),
            ("Reserved", 4, [acct("who"), bal("amount")]),
            ("Unreserved", 5, [acct("who"), bal("amount")]),
            ("Deposit", 7, [acct("who"), bal("amount")]),
            ("Withdraw", 8, [acct("who"), bal("amount")]),
            ("Minted", 10, [acct("who"), bal("amount")]),
            ("Burned", 11, [acct("who"), bal("amount")]),
            ("Issued", 15, [bal("amount")]),
        ],
        [("T", None), ("I", None)],
    )
    balances_call = reg.variant(
        "pallet_balances::pallet::Call",
        [
            (
                "transfer_allow_death",
                0,
                [("dest", multi_address, "AccountIdLookupOf<T>"), ("value", c_u64, "T::Balance")],
            ),
            (
                "transfer_keep_alive",
                3,
                [("dest", multi_address, "AccountIdLookupOf<T>"), ("value", c_u64, "T::Balance")],
            ),
        ],
        [("T", None), ("I", None)],
    )
    balances_error = reg.variant(
        "pallet_balances::pallet::Error",
        [
            ("VestingBalance", 0, []),
            ("LiquidityRestrictions", 1, []),
            ("InsufficientBalance", 2, []),
            ("ExistentialDeposit", 3, []),
            ("Expendability", 4, []),
        ],
        [("T", None), ("I", None)],
    )

    # --- pallet_transaction_payment ----------------------------------------------------------
    payment_event = reg.variant(
        "pallet_transaction_payment::pallet::Event",
        [
            (
                "TransactionFeePaid",
                0,
                [acct("who"), ("actual_fee", u64, "BalanceOf<T>"), ("tip", u64, "BalanceOf<T>")],
                [
                    "A transaction fee `actual_fee`, of which `tip` was added to the minimum inclusion fee,",
                    "has been paid by `who`.",
                ],
            )
        ],
        generic,
    )

    # --- pallet_subtensor ---------------------------------------------------------------------
    netuid_f = (None, u16, "NetUid")
    uid_f = (None, u16, "u16")
    coldkey_f = hotkey_f = (None, account, "T::AccountId")
    tao_f = (None, u64, "TaoCurrency")
    alpha_f = (None, u64, "AlphaCurrency")
    stake_fields = [coldkey_f, hotkey_f, tao_f, alpha_f, netuid_f]
    if spec_version >= SPEC_NEW:
        stake_fields = stake_fields + [(None, u64, "u64")]
    subtensor_event = reg.variant(
        "pallet_subtensor::pallet::Event",
        [
            ("NetworkAdded", 0, [netuid_f, (None, u16, "u16")], ["a new network is added."]),
            ("NetworkRemoved", 1, [netuid_f], ["a network is removed."]),
            (
                "StakeAdded",
                2,
                stake_fields,
                ["stake has been transferred from the coldkey account onto the hotkey."],
            ),
            ("StakeRemoved", 3, stake_fields, ["stake has been removed from the hotkey staking account."]),
            (
                "StakeMoved",
                4,
                [coldkey_f, hotkey_f, netuid_f, hotkey_f, netuid_f, (None, u64, "AlphaCurrency")],
            ),
            (
                "WeightsSet",
                5,
                [netuid_f, uid_f],
                ["a caller successfully sets their weights on a subnetwork."],
            ),
            (
                "NeuronRegistered",
                6,
                [netuid_f, uid_f, hotkey_f],
                ["a new neuron account has been registered."],
            ),
            (
                "AxonServed",
                28,
                [netuid_f, hotkey_f],
                ["the axon server information is added to the network."],
            ),
            (
                "IncentiveAlphaEmittedToMiners",
                104,
                [("netuid", u16, "NetUid"), ("emissions", vec_u64, "Vec<AlphaCurrency>")],
                ["Alpha incentive emitted to the miners of a subnet in its epoch, per UID."],
            ),
        ],
        generic,
    )
    subtensor_call = reg.variant(
        "pallet_subtensor::pallet::Call",
        [
            (
                "set_weights",
                0,
                [
                    ("netuid", u16, "NetUid"),
                    ("dests", vec_u16, "Vec<u16>"),
                    ("weights", vec_u16, "Vec<u16>"),
                    ("version_key", u64, "u64"),
                ],
            ),
            (
                "add_stake",
                2,
                [
                    ("hotkey", account, "T::AccountId"),
                    ("netuid", u16, "NetUid"),
                    ("amount_staked", u64, "TaoCurrency"),
                ],
            ),
            (
                "remove_stake",
                3,
                [
                    ("hotkey", account, "T::AccountId"),
                    ("netuid", u16, "NetUid"),
                    ("amount_unstaked", u64, "AlphaCurrency"),
                ],
            ),
            (
                "serve_axon",
                4,
                [
                    ("netuid", u16, "NetUid"),
                    ("version", u32, "u32"),
                    ("ip", u128, "u128"),
                    ("port", u16, "u16"),
                    ("ip_type", u8, "u8"),
                    ("protocol", u8, "u8"),
                    ("placeholder1", u8, "u8"),
                    ("placeholder2", u8, "u8"),
                ],
            ),
            ("burned_register", 7, [("netuid", u16, "NetUid"), ("hotkey", account, "T::AccountId")]),
            ("register_network", 59, [("hotkey", account, "T::AccountId")]),
        ],
        generic,
    )
    subtensor_error = reg.variant(
        "pallet_subtensor::pallet::Error",
        [
            ("RootNetworkDoesNotExist", 0, []),
            ("InvalidIpType", 1, []),
            ("InvalidIpAddress", 2, []),
            ("InvalidPort", 3, []),
            ("HotKeyNotRegisteredInSubNet", 4, []),
            ("HotKeyAccountNotExists", 5, []),
            ("NotEnoughStakeToWithdraw", 7, []),
            ("NotEnoughBalanceToStake", 9, []),
        ],
        generic,
    )

    # --- outer enums, events storage ----------------------------------------------------------
    runtime_event = reg.variant(
        "node_subtensor_runtime::RuntimeEvent",
        [
            ("System", 0, [(None, system_event, "frame_system::Event<Runtime>")]),
            ("Balances", 5, [(None, balances_event, "pallet_balances::Event<Runtime>")]),
            (
                "TransactionPayment",
                6,
                [(None, payment_event, "pallet_transaction_payment::Event<Runtime>")],
            ),
            ("SubtensorModule", 7, [(None, subtensor_event, "pallet_subtensor::Event<Runtime>")]),
        ],
    )
    runtime_call = reg.variant(
        "node_subtensor_runtime::RuntimeCall",
        [
            (
                "System",
                0,
                [
                    (
                        None,
                        system_call,
                        "self::sp_api_hidden_includes_construct_runtime::hidden_include::"
                        "dispatch::CallableCallFor<System, Runtime>",
                    )
                ],
            ),
            ("Timestamp", 2, [(None, timestamp_call, "CallableCallFor<Timestamp, Runtime>")]),
            ("Balances", 5, [(None, balances_call, "CallableCallFor<Balances, Runtime>")]),
            ("SubtensorModule", 7, [(None, subtensor_call, "CallableCallFor<SubtensorModule, Runtime>")]),
        ],
    )
    runtime_error = reg.variant(
        "node_subtensor_runtime::RuntimeError",
        [
            ("System", 0, [(None, system_error, "frame_system::Error<Runtime>")]),
            ("Balances", 5, [(None, balances_error, "pallet_balances::Error<Runtime>")]),
            ("SubtensorModule", 7, [(None, subtensor_error, "pallet_subtensor::Error<Runtime>")]),
        ],
    )
    event_record = reg.composite(
        "frame_system::EventRecord",
        [("phase", phase, "Phase"), ("event", runtime_event, "E"), ("topics", reg.seq(h256), "Vec<T>")],
        [("E", runtime_event), ("T", h256)],
    )
    event_records = reg.seq(event_record)
    runtime_ty = reg.composite("node_subtensor_runtime::Runtime", [])

    # --- extrinsic ----------------------------------------------------------------------------
    multi_signature = reg.variant(
        "sp_runtime::MultiSignature",
        [
            ("Ed25519", 0, [(None, reg.array(64, u8), "ed25519::Signature")]),
            ("Sr25519", 1, [(None, reg.array(64, u8), "sr25519::Signature")]),
            ("Ecdsa", 2, [(None, reg.array(65, u8), "ecdsa::Signature")]),
        ],
    )
    era = reg.variant(
        "sp_runtime::generic::era::Era",
        [("Immortal", 0, [])] + [(f"Mortal{i}", i, [(None, u8, None)]) for i in range(1, 256)],
    )
    ext_runtime = [("T", runtime_ty)]
    extensions = [
        (
            "CheckNonZeroSender",
            reg.composite(
                "frame_system::extensions::check_non_zero_sender::CheckNonZeroSender", [], ext_runtime
            ),
            reg.tuple(),
        ),
        (
            "CheckSpecVersion",
            reg.composite("frame_system::extensions::check_spec_version::CheckSpecVersion", [], ext_runtime),
            u32,
        ),
        (
            "CheckTxVersion",
            reg.composite("frame_system::extensions::check_tx_version::CheckTxVersion", [], ext_runtime),
            u32,
        ),
        (
            "CheckGenesis",
            reg.composite("frame_system::extensions::check_genesis::CheckGenesis", [], ext_runtime),
            h256,
        ),
        (
            "CheckMortality",
            reg.composite(
                "frame_system::extensions::check_mortality::CheckMortality", [(None, era, "Era")], ext_runtime
            ),
            h256,
        ),
        (
            "CheckNonce",
            reg.composite(
                "frame_system::extensions::check_nonce::CheckNonce", [(None, c_u32, "T::Nonce")], ext_runtime
            ),
            reg.tuple(),
        ),
        (
            "CheckWeight",
            reg.composite("frame_system::extensions::check_weight::CheckWeight", [], ext_runtime),
            reg.tuple(),
        ),
        (
            "ChargeTransactionPayment",
            reg.composite(
                "pallet_transaction_payment::ChargeTransactionPayment",
                [(None, c_u64, "BalanceOf<T>")],
                ext_runtime,
            ),
            reg.tuple(),
        ),
    ]
    extra = reg.tuple(*(e[1] for e in extensions))
    unchecked = reg.composite(
        "sp_runtime::generic::unchecked_extrinsic::UncheckedExtrinsic",
        [(None, vec_u8, None)],
        [
            ("Address", multi_address),
            ("Call", runtime_call),
            ("Signature", multi_signature),
            ("Extra", extra),
        ],
    )

    # --- runtime API types --------------------------------------------------------------------
    axon_info = reg.composite(
        "pallet_subtensor::pallet::AxonInfo",
        [
            ("block", u64, "u64"),
            ("version", u32, "u32"),
            ("ip", u128, "u128"),
            ("port", u16, "u16"),
            ("ip_type", u8, "u8"),
            ("protocol", u8, "u8"),
            ("placeholder1", u8, "u8"),
            ("placeholder2", u8, "u8"),
        ],
    )
    prometheus_info = reg.composite(
        "pallet_subtensor::pallet::PrometheusInfo",
        [
            ("block", u64, "u64"),
            ("version", u32, "u32"),
            ("ip", u128, "u128"),
            ("port", u16, "u16"),
            ("ip_type", u8, "u8"),
        ],
    )
    stake_entry = reg.tuple(account, c_u64)
    neuron_lite = reg.composite(
        "pallet_subtensor::rpc_info::neuron_info::NeuronInfoLite",
        [
            ("hotkey", account, "AccountId"),
            ("coldkey", account, "AccountId"),
            ("uid", c_u16, "Compact<u16>"),
            ("netuid", c_u16, "Compact<NetUid>"),
            ("active", boolean, "bool"),
            ("axon_info", axon_info, "AxonInfo"),
            ("prometheus_info", prometheus_info, "PrometheusInfo"),
            ("stake", reg.seq(stake_entry), "Vec<(AccountId, Compact<AlphaCurrency>)>"),
            ("rank", c_u16, "Compact<u16>"),
            ("emission", c_u64, "Compact<AlphaCurrency>"),
            ("incentive", c_u16, "Compact<u16>"),
            ("consensus", c_u16, "Compact<u16>"),
            ("trust", c_u16, "Compact<u16>"),
            ("validator_trust", c_u16, "Compact<u16>"),
            ("dividends", c_u16, "Compact<u16>"),
            ("last_update", c_u64, "Compact<u64>"),
            ("validator_permit", boolean, "bool"),
            ("pruning_score", c_u16, "Compact<u16>"),
        ],
        [("AccountId", account)],
    )
    vec_c_u8 = reg.seq(c_u8)
    subnet_identity = reg.composite(
        "pallet_subtensor::pallet::SubnetIdentityOfV3",
        [
            (n, vec_u8, "Vec<u8>")
            for n in (
                "subnet_name",
                "github_repo",
                "subnet_contact",
                "subnet_url",
                "discord",
                "description",
                "logo_url",
                "additional",
            )
        ],
    )
    fixed_i128 = reg.composite("substrate_fixed::FixedI128", [("bits", i128, "i128")], [("Frac", None)])
    dynamic_info = reg.composite(
        "pallet_subtensor::rpc_info::dynamic_info::DynamicInfo",
        [
            ("netuid", c_u16, "Compact<NetUid>"),
            ("owner_hotkey", account, "AccountId"),
            ("owner_coldkey", account, "AccountId"),
            ("subnet_name", vec_c_u8, "Vec<Compact<u8>>"),
            ("token_symbol", vec_c_u8, "Vec<Compact<u8>>"),
            ("tempo", c_u16, "Compact<u16>"),
            ("last_step", c_u64, "Compact<u64>"),
            ("blocks_since_last_step", c_u64, "Compact<u64>"),
            ("emission", c_u64, "Compact<u64>"),
            ("alpha_in", c_u64, "Compact<AlphaCurrency>"),
            ("alpha_out", c_u64, "Compact<AlphaCurrency>"),
            ("tao_in", c_u64, "Compact<TaoCurrency>"),
            ("alpha_out_emission", c_u64, "Compact<AlphaCurrency>"),
            ("alpha_in_emission", c_u64, "Compact<AlphaCurrency>"),
            ("tao_in_emission", c_u64, "Compact<TaoCurrency>"),
            ("pending_alpha_emission", c_u64, "Compact<AlphaCurrency>"),
            ("pending_root_emission", c_u64, "Compact<TaoCurrency>"),
            ("subnet_volume", c_u128, "Compact<u128>"),
            ("network_registered_at", c_u64, "Compact<u64>"),
            ("subnet_identity", reg.option(subnet_identity), "Option<SubnetIdentityOfV3>"),
            ("moving_price", fixed_i128, "I96F32"),
        ],
        [("AccountId", account)],
    )
    opaque_metadata = reg.composite("sp_core::OpaqueMetadata", [(None, vec_u8, "Vec<u8>")])
    opt_opaque = reg.option(opaque_metadata)
    neurons_lite_vec = reg.seq(neuron_lite)
    opt_neuron_lite = reg.option(neuron_lite)
    dynamic_vec = reg.seq(reg.option(dynamic_info))
    opt_dynamic = reg.option(dynamic_info)
    vec_u32 = reg.seq(u32)

    # --- pallets ------------------------------------------------------------------------------
    zero = {1: "0x00", 2: "0x0000", 4: "0x00000000", 8: "0x0000000000000000"}

    def const(name: str, ty: int, value: bytes, docs: str = "") -> dict:
        return {
            "name": name,
            "type": ty,
            "value": "0x" + value.hex(),
            "documentation": [docs] if docs else [],
        }

    pallets = [
        {
            "name": "System",
            "storage": {
                "prefix": "System",
                "entries": [
                    {
                        **_storage_map(
                            "Account", "Blake2_128Concat", account, account_info, "0x" + "00" * 80
                        ),
                        "documentation": [" The full account information for a particular account ID."],
                    },
                    _storage_map("BlockHash", "Twox64Concat", u32, h256, "0x" + "00" * 32),
                    _storage_plain("Number", u32, zero[4], " The current block number being processed."),
                    _storage_plain("ParentHash", h256, "0x" + "00" * 32, " Hash of the previous block."),
                    _storage_plain("Digest", digest, "0x00", " Digest of the current block."),
                    _storage_plain(
                        "Events", event_records, "0x00", " Events deposited for the current block."
                    ),
                    _storage_plain(
                        "EventCount", u32, zero[4], " The number of events in the `Events<T>` list."
                    ),
                ],
            },
            "calls": {"ty": system_call},
            "event": {"ty": system_event},
            "constants": [
                const("BlockHashCount", u32, (4096).to_bytes(4, "little")),
                const("SS58Prefix", u16, (42).to_bytes(2, "little")),
            ],
            "error": {"ty": system_error},
            "index": 0,
        },
        {
            "name": "Timestamp",
            "storage": {
                "prefix": "Timestamp",
                "entries": [
                    _storage_plain("Now", u64, zero[8], " The current time for the current block."),
                    _storage_plain("DidUpdate", boolean, "0x00"),
                ],
            },
            "calls": {"ty": timestamp_call},
            "event": None,
            "constants": [const("MinimumPeriod", u64, (6000).to_bytes(8, "little"))],
            "error": None,
            "index": 2,
        },
        {
            "name": "Balances",
            "storage": {
                "prefix": "Balances",
                "entries": [
                    _storage_plain("TotalIssuance", u64, zero[8], " The total units issued in the system."),
                ],
            },
            "calls": {"ty": balances_call},
            "event": {"ty": balances_event},
            "constants": [const("ExistentialDeposit", u64, (500).to_bytes(8, "little"))],
            "error": {"ty": balances_error},
            "index": 5,
        },
        {
            "name": "TransactionPayment",
            "storage": None,
            "calls": None,
            "event": {"ty": payment_event},
            "constants": [const("OperationalFeeMultiplier", u8, bytes([5]))],
            "error": None,
            "index": 6,
        },
        {
            "name": "SubtensorModule",
            "storage": {
                "prefix": "SubtensorModule",
                "entries": [
                    _storage_plain("TotalIssuance", u64, zero[8]),
                    _storage_plain("TotalStake", u64, zero[8]),
                    _storage_plain("TotalNetworks", u16, zero[2]),
                    _storage_plain("BlockEmission", u64, "0x00ca9a3b00000000"),
                    _storage_map("Tempo", "Identity", u16, u16, "0x6801"),
                    _storage_map("SubnetworkN", "Identity", u16, u16, zero[2]),
                    _storage_map("SubnetTAO", "Identity", u16, u64, zero[8]),
                    _storage_map("SubnetAlphaIn", "Identity", u16, u64, zero[8]),
                    _storage_map("SubnetAlphaOut", "Identity", u16, u64, zero[8]),
                ],
            },
            "calls": {"ty": subtensor_call},
            "event": {"ty": subtensor_event},
            "constants": [],
            "error": {"ty": subtensor_error},
            "index": 7,
        },
    ]

    def method(name, inputs, output, docs=""):
        return {
            "name": name,
            "inputs": [{"name": n, "ty": t} for n, t in inputs],
            "output": output,
            "docs": [docs] if docs else [],
        }

    apis = [
        {
            "name": "Metadata",
            "methods": [
                method("metadata", [], opaque_metadata, " Returns the metadata of a runtime."),
                method(
                    "metadata_at_version",
                    [("version", u32)],
                    opt_opaque,
                    " Returns the metadata at a given version.",
                ),
                method("metadata_versions", [], vec_u32, " Returns the supported metadata versions."),
            ],
            "docs": [" The `Metadata` api trait that returns metadata for the runtime."],
        },
        {
            "name": "NeuronInfoRuntimeApi",
            "methods": [
                method("get_neurons_lite", [("netuid", u16)], neurons_lite_vec),
                method("get_neuron_lite", [("netuid", u16), ("uid", u16)], opt_neuron_lite),
            ],
            "docs": [],
        },
        {
            "name": "SubnetInfoRuntimeApi",
            "methods": [
                method("get_all_dynamic_info", [], dynamic_vec),
                method("get_dynamic_info", [("netuid", u16)], opt_dynamic),
            ],
            "docs": [],
        },
    ]
    signed_extensions = [{"identifier": n, "ty": ty, "additional_signed": add} for n, ty, add in extensions]
    v14 = {
        "types": {"types": reg.types},
        "pallets": pallets,
        "extrinsic": {"ty": unchecked, "version": 4, "signed_extensions": signed_extensions},
        "runtime_type": runtime_ty,
    }
    v15 = {
        "types": {"types": reg.types},
        "pallets": [{**p, "docs": []} for p in pallets],
        "extrinsic": {
            "version": 4,
            "address_ty": multi_address,
            "call_ty": runtime_call,
            "signature_ty": multi_signature,
            "extra_ty": extra,
            "signed_extensions": signed_extensions,
        },
        "runtime_type": runtime_ty,
        "apis": apis,
        "outer_enums": {
            "call_enum_ty": runtime_call,
            "event_enum_ty": runtime_event,
            "error_enum_ty": runtime_error,
        },
        "custom": {"map": []},
    }
    type_ids = {
        "AccountId": account,
        "H256": h256,
        "u16": u16,
        "u32": u32,
        "u64": u64,
        "bool": boolean,
        "EventRecords": event_records,
        "DigestItem": digest_item,
        "Digest": digest,
        "NeuronInfoLiteVec": neurons_lite_vec,
        "OptionNeuronInfoLite": opt_neuron_lite,
        "DynamicInfoVec": dynamic_vec,
        "OptionDynamicInfo": opt_dynamic,
        "OptionOpaqueMetadata": opt_opaque,
        "OpaqueMetadata": opaque_metadata,
        "VecU32": vec_u32,
        "RuntimeVersion": runtime_version,
        "RuntimeCall": runtime_call,
        "AccountInfo": account_info,
        "MultiAddress": multi_address,
        "MultiSignature": multi_signature,
        "Extra": extra,
    }
    return {"v14": v14, "v15": v15, "type_ids": type_ids, "pallets": {p["name"]: p["index"] for p in pallets}}


@functools.lru_cache(maxsize=4)
def runtime_metadata(spec_version: int) -> RuntimeMetadata:
    """The devnet's metadata of one runtime version (built once per process, then shared)."""
    built = _build(spec_version)
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset(name="core"))
    v14 = bytes(
        rc.create_scale_object("MetadataVersioned").encode((METADATA_MAGIC, {"V14": built["v14"]})).data
    )
    v15 = bytes(
        rc.create_scale_object("MetadataVersioned").encode((METADATA_MAGIC, {"V15": built["v15"]})).data
    )
    decoded, codec = decode_metadata(v14)
    return RuntimeMetadata(
        spec_version=spec_version,
        v14=v14,
        v15=v15,
        type_ids=built["type_ids"],
        pallet_index=built["pallets"],
        runtime_config=codec,
        decoded=decoded,
        encoders=compile_encoders(built["v14"]["types"]["types"]),
    )
