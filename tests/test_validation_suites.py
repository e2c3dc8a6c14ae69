"""Each suite on a good batch and on one bad batch per expectation: exactly which rows, which reason."""

from datetime import UTC, datetime

import pytest

from etl.events import Event
from etl.sources.coingecko import FetchResult, RawQuote
from etl.validate.chain_events import validate_chain_events
from etl.validate.quotes import validate_quotes

T0 = 1_768_000_000


def _event(block: int, event_type: str = "SubtensorModule.StakeAdded", seconds: int | None = None, **payload):
    when = datetime.fromtimestamp(T0 + 12 * block if seconds is None else seconds, UTC)
    return Event("bittensor", "subtensor", block, f"{block}.0", event_type, when, payload or {"tao": "5"})


def _good_chain_batch() -> list[Event]:
    return [_event(b, tao=str(10 * b), netuid=1) for b in range(100, 110)]


def test_good_chain_batch_passes():
    checked = validate_chain_events(_good_chain_batch(), family="bittensor", start=100, end=110)
    assert len(checked.events) == 10 and checked.quarantined == []
    assert checked.record.outcome == "passed" and checked.record.expectations_failed == 0


BAD_CHAIN_ROWS = {
    "block outside the requested range": (
        _event(110, tao="1"),
        "expect_column_values_to_be_between(block_number)",
        "block is outside the requested range (value: 110)",
    ),
    "malformed event type": (
        _event(105, event_type="stake added", tao="1"),
        "expect_column_values_to_match_regex(event_type)",
        "event type is not `Module.Event`",
    ),
    "negative amount": (
        _event(105, tao="-4"),
        "expect_column_values_to_be_between(min_amount)",
        "a token amount is negative (value: -4.0)",
    ),
    "amount as a float": (
        _event(105, tao=1.5),
        "amount_integer",
        "tao = 1.5 is not an integer in base units",
    ),
    "score above u16": (
        _event(105, event_type="SubtensorModule.NeuronObserved", incentive=70000, stake="1"),
        "expect_column_values_to_be_between(max_score)",
        "a score is above the u16 range 0..65535 (value: 70000.0)",
    ),
    "negative score": (
        _event(105, event_type="SubtensorModule.NeuronObserved", trust=-1, stake="1"),
        "expect_column_values_to_be_between(min_score)",
        "a score is negative (value: -1.0)",
    ),
}


@pytest.mark.parametrize("case", BAD_CHAIN_ROWS, ids=list(BAD_CHAIN_ROWS))
def test_bad_chain_row_is_quarantined_with_its_reason(case):
    bad, rule, reason = BAD_CHAIN_ROWS[case]
    checked = validate_chain_events([*_good_chain_batch(), bad], family="bittensor", start=100, end=110)
    assert [q.position for q in checked.quarantined] == [f"{bad.block_number}:{bad.position}"]
    assert checked.quarantined[0].rule == rule
    assert reason in checked.quarantined[0].reason
    assert len(checked.events) == 10
    assert checked.record.rows_quarantined == 1 and checked.record.outcome == "quarantined"


def test_block_time_going_backwards_is_quarantined():
    batch = _good_chain_batch()
    batch[5] = _event(105, seconds=T0, tao="1")  # earlier than block 104
    checked = validate_chain_events(batch, family="bittensor", start=100, end=110)
    assert [q.block_number for q in checked.quarantined] == [105]
    assert checked.quarantined[0].rule == "expect_column_values_to_be_increasing(block_time)"


def _quotes(*rows) -> FetchResult:
    fetched = FetchResult("bittensor", T0, T0 + 10 * 3600)
    fetched.quotes = [RawQuote("bittensor", *row) for row in rows]
    return fetched


GOOD_QUOTES = [((T0 + h * 3600) * 1000, 270.0 + h, 2.9e9, 1e8) for h in range(10)]

BAD_QUOTES = {
    "missing price": ((T0 * 1000 + 1, None, 2.9e9, 1e8), "expect_column_values_to_not_be_null(price_usd)"),
    "missing market cap": (
        (T0 * 1000 + 1, 1.0, None, 1e8),
        "expect_column_values_to_not_be_null(market_cap_usd)",
    ),
    "missing volume": (
        (T0 * 1000 + 1, 1.0, 2.9e9, None),
        "expect_column_values_to_not_be_null(total_volume_usd)",
    ),
    "zero price": ((T0 * 1000 + 1, 0.0, 2.9e9, 1e8), "expect_column_values_to_be_between(price_usd)"),
    "negative market cap": (
        (T0 * 1000 + 1, 1.0, -5.0, 1e8),
        "expect_column_values_to_be_between(market_cap_usd)",
    ),
    "negative volume": (
        (T0 * 1000 + 1, 1.0, 2.9e9, -1.0),
        "expect_column_values_to_be_between(total_volume_usd)",
    ),
    "outside the interval": (((T0 - 3600) * 1000, 1.0, 2.9e9, 1e8), "expect_column_values_to_be_between(ts)"),
    "repeated timestamp": (
        ((T0 + 3600) * 1000, 271.0, 2.9e9, 1e8),
        "expect_column_values_to_be_between(repeat_of_earlier)",
    ),
    "not a number": ((T0 * 1000 + 1, "abc", 2.9e9, 1e8), "parse_number"),
}


def test_good_quotes_pass():
    checked = validate_quotes(_quotes(*GOOD_QUOTES))
    assert len(checked.events) == 10 and checked.quarantined == []
    assert checked.record.outcome == "passed"


@pytest.mark.parametrize("case", BAD_QUOTES, ids=list(BAD_QUOTES))
def test_bad_quote_is_quarantined_with_its_rule(case):
    bad, rule = BAD_QUOTES[case]
    checked = validate_quotes(_quotes(*GOOD_QUOTES, bad))
    assert [q.rule for q in checked.quarantined] == [rule]
    assert checked.quarantined[0].position == f"bittensor@{bad[0]}"
    assert len(checked.events) == 10


def test_a_repeated_event_in_one_batch_is_quarantined_once_and_the_first_kept():
    batch = _good_chain_batch()
    checked = validate_chain_events([*batch, batch[3]], family="bittensor", start=100, end=110)
    assert len(checked.events) == 10
    assert [q.rule for q in checked.quarantined] == ["expect_column_values_to_be_between(repeat_of_earlier)"]
    assert "the same event_id came already" in checked.quarantined[0].reason


def test_event_types_the_product_does_not_model_are_kept_and_counted():
    batch = [*_good_chain_batch(), _event(106, event_type="NewPallet.SomethingHappened", tao="1")]
    checked = validate_chain_events(batch, family="bittensor", start=100, end=110)
    assert len(checked.events) == 11 and checked.quarantined == []
    assert checked.record.details["unknown_event_types"] == {
        "events": 1,
        "types": ["NewPallet.SomethingHappened"],
    }
    assert checked.record.outcome == "passed"
