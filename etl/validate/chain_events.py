"""Validation of decoded chain events: one Great Expectations suite per event family.

Every family shares the envelope checks (keys present, block inside the requested range, block time
never going backwards, a well-formed event type, token amounts as non-negative integers in base units);
a family adds its own (u16 scores within 0..65535 or 0..1 once normalised, for example).

Event types are checked against the runtime that produced each event (`etl.validate.runtimes`):
types (or, where a runtime changed them, fields) that runtime does not have are kept but counted,
in `dq_results.details` under `unknown_event_types` (all runtimes together) and
`unknown_event_types_by_runtime` (per runtime, per type), beside `events_by_runtime`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from etl.catalog import is_amount_field
from etl.events import DQRecord, Event, QuarantinedRow
from etl.validate.gx import ROW_ID, run_name_for, run_suite
from etl.validate.runtimes import RuntimeHistory, runtime_history

#: Payload keys that hold a chain's u16 score (raw 0..65535) or its normalised value (0..1).
SCORE_KEYS = ("incentive", "dividends", "consensus", "trust", "validator_trust")
EVENT_TYPE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$"
#: `runtime: event type` of each row, looked up among the types its runtime has (see `runtimes`).
RUNTIME_COLUMN = "runtime_event_type"
UNKNOWN_TYPES_RULE = f"expect_column_values_to_be_in_set({RUNTIME_COLUMN})"


@dataclass
class ChainValidation:
    events: list[Event]
    quarantined: list[QuarantinedRow]
    record: DQRecord


_INTEGER = re.compile(r"-?\d+")
#: Fields of an EmissionObserved payload (top level, then each `subnets` entry) that hold base units.
EMISSION_AMOUNTS = ("total_issuance", "total_issuance_before", "minted")
EMISSION_SUBNET_AMOUNTS = (
    "subnet_tao",
    "subnet_alpha_in",
    "subnet_alpha_out",
    "tao_in_emission",
    "excess_tao",
    "alpha_in_emission",
    "alpha_out_emission",
)


def _emission_problem(payload: dict) -> tuple[float | None, str | None]:
    """(smallest amount, a problem) of an EmissionObserved payload: every amount, nested ones included,
    an integer string in base units; `subnets` a list of entries with an integer netuid."""
    smallest = None
    subnets = payload.get("subnets")
    if not isinstance(subnets, list):
        return None, f"subnets = {subnets!r} is not a list"
    checks = [(key, payload.get(key)) for key in EMISSION_AMOUNTS]
    for entry in subnets:
        if not isinstance(entry, dict) or isinstance(entry.get("netuid"), bool):
            return None, f"subnets entry {entry!r} is not an object with a netuid"
        if not isinstance(entry.get("netuid"), int):
            return None, f"subnets entry netuid = {entry.get('netuid')!r} is not an integer"
        checks += [(f"subnets[{entry['netuid']}].{key}", entry.get(key)) for key in EMISSION_SUBNET_AMOUNTS]
    for key, value in checks:
        if not isinstance(value, str) or not _INTEGER.fullmatch(value):
            return None, f"{key} = {value!r} is not an integer string in base units"
        number = float(int(value))
        smallest = number if smallest is None else min(smallest, number)
    return smallest, None


#: Stake events and the payload fields the stake-flow mart reads: (accounts, subnets, amounts).
STAKE_FIELDS = {
    **dict.fromkeys(
        ("SubtensorModule.StakeAdded", "SubtensorModule.StakeRemoved"),
        (("coldkey", "hotkey"), ("netuid",), ("tao", "alpha")),
    ),
    "SubtensorModule.StakeMoved": (
        ("coldkey", "origin_hotkey", "destination_hotkey"), ("origin_netuid", "destination_netuid"), ("tao",)
    ),
    "SubtensorModule.StakeTransferred": (
        ("origin_coldkey", "destination_coldkey", "hotkey"), ("origin_netuid", "destination_netuid"), ("tao",)
    ),
    "SubtensorModule.StakeSwapped": (("coldkey", "hotkey"), ("origin_netuid", "destination_netuid"), ("tao",)),
}  # fmt: skip
#: Rules checked in Python before the suite runs (the suite cannot express them).
PRE_SUITE_RULES = ("amount_integer", "stake_fields")


def _stake_problem(payload: dict, event_type: str | None) -> str | None:
    """What keeps a stake event from being read as a stake flow: an account that is not a short
    string, a subnet id that is not a u16, or a missing amount (its form is the amount rule's)."""
    accounts, subnets, amounts = STAKE_FIELDS.get(event_type, ((), (), ()))
    for key in accounts:
        value = payload.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            return f"{key} = {value!r} is not an account (an address of at most 64 characters)"
    for key in subnets:
        value = payload.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            return f"{key} = {value!r} is not a subnet id (an integer 0..65535)"
    for key in amounts:
        if payload.get(key) is None:
            return f"{key} is missing"
    return None


def _amount_problem(payload: dict, event_type: str | None = None) -> tuple[float | None, str | None]:
    """(smallest amount, a problem) over the payload's amount fields; floats are a problem."""
    if event_type == "SubtensorModule.EmissionObserved":
        return _emission_problem(payload)
    smallest = None
    for key, value in payload.items():
        if not is_amount_field(key, event_type) or value is None:
            continue
        if isinstance(value, bool) or isinstance(value, float):
            return None, f"{key} = {value!r} is not an integer in base units"
        text = str(value)
        if not _INTEGER.fullmatch(text):
            return None, f"{key} = {value!r} is not an integer string in base units"
        number = float(int(text))
        smallest = number if smallest is None else min(smallest, number)
    return smallest, None


def _scores(payload: dict) -> tuple[float | None, float | None]:
    values = [float(payload[k]) for k in SCORE_KEYS if isinstance(payload.get(k), int | float | str)]
    values = [v for v in values if v == v]
    return (min(values), max(values)) if values else (None, None)


@cache
def chain_suite(family: str):
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name=f"{family}_events",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="block_number"),
            gxe.ExpectColumnValuesToNotBeNull(column="block_time"),
            gxe.ExpectColumnValuesToNotBeNull(column="event_type"),
            gxe.ExpectColumnValuesToBeBetween(
                column="block_number",
                min_value={"$PARAMETER": "first_block"},
                max_value={"$PARAMETER": "last_block"},
            ),
            gxe.ExpectColumnValuesToMatchRegex(column="event_type", regex=EVENT_TYPE_PATTERN),
            gxe.ExpectColumnValuesToBeIncreasing(column="block_time"),
            gxe.ExpectColumnValuesToBeBetween(column="min_amount", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="min_score", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="max_score", max_value=65535),
            gxe.ExpectColumnValuesToBeBetween(column="repeat_of_earlier", min_value=0, max_value=0),
            # Counts events their runtime does not have (as the product models it); they are kept,
            # so this never fails.
            gxe.ExpectColumnValuesToBeInSet(
                column=RUNTIME_COLUMN, value_set=runtime_history(family).known_values(), mostly=0.0
            ),
        ],
    )


DESCRIPTIONS = {
    "expect_column_values_to_not_be_null(block_number)": "block number is missing",
    "expect_column_values_to_not_be_null(block_time)": "block time is missing",
    "expect_column_values_to_not_be_null(event_type)": "event type is missing",
    "expect_column_values_to_be_between(block_number)": "block is outside the requested range",
    "expect_column_values_to_match_regex(event_type)": "event type is not `Module.Event`",
    "expect_column_values_to_be_increasing(block_time)": "block time goes backwards",
    "expect_column_values_to_be_between(min_amount)": "a token amount is negative",
    "expect_column_values_to_be_between(min_score)": "a score is negative",
    "expect_column_values_to_be_between(max_score)": "a score is above the u16 range 0..65535",
    "expect_column_values_to_be_between(repeat_of_earlier)": "the same event_id came already in this batch",
}


def validate_chain_events(events: Iterable[Event], *, family: str, start: int, end: int) -> ChainValidation:
    """Split decoded events of blocks [start, end) into valid events and quarantined rows."""
    import pandas as pd

    started = time.perf_counter()
    history = runtime_history(family)
    # A missing block number sorts last (and is quarantined by the suite) instead of breaking the sort.
    events = sorted(events, key=lambda e: (e.block_number is None, e.block_number or 0, str(e.position)))
    quarantined: list[QuarantinedRow] = []
    rows = []
    kept: list[Event] = []
    for event in events:
        smallest, problem = _amount_problem(event.payload, event.event_type)
        if problem:
            quarantined.append(
                _reject(event, "amount_integer", f"block {event.block_number} {event.event_type}: {problem}")
            )
            continue
        problem = _stake_problem(event.payload, event.event_type)
        if problem:
            quarantined.append(
                _reject(event, "stake_fields", f"block {event.block_number} {event.event_type}: {problem}")
            )
            continue
        low, high = _scores(event.payload)
        rows.append(
            {
                ROW_ID: len(kept),
                "block_number": event.block_number,
                "block_time": event.block_time.timestamp(),
                "event_type": event.event_type,
                "event_id": event.event_id,
                "min_amount": smallest,
                "min_score": low,
                "max_score": high,
                RUNTIME_COLUMN: history.check_value(event.event_type, event.payload, event.spec_version),
            }
        )
        kept.append(event)
    evaluated = failed = 0
    details: dict = {}
    valid = kept
    if rows:
        frame = pd.DataFrame(rows)
        frame["repeat_of_earlier"] = frame.groupby("event_id").cumcount()
        frame = frame.drop(columns=["event_id"])
        outcome = run_suite(
            chain_suite(family),
            frame,
            {"first_block": start, "last_block": end - 1},
            DESCRIPTIONS,
            run_name=run_name_for(family, start, end),
        )
        evaluated, failed = outcome.evaluated, outcome.failed
        details.update(
            _runtime_details(history, kept, rows, outcome.unexpected_counts.get(UNKNOWN_TYPES_RULE, 0))
        )
        by_row = outcome.failures_by_row()
        valid = []
        for row_id, event in enumerate(kept):
            broken = by_row.get(row_id)
            if not broken:
                valid.append(event)
                continue
            detail = "; ".join(f"{f.description} (value: {f.value!r})" for f in broken)
            quarantined.append(
                _reject(event, broken[0].rule, f"block {event.block_number} {event.event_type}: {detail}")
            )
            details[broken[0].rule] = details.get(broken[0].rule, 0) + 1
    for q in quarantined:
        if q.rule in PRE_SUITE_RULES:
            details[q.rule] = details.get(q.rule, 0) + 1
    record = DQRecord(
        suite=f"{family}_events",
        rows_validated=len(events),
        rows_quarantined=len(quarantined),
        expectations_evaluated=evaluated,
        expectations_failed=failed + sum(1 for rule in PRE_SUITE_RULES if rule in details),
        run_seconds=time.perf_counter() - started,
        details=details,
    )
    return ChainValidation(valid, quarantined, record)


def _runtime_details(history: RuntimeHistory, kept: list[Event], rows: list[dict], unknown: int) -> dict:
    """Events per runtime, and those their runtime does not have: in all, and per runtime and type."""
    known = history.known
    per_runtime: dict[str, int] = {}
    by_runtime: dict[str, dict] = {}
    names: set[str] = set()
    for event, row in zip(kept, rows, strict=True):
        name = history.runtime_name(event.spec_version)
        per_runtime[name] = per_runtime.get(name, 0) + 1
        value = row[RUNTIME_COLUMN]
        if value is None or value in known:
            continue
        signature = value.split(": ", 1)[1]
        names.add(event.event_type)
        entry = by_runtime.setdefault(name, {"events": 0, "types": {}})
        entry["events"] += 1
        entry["types"][signature] = entry["types"].get(signature, 0) + 1
    details: dict = {"events_by_runtime": per_runtime}
    counted = sum(entry["events"] for entry in by_runtime.values())
    if counted != unknown:
        raise RuntimeError(
            f"{history.family}: the suite counted {unknown} events of types unknown to their runtime, "
            f"the breakdown {counted}"
        )
    if unknown:
        details["unknown_event_types"] = {"events": unknown, "types": sorted(names)[:50]}
        details["unknown_event_types_by_runtime"] = by_runtime
    return details


def _reject(event: Event, rule: str, reason: str) -> QuarantinedRow:
    from etl.events import payload_json

    raw = payload_json(
        {"event_type": event.event_type, "block_hash": event.block_hash, "payload": event.payload}
    )
    return QuarantinedRow(
        event.source,
        event.chain,
        f"{event.block_number}:{event.position}",
        raw,
        reason,
        rule,
        event.block_number,
    )
