"""Validation of market quotes: parsing, then the `market_quotes` Great Expectations suite.

Parsing rejects what is not a number at all (a string where a price should be, a missing value);
the suite then checks what a number must satisfy: price and market cap above zero, volume not
negative, the timestamp inside the requested interval, and no second quote for the same coin and
timestamp. Every row that fails becomes a quarantine row naming the rule and the offending value.

A market window is validated in one GX run for all its coins (`validate_quote_batches`): a run has
a fixed cost of tens of milliseconds whatever its size, and a window's batches are small. Each
coin's batch still gets its own result (its events, quarantine and `dq_results` record).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from etl.events import DQRecord, Event, FetchResult, QuarantinedRow, RawQuote
from etl.validate.gx import ROW_ID, run_name_for, run_suite

SUITE_NAME = "market_quotes"


@dataclass
class QuoteValidation:
    events: list[Event]
    quarantined: list[QuarantinedRow]
    rows_in: int
    record: DQRecord


@dataclass
class _Parsed:
    """One fetched batch after parsing: rows for the suite (with global row ids) and parse rejects."""

    fetched: FetchResult
    rows: list[dict] = field(default_factory=list)
    raw_by_row: dict[int, RawQuote] = field(default_factory=dict)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: rule -> failing rows of this batch
    counts: dict[str, int] = field(default_factory=dict)
    evaluated: int = 0
    gx_run: dict | None = None

    @property
    def rows_in(self) -> int:
        return len(self.fetched.quotes) + len(self.fetched.unreadable)


def _number(value: object, name: str) -> Decimal:
    if value is None:
        raise ValueError(f"{name} is missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} {value!r} is not a finite number")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@cache
def quotes_suite():
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="price_usd"),
            gxe.ExpectColumnValuesToNotBeNull(column="market_cap_usd"),
            gxe.ExpectColumnValuesToNotBeNull(column="total_volume_usd"),
            gxe.ExpectColumnValuesToBeBetween(column="price_usd", min_value=0, strict_min=True),
            gxe.ExpectColumnValuesToBeBetween(column="market_cap_usd", min_value=0, strict_min=True),
            gxe.ExpectColumnValuesToBeBetween(column="total_volume_usd", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(
                column="ts",
                min_value={"$PARAMETER": "interval_start"},
                max_value={"$PARAMETER": "interval_last"},
            ),
            gxe.ExpectColumnValuesToBeBetween(column="repeat_of_earlier", min_value=0, max_value=0),
        ],
    )


DESCRIPTIONS = {
    "expect_column_values_to_not_be_null(price_usd)": "price is missing",
    "expect_column_values_to_not_be_null(market_cap_usd)": "market cap is missing",
    "expect_column_values_to_not_be_null(total_volume_usd)": "volume is missing",
    "expect_column_values_to_be_between(price_usd)": "price must be greater than 0",
    "expect_column_values_to_be_between(market_cap_usd)": "market cap must be greater than 0",
    "expect_column_values_to_be_between(total_volume_usd)": "volume must not be negative",
    "expect_column_values_to_be_between(ts)": "timestamp is outside the requested interval",
    "expect_column_values_to_be_between(repeat_of_earlier)": "a quote for this coin and timestamp came already",
}


COLUMNS = [ROW_ID, "coin_id", "ts", "price_usd", "market_cap_usd", "total_volume_usd", "repeat_of_earlier"]


def _reject(raw: RawQuote, rule: str, reason: str) -> QuarantinedRow:
    return QuarantinedRow(
        "coingecko", "market", raw.position, raw.raw_json(), reason, rule, block_number=None
    )


def _parse(fetched: FetchResult, first_row_id: int) -> _Parsed:
    """Numbers out of the raw quotes; what is not a number at all is quarantined here."""
    parsed = _Parsed(fetched)
    for chunk in fetched.unreadable:
        parsed.quarantined.append(
            QuarantinedRow(
                "coingecko",
                "market",
                chunk.position,
                chunk.body,
                f"unreadable response: {chunk.error}",
                "parse_body",
            )
        )
    for raw in fetched.quotes:
        try:
            ts_ms = _number(raw.ts_ms, "timestamp")
            if ts_ms != ts_ms.to_integral_value():
                raise ValueError(f"timestamp {raw.ts_ms!r} is not a whole number of milliseconds")
            values = {
                "price_usd": raw.price if raw.price is None else _number(raw.price, "price"),
                "market_cap_usd": raw.market_cap
                if raw.market_cap is None
                else _number(raw.market_cap, "market cap"),
                "total_volume_usd": raw.total_volume
                if raw.total_volume is None
                else _number(raw.total_volume, "volume"),
            }
        except ValueError as exc:
            parsed.quarantined.append(_reject(raw, "parse_number", f"{raw.position}: {exc}"))
            continue
        row_id = first_row_id + len(parsed.rows)
        parsed.raw_by_row[row_id] = raw
        parsed.rows.append(
            {ROW_ID: row_id, "coin_id": raw.coin_id, "ts": int(ts_ms) // 1000, "ts_ms": int(ts_ms), **values}
        )
    return parsed


def _quote_event(row: dict) -> Event:
    ts = row["ts"]
    return Event(
        chain="market",
        source="coingecko",
        block_number=ts,
        position=row["coin_id"],
        event_type="market.Quote",
        block_time=datetime.fromtimestamp(ts, UTC),
        payload={
            "coin_id": row["coin_id"],
            "vs_currency": "usd",
            "ts_ms": row["ts_ms"],
            "price_usd": _decimal_text(row["price_usd"]),
            "market_cap_usd": _decimal_text(row["market_cap_usd"]),
            "total_volume_usd": _decimal_text(row["total_volume_usd"]),
        },
        spec_version=3,
    )


def _run_window(group: list[_Parsed], start: int, end: int) -> None:
    """One GX run over every batch of one interval; each batch gets its own events and rejects."""
    import pandas as pd

    rows = [row for parsed in group for row in parsed.rows]
    if not rows:
        return
    frame = pd.DataFrame(rows)
    for col in ("price_usd", "market_cap_usd", "total_volume_usd"):
        frame[col] = pd.to_numeric(frame[col].map(lambda v: None if v is None else float(v)), errors="coerce")
    frame["repeat_of_earlier"] = frame.groupby(["coin_id", "ts_ms"]).cumcount()
    coins = "+".join(dict.fromkeys(parsed.fetched.coin_id for parsed in group))
    outcome = run_suite(
        quotes_suite(),
        frame[COLUMNS],
        {"interval_start": start, "interval_last": end - 1},
        DESCRIPTIONS,
        run_name=run_name_for("coingecko", coins, start, end),
    )
    failures = outcome.failures_by_row()
    for parsed in group:
        parsed.evaluated = outcome.evaluated
        parsed.gx_run = {"name": outcome.run_name, "batches": len(group), "rows_validated": len(rows)}
        for row in parsed.rows:
            raw = parsed.raw_by_row[row[ROW_ID]]
            broken = failures.get(row[ROW_ID])
            if not broken:
                parsed.events.append(_quote_event(row))
                continue
            for failure in broken:
                parsed.counts[failure.rule] = parsed.counts.get(failure.rule, 0) + 1
            # The first broken expectation names the rule; the reason lists them all.
            detail = "; ".join(f"{f.description} (value: {f.value!r})" for f in broken)
            parsed.quarantined.append(_reject(raw, broken[0].rule, f"{raw.position}: {detail}"))


def validate_quote_batches(batches: Sequence[FetchResult]) -> list[QuoteValidation]:
    """Split each fetched batch into `market.Quote` events and quarantined rows; nothing is dropped.

    The batches of one interval (a market window: one batch per coin) are validated in one GX run;
    each batch still gets its own result and `dq_results` record: its rows, its quarantine, the
    expectations its rows failed, and its share (by rows) of the validation time.
    """
    started = time.perf_counter()
    parsed: list[_Parsed] = []
    next_row_id = 0
    for fetched in batches:
        parsed.append(_parse(fetched, next_row_id))
        next_row_id += len(parsed[-1].rows)
    windows: dict[tuple[int, int], list[_Parsed]] = {}
    for item in parsed:
        windows.setdefault((item.fetched.start, item.fetched.end), []).append(item)
    for (start, end), group in windows.items():
        _run_window(group, start, end)
    elapsed = time.perf_counter() - started
    weight = sum(max(item.rows_in, 1) for item in parsed) or 1

    results = []
    for item in parsed:
        assert len(item.events) + len(item.quarantined) == item.rows_in, "validation lost rows"
        details: dict = dict(item.counts)
        parse_failures = sum(1 for q in item.quarantined if q.rule in ("parse_number", "parse_body"))
        if parse_failures:
            details["parse"] = parse_failures
        if item.gx_run:
            details["gx_run"] = item.gx_run
        record = DQRecord(
            suite=SUITE_NAME,
            rows_validated=item.rows_in,
            rows_quarantined=len(item.quarantined),
            expectations_evaluated=item.evaluated + 1,  # parsing counts as one check
            expectations_failed=len(item.counts) + (1 if parse_failures else 0),
            # A run shared by several batches is charged to each by its rows.
            run_seconds=elapsed * max(item.rows_in, 1) / weight,
            details=details,
        )
        results.append(QuoteValidation(item.events, item.quarantined, item.rows_in, record))
    return results


def validate_quotes(fetched: FetchResult) -> QuoteValidation:
    """One fetched batch on its own (a captured response, a test); see `validate_quote_batches`."""
    return validate_quote_batches([fetched])[0]
