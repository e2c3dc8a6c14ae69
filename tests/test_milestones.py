"""Milestones on every time-series chart: runtime upgrades and halvings read from the stored chain,
dated reference facts from `reference_facts`, drawn where the chart's span includes them and nowhere else.

The on-chain milestones are checked on devnet windows around the first halving and the runtime
upgrade, against the devnet's own record and the dates worked out by hand: genesis 2025-12-01 00:00
UTC, 12 s blocks, so block 79,200 is 2025-12-12 00:00 (11 days x 7,200 blocks), the last block to
mint 1 TAO, and block 252,000 is 2026-01-05 00:00 (35 days), the block that enacts spec 343.
"""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import charts, figures, queries
from dashboards.state import View
from tests.conftest import fresh_warehouse
from warehouse import db
from warehouse.projections import run_all

HALVING_WINDOW = (79_170, 79_230)
UPGRADE_WINDOW = (251_970, 252_030)


def _ingest(devnet, url: str, *windows: tuple[int, int]) -> None:
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        for lo, hi in windows:
            ingest_range(source, lo, hi, warehouse_url=url)
    engine = db.make_engine(url)
    try:
        run_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def crossing(request, tmp_path_factory, devnet):
    """Bittensor around the halving, then (after a first look) around the runtime upgrade."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("milestones")) as url:
        _ingest(devnet, url, HALVING_WINDOW)
        before_upgrade = queries.milestones(url)
        _ingest(devnet, url, UPGRADE_WINDOW)
        yield url, before_upgrade


def _on_chain(frame: pd.DataFrame) -> list[tuple]:
    rows = frame[frame["kind"] != "reference"]
    return [
        (r.milestone_id.split(":")[0], r.label, r.occurred_at.to_pydatetime(), int(r.block_number))
        for r in rows.itertuples()
    ]


def test_the_halving_and_the_runtime_upgrade_are_found_in_the_stored_blocks(crossing, devnet):
    url, before_upgrade = crossing
    # What the devnet minted in the blocks either side of the halving, from its own ledger.
    ledger = httpx.get(
        devnet.endpoints["control"] + "/subtensor/ledger",
        params={"start_block": 79_199, "end_block": 79_201, "per_block": 1},
        timeout=120,
    ).json()
    minted = {row["block"]: int(row["minted"]) for row in ledger["blocks"]}
    assert (minted[79_200], minted[79_201]) == (10**9, 10**9 // 2)

    halving = ("halving", "halving", datetime(2025, 12, 12, 0, 0, 12), 79_201)
    upgrade = ("runtime", "runtime 343", datetime(2026, 1, 5), 252_000)
    # The stored windows' first blocks are not mistaken for changes: these two only.
    assert _on_chain(before_upgrade) == [halving]  # the cache followed the new blocks
    every = queries.milestones(url)
    assert _on_chain(every) == [halving, upgrade]
    rows = every.set_index("label")
    assert rows.loc["halving", "detail"] == (
        "block emission cut from 1000000000 to 500000000 rao per block: block 79201 is the first to mint less"
    )
    assert rows.loc["runtime 343", "detail"] == (
        "runtime upgrade: spec 342 to 343, enacted in block 252000; block 252001 is the first the new runtime "
        "executed"
    )
    assert rows.loc["runtime 343", "source_title"].startswith(
        "on chain: the spec_version of subtensor blocks"
    )
    # The dated reference facts, at the first day of the period they name (from the CSV by hand).
    facts = {
        r.fact_id: (r.occurred_at.date(), r.resolution) for r in every.itertuples() if r.kind == "reference"
    }
    assert facts == {
        "bt_dtao": (date(2025, 2, 1), "month"),
        "bt_etf": (date(2025, 12, 1), "month"),
        "bt_halving": (date(2025, 12, 12), "date"),
        "sh_dsp_launch": (date(2024, 12, 1), "month"),
        "sh_marketplace": (date(2025, 6, 1), "month"),
        "sh_mainnet": (date(2025, 7, 1), "quarter"),
        "sh_tge": (date(2025, 6, 1), "month"),
    }
    # A range and chains narrow them: Sahara's facts of 2025.
    sahara = queries.milestones(url, datetime(2025, 1, 1), datetime(2026, 1, 1), ["sahara"])
    assert list(sahara["fact_id"]) == ["sh_marketplace", "sh_tge", "sh_mainnet"]


def _milestone_marks(figure) -> list[tuple[pd.Timestamp, str, str]]:
    shapes = [s for s in figure.layout.shapes if (s.name or "").startswith("milestone")]
    notes = {a.name: a for a in figure.layout.annotations if (a.name or "").startswith("milestone")}
    return [(pd.Timestamp(s.x0), notes[s.name].text, notes[s.name].hovertext) for s in shapes]


def test_the_emission_chart_marks_the_milestones_of_its_span_only(crossing):
    url, _ = crossing
    from dashboards.pages import bittensor

    chart = bittensor.PANEL["emission-chart"]
    # The halving's hours (its blocks run 23:54 to 00:06): the on-chain halving and the reported one,
    # 12 seconds apart, share one marker.
    figure = charts.render(chart, url, View(date(2025, 12, 11), date(2025, 12, 12), None))
    assert [pd.Timestamp(x) for x in figure.data[0].x] == [
        pd.Timestamp("2025-12-11 23:00"),
        pd.Timestamp("2025-12-12 00:00"),
    ]
    ((at, label, hover),) = _milestone_marks(figure)
    assert at == pd.Timestamp("2025-12-12 00:00")
    assert label.startswith('<a href="https://blockeden.xyz/') and label.endswith(
        "first halving</a> · halving"
    )
    assert "when: 2025-12-12 00:00:12 UTC, block 79,201" in hover
    assert "source: on chain: the TAO minted by blocks 79200 and 79201" in hover
    assert "first halving: 2025-12-12 (daily issuance 7,200 -&gt; 3,600 TAO)" in hover

    # The upgrade's hours: the runtime upgrade only (the halving is outside the range).
    figure = charts.render(chart, url, View(date(2026, 1, 4), date(2026, 1, 5), None))
    ((at, label, hover),) = _milestone_marks(figure)
    assert (at, label) == (pd.Timestamp("2026-01-05 00:00"), "runtime 343")
    assert "when: 2026-01-05 00:00:00 UTC, block 252,000" in hover

    # A range that holds the ETF filing (2025-12-01) but whose chart spans only the halving's hours
    # draws only what falls in that span.
    figure = charts.render(chart, url, View(date(2025, 11, 30), date(2025, 12, 12), None))
    assert [label.rsplit(">", 1)[-1] for _, label, _ in _milestone_marks(figure)] == [" · halving"]


def _daily_bars(days: list[str]) -> go.Figure:
    frame = pd.DataFrame(
        {"day": pd.to_datetime(days), "v": [1.0] * len(days), "complete": [True] * len(days)}
    )
    return figures.daily_bar_figure(frame, "v", "A measure per day", "units")


def _milestones(*rows: tuple) -> pd.DataFrame:
    columns = ["milestone_id", "label", "occurred_at", "resolution", "block_number", "detail", "source_title",
               "source_url"]  # fmt: skip
    frame = pd.DataFrame(list(rows), columns=columns)
    return frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"], format="ISO8601"))


def test_a_milestone_is_drawn_inside_the_span_merged_when_close_and_never_outside():
    figure = _daily_bars(["2026-01-10", "2026-01-11", "2026-01-12"])  # spans 2026-01-10 to 2026-01-13
    drawn = figures.add_milestones(
        figure,
        _milestones(
            ("fact:a", "token generation event", "2026-01-01", "month", None, "TGE: 2026-01", "A source",
             "https://example.org/a"),  # before the span: not drawn
            ("halving:bittensor:9", "halving", "2026-01-11 00:00:12", "block", 9, "cut", "on chain", None),
            ("fact:b", "a fact stated for the same day", "2026-01-11", "date", None, "b", "B", "https://e.org/b"),
            ("runtime:subtensor:x:343", "runtime 343", "2026-01-12 18:00", "block", 12, "up", "on chain", None),
            ("fact:c", "a quarter later", "2026-04-01", "quarter", None, "c", "C", "https://e.org/c"),
        ),
    )  # fmt: skip
    marks = _milestone_marks(drawn)
    assert [(at, label) for at, label, _ in marks] == [
        # 12 seconds apart: one marker, the fact's label linking to its source.
        (pd.Timestamp("2026-01-11"), '<a href="https://e.org/b" target="_blank">a fact stated for the same…</a> · halving'),
        (pd.Timestamp("2026-01-12 18:00"), "runtime 343"),
    ]  # fmt: skip
    assert "when: 2026-01-11 (" not in marks[0][2] and "when: 2026-01-11<br>" in marks[0][2]
    assert "when: 2026-01-11 00:00:12 UTC, block 9" in marks[0][2]
    # A chart with nothing dated, or no milestone, is left as it was.
    assert not _milestone_marks(figures.add_milestones(_daily_bars(["2026-02-01"]), _milestones()[0:0]))
    lorenz = figures.lorenz_figure({"bittensor": [(0.0, 0.0), (1.0, 1.0)]})
    assert not figures.add_milestones(
        lorenz, _milestones(("x", "x", "1970-01-01", "date", None, "", "", None))
    ).layout.shapes


def test_every_time_series_of_every_page_marks_the_milestones_of_its_span(
    devnet, tmp_path_factory, monkeypatch
):
    """Each time-series panel, rendered on a warehouse holding both chains and both coins, draws the
    milestones falling in what it shows and none outside it (milestones every hour of the range)."""
    from dashboards import controls
    from dashboards.pages import PAGE_MODULES
    from etl.connections import CoinGeckoConnection
    from etl.pipeline.market import ingest_coin_window
    from tests import test_dashboard_browser as browser_tests
    from tests.conftest import DEVNET_NOW

    url = f"duckdb:///{tmp_path_factory.mktemp('every-chart') / 'warehouse.duckdb'}"
    db.migrate(url)
    connection = CoinGeckoConnection(devnet.endpoints["coingecko"])
    for coin in ("bittensor", "sahara-ai"):
        ingest_coin_window(connection, coin, DEVNET_NOW - 4 * 86_400, DEVNET_NOW, warehouse_url=url)
    browser_tests._load_chains(devnet, url)
    engine = db.make_engine(url)
    run_all(engine)
    engine.dispose()
    view, _, _ = controls.page_view(url, {})
    every_hour = pd.date_range(view.start_at, view.end_at, freq="h", inclusive="left")
    fake = _milestones(
        *[(f"m{i}", f"m{i}", at, "block", i, "", "on chain", None) for i, at in enumerate(every_hour)]
    ).assign(chain="bittensor")
    monkeypatch.setattr(queries, "milestones", lambda *args, **kwargs: fake)
    series = {p.id: p for m in PAGE_MODULES for p in getattr(m, "PANELS", []) if p.milestones}
    assert set(series) == {
        "market-cap-chart", "participants-chart", "top10-chart", "share-earning-chart",
        "rewards-per-participant-chart", "emission-chart", "registrations-chart", "stake-flow-chart",
        "contributors-chart", "rewards-chart", "marketplace-chart",
        "fundamentals-transactions", "fundamentals-active-accounts", "fundamentals-transfer-volume",
        "fundamentals-fees", "fundamentals-holders", "fundamentals-staking-apy",
    }  # fmt: skip
    for panel in series.values():
        figure = charts.render(panel, url, view)
        lo, hi = figures.x_extent(figure)
        if lo is None:
            # No licence sold in these hours; the staking APY is of complete days only, and an hour is none.
            assert panel.id in ("marketplace-chart", "fundamentals-staking-apy"), panel.id
            continue
        marks = _milestone_marks(figure)
        assert marks, panel.id
        assert all(lo <= at < hi for at, _, _ in marks), panel.id
