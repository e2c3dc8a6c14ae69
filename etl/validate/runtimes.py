"""Event types the product knows, per event family and per runtime version.

Which events a chain emits, and with which fields, is decided by the runtime that produced them, so
the chain suites check each event against its own runtime rather than against its family as a whole:

- **bittensor**: a subtensor runtime is named by its `spec_version`, which every event carries (a
  block's events are decoded with its parent's runtime). The product models specs 342 and 343, as
  the devnet serves them: the same event types, but from spec 343 on `StakeAdded` and `StakeRemoved`
  carry the swap `fee`. A `StakeAdded` with a fee from a spec-342 block is therefore not an event of
  that runtime (decoded with the wrong metadata, or a model behind the chain) and is counted as
  unknown for spec 342. A spec the product has not modelled is checked against the newest modelled
  one before it (upgrades keep most events), and is counted under its own name, so what a new
  runtime brings shows up as its own line.
- **sahara_staking**: events come from the Cosmos SDK application (Sahara runs v0.50). CometBFT's
  v0.34 / v0.37 / v0.38 response forms are encodings that the connector turns into identical events,
  so they carry no version; they are checked against the event types the connector maps to SDK
  modules (`etl.catalog.MODULE_OF`) plus the validator-set observations. Types it does not
  map (`cosmos.*`) are unknown. Events that do carry a version are counted under it.
- **sahara_contracts**: the runtime is the set of contract ABIs in `etl/abi/`, named by a digest of
  their event signatures, so counts say which ABI set they were checked against and a replaced ABI
  gets a new name. A log no ABI decodes (`evm.RawLog`) is unknown.

Only the types whose fields changed between a family's runtimes are checked with their fields (the
signature `Type(field, ...)`, fields sorted); every other type by name. Unknown events are kept,
never dropped, and counted per runtime in `dq_results.details`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from etl.catalog import FAMILIES


@dataclass(frozen=True)
class Runtime:
    """One runtime version as the product models it."""

    name: str
    event_types: frozenset[str]
    #: Payload fields of the types whose fields differ between the family's runtimes.
    layouts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RuntimeHistory:
    """A family's runtimes, oldest first, each with the first version it describes (None: every earlier one)."""

    family: str
    runtimes: tuple[tuple[int | None, Runtime], ...]
    version_name: Callable[[int], str]

    def __post_init__(self) -> None:
        for _first, runtime in self.runtimes:
            missing = {t for t in self.with_layouts if t in runtime.event_types} - set(runtime.layouts)
            if missing:
                raise ValueError(
                    f"{self.family} runtime {runtime.name}: no fields given for {sorted(missing)}, "
                    "whose fields differ between runtimes"
                )

    @cached_property
    def with_layouts(self) -> frozenset[str]:
        return frozenset(t for _first, runtime in self.runtimes for t in runtime.layouts)

    def runtime(self, version: int | None) -> Runtime:
        """The modelled runtime a version is checked against; the newest when the event has no version."""
        if version is None:
            return self.runtimes[-1][1]
        chosen = self.runtimes[0][1]
        for first, runtime in self.runtimes:
            if first is None or first <= version:
                chosen = runtime
        return chosen

    def runtime_name(self, version: int | None) -> str:
        """The runtime an event came from, as counts name it."""
        return self.runtime(None).name if version is None else self.version_name(version)

    def signature(self, event_type: str | None, payload: Mapping[str, Any] | None) -> str | None:
        if event_type is None:
            return None
        if event_type in self.with_layouts:
            return f"{event_type}({', '.join(sorted(payload or {}))})"
        return event_type

    def check_value(self, event_type: str | None, payload: Mapping[str, Any] | None, version: int | None):
        """`runtime: signature`, the value the suite looks up among `known_values()` (None without a type)."""
        signature = self.signature(event_type, payload)
        return None if signature is None else f"{self.runtime(version).name}: {signature}"

    @cached_property
    def known(self) -> frozenset[str]:
        """Every `runtime: signature` the family's runtimes have."""
        values = set()
        for _first, runtime in self.runtimes:
            for event_type in runtime.event_types:
                fields = runtime.layouts.get(event_type)
                signature = event_type if fields is None else f"{event_type}({', '.join(sorted(fields))})"
                values.add(f"{runtime.name}: {signature}")
        return frozenset(values)

    def known_values(self) -> list[str]:
        """`known`, sorted: the value set of the suite's expectation (and of its Data Docs)."""
        return sorted(self.known)


# --- bittensor: the project's model of subtensor (the devnet's runtimes) -------------------------------

_STAKE_FIELDS = ("coldkey", "hotkey", "tao", "alpha", "netuid")
SUBTENSOR_EVENT_TYPES = frozenset(
    [
        *(
            f"System.{name}"
            for name in (
                "ExtrinsicSuccess",
                "ExtrinsicFailed",
                "CodeUpdated",
                "NewAccount",
                "KilledAccount",
                "Remarked",
            )
        ),
        *(
            f"Balances.{name}"
            for name in (
                "Endowed",
                "DustLost",
                "Transfer",
                "BalanceSet",
                "Reserved",
                "Unreserved",
                "Deposit",
                "Withdraw",
                "Minted",
                "Burned",
                "Issued",
            )
        ),  # fmt: skip
        "TransactionPayment.TransactionFeePaid",
        *(
            f"SubtensorModule.{name}"
            for name in (
                "NetworkAdded",
                "NetworkRemoved",
                "StakeAdded",
                "StakeRemoved",
                "StakeMoved",
                "WeightsSet",
                "NeuronRegistered",
                "AxonServed",
                "IncentiveAlphaEmittedToMiners",
            )
        ),  # fmt: skip
        # Observations the connector reads from runtime APIs at each subnet epoch.
        "SubtensorModule.NeuronObserved",
        "SubtensorModule.SubnetObserved",
        # ... and from the issuance and pool storage at every block.
        "SubtensorModule.EmissionObserved",
        # ... and from each block body's signed extrinsics, and System.Account at each day's end.
        "System.ExtrinsicObserved",
        "System.AccountsObserved",
    ]
)


def _bittensor() -> RuntimeHistory:
    def stake_layouts(fields: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        return {"SubtensorModule.StakeAdded": fields, "SubtensorModule.StakeRemoved": fields}

    return RuntimeHistory(
        "bittensor",
        (
            (None, Runtime("spec 342", SUBTENSOR_EVENT_TYPES, stake_layouts(_STAKE_FIELDS))),
            # Spec 343 appends the swap fee to StakeAdded / StakeRemoved.
            (343, Runtime("spec 343", SUBTENSOR_EVENT_TYPES, stake_layouts((*_STAKE_FIELDS, "fee")))),
        ),
        version_name=lambda version: f"spec {version}",
    )


# --- sahara: the Cosmos SDK application and the contract ABIs --------------------------------------------


def _sahara_staking() -> RuntimeHistory:
    from etl.catalog import MODULE_OF, TRANSACTION_EVENT, VALIDATOR_EVENT

    types = frozenset(
        {f"{module}.{cosmos_type}" for cosmos_type, module in MODULE_OF.items()}
        | {VALIDATOR_EVENT, TRANSACTION_EVENT}
    )
    return RuntimeHistory(
        "sahara_staking",
        ((None, Runtime("cosmos-sdk v0.50", types)),),
        version_name=lambda version: f"app {version}",
    )


def _sahara_contracts() -> RuntimeHistory:
    from etl.contracts import events_by_topic0

    abis = events_by_topic0()
    signatures = sorted(f"{spec.contract}.{spec.signature}" for spec in abis.values())
    digest = hashlib.sha256("\n".join(signatures).encode()).hexdigest()[:8]
    types = frozenset(spec.event_type for spec in abis.values())
    return RuntimeHistory(
        "sahara_contracts",
        ((None, Runtime(f"abi {digest}", types)),),
        version_name=lambda version: f"abi version {version}",
    )


_BUILDERS = {
    "bittensor": _bittensor,
    "sahara_staking": _sahara_staking,
    "sahara_contracts": _sahara_contracts,
}


@cache
def runtime_history(family: str) -> RuntimeHistory:
    """The runtimes of an event family; a family the product does not have is an error."""
    try:
        builder = _BUILDERS[family]
    except KeyError:
        raise ValueError(f"unknown event family {family!r}; expected one of {', '.join(FAMILIES)}") from None
    return builder()
