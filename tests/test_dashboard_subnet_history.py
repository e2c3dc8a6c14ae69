"""The Bittensor page's subnets over time, drawn from the two-chain hand-built warehouse of
`tests/test_views.py` (one UTC day, 2026-01-10), on DuckDB and PostgreSQL.

What each chart's callback draws for the subnets picked is checked against figures worked out here from
the numbers the history was made of (its pools, injections and epochs), never with the warehouse's SQL;
so are the names the page shows wherever a netuid shows: the picker, the subnet filter, the leaderboard
and the subnet's own page.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboards import subnet_history
from dashboards.state import View
from tests.conftest import fresh_warehouse
from tests.test_views import ALPHA_IN, EPOCHS, MINTED, _history, _injected, _pool_tao
from warehouse import db
from warehouse.projections import run_all
from warehouse.store import append_batch

VIEW = View(date(2026, 1, 10), date(2026, 1, 11), None)
DAY = pd.Timestamp("2026-01-10")
BLOCKS = range(5000, 5006)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def url(request, tmp_path_factory):
    import flask

    with fresh_warehouse(request.param, tmp_path_factory.mktemp("subnet-history")) as url:
        engine = db.make_engine(url)
        for batch in _history():
            append_batch(engine, **batch)
            run_all(engine)
        engine.dispose()
        server = flask.Flask("decai-test")
        server.config["WAREHOUSE_URL"] = url
        with server.app_context():
            yield url


def _walk(component):
    if isinstance(component, list | tuple):
        for child in component:
            yield from _walk(child)
        return
    if component is None or isinstance(component, str | int | float):
        return
    yield component
    yield from _walk(getattr(component, "children", None))


def _by_id(component, element_id: str):
    (found,) = [c for c in _walk(component) if getattr(c, "id", None) == element_id]
    return found


def _lines(figure) -> dict[str, dict]:
    """Trace name -> {day: y} of every drawn line (milestone marks are shapes, not traces)."""
    return {
        t.name: {pd.Timestamp(x): float(y) for x, y in zip(t.x, t.y, strict=True)}
        for t in figure.data
        if t.x is not None
    }


def _milestones(figure) -> list[pd.Timestamp]:
    return [pd.Timestamp(s.x0) for s in figure.layout.shapes if (s.name or "").startswith("milestone")]


def _draw(url: str, panel_id: str, netuids):
    return subnet_history.render(subnet_history.PANEL[panel_id], url, VIEW, netuids)


def test_the_price_chart_draws_each_picked_subnets_close(url):
    figure = _draw(url, "subnet-price-chart", [1, 2])
    # SubnetTAO / SubnetAlphaIn after the day's last block, 5005; the subnets named as the chain names them.
    assert _lines(figure) == {
        "subnet 1 (subnet 1)": {DAY: pytest.approx(_pool_tao(1, 5005) / ALPHA_IN[1], rel=1e-12)},
        "subnet 2 (subnet 2)": {DAY: pytest.approx(_pool_tao(2, 5005) / ALPHA_IN[2], rel=1e-12)},
    }
    assert figure.layout.yaxis.title.text == "alpha price at the close (TAO per alpha)"
    # The runtime upgrade enacted in block 5003 (12:00) is marked, as on the page's other charts.
    assert _milestones(figure) == [pd.Timestamp("2026-01-10 12:00")]
    # One subnet picked: only its line.
    assert list(_lines(_draw(url, "subnet-price-chart", [2]))) == ["subnet 2 (subnet 2)"]


def test_the_share_chart_draws_each_subnets_part_of_the_days_tao(url):
    figure = _draw(url, "subnet-share-chart", [1, 2])
    # Six blocks of 0.5 TAO, injected into subnets 1, 2 and 3 (removed at 5003) with nothing left over.
    minted = 6 * MINTED
    injected = {n: sum(_injected(n, b) for b in BLOCKS if n != 3 or b < 5003) for n in (1, 2, 3)}
    assert sum(injected.values()) == minted
    assert _lines(figure) == {
        f"subnet {n} (subnet {n})": {DAY: pytest.approx(injected[n] / minted)} for n in (1, 2)
    }


def test_the_participants_chart_counts_the_days_last_epoch(url):
    figure = _draw(url, "subnet-participants-chart", None)  # none picked: the live subnets, 1 and 2
    expected = {}
    for netuid, block in ((1, 5004), (2, 5002)):  # each subnet's last epoch of the day
        uids = EPOCHS[(netuid, block)]
        expected[f"subnet {netuid} (subnet {netuid}) · miners"] = {DAY: sum(1 for u in uids if not u[2])}
        expected[f"subnet {netuid} (subnet {netuid}) · validators"] = {DAY: sum(1 for u in uids if u[2])}
    assert _lines(figure) == expected
    validators = [t for t in figure.data if t.name.endswith("validators")]
    assert validators and all(t.line.dash == "dot" for t in validators)


def test_the_csv_holds_the_rows_the_charts_draw(url):
    frame = subnet_history.history(url, VIEW, [1])
    assert list(frame["netuid"]) == [1] and list(frame["name"]) == ["subnet 1 (subnet 1)"]
    assert bool(frame["complete"].iloc[0])
    # m1a holds 36 of the 44 alpha subnet 1's miners earned at 5004; v1 all of the validators'.
    assert frame["top_miner_share"].iloc[0] == pytest.approx(36 / 44)
    assert frame["top_validator_share"].iloc[0] == pytest.approx(1.0)


def test_the_page_names_its_subnets_wherever_a_netuid_shows(url):
    from dashboards.pages import bittensor, subnet

    layout = bittensor._layout(url, {"start": "2026-01-10", "end": "2026-01-11"})
    picker = _by_id(layout, subnet_history.PICKER_ID)
    assert picker.multi and picker.value == [1, 2]
    # Root (0) was never observed, so it has no name.
    assert picker.options == [{"label": "subnet 0", "value": 0}] + [
        {"label": f"subnet {n} (subnet {n})", "value": n} for n in (1, 2, 3)
    ]
    assert [o["label"] for o in _by_id(layout, "netuid-filter").options] == [
        "subnet 1 (subnet 1)",
        "subnet 2 (subnet 2)",
    ]
    leaderboard = {r["id"]: r["name"] for r in _by_id(layout, "subnet-table").data}
    assert leaderboard == {1: "subnet 1", 2: "subnet 2", 3: "subnet 3"}
    page = subnet.render(url, "1", [])
    assert _by_id(page, "entity-heading").children == "Subnet 1 · subnet 1"


def test_a_picker_value_that_is_not_subnet_ids_gets_the_notice():
    assert subnet_history._picked([1, 2]) == ([1, 2], [])
    assert subnet_history._picked(None) == (None, [])
    netuids, notices = subnet_history._picked(["1; DROP TABLE subnets"])
    assert netuids is None and notices == ["the subnets picked are not a list of subnet ids"]
