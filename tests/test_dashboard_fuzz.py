"""Hostile requests to the dashboard: fuzzed callback bodies and paths outside the Data Docs site.

Every callback of the app (enumerated from its callback map, so a new one is fuzzed too) is POSTed to
`/_dash-update-component` with seeded random values:

- control values of the wrong type or shape (lists where text is expected, numbers, nested objects,
  huge strings, bad dates, None) while the callback's trigger is a real one: the answer is a 200 that
  carries the bad-link notice, never a server error;
- every value random, triggers and the page's own store included: never a server error (a callback
  may decline to update, HTTP 204);
- the values the controls really hold: the panels draw the warehouse (quotes only: the market-cap
  chart draws them, every chain chart says it has nothing, the cards, freshness and validation tables
  show the two coins), and no notice appears.
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter

import numpy as np
import pytest

from dashboards.controls import CONTROLS, NAV_LINK, NOTICE_HEADING
from tests.conftest import DEVNET_NOW

DAY = 86400
SEED = 20260115
#: Control id and property -> control name.
CONTROL_OF = {f"{cid}.{prop}": name for name, (cid, prop) in CONTROLS.items()}
VALID_CONTROLS = {
    "start": "2026-01-12",
    "end": "2026-01-15",
    "as_of": None,
    "chain": "both",
    "netuid": None,
    "scale": "log",
}


def _junk(rng: random.Random, depth: int = 0):
    """A value a browser never sends for a control: wrong type, wrong shape, too long, not a date."""
    makers = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.choice([0, -1, 7, 2**64 + 1, -(2**70)]),
        lambda: rng.choice([3.5, -0.0, 1e308]),
        lambda: rng.choice(
            ["", " ", "\x00", "both\n", "ＬＯＧ", "٣", "2026-02-30", "2026-13-45", "9999-01-01"]
        ),
        lambda: rng.choice(["x" * 41, "2026-01-01" * 1000, "'; DROP TABLE events; --", "<script>x</script>"]),
        lambda: "x" * 200_000,
        lambda: "2026-01-01T00:00:00" + rng.choice(["", "Z", "+99:00"]),
    ]
    if depth < 3:
        makers += [
            lambda: [_junk(rng, depth + 1) for _ in range(rng.randrange(4))],
            lambda: {
                "a": _junk(rng, depth + 1),
                "points": [_junk(rng, depth + 1)],
                "row_id": _junk(rng, depth + 1),
            },
        ]
    return rng.choice(makers)()


def _wrong_type(rng: random.Random, control: str):
    """A junk value that is surely not what `control` holds (None and plain text can be valid, and
    the subnet dropdown holds whole numbers 0-65535)."""
    while True:
        value = _junk(rng)
        subnet_id = type(value) is int and 0 <= value <= 65_535
        if (
            value is not None
            and not isinstance(value, str)
            and not (control.startswith("netuid") and subnet_id)
        ):
            return value


def _dep_id(text: str):
    return json.loads(text) if text.startswith("{") else text


def _outputs(key: str):
    if key.startswith(".."):
        specs = [part.rsplit(".", 1) for part in key[2:-2].split("...")]
        return [{"id": _dep_id(i), "property": p} for i, p in specs]
    i, p = key.rsplit(".", 1)
    return {"id": _dep_id(i), "property": p}


def _body(key: str, callback: dict, value_of, changed: str | None = None) -> dict:
    """A `/_dash-update-component` request for one callback; `value_of(dep_key)` gives each value."""

    def entries(deps):
        out = []
        for dep in deps:
            dep_id = _dep_id(dep["id"])
            if isinstance(dep_id, dict):  # a pattern-matching (ALL) dependency: the nav links
                out.append([{"id": link, "property": dep["property"], "value": value_of(dep, link)}
                            for link in NAV_IDS])  # fmt: skip
            else:
                out.append({"id": dep_id, "property": dep["property"], "value": value_of(dep, None)})
        return out

    inputs = entries(callback["inputs"])
    first = callback["inputs"][0]
    body = {
        "output": key,
        "outputs": _outputs(key),
        "inputs": inputs,
        "state": entries(callback["state"]),
        "changedPropIds": [changed or f"{first['id']}.{first['property']}"],
    }
    if isinstance(body["outputs"], dict) and isinstance(body["outputs"]["id"], dict):
        body["outputs"] = [{"id": link, "property": body["outputs"]["property"]} for link in NAV_IDS]
    return body


NAV_IDS = [{"type": NAV_LINK, "page": p} for p in ("/", "/bittensor", "/sahara", "/compare", "/quality")]
PAGE_STORE = {"path": "/", "parameters": ["start", "end", "chain", "scale"],
              "defaults": {"start": "2025-12-17", "end": "2026-01-15"}}  # fmt: skip


def _valid_value(dep: dict, link) -> object:
    """What the browser sends for a dependency that is not a control: a real trigger."""
    name = f"{dep['id']}.{dep['property']}"
    if name in CONTROL_OF:
        return VALID_CONTROLS[CONTROL_OF[name]]
    prop = dep["property"]
    if link is not None:
        return link if prop == "id" else "/"
    return {
        "n_clicks": 1,
        "clickData": {"points": [{"customdata": ["bittensor", "2026-01-15"], "x": "2026-01-15", "y": 1}]},
        "active_cell": {"row": 0, "column": 0, "row_id": 1},
        "search": "",
        "pathname": "/",
        "data": PAGE_STORE,
        "value": None,
    }.get(prop)


@pytest.fixture(scope="module")
def loaded_app(tmp_path_factory, devnet):
    """The app on a DuckDB warehouse holding three days of market data from the devnet."""
    from dashboards.app import create_app
    from etl.connections import CoinGeckoConnection
    from etl.pipeline.market import ingest_coin_window
    from warehouse import db
    from warehouse.projections import run_all

    url = f"duckdb:///{tmp_path_factory.mktemp('dashboard-fuzz') / 'warehouse.duckdb'}"
    db.migrate(url)
    connection = CoinGeckoConnection(devnet.endpoints["coingecko"])
    for coin in ("bittensor", "sahara-ai"):
        ingest_coin_window(connection, coin, DEVNET_NOW - 3 * DAY, DEVNET_NOW, warehouse_url=url)
    engine = db.make_engine(url)
    run_all(engine)
    engine.dispose()
    app = create_app(url)
    client = app.server.test_client()
    assert client.get("/").status_code == 200  # the first request completes the callback map
    return app, client


def _callbacks(app) -> dict:
    """Every callback the server runs (a clientside one, such as the page title's, has no function)."""
    callbacks = {key: cb for key, cb in app.callback_map.items() if "callback" in cb}
    assert len(callbacks) >= 60, sorted(callbacks)  # every panel's render, CSV and drill, and the rest
    return callbacks


def _controls_of(callback: dict) -> list[str]:
    return [
        f"{d['id']}.{d['property']}"
        for d in callback["inputs"] + callback["state"]
        if f"{d['id']}.{d['property']}" in CONTROL_OF
    ]


def test_wrongly_typed_control_values_get_the_notice_from_every_callback(loaded_app):
    app, client = loaded_app
    rng = random.Random(SEED)
    statuses: Counter = Counter()
    fuzzed = 0
    for key, callback in sorted(_callbacks(app).items()):
        controls = _controls_of(callback)
        if not controls:
            continue
        for _ in range(12):
            bad = set(rng.sample(controls, rng.randint(1, len(controls))))
            junk = {name: _wrong_type(rng, name) for name in bad}

            def value_of(dep, link, junk=junk):
                name = f"{dep['id']}.{dep['property']}"
                return junk[name] if name in junk else _valid_value(dep, link)

            trigger = next(iter(bad)) if key.startswith("..") else None  # sync_url: a control changed
            response = client.post("/_dash-update-component", json=_body(key, callback, value_of, trigger))
            statuses[response.status_code] += 1
            fuzzed += 1
            assert response.status_code == 200, (key, junk, response.status_code)
            assert NOTICE_HEADING in response.get_data(as_text=True), (key, junk)
    assert fuzzed >= 40 * 12 and statuses == Counter({200: fuzzed})


def test_fully_random_callback_bodies_never_get_a_server_error(loaded_app):
    app, client = loaded_app
    rng = random.Random(SEED + 1)
    statuses: Counter = Counter()
    for key, callback in sorted(_callbacks(app).items()):
        for _ in range(8):
            body = _body(key, callback, lambda dep, link: _junk(rng))
            response = client.post("/_dash-update-component", json=body)
            statuses[response.status_code] += 1
            assert response.status_code in (200, 204), (key, response.status_code, json.dumps(body)[:300])
    assert sum(statuses.values()) >= 60 * 8 and statuses[200] > statuses[204]


def test_the_controls_real_values_draw_the_warehouse_without_a_notice(loaded_app):
    app, client = loaded_app
    drawn = {}
    for key, callback in sorted(_callbacks(app).items()):
        if (
            not _controls_of(callback)
            or key.startswith("..")
            or key.endswith(("-download.data", "-drill.children"))
        ):
            continue
        response = client.post("/_dash-update-component", json=_body(key, callback, _valid_value))
        assert response.status_code == 200, key
        text = response.get_data(as_text=True)
        assert NOTICE_HEADING not in text, key
        drawn[key] = json.loads(text)["response"]
    figure = drawn["market-cap-chart.figure"]["market-cap-chart"]["figure"]
    # The warehouse holds 3 days x 24 hourly quotes per coin, 2026-01-12 12:00 to 2026-01-15 11:00: three
    # days of data are drawn a point a UTC day, the first and the last day partial (a trace of their own).
    points: dict[str, dict] = {}
    for trace in figure["data"]:
        y = trace["y"]  # plotly sends numbers as typed arrays: {"dtype": "f8", "bdata": base64}
        values = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]) if isinstance(y, dict) else y
        series = points.setdefault(trace["name"].removesuffix(" (partial day)"), {})
        series.update({x[:10]: v for x, v in zip(trace["x"], values, strict=True) if v is not None})
    assert set(points) == {"Bittensor (TAO)", "Sahara AI (SAHARA)"}
    for series in points.values():
        assert sorted(series) == ["2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15"]
        assert series["2026-01-12"] == 100
    csv = client.post(
        "/_dash-update-component",
        json=_body("market-cap-chart-download.data", app.callback_map["market-cap-chart-download.data"],
                   _valid_value),
    )  # fmt: skip
    assert csv.status_code == 200 and "bittensor" in csv.get_data(as_text=True)

    # The warehouse holds quotes only: the market-cap chart is the one chart with points, and every other
    # chart says in words that it has none, never a blank chart.
    charts = {
        key: props["figure"]
        for key, answer in drawn.items()
        for props in answer.values()
        if "figure" in props
    }
    with_points = {
        key for key, figure in charts.items()
        if any(_length(t.get("x")) for t in figure["data"] if not str(t.get("name", "")).startswith("Equal"))
    }  # fmt: skip
    saying_none = {
        key for key, figure in charts.items()
        if any(str(a.get("text", "")).startswith("No ") for a in figure["layout"].get("annotations", []))
    }  # fmt: skip
    assert with_points == {"market-cap-chart.figure"} and saying_none == set(charts) - with_points
    # The cards: both coins' market figures from the last quote (11:00, the hour before the devnet's
    # noon), and no chain figure yet.
    cards = _components(drawn["kpi-cards.children"])
    assert next(c["children"] for c in cards if c.get("id") == "as-of") == "As of 2026-01-15 11:00 UTC"
    for coin in ("kpi-bittensor", "kpi-sahara-ai"):
        (card,) = [c for c in cards if c.get("id") == coin]
        shown = {k["data-kpi"]: _strong_text(k) for k in _components(card) if "data-kpi" in k}
        assert all(shown[k].startswith("$") for k in ("market_cap", "price", "volume_24h")), (coin, shown)
        assert all(shown[k] == "–" for k in ("participants", "validators", "gini", "nakamoto")), (coin, shown)
    # Freshness and validation: each coin's stream to the window's end, 72 quotes validated in one run.
    freshness = _table(drawn["freshness.children"], "freshness-table")
    assert [(r["source"], r["stream"], r["position"], r["last_data_at"]) for r in freshness] == [
        ("coingecko", coin, DEVNET_NOW, "2026-01-15 11:00:00") for coin in ("bittensor", "sahara-ai")
    ]
    results = _table(drawn["dq-results.children"], "dq-results-table")
    assert [(r["suite"], r["stream"], r["outcome"], r["rows_validated"], r["runs"]) for r in results] == [
        ("market_quotes", coin, "passed", 72, 1) for coin in ("bittensor", "sahara-ai")
    ]
    # Nothing was quarantined, and the tables of chain figures have no row.
    assert _table(drawn["quarantine-rules.children"], "quarantine-rules-table") == []
    for key, table in (
        ("ecosystem-daily", "ecosystem-daily-table"),
        ("sahara-validators", "sahara-validators-table"),
        ("stake-flow-table", "stake-flow-rows"),
        ("marketplace", "marketplace-table"),
    ):
        assert _table(drawn[f"{key}.children"], table) == [], key  # fmt: skip


def _length(array) -> int:
    """How many values a figure's array holds: a list, or plotly's typed array {dtype, bdata (base64)}."""
    if isinstance(array, dict):
        return len(np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]))
    return len(array or [])


def _components(tree) -> list[dict]:
    """The props of every component in a callback's answer (Dash's JSON of components), depth first."""
    if isinstance(tree, list):
        return [props for child in tree for props in _components(child)]
    if not isinstance(tree, dict):
        return []
    props = tree.get("props", tree)
    if "type" not in tree and "props" not in tree:  # an answer: {component id: {property: value}}
        return [p for value in tree.values() for p in _components(value)]
    return [props, *_components(props.get("children"))]


def _strong_text(kpi: dict) -> str:
    """The value a KPI shows (its Strong: text, or text and a unit span)."""
    value = kpi["children"][1]["props"]["children"]
    return value if isinstance(value, str) else value[0]


def _table(answer, table_id: str) -> list[dict]:
    (table,) = [c for c in _components(answer) if c.get("id") == table_id]
    return table["data"]


def test_the_workbench_answers_any_statement_with_a_message_or_rows(loaded_app):
    """The SQL workbench's editor and Run button are not controls, but the browser may send anything
    for them too: each junk statement or click count gets its one-line message, never a server error,
    and the warehouse still answers a real statement afterwards."""
    app, client = loaded_app
    key = "..workbench-result.children...workbench-url.search.."
    callback = app.callback_map[key]
    rng = random.Random(SEED + 2)
    for _ in range(40):
        statement, clicks = _junk(rng), _junk(rng)

        def value_of(dep, link, statement=statement, clicks=clicks):
            return clicks if dep["property"] == "n_clicks" else statement

        response = client.post(
            "/_dash-update-component", json=_body(key, callback, value_of, "workbench-run.n_clicks")
        )
        assert response.status_code == 200, (statement, clicks)
        text = response.get_data(as_text=True)
        assert '"workbench-message"' in text and "Traceback" not in text, (statement, clicks)
    real = _body(key, callback, lambda dep, link: 1 if dep["property"] == "n_clicks" else
                 "SELECT COUNT(*) AS quotes FROM market_caps", "workbench-run.n_clicks")  # fmt: skip
    answer = json.loads(client.post("/_dash-update-component", json=real).get_data(as_text=True))
    table = answer["response"]["workbench-result"]["children"]["props"]["children"][-1]["props"]
    assert table["id"] == "workbench-table"
    assert table["data"] == [{"quotes": 144}]  # 3 days x 24 hourly quotes x 2 coins


def test_a_request_for_an_output_without_a_server_callback_is_refused(loaded_app):
    _app, client = loaded_app
    for body in ({"output": "_pages_dummy.children", "inputs": [], "state": []},
                 {"output": "no-such-chart.figure", "inputs": [], "state": []},
                 {"output": ["market-cap-chart.figure"]}, [1, 2], "text"):  # fmt: skip
        assert client.post("/_dash-update-component", json=body).status_code == 400


def test_the_navigation_links_ignore_a_search_that_is_not_text(loaded_app):
    app, client = loaded_app
    key = next(k for k in _callbacks(app) if NAV_LINK in k)
    for search in (
        ["?start=2026-01-01"],
        {"chain": "sahara"},
        7,
        "x" * 100_000,
        "?chain=sahara&scale=linear",
    ):
        body = _body(
            key, app.callback_map[key], lambda dep, link, s=search: link if dep["property"] == "id" else s
        )
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200
        hrefs = [v["href"] for v in json.loads(response.get_data(as_text=True))["response"].values()]
        expected = ["/", "/bittensor", "/sahara", "/compare", "/quality"]
        if search == "?chain=sahara&scale=linear":  # a real search is carried to the pages taking it
            assert hrefs[0] == "/?chain=sahara&scale=linear" and hrefs[4] == "/quality?chain=sahara"
        else:
            assert hrefs == expected


# ------------------------------------------------------------------------------------ /data-docs/
@pytest.fixture()
def data_docs_site(tmp_path, monkeypatch):
    """A Data Docs site with one page, and a secret file beside it (outside the site)."""
    import etl.settings as settings

    root = tmp_path / "gx-home"
    site = root / "gx" / "uncommitted" / "data_docs" / "local_site"
    (site / "static").mkdir(parents=True)
    (site / "index.html").write_text("<html>the docs</html>")
    (site / "static" / "style.css").write_text("body {}")
    (root / "secret.txt").write_text("outside")
    (tmp_path / "outside.html").write_text("outside")
    (site / "link-out.html").symlink_to(tmp_path / "outside.html")
    monkeypatch.setattr(settings, "gx_dir", lambda: root)
    return site


def test_data_docs_serve_only_files_inside_the_site(data_docs_site, tmp_path):
    from dashboards.app import create_app

    client = create_app(f"duckdb:///{tmp_path / 'unused.duckdb'}").server.test_client()
    assert client.get("/data-docs/").get_data(as_text=True) == "<html>the docs</html>"
    assert client.get("/data-docs/static/style.css").status_code == 200
    missing = client.get("/data-docs/no-such-page.html")
    assert missing.status_code == 404
    assert (
        client.get("/data-docs/link-out.html").status_code,
        client.get("/data-docs/link-out.html").data,
    ) == (
        404,
        missing.data,
    )  # a symlink inside the site that points out of it
    for template in (
        "/data-docs/../../{}",
        "/data-docs/%2e%2e/%2e%2e/%2e%2e/%2e%2e/{}",
        "/data-docs/..%2f..%2f..%2f..%2f{}",
        "/data-docs/static/../../../../{}",
        "/data-docs/..\\..\\{}",
        "/data-docs/../../../../../../../../../{}",
        "/data-docs//{}",
        "/data-docs/%2f{}",
    ):
        # A file outside the site and a file that exists nowhere get the same answer, never the file.
        exists = client.get(template.format("secret.txt"))
        absent = client.get(template.format("no-such-file.txt"))
        assert exists.status_code == absent.status_code in (200, 404), template
        assert b"outside" not in exists.data
        if exists.status_code == 200:  # a path Flask does not route to /data-docs/: Dash's page shell
            assert b"_dash-config" in exists.data and b"_dash-config" in absent.data
        else:
            assert exists.data == absent.data == missing.data
    for absolute in (
        "/data-docs//etc/passwd",
        "/data-docs/%2fetc%2fpasswd",
        "/data-docs/../../../../../etc/passwd",
    ):
        assert b"root:" not in client.get(absolute).data


# ------------------------------------------------------------------------------------ serving
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp lists them) of the sockets listening on `port`."""
    out = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, _remote, state = line.split()[1:4]
        address, port_hex = local.split(":")
        if int(port_hex, 16) == port and state == "0A":  # 0A: LISTEN
            out.add(address)
    return out


def _start_dashboard(tmp_path, *args: str):
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = _free_port()
    env = {**os.environ, "WAREHOUSE_URL": f"duckdb:///{tmp_path / 'served.duckdb'}"}
    command = [sys.executable, "-m", "etl.cli", "dashboard", "--port", str(port), *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            return process, port, httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()
            time.sleep(0.5)
    process.kill()
    raise AssertionError("the dashboard did not answer within 120 s")


def _stop(process) -> str:
    import signal

    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    return err


def test_the_dashboard_runs_on_waitress_with_workers_on_loopback_by_default(tmp_path):
    import subprocess

    process, port, response = _start_dashboard(tmp_path, "--workers", "2", "--threads", "2")
    try:
        assert response.status_code == 200 and "DecAI Compare" in response.text
        assert response.headers["server"] == "decai-dashboard"  # waitress, not Werkzeug's dev server
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        workers = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) == 2
    finally:
        err = _stop(process)
    assert "proxy" not in err
    for pid in workers:  # the workers stop with their parent
        assert subprocess.run(["kill", "-0", pid], capture_output=True).returncode != 0


def test_listening_beyond_loopback_says_to_put_an_authenticating_proxy_in_front(tmp_path):
    from typer.testing import CliRunner

    from etl.cli import app

    process, port, response = _start_dashboard(tmp_path, "--host", "0.0.0.0")
    try:
        assert response.status_code == 200
        assert _listening_addresses(port) == {"00000000"}
    finally:
        err = _stop(process)
    assert "authenticating reverse proxy" in " ".join(err.split())
    debug = CliRunner().invoke(app, ["dashboard", "--host", "0.0.0.0", "--debug"])
    assert debug.exit_code == 2 and "loopback only" in debug.output
