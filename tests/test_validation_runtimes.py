"""Event types checked per runtime version: what each runtime has, what it lacks, and the counts that
reach `dq_results.details` for the quality page."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from etl.events import Event
from etl.validate.chain_events import validate_chain_events
from etl.validate.runtimes import runtime_history
from warehouse import db

T0 = 1_768_000_000
UPGRADE_BLOCK = 252_000
STAKE_342 = {"coldkey": "5Alice", "hotkey": "5Bob", "tao": "1000", "alpha": "900", "netuid": 3}
STAKE_343 = {**STAKE_342, "fee": "0"}
FEE_SIGNATURE = "SubtensorModule.StakeAdded(alpha, coldkey, fee, hotkey, netuid, tao)"
NO_FEE_SIGNATURE = "SubtensorModule.StakeAdded(alpha, coldkey, hotkey, netuid, tao)"


def _bittensor(block: int, spec: int | None, event_type: str, payload: dict, index: int = 0) -> Event:
    return Event(
        "bittensor",
        "subtensor",
        block,
        f"1.{index}",
        event_type,
        datetime.fromtimestamp(T0 + 12 * block, UTC),
        payload,
        spec_version=spec,
    )


def test_the_modelled_runtimes_are_the_devnets_342_and_343():
    """The registry is the devnet's runtime metadata (the project's model of subtensor), spec by spec."""
    from devnet.subtensor.metadata import runtime_metadata
    from etl.sources.subtensor_codec import FIELD_NAMES, runtime_from_metadata

    history = runtime_history("bittensor")
    for spec in (342, 343):
        runtime = runtime_from_metadata("0x" + runtime_metadata(spec).v14.hex(), spec)
        served = {f"{p}.{e}" for p, events in runtime.pallet_events.items() for e in events}
        modelled = history.runtime(spec)
        observations = {
            "SubtensorModule.NeuronObserved",
            "SubtensorModule.SubnetObserved",
            "SubtensorModule.EmissionObserved",
            "System.ExtrinsicObserved",
            "System.AccountsObserved",
        }
        assert modelled.name == f"spec {spec}"
        assert modelled.event_types == served | observations
        for event_type, fields in modelled.layouts.items():
            pallet, name = event_type.split(".")
            arity = len(runtime.pallet_events[pallet][name])
            assert FIELD_NAMES[(pallet, name)][arity] == fields


def test_an_event_its_runtime_does_not_have_is_kept_and_counted_under_that_runtime():
    batch = [
        _bittensor(100, 342, "SubtensorModule.StakeAdded", STAKE_342),  # spec 342's layout: known
        _bittensor(101, 342, "SubtensorModule.StakeAdded", STAKE_343),  # a fee only exists from spec 343
        _bittensor(102, 343, "SubtensorModule.StakeAdded", STAKE_343),  # known
        _bittensor(103, 343, "SubtensorModule.StakeAdded", STAKE_342),  # spec 343 always has the fee
        _bittensor(104, 343, "Swap.FeeCollected", {"amount": "3"}),  # not in the modelled runtimes
        _bittensor(105, 344, "System.ExtrinsicSuccess", {"dispatch_info": {}}),  # newer spec, known type
        _bittensor(106, 344, "Swap.FeeCollected", {"amount": "2"}),
        _bittensor(107, 344, "Swap.FeeCollected", {"amount": "1"}, index=1),
    ]
    checked = validate_chain_events(batch, family="bittensor", start=100, end=110)
    assert checked.quarantined == [] and len(checked.events) == 8
    assert checked.record.outcome == "passed"
    details = checked.record.details
    assert details["events_by_runtime"] == {"spec 342": 2, "spec 343": 3, "spec 344": 3}
    assert details["unknown_event_types_by_runtime"] == {
        "spec 342": {"events": 1, "types": {FEE_SIGNATURE: 1}},
        "spec 343": {"events": 2, "types": {NO_FEE_SIGNATURE: 1, "Swap.FeeCollected": 1}},
        "spec 344": {"events": 2, "types": {"Swap.FeeCollected": 2}},
    }
    # The per-family summary the quality page has read so far is still there.
    assert details["unknown_event_types"] == {
        "events": 5,
        "types": ["SubtensorModule.StakeAdded", "Swap.FeeCollected"],
    }


def test_sahara_events_are_checked_against_the_sdk_application_and_the_abi_set():
    when = datetime.fromtimestamp(T0, UTC)
    staking = [
        Event("sahara", "cometbft", 10, "tx0.0", "staking.delegate", when, {"amount_usah": "5"}),
        Event("sahara", "cometbft", 10, "tx0.1", "cosmos.new_module_event", when, {"cosmos_event_type": "x"}),
    ]
    checked = validate_chain_events(staking, family="sahara_staking", start=10, end=11)
    assert checked.record.details["unknown_event_types_by_runtime"] == {
        "cosmos-sdk v0.50": {"events": 1, "types": {"cosmos.new_module_event": 1}}
    }
    contracts = [
        Event("sahara", "evm", 10, "0.0", "ERC20.Transfer", when, {"from": "0x1", "to": "0x2", "value": "5"}),
        Event("sahara", "evm", 10, "0.1", "evm.RawLog", when, {"address": "0x9", "topics": [], "data": "0x"}),
    ]
    checked = validate_chain_events(contracts, family="sahara_contracts", start=10, end=11)
    (abi_runtime,) = checked.record.details["events_by_runtime"]
    assert abi_runtime == runtime_history("sahara_contracts").runtime(None).name
    assert abi_runtime.startswith("abi ") and len(abi_runtime) == len("abi ") + 8
    assert checked.record.details["unknown_event_types_by_runtime"] == {
        abi_runtime: {"events": 1, "types": {"evm.RawLog": 1}}
    }


class _DecodedAsSpec342:
    """A connector that labels every event with spec 342, as one reading every block with the old
    runtime's version would: the spec-343 events it returns are not events of spec 342."""

    def __init__(self, source) -> None:
        self.inner = source
        self.source, self.chain, self.stream, self.family = (
            source.source,
            source.chain,
            source.stream,
            source.family,
        )

    def finalized_head(self) -> int:
        return self.inner.finalized_head()

    def fetch(self, start: int, end: int):
        from dataclasses import replace

        fetched = self.inner.fetch(start, end)
        fetched.events = [replace(e, spec_version=342, event_id="") for e in fetched.events]
        return fetched


def _details(url: str) -> dict:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            (raw,) = conn.execute(
                sa.text("SELECT details FROM dq_results WHERE suite = 'bittensor_events'")
            ).one()
    finally:
        engine.dispose()
    return json.loads(raw) if isinstance(raw, str) else raw


def test_per_runtime_counts_reach_dq_results_across_the_devnets_runtime_upgrade(devnet, warehouse_url):
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    start, end = UPGRADE_BLOCK - 60, UPGRADE_BLOCK + 60
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        summary = ingest_range(source, start, end, warehouse_url=warehouse_url)
    assert summary["rows_quarantined"] == 0
    details = _details(warehouse_url)
    # Every event is one its own runtime has: nothing unknown on either side of the upgrade.
    assert "unknown_event_types_by_runtime" not in details
    assert set(details["events_by_runtime"]) == {"spec 342", "spec 343"}
    assert sum(details["events_by_runtime"].values()) == summary["rows_in"]


def test_events_labelled_with_the_wrong_runtime_are_counted_as_unknown_to_it(devnet, duckdb_url):
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    start, end = UPGRADE_BLOCK - 60, UPGRADE_BLOCK + 60
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        stakes_after = [
            e
            for e in source.fetch(start, end).events
            if e.block_number > UPGRADE_BLOCK and e.event_type.endswith(("StakeAdded", "StakeRemoved"))
        ]
        summary = ingest_range(_DecodedAsSpec342(source), start, end, warehouse_url=duckdb_url)
    assert stakes_after and summary["rows_quarantined"] == 0  # kept, only counted
    details = _details(duckdb_url)
    assert details["events_by_runtime"] == {"spec 342": summary["rows_in"]}
    unknown = details["unknown_event_types_by_runtime"]
    assert list(unknown) == ["spec 342"] and unknown["spec 342"]["events"] == len(stakes_after)
    assert set(unknown["spec 342"]["types"]) <= {
        FEE_SIGNATURE,
        "SubtensorModule.StakeRemoved(alpha, coldkey, fee, hotkey, netuid, tao)",
    }
    assert details["unknown_event_types"]["events"] == len(stakes_after)


def test_an_unknown_family_has_no_runtimes():
    with pytest.raises(ValueError, match="unknown event family 'sahara'; expected one of"):
        runtime_history("sahara")
