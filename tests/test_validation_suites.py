"""Each suite on a good batch and on one bad batch per expectation: exactly which rows, which reason."""

from datetime import UTC, datetime

import pytest

from etl.events import Event, FetchResult, RawQuote
from etl.validate.chain_events import chain_suite, validate_chain_events
from etl.validate.gx import ROW_ID, run_suite
from etl.validate.quotes import validate_quote_batches, validate_quotes

T0 = 1_768_000_000
ALICE, BOB = (
    "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
    "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
)


def _stake(tao: object = "5", **changes) -> dict:
    """A spec-343 `StakeAdded` payload (the swap fee last), with `changes` applied."""
    return {"coldkey": ALICE, "hotkey": BOB, "tao": tao, "alpha": "4", "netuid": 1, "fee": "0", **changes}


def _event(
    block: int | None,
    event_type: str | None = "SubtensorModule.StakeAdded",
    seconds: int | None = None,
    **payload,
):
    when = datetime.fromtimestamp(T0 + 12 * (block or 0) if seconds is None else seconds, UTC)
    return Event(
        "bittensor", "subtensor", block, f"{block}.0", event_type, when, payload or _stake(), spec_version=343
    )


def _good_chain_batch() -> list[Event]:
    return [_event(b, **_stake(str(10 * b))) for b in range(100, 110)]


def test_good_chain_batch_passes():
    checked = validate_chain_events(_good_chain_batch(), family="bittensor", start=100, end=110)
    assert len(checked.events) == 10 and checked.quarantined == []
    assert checked.record.outcome == "passed" and checked.record.expectations_failed == 0
    assert checked.record.details == {"events_by_runtime": {"spec 343": 10}}


BAD_CHAIN_ROWS = {
    "missing block number": (
        _event(None),
        "expect_column_values_to_not_be_null(block_number)",
        "block number is missing",
    ),
    "missing event type": (
        _event(105, event_type=None),
        "expect_column_values_to_not_be_null(event_type)",
        "event type is missing",
    ),
    "block outside the requested range": (
        _event(110),
        "expect_column_values_to_be_between(block_number)",
        "block is outside the requested range (value: 110)",
    ),
    "malformed event type": (
        _event(105, event_type="stake added"),
        "expect_column_values_to_match_regex(event_type)",
        "event type is not `Module.Event` (value: 'stake added')",
    ),
    "negative amount": (
        _event(105, **_stake("-4")),
        "expect_column_values_to_be_between(min_amount)",
        "a token amount is negative (value: -4.0)",
    ),
    "amount as a float": (
        _event(105, **_stake(1.5)),
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
    batch[5] = _event(105, seconds=T0)  # earlier than block 104
    checked = validate_chain_events(batch, family="bittensor", start=100, end=110)
    assert [q.position for q in checked.quarantined] == ["105:105.0"]
    assert checked.quarantined[0].rule == "expect_column_values_to_be_increasing(block_time)"
    assert "block time goes backwards" in checked.quarantined[0].reason
    assert [e.block_number for e in checked.events] == [100, 101, 102, 103, 104, 106, 107, 108, 109]


def test_a_row_without_block_time_fails_the_chain_suite():
    """An `Event` cannot be built without a block time, so the suite's own guard is fed a frame."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            ROW_ID: range(4),
            "block_number": [100, 101, 102, 103],
            "block_time": [float(T0), None, float(T0 + 24), float(T0 + 36)],
            "event_type": ["System.ExtrinsicSuccess"] * 4,
            "min_amount": [None] * 4,
            "min_score": [None] * 4,
            "max_score": [None] * 4,
            "repeat_of_earlier": [0] * 4,
            "runtime_event_type": ["spec 343: System.ExtrinsicSuccess"] * 4,
        }
    )
    outcome = run_suite(chain_suite("bittensor"), frame, {"first_block": 100, "last_block": 103})
    assert [(f.row_id, f.rule) for f in outcome.failures] == [
        (1, "expect_column_values_to_not_be_null(block_time)")
    ]


def _quotes(*rows) -> FetchResult:
    fetched = FetchResult("bittensor", T0, T0 + 10 * 3600)
    fetched.quotes = [RawQuote("bittensor", *row) for row in rows]
    return fetched


GOOD_QUOTES = [((T0 + h * 3600) * 1000, 270.0 + h, 2.9e9, 1e8) for h in range(10)]

BAD_QUOTES = {
    "missing price": (
        (T0 * 1000 + 1, None, 2.9e9, 1e8),
        "expect_column_values_to_not_be_null(price_usd)",
        "price is missing (value: None)",
    ),
    "missing market cap": (
        (T0 * 1000 + 1, 1.0, None, 1e8),
        "expect_column_values_to_not_be_null(market_cap_usd)",
        "market cap is missing (value: None)",
    ),
    "missing volume": (
        (T0 * 1000 + 1, 1.0, 2.9e9, None),
        "expect_column_values_to_not_be_null(total_volume_usd)",
        "volume is missing (value: None)",
    ),
    "zero price": (
        (T0 * 1000 + 1, 0.0, 2.9e9, 1e8),
        "expect_column_values_to_be_between(price_usd)",
        "price must be greater than 0 (value: 0.0)",
    ),
    "negative market cap": (
        (T0 * 1000 + 1, 1.0, -5.0, 1e8),
        "expect_column_values_to_be_between(market_cap_usd)",
        "market cap must be greater than 0 (value: -5.0)",
    ),
    "negative volume": (
        (T0 * 1000 + 1, 1.0, 2.9e9, -1.0),
        "expect_column_values_to_be_between(total_volume_usd)",
        "volume must not be negative (value: -1.0)",
    ),
    "outside the interval": (
        ((T0 - 3600) * 1000, 1.0, 2.9e9, 1e8),
        "expect_column_values_to_be_between(ts)",
        f"timestamp is outside the requested interval (value: {T0 - 3600})",
    ),
    "repeated timestamp": (
        ((T0 + 3600) * 1000, 271.0, 2.9e9, 1e8),
        "expect_column_values_to_be_between(repeat_of_earlier)",
        "a quote for this coin and timestamp came already (value: 1)",
    ),
    "not a number": ((T0 * 1000 + 1, "abc", 2.9e9, 1e8), "parse_number", "price 'abc' is not a number"),
}


def test_good_quotes_pass():
    checked = validate_quotes(_quotes(*GOOD_QUOTES))
    assert len(checked.events) == 10 and checked.quarantined == []
    assert checked.record.outcome == "passed" and checked.record.expectations_failed == 0


@pytest.mark.parametrize("case", BAD_QUOTES, ids=list(BAD_QUOTES))
def test_bad_quote_is_quarantined_with_its_rule(case):
    bad, rule, reason = BAD_QUOTES[case]
    checked = validate_quotes(_quotes(*GOOD_QUOTES, bad))
    assert [q.rule for q in checked.quarantined] == [rule]
    assert checked.quarantined[0].position == f"bittensor@{bad[0]}"
    assert reason in checked.quarantined[0].reason
    assert len(checked.events) == 10
    assert checked.record.rows_quarantined == 1 and checked.record.expectations_failed == 1


def test_a_window_of_both_coins_is_validated_in_one_run_and_judged_per_coin():
    bittensor = _quotes(*GOOD_QUOTES)
    sahara = FetchResult("sahara-ai", T0, T0 + 10 * 3600)
    sahara.quotes = [RawQuote("sahara-ai", ts, price / 10_000, 7.1e7, 2e6) for ts, price, _, _ in GOOD_QUOTES]
    sahara.quotes[4] = RawQuote("sahara-ai", sahara.quotes[4].ts_ms, -0.02, 7.1e7, 2e6)
    # The same timestamps in both coins are no repeat: a repeat is per coin.
    first, second = validate_quote_batches([bittensor, sahara])
    assert len(first.events) == 10 and first.quarantined == [] and first.record.outcome == "passed"
    assert first.record.expectations_failed == 0 and first.record.rows_validated == 10
    assert [q.position for q in second.quarantined] == [f"sahara-ai@{(T0 + 4 * 3600) * 1000}"]
    assert "price must be greater than 0 (value: -0.02)" in second.quarantined[0].reason
    assert second.record.outcome == "quarantined" and second.record.expectations_failed == 1
    assert {e.payload["coin_id"] for e in second.events} == {"sahara-ai"} and len(second.events) == 9
    run = first.record.details["gx_run"]
    assert run == second.record.details["gx_run"] and run["batches"] == 2 and run["rows_validated"] == 20


def test_batches_of_different_intervals_are_each_checked_against_their_own():
    early = _quotes(*GOOD_QUOTES)
    late = FetchResult("bittensor", T0 + 10 * 3600, T0 + 20 * 3600)
    late.quotes = [RawQuote("bittensor", (T0 + h * 3600) * 1000, 1.0, 2.9e9, 1e8) for h in range(9, 20)]
    first, second = validate_quote_batches([early, late])
    assert first.quarantined == []
    # Hour 9 belongs to the early interval: outside the late one (and not a repeat across intervals).
    assert [(q.position, q.rule) for q in second.quarantined] == [
        (f"bittensor@{(T0 + 9 * 3600) * 1000}", "expect_column_values_to_be_between(ts)")
    ]


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
    assert checked.record.details["unknown_event_types_by_runtime"] == {
        "spec 343": {"events": 1, "types": {"NewPallet.SomethingHappened": 1}}
    }
    assert checked.record.outcome == "passed"


def test_an_unknown_family_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown event family 'bitensor'; expected one of bittensor"):
        validate_chain_events(_good_chain_batch(), family="bitensor", start=100, end=110)
