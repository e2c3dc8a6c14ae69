"""Charts fit their range: hourly points under three days of data, daily points above; every point sums
real events (no zero-filled hours); an hour is partial unless every block of it is stored.

The hourly figures are checked on a small hand-built warehouse on DuckDB and PostgreSQL, against
values worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboards import series
from dashboards.state import View
from warehouse import db

DAY = date(2026, 1, 14)
RAO, USAH = 10**9, 10**18


def _at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, 14, hour, minute, second)


def _insert(url: str, table: str, rows: list[dict]) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.table(table, *[sa.column(c) for c in rows[0]]).insert(), rows)
    finally:
        engine.dispose()


def _neuron(i: int, netuid: int, hotkey: str, emission: int, at: datetime, block: int) -> dict:
    return {"event_id": f"n{i}", "seq": i, "block_number": block, "block_time": at, "netuid": netuid, "uid": i,
            "hotkey": hotkey, "emission_rao": emission}  # fmt: skip


def _sahara(i: int, kind: str, contributor: str, at: datetime, amount: int | None = None) -> dict:
    return {"event_id": f"s{i}", "seq": 100 + i, "kind": kind, "contributor": contributor, "amount_usah": amount,
            "block_number": 500 + i, "log_index": 0, "block_time": at}  # fmt: skip


def _quote(table: str, at: datetime, price: float, **extra) -> dict:
    key = "day" if table == "market_caps_daily" else "hour"
    return {"coin_id": "sahara-ai", key: at, "price_usd": price, "market_cap_usd": price * 1e9,
            "total_volume_usd": 1.0, "observed_at": at, "quotes": 1, "event_id": f"q{at:%H}{table[-1]}", **extra}  # fmt: skip


@pytest.fixture()
def hand_built(warehouse_url):
    """Hours 10:00 and 11:00 of 2026-01-14 on both chains, and what is stored of the day's blocks."""
    url = warehouse_url
    _insert(url, "stg_bittensor_neurons", [
        # 10:00, block 3000: h1 earns 2 alpha of subnet 1 at 0.25 TAO per alpha (0.5 TAO), h2 nothing,
        # root's r 1 TAO (root's stake is TAO).
        _neuron(1, 1, "h1", 2 * RAO, _at(10, 12), 3000),
        _neuron(2, 1, "h2", 0, _at(10, 12), 3000),
        _neuron(3, 0, "r", RAO, _at(10, 30), 3150),
        # 11:00: h1 again, 4 alpha at the same price (1 TAO).
        _neuron(4, 1, "h1", 4 * RAO, _at(11, 24), 3360),
    ])  # fmt: skip
    _insert(url, "bittensor_epoch_prices", [
        {"netuid": 1, "block_number": 3000, "subnet_tao_rao": RAO, "subnet_alpha_in_rao": 4 * RAO},
        {"netuid": 1, "block_number": 3360, "subnet_tao_rao": RAO, "subnet_alpha_in_rao": 4 * RAO},
    ])  # fmt: skip
    _insert(url, "stg_sahara_annotation_events", [
        # 10:00: A and B submit, B is paid 3 SAHARA and C 1 SAHARA; 11:00: A is paid 2 SAHARA.
        _sahara(1, "submitted", "A", _at(10, 5)),
        _sahara(2, "submitted", "B", _at(10, 6)),
        _sahara(3, "paid", "B", _at(10, 7), 3 * USAH),
        _sahara(4, "paid", "C", _at(10, 50), USAH),
        _sahara(5, "paid", "A", _at(11, 1), 2 * USAH),
        _sahara(6, "reviewed", "A", _at(11, 2)),  # a review makes no participant
    ])  # fmt: skip
    # SAHARA at $0.02 in the 10:00 hour; no quote at 11:00, so the day's close ($0.03) prices it.
    _insert(url, "market_caps", [_quote("market_caps", _at(10), 0.02)])
    _insert(url, "market_caps_daily", [_quote("market_caps_daily", _at(0), 0.03, complete=False)])
    # Bittensor stored blocks 3000 (10:00:00) to 3299 (10:59:48) of the day, and knows the blocks either
    # side (09:59:48, 11:00:00): the 10:00 hour is whole, 11:00 is not. Sahara's day is complete.
    _insert(url, "chain_blocks", [
        {"source": "subtensor", "stream": "s", "block_number": n, "block_hash": f"0x{n}", "block_time": t,
         "event_count": 1, "batch_id": "b"}
        for n, t in ((3000, _at(10)), (3299, _at(10, 59, 48)))
    ])  # fmt: skip
    _insert(url, "chain_source_days", [
        {"source": "subtensor", "stream": "s", "day": DAY, "chain": "bittensor", "first_block": 3000,
         "last_block": 3299, "blocks_stored": 300, "previous_block_time": _at(9, 59, 48),
         "next_block_time": _at(11), "complete": False},
    ])  # fmt: skip
    _insert(url, "chain_days", [
        {"chain": "bittensor", "day": DAY, "complete": False, "first_block": 3000, "last_block": 3299,
         "blocks_stored": 300},
        {"chain": "sahara", "day": DAY, "complete": True, "first_block": 1, "last_block": 9, "blocks_stored": 9},
    ])  # fmt: skip
    return url


def test_the_comparison_per_hour_is_worked_out_from_each_hours_members(hand_built):
    frame = series.comparison_per_hour(hand_built, "sahara", _at(0), datetime(2026, 1, 15))
    rows = frame.set_index("hour")
    assert list(rows.index) == [pd.Timestamp(_at(10)), pd.Timestamp(_at(11))]  # no empty hour added
    ten, eleven = rows.loc[pd.Timestamp(_at(10))], rows.loc[pd.Timestamp(_at(11))]
    # 10:00: A, B and C take part, B and C earn; 4 SAHARA, the top 10% of 3 is one participant (B, 3).
    assert (ten["participants"], ten["participants_earning"]) == (3, 2)
    assert ten["share_earning"] == pytest.approx(2 / 3)
    assert ten["rewards_native"] == pytest.approx(4.0) and ten["top10_share"] == pytest.approx(0.75)
    assert ten["rewards_usd"] == pytest.approx(0.08) and ten["rewards_per_participant_usd"] == pytest.approx(
        0.08 / 3
    )
    # 11:00: A alone, paid 2 SAHARA at the day's close.
    assert (eleven["participants"], eleven["top10_share"]) == (1, 1.0)
    assert eleven["rewards_usd"] == pytest.approx(0.06)
    assert ten["complete"] and eleven["complete"]  # the day is complete

    bittensor = series.comparison_per_hour(hand_built, "bittensor", _at(0), datetime(2026, 1, 15)).set_index(
        "hour"
    )
    ten, eleven = bittensor.loc[pd.Timestamp(_at(10))], bittensor.loc[pd.Timestamp(_at(11))]
    # 10:00: h1 0.5 TAO, h2 nothing, root's r 1 TAO: 1.5 TAO, the top one (r) holds 2/3 of it.
    assert (ten["participants"], ten["participants_earning"]) == (3, 2)
    assert ten["rewards_native"] == pytest.approx(1.5) and ten["top10_share"] == pytest.approx(2 / 3)
    assert (eleven["participants"], eleven["rewards_native"]) == (1, pytest.approx(1.0))
    # Blocks 10:00:00 to 10:59:48 are stored, the next one is at 11:00: 10:00 is whole, 11:00 is not.
    assert (bool(ten["complete"]), bool(eleven["complete"])) == (True, False)


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        # A month of range, but the chain's stored blocks cover one hour: drawn per hour.
        (date(2025, 12, 16), date(2026, 1, 14), "hour"),
        # Nothing stored in the range: the range decides; two days are per hour, three per day.
        (date(2026, 2, 1), date(2026, 2, 2), "hour"),
        (date(2026, 2, 1), date(2026, 2, 3), "day"),
    ],
)
def test_the_grain_follows_the_range_clipped_to_the_stored_data(hand_built, start, end, grain):
    assert series.chart_grain(hand_built, View(start, end, None), ("bittensor",)) == grain


def test_the_participants_chart_counts_each_hour_of_a_short_range(hand_built):
    from dashboards.pages import overview

    frame = overview.participants_frame(hand_built, View(date(2025, 12, 16), date(2026, 1, 14), None))
    drawn = {(r.chain, f"{r.hour:%H:%M}"): (r.participants, bool(r.complete)) for r in frame.itertuples()}
    assert drawn == {
        ("bittensor", "10:00"): (3, True), ("bittensor", "11:00"): (1, False),
        ("sahara", "10:00"): (3, True), ("sahara", "11:00"): (1, True),
    }  # fmt: skip
    figure = overview.participants_figure(frame, View(date(2025, 12, 16), date(2026, 1, 14), None))
    assert figure.layout.title.text == "Participants per hour, rebased to 100 on 2026-01-14"
    partial = [t for t in figure.data if t.name == "Bittensor miners (partial hour)"]
    assert [list(t.text) for t in partial] == [["", "partial"]]
