import hashlib
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


def test_a_block_factory_gives_the_same_event_as_the_constructor():
    make = Event.block_factory("bittensor", "subtensor", 100, T0, "0x" + "ab" * 32, 343)
    fast = make("2.1", "SubtensorModule.StakeAdded", {"tao": "5"})
    checked = Event(
        "bittensor",
        "subtensor",
        100,
        "2.1",
        "SubtensorModule.StakeAdded",
        T0,
        {"tao": "5"},
        "0x" + "ab" * 32,
        343,
    )
    assert fast == checked and vars(fast) == vars(checked) and type(fast) is Event
    # The id is the one of the key written out in full, worked out here without the library's helper.

    key = b"bittensor\x1f100\x1f2.1\x1fSubtensorModule.StakeAdded"
    assert fast.event_id == hashlib.sha256(key).hexdigest()[:32]
    # Another event of the same block keeps its own id, and the event stays frozen.
    other = make("2.2", "SubtensorModule.StakeAdded", {"tao": "5"})
    assert (
        other.event_id
        == make_event_id("bittensor", 100, "2.2", "SubtensorModule.StakeAdded")
        != fast.event_id
    )
    with pytest.raises(AttributeError):
        fast.position = "9.9"  # type: ignore[misc]
    stamped = fast.with_batch("run-1", T0)
    assert stamped.event_id == fast.event_id and stamped.batch_id == "run-1"
    assert fast.as_row()["event_id"] == checked.as_row()["event_id"]


def test_a_block_factory_refuses_what_the_constructor_refuses():
    with pytest.raises(ValueError, match="unknown chain"):
        Event.block_factory("ethereum", "subtensor", 1, T0)
    with pytest.raises(ValueError, match="unknown source"):
        Event.block_factory("bittensor", "substrate", 1, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        Event.block_factory("bittensor", "subtensor", 1, datetime(2026, 1, 1))
    # The checked constructor still checks every event.
    with pytest.raises(ValueError, match="unknown source"):
        Event("bittensor", "substrate", 1, "0.0", "System.ExtrinsicSuccess", T0, {})
