"""`decai devnet --latency-ms N`: every chain and market request waits at least N ms, as a distant
node's would; a JSON-RPC batch is one request; the control endpoints do not wait; the jitter comes
from the seed. Only lower bounds on elapsed time are asserted (a busy machine can only add time)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from devnet.latency import Latency
from tests.conftest import DEVNET_NOW

LATENCY_S = 0.080
REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def slow_devnet(tmp_path_factory):
    """`decai devnet --latency-ms 80` in a process of its own, as a user starts it."""
    folder = tmp_path_factory.mktemp("latency")
    endpoints_file = folder / "endpoints.json"
    now = datetime.fromtimestamp(DEVNET_NOW, UTC).isoformat().replace("+00:00", "Z")
    command = [
        sys.executable, "-m", "etl.cli", "devnet", "--latency-ms", "80", "--port", str(_free_port()),
        "--now", now, "--rate-limit", "0", "--endpoints-file", str(endpoints_file),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy()
    )
    try:
        deadline = time.monotonic() + 120
        endpoints = None
        while endpoints is None:
            if process.poll() is not None:
                raise AssertionError(f"decai devnet exited: {process.stdout.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("decai devnet --latency-ms 80 did not start within 120 s")
            try:
                endpoints = json.loads(endpoints_file.read_text())
                httpx.get(endpoints["control"] + "/latency", timeout=5).raise_for_status()
            except (OSError, ValueError, httpx.TransportError):
                endpoints = None
                time.sleep(0.2)
        yield endpoints
    finally:
        process.terminate()
        process.wait(timeout=30)


def _delayed(endpoints) -> int:
    return httpx.get(endpoints["control"] + "/latency").json()["requests_delayed"]


def _elapsed(send) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    response = send()
    return time.perf_counter() - began, response


def test_every_wire_endpoint_waits_at_least_the_latency(slow_devnet):
    state = httpx.get(slow_devnet["control"] + "/latency").json()
    assert state["ms"] == 80 and state["jitter_ms"] == pytest.approx(16)  # a fifth by default
    with httpx.Client(timeout=30) as client:
        requests = {
            "subtensor": lambda: client.post(
                slow_devnet["subtensor"], json={"jsonrpc": "2.0", "id": 1, "method": "chain_getFinalizedHead"}
            ),
            "cometbft": lambda: client.get(slow_devnet["cometbft"] + "/status"),
            "evm": lambda: client.post(
                slow_devnet["evm"],
                json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            ),
            "coingecko": lambda: client.get(
                slow_devnet["coingecko"] + "/coins/bittensor/market_chart/range",
                params={"vs_currency": "usd", "from": DEVNET_NOW - 86400, "to": DEVNET_NOW},
            ),
        }
        for name, send in requests.items():
            for _ in range(3):
                before = _delayed(slow_devnet)
                seconds, response = _elapsed(send)
                assert response.status_code == 200, (name, response.text[:200])
                assert seconds >= LATENCY_S, (name, seconds)
                assert _delayed(slow_devnet) == before + 1, name  # the control reads themselves never wait


BATCHES = {  # endpoint -> (method, params of call i, what each answer's result holds)
    "subtensor": ("chain_getBlockHash", lambda i: [i], lambda r: r.startswith("0x")),
    "cometbft": ("block", lambda i: {"height": str(i + 1)}, lambda r: r["block"]["header"]["height"]),
    "evm": ("eth_getBlockByNumber", lambda i: [hex(i + 1), False], lambda r: r["hash"].startswith("0x")),
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_a_json_rpc_batch_is_one_request_and_waits_once(slow_devnet, name):
    method, params, holds = BATCHES[name]
    batch = [{"jsonrpc": "2.0", "id": i, "method": method, "params": params(i)} for i in range(50)]
    before = _delayed(slow_devnet)
    seconds, response = _elapsed(lambda: httpx.post(slow_devnet[name], json=batch, timeout=30))
    answers = response.json()
    assert sorted(a["id"] for a in answers) == list(range(50)) and all(holds(a["result"]) for a in answers)
    assert seconds >= LATENCY_S
    assert _delayed(slow_devnet) == before + 1


def test_each_websocket_answer_waits(slow_devnet):
    with connect(slow_devnet["subtensor_ws"]) as ws:
        for i in range(3):
            began = time.perf_counter()
            ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "system_chain", "params": []}))
            answer = json.loads(ws.recv(timeout=30))
            assert answer["id"] == i and answer["result"]
            assert time.perf_counter() - began >= LATENCY_S


def test_the_latency_can_be_changed_and_removed_on_the_control_endpoint(slow_devnet):
    control = slow_devnet["control"] + "/latency"
    try:
        assert httpx.post(control, json={"ms": 0, "jitter_ms": 0}).json()["ms"] == 0
        httpx.get(slow_devnet["cometbft"] + "/status")
        assert _delayed(slow_devnet) == 0
        assert httpx.post(control, json={"ms": -1}).status_code == 400
    finally:
        httpx.post(control, json={"ms": 80})
    seconds, _ = _elapsed(lambda: httpx.get(slow_devnet["cometbft"] + "/status"))
    assert seconds >= LATENCY_S


def test_the_jitter_is_drawn_from_the_seed_within_its_bounds():
    draws = [Latency(80, seed=7).draw() for _ in range(1)]
    first, second = Latency(80, seed=7), Latency(80, seed=7)
    a = [first.draw() for _ in range(200)]
    assert a == [second.draw() for _ in range(200)]  # same seed, same delays
    other = Latency(80, seed=8)
    assert a != [other.draw() for _ in range(200)]
    assert all(0.080 <= s <= 0.096 for s in a) and draws[0] == a[0]
    assert max(a) - min(a) > 0.010  # the jitter spreads over most of its 16 ms
    wide = Latency(80, jitter_ms=40, seed=7)
    assert all(0.080 <= wide.draw() <= 0.120 for _ in range(100))
    assert Latency(0, seed=7).draw() == 0.0
    with pytest.raises(ValueError):
        Latency(-5)
