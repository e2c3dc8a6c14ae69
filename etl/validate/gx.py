"""Run Great Expectations 1.x suites on a DataFrame and turn failures into per-row reasons.

Suites are defined in code and saved into a file-backed GX project (`DECAI_GX_DIR`, default `./gx`),
together with one validation definition per suite; every run's result is stored there, so
`decai docs` (and the warehouse DAG) can build Data Docs that show what was checked and what failed.

Each row carries a `row_id`; expectations run with result format COMPLETE and report the failing
rows by that id, so the caller can quarantine exactly those rows (with the expectation's name and
the offending value) and keep the rest.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
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
    #: Failing rows per expectation, for `dq_results.details`.
    unexpected_counts: dict[str, int] = field(default_factory=dict)

    def failures_by_row(self) -> dict[int, list[RowFailure]]:
        """Every expectation each failing row broke, in suite order."""
        by_row: dict[int, list[RowFailure]] = {}
        for failure in self.failures:
            by_row.setdefault(failure.row_id, []).append(failure)
        return by_row


def gx_dir() -> Path:
    from etl.settings import PROJECT_ROOT

    return Path(os.environ.get("DECAI_GX_DIR") or PROJECT_ROOT / "gx")


@cache
def _context(root: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=root)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def context():
    """The file-backed GX project of this process's `DECAI_GX_DIR`."""
    return _context(str(gx_dir()))


_definitions: dict[tuple[str, str], Any] = {}


def _validation_definition(root: str, suite):
    """Save the suite (as code defines it) and its validation definition; reuse them per process."""
    import great_expectations as gx

    name = suite.name
    if (root, name) in _definitions:
        return _definitions[(root, name)]
    ctx = _context(root)
    try:
        source = ctx.data_sources.get(name)
    except (KeyError, ValueError, LookupError):
        source = ctx.data_sources.add_pandas(name)
    try:
        asset = source.get_asset(name)
    except (KeyError, ValueError, LookupError):
        asset = source.add_dataframe_asset(name)
    try:
        batch_definition = asset.get_batch_definition(name)
    except (KeyError, ValueError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe(name)
    saved = ctx.suites.add_or_update(suite)
    definition = gx.ValidationDefinition(name=name, data=batch_definition, suite=saved)
    _definitions[(root, name)] = ctx.validation_definitions.add_or_update(definition)
    return _definitions[(root, name)]


def build_data_docs() -> Path:
    """Build the Data Docs site from every stored validation result; returns its index.html."""
    ctx = context()
    ctx.build_data_docs()
    return gx_dir() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


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
    definition = _validation_definition(str(gx_dir()), suite)
    result = definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters or {},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )
    outcome = SuiteOutcome(
        suite=suite.name, evaluated=len(result.results), failed=0, success=bool(result.success)
    )
    descriptions = descriptions or {}
    for item in result.results:
        config = item.expectation_config
        kind = config.type
        column = config.kwargs.get("column")
        rule = f"{kind}({column})" if column else kind
        # Counted for every expectation, passing ones too (an expectation with `mostly=0` only counts).
        outcome.unexpected_counts[rule] = int((item.result or {}).get("unexpected_count") or 0)
        if item.success:
            continue
        outcome.failed += 1
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
