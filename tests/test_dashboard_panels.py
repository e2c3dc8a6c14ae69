"""Every panel of every page drawn from a warehouse that holds both chains, on DuckDB and PostgreSQL.

The warehouse holds the hand-built history of `tests/test_views.py`: one UTC day, 2026-01-10, of Bittensor
blocks, epochs, stake operations and registrations, of Sahara validator sets, delegations, mints and
contract logs, TAO and SAHARA quotes, and quarantined rows (its docstring lists them). The pages are
opened on 2026-01-10 to 2026-01-11, and each panel's callback (`charts.render`, what Dash runs) is
checked against values worked out here by hand from the numbers the history was made of, never with the
warehouse's SQL.

A time-series chart may draw a point per day or per hour, depending on the range. Each point is
checked against the figure of its own period: both the day's and each hour's are worked out below.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from dashboards import charts
from dashboards.state import View
from tests.conftest import fresh_warehouse
from tests.test_views import (
    A1,
    A2,
    A3,
    A4,
    ALPHA_IN,
    EPOCHS,
    RAO,
    U16,
    A,
    B,
    C,
    _gini,
    _history,
    _incentive,
    _pool_tao,
)
from warehouse import db
from warehouse.projections import run_all
from warehouse.store import append_batch

VIEW = View(date(2026, 1, 10), date(2026, 1, 11), None)
DAY = pd.Timestamp("2026-01-10")


def _hour(hour: int) -> pd.Timestamp:
    return DAY + pd.Timedelta(hours=hour)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def shown(request, tmp_path_factory) -> dict:
    """Panel id -> what its callback returns, on a warehouse holding the two-chain history."""
    import flask

    from dashboards.pages import PAGE_MODULES

    with fresh_warehouse(request.param, tmp_path_factory.mktemp("panels")) as url:
        engine = db.make_engine(url)
        for batch in _history():
            append_batch(engine, **batch)
            run_all(engine)
        engine.dispose()
        server = flask.Flask("decai-test")
        server.config["WAREHOUSE_URL"] = url
        with server.app_context():
            yield {
                panel.id: charts.render(panel, url, VIEW)
                for module in PAGE_MODULES
                for panel in getattr(module, "PANELS", [])
            }


# ------------------------------------------------------------------------------------------- helpers
def _walk(component):
    if isinstance(component, list | tuple):
        for child in component:
            yield from _walk(child)
        return
    if component is None or isinstance(component, str | int | float):
        return
    yield component
    yield from _walk(getattr(component, "children", None))


def _table(component, table_id: str) -> list[dict]:
    (table,) = [c for c in _walk(component) if getattr(c, "id", None) == table_id and hasattr(c, "data")]
    return table.data


def _points(figure, prefix: str) -> dict:
    """x -> y of every point the traces named `prefix`... draw (a partial period's trace included)."""
    out = {}
    for trace in figure.data:
        if trace.name is not None and trace.name.startswith(prefix) and trace.x is not None:
            for x, y in zip(trace.x, trace.y, strict=True):
                out[pd.Timestamp(x) if not isinstance(x, str | int) else x] = float(y)
    return out


def _total(figure, name: str) -> float:
    (trace,) = [t for t in figure.data if t.name == name]
    return float(sum(trace.y))


def _first_number(text) -> int:
    """A subnet id shown as a number or as a link to its page (`[1](/bittensor/subnet/1)`)."""
    return int(re.match(r"\[?(\d+)", str(text)).group(1))


def _assert_per_period(figure, prefix: str, expected: dict) -> None:
    """Every point drawn for `prefix` is the figure of its period (the day's, or the hour's), and the
    points cover all the periods of one grain: the day, or every hour with data."""
    drawn = _points(figure, prefix)
    assert drawn, prefix
    for x, y in drawn.items():
        assert x in expected, (prefix, x, sorted(expected))
        want = expected[x]
        if want is None:
            assert math.isnan(y), (prefix, x, y)
        else:
            assert y == pytest.approx(want, rel=1e-9), (prefix, x, y, want)
    hourly = [x for x in expected if x != DAY]
    assert set(drawn) in ({DAY}, set(hourly)), (prefix, sorted(drawn))


# --------------------------------------------------------------- the figures per period, by hand
#: Bittensor epochs: subnet 1 at 04:00 (block 5001) and 16:00 (5004), subnet 2 at 08:00 (5002). Each
#: UID's reward is its alpha at its epoch block's pool price, rounded down to the rao (see test_views).
EPOCH_HOUR = {5001: 4, 5002: 8, 5004: 16}


def _bittensor_rewards() -> dict[int, list[int]]:
    """Epoch hour -> the TAO rao of each UID observed then."""
    out: dict[int, list[int]] = {}
    for (netuid, block), uids in EPOCHS.items():
        out[EPOCH_HOUR[block]] = [
            emission * RAO * _pool_tao(netuid, block) // ALPHA_IN[netuid] for _u, _h, _p, _s, emission in uids
        ]
    return out


#: TAO/USD of each epoch hour: its last quote (04:50, 262; 16:20, 240), else the day's last (255).
TAO_USD = {4: 262.0, 8: 255.0, 16: 240.0}


def _bittensor_day() -> list[int]:
    """The day's reward of each of its 8 participants (v1 and m1a are observed twice)."""
    per_member: dict[str, int] = {}
    for (netuid, block), uids in EPOCHS.items():
        for _uid, hotkey, _permit, _stake, emission in uids:
            key = f"{netuid}:{hotkey}"
            reward = emission * RAO * _pool_tao(netuid, block) // ALPHA_IN[netuid]
            per_member[key] = per_member.get(key, 0) + reward
    return sorted(per_member.values())


def _bittensor_usd() -> float:
    return sum(round(sum(r) / RAO * TAO_USD[h], 6) for h, r in _bittensor_rewards().items())


# --------------------------------------------------------------------------------------------- tests
CHECKED = {
    "kpi-cards", "head-to-head", "market-cap-chart", "participants-chart",
    "emission-chart", "registrations-chart", "incentive-lorenz-chart", "stake-chart", "stake-flow-chart",
    "stake-flow-table",
    "funnel-chart", "contributors-chart", "rewards-chart", "reputation-chart", "marketplace-chart",
    "marketplace", "voting-power-chart", "sahara-validators", "contributors",
    "lorenz-chart", "top10-chart", "share-earning-chart", "rewards-per-participant-chart", "ecosystem-daily",
    "freshness", "dq-results", "runtime-types", "quarantine-rules",
}  # fmt: skip
#: Checked in tests/test_dashboard_fundamentals.py, on hand-written network_daily rows.
CHECKED |= {
    "fundamentals-transactions", "fundamentals-active-accounts", "fundamentals-transfer-volume",
    "fundamentals-fees", "fundamentals-holders", "fundamentals-staking-apy", "network-daily",
}  # fmt: skip


def test_every_panel_is_checked_here(shown):
    assert set(shown) <= CHECKED, f"panels without a check: {sorted(set(shown) - CHECKED)}"


def _kpis(cards, card_id: str) -> dict[str, str]:
    """The values a card shows, by KPI (its Strong's text, without the unit span)."""
    (card,) = [c for c in _walk(cards) if getattr(c, "id", None) == card_id]
    shown = {}
    for kpi in _walk(card):
        key = getattr(kpi, "data-kpi", None)
        if key is not None:
            value = kpi.children[1].children
            shown[key] = value if isinstance(value, str) else value[0]
    return shown


def test_the_overview_cards_show_the_last_quote_and_the_last_complete_day(shown):
    cards = shown["kpi-cards"]
    # The newest quote is TAO's at 00:30 on 2026-01-11 (270 USD); 24 hours before it, 250 USD (00:30).
    assert next(c for c in _walk(cards) if getattr(c, "id", None) == "as-of").children == (
        "As of 2026-01-11 00:00 UTC"
    )
    rewards = _bittensor_day()
    assert _kpis(cards, "kpi-bittensor") == {
        "market_cap": "$2.59B",  # 270 x 9,600,000
        "change_24h": "+8.0%",  # 270 / 250
        "price": "$270.00",
        "volume_24h": "$123.00M",
        "supply": "10,500,002 TAO (50.0%)",  # of 21M
        "staked": "58.6%",  # 6,150,002.7 / 10,500,002
        "emission": "3 TAO · $765.00",  # the complete day 2026-01-10: 3 TAO x its last price, 255
        "rewards": f"56 TAO · ${_bittensor_usd() / 1000:.2f}k",
        "participants": "8",
        "share_earning": "75.0%",
        "validators": "2",
        "rewards_per_participant": f"${_bittensor_usd() / 8 / 1000:.2f}k",
        "gini": f"{_gini(rewards):.3f}",
        "nakamoto": "1",
    }
    # Sahara has quotes but no complete day: the market figures only.
    dash = "–"
    assert _kpis(cards, "kpi-sahara-ai") == {
        "market_cap": "$230.00M",  # 0.10 x 2,300,000,000
        "change_24h": dash,  # no quote 24 hours before
        "price": "$0.1000",
        "volume_24h": "$45.00M",
        "supply": f"{dash} SAHARA ({dash})",
        "staked": dash,
        "emission": f"{dash} SAHARA · {dash}",
        "rewards": f"{dash} SAHARA · {dash}",
        "participants": dash,
        "share_earning": dash,
        "validators": dash,
        "rewards_per_participant": dash,
        "gini": dash,
        "nakamoto": dash,
    }


def test_the_head_to_head_waits_for_a_day_complete_on_both_chains(shown):
    head = shown["head-to-head"]
    title = next(c for c in _walk(head) if getattr(c, "id", None) == "head-to-head-title")
    assert title.children == "Head to head (no day complete on both chains yet)"
    rows = _table(head, "head-to-head-table")
    measured = [r for r in rows if "as of" not in r["bittensor"] + r["sahara"]]
    assert measured and all(r["bittensor"] == r["sahara"] == "–" for r in measured)
    # The facts beside them each name their source and date.
    assert all("as of" in r["bittensor"] + r["sahara"] for r in rows if r not in measured)


def test_market_caps_are_rebased_to_the_first_hour_of_each_coin(shown):
    figure = shown["market-cap-chart"]
    # Each hour's last quote over the first: TAO 250 (00:30), 262 (04:50), 240, 255, then 270 the next day.
    assert _points(figure, "Bittensor") == pytest.approx(
        {_hour(0): 100.0, _hour(4): 104.8, _hour(16): 96.0, _hour(23): 102.0, _hour(24): 108.0}
    )
    assert _points(figure, "Sahara") == pytest.approx({_hour(10): 100.0, _hour(18): 0.10 / 0.09 * 100})


def test_participants_are_rebased_to_each_chains_first_period(shown):
    # Per day: one day each, 100. Per hour: Bittensor's epochs observed 4, 3 and 4 UIDs; Sahara's active
    # contributors were A1 (09:00), A1, A2 and A3 (10:00), A3 (14:00).
    _assert_per_period(
        shown["participants-chart"],
        "Bittensor",
        {DAY: 100.0, _hour(4): 100.0, _hour(8): 75.0, _hour(16): 100.0},
    )
    _assert_per_period(
        shown["participants-chart"],
        "Sahara",
        {DAY: 100.0, _hour(9): 100.0, _hour(10): 300.0, _hour(14): 100.0},
    )


def test_the_bittensor_page_draws_emission_registrations_stake_and_flows(shown):
    # Six blocks of 0.5 TAO; one registration on each of subnets 1 and 2.
    assert _total(shown["emission-chart"], next(t.name for t in shown["emission-chart"].data)) == 3.0
    assert {t.name: float(sum(t.y)) for t in shown["registrations-chart"].data} == {
        "subnet 1": 1,
        "subnet 2": 1,
    }
    # Validators by stake in TAO at their latest epoch's price: v1 20,100 alpha, v2 5,000 alpha.
    v1 = 20_100 * RAO * _pool_tao(1, 5004) // ALPHA_IN[1] / RAO
    v2 = 5_000 * RAO * _pool_tao(2, 5002) // ALPHA_IN[2] / RAO
    stake = shown["stake-chart"]
    assert sorted(float(y) for t in stake.data for y in t.y) == pytest.approx(sorted([v1, v2]))
    assert f"2 validators, {v1 + v2:,.0f} TAO" in stake.layout.title.text
    # Net flows: subnet 1 +10 staked - 2 moved out; subnet 2 +2 moved in - 4 unstaked.
    assert {t.name: float(sum(t.y)) for t in shown["stake-flow-chart"].data} == {
        "subnet 1": 8.0,
        "subnet 2": -2.0,
    }
    rows = {_first_number(r["netuid"]): r for r in _table(shown["stake-flow-table"], "stake-flow-rows")}
    assert {n: (r["net_flow_tao"], r["added_tao"], r["removed_tao"], r["moved_in_tao"], r["moved_out_tao"],
                r["net_staked_alpha"], r["coldkeys"], r["complete"]) for n, r in rows.items()} == {
        1: (8.0, 10.0, 0.0, 0.0, 2.0, 40.0, 1, True),
        2: (-2.0, 0.0, 4.0, 2.0, 0.0, -8.0, 2, True),
    }  # fmt: skip


def test_the_incentive_curve_of_subnet_1_has_its_three_registered_miners(shown):
    # m1a, m1b and m1d (m1c lost its UID): incentive 36/44, 0 and 8/44 of the epoch's miner emission.
    incentives = [_incentive(1, 5004, h) for h in ("m1a", "m1b", "m1d")]
    assert incentives == [36 * U16 // 44, 0, 8 * U16 // 44]
    title = shown["incentive-lorenz-chart"].layout.title.text
    assert f"subnet 1 — 3 miners, Gini {_gini(incentives):.2f}" in title


def test_the_sahara_page_draws_annotations_rewards_reputation_marketplace_and_validators(shown):
    # Four submissions, three reviewed (70, 71, 73), two accepted (70, 73).
    assert list(shown["funnel-chart"].data[0].x) == [4, 3, 2]
    # A1 (09:40), A2, A3 (10:00, 10:10) and A4 (20:10) are new that day.
    contributors = shown["contributors-chart"]
    assert _total(contributors, next(t.name for t in contributors.data if t.name.startswith("new"))) == 4
    assert list(next(t for t in contributors.data if t.name == "total").y)[-1] == 4
    assert _total(shown["rewards-chart"], "SAHARA") == 8.0  # 5 to A1, 3 to A3
    # Highest tier per holder: A4 1, A1 2, A3 3.
    reputation = shown["reputation-chart"].data[0]
    assert dict(zip(reputation.x, (int(y) for y in reputation.y), strict=True)) == {
        "tier 1": 1, "tier 2": 1, "tier 3": 1,
    }  # fmt: skip
    # One licence for 20 SAHARA, shared out as 6 + 14.
    marketplace = shown["marketplace-chart"]
    assert (_total(marketplace, "licence sales"), _total(marketplace, "revenue shared")) == (20.0, 20.0)
    assert _table(shown["marketplace"], "marketplace-table") == [
        {"day": "2026-01-10", "licenses": 1, "license_sales_sahara": 20.0, "revenue_shared_sahara": 20.0}
    ]
    # Voting power in the latest set (height 200): A 57, B 40; C left it.
    power = shown["voting-power-chart"].data[0]
    assert dict(zip(power.y, (float(x) for x in power.x), strict=True)) == {A: 57.0, B: 40.0, C: 0.0}
    # Bonded tokens: A and B as observed at height 200; C as observed at 100 (30) plus d3's 1 at 140.
    assert _table(shown["sahara-validators"], "sahara-validators-table") == [
        {"validator_id": A, "voting_power": 57, "delegators": 1, "delegated_sahara": 57.0, "commission_rate": 0.1},
        {"validator_id": B, "voting_power": 40, "delegators": 0, "delegated_sahara": 40.0, "commission_rate": 0.08},
        {"validator_id": C, "voting_power": 0, "delegators": 1, "delegated_sahara": 31.0, "commission_rate": 0.2},
    ]  # fmt: skip
    if "contributors" in shown:  # the top contributors, by rewards
        table = _table(shown["contributors"], "contributors-table")
        assert [(r["contributor"], r["submitted"], r["accepted"], r["rewards_sahara"]) for r in table] == [
            (A1, 2, 1, 5.0), (A3, 1, 1, 3.0), (A2, 1, 0, 0.0), (A4, 0, 0, 0.0),
        ]  # fmt: skip


def test_the_compare_page_draws_each_chains_figures_per_period(shown):
    # Who gets the rewards over the range. Bittensor's miners: m1c 0, m2b 0, m1d 2.000027, m2a 5.000045,
    # m1b 2.5000125, m1a 16.500159 TAO: the poorer half holds 2.000027 of 26.0002435. Sahara's
    # contributors: A2 0, A3 3, A1 5: halfway between a third (0) and two thirds (3/8).
    lorenz = shown["lorenz-chart"]
    half = {t.name: t.y[list(t.x).index(0.5)] for t in lorenz.data if t.name != "Equal rewards"}
    assert half == pytest.approx({"Bittensor miners": 2.000027 / 26.0002435, "Sahara contributors": 0.1875})
    bittensor = _bittensor_rewards()
    day = _bittensor_day()
    usd = _bittensor_usd()

    def top1(rewards: list[int]) -> float:  # the top 10% of fewer than 15 is one participant
        return max(rewards) / sum(rewards)

    # Per hour: 04:00 is subnet 1's first epoch (4 UIDs), 08:00 subnet 2's (3), 16:00 subnet 1's second (4).
    _assert_per_period(
        shown["top10-chart"],
        "Bittensor",
        {DAY: top1(day), **{_hour(h): top1(r) for h, r in bittensor.items()}},
    )
    _assert_per_period(
        shown["share-earning-chart"],
        "Bittensor",
        {DAY: 6 / 8, **{_hour(h): sum(x > 0 for x in r) / len(r) for h, r in bittensor.items()}},
    )
    _assert_per_period(
        shown["rewards-per-participant-chart"],
        "Bittensor",
        {DAY: usd / 8, **{_hour(h): sum(r) / RAO * TAO_USD[h] / len(r) for h, r in bittensor.items()}},
    )
    # Sahara per hour: 09:00 A1 submits (nothing paid); 10:00 A2 and A3 submit and A1 is paid 5 SAHARA at
    # 0.09 USD; 14:00 A3 is paid 3 at the day's last price, 0.10. The day: 0, 3, 5 among three.
    _assert_per_period(
        shown["top10-chart"], "Sahara", {DAY: 5 / 8, _hour(9): None, _hour(10): 1.0, _hour(14): 1.0}
    )
    _assert_per_period(
        shown["share-earning-chart"], "Sahara", {DAY: 2 / 3, _hour(9): 0.0, _hour(10): 1 / 3, _hour(14): 1.0}
    )
    _assert_per_period(
        shown["rewards-per-participant-chart"],
        "Sahara",
        {DAY: (5 * 0.09 + 3 * 0.10) / 3, _hour(9): 0.0, _hour(10): 5 * 0.09 / 3, _hour(14): 3 * 0.10},
    )
    # The table holds each chain's day as the comparison view does (tests/test_views.py works it out).
    table = {r["chain"]: r for r in _table(shown["ecosystem-daily"], "ecosystem-daily-table")}
    assert table["bittensor"]["participants"] == 8
    assert table["bittensor"]["rewards_native"] == pytest.approx(sum(day) / RAO)
    assert (table["sahara"]["participants"], table["sahara"]["rewards_native"], table["sahara"]["complete"]) == (
        3, 8.0, False,
    )  # fmt: skip


def test_the_quality_page_lists_freshness_validation_runtimes_and_quarantine(shown):
    freshness = _table(shown["freshness"], "freshness-table")
    # Each stream's position, and its newest block (chains) or quote (market).
    assert [(r["source"], r["stream"], r["position"], r["last_data_at"]) for r in freshness] == [
        (
            "coingecko",
            "bittensor",
            int(datetime(2026, 1, 11, 1, tzinfo=UTC).timestamp()),
            "2026-01-11 00:30:00",
        ),
        ("coingecko", "sahara-ai", int(datetime(2026, 1, 11, tzinfo=UTC).timestamp()), "2026-01-10 18:00:00"),
        ("cometbft", "sahara-test", 200, "2026-01-10 14:00:00"),
        ("evm", "313313", 1031, "2026-01-10 20:10:00"),
        ("subtensor", "bittensor-test", 5005, "2026-01-10 20:00:00"),
    ]
    # The latest run of each stream's suite, and how many ran: two batches per chain and for TAO's quotes.
    # Rows of the latest batches: subtensor 5003-5005, 3 + 7 + 3 events (5004: emission, 4 neurons, the
    # subnet, the stake move); TAO the next day's one quote; SAHARA 3 quotes; EVM 1012-1031, 8 logs and
    # an undecodable one; CometBFT 140 and 200, 2 + 7 events (200: 2 validators, 4 distribution, the mint).
    results = _table(shown["dq-results"], "dq-results-table")
    assert [(r["suite"], r["stream"], r["outcome"], r["rows_validated"], r["rows_quarantined"], r["runs"])
            for r in results] == [
        ("bittensor_events", "bittensor-test", "passed", 13, 0, 2),
        ("market_quotes", "bittensor", "passed", 1, 0, 2),
        ("market_quotes", "sahara-ai", "passed", 3, 0, 1),
        ("sahara_contracts_events", "313313", "quarantined", 9, 1, 2),
        ("sahara_staking_events", "sahara-test", "passed", 9, 0, 2),
    ]  # fmt: skip
    # Events by the runtime that wrote them: a block's events are its parent's runtime's, so blocks
    # 5000-5004 (15 + 3 + 7 events) are spec 343's and block 5005 (3) spec 344's. EVM: 9 + 8 logs;
    # CometBFT: heights 100 (3 validators, 6 distribution, the mint), 101, 120, 130 (2 each), then 9.
    runtimes = _table(shown["runtime-types"], "runtime-types-table")
    assert [
        (r["source"], r["runtime"], r["batches"], r["events"], r["unknown_events"]) for r in runtimes
    ] == [
        ("subtensor", "spec 343", 2, 25, 0),
        ("subtensor", "spec 344", 1, 3, 0),
        ("evm", "abi 5eed0001", 2, 17, 0),
        ("cometbft", "cosmos-sdk v0.50", 2, 25, 0),
    ]
    rules = _table(shown["quarantine-rules"], "quarantine-rules-table")
    assert sorted((r["source"], r["rule"], r["rows"]) for r in rules) == [
        ("cometbft", "cometbft_attribute", 1),
        ("evm", "evm_log_decode", 2),
        ("subtensor", "decode_error", 1),
    ]
