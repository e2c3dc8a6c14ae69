"""Run Great Expectations 1.x suites on a DataFrame and turn failures into per-row reasons.

Each row carries a `row_id`; expectations run with result format COMPLETE and report the failing
rows by that id, so the caller can quarantine exactly those rows (with the expectation's name and
the offending value) and keep the rest.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

# No telemetry from this machine, and no DEBUG chatter from GX's import-time registries.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

ROW_ID = "row_id"


@dataclass
class RowFailure:
    row_id: int
    rule: str
    column: str | None
    value: Any
    description: str


@dataclass
class SuiteOutcome:
    suite: str
    evaluated: int
    failed: int
    failures: list[RowFailure] = field(default_factory=list)
    success: bool = True

    def failures_by_row(self) -> dict[int, list[RowFailure]]:
        """Every expectation each failing row broke, in suite order."""
        by_row: dict[int, list[RowFailure]] = {}
        for failure in self.failures:
            by_row.setdefault(failure.row_id, []).append(failure)
        return by_row


@cache
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _batch_definition(name: str):
    context = _context()
    source = context.data_sources.add_pandas(name)
    asset = source.add_dataframe_asset(name)
    return asset.add_batch_definition_whole_dataframe(name)


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, NaN as None, so reasons read naturally."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def run_suite(
    suite, frame, parameters: dict | None = None, descriptions: dict[str, str] | None = None
) -> SuiteOutcome:
    """Validate `frame` (which must have a `row_id` column) and collect the failing rows."""
    batch = _batch_definition(suite.name).get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        expectation_parameters=parameters or {},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )
    outcome = SuiteOutcome(
        suite=suite.name, evaluated=len(result.results), failed=0, success=bool(result.success)
    )
    descriptions = descriptions or {}
    for item in result.results:
        if item.success:
            continue
        outcome.failed += 1
        config = item.expectation_config
        kind = config.type
        column = config.kwargs.get("column")
        rule = f"{kind}({column})" if column else kind
        for entry in (item.result or {}).get("unexpected_index_list") or []:
            value = (
                _plain(entry.get(column))
                if column
                else {k: _plain(v) for k, v in entry.items() if k != ROW_ID}
            )
            outcome.failures.append(
                RowFailure(int(entry[ROW_ID]), rule, column, value, descriptions.get(rule, rule))
            )
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"suite {suite.name}: expectation {rule} raised {item.exception_info}")
    return outcome
