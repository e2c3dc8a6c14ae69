"""Sahara staking, distribution and bank events from CometBFT RPC (`/block`, `/block_results`, `/validators`).

For every height of a range the connector reads `/block` (hash, `last_block_id.hash` as the parent
hash, header time) and `/block_results`, with bounded concurrency, retrying transient failures. The
heights go in JSON-RPC batches (a POST of both calls for several heights, one round trip for all),
or one call at a time from a node that refuses batches.

**Three response forms, one result.** The form is detected per response:

- v0.38 (Sahara's stack): `txs_results[].events[]` and `finalize_block_events[]`, whose events carry a
  `mode` attribute (`BeginBlock` / `EndBlock`);
- v0.37: `begin_block_events` / `end_block_events`, plain attribute strings, no `mode`;
- v0.34: as v0.37 with every attribute key and value base64-encoded.

Begin-block then end-block events of the old forms take the positions `fb.{j}` that v0.38 gives its
finalize-block events, with `mode` added, so the same chain content yields the same canonical events
(same `event_id`, same payload) whichever node version served it. Transaction events are `tx{i}.{j}`.

**Event types.** `module.event`: a Cosmos event type maps to the SDK module that emits it
(`MODULE_OF`): `staking.delegate`, `staking.unbond`, `staking.redelegate`, `staking.create_validator`,
`staking.complete_unbonding`, `distribution.withdraw_rewards`, `distribution.rewards`,
`distribution.commission`, `bank.transfer`, `bank.coinbase`, `mint.mint`, `tx.message`,
`evm.ethereum_tx`, ... A type with no mapping is kept as `cosmos.<type>` (characters outside
`[A-Za-z0-9_]` become `_`, the original type is in `cosmos_event_type`) with all its attributes.

**Payload.** One key per attribute, typed by the attribute catalog (`etl.catalog.COSMOS_ATTRIBUTES`),
which knows per event type which attributes are coins, addresses and numbers; an attribute it does
not list (and every attribute of a type it does not list) is text, kept as the chain sent it:

- a coin attribute (`transfer.amount`, `tx.fee`, `rewards.amount`, ...): `1000usah` becomes
  `amount_usah: "1000"` (one `<key>_<denom>` per coin, integer strings in base units); an empty coin
  string (the SDK's zero, e.g. an empty `tx.fee`) becomes `<key>_usah: "0"`; a decimal coin
  `12.5usah` (rewards, commission) becomes `amount_usah` (whole base units, truncated, what a
  withdrawal pays) and `amount_atto_usah` (the exact value in units of 1e-18 usah);
- a bare base-unit amount (`mint.amount`, `ethereum_tx.amount` in wei) stays an integer string; an
  exact decimal (`delegate.new_shares`) becomes `<key>_atto`;
- an address (`tx.fee_payer`, `message.sender`, `transfer.sender` / `recipient`, `coin_spent.spender`,
  `coin_received.receiver`, validators) is checked as bech32; hex values (`ethereum_tx` hashes and
  recipient) as hex; numbers (`msg_index`, `txIndex`, `txGasUsed`, `height`, ...) become integers;
- a value that is not its kind quarantines the event, naming it: "block 1204 from sahara_cometbft:
  attribute `amount` is not a coin string".

`mode` comes last, as text.

**Transactions.** One `tx.TransactionObserved` per transaction (position `obs.tx{i}`): its hash
(sha256 of the bytes `/block` serves, upper-case hex, as explorers print it), index, result code and
gas, from `/block` and `/block_results` together, so a transaction is known even when it emits no
event.

**Validator set.** `staking.ValidatorObserved` events (address, pub_key, voting_power,
proposer_priority) from paginated `/validators` (100 per page) at every block that is a multiple of
`validator_every` (720 ≈ hourly; the same blocks however ranges are chunked), positions `val.{k}`.

A pruned node (`height 3 is not available, lowest height is 100`) raises `PrunedNodeError` naming the
block and advising an archive node.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import itertools
import json
import logging
import operator
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from etl.catalog import (
    ATTO as EXACT_DECIMAL,
)
from etl.catalog import (
    BASE_UNITS,
    BECH32,
    COINS,
    COSMOS_ATTRIBUTES,
    HEX,
    INT64,
    MODULE_OF,
    TRANSACTION_EVENT,
    VALIDATOR_EVENT,
)
from etl.decode import capture_record
from etl.events import BlockRef, ChainFetch, Event, QuarantinedRow, payload_json
from etl.http import HttpStatusError, RpcError, rpc_result
from etl.sources.sahara_rpc import PrunedNodeError, node_client, pruned_error

log = logging.getLogger(__name__)

CONNECTION = "sahara_cometbft"
NATIVE_DENOM = "usah"
ATTO = 10**18

#: The kinds of an event type the catalog does not list: `msg_index` is a number, the rest text.
_MESSAGE_INDEX = {"msg_index": INT64}
VALIDATORS_PER_PAGE = 100
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_DIGITS = {c: i for i, c in enumerate(_BECH32_CHARSET)}
#: What the checksum's five top bits add when shifted out (BIP-173's polymod, one lookup per value).
_BECH32_SHIFTED_OUT = tuple(
    functools.reduce(operator.xor, (g for i, g in enumerate(_BECH32_GENERATORS) if top >> i & 1), 0)
    for top in range(32)
)
_HEX = re.compile(r"(0x)?[0-9a-fA-F]+")
_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

_COIN = re.compile(r"(\d+)(?:\.(\d+))?([a-zA-Z][a-zA-Z0-9/:._-]{1,127})")
_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"(-?)(\d+)\.(\d{1,18})")
_B64_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class MalformedAttribute(ValueError):
    pass


class MalformedResult(ValueError):
    """A `/block_results` result is not the shape this decoder reads at all."""


# --- decoding ---------------------------------------------------------------------------------------


def event_type_of(cosmos_type: str) -> str:
    module = MODULE_OF.get(cosmos_type)
    if module:
        return f"{module}.{cosmos_type}"
    return "cosmos." + (re.sub(r"[^A-Za-z0-9_]", "_", cosmos_type) or "unnamed")


def _b64(text: str | None) -> str:
    return base64.b64decode(text or "", validate=True).decode() if text else ""


def _is_base64_form(result: dict) -> bool:
    """v0.34 encodes every attribute key in base64; v0.37/v0.38 keys are plain identifiers."""
    keys = [
        attr.get("key") or ""
        for event in _all_raw_events(result)
        if _event_problem(event) is None
        for attr in event.get("attributes") or []
    ]
    if not keys:
        return False
    for key in keys:
        try:
            decoded = base64.b64decode(key, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        if not _B64_IDENTIFIER.fullmatch(decoded):
            return False
    return True


def _all_raw_events(result: dict) -> Iterator[Any]:
    for tx in result.get("txs_results") or []:
        yield from (tx or {}).get("events") or []
    for name in ("finalize_block_events", "begin_block_events", "end_block_events"):
        yield from result.get(name) or []


def check_shape(result: Any) -> None:
    """Raise MalformedResult naming the field when a result is not the shape this decoder reads.

    Inside the right shape, an event that is not an object of `type` and `{key, value}` string
    attributes is quarantined on its own; only the containers must be right.
    """
    if not isinstance(result, dict):
        raise MalformedResult(f"a /block_results result is a JSON object, not {type(result).__name__}")
    txs = result.get("txs_results")
    if txs is not None and not isinstance(txs, list):
        raise MalformedResult(f"`txs_results` is {type(txs).__name__}, not a list")
    for i, tx in enumerate(txs or []):
        if tx is not None and not isinstance(tx, dict):
            raise MalformedResult(f"`txs_results[{i}]` is {type(tx).__name__}, not an object")
        if tx and not isinstance(tx.get("events") or [], list):
            raise MalformedResult(f"`txs_results[{i}].events` is not a list")
    for name in ("finalize_block_events", "begin_block_events", "end_block_events"):
        if not isinstance(result.get(name) or [], list):
            raise MalformedResult(f"`{name}` is {type(result[name]).__name__}, not a list")


def _event_problem(event: Any) -> str | None:
    """Why one raw event cannot be read as an event, or None."""
    if not isinstance(event, dict):
        return f"the event is {type(event).__name__}, not an object"
    if not isinstance(event.get("type", ""), str):
        return "the event's `type` is not a string"
    attributes = event.get("attributes") or []
    if not isinstance(attributes, list):
        return "the event's `attributes` are not a list"
    for attr in attributes:
        if not isinstance(attr, dict) or not all(
            isinstance(attr.get(k), str | None) for k in ("key", "value")
        ):
            return f"attribute {json.dumps(attr, default=str)[:80]} is not a {{key, value}} pair of strings"
    return None


def _tx_code(tx: dict) -> int | None:
    code = tx.get("code") or 0
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    return int(code) if isinstance(code, str) and _INTEGER.fullmatch(code) else None


def form_of(result: dict) -> str:
    if "finalize_block_events" in result:
        return "v0.38"
    return "v0.34" if _is_base64_form(result) else "v0.37"


@dataclass
class RawEvent:
    position: str
    cosmos_type: str
    attributes: list[tuple[str, str]]
    tx_code: int = 0
    #: Why the event could not be read (it is quarantined whole, as `original`), or None.
    problem: str | None = None
    original: Any = None


def raw_events(result: dict) -> list[RawEvent]:
    """Every event of a `/block_results` result in canonical positions and plain-string attributes."""
    check_shape(result)
    form = form_of(result)
    decode_text = _b64 if form == "v0.34" else (lambda text: text if text is not None else "")

    def read(position: str, event: Any, code: int | None = 0, mode: str | None = None) -> RawEvent:
        problem = _event_problem(event)
        if problem is None and code is None:
            problem = "its transaction's `code` is not an integer"
        if problem is None:
            try:
                pairs = [
                    (decode_text(a.get("key")), decode_text(a.get("value")))
                    for a in event.get("attributes") or []
                ]
            except (binascii.Error, UnicodeDecodeError):
                problem = "an attribute is not base64 of UTF-8 text, as a v0.34 node sends"
            else:
                pairs += [("mode", mode)] if mode else []
                return RawEvent(position, event.get("type", ""), pairs, code or 0)
        cosmos_type = event.get("type") if isinstance(event, dict) else None
        return RawEvent(position, cosmos_type if isinstance(cosmos_type, str) else "", [], 0, problem, event)

    out: list[RawEvent] = []
    for i, tx in enumerate(result.get("txs_results") or []):
        tx = tx or {}
        code = _tx_code(tx)
        for j, event in enumerate(tx.get("events") or []):
            out.append(read(f"tx{i}.{j}", event, code))
    if form == "v0.38":
        for j, event in enumerate(result.get("finalize_block_events") or []):
            out.append(read(f"fb.{j}", event))
    else:
        j = 0
        for name, mode in (("begin_block_events", "BeginBlock"), ("end_block_events", "EndBlock")):
            for event in result.get(name) or []:
                out.append(read(f"fb.{j}", event, mode=mode))
                j += 1
    return out


def _coin_fields(key: str, value: str) -> dict[str, str]:
    """`1000usah` -> {key_usah: "1000"}; decimal coins add `key_atto_<denom>`; raises when malformed."""
    text = value.strip()
    if text == "":
        return {f"{key}_{NATIVE_DENOM}": "0"}
    out: dict[str, str] = {}
    for part in text.split(","):
        match = _COIN.fullmatch(part.strip())
        if not match:
            raise MalformedAttribute(f"attribute `{key}` is not a coin string (value {value[:80]!r})")
        whole, frac, denom = match.groups()
        if f"{key}_{denom}" in out:
            raise MalformedAttribute(f"attribute `{key}` names denom {denom} twice (value {value[:80]!r})")
        out[f"{key}_{denom}"] = str(int(whole))
        if frac is not None:
            if len(frac) > 18:
                raise MalformedAttribute(
                    f"attribute `{key}` has more than 18 decimals (value {value[:80]!r})"
                )
            out[f"{key}_atto_{denom}"] = str(int(whole) * ATTO + int(frac.ljust(18, "0")))
    return out


@functools.lru_cache(maxsize=65_536)
def _bech32_valid(text: str) -> bool:
    """Whether `text` is a bech32 string (BIP-173: one case, a human-readable part, `1`, data and a
    valid six-character checksum), whatever its prefix. Remembered per string: a block names the same
    validators, module accounts and delegators again and again."""
    if text.lower() != text and text.upper() != text:
        return False
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or any(ord(c) < 33 or ord(c) > 126 for c in text[:pos]):
        return False
    try:
        data = [_BECH32_DIGITS[c] for c in text[pos + 1 :]]
    except KeyError:
        return False
    values = [ord(c) >> 5 for c in text[:pos]] + [0] + [ord(c) & 31 for c in text[:pos]] + data
    check = 1
    for value in values:
        check = ((check & 0x1FFFFFF) << 5) ^ value ^ _BECH32_SHIFTED_OUT[check >> 25]
    return check == 1


def _typed_fields(cosmos_type: str, key: str, kind: str | None, value: str) -> dict[str, Any]:
    """The payload fields of one attribute of a known kind (`etl.catalog.COSMOS_ATTRIBUTES`)."""
    if kind is None:
        return {key: value}
    if kind == COINS:
        return _coin_fields(key, value)
    if kind == INT64:
        if not _INTEGER.fullmatch(value or ""):
            raise MalformedAttribute(
                f"attribute `{key}` of `{cosmos_type}` is not an integer (value {value[:80]!r})"
            )
        return {key: int(value)}
    if kind == BASE_UNITS:
        if not _INTEGER.fullmatch(value.strip()):
            raise MalformedAttribute(
                f"attribute `{key}` of `{cosmos_type}` is not an integer amount in base units (value {value[:80]!r})"
            )
        return {key: str(int(value))}
    if kind == EXACT_DECIMAL:
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return {f"{key}_atto": str(int(text) * ATTO)}
        decimal = _DECIMAL.fullmatch(text)
        if not decimal:
            raise MalformedAttribute(
                f"attribute `{key}` of `{cosmos_type}` is not a decimal (value {value[:80]!r})"
            )
        sign, whole, frac = decimal.groups()
        return {f"{key}_atto": str(int(sign + whole + frac.ljust(18, "0")))}
    if kind == BECH32:
        if value and not (_bech32_valid(value) or _EVM_ADDRESS.fullmatch(value)):
            raise MalformedAttribute(
                f"attribute `{key}` of `{cosmos_type}` is not an address, bech32 or 0x (value {value[:80]!r})"
            )
        return {key: value}
    if kind == HEX:
        if value and not _HEX.fullmatch(value):
            raise MalformedAttribute(
                f"attribute `{key}` of `{cosmos_type}` is not hex (value {value[:80]!r})"
            )
        return {key: value}
    raise ValueError(f"the catalog names an unknown attribute kind {kind!r}")


def decode_attributes(cosmos_type: str, attributes: list[tuple[str, str]]) -> dict[str, Any]:
    """The canonical payload of one event's attributes, typed by the attribute catalog (an attribute
    it does not list is text; `msg_index`, which SDK v0.50 adds to every message event, is a number
    whatever the type); raises MalformedAttribute."""
    kinds = COSMOS_ATTRIBUTES.get(cosmos_type, _MESSAGE_INDEX)
    payload: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in attributes:
        if key in seen:
            raise MalformedAttribute(f"attribute `{key}` appears twice in one `{cosmos_type}` event")
        seen.add(key)
        payload.update(_typed_fields(cosmos_type, key, kinds.get(key), value))
    if cosmos_type not in MODULE_OF:
        payload["cosmos_event_type"] = cosmos_type
    return payload


def decode_block_results(
    result: dict,
    *,
    block_time: datetime,
    block_hash: str | None = None,
    height: int | None = None,
) -> tuple[list[Event], list[QuarantinedRow]]:
    """Canonical events and quarantine rows of one `/block_results` result."""
    check_shape(result)
    stated = result.get("height") or height or 0
    if isinstance(stated, bool) or not (isinstance(stated, int) or _INTEGER.fullmatch(str(stated))):
        raise MalformedResult(f"`height` {stated!r} of a /block_results result is not a block number")
    number = int(stated)
    events: list[Event] = []
    quarantined: list[QuarantinedRow] = []
    for raw in raw_events(result):
        if raw.problem is not None:
            quarantined.append(
                QuarantinedRow(
                    source="cometbft",
                    chain="sahara",
                    position=f"{number}:{raw.position}",
                    raw=json.dumps(raw.original, sort_keys=True, default=str),
                    reason=f"block {number} from {CONNECTION}: {raw.problem}",
                    rule="cometbft_event_shape",
                    block_number=number,
                )
            )
            continue
        try:
            payload = decode_attributes(raw.cosmos_type, raw.attributes)
        except MalformedAttribute as exc:
            quarantined.append(
                QuarantinedRow(
                    source="cometbft",
                    chain="sahara",
                    position=f"{number}:{raw.position}",
                    raw=payload_json(
                        {"type": raw.cosmos_type, "attributes": [list(a) for a in raw.attributes]}
                    ),
                    reason=f"block {number} from {CONNECTION}: {exc}",
                    rule="cometbft_attribute",
                    block_number=number,
                )
            )
            continue
        if raw.tx_code:
            payload["tx_code"] = raw.tx_code
        events.append(
            Event(
                chain="sahara",
                source="cometbft",
                block_number=number,
                position=raw.position,
                event_type=event_type_of(raw.cosmos_type),
                block_time=block_time,
                payload=payload,
                block_hash=block_hash,
            )
        )
    return events, quarantined


def validator_events(
    validators: list[dict], *, height: int, block_time: datetime, block_hash: str | None
) -> list[Event]:
    """`staking.ValidatorObserved` events of one validator set (the node's order)."""
    out = []
    for k, val in enumerate(validators):
        pub_key = val.get("pub_key") or {}
        out.append(
            Event(
                chain="sahara",
                source="cometbft",
                block_number=height,
                position=f"val.{k}",
                event_type=VALIDATOR_EVENT,
                block_time=block_time,
                block_hash=block_hash,
                payload={
                    "address": val.get("address"),
                    "pub_key": pub_key.get("value"),
                    "pub_key_type": pub_key.get("type"),
                    "voting_power": int(val.get("voting_power") or 0),
                    "proposer_priority": int(val.get("proposer_priority") or 0),
                    "validator_count": len(validators),
                },
            )
        )
    return out


def transaction_events(
    block: dict, results: dict, *, height: int, block_time: datetime, block_hash: str | None
) -> list[Event]:
    """`tx.TransactionObserved` events of one block: each transaction's hash (from `/block`'s bytes),
    index, result code and gas (from `/block_results`), in block order."""
    raw_txs = ((block.get("block") or {}).get("data") or {}).get("txs") or []
    results_txs = results.get("txs_results") or []
    out = []
    for i in range(max(len(raw_txs), len(results_txs))):
        try:
            tx_hash = hashlib.sha256(base64.b64decode(raw_txs[i], validate=True)).hexdigest().upper()
        except (IndexError, binascii.Error, TypeError, ValueError):
            tx_hash = None
        tx = results_txs[i] if i < len(results_txs) and isinstance(results_txs[i], dict) else {}
        gas = {
            name: int(tx[name])
            for name in ("gas_wanted", "gas_used")
            if isinstance(tx.get(name), str | int) and _INTEGER.fullmatch(str(tx[name]))
        }
        out.append(
            Event(
                chain="sahara",
                source="cometbft",
                block_number=height,
                position=f"obs.tx{i}",
                event_type=TRANSACTION_EVENT,
                block_time=block_time,
                block_hash=block_hash,
                payload={"tx_hash": tx_hash, "tx_index": i, "code": _tx_code(tx), **gas},
            )
        )
    return out


def parse_time(text: str) -> datetime:
    """CometBFT's RFC 3339 with nanoseconds -> aware datetime (microseconds, truncated)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    base, frac, zone = match.groups()
    micro = (frac or "").ljust(6, "0")[:6]
    parsed = datetime.fromisoformat(f"{base}.{micro}{'+00:00' if zone == 'Z' else zone}")
    return parsed.astimezone(UTC)


# --- the connector ----------------------------------------------------------------------------------


def malformed_result_row(height: int, result: Any, exc: BaseException) -> QuarantinedRow:
    """The quarantine row of a whole `/block_results` answer that is not the documented shape."""
    try:
        raw = json.dumps(result, sort_keys=True, default=str)
    except (ValueError, RecursionError):
        raw = repr(type(result))
    return QuarantinedRow(
        source="cometbft",
        chain="sahara",
        position=f"{height}:block_results",
        raw=raw[:100_000],
        reason=f"block {height} from {CONNECTION}: the /block_results answer cannot be read ({exc})",
        rule="cometbft_result_shape",
        block_number=height,
    )


@dataclass
class CometBFTSource:
    """ChainSource for Sahara's Cosmos side (family `sahara_staking`)."""

    url: str
    #: Requests on the wire at once (each a JSON-RPC batch of `batch_heights` heights).
    concurrency: int = 8
    #: Heights per JSON-RPC batch: `block` and `block_results` of each, one HTTP request for all.
    batch_heights: int = 8
    validator_every: int = 720
    timeout: float = 30.0
    source: str = field(default="cometbft", init=False)
    chain: str = field(default="sahara", init=False)
    family: str = field(default="sahara_staking", init=False)

    def __post_init__(self) -> None:
        self.http = node_client(self.url, timeout=self.timeout, concurrency=self.concurrency)
        self._stream: str | None = None
        self._times: dict[int, int] = {}
        self._observe: set[int] = set()
        #: False once the node refused a JSON-RPC batch: heights are then read one call at a time.
        self._batches = True

    @classmethod
    def from_connection(cls, **kwargs) -> CometBFTSource:
        from etl.connections import rpc_url

        return cls(rpc_url(CONNECTION), **kwargs)

    def close(self) -> None:
        self.http.close()

    # --- RPC -----------------------------------------------------------------------------------------

    def call(self, method: str, *, block: int | None = None, **params) -> Any:
        try:
            return self.http.rpc_uri(method, **params)
        except RpcError as exc:
            raise _node_error(exc, block) from None

    def read_heights(self, heights: list[int]) -> list[tuple[Any, Any]]:
        """(`block`, `block_results`) of each height, in order, through one JSON-RPC batch (a POST of
        every call, as CometBFT serves it: one round trip for all). A node that refuses batches
        (an error for the whole batch, or a 4xx) is then asked one call at a time."""
        if self._batches:
            calls = [(m, {"height": str(h)}) for h in heights for m in ("block", "block_results")]
            try:
                answers = self.http.rpc_batch(calls)
            except (RpcError, HttpStatusError) as exc:
                log.warning("%s refused a JSON-RPC batch (%s); reading one call at a time", CONNECTION, exc)
                self._batches = False
            else:
                out = []
                for i, height in enumerate(heights):
                    pair = answers[2 * i : 2 * i + 2]
                    for answer in pair:
                        if answer.error is not None:
                            raise _node_error(answer.error, height)
                    out.append((pair[0].result, pair[1].result))
                return out
        return [
            (self.call("block", block=h, height=h), self.call("block_results", block=h, height=h))
            for h in heights
        ]

    def status(self) -> dict:
        return self.call("status")

    @property
    def stream(self) -> str:
        if self._stream is None:
            self._stream = str(self.status()["node_info"]["network"])
        return self._stream

    def finalized_head(self) -> int:
        # CometBFT finality is instant: the latest committed block is final.
        return int(self.status()["sync_info"]["latest_block_height"])

    def earliest_height(self) -> int:
        return int(self.status()["sync_info"].get("earliest_block_height") or 1)

    def block_time(self, height: int) -> int:
        """Unix seconds of a block's header time (cached), for mapping times to blocks."""
        if height not in self._times:
            block = self.call("block", block=height, height=height)
            self._times[height] = int(parse_time(block["block"]["header"]["time"]).timestamp())
        return self._times[height]

    def validators(self, height: int) -> list[dict]:
        """The whole validator set at a height, page by page (at most 100 a page)."""
        out: list[dict] = []
        page = 1
        while True:
            answer = self.call(
                "validators", block=height, height=height, page=page, per_page=VALIDATORS_PER_PAGE
            )
            out.extend(answer.get("validators") or [])
            total = int(answer.get("total") or 0)
            if len(out) >= total or not answer.get("validators"):
                return out
            page += 1

    def _read_height(self, height: int) -> tuple[BlockRef, list[Event], list[QuarantinedRow]]:
        block = self.call("block", block=height, height=height)
        results = self.call("block_results", block=height, height=height)
        return self._decode_height(height, block, results)

    def _decode_height(
        self, height: int, block: Any, results: Any
    ) -> tuple[BlockRef, list[Event], list[QuarantinedRow]]:
        header = block["block"]["header"]
        stated = results.get("height") if isinstance(results, dict) else None
        if int(header["height"]) != height or (
            isinstance(stated, str | int) and _INTEGER.fullmatch(str(stated)) and int(stated) != height
        ):
            raise RuntimeError(f"block {height} from {CONNECTION}: the node answered another height")
        block_time = parse_time(header["time"])
        block_hash = block["block_id"]["hash"]
        try:
            events, quarantined = decode_block_results(
                results, block_time=block_time, block_hash=block_hash, height=height
            )
        except (MalformedResult, RecursionError) as exc:
            # A result this decoder cannot read at all: the block's answer is kept whole, the run goes on.
            events, quarantined = [], [malformed_result_row(height, results, exc)]
        ref = BlockRef(
            number=height,
            hash=block_hash,
            parent_hash=(header.get("last_block_id") or {}).get("hash") or None,
            time=block_time,
            event_count=len(events) + len(quarantined),
        )
        self._times[height] = int(block_time.timestamp())
        if isinstance(results, dict) and not (quarantined and quarantined[0].rule == "cometbft_result_shape"):
            events += transaction_events(
                block, results, height=height, block_time=block_time, block_hash=block_hash
            )
        if height in self._observe:
            events += validator_events(
                self.validators(height), height=height, block_time=block_time, block_hash=block_hash
            )
        return ref, events, quarantined

    def observation_heights(self, start: int, end: int) -> set[int]:
        # Multiples of `validator_every` only, so the observations never depend on how ranges are chunked.
        first = -(-start // self.validator_every) * self.validator_every
        return set(range(first, end, self.validator_every)) if start < end else set()

    def fetch(self, start: int, end: int) -> ChainFetch:
        fetched = ChainFetch(start, end)
        self._observe = self.observation_heights(start, end)
        size = max(1, self.batch_heights)
        batches = iter([list(range(a, min(end, a + size))) for a in range(start, end, size)])
        # Pipelined: batches of the next heights travel together, `concurrency` requests at a time,
        # while this thread decodes the heights before them in order; the reads run at most
        # `2 * concurrency` batches ahead, so memory holds a few answers, not the range.
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            window: deque[tuple[list[int], Future]] = deque(
                (heights, pool.submit(self.read_heights, heights))
                for heights in itertools.islice(batches, 2 * self.concurrency)
            )
            try:
                while window:
                    heights, answers = window.popleft()
                    following = next(batches, None)
                    if following is not None:
                        window.append((following, pool.submit(self.read_heights, following)))
                    for height, (block, results) in zip(heights, answers.result(), strict=True):
                        ref, events, quarantined = self._decode_height(height, block, results)
                        fetched.blocks.append(ref)
                        fetched.events.extend(events)
                        fetched.quarantined.extend(quarantined)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return fetched


def _node_error(exc: RpcError, block: int | None) -> Exception:
    """The node's error answer as the connector raises it: a pruned height named as such."""
    pruned = pruned_error(exc, CONNECTION, block)
    if pruned:
        return pruned
    return RuntimeError(f"block {block} from {CONNECTION}: {exc}" if block is not None else str(exc))


# --- `decai decode cometbft-block-results` ------------------------------------------------------------


def _results_of(body: Any) -> Iterable[dict]:
    if isinstance(body, list):
        for item in body:
            yield from _results_of(item)
        return
    if not isinstance(body, dict):
        raise ValueError("a /block_results capture is a JSON object (the envelope or its result)")
    if "result" in body or "error" in body:
        result = rpc_result(body, "capture", "block_results")
        yield result
        return
    yield body


def decode_capture(text: str, block: int | None = None, **_) -> Iterator[dict]:
    """`decai decode cometbft-block-results FILE`: one JSON object per event of a captured response.

    The capture is the JSON-RPC envelope as the node returns it (a batch of them is fine) or its
    `result`. A `/block_results` answer has no block time, so `block_time` is null.
    """
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"the capture is not JSON that a node sends: {exc}") from None
    placeholder = datetime(1970, 1, 1, tzinfo=UTC)
    for result in _results_of(body):
        events, quarantined = decode_block_results(result, block_time=placeholder, height=block)
        rows = [(e.block_number, e.position, e) for e in events]
        rows += [(q.block_number, q.position.split(":", 1)[1], q) for q in quarantined]
        for _, _, item in sorted(rows, key=lambda r: _position_key(r[1])):
            yield capture_record(item, with_time=False)


def _position_key(position: str) -> tuple:
    head, _, index = position.partition(".")
    return (head == "fb", int(head[2:]) if head.startswith("tx") else 0, int(index or 0))


__all__ = [
    "CometBFTSource",
    "PrunedNodeError",
    "decode_block_results",
    "decode_capture",
    "event_type_of",
    "form_of",
]
