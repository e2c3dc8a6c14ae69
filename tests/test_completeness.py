"""Complete days: `chain_days` and `market_caps_daily.complete`, on DuckDB and PostgreSQL.

Sahara: a devnet whose genesis is ten minutes before a UTC midnight, so its first day holds 120
blocks of 5 s (heights 1-120, block 121 opens the next day) and can be ingested whole with the
production connectors. Bittensor-like: 12 s blocks, 7,200 a day, written through the store's own
batch API with the boundary times the pipeline records, worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from etl.events import BlockRef, Event
from etl.pipeline.chain import ingest_range
from etl.sources.cometbft import CometBFTSource
from etl.sources.evm import EvmSource
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all
from warehouse.store import append_batch

GENESIS = datetime(2025, 6, 25, 23, 50, tzinfo=UTC)
FIRST_DAY = date(2025, 6, 25)  # heights 1-120
NEXT_DAY = date(2025, 6, 26)  # from height 121
TABLES = ("chain_days", "chain_source_days")


@pytest.fixture(scope="module")
def midnight_devnet():
    from devnet.server import DevnetServer

    genesis = int(GENESIS.timestamp())
    with DevnetServer(
        seed=7, now=genesis + 3600, rate_limit_per_minute=0, sahara={"genesis_time": genesis}
    ) as server:
        comet = CometBFTSource(server.endpoints["cometbft"])
        evm = EvmSource(server.endpoints["evm"])
        yield {"cometbft": comet, "evm": evm}
        comet.close()
        evm.close()


def _ingest(url: str, sources: dict, ranges: list[tuple[str, int, int]]) -> None:
    for name, start, end in ranges:
        ingest_range(sources[name], start, end, warehouse_url=url)
    engine = db.make_engine(url)
    run_all(engine, ["chain_days"])
    engine.dispose()


def _days(url: str, chain: str) -> dict[date, tuple]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT day, complete, first_block, last_block, blocks_stored FROM chain_days "
                "WHERE chain = :c ORDER BY day"
            ),
            {"c": chain},
        ).all()
    engine.dispose()
    return {_as_date(r[0]): tuple(r[1:]) for r in rows}


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _rebuilt_equals_incremental(url: str) -> None:
    engine = db.make_engine(url)
    incremental = {t: table_checksum(engine, t) for t in TABLES}
    rebuild(engine, ["chain_days"])
    assert {t: table_checksum(engine, t) for t in TABLES} == incremental
    engine.dispose()


def test_a_sahara_day_ingested_whole_is_complete(warehouse_url, midnight_devnet):
    # The devnet's first day: heights 1-120 (10 minutes of 5 s blocks), block 121 at midnight.
    assert midnight_devnet["cometbft"].block_time(120) < int(datetime(2025, 6, 26, tzinfo=UTC).timestamp())
    assert midnight_devnet["cometbft"].block_time(121) >= int(datetime(2025, 6, 26, tzinfo=UTC).timestamp())
    _ingest(warehouse_url, midnight_devnet, [("cometbft", 1, 121), ("evm", 1, 121)])
    assert _days(warehouse_url, "sahara") == {FIRST_DAY: (True, 1, 120, 120)}


def test_the_day_cut_by_the_range_end_is_not_complete(warehouse_url, midnight_devnet):
    _ingest(warehouse_url, midnight_devnet, [("cometbft", 1, 100), ("evm", 1, 100)])
    assert _days(warehouse_url, "sahara") == {FIRST_DAY: (False, 1, 99, 99)}
    # The rest of the day arrives, with the first blocks of the next one: the first day is now whole,
    # the next one (cut by the range end) is not.
    _ingest(warehouse_url, midnight_devnet, [("cometbft", 100, 140), ("evm", 100, 140)])
    assert _days(warehouse_url, "sahara") == {
        FIRST_DAY: (True, 1, 120, 120),
        NEXT_DAY: (False, 121, 139, 19),
    }
    _rebuilt_equals_incremental(warehouse_url)


def test_a_gap_makes_the_day_incomplete_until_it_is_filled(warehouse_url, midnight_devnet):
    _ingest(
        warehouse_url,
        midnight_devnet,
        [("cometbft", 1, 50), ("cometbft", 60, 121), ("evm", 1, 121)],
    )
    assert _days(warehouse_url, "sahara") == {FIRST_DAY: (False, 1, 120, 110)}
    _ingest(warehouse_url, midnight_devnet, [("cometbft", 50, 60)])
    assert _days(warehouse_url, "sahara") == {FIRST_DAY: (True, 1, 120, 120)}
    _rebuilt_equals_incremental(warehouse_url)


def test_a_sahara_day_needs_its_evm_blocks_too(warehouse_url, midnight_devnet):
    _ingest(warehouse_url, midnight_devnet, [("cometbft", 1, 121), ("evm", 1, 90)])
    assert _days(warehouse_url, "sahara") == {FIRST_DAY: (False, 1, 120, 120)}


# --- Bittensor-like: 12 s blocks, 7,200 a day ------------------------------------------------------
DAY = datetime(2025, 12, 10)  # UTC midnight
FIRST = 4_000_000  # the day's first block, at midnight exactly


def _time(number: int) -> datetime:
    return DAY + timedelta(seconds=12 * (number - FIRST))


def _append(url: str, start: int, end: int, *, before: bool = True, after: bool = True) -> None:
    """Blocks [start, end) as the pipeline stores them, with the boundary times it reads."""
    engine = db.make_engine(url)
    blocks = [
        BlockRef(
            number=n, hash=f"0x{n:064x}", parent_hash=f"0x{n - 1:064x}", time=_time(n).replace(tzinfo=UTC)
        )
        for n in range(start, end)
    ]
    # One event per batch: the projections run when events arrive.
    event = Event(
        chain="bittensor",
        source="subtensor",
        block_number=start,
        block_hash=blocks[0].hash,
        block_time=blocks[0].time,
        position=f"test.{start}",
        event_type="System.ExtrinsicSuccess",
        payload={},
    )
    append_batch(
        engine,
        source="subtensor",
        stream="devnet-test",
        range_unit="block",
        range_start=start,
        range_end=end,
        events=[event],
        blocks=blocks,
        boundary_times=(_time(start - 1) if before else None, _time(end) if after else None),
    )
    run_all(engine, ["chain_days"])
    engine.dispose()


def test_a_bittensor_day_of_7200_blocks(warehouse_url):
    day = DAY.date()
    # Three batches cover the day exactly; the pipeline read the block before and the block after.
    _append(warehouse_url, FIRST, FIRST + 2000)
    _append(warehouse_url, FIRST + 2000, FIRST + 5000)
    assert _days(warehouse_url, "bittensor") == {day: (False, FIRST, FIRST + 4999, 5000)}
    _append(warehouse_url, FIRST + 5000, FIRST + 7200)
    assert _days(warehouse_url, "bittensor") == {day: (True, FIRST, FIRST + 7199, 7200)}
    _rebuilt_equals_incremental(warehouse_url)


def test_a_bittensor_day_whose_last_block_is_not_known_final_is_not_complete(warehouse_url):
    # Every block of the day is stored, but the next block was past the finalized head when read.
    _append(warehouse_url, FIRST, FIRST + 7200, after=False)
    assert _days(warehouse_url, "bittensor") == {DAY.date(): (False, FIRST, FIRST + 7199, 7200)}
    # A later batch stores the next day's first blocks: now the day is known to be over.
    _append(warehouse_url, FIRST + 7200, FIRST + 7300, after=False)
    next_day = (DAY + timedelta(days=1)).date()
    assert _days(warehouse_url, "bittensor") == {
        DAY.date(): (True, FIRST, FIRST + 7199, 7200),
        next_day: (False, FIRST + 7200, FIRST + 7299, 100),
    }


def test_a_day_started_after_its_first_block_is_not_complete(warehouse_url):
    # The block before the range is in the same day: the day's first 10 blocks were never ingested.
    _append(warehouse_url, FIRST + 10, FIRST + 7200)
    assert _days(warehouse_url, "bittensor") == {DAY.date(): (False, FIRST + 10, FIRST + 7199, 7190)}


# --- market days ------------------------------------------------------------------------------------


def _quotes(url: str, hours: list[int], day: datetime) -> None:
    engine = db.make_engine(url)
    events = [
        Event(
            chain="market",
            source="coingecko",
            block_number=int((day + timedelta(hours=h, minutes=5)).replace(tzinfo=UTC).timestamp()),
            block_hash=None,
            block_time=(day + timedelta(hours=h, minutes=5)).replace(tzinfo=UTC),
            position=f"sahara-ai.{h}",
            event_type="market.Quote",
            payload={
                "coin_id": "sahara-ai",
                "price_usd": 0.02,
                "market_cap_usd": 7.1e7,
                "total_volume_usd": 1e6,
            },
        )
        for h in hours
    ]
    append_batch(
        engine,
        source="coingecko",
        stream="sahara-ai",
        range_unit="unix_s",
        range_start=int(day.replace(tzinfo=UTC).timestamp()),
        range_end=int((day + timedelta(days=1)).replace(tzinfo=UTC).timestamp()),
        events=events,
    )
    run_all(engine, ["market_caps_daily"])
    engine.dispose()


def _market_days(url: str) -> dict[date, tuple]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT day, hours_stored, complete, quotes FROM market_caps_daily ORDER BY day")
        ).all()
    engine.dispose()
    return {_as_date(r[0]): tuple(r[1:]) for r in rows}


def test_a_market_day_with_23_quotes_is_not_complete(warehouse_url):
    day = datetime(2026, 1, 10)
    _quotes(warehouse_url, [h for h in range(24) if h != 17], day)
    _quotes(warehouse_url, list(range(24)), day + timedelta(days=1))
    assert _market_days(warehouse_url) == {
        day.date(): (23, False, 23),
        (day + timedelta(days=1)).date(): (24, True, 24),
    }
    # The missing hour arrives late: the day becomes complete; a second quote in an hour adds none.
    _quotes(warehouse_url, [17], day)
    _quotes(warehouse_url, [3], day + timedelta(minutes=20))
    assert _market_days(warehouse_url) == {
        day.date(): (24, True, 25),
        (day + timedelta(days=1)).date(): (24, True, 24),
    }


# --- the dashboard: last complete day, partial days drawn as partial ------------------------------------
#: (chain, day of January 2026, complete, participants, emission): Bittensor is whole to the 11th,
#: Sahara to the 10th; the later days are partial (a fraction of a day's blocks).
DAYS = [
    ("bittensor", 10, True, 900, 3600),
    ("bittensor", 11, True, 910, 3600),
    ("bittensor", 12, False, 300, 1200),
    ("sahara", 10, True, 5000, 250_000),
    ("sahara", 11, False, 2100, 90_000),
    ("sahara", 12, False, 400, 20_000),
]


def _dashboard_warehouse(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for chain, day, complete, participants, emission in DAYS:
            conn.execute(
                sa.text(
                    "INSERT INTO ecosystem_daily (chain, day, complete, native_unit, participants, emission_native) "
                    "VALUES (:c, :d, :k, :u, :p, :e)"
                ),
                {
                    "c": chain,
                    "d": date(2026, 1, day),
                    "k": complete,
                    "u": "TAO" if chain == "bittensor" else "SAHARA",
                    "p": participants,
                    "e": emission,
                },
            )
    engine.dispose()


def test_kpis_and_head_to_head_use_complete_days_and_charts_mark_partial_ones(warehouse_url):
    from dashboards import figures
    from dashboards.pages import overview
    from dashboards.state import View

    _dashboard_warehouse(warehouse_url)
    view = View(start=date(2026, 1, 10), end=date(2026, 1, 12), as_of=None)
    kpis = overview.kpi_frame(warehouse_url, view).set_index("chain")
    assert {c: f"{d:%Y-%m-%d}" for c, d in kpis["day"].items()} == {
        "bittensor": "2026-01-11",
        "sahara": "2026-01-10",
    }
    assert kpis.loc["bittensor", "emission_native"] == 3600  # not the partial 12th's 1,200
    cards = str(overview.kpi_cards(overview.kpi_frame(warehouse_url, view), view))
    assert "per-day figures of 2026-01-11, the last complete day" in cards
    assert "per-day figures of 2026-01-10, the last complete day" in cards
    # An as-of date before the last complete day moves it back.
    earlier = View(start=date(2026, 1, 10), end=date(2026, 1, 12), as_of=date(2026, 1, 10))
    assert (
        f"{overview.kpi_frame(warehouse_url, earlier).set_index('chain').loc['bittensor', 'day']:%d}" == "10"
    )

    # Head to head: the latest day complete on both chains, the 10th.
    table = overview.head_to_head_frame(warehouse_url, view)
    as_of = table[table["aspect"] == "Figures as of"].iloc[0]
    assert (as_of["bittensor"], as_of["sahara"]) == ("2026-01-10", "2026-01-10")
    title = overview.head_to_head_table(table, view)[0]
    assert title.children == "Head to head, as of 2026-01-10"

    # Participants, rebased: the whole days as the solid line, the partial ones dashed, hollow, labelled.
    figure = overview.participants_figure(overview.participants_frame(warehouse_url, view), view)
    solid = {
        t.name: [pd.Timestamp(x).day for x in t.x]
        for t in figure.data
        if not t.name.endswith("(partial day)")
    }
    partial = {
        t.name: (list(t.text), t.line.dash, t.marker.symbol)
        for t in figure.data
        if t.name.endswith("(partial day)")
    }
    assert solid == {"Bittensor miners": [10, 11], "Sahara contributors": [10]}
    assert partial == {
        "Bittensor miners (partial day)": (["", "partial"], "dash", "circle-open"),
        "Sahara contributors (partial day)": (["", "partial", "partial"], "dash", "circle-open"),
    }

    # Per-day bars: the partial day hatched and labelled, the whole ones plain.
    frame = pd.DataFrame(
        {"day": pd.to_datetime(["2026-01-10", "2026-01-11", "2026-01-12"]), "v": [3600, 3600, 1200],
         "complete": [True, True, False]}
    )  # fmt: skip
    bars = figures.daily_bar_figure(frame, "v", "TAO emission per day", "TAO per day").data[0]
    assert list(bars.marker.pattern.shape) == ["", "", "/"] and list(bars.text) == ["", "", "partial"]
