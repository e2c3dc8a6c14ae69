"""Run Great Expectations 1.x suites on a DataFrame and turn failures into per-row reasons.

Suites are defined in code and saved into a file-backed GX project (`DECAI_GX_DIR`, default `./gx`),
together with one validation definition per suite; every run's result is stored there, so
`decai docs` (and the warehouse DAG) can build Data Docs that show what was checked and what failed.

Each row carries a `row_id`; expectations run with result format COMPLETE and report the failing
rows by that id, so the caller can quarantine exactly those rows (with the expectation's name and
the offending value) and keep the rest.

**Fixed cost per run.** A GX run costs tens of milliseconds whatever the batch size, so setup is
paid once per process, not per run: the context, data source, suite and validation definition are
saved to the project on a suite's first run in the process (so the project always holds the suite as
the code defines it) and then held in memory. `ValidationDefinition.run()` would re-read the suite,
the validation definition and the data sources from the project's files on every call to check that
they are still fresh; here they cannot be stale (this process wrote them), so a run goes straight to
GX's validator and stores its result with the project's results store, as `run()` does. Data Docs
are built by `build_data_docs` (a DAG task and `decai docs`), never per run. Callers that can
(the market pipeline) validate a whole window in one run.

Most of a run's cost is GX building the metrics each expectation asks for, and the more a result
says, the more metrics it needs. So the whole suite runs with result format BOOLEAN_ONLY (did each
expectation hold), then only where there is more to say: the expectations that failed run again with
COMPLETE (every failing row by its id, and its value), and those that pass below 100% (`mostly`, such
as the count of unknown event types) with BASIC (their counts). The stored result holds those
entries. An expectation that holds for every row has nothing more to report: no row failed it.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from etl.settings import gx_dir

# No telemetry from this machine, and no DEBUG chatter from GX's import-time registries.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

ROW_ID = "row_id"
#: Every expectation of a run: whether it held.
SUITE_RESULT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
#: Expectations allowed to hold for part of the rows (`mostly` < 1): how many rows they did not.
COUNT_RESULT_FORMAT = {"result_format": "BASIC"}
#: The expectations that failed: every failing row, by its id.
ROW_RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}


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
    #: The run's name in the GX project (and its Data Docs).
    run_name: str | None = None

    def failures_by_row(self) -> dict[int, list[RowFailure]]:
        """Every expectation each failing row broke, in suite order."""
        by_row: dict[int, list[RowFailure]] = {}
        for failure in self.failures:
            by_row.setdefault(failure.row_id, []).append(failure)
        return by_row


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


@dataclass(frozen=True)
class _Runner:
    """What a run needs, saved to the project once per process and then held in memory."""

    definition: Any  # the ValidationDefinition saved in the project
    results_store: Any


_runners: dict[tuple[str, str], _Runner] = {}


def _runner(root: str, suite) -> _Runner:
    """Save the suite (as code defines it) and its validation definition on first use; reuse them."""
    import great_expectations as gx

    name = suite.name
    if (root, name) in _runners:
        return _runners[(root, name)]
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
    definition = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=saved)
    )
    _runners[(root, name)] = _Runner(definition, ctx.validation_results_store)
    return _runners[(root, name)]


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


def run_name_for(*parts: object) -> str:
    """A run name for the GX project: it becomes a folder of the results store, so only safe characters."""
    text = "_".join(str(p) for p in parts if p is not None and str(p) != "")
    return re.sub(r"[^A-Za-z0-9_.+-]", "-", text)[:200] or "run"


def _mostly(expectation) -> float:
    mostly = getattr(expectation, "mostly", None)
    return 1.0 if mostly is None else float(mostly)


def _validate(runner: _Runner, frame, parameters: dict, run_name: str | None):
    """One GX run of the runner's suite on `frame`, stored in the project as `ValidationDefinition.run()`
    stores it (same result meta and key), without re-reading the project's files first."""
    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator

    definition = runner.definition
    validator = Validator(
        batch_definition=definition.batch_definition,
        batch_parameters={"dataframe": frame},
        result_format=SUITE_RESULT_FORMAT,
    )
    result = validator.validate_expectation_suite(definition.suite, parameters)
    failed = {item.expectation_config.id for item in result.results if not item.success}
    counted = {e.id for e in definition.suite.expectations if _mostly(e) < 1 and e.id not in failed}
    if None in failed | counted:
        raise RuntimeError(f"suite {definition.suite.name}: an expectation has no id; save the suite first")
    detail = {}
    for ids, fmt in ((failed, ROW_RESULT_FORMAT), (counted, COUNT_RESULT_FORMAT)):
        if not ids:
            continue
        again = Validator(
            batch_definition=definition.batch_definition,
            batch_parameters={"dataframe": frame},
            result_format=fmt,
        )
        detail.update(
            {
                e.id: again.validate_expectation(e, parameters)
                for e in definition.suite.expectations
                if e.id in ids
            }
        )
    if detail:
        result.results = [detail.get(item.expectation_config.id, item) for item in result.results]
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    result.meta.update(
        validation_id=definition.id,
        checkpoint_id=None,
        run_id=run_id,
        validation_time=run_id.run_time,
        batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
    )
    suite_id = ExpectationSuiteIdentifier(name=definition.suite.name)
    runner.results_store.store_validation_results(
        suite_validation_result=result,
        suite_validation_result_identifier=ValidationResultIdentifier(
            expectation_suite_identifier=suite_id,
            run_id=run_id,
            batch_identifier=validator.active_batch_id,
        ),
        expectation_suite_identifier=suite_id,
    )
    return result


def run_suite(
    suite,
    frame,
    parameters: dict | None = None,
    descriptions: dict[str, str] | None = None,
    run_name: str | None = None,
) -> SuiteOutcome:
    """Validate `frame` (which must have a `row_id` column) and collect the failing rows.

    `run_name` names the run in the GX project and its Data Docs (what the batch was, e.g. a window).
    """
    result = _validate(_runner(str(gx_dir()), suite), frame, parameters or {}, run_name)
    outcome = SuiteOutcome(
        suite=suite.name,
        evaluated=len(result.results),
        failed=0,
        success=bool(result.success),
        run_name=run_name,
    )
    descriptions = descriptions or {}
    for item in result.results:
        config = item.expectation_config
        kind = config.type
        column = config.kwargs.get("column")
        rule = f"{kind}({column})" if column else kind
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"suite {suite.name}: expectation {rule} raised {item.exception_info}")
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
    return outcome
