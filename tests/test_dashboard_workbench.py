"""The SQL workbench (`/sql`): one read-only statement, run as `decai sql` runs it, on both engines.

Callback-level tests post the Run button's request to the app and read what comes back: rows written
into the warehouse by hand come back as a table and as lines over their day, the row cap is said, a
refusal or a database error is one line. In headless Chromium every statement of the read path's
attack suite (`tests/test_read_path_security.py`) is typed into the editor and run: each gets a
refusal or an error message, the warehouse is unchanged (checksums) and no file appears. The page then
runs an example from the dropdown, draws its chart, exports its CSV and restores it from its link.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import sqlalchemy as sa

from dashboards.controls import NOTICE_HEADING
from dashboards.pages import workbench
from tests import test_dashboard_browser as browser_tests
from tests.test_read_path_security import REFUSED_BY_DATABASE, _attacks, _checksum, _seed
from warehouse import db

# The Chromium fixtures of the other browser tests, shared rather than copied.
browser, page = browser_tests.browser, browser_tests.page

#: The quotes written into market_caps_daily by hand: coin -> (day of January 2026, price, market cap).
QUOTES = {
    "bittensor": [(12, 250.0, 2.4e9), (13, 260.0, 2.5e9), (14, 255.5, 2.45e9)],
    "sahara-ai": [(12, 0.09, 1.8e8), (13, 0.1, 2.0e8), (14, 0.11, 2.2e8)],
}


def _write_quotes(url: str) -> None:
    rows = [
        {"coin_id": coin, "day": datetime(2026, 1, day), "price_usd": price, "market_cap_usd": cap,
         "total_volume_usd": 1e6, "observed_at": datetime(2026, 1, day, 23), "quotes": 24,
         "event_id": f"{coin[:4]}{day:028d}", "hours_stored": 24, "complete": True}
        for coin, quotes in QUOTES.items()
        for day, price, cap in quotes
    ]  # fmt: skip
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.table("market_caps_daily", *[sa.column(c) for c in rows[0]]).insert(), rows)
    engine.dispose()


# ------------------------------------------------------------------------------ callback level

RUN_KEY = "..workbench-result.children...workbench-url.search.."


def _run(client, statement, clicks: int = 1) -> tuple[dict, object]:
    """Post the Run button's click with `statement` in the editor; the result area and the address."""
    body = {
        "output": RUN_KEY,
        "outputs": [
            {"id": "workbench-result", "property": "children"},
            {"id": "workbench-url", "property": "search"},
        ],
        "inputs": [{"id": "workbench-run", "property": "n_clicks", "value": clicks}],
        "state": [{"id": "workbench-editor", "property": "value", "value": statement}],
        "changedPropIds": ["workbench-run.n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    answer = json.loads(response.get_data(as_text=True))["response"]
    return answer["workbench-result"]["children"], answer.get("workbench-url", {}).get("search")


def _find(component, component_id: str):
    """The component with `component_id` inside a rendered tree (plain JSON), or None."""
    if isinstance(component, list):
        return next((f for c in component if (f := _find(c, component_id)) is not None), None)
    if not isinstance(component, dict):
        return None
    props = component.get("props", {})
    if props.get("id") == component_id:
        return component
    return _find(props.get("children"), component_id)


def _values(array) -> list:
    """A figure's array as plotly sends it: a list, or a typed array {dtype, bdata (base64)}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


@pytest.fixture()
def client(warehouse_url):
    from dashboards.app import create_app

    _write_quotes(warehouse_url)
    app = create_app(warehouse_url)
    client = app.server.test_client()
    assert client.get("/sql").status_code == 200  # the first request completes the callback map
    return client


def test_an_example_returns_its_rows_a_table_and_a_line_per_coin_and_measure(client):
    statement = workbench.EXAMPLES["v_market_daily"]
    result, search = _run(client, statement)
    assert _find(result, "workbench-message") is None
    assert _find(result, "workbench-summary")["props"]["children"].startswith("6 rows × 4 columns in ")
    assert _find(result, "workbench-capped") is None
    table = _find(result, "workbench-table")["props"]
    assert [c["id"] for c in table["columns"]] == ["coin_id", "day", "price_usd", "market_cap_usd"]
    # The example orders by day descending, then coin.
    assert [(r["coin_id"], r["day"], r["price_usd"]) for r in table["data"]] == [
        ("bittensor", "2026-01-14 00:00:00", 255.5),
        ("sahara-ai", "2026-01-14 00:00:00", 0.11),
        ("bittensor", "2026-01-13 00:00:00", 260.0),
        ("sahara-ai", "2026-01-13 00:00:00", 0.1),
        ("bittensor", "2026-01-12 00:00:00", 250.0),
        ("sahara-ai", "2026-01-12 00:00:00", 0.09),
    ]
    assert table["export_format"] == "csv"
    figure = _find(result, "workbench-chart")["props"]["figure"]
    lines = {t["name"]: ([x[:10] for x in _values(t["x"])], _values(t["y"])) for t in figure["data"]}
    days = ["2026-01-12", "2026-01-13", "2026-01-14"]
    assert lines == {
        "price_usd · bittensor": (days, [250.0, 260.0, 255.5]),
        "price_usd · sahara-ai": (days, [0.09, 0.1, 0.11]),
        "market_cap_usd · bittensor": (days, [2.4e9, 2.5e9, 2.45e9]),
        "market_cap_usd · sahara-ai": (days, [1.8e8, 2.0e8, 2.2e8]),
    }
    # The click wrote the statement into the address.
    assert parse_qs(search.lstrip("?")) == {"q": [statement]}


def test_a_date_column_and_exact_decimals_draw_one_line(client):
    result, _ = _run(
        client,
        "SELECT CAST(day AS DATE) AS d, CAST(price_usd AS NUMERIC(10, 2)) AS price, coin_id "
        "FROM market_caps_daily WHERE coin_id = 'bittensor' ORDER BY d DESC",
    )
    figure = _find(result, "workbench-chart")["props"]["figure"]
    assert len(figure["data"]) == 1 and figure["data"][0]["name"] == "price"
    assert [x[:10] for x in _values(figure["data"][0]["x"])] == ["2026-01-12", "2026-01-13", "2026-01-14"]
    assert _values(figure["data"][0]["y"]) == [250.0, 260.0, 255.5]
    rows = _find(result, "workbench-table")["props"]["data"]
    assert rows[0] == {"d": "2026-01-14", "price": 255.5, "coin_id": "bittensor"}


def test_rows_without_a_time_column_are_a_table_only(client):
    result, _ = _run(client, "SELECT coin_id, COUNT(*) AS days FROM market_caps_daily GROUP BY coin_id")
    assert _find(result, "workbench-chart") is None
    rows = _find(result, "workbench-table")["props"]["data"]
    assert sorted((r["coin_id"], r["days"]) for r in rows) == [("bittensor", 3), ("sahara-ai", 3)]


def test_the_row_cap_cuts_the_result_and_says_so(client, monkeypatch):
    monkeypatch.setattr(workbench, "MAX_ROWS", 4)
    result, _ = _run(client, "SELECT coin_id, day FROM market_caps_daily ORDER BY day, coin_id")
    assert len(_find(result, "workbench-table")["props"]["data"]) == 4
    assert _find(result, "workbench-capped")["props"]["children"].startswith(
        "Only the first 4 rows are shown: the statement returns more."
    )
    result, _ = _run(client, "SELECT coin_id FROM market_caps_daily WHERE coin_id = 'bittensor'")
    assert _find(result, "workbench-capped") is None


def test_a_statement_running_past_the_timeout_is_cancelled_and_says_so(client, warehouse_url, monkeypatch):
    monkeypatch.setattr(workbench, "TIMEOUT_SECONDS", 1.0)
    slow = (
        "SELECT pg_sleep(5)"
        if db.dialect_of(warehouse_url) == "postgresql"
        else "SELECT SUM(HASH(i)) FROM range(20000000000) AS t(i)"
    )
    started = time.monotonic()
    result, _ = _run(client, slow)
    assert _find(result, "workbench-message")["props"]["children"] == (
        "Cancelled: the query ran longer than 1 s and was cancelled."
    )
    assert time.monotonic() - started < 4.5


def test_refusals_and_database_errors_are_one_line_never_a_traceback(client):
    cases = {
        "DELETE FROM market_caps_daily": "Refused: `DELETE`",
        "SELECT 1; DELETE FROM market_caps_daily": "Refused: one statement at a time: the query holds 2",
        "SELECT * FROM no_such_table": "Query failed: ",
        "SELEC 1": "Refused: ",
        "   ": workbench.PROMPT,
        "x" * (workbench.MAX_STATEMENT_LENGTH + 1): "Refused: the statement is 10,001 characters long",
        7: "The statement is a number, not text.",
    }
    for statement, says in cases.items():
        result, search = _run(client, statement)
        message = _find(result, "workbench-message")["props"]["children"]
        assert message.startswith(says), (statement, message)
        assert "\n" not in message and "Traceback" not in message and "[SQL:" not in message
        assert _find(result, "workbench-table") is None
        if isinstance(statement, str) and len(statement) > workbench.MAX_STATEMENT_LENGTH:
            assert search is None  # not written into the address
    _result, search = _run(client, "DELETE FROM market_caps_daily")
    assert parse_qs(search.lstrip("?")) == {
        "q": ["DELETE FROM market_caps_daily"]
    }  # shareable, still refused
    result, _ = _run(client, "SELECT COUNT(*) AS n FROM market_caps_daily")
    assert _find(result, "workbench-table")["props"]["data"] == [{"n": 6}]


def test_the_example_dropdown_fills_the_editor(client):
    body = {
        "output": "workbench-editor.value",
        "outputs": {"id": "workbench-editor", "property": "value"},
        "inputs": [{"id": "workbench-example", "property": "value", "value": "v_freshness"}],
        "state": [],
        "changedPropIds": ["workbench-example.value"],
    }
    answer = client.post("/_dash-update-component", json=body)
    assert json.loads(answer.get_data(as_text=True))["response"]["workbench-editor"]["value"] == (
        "SELECT source, stream, position, last_block_time FROM v_freshness ORDER BY source"
    )
    for junk in ("no_such_view", ["v_freshness"], {"a": 1}, None):
        body["inputs"][0]["value"] = junk
        assert client.post("/_dash-update-component", json=body).status_code == 204


# ------------------------------------------------------------------------------ the URL


def test_the_statement_in_the_url_follows_the_state_conventions():
    statement = "SELECT chain, day FROM v_comparison_daily WHERE chain = 'sahara' AND x <> '&q=1' -- #"
    search = workbench.to_search(statement)
    assert workbench.parse_statement(parse_qs(search.lstrip("?"))["q"]) == (statement, [])
    assert workbench.to_search("  ") == "" and workbench.parse_statement("  ") == (None, [])
    assert workbench.parse_statement(["SELECT 1", "SELECT 2"]) == (
        "SELECT 2",
        ["`q` was given 2 times; the last value is used."],
    )
    assert workbench.parse_statement({"a": 1}) == (
        None,
        ["`q` is an object, not text; the editor starts empty."],
    )
    too_long, notices = workbench.parse_statement("x" * 10_001)
    assert too_long is None and notices == [
        "`q` is too long (10,001 characters, at most 10,000); the editor starts empty."
    ]


def _tree(component) -> dict:
    """A rendered layout as the browser receives it (plain JSON)."""
    from plotly.utils import PlotlyJSONEncoder

    return json.loads(json.dumps(component, cls=PlotlyJSONEncoder))


def test_a_link_opens_with_its_statement_and_says_what_it_could_not_use(duckdb_url):
    from dashboards.app import create_app

    app = create_app(duckdb_url)
    with app.server.test_request_context("/sql"):
        shown = _tree(workbench.layout(q="SELECT 1 AS one"))
        assert _find(shown, "workbench-editor")["props"]["value"] == "SELECT 1 AS one"
        assert _find(shown, "workbench-notice")["props"]["children"] == []
        shown = _tree(workbench.layout(q="x" * 20_000, colour="red"))
    assert _find(shown, "workbench-editor")["props"]["value"] == ""
    text = json.dumps(_find(shown, "workbench-notice"))
    assert NOTICE_HEADING in text and "`q` is too long (20,000 characters" in text
    assert "`colour` is not a parameter of this dashboard" in text
    assert "x" * 100 not in text  # the value is not echoed back


# ------------------------------------------------------------------------------ in Chromium


@contextlib.contextmanager
def _served(url: str):
    from werkzeug.serving import make_server

    from dashboards.app import create_app

    server = make_server("127.0.0.1", 0, create_app(url).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def _run_in_page(page, statement: str, run: int):
    """Type `statement` into the editor, press Run and wait for that run's answer."""
    page.locator("#workbench-editor").fill(statement)
    page.locator("#workbench-run").click()
    answer = page.locator(f'#workbench-result [data-run="{run}"]')
    answer.wait_for()
    return answer


def test_the_workbench_refuses_every_attack_and_the_warehouse_stays_the_same(
    page, warehouse_url, tmp_path, monkeypatch
):
    attack_dir = tmp_path / "attack"
    attack_dir.mkdir()
    monkeypatch.chdir(attack_dir)  # a relative COPY target would land here
    _seed(warehouse_url)
    _write_quotes(warehouse_url)
    before = _checksum(warehouse_url)
    attacks = _attacks(attack_dir)
    assert len(attacks) >= 59
    with _served(warehouse_url) as base:
        page.goto(base + "/sql")
        page.wait_for_selector('#workbench-result [data-run="0"]')
        not_refused, parser_refusals = [], 0
        for run, statement in enumerate(attacks, start=1):
            answer = _run_in_page(page, statement, run)
            if answer.locator("#workbench-message").count() != 1:
                not_refused.append((statement, answer.inner_text()[:300]))
                continue
            message = answer.locator("#workbench-message").inner_text()
            assert "\n" not in message and "Traceback" not in message, (statement, message)
            assert "root:" not in message, f"{statement!r} read /etc/passwd: {message}"
            if message.startswith("Refused: "):
                parser_refusals += 1
            elif message.startswith("Query failed: "):
                assert any(f in statement for f in REFUSED_BY_DATABASE), f"{statement!r} reached the database"
            else:
                not_refused.append((statement, message))
        assert not not_refused, "not refused:\n" + "\n".join(map(repr, not_refused))
        assert parser_refusals >= len(attacks) - 10
        # The last statement is in the address, as typed, to be shared.
        assert parse_qs(urlsplit(page.url).query) == {"q": [attacks[-1]]}

        # An ordinary read still answers: an example from the dropdown, its chart and its CSV.
        page.click("#workbench-example")
        page.get_by_role("option", name=workbench.EXAMPLE_LABELS["v_market_daily"], exact=True).click()
        page.wait_for_function(
            f"document.querySelector('#workbench-editor').value === {json.dumps(workbench.EXAMPLES['v_market_daily'])}"
        )
        _run_in_page(page, workbench.EXAMPLES["v_market_daily"], len(attacks) + 1)
        browser_tests._wait_for_plot(page, "workbench-chart", "d.length === 4")
        traces = {t["name"]: t["y"] for t in browser_tests._traces(page, "workbench-chart")}
        assert traces["price_usd · bittensor"] == [250.0, 260.0, 255.5]
        with page.expect_download() as download:
            page.locator("#workbench-table button.export").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        exported = list(csv.DictReader(io.StringIO(text)))
        assert [(r["coin_id"], r["price_usd"]) for r in exported][:2] == [
            ("bittensor", "255.5"),
            ("sahara-ai", "0.11"),
        ]
        assert len(exported) == 6
        browser_tests._shot(page, f"workbench-{db.dialect_of(warehouse_url)}")

        # Back restores the previous statement and its answer; the link opens the page with the
        # statement in the editor and runs it.
        shared = page.url
        page.go_back()
        page.wait_for_function(
            f"document.querySelector('#workbench-editor')?.value === {json.dumps(attacks[-1])}"
        )
        page.wait_for_selector('#workbench-result [data-run="0"] #workbench-message')
        assert page.inner_text("#workbench-message").startswith(("Refused: ", "Query failed: "))
        page.goto(base + "/")
        page.goto(shared)
        page.wait_for_selector('#workbench-result [data-run="0"] #workbench-table')
        assert page.input_value("#workbench-editor") == workbench.EXAMPLES["v_market_daily"]
        assert page.inner_text("#workbench-notice") == ""
    assert _checksum(warehouse_url) == before
    assert list(attack_dir.iterdir()) == []
    assert page.console_errors == []
