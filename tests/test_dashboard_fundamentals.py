"""The network fundamentals on the dashboard: the compare page's "fundamentals" section and the
head-to-head rows, drawn from `network_daily` rows written here by hand, on DuckDB and PostgreSQL.

The rows (three networks, two UTC days):

- Bittensor's chain: 2026-01-10 complete (1,200 extrinsics, 300 signers, 40 new accounts, 90 transfers of
  1,500.5 TAO = $382,627.50 at $255, fees 0.25 TAO = $63.75, 121,567 holders, APR 0.15 / APY
  0.161798); 2026-01-11 partial (100 extrinsics).
- Sahara's chain: 2026-01-10 complete (5,000 transactions, 1,400 accounts, fees $2.00, 9,000 holders,
  APR 0.2);
- the SAHARA ERC-20 on `evm:ethereum`: 2026-01-10 complete (700 transfers, $12,345.60, 15,000 holders).

`ecosystem_daily` holds both chains' 2026-01-10 as complete, so the head-to-head is of that day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import flask
import pandas as pd
import pytest
import sqlalchemy as sa

from dashboards import charts
from dashboards.pages import compare, overview
from dashboards.state import View
from tests.conftest import fresh_warehouse
from warehouse import db

D10, D11 = date(2026, 1, 10), date(2026, 1, 11)
VIEW = View(D10, D11, None)

ROWS = [
    # chain, network, day, complete, unit, txs, active, new, transfers, volume, volume_usd, fees, fees_usd,
    # holders, apr, apy, price
    ("bittensor", "bittensor", D10, True, "TAO", 1200, 300, 40, 90, "1500.5", 382627.5, "0.25", 63.75,
     121567, 0.15, 0.161798, 255.0),
    ("bittensor", "bittensor", D11, False, "TAO", 100, 30, 2, 5, "10", 2700.0, "0.01", 2.7, 121570, None,
     None, 270.0),
    ("sahara", "sahara", D10, True, "SAHARA", 5000, 1400, 120, 800, "20000", 2000.0, "20", 2.0, 9000, 0.2,
     0.22133, 0.10),
    ("sahara", "evm:ethereum", D10, True, "SAHARA", 650, 420, 60, 700, "123456", 12345.6, None, None, 15000,
     None, None, 0.10),
]  # fmt: skip
COLUMNS = (
    "chain, network, day, complete, native_unit, transactions, active_accounts, new_accounts, transfers, "
    "transfer_volume_native, transfer_volume_usd, fees_native, fees_usd, holders, staking_apr, staking_apy, "
    "price_usd"
)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def url(request, tmp_path_factory):
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("fundamentals")) as url:
        engine = db.make_engine(url)
        with engine.begin() as conn:
            marks = ", ".join(f":c{i}" for i in range(17))
            for row in ROWS:
                values = {
                    f"c{i}": Decimal(v) if isinstance(v, str) and i in (9, 11) else v
                    for i, v in enumerate(row)
                }
                conn.execute(sa.text(f"INSERT INTO network_daily ({COLUMNS}) VALUES ({marks})"), values)
            for chain, unit in (("bittensor", "TAO"), ("sahara", "SAHARA")):
                conn.execute(
                    sa.text(
                        "INSERT INTO ecosystem_daily (chain, day, complete, native_unit) VALUES (:c, :d, TRUE, :u)"
                    ),
                    {"c": chain, "d": D10, "u": unit},
                )
        engine.dispose()
        server = flask.Flask("decai-test")
        server.config["WAREHOUSE_URL"] = url
        with server.app_context():
            yield url


def _points(figure, name: str) -> dict:
    out = {}
    for trace in figure.data:
        if trace.name is not None and trace.name.startswith(name) and trace.x is not None:
            for x, y in zip(trace.x, trace.y, strict=True):
                if y is not None:
                    out[pd.Timestamp(x)] = float(y)
    return out


def test_each_fundamentals_chart_draws_a_line_per_network_and_day(url):
    shown = {
        panel_id: charts.render(compare.PANEL[panel_id], url, VIEW) for panel_id, *_ in compare.FUNDAMENTALS
    }
    d10, d11 = pd.Timestamp(D10), pd.Timestamp(D11)
    transactions = shown["fundamentals-transactions"]
    assert _points(transactions, "Bittensor") == {d10: 1200, d11: 100}
    assert _points(transactions, "Sahara chain") == {d10: 5000}
    assert _points(transactions, "SAHARA (evm:ethereum)") == {d10: 650}
    # The partial day is drawn apart, labelled.
    partial = [t for t in transactions.data if t.name == "Bittensor (partial day)"]
    assert partial and "partial" in list(partial[0].text)
    assert _points(shown["fundamentals-holders"], "SAHARA (evm:ethereum)") == {d10: 15000}
    assert _points(shown["fundamentals-transfer-volume"], "Bittensor") == {d10: 382627.5, d11: 2700.0}
    # The ERC-20 network pays no fees in SAHARA and has no staking: no line of its own.
    assert _points(shown["fundamentals-fees"], "SAHARA (evm") == {}
    assert _points(shown["fundamentals-staking-apy"], "Sahara chain") == pytest.approx({d10: 0.22133})
    assert shown["fundamentals-staking-apy"].layout.yaxis.tickformat == ".1%"
    assert "count" in shown["fundamentals-active-accounts"].layout.yaxis.title.text


def test_the_head_to_head_sets_both_chains_fundamentals_of_the_same_day_side_by_side(url):
    frame = overview.head_to_head_frame(url, VIEW)
    rows = {r["aspect"]: r for r in frame.to_dict("records")}
    assert (rows["Transactions (day)"]["bittensor"], rows["Transactions (day)"]["sahara"]) == (
        "1,200",
        "5,000",
    )
    assert (rows["Active accounts (day)"]["bittensor"], rows["Active accounts (day)"]["sahara"]) == (
        "300",
        "1,400",
    )
    assert rows["Transfer volume (USD/day)"]["bittensor"] == "$382,627.50"
    assert rows["Fees paid (USD/day)"]["sahara"] == "$2.00"
    assert (rows["Holders"]["bittensor"], rows["Holders"]["sahara"]) == ("121,567", "9,000")
    assert (rows["Staking APR"]["bittensor"], rows["Staking APR"]["sahara"]) == ("15.00%", "20.00%")
    erc20 = rows["SAHARA on evm:ethereum: holders"]
    assert pd.isna(erc20["bittensor"]) and erc20["sahara"] == "15,000"
    # Each measured cell names its day and its table.
    assert rows["Holders"]["bittensor_as_of"] == "2026-01-10"
    assert rows["Holders"]["sahara_source"].startswith("network_daily")
    assert rows["Holders"]["definition"].startswith("Accounts with a positive balance")


def test_the_network_daily_table_lists_every_row_of_the_range(url):
    table = charts.render(compare.PANEL["network-daily"], url, VIEW)
    (data,) = [c.data for c in _walk(table) if getattr(c, "id", None) == "network-daily-table"]
    assert sorted((r["chain"], r["network"], str(r["day"])[:10]) for r in data) == [
        ("bittensor", "bittensor", "2026-01-10"),
        ("bittensor", "bittensor", "2026-01-11"),
        ("sahara", "evm:ethereum", "2026-01-10"),
        ("sahara", "sahara", "2026-01-10"),
    ]


def _walk(component):
    if isinstance(component, list | tuple):
        for child in component:
            yield from _walk(child)
        return
    if component is None or isinstance(component, str | int | float):
        return
    yield component
    yield from _walk(getattr(component, "children", None))
