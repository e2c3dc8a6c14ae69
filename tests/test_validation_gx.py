"""Every validation run lands in the file-backed GX project, so the Data Docs show it: one result per
market window (both coins), with the failing rows of a failed expectation and counts for the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from etl.events import Event, FetchResult, RawQuote
from etl.validate.chain_events import validate_chain_events
from etl.validate.gx import build_data_docs, context, gx_dir
from etl.validate.quotes import validate_quote_batches

T0 = 1_769_000_000
HOUR = 3600


def _window(start: int, bad_sahara_hour: int | None = None) -> list[FetchResult]:
    batches = []
    for coin, price in (("bittensor", 270.0), ("sahara-ai", 0.02)):
        fetched = FetchResult(coin, start, start + 12 * HOUR)
        fetched.quotes = [RawQuote(coin, (start + h * HOUR) * 1000, price, 2.9e9, 1e8) for h in range(12)]
        batches.append(fetched)
    if bad_sahara_hour is not None:
        ts = (start + bad_sahara_hour * HOUR) * 1000
        batches[1].quotes[bad_sahara_hour] = RawQuote("sahara-ai", ts, 0.02, -1.0, 1e8)
    return batches


def _stored(run_name: str, suite: str = "market_quotes") -> list:
    store = context().validation_results_store
    keys = [
        key
        for key in store.list_keys()
        if key.expectation_suite_identifier.name == suite and key.run_id.run_name == run_name
    ]
    return [store.get(key) for key in keys]


def test_one_window_is_one_stored_run_with_the_failing_rows_named():
    first, second = validate_quote_batches(_window(T0, bad_sahara_hour=5))
    run_name = first.record.details["gx_run"]["name"]
    assert run_name == f"coingecko_bittensor+sahara-ai_{T0}_{T0 + 12 * HOUR}"
    (result,) = _stored(run_name)
    assert result.success is False
    by_rule = {
        (r.expectation_config.type, r.expectation_config.kwargs.get("column")): r for r in result.results
    }
    failed = by_rule[("expect_column_values_to_be_between", "market_cap_usd")]
    assert not failed.success
    # The failed expectation names its row (row ids run across both coins: sahara-ai's start at 12).
    assert failed.result["unexpected_index_list"] == [{"market_cap_usd": -1.0, "row_id": 17}]
    # An expectation every row met has no rows to name.
    passed = by_rule[("expect_column_values_to_be_between", "price_usd")]
    assert passed.success and "unexpected_index_list" not in passed.result
    assert [q.rule for q in second.quarantined] == ["expect_column_values_to_be_between(market_cap_usd)"]
    assert first.quarantined == []


def test_data_docs_show_each_run_by_its_window():
    good, _ = validate_quote_batches(_window(T0 + 100 * HOUR))
    run_name = good.record.details["gx_run"]["name"]
    (result,) = _stored(run_name)
    assert result.success is True
    index = build_data_docs()
    assert index.is_file()
    pages = list(
        (gx_dir() / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations").rglob("*.html")
    )
    assert any(run_name in str(page) for page in pages)
    assert run_name in index.read_text()


def test_a_chain_run_stores_the_count_of_events_unknown_to_their_runtime():
    when = datetime.fromtimestamp(T0, UTC)
    events = [
        Event("bittensor", "subtensor", 900_001, "i.0", "System.CodeUpdated", when, {}, spec_version=343),
        Event(
            "bittensor",
            "subtensor",
            900_001,
            "i.1",
            "Swap.FeeCollected",
            when,
            {"amount": "1"},
            spec_version=343,
        ),
    ]
    checked = validate_chain_events(events, family="bittensor", start=900_001, end=900_002)
    assert checked.record.details["unknown_event_types"]["events"] == 1
    (result,) = _stored("bittensor_900001_900002", suite="bittensor_events")
    assert result.success is True  # unknown types are counted, never a failure
    (counted,) = [
        r for r in result.results if r.expectation_config.kwargs.get("column") == "runtime_event_type"
    ]
    assert counted.success and counted.result["unexpected_count"] == 1
