from datetime import UTC, datetime

import pytest

from etl.events import Event, make_event_id, payload_json, to_base_units

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_event_id_is_deterministic_and_content_addressed():
    a = Event("bittensor", "subtensor", 100, "2.1", "SubtensorModule.StakeAdded", T0, {"tao": "5"})
    b = Event("bittensor", "subtensor", 100, "2.1", "SubtensorModule.StakeAdded", T0, {"tao": "5"})
    other = Event("bittensor", "subtensor", 100, "2.2", "SubtensorModule.StakeAdded", T0, {"tao": "5"})
    assert a.event_id == b.event_id == make_event_id("bittensor", 100, "2.1", "SubtensorModule.StakeAdded")
    assert a.event_id != other.event_id


def test_event_refuses_ids_that_do_not_match_content_and_unknown_chains():
    with pytest.raises(ValueError, match="does not match"):
        Event("market", "coingecko", 1, "bittensor", "market.Quote", T0, {}, event_id="0" * 32)
    with pytest.raises(ValueError, match="unknown chain"):
        Event("ethereum", "evm", 1, "0", "x", T0, {})
    with pytest.raises(ValueError, match="timezone-aware"):
        Event("market", "coingecko", 1, "bittensor", "market.Quote", datetime(2026, 1, 1), {})


def test_token_amounts_are_integer_strings_in_base_units():
    assert to_base_units(10**27) == "1000000000000000000000000000"
    assert to_base_units("42") == "42"
    with pytest.raises(ValueError, match="not a float"):
        to_base_units(1.5)
    with pytest.raises(ValueError, match="fractional"):
        to_base_units("1.5")
    with pytest.raises(ValueError, match="negative"):
        to_base_units(-1)


def test_payload_json_is_canonical():
    assert payload_json({"b": 1, "a": "2"}) == '{"a":"2","b":1}'
    row = Event("market", "coingecko", 5, "bittensor", "market.Quote", T0, {"price_usd": "1.5"}).as_row()
    assert row["block_time"] == datetime(2026, 1, 1)  # naive UTC in the store
