"""Bittensor stake flows (`bittensor_stake_flows_daily`), on DuckDB and PostgreSQL.

- Devnet blocks across a UTC midnight, ingested in two runs: every subnet's day equals the stake
  operations the devnet's own ledger recorded as it applied them (served on its control endpoint);
  a rebuild gives the same rows, and ingesting the same blocks again changes nothing.
- A hand-built history with the events the devnet never emits (StakeMoved, StakeTransferred,
  StakeSwapped, a root stake), every expected figure worked out by hand below.
- The decoder names the move events' fields, the suite quarantines a stake event the mart could not
  read, and the dashboard panel draws the flows per subnet, one subnet when one is chosen, partial
  days hatched.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from etl.events import Event
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all
from warehouse.provenance import events_behind
from warehouse.store import append_batch

RAO = 10**9
TABLES = ("stg_bittensor_stake_events", "bittensor_stake_day_coldkeys", "bittensor_stake_flows_daily")
#: Two runs of devnet blocks across 2026-01-15 00:00 UTC (block 324,000), below the finalized head.
WINDOWS = ((323_600, 324_000), (324_000, 324_400))
FLOW_COLUMNS = (
    "added_count, added_tao, added_alpha, removed_count, removed_tao, removed_alpha, moved_in_count, "
    "moved_in_tao, moved_out_count, moved_out_tao, net_flow_tao, net_staked_alpha, coldkeys"
)
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bittensor" / "subtensor_spec343_metadata_v14.hex"


def _rows(engine, sql: str, params: dict | None = None) -> list:
    with db.connect(engine) as conn:
        return conn.execute(sa.text(sql), params or {}).all()


def _flows(engine) -> dict:
    """{(netuid, day): (complete, the FLOW_COLUMNS with amounts in base units)}."""
    out = {}
    for row in _rows(
        engine, f"SELECT netuid, day, complete, {FLOW_COLUMNS} FROM bittensor_stake_flows_daily"
    ):
        netuid, day, complete, *values = row
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        out[(netuid, day)] = (
            complete,
            tuple(int(v * RAO) if isinstance(v, Decimal) else int(v) for v in values),
        )
    return out


def _checksums(engine) -> dict:
    return {t: table_checksum(engine, t) for t in TABLES}


# ------------------------------------------------------------------------------ against the devnet
def _ingest(devnet, url: str, window: tuple[int, int]) -> dict:
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        return ingest_range(source, *window, warehouse_url=url)


def _ledger_flows(devnet) -> dict:
    """The devnet's record of the two windows, per (netuid, day), in the mart's terms: from the stake
    operations it wrote down as it applied them (served with amounts as integer strings)."""
    answer = httpx.get(
        devnet.endpoints["control"] + "/subtensor/ledger",
        params={"start_block": WINDOWS[0][0], "end_block": WINDOWS[-1][1] - 1},
        timeout=120,
    )
    answer.raise_for_status()
    record = answer.json()
    days = [
        (d["first_block"], d["last_block"], date.fromisoformat(d["day"]), d["complete"])
        for d in record["days"]
    ]
    sums: dict = defaultdict(lambda: {"added": [0, 0, 0], "removed": [0, 0, 0], "coldkeys": set()})
    complete = {}
    for op in record["stake_operations"]:
        ((day, whole),) = [(d, c) for first, last, d, c in days if first <= op["block"] <= last]
        complete[(op["netuid"], day)] = whole
        entry = sums[(op["netuid"], day)]
        side = entry["added" if op["operation"] == "add_stake" else "removed"]
        side[0] += 1
        side[1] += int(op["tao"])
        side[2] += int(op["alpha"])
        entry["coldkeys"].add(op["coldkey"])
    return {
        key: (
            complete[key],
            (
                *e["added"],
                *e["removed"],
                0,
                0,
                0,
                0,
                e["added"][1] - e["removed"][1],
                e["added"][2] - e["removed"][2],
                len(e["coldkeys"]),
            ),
        )  # fmt: skip
        for key, e in sums.items()
    }


def test_flows_equal_the_devnet_ledger_and_a_rebuild_and_a_second_ingest_change_nothing(
    devnet, warehouse_url
):
    engine = db.make_engine(warehouse_url)
    try:
        for window in WINDOWS:
            assert _ingest(devnet, warehouse_url, window)["rows_quarantined"] == 0
            run_all(engine, ["chain_days", "bittensor_stake_flows"])
        expected = _ledger_flows(devnet)
        assert len(expected) >= 8 and {day for _n, day in expected} == {date(2026, 1, 14), date(2026, 1, 15)}
        assert any(values[3] for _c, values in expected.values())  # stake was removed, too
        assert _flows(engine) == expected
        # The flag is the chain day's: neither day is stored whole.
        assert {c for c, _v in _flows(engine).values()} == {False}

        incremental = _checksums(engine)
        rebuilt = rebuild(engine, ["bittensor_stake_flows"])[0]
        assert rebuilt["full"] and _checksums(engine) == incremental

        for window in WINDOWS:
            assert _ingest(devnet, warehouse_url, window)["rows_new"] == 0
        run_all(engine)
        assert _checksums(engine) == incremental
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ a hand-built history
DAY1, DAY2 = date(2026, 1, 10), date(2026, 1, 11)
CK1, CK2, CK3, CK4 = "5Ck1", "5Ck2", "5Ck3", "5Ck4"


def _at(day: date, block: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=12 * (block % 7200))


def _stake(block: int, day: date, name: str, spec: int = 343, **payload) -> Event:
    return Event(
        "bittensor", "subtensor", block, "1.0", f"SubtensorModule.{name}", _at(day, block), payload,
        spec_version=spec,
    )  # fmt: skip


def _added(block, day, coldkey, hotkey, tao, alpha, netuid, name="StakeAdded", **extra):
    return _stake(block, day, name, coldkey=coldkey, hotkey=hotkey, tao=str(tao), alpha=str(alpha),
                  netuid=netuid, **extra)  # fmt: skip


#: Day 1 on subnets 1-3, then a root stake on day 2. Amounts in base units (1e9 per TAO or alpha).
FIRST_RUN = [
    _added(100, DAY1, CK1, "5HkA", 10 * RAO, 40 * RAO, 1, fee="5000000"),
    _added(101, DAY1, CK2, "5HkA", 25 * RAO // 10, 95 * RAO // 10, 1, spec=342),  # before the fee
    _added(102, DAY1, CK1, "5HkA", RAO, 41 * RAO // 10, 1, name="StakeRemoved", fee="2000000"),
]
SECOND_RUN = [
    # ck1 moves 3 TAO of stake from hkA on subnet 1 to hkB on subnet 2.
    _stake(103, DAY1, "StakeMoved", coldkey=CK1, origin_hotkey="5HkA", origin_netuid=1,
           destination_hotkey="5HkB", destination_netuid=2, tao=str(3 * RAO)),
    # ck2 gives 0.5 TAO of stake on subnet 1 to ck3: out of and into subnet 1.
    _stake(104, DAY1, "StakeTransferred", origin_coldkey=CK2, destination_coldkey=CK3, hotkey="5HkA",
           origin_netuid=1, destination_netuid=1, tao=str(RAO // 2)),
    # ck3 swaps 1.25 TAO of stake from subnet 2 to subnet 3.
    _stake(105, DAY1, "StakeSwapped", coldkey=CK3, hotkey="5HkB", origin_netuid=2, destination_netuid=3,
           tao=str(125 * RAO // 100)),
    # Root is staked in TAO: the chain states the same amount as alpha.
    _added(7300, DAY2, CK4, "5HkR", 7 * RAO, 7 * RAO, 0, fee="3500000"),
]  # fmt: skip

#: Worked out by hand: (added n, TAO, alpha, removed n, TAO, alpha, moved in n, TAO, moved out n, TAO,
#: net flow TAO, net staked alpha, coldkeys), amounts in base units.
EXPECTED = {
    # +10 +2.5 TAO added, -1 removed, +0.5 in (the transfer), -3 -0.5 out: 8.5; alpha 40 + 9.5 - 4.1.
    (1, DAY1): (2, 125 * RAO // 10, 495 * RAO // 10, 1, RAO, 41 * RAO // 10, 1, RAO // 2, 2, 35 * RAO // 10,
                85 * RAO // 10, 454 * RAO // 10, 3),
    # 3 TAO in from subnet 1, 1.25 out to subnet 3; ck1 and ck3.
    (2, DAY1): (0, 0, 0, 0, 0, 0, 1, 3 * RAO, 1, 125 * RAO // 100, 175 * RAO // 100, 0, 2),
    (3, DAY1): (0, 0, 0, 0, 0, 0, 1, 125 * RAO // 100, 0, 0, 125 * RAO // 100, 0, 1),
    (0, DAY2): (1, 7 * RAO, 7 * RAO, 0, 0, 0, 0, 0, 0, 0, 7 * RAO, 7 * RAO, 1),
}  # fmt: skip


def _append(engine, events: list[Event]) -> None:
    blocks = [e.block_number for e in events]
    append_batch(
        engine, source="subtensor", stream="test-subtensor", range_unit="block", range_start=min(blocks),
        range_end=max(blocks) + 1, events=events,
    )  # fmt: skip


def _chain_day(engine, day: date, complete: bool) -> None:
    """What the completeness projection would say of the day (set by hand: this history has no blocks)."""
    with db.begin(engine) as conn:
        conn.execute(sa.text("DELETE FROM chain_days WHERE chain = 'bittensor' AND day = :d"), {"d": day})
        conn.execute(
            sa.text(
                "INSERT INTO chain_days (chain, day, complete, first_block, last_block, blocks_stored) "
                "VALUES ('bittensor', :d, :c, 0, 7199, 7200)"
            ),
            {"d": day, "c": complete},
        )


@pytest.fixture()
def hand_built(warehouse_url):
    engine = db.make_engine(warehouse_url)
    _chain_day(engine, DAY1, False)
    _append(engine, FIRST_RUN)
    run_all(engine, ["bittensor_stake_flows"])
    yield engine
    engine.dispose()


def test_moves_transfers_swaps_and_root_fold_to_the_figures_worked_out_by_hand(hand_built):
    engine = hand_built
    # After the first run, subnet 1 has seen ck1 and ck2.
    assert _flows(engine) == {
        (1, DAY1): (False, (2, 125 * RAO // 10, 495 * RAO // 10, 1, RAO, 41 * RAO // 10, 0, 0, 0, 0,
                            115 * RAO // 10, 454 * RAO // 10, 2)),
    }  # fmt: skip
    _append(engine, SECOND_RUN)
    run_all(engine, ["bittensor_stake_flows"])
    assert _flows(engine) == {key: (False, values) for key, values in EXPECTED.items()}
    assert _rows(
        engine, "SELECT first_block, last_block FROM bittensor_stake_flows_daily WHERE netuid = 1"
    ) == [(100, 104)]
    # Staging keeps the fee as the event carries it, and none before spec 343.
    fees = dict(_rows(engine, "SELECT block_number, fee_base_units FROM stg_bittensor_stake_events"))
    assert fees[100] == 5_000_000 and fees[101] is None and fees[103] is None

    # The day is stored whole later: the flag follows without a new stake event; day 2 stays partial.
    _chain_day(engine, DAY1, True)
    run_all(engine, ["bittensor_stake_flows"])
    assert {key: complete for key, (complete, _v) in _flows(engine).items()} == {
        (1, DAY1): True, (2, DAY1): True, (3, DAY1): True, (0, DAY2): False,
    }  # fmt: skip

    incremental = _checksums(engine)
    rebuild(engine, ["bittensor_stake_flows"])
    assert _checksums(engine) == incremental


def test_a_subnet_day_traces_to_the_stake_events_with_a_leg_on_it(hand_built):
    _append(hand_built, SECOND_RUN)
    run_all(hand_built, ["bittensor_stake_flows"])
    behind = events_behind(hand_built, "bittensor_stake_flows_daily", {"netuid": 2, "day": DAY1})
    assert list(behind.event_type) == ["SubtensorModule.StakeMoved", "SubtensorModule.StakeSwapped"]
    behind = events_behind(hand_built, "bittensor_stake_flows_daily", {"netuid": 1, "day": DAY1})
    assert list(behind.block_number) == [100, 101, 102, 103, 104]


# ------------------------------------------------------------------------------ decoding and the suite
def test_the_move_events_of_the_real_runtime_decode_with_named_fields():
    from devnet.subtensor.metadata import decode_metadata
    from etl.sources.subtensor import decode_capture_events
    from etl.sources.subtensor_codec import ss58_encode

    metadata_hex = FIXTURE.read_text().strip()
    real, codec = decode_metadata(metadata_hex)
    pallets = {p["name"]: p for p in real.value[1]["V14"]["pallets"]}
    events_ty = next(e for e in pallets["System"]["storage"]["entries"] if e["name"] == "Events")["type"][
        "Plain"
    ]
    a, b, c = ("0x" + byte * 32 for byte in ("11", "22", "33"))
    records = [
        {"phase": {"ApplyExtrinsic": 1}, "topics": [],
         "event": {"SubtensorModule": {"StakeMoved": (a, b, 3, c, 5, 7 * RAO)}}},
        {"phase": {"ApplyExtrinsic": 2}, "topics": [],
         "event": {"SubtensorModule": {"StakeTransferred": (a, b, c, 3, 3, 2 * RAO)}}},
        {"phase": {"ApplyExtrinsic": 3}, "topics": [],
         "event": {"SubtensorModule": {"StakeSwapped": (a, b, 3, 4, 9 * 10**15)}}},
    ]  # fmt: skip
    raw = codec.create_scale_object(f"scale_info::{events_ty}", metadata=real).encode(records)
    capture = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + bytes(raw.data).hex()})
    payloads = [r["payload"] for r in decode_capture_events(capture, metadata=metadata_hex, block=4_000_000)]
    sa_, sb, sc = (ss58_encode(bytes.fromhex(x[2:])) for x in (a, b, c))
    assert payloads == [
        {"coldkey": sa_, "origin_hotkey": sb, "origin_netuid": 3, "destination_hotkey": sc,
         "destination_netuid": 5, "tao": str(7 * RAO)},
        {"origin_coldkey": sa_, "destination_coldkey": sb, "hotkey": sc, "origin_netuid": 3,
         "destination_netuid": 3, "tao": str(2 * RAO)},
        # Amounts are integer strings, even past 2^53.
        {"coldkey": sa_, "hotkey": sb, "origin_netuid": 3, "destination_netuid": 4, "tao": str(9 * 10**15)},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"netuid": "one"}, "netuid = 'one' is not a subnet id (an integer 0..65535)"),
        ({"netuid": 70_000}, "netuid = 70000 is not a subnet id"),
        ({"coldkey": None}, "coldkey = None is not an account"),
        ({"tao": None}, "tao is missing"),
    ],
)
def test_a_stake_event_the_mart_cannot_read_is_quarantined_with_its_reason(payload, reason):
    from etl.validate.chain_events import validate_chain_events

    good = [_added(100 + k, DAY1, CK1, "5HkA", RAO, RAO, 1, fee="0") for k in range(3)]
    bad = _added(103, DAY1, CK1, "5HkA", RAO, RAO, 1, fee="0")
    bad = Event(bad.chain, bad.source, bad.block_number, bad.position, bad.event_type, bad.block_time,
                {**bad.payload, **payload}, spec_version=343)  # fmt: skip
    checked = validate_chain_events([*good, bad], family="bittensor", start=100, end=110)
    assert [q.block_number for q in checked.quarantined] == [103] and len(checked.events) == 3
    assert checked.quarantined[0].rule == "stake_fields" and reason in checked.quarantined[0].reason
    assert checked.record.details["stake_fields"] == 1 and checked.record.outcome == "quarantined"


# ------------------------------------------------------------------------------ the dashboard panel
def test_the_panel_draws_each_subnets_net_flow_and_one_subnet_when_chosen(hand_built, warehouse_url):
    from dashboards import charts
    from dashboards.pages import bittensor
    from dashboards.state import View

    _append(hand_built, SECOND_RUN)
    _chain_day(hand_built, DAY1, True)
    run_all(hand_built, ["bittensor_stake_flows"])
    chart = bittensor.PANEL["stake-flow-chart"]
    # Two days are drawn an hour a bar (every event falls in 00:00-01:00 of its day), four a day a bar:
    # the same sums either way.
    for view, period, shown in (
        (View(DAY1, DAY2, None), "hour", "%Y-%m-%d %H:%M"),
        (View(DAY1 - timedelta(days=1), DAY2 + timedelta(days=1), None), "day", "%Y-%m-%d"),
    ):
        figure = charts.render(chart, warehouse_url, view)
        assert figure.layout.title.text == f"Net stake flow per {period} (TAO)"
        drawn = {
            trace.name: {pd.Timestamp(x).strftime(shown): y for x, y in zip(trace.x, trace.y, strict=True)}
            for trace in figure.data
        }
        at = "{} 00:00" if period == "hour" else "{}"
        assert drawn == {
            "subnet 0": {at.format("2026-01-11"): 7.0},
            "subnet 1": {at.format("2026-01-10"): 8.5},
            "subnet 2": {at.format("2026-01-10"): 1.75},
            "subnet 3": {at.format("2026-01-10"): 1.25},
        }
        # Day 2 is partial, and so is its hour: hatched, and marked above the chart.
        assert list(figure.data[0].marker.pattern.shape) == ["/"]
        assert list(figure.data[1].marker.pattern.shape) == [""]
        assert [str(a.x)[:10] for a in figure.layout.annotations if a.text == "partial"] == ["2026-01-11"]

    one = charts.render(chart, warehouse_url, View(DAY1, DAY2, None, netuid=2))
    assert [t.name for t in one.data] == ["subnet 2"] and "subnet 2" in one.layout.title.text
    (table,) = [charts.render(bittensor.PANEL["stake-flow-table"], warehouse_url, View(DAY1, DAY2, None))]
    # Each subnet's cell links to its page: "[1](/bittensor/subnet/1)" shows 1.
    assert [(r["netuid"], r["added_count"], r["coldkeys"]) for r in table.data] == [
        (f"[{n}](/bittensor/subnet/{n})", added, coldkeys) for n, added, coldkeys in ((1, 2, 3), (2, 0, 2), (3, 0, 1), (0, 1, 1))
    ]  # fmt: skip

    # The CSV holds the table's rows: each subnet's alpha stays on its own row.
    frame = charts.csv_frame(bittensor.PANEL["stake-flow-table"].data(warehouse_url, View(DAY1, DAY2, None)))
    rows = {(r["netuid"], r["day"]): r for r in frame.to_dict("records")}
    assert rows[(1, "2026-01-10T00:00:00")]["net_staked_alpha"] == pytest.approx(45.4, abs=1e-9)
    assert rows[(2, "2026-01-10T00:00:00")]["moved_in_tao"] == 3.0

    # A clicked bar lists the events behind it: of its day, or of its hour.
    for start, end in (
        ("2026-01-10T00:00:00", "2026-01-11T00:00:00"),
        ("2026-01-10T00:00:00", "2026-01-10T01:00:00"),
    ):
        found = chart.drill(warehouse_url, View(DAY1, DAY2, None), {"customdata": [start, end, "3"]})
        assert list(found.events["event_type"]) == ["SubtensorModule.StakeSwapped"]
    later = chart.drill(
        warehouse_url,
        View(DAY1, DAY2, None),
        {"customdata": ["2026-01-10T01:00:00", "2026-01-10T02:00:00", "3"]},
    )
    assert (
        later.events.empty
        and later.title == "Stake added, removed and moved in subnet 3 2026-01-10 01:00–02:00 UTC"
    )
