"""Entity pages: a subnet, a hotkey, a Sahara validator and a contributor through time.

- Ids: what names each kind of entity (checksums included) and what is refused, quoted safely.
- Links: data tables render the cells naming an entity as links to its page, and only those.
- Queries and pages on hand-built warehouses (DuckDB and PostgreSQL): every history value below is worked
  out by hand from the rows the test writes, alpha converted at each epoch's own price, hourly under three
  UTC days and daily above.
- The router: a missing, malformed or hostile id answers 200 with a "not found" notice, never a trace.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from dash import dash_table, dcc

from dashboards import entities, entity_queries, entity_view
from dashboards.components import data_table
from dashboards.pages import contributor, hotkey, sahara_validator, subnet
from devnet.sahara.common import valoper
from etl.events import Event
from etl.sources.subtensor_codec import ss58_encode
from warehouse import db
from warehouse.store import append_batch

#: Alice's well-known development key, and its SS58 address (prefix 42) as every Substrate tool prints it.
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
ALICE_KEY = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
HOTKEY_A = ss58_encode(bytes(range(32)))
HOTKEY_B = ss58_encode(bytes(range(1, 33)))
HOTKEY_C = ss58_encode(bytes(range(2, 34)))
VALIDATOR_V = valoper(bytes([7] * 20))
VALIDATOR_W = valoper(bytes([9] * 20))
CONSENSUS_W = "C0FFEE" + "0" * 34
CONTRIBUTOR = "0x" + "ab" * 20
OTHER = "0x" + "cd" * 20
RAO = 10**9
USAH = 10**18


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _walk(child)


def _find(component, element_id: str):
    return next(c for c in _walk(component) if getattr(c, "id", None) == element_id)


def _traces(graph: dcc.Graph) -> dict[str, list]:
    """Each drawn trace's y values by its subplot title and name."""
    figure = graph.figure
    titles = [a.text for a in figure.layout.annotations]
    out = {}
    for trace in figure.data:
        axis = trace.yaxis or "y"
        row = int(axis[1:] or 1) - 1
        out[f"{titles[row]}/{trace.name}"] = [float(v) for v in trace.y]
    return out


# ----------------------------------------------------------------------------------------------- ids


def test_each_kind_parses_its_ids_and_refuses_anything_else():
    assert ss58_encode(ALICE_KEY) == ALICE  # the test's encoder agrees with the published address
    assert entities.parse_hotkey(ALICE) == ALICE
    assert entities.parse_hotkey(ALICE[:-1] + "Z") is None  # one character changed: the checksum fails
    assert entities.parse_hotkey(ss58_encode(ALICE_KEY, prefix=0)) is None  # Polkadot's prefix, not 42
    assert entities.parse_netuid("3") == "3" and entities.parse_netuid("007") == "7"
    assert entities.parse_netuid("65535") == "65535" and entities.parse_netuid("65536") is None
    assert entities.parse_netuid("٣") is None and entities.parse_netuid("3\n") is None
    assert entities.parse_sahara_validator(VALIDATOR_V) == VALIDATOR_V
    assert (
        entities.parse_sahara_validator(VALIDATOR_V[:-1] + ("q" if VALIDATOR_V[-1] != "q" else "p")) is None
    )
    assert entities.parse_sahara_validator(CONSENSUS_W.lower()) == CONSENSUS_W
    assert (
        entities.parse_sahara_validator("sahara1" + VALIDATOR_V[14:]) is None
    )  # an account, not an operator
    assert entities.parse_contributor("0x" + "AB" * 20) == CONTRIBUTOR
    assert entities.parse_contributor("0x" + "ab" * 19) is None

    assert entities.parse(entities.SUBNET, "3") == ("3", None)
    assert (
        entities.parse(entities.SUBNET, None)[1]
        == "The address names no subnet: add one after /bittensor/subnet/."
    )
    assert entities.parse(entities.SUBNET, ["1", "2"])[1].startswith("The address gives the subnet as a list")
    assert entities.parse(entities.HOTKEY, "1;DROP TABLE events")[1] == (
        "“1;DROP TABLE events” is not an SS58 address (prefix 42) with a valid checksum."
    )
    _, long = entities.parse(entities.CONTRIBUTOR, "<script>" + "x" * 500)
    assert long.startswith("“<script>xx") and "…”" in long and len(long) < 200
    _, control = entities.parse(entities.SUBNET, "1\x00\x1b[2J")
    assert "\x00" not in control and "\x1b" not in control


def test_table_cells_naming_an_entity_link_to_its_page_and_nothing_else_does():
    frame = pd.DataFrame(
        {
            "netuid": [3.0, float("nan")],  # a gap makes the column float
            "hotkey": [HOTKEY_A, "not*an_address"],
            "validator_id": [f"3:{HOTKEY_A}", VALIDATOR_V],
            "contributor": [CONTRIBUTOR, None],
            "owner": [HOTKEY_B, HOTKEY_B],  # a coldkey: it has no page
            "rewards": [1.5, 2.0],
        }
    )
    table = data_table("subnet-table", frame)
    markdown = {c["id"] for c in table.columns if c.get("presentation") == "markdown"}
    assert markdown == {"netuid", "hotkey", "validator_id", "contributor"}
    first, second = table.data
    assert first["netuid"] == "[3](/bittensor/subnet/3)"
    assert first["hotkey"] == f"[{HOTKEY_A}](/bittensor/hotkey/{HOTKEY_A})"
    assert first["validator_id"] == f"[3:{HOTKEY_A}](/bittensor/hotkey/{HOTKEY_A})"
    assert second["validator_id"] == f"[{VALIDATOR_V}](/sahara/validator/{VALIDATOR_V})"
    assert first["contributor"] == f"[{CONTRIBUTOR}](/sahara/contributor/{CONTRIBUTOR})"
    assert second["hotkey"] == r"not\*an\_address"  # shown as written, not as markdown
    assert second["netuid"] is None and second["contributor"] is None
    assert first["owner"] == HOTKEY_B and first["rewards"] == 1.5
    assert table.markdown_options == {"link_target": "_self"}
    plain = data_table("subnet-table", pd.DataFrame({"netuid": ["x", "y"]}))
    assert not any(c.get("presentation") for c in plain.columns) and plain.data[0]["netuid"] == "x"


# ------------------------------------------------------------------------------------ hand-built data


def _insert(url: str, table: str, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(c for row in rows for c in row))
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.table(table, *[sa.column(c) for c in columns]).insert(),
                     [{c: row.get(c) for c in columns} for row in rows])  # fmt: skip
    engine.dispose()


def _block(number, time, netuid, tao_in, alpha_out, alpha_in, pool_tao, pool_alpha):
    """One subnet block; amounts in TAO / alpha, stored in base units (1e9)."""
    return {
        "block_number": number, "block_time": _at(time), "netuid": netuid, "subnet_tao_rao": int(pool_tao * RAO),
        "subnet_alpha_in_rao": int(pool_alpha * RAO), "subnet_alpha_out_rao": 0,
        "tao_in_emission_rao": int(tao_in * RAO), "excess_tao_rao": 0, "alpha_in_emission_rao": int(alpha_in * RAO),
        "alpha_out_emission_rao": int(alpha_out * RAO), "event_id": f"b{number}-{netuid}", "seq": number,
    }  # fmt: skip


def _neuron(block, time, netuid, uid, key, permit, stake, emission=0.0, incentive=0.0, dividends=0.0):
    return {
        "event_id": f"n{block}-{netuid}-{uid}", "seq": block, "block_number": block, "block_time": _at(time),
        "netuid": netuid, "uid": uid, "hotkey": key, "stake_rao": int(stake * RAO),
        "emission_rao": int(emission * RAO), "incentive": incentive, "dividends": dividends,
        "validator_permit": permit,
    }  # fmt: skip


def _price(netuid, block, price):
    return {"netuid": netuid, "block_number": block, "price_block": block, "price_tao_per_alpha": price}


def _bittensor(url: str) -> None:
    """Subnet 3 over two hours of 2026-01-15, hotkey A in subnets 3 (validator) and 5 (miner), subnet 4 beside
    them, and subnet 7 with five days of the daily mart only."""
    _insert(url, "stg_bittensor_subnet_blocks", [
        _block(1000, "2026-01-15 10:00:00", 3, 0.5, 1.0, 0.25, 1000.0, 4000.0),
        _block(1001, "2026-01-15 10:00:12", 3, 0.5, 1.0, 0.25, 1000.5, 4000.25),
        _block(1300, "2026-01-15 11:00:00", 3, 0.4, 1.0, 0.2, 1100.0, 4400.0),
        _block(1000, "2026-01-15 10:00:00", 4, 9.0, 9.0, 9.0, 9.0, 9.0),
    ])  # fmt: skip
    _insert(url, "subnet_emission_daily", [
        {"netuid": 3, "day": _at("2026-01-15").date(), "blocks": 3, "tao_injected_tao": 1.4, "excess_tao": 0,
         "alpha_to_pool_alpha": 0.7, "alpha_to_participants_alpha": 3, "owner_cut_alpha": 0, "owner_cut_tao": 0,
         "price_tao_per_alpha": 0.25, "pool_tao": 1100},
        *[{"netuid": 7, "day": _at(f"2026-01-{d:02d}").date(), "blocks": 7200, "tao_injected_tao": 10 + d,
           "excess_tao": 0, "alpha_to_pool_alpha": 2 * d, "alpha_to_participants_alpha": 100 + d,
           "owner_cut_alpha": 0, "owner_cut_tao": 0, "price_tao_per_alpha": d / 10, "pool_tao": 1000 * d}
          for d in (10, 11, 12, 14)],
    ])  # fmt: skip
    _insert(url, "chain_days", [
        {"chain": "bittensor", "day": _at("2026-01-15").date(), "complete": False, "first_block": 990,
         "last_block": 1300, "blocks_stored": 311},
    ])  # fmt: skip
    _insert(url, "stg_bittensor_neurons", [
        _neuron(1000, "2026-01-15 10:00:00", 3, 0, HOTKEY_A, True, 300, emission=2, dividends=0.5),
        _neuron(1000, "2026-01-15 10:00:00", 3, 1, HOTKEY_B, False, 100, emission=1, incentive=1.0),
        _neuron(1001, "2026-01-15 10:00:12", 3, 0, HOTKEY_A, True, 310, emission=2, dividends=0.6),
        _neuron(1001, "2026-01-15 10:00:12", 3, 1, HOTKEY_B, False, 100, emission=1, incentive=0.9),
        _neuron(1001, "2026-01-15 10:00:12", 3, 2, HOTKEY_C, False, 0),
        _neuron(1300, "2026-01-15 11:00:00", 3, 0, HOTKEY_A, True, 320, emission=4, dividends=0.7),
        _neuron(1300, "2026-01-15 11:00:00", 3, 1, HOTKEY_B, False, 90, emission=1, incentive=0.8),
        _neuron(1300, "2026-01-15 11:00:00", 3, 2, HOTKEY_C, False, 5, emission=0.5, incentive=0.2),
        _neuron(2000, "2026-01-15 10:30:00", 5, 7, HOTKEY_A, False, 10, emission=3, incentive=0.25),
        _neuron(2000, "2026-01-15 10:30:00", 4, 0, HOTKEY_B, True, 1000, emission=50),
    ])  # fmt: skip
    _insert(url, "bittensor_epoch_prices", [
        _price(3, 1000, 0.25), _price(3, 1001, 0.5), _price(3, 1300, 0.25), _price(5, 2000, 2.0), _price(4, 2000, 9.0),
    ])  # fmt: skip
    _insert(url, "stg_bittensor_registrations", [
        {"event_id": "r1", "seq": 1, "block_number": 1001, "block_time": _at("2026-01-15 10:00:12"), "netuid": 3,
         "uid": 2, "hotkey": HOTKEY_C},
        {"event_id": "r2", "seq": 2, "block_number": 1450, "block_time": _at("2026-01-15 11:30:00"), "netuid": 3,
         "uid": 1, "hotkey": HOTKEY_B},
        {"event_id": "r3", "seq": 3, "block_number": 1990, "block_time": _at("2026-01-15 10:29:48"), "netuid": 5,
         "uid": 7, "hotkey": HOTKEY_A},
    ])  # fmt: skip
    _insert(url, "bittensor_holders", [
        {"netuid": 3, "uid": 0, "hotkey": HOTKEY_A, "coldkey": HOTKEY_C, "observations": 3, "last_seen_block": 1300},
        {"netuid": 5, "uid": 7, "hotkey": HOTKEY_A, "coldkey": HOTKEY_C, "observations": 1, "last_seen_block": 2000,
         "registered_at": _at("2026-01-15 10:29:48")},
        {"netuid": 4, "uid": 0, "hotkey": HOTKEY_B, "observations": 1, "last_seen_block": 2000},
    ])  # fmt: skip


def test_subnet_history_sums_its_blocks_per_hour_and_keeps_each_hours_last_epoch(warehouse_url):
    _bittensor(warehouse_url)
    history, period = entity_queries.subnet_history(warehouse_url, 3)
    assert period == "hour"
    rows = history.set_index(history["period"].dt.strftime("%H:%M"))
    assert list(rows.index) == ["10:00", "11:00"]
    ten, eleven = rows.loc["10:00"], rows.loc["11:00"]
    # Blocks 1000 and 1001 (subnet 4's block at 10:00 is another subnet's).
    assert (ten["blocks"], eleven["blocks"]) == (2, 1)
    assert ten["tao_injected_tao"] == pytest.approx(1.0) and eleven["tao_injected_tao"] == pytest.approx(0.4)
    assert ten["alpha_to_participants_alpha"] == pytest.approx(2.0)
    assert ten["alpha_to_pool_alpha"] == pytest.approx(0.5) and eleven[
        "alpha_to_pool_alpha"
    ] == pytest.approx(0.2)
    # The hour's last block: 1000.5 TAO over 4000.25 alpha; then 1100 / 4400.
    assert ten["price_tao_per_alpha"] == pytest.approx(1000.5 / 4000.25) and ten["pool_tao"] == pytest.approx(
        1000.5
    )
    assert eleven["price_tao_per_alpha"] == pytest.approx(0.25)
    # The hour's last epoch: 1001 at 0.5 TAO per alpha (310 + 100 + 0 alpha), then 1300 at 0.25.
    assert (ten["epochs"], ten["uids"], ten["miners"], ten["validators"]) == (2, 3, 2, 1)
    assert ten["stake_alpha"] == pytest.approx(410) and ten["stake_tao"] == pytest.approx(205)
    assert eleven["stake_alpha"] == pytest.approx(415) and eleven["stake_tao"] == pytest.approx(103.75)
    assert (ten["registrations"], eleven["registrations"]) == (1, 1)


def test_a_subnet_history_over_more_than_three_days_is_daily_from_the_mart(warehouse_url):
    _bittensor(warehouse_url)
    history, period = entity_queries.subnet_history(warehouse_url, 7)
    assert period == "day"
    # Only the days the mart holds: 2026-01-13 had no data and is not drawn as a zero.
    assert history["period"].dt.strftime("%m-%d").tolist() == ["01-10", "01-11", "01-12", "01-14"]
    assert history["tao_injected_tao"].tolist() == pytest.approx([20, 21, 22, 24])
    assert history["alpha_to_participants_alpha"].tolist() == pytest.approx([110, 111, 112, 114])
    assert history["price_tao_per_alpha"].tolist() == pytest.approx([1.0, 1.1, 1.2, 1.4])
    assert history["registrations"].tolist() == [0, 0, 0, 0] and history["uids"].isna().all()


def test_hotkey_history_converts_each_epoch_at_its_own_price_and_never_adds_alpha_across_subnets(
    warehouse_url,
):
    _bittensor(warehouse_url)
    holdings = entity_queries.hotkey_holdings(warehouse_url, HOTKEY_A)
    assert sorted(holdings["netuid"]) == [3, 5]
    epochs = entity_queries.hotkey_epochs(warehouse_url, HOTKEY_A, holdings["netuid"])
    history = entity_queries.hotkey_history(epochs, "hour")
    rows = {(r.netuid, f"{r.period:%H:%M}"): r for r in history.itertuples()}
    assert sorted(rows) == [(3, "10:00"), (3, "11:00"), (5, "10:00")]  # one row per subnet and hour
    validator = rows[(3, "10:00")]
    assert (validator.uid, validator.epochs, validator.validator_permit) == (0, 2, True)
    assert validator.stake_alpha == pytest.approx(310) and validator.stake_tao == pytest.approx(155)  # at 0.5
    assert validator.emission_alpha == pytest.approx(4)
    assert validator.dividends_tao == pytest.approx(2 * 0.25 + 2 * 0.5) and validator.incentive_tao == 0
    assert rows[(3, "11:00")].dividends_tao == pytest.approx(1.0)
    assert rows[(3, "11:00")].stake_tao == pytest.approx(80) and rows[
        (3, "11:00")
    ].dividends == pytest.approx(0.7)
    miner = rows[(5, "10:00")]
    assert (miner.uid, miner.validator_permit) == (7, False)
    assert (
        miner.stake_tao == pytest.approx(20)
        and miner.incentive_tao == pytest.approx(6)
        and miner.dividends_tao == 0
    )

    page = hotkey.render(warehouse_url, HOTKEY_A, [])
    earned = _traces(_find(page, "hotkey-earnings-chart"))
    assert earned["miner incentive/subnet 5"] == pytest.approx([6.0])
    assert earned["validator dividends/subnet 3"] == pytest.approx([1.5, 1.0])
    stake = _traces(_find(page, "hotkey-stake-chart"))
    assert stake == {
        "stake in TAO/subnet 3": pytest.approx([155, 80]),
        "stake in TAO/subnet 5": pytest.approx([20]),
    }
    facts = _find(page, "entity-facts")
    shown = {f.children[0].children: f.children[1].children for f in facts.children}
    assert (
        shown["stake now, all subnets"] == "100 TAO"
    )  # 80 TAO in subnet 3 + 20 TAO in subnet 5: TAO adds up
    assert shown["validator dividends, whole history"] == "2.5 TAO"
    table = _find(page, "hotkey-history-table")
    assert [r["netuid"] for r in table.data] == ["[3](/bittensor/subnet/3)"] * 2 + [
        "[5](/bittensor/subnet/5)"
    ]
    registrations = _find(page, "hotkey-registrations-table")
    assert [(r["netuid"], r["uid"]) for r in registrations.data] == [("[5](/bittensor/subnet/5)", 7)]


def test_subnet_page_draws_its_history_and_links_its_neurons(warehouse_url):
    _bittensor(warehouse_url)
    _insert(
        warehouse_url,
        "subnets",
        [{"netuid": 3, "owner": HOTKEY_C, "miners": 2, "validators": 1, "tempo": 360}],
    )
    _insert(warehouse_url, "miners", [
        {"netuid": 3, "uid": 1, "hotkey": HOTKEY_B, "observations": 3, "stake_alpha": 90, "stake_tao": 22.5,
         "emission_alpha": 1, "emission_tao": 0.25, "incentive": 0.8},
    ])  # fmt: skip
    page = subnet.render(warehouse_url, "3", [])
    emission = _traces(_find(page, "subnet-emission-chart"))
    assert emission["TAO injected/TAO injected"] == pytest.approx([1.0, 0.4])
    uids = _traces(_find(page, "subnet-uids-chart"))
    assert uids["UIDs · miners · validators/miners"] == [2.0, 2.0]
    assert uids["registrations/registrations"] == [1.0, 1.0]
    assert (
        _find(page, "subnet-emission-chart").figure.layout.yaxis.title.text == "TAO injected (TAO per period)"
    )
    history = _find(page, "subnet-history-table")
    assert [r["period"] for r in history.data] == ["2026-01-15 10:00:00", "2026-01-15 11:00:00"]
    neurons = _find(page, "subnet-neurons-table")
    assert [r["hotkey"] for r in neurons.data] == [f"[{HOTKEY_B}](/bittensor/hotkey/{HOTKEY_B})"]
    assert "one point per hour" in _find(page, "entity-intro").children

    missing = subnet.render(warehouse_url, "42", [])
    assert missing.id == "entity-not-found"
    assert "holds nothing about subnet 42" in str(_find(missing, "entity-notice").children)


def _sahara(url: str) -> None:
    _insert(url, "stg_sahara_validator_sets", [
        {"event_id": f"s{b}-{p}", "seq": b, "block_number": b, "block_time": _at(t), "set_position": p,
         "consensus_address": c, "voting_power": power, "operator_address": op, "reward_atto_usah": 1000.0,
         "commission_atto_usah": commission}
        for b, t, p, c, power, op, commission in [
            (500, "2026-01-15 12:00:00", 0, "AA" * 20, 60, VALIDATOR_V, 100.0),
            (500, "2026-01-15 12:00:00", 1, CONSENSUS_W, 40, VALIDATOR_W, 200.0),
            (620, "2026-01-15 13:00:00", 0, CONSENSUS_W, 150, VALIDATOR_W, 200.0),
            (620, "2026-01-15 13:00:00", 1, "AA" * 20, 50, VALIDATOR_V, 50.0),
        ]
    ])  # fmt: skip
    _insert(url, "stg_sahara_delegation_flows", [
        {"event_id": e, "side": side, "seq": i, "validator": VALIDATOR_V, "delegator": d, "amount_usah": amount,
         "block_number": 500 + i, "block_time": _at(t)}
        for i, (e, side, d, amount, t) in enumerate([
            ("f1", "delegate", "sahara1alice", 10 * USAH, "2026-01-15 12:10:00"),
            ("f2", "unbond", "sahara1alice", -4 * USAH, "2026-01-15 12:20:00"),
            ("f3", "redelegate_in", "sahara1bob", 2 * USAH, "2026-01-15 13:10:00"),
        ])
    ])  # fmt: skip
    _insert(url, "sahara_delegations", [
        {"validator": VALIDATOR_V, "delegator": d, "net_usah": n * USAH, "changes": c, "first_block": 500,
         "last_block": 502, "last_changed_at": _at("2026-01-15 13:10:00")}
        for d, n, c in (("sahara1alice", 6, 2), ("sahara1bob", 2, 1))
    ])  # fmt: skip
    _insert(url, "validators", [
        {"chain": "sahara", "validator_id": VALIDATOR_W, "address": VALIDATOR_W, "consensus_address": CONSENSUS_W,
         "voting_power": 150, "delegators": 0, "commission_rate": 0.2},
    ])  # fmt: skip


def test_sahara_validator_history_power_share_commission_and_delegations(warehouse_url):
    _sahara(warehouse_url)
    sets = entity_queries.sahara_validator_sets(warehouse_url, VALIDATOR_V, by_consensus=False)
    flows = entity_queries.sahara_validator_flows(warehouse_url, VALIDATOR_V)
    history = entity_queries.sahara_validator_history(sets, flows, "hour")
    rows = history.set_index(history["period"].dt.strftime("%H:%M"))
    assert list(rows.index) == ["12:00", "13:00"]
    assert rows["voting_power"].tolist() == [60, 50]
    assert rows["power_share"].tolist() == pytest.approx([60 / 100, 50 / 200])
    assert rows["commission_rate"].tolist() == pytest.approx([0.1, 0.05])
    assert rows["delegated_sahara"].tolist() == pytest.approx([10, 2])
    assert rows["undelegated_sahara"].tolist() == pytest.approx([4, 0])
    assert rows["net_flow_sahara"].tolist() == pytest.approx([6, 2])
    assert rows["cumulative_net_flow_sahara"].tolist() == pytest.approx([6, 8])
    assert rows["flows"].tolist() == [2, 1] and rows["observations"].tolist() == [1, 1]

    page = sahara_validator.render(warehouse_url, VALIDATOR_V, [])
    power = _traces(_find(page, "validator-power-chart"))
    assert power["voting power/voting power"] == [60.0, 50.0]
    delegators = _find(page, "validator-delegations-table")
    assert [(r["delegator"], r["net_sahara"]) for r in delegators.data] == [
        ("sahara1alice", 6.0),
        ("sahara1bob", 2.0),
    ]

    # W by its consensus address: its sets found by that address, its row of the validators mart shown.
    by_consensus = sahara_validator.render(warehouse_url, CONSENSUS_W, [])
    assert _traces(_find(by_consensus, "validator-power-chart"))["voting power/voting power"] == [40.0, 150.0]
    facts = {
        f.children[0].children: f.children[1].children for f in _find(by_consensus, "entity-facts").children
    }
    assert facts["operator"] == VALIDATOR_W and facts["voting power"] == "150 SAHARA"
    assert sahara_validator.render(warehouse_url, valoper(bytes([1] * 20)), []).id == "entity-not-found"


def _contributor_events(url: str) -> None:
    engine = db.make_engine(url)
    minted = [
        Event("sahara", "evm", 900 + i, f"0:{i}", "Reputation.ReputationMinted",
              datetime.fromisoformat(t).replace(tzinfo=UTC), {"holder": holder, "tier": tier, "tokenId": str(i)})
        for i, (holder, tier, t) in enumerate([
            (CONTRIBUTOR, 1, "2026-01-15 10:30:00"), (CONTRIBUTOR, 2, "2026-01-15 11:00:00"),
            (OTHER, 5, "2026-01-15 10:40:00"),
        ])
    ]  # fmt: skip
    append_batch(engine, source="evm", stream="test", range_unit="block", range_start=900, range_end=903,
                 events=minted)  # fmt: skip
    engine.dispose()


def test_contributor_history_annotations_acceptance_rewards_and_reputation(warehouse_url):
    _insert(warehouse_url, "annotations", [
        {"annotation_id": a, "task_id": "t1", "contributor": c, "submitted_at": _at(s) if s else None,
         "reviewed_at": _at(r) if r else None, "accepted": ok, "reward_sahara": reward}
        for a, c, s, r, ok, reward in [
            ("a1", CONTRIBUTOR, "2026-01-15 09:10:00", "2026-01-15 10:05:00", True, 2),
            ("a2", CONTRIBUTOR, "2026-01-15 09:20:00", "2026-01-15 10:10:00", False, None),
            ("a3", CONTRIBUTOR, "2026-01-15 10:30:00", None, None, None),
            ("a4", OTHER, "2026-01-15 09:10:00", "2026-01-15 09:15:00", True, 9),
        ]
    ])  # fmt: skip
    _insert(warehouse_url, "stg_sahara_annotation_events", [
        {"event_id": e, "seq": i, "kind": "paid", "annotation_id": a, "contributor": c, "amount_usah": amount,
         "block_number": 800 + i, "log_index": 0, "block_time": _at(t)}
        for i, (e, a, c, amount, t) in enumerate([
            ("p1", "a1", CONTRIBUTOR, 2 * USAH, "2026-01-15 10:05:00"),
            ("p2", None, CONTRIBUTOR, USAH // 2, "2026-01-15 11:00:00"),
            ("p3", "a4", OTHER, 9 * USAH, "2026-01-15 09:15:00"),
        ])
    ])  # fmt: skip
    _contributor_events(warehouse_url)
    annotations = entity_queries.contributor_annotations(warehouse_url, CONTRIBUTOR)
    payments = entity_queries.contributor_payments(warehouse_url, CONTRIBUTOR)
    reputation = entity_queries.contributor_reputation(warehouse_url, CONTRIBUTOR)
    assert reputation["tier"].tolist() == [1, 2]
    history = entity_queries.contributor_history(annotations, payments, reputation, "hour")
    rows = history.set_index(history["period"].dt.strftime("%H:%M"))
    assert list(rows.index) == ["09:00", "10:00", "11:00"]
    assert rows["submitted"].tolist() == [2, 1, 0]
    assert rows["reviewed"].tolist() == [0, 2, 0] and rows["accepted"].tolist() == [0, 1, 0]
    assert math.isnan(rows.loc["09:00", "acceptance_rate"]) and rows.loc["10:00", "acceptance_rate"] == 0.5
    assert rows["payments"].tolist() == [0, 1, 1]
    assert rows["rewards_sahara"].tolist() == pytest.approx([0, 2, 0.5])
    assert rows["cumulative_rewards_sahara"].tolist() == pytest.approx([0, 2, 2.5])
    assert math.isnan(rows.loc["09:00", "reputation_tier"]) and rows["reputation_tier"].tolist()[1:] == [1, 2]

    # A checksummed (mixed-case) address names the same contributor: the warehouse stores lower case.
    parsed, _ = entities.parse(entities.CONTRIBUTOR, "0x" + "aB" * 20)
    page = contributor.render(warehouse_url, parsed, [])
    rewards = _traces(_find(page, "contributor-rewards-chart"))
    assert rewards["rewards paid so far/rewards paid so far"] == pytest.approx([0, 2, 2.5])
    assert contributor.render(warehouse_url, "0x" + "ef" * 20, []).id == "entity-not-found"


# ------------------------------------------------------------------------------------------- router
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from dashboards.app import create_app

    url = f"duckdb:///{tmp_path_factory.mktemp('entity-router') / 'warehouse.duckdb'}"
    db.migrate(url)
    _bittensor(url)
    app = create_app(url)
    test_client = app.server.test_client()
    assert test_client.get("/").status_code == 200
    return test_client


def _route(client, pathname, search=""):
    """What the page router answers for a location, as the browser asks it."""
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }  # fmt: skip
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, response.get_data(as_text=True)


def test_each_entity_page_opens_from_its_path(client):
    status, text = _route(client, "/bittensor/subnet/3")
    assert status == 200 and '"id":"subnet-emission-chart"' in text and "Subnet 3" in text
    status, text = _route(client, f"/bittensor/hotkey/{HOTKEY_A}")
    assert status == 200 and '"id":"hotkey-earnings-chart"' in text
    assert client.get(f"/bittensor/hotkey/{HOTKEY_A}").status_code == 200
    # Not in the menu: the navigation lists the section pages only.
    shell = client.get("/").get_data(as_text=True)
    assert "/bittensor/subnet" not in shell and "/sahara/contributor" not in shell


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/bittensor/subnet", "The address names no subnet"),
        ("/bittensor/subnet/abc", "is not a subnet id"),
        ("/bittensor/subnet/70000", "is not a subnet id"),
        ("/bittensor/subnet/1;DROP TABLE events", "is not a subnet id"),
        ("/bittensor/subnet/3%27%20OR%201=1", "is not a subnet id"),
        ("/bittensor/subnet/3/4", "is not a subnet id"),
        ("/bittensor/subnet/99", "holds nothing about subnet 99"),
        ("/bittensor/hotkey/" + ALICE[:-1] + "Z", "valid checksum"),
        ("/bittensor/hotkey/" + ALICE, "holds no registration or metagraph observation"),
        ("/sahara/validator/<script>alert(1)</script>", "is not a Sahara operator address"),
        ("/sahara/validator/" + VALIDATOR_V, "holds no validator set"),
        ("/sahara/contributor/0x12", "is not an EVM address"),
        ("/sahara/contributor/" + "0x" + "1" * 40, "holds no annotation"),
        ("/sahara/contributor/" + "x" * 5000, "is not an EVM address"),
    ],
)
def test_a_missing_malformed_or_unknown_id_gets_the_not_found_notice(client, path, says):
    status, text = _route(client, path)
    assert status == 200
    content = json.loads(text)["response"]["_pages_content"]["children"]
    assert content["props"]["id"] == "entity-not-found"
    assert says in json.dumps(content, ensure_ascii=False)
    assert "Traceback" not in text and "<script>" not in json.dumps(content["props"]["children"][0])


def test_the_query_of_an_entity_page_is_ignored_with_a_notice(client):
    status, text = _route(client, "/bittensor/subnet/3", "?netuid_x=1&as_of=2026-01-01")
    assert status == 200 and '"id":"subnet-emission-chart"' in text
    assert "`netuid_x` is not a parameter of this page" in text and "`as_of` is not a parameter" in text


def test_random_paths_under_the_entity_pages_never_get_a_server_error(client):
    rng = random.Random(20260115)
    alphabet = "0123456789abcdefABCDEF;'\"<>%/\\ \x00\u202eé٣"
    for prefix in ("/bittensor/subnet/", "/bittensor/hotkey/", "/sahara/validator/", "/sahara/contributor/"):
        for _ in range(25):
            tail = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
            status, text = _route(client, prefix + tail)
            assert status == 200 and "Traceback" not in text, (prefix, tail)
    for search in (["?a=1"], {"netuid": 3}, 7):
        status, _text = _route(client, "/bittensor/subnet/3", search)
        assert status == 200


def test_history_figures_say_the_unit_of_every_axis_and_never_pad_empty_periods():
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-01-10", "2026-01-14"]),
            "tao_injected_tao": [1.0, 2.0],
            "uids": [3, None],
        }
    )
    figure = entity_view.history_figure(
        frame,
        [entity_view.Series("tao_injected_tao", "TAO injected", "subnet_history.tao_injected_tao", "bar"),
         entity_view.Series("uids", "UIDs", "subnet_history.uids")],
        "t", "day",
    )  # fmt: skip
    assert [len(t.x) for t in figure.data] == [2, 1]  # 4 days apart: no zero rows in between
    assert figure.layout.yaxis.title.text == "TAO injected (TAO per period)"
    assert figure.layout.xaxis2.title.text == "UTC day" and figure.layout.title.text == "t (daily)"
    empty = entity_view.history_figure(frame.iloc[0:0], [], "t", "hour")
    assert empty.layout.annotations[0].text == "Nothing in the warehouse for this chart yet"
    assert isinstance(data_table("subnet-history-table", frame), dash_table.DataTable)
