"""The canonical event envelope: one shape for every chain and for market data.

Every fact enters the warehouse as an immutable ``Event``. ``event_id`` is a deterministic hash of
(chain, block_number, position, event_type), so the same source event always gets the same id and
writing it twice is a no-op in the event store. Token amounts inside ``payload`` are integer strings in
base units (rao for TAO, 18-decimal units for Sahara); prices are decimal strings exactly as received.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

CHAINS = ("bittensor", "sahara", "market")
SOURCES = ("subtensor", "cometbft", "evm", "coingecko")

EVENT_COLUMNS = (
    "event_id",
    "chain",
    "source",
    "block_number",
    "block_hash",
    "block_time",
    "position",
    "event_type",
    "payload",
    "spec_version",
    "batch_id",
    "ingested_at",
)


def make_event_id(chain: str, block_number: int, position: str, event_type: str) -> str:
    """Deterministic id: the same (chain, block, position, type) always hashes to the same id."""
    key = f"{chain}\x1f{block_number}\x1f{position}\x1f{event_type}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def to_base_units(amount: Any) -> str:
    """Token amounts travel as integer strings in base units; refuse anything fractional or negative."""
    if isinstance(amount, bool) or isinstance(amount, float):
        raise ValueError(f"token amount {amount!r} must be an integer in base units, not a float")
    value = int(Decimal(str(amount)))
    if Decimal(str(amount)) != value:
        raise ValueError(f"token amount {amount!r} has a fractional part; base units are integers")
    if value < 0:
        raise ValueError(f"token amount {amount!r} is negative")
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} into an event payload")


def payload_json(payload: dict[str, Any]) -> str:
    """Canonical JSON text of a payload: sorted keys, no floats allowed for token fields."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_json_default)


def _check_envelope(chain: str, source: str, block_time: datetime) -> None:
    if chain not in CHAINS:
        raise ValueError(f"unknown chain {chain!r}; expected one of {CHAINS}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    if block_time.tzinfo is None:
        raise ValueError("block_time must be timezone-aware (UTC)")


@dataclass(frozen=True)
class Event:
    chain: str
    source: str
    block_number: int
    position: str
    event_type: str
    block_time: datetime
    payload: dict[str, Any]
    block_hash: str | None = None
    spec_version: int | None = None
    batch_id: str | None = None
    ingested_at: datetime | None = None
    event_id: str = field(default="")

    def __post_init__(self) -> None:
        _check_envelope(self.chain, self.source, self.block_time)
        expected = make_event_id(self.chain, self.block_number, self.position, self.event_type)
        if not self.event_id:
            object.__setattr__(self, "event_id", expected)
        elif self.event_id != expected:
            raise ValueError(f"event_id {self.event_id} does not match its content (expected {expected})")

    @classmethod
    def block_factory(
        cls,
        chain: str,
        source: str,
        block_number: int,
        block_time: datetime,
        block_hash: str | None = None,
        spec_version: int | None = None,
    ) -> Callable[[str, str, dict[str, Any]], Event]:
        """`make(position, event_type, payload)` for the events of one block, for a decoder that makes
        many of them: the same `Event` as the constructor gives for these arguments (same id, same
        fields, no batch yet), with the constructor's checks done here, once for the block, instead of
        once per event. The id's hash of the block's part of the key is likewise computed once.
        """
        _check_envelope(chain, source, block_time)
        prefix = hashlib.sha256(f"{chain}\x1f{block_number}\x1f".encode())
        new, set_fields = object.__new__, object.__setattr__

        def make(position: str, event_type: str, payload: dict[str, Any]) -> Event:
            key = prefix.copy()
            key.update(f"{position}\x1f{event_type}".encode())
            event = new(cls)
            set_fields(event, "__dict__", {
                "chain": chain, "source": source, "block_number": block_number, "position": position,
                "event_type": event_type, "block_time": block_time, "payload": payload,
                "block_hash": block_hash, "spec_version": spec_version, "batch_id": None,
                "ingested_at": None, "event_id": key.hexdigest()[:32],
            })  # fmt: skip
            return event

        return make

    def with_batch(self, batch_id: str, ingested_at: datetime | None = None) -> Event:
        """The same event stamped with the ingest run that writes it."""
        return Event(
            chain=self.chain,
            source=self.source,
            block_number=self.block_number,
            position=self.position,
            event_type=self.event_type,
            block_time=self.block_time,
            payload=self.payload,
            block_hash=self.block_hash,
            spec_version=self.spec_version,
            batch_id=batch_id,
            ingested_at=ingested_at or datetime.now(UTC),
            event_id=self.event_id,
        )

    def as_row(self, batch_id: str | None = None, ingested_at: datetime | None = None) -> dict[str, Any]:
        """A flat row for the event store; block_time as naive UTC, payload as canonical JSON text.

        `batch_id`/`ingested_at` stamp the row with the ingest run that writes it (default: the event's own).
        """
        batch_id = batch_id or self.batch_id
        ingested_at = ingested_at or self.ingested_at or datetime.now(UTC)
        return {
            "event_id": self.event_id,
            "chain": self.chain,
            "source": self.source,
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "block_time": self.block_time.astimezone(UTC).replace(tzinfo=None),
            "position": self.position,
            "event_type": self.event_type,
            "payload": payload_json(self.payload),
            "spec_version": self.spec_version,
            "batch_id": batch_id,
            "ingested_at": ingested_at.astimezone(UTC).replace(tzinfo=None),
        }


@dataclass(frozen=True)
class QuarantinedRow:
    """An input row that did not become an event, with the reason in words a person can act on."""

    source: str
    chain: str
    position: str
    raw: str
    reason: str
    rule: str
    block_number: int | None = None

    @property
    def quarantine_id(self) -> str:
        key = f"{self.source}\x1f{self.position}\x1f{self.rule}\x1f{self.raw}".encode()
        return hashlib.sha256(key).hexdigest()[:32]


@dataclass(frozen=True)
class BlockRef:
    """A block as ingestion saw it, for the chain audits (contiguity, parent hashes, counts)."""

    number: int
    hash: str
    parent_hash: str | None
    time: datetime
    spec_version: int | None = None
    event_count: int = 0


@dataclass
class DQRecord:
    """One suite's run on one batch, as stored in `dq_results`."""

    suite: str
    rows_validated: int
    rows_quarantined: int
    expectations_evaluated: int
    expectations_failed: int
    run_seconds: float
    details: dict[str, Any] = field(default_factory=dict)
    failed_batch: bool = False

    @property
    def outcome(self) -> str:
        if self.failed_batch:
            return "failed"
        return "quarantined" if self.rows_quarantined else "passed"

    @property
    def success(self) -> bool:
        return self.expectations_failed == 0 and not self.failed_batch


class ChainAuditError(RuntimeError):
    """The blocks of a batch are not a contiguous, linked piece of the chain."""


@dataclass
class ChainFetch:
    """What a connector read for blocks [start, end)."""

    start: int
    end: int
    events: list[Event] = field(default_factory=list)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    blocks: list[BlockRef] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return len(self.events) + len(self.quarantined)


@dataclass
class RawQuote:
    """One market observation as received: values are whatever the API sent, not yet checked."""

    coin_id: str
    ts_ms: object
    price: object
    market_cap: object
    total_volume: object

    @property
    def position(self) -> str:
        return f"{self.coin_id}@{self.ts_ms}"

    def raw_json(self) -> str:
        return json.dumps(
            {
                "ts_ms": self.ts_ms,
                "price": self.price,
                "market_cap": self.market_cap,
                "volume": self.total_volume,
            }
        )


@dataclass
class UnreadableChunk:
    """A market-data response that never parsed, kept whole so nothing is lost."""

    coin_id: str
    start: int
    end: int
    body: str
    error: str

    @property
    def position(self) -> str:
        return f"{self.coin_id}@[{self.start},{self.end})"


@dataclass
class FetchResult:
    """What the market-data connector read for one coin and [start, end)."""

    coin_id: str
    start: int
    end: int
    quotes: list[RawQuote] = field(default_factory=list)
    unreadable: list[UnreadableChunk] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
