"""Entity pages in headless Chromium: every one opened by clicking a link in a table, its history chart
drawn, its CSV exported with plain ids.

The warehouse is the chain pages' one (about an hour of both chains after a day of Sahara EVM logs, from
the devnet). What each page shows is checked against the raw event store — the devnet's events as
ingested, read straight from their payloads — not against the queries behind the page.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from tests import test_dashboard_browser as browser_tests
from tests import test_dashboard_chain_pages as chain_pages
from warehouse.db import read_sql

# The Chromium and warehouse fixtures of the other browser tests, shared rather than copied.
browser, page = browser_tests.browser, browser_tests.page
chain_warehouse, chain_dashboard = chain_pages.chain_warehouse, chain_pages.chain_dashboard


def _sql(url: str, sql: str) -> pd.DataFrame:
    return read_sql(sql, {}, url=url)


def _drawn(page, chart_id: str) -> list[dict]:
    browser_tests._wait_for_plot(page, chart_id, "d.some(t => (t.y || []).length > 0)")
    return browser_tests._traces(page, chart_id)


def _open_first_link(page, table_id: str, column: str) -> str:
    """Click the first link of a table's column, as a user would; the link's text (the plain id)."""
    link = page.locator(f"#{table_id} td[data-dash-column={column}] a").first
    link.wait_for()
    text = link.inner_text().strip()
    link.click()
    return text


def test_a_subnet_opens_from_the_leaderboard_with_its_history_and_csv(page, chain_dashboard, chain_warehouse):
    page.goto(chain_dashboard + "/bittensor")
    netuid = int(_open_first_link(page, "subnet-table", "netuid"))
    page.wait_for_url(re.compile(rf"/bittensor/subnet/{netuid}$"))
    # The heading names the subnet as the devnet does (`subnet-<netuid>`).
    assert page.inner_text("#entity-heading") == f"Subnet {netuid} · subnet-{netuid}"
    traces = _drawn(page, "subnet-emission-chart")
    # Every EmissionObserved block: the TAO it injected into each subnet's pool, from the events' payloads.
    blocks = _sql(
        chain_warehouse,
        "SELECT block_time, payload FROM events WHERE event_type = 'SubtensorModule.EmissionObserved' "
        "ORDER BY block_number",
    )
    injected: dict[str, float] = {}
    for block in blocks.itertuples():
        payload = json.loads(block.payload) if isinstance(block.payload, str) else block.payload
        for pool in payload["subnets"]:
            if int(pool["netuid"]) == netuid:
                hour = f"{pd.Timestamp(block.block_time):%Y-%m-%d %H}:00:00"
                injected[hour] = injected.get(hour, 0.0) + int(pool["tao_in_emission"]) / 1e9
    assert len(injected) >= 2  # the stored hour of blocks straddles two clock hours
    tao = next(t for t in traces if t["name"] == "TAO injected")
    assert tao["y"] == pytest.approx(list(injected.values()))

    rows = browser_tests.download_csv(page, "#subnet-history-table button.export")
    registered = _sql(
        chain_warehouse,
        "SELECT COUNT(*) AS n FROM events WHERE event_type = 'SubtensorModule.NeuronRegistered' "
        f"AND CAST(payload->>'netuid' AS INTEGER) = {netuid}",
    )
    assert sum(int(r["registrations"]) for r in rows) == int(registered["n"][0])
    assert {r["period"]: float(r["tao_injected_tao"]) for r in rows} == pytest.approx(injected)
    assert page.locator("#subnet-stake-flow-chart .js-plotly-plot").count() == 1
    browser_tests._shot(page, "entity-subnet")
    assert page.console_errors == []


def test_a_hotkey_opens_from_its_subnets_neurons_with_its_stake_in_each_subnet(
    page, chain_dashboard, chain_warehouse
):
    netuid = int(_sql(chain_warehouse, "SELECT MIN(netuid) AS n FROM miners WHERE netuid > 0")["n"][0])
    page.goto(chain_dashboard + f"/bittensor/subnet/{netuid}")
    hotkey = _open_first_link(page, "subnet-neurons-table", "hotkey")
    page.wait_for_url(re.compile(rf"/bittensor/hotkey/{hotkey}$"))
    stake = _drawn(page, "hotkey-stake-chart")
    assert [t["name"] for t in stake] == [f"subnet {netuid}"]
    rows = browser_tests.download_csv(page, "#hotkey-history-table button.export")
    # The hotkey's metagraph observations, read from the events' payloads: stake in the subnet's alpha.
    observed = _sql(
        chain_warehouse,
        "SELECT CAST(payload->>'netuid' AS INTEGER) AS netuid, CAST(payload->>'stake' AS DOUBLE PRECISION) / 1e9 "
        "AS stake_alpha, block_time FROM events WHERE event_type = 'SubtensorModule.NeuronObserved' "
        f"AND payload->>'hotkey' = '{hotkey}' ORDER BY block_number",
    )
    assert len(observed) >= 1
    # The CSV holds the plain netuid (the table shows it as a link to the subnet's page).
    assert {r["netuid"] for r in rows} == {str(n) for n in observed["netuid"]}
    last = observed.groupby("netuid").tail(1).set_index("netuid")["stake_alpha"]
    shown = {int(r["netuid"]): float(r["stake_alpha"]) for r in rows}
    assert shown == pytest.approx(last.to_dict())
    price = _sql(
        chain_warehouse,
        f"SELECT price_tao_per_alpha FROM bittensor_epoch_prices WHERE netuid = {netuid} ORDER BY block_number DESC",
    )["price_tao_per_alpha"][0]
    assert float(rows[-1]["stake_tao"]) == pytest.approx(shown[netuid] * price)
    assert stake[0]["y"][-1] == pytest.approx(shown[netuid] * price)
    browser_tests._shot(page, "entity-hotkey")

    # Back to the subnet from the UIDs it held: the netuid is a link there too.
    assert int(_open_first_link(page, "hotkey-holdings-table", "netuid")) == netuid
    page.wait_for_url(re.compile(rf"/bittensor/subnet/{netuid}$"))
    page.wait_for_selector("#subnet-emission-chart .js-plotly-plot")
    assert page.console_errors == []


def test_a_sahara_validator_opens_from_the_validators_table_with_its_voting_power(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/sahara")
    validator = _open_first_link(page, "sahara-validators-table", "validator_id")
    page.wait_for_url(re.compile(rf"/sahara/validator/{validator}$"))
    power = _drawn(page, "validator-power-chart")
    rows = browser_tests.download_csv(page, "#validator-history-table button.export")
    consensus = _sql(
        chain_warehouse,
        f"SELECT consensus_address FROM validators WHERE chain = 'sahara' AND validator_id = '{validator}'",
    )["consensus_address"][0]
    observed = _sql(
        chain_warehouse,
        "SELECT CAST(payload->>'voting_power' AS BIGINT) AS power FROM events "
        f"WHERE event_type = 'staking.ValidatorObserved' AND payload->>'address' = '{consensus}' "
        "ORDER BY block_number",
    )
    assert len(observed) >= 1
    assert [int(r["voting_power"]) for r in rows] == [int(observed["power"].iloc[-1])]
    voting = next(t for t in power if t["name"] == "voting power")
    assert voting["y"] == [float(observed["power"].iloc[-1])]
    browser_tests._shot(page, "entity-sahara-validator")
    assert page.console_errors == []


def test_a_contributor_opens_from_the_top_contributors_with_their_rewards(
    page, chain_dashboard, chain_warehouse
):
    page.goto(chain_dashboard + "/sahara")
    contributor = _open_first_link(page, "contributors-table", "contributor")
    page.wait_for_url(re.compile(rf"/sahara/contributor/{contributor}$"))
    rewards = _drawn(page, "contributor-rewards-chart")
    rows = browser_tests.download_csv(page, "#contributor-history-table button.export")
    paid = _sql(
        chain_warehouse,
        "SELECT SUM(CAST(payload->>'amount' AS DOUBLE PRECISION)) / 1e18 AS sahara, COUNT(*) AS n FROM events "
        f"WHERE event_type = 'DataServices.RewardPaid' AND payload->>'contributor' = '{contributor}'",
    )
    assert int(paid["n"][0]) >= 1
    assert sum(float(r["rewards_sahara"]) for r in rows) == pytest.approx(float(paid["sahara"][0]))
    assert sum(int(r["payments"]) for r in rows) == int(paid["n"][0])
    so_far = next(t for t in rewards if t["name"] == "rewards paid so far")
    assert so_far["y"][-1] == pytest.approx(float(paid["sahara"][0]))
    submitted = _sql(
        chain_warehouse,
        "SELECT COUNT(*) AS n FROM events WHERE event_type = 'DataServices.AnnotationSubmitted' "
        f"AND payload->>'contributor' = '{contributor}'",
    )
    assert sum(int(r["submitted"]) for r in rows) == int(submitted["n"][0])
    browser_tests._shot(page, "entity-contributor")
    assert page.console_errors == []


def test_a_subnets_drill_down_links_the_subnets_page(page, chain_dashboard):
    page.goto(chain_dashboard + "/bittensor")
    cell = page.locator("#subnet-table td[data-dash-column=miners]").first
    cell.wait_for()
    cell.click()  # a cell that is not a link: the row's drill-down
    link = page.locator("#subnet-table-drill-links a")
    link.wait_for()
    netuid = re.fullmatch(r"subnet (\d+)", link.inner_text()).group(1)
    link.click()
    page.wait_for_url(re.compile(rf"/bittensor/subnet/{netuid}$"))
    page.wait_for_selector("#subnet-emission-chart .js-plotly-plot")
    assert page.console_errors == []


def test_a_hostile_or_unknown_id_shows_the_not_found_notice_and_changes_nothing(
    page, chain_dashboard, chain_warehouse
):
    count = "SELECT COUNT(*) AS n FROM events"
    before = int(_sql(chain_warehouse, count)["n"][0])
    for path, says in (
        ("/bittensor/subnet/1;DROP TABLE events", "is not a subnet id"),
        ("/bittensor/subnet/9999", "holds nothing about subnet 9999"),
        ("/bittensor/hotkey/'%20OR%201=1--", "is not an SS58 address"),
        ("/sahara/validator/%3Cscript%3Ealert(1)%3C/script%3E", "is not a Sahara operator address"),
        ("/sahara/contributor/0x" + "0" * 40, "holds no annotation"),
    ):
        page.goto(chain_dashboard + path)
        page.wait_for_selector("#entity-notice")
        assert says in page.inner_text("#entity-notice"), path
    assert int(_sql(chain_warehouse, count)["n"][0]) == before > 0
    browser_tests._shot(page, "entity-not-found")
    assert page.console_errors == []
