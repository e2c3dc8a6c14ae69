"""Validation of market quotes: parsing, then the `market_quotes` Great Expectations suite.

Parsing rejects what is not a number at all (a string where a price should be, a missing value);
the suite then checks what a number must satisfy: price and market cap above zero, volume not
negative, the timestamp inside the requested interval, and no second quote for the same coin and
timestamp. Every row that fails becomes a quarantine row naming the rule and the offending value.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from etl.events import DQRecord, Event, QuarantinedRow
from etl.sources.coingecko import FetchResult, RawQuote
from etl.validate.gx import ROW_ID, run_suite

SUITE_NAME = "market_quotes"


@dataclass
class QuoteValidation:
    events: list[Event]
    quarantined: list[QuarantinedRow]
    rows_in: int
    record: DQRecord


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


def validate_quotes(fetched: FetchResult, chain_coin: str | None = None) -> QuoteValidation:
    """Split fetched quotes into `market.Quote` events and quarantined rows; nothing is dropped."""
    import pandas as pd

    started = time.perf_counter()
    quarantined: list[QuarantinedRow] = []
    parsed: list[dict] = []
    raw_by_row: dict[int, RawQuote] = {}

    def reject(raw: RawQuote, rule: str, reason: str) -> None:
        quarantined.append(
            QuarantinedRow(
                "coingecko", "market", raw.position, raw.raw_json(), reason, rule, block_number=None
            )
        )

    for chunk in fetched.unreadable:
        quarantined.append(
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
            reject(raw, "parse_number", f"{raw.position}: {exc}")
            continue
        row_id = len(parsed)
        raw_by_row[row_id] = raw
        parsed.append(
            {ROW_ID: row_id, "coin_id": raw.coin_id, "ts": int(ts_ms) // 1000, "ts_ms": int(ts_ms), **values}
        )

    events: list[Event] = []
    evaluated = failed = 0
    details: dict[str, int] = {}
    if parsed:
        frame = pd.DataFrame(parsed)
        for col in ("price_usd", "market_cap_usd", "total_volume_usd"):
            frame[col] = pd.to_numeric(
                frame[col].map(lambda v: None if v is None else float(v)), errors="coerce"
            )
        frame["repeat_of_earlier"] = frame.groupby(["coin_id", "ts_ms"]).cumcount()
        outcome = run_suite(
            quotes_suite(),
            frame[
                [
                    ROW_ID,
                    "coin_id",
                    "ts",
                    "price_usd",
                    "market_cap_usd",
                    "total_volume_usd",
                    "repeat_of_earlier",
                ]
            ],
            {"interval_start": fetched.start, "interval_last": fetched.end - 1},
            DESCRIPTIONS,
        )
        evaluated, failed = outcome.evaluated, outcome.failed
        details = {rule: n for rule, n in outcome.unexpected_counts.items() if n}
        failures = outcome.failures_by_row()
        for row in parsed:
            raw = raw_by_row[row[ROW_ID]]
            broken = failures.get(row[ROW_ID])
            if broken:
                # The first broken expectation names the rule; the reason lists them all.
                detail = "; ".join(f"{f.description} (value: {f.value!r})" for f in broken)
                reject(raw, broken[0].rule, f"{raw.position}: {detail}")
                continue
            ts = row["ts"]
            events.append(
                Event(
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
            )
    rows_in = len(fetched.quotes) + len(fetched.unreadable)
    assert len(events) + len(quarantined) == rows_in, "validation lost rows"
    parse_failures = sum(1 for q in quarantined if q.rule in ("parse_number", "parse_body"))
    if parse_failures:
        details["parse"] = parse_failures
    record = DQRecord(
        suite=SUITE_NAME,
        rows_validated=rows_in,
        rows_quarantined=len(quarantined),
        expectations_evaluated=evaluated + 1,  # parsing counts as one check
        expectations_failed=failed + (1 if parse_failures else 0),
        run_seconds=time.perf_counter() - started,
        details=details,
    )
    return QuoteValidation(events, quarantined, rows_in, record)
