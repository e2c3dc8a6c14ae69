"""Sahara's node keeps the encoded answers that can never change, and keeping them changes no answer.

CometBFT's `block` and `block_results` at an explicit height below the head (over JSON-RPC POST and
URI GET) and `eth_getBlockByNumber` at a block number below the head are served from kept bytes: the
same bytes as the answer encoded afresh from the simulation, with the request's own id. The head,
the latest block and anything pruned are never answered from what was kept.
"""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.applications import Starlette

from devnet.answers import AnswerCache, envelope
from devnet.sahara import SaharaDevnet
from devnet.sahara.common import DEFAULT_GENESIS

SEED = 5
SCALE = 0.01


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class Client:
    """Requests to an ASGI app in this process, one at a time."""

    def __init__(self, app) -> None:
        self.app = app

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://devnet") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self._send("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self._send("POST", path, **kwargs)


def _node(clock: Clock) -> tuple[SaharaDevnet, Client]:
    sahara = SaharaDevnet.from_options(SEED, SCALE, clock)
    return sahara, Client(Starlette(routes=sahara.routes()))


def _fresh(body) -> bytes:
    """An answer as a node that keeps nothing writes it."""
    return json.dumps(body, separators=(",", ":")).encode()


def test_kept_cometbft_answers_are_the_fresh_answers_with_the_requests_ids():
    clock = Clock(DEFAULT_GENESIS + 600)
    sahara, client = _node(clock)
    head = sahara.chain.head()
    assert head > 100
    reference, _ = _node(clock)  # a second node, to encode the same answers afresh
    reference.comet.answers = AnswerCache(limit=0)

    def batch(first_id):
        calls = [
            ("block", {"height": str(head - 3)}),
            ("block_results", [str(head - 3)]),
            ("block_results", {"height": str(head)}),  # the head: never kept
            ("block", {}),  # the latest block: never kept
        ]
        return [
            {"jsonrpc": "2.0", "id": first_id + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]

    first = client.post("/cometbft", json=batch(0))
    assert len(sahara.comet.answers) == 2  # block and block_results below the head
    again = client.post("/cometbft", json=batch(70))
    for response, first_id in ((first, 0), (again, 70)):
        assert response.status_code == 200
        expected = [
            {
                "jsonrpc": "2.0",
                "id": r["id"],
                "result": reference.comet.call("v0.38", r["method"], r["params"]),
            }
            for r in batch(first_id)
        ]
        assert response.content == _fresh(expected)
    assert [a["id"] for a in again.json()] == [70, 71, 72, 73]
    assert again.json()[0]["result"]["block"]["header"]["height"] == str(head - 3)
    assert len(sahara.comet.answers) == 2

    # A string id, and the same height over the URI form: the kept result inside each envelope.
    single = client.post(
        "/cometbft", json={"jsonrpc": "2.0", "id": "a-7", "method": "block", "params": [str(head - 3)]}
    )
    kept = sahara.comet.answers.get(("v0.38", "block", head - 3))
    assert single.content == envelope("a-7", kept)
    assert json.loads(single.content)["id"] == "a-7"
    uri = client.get("/cometbft/block", params={"height": head - 3})
    assert uri.content == _fresh(
        {"jsonrpc": "2.0", "id": -1, "result": reference.comet.call("v0.38", "block", {"height": head - 3})}
    )


def test_the_head_is_kept_only_once_the_chain_has_moved_past_it_and_pruning_still_applies():
    clock = Clock(DEFAULT_GENESIS + 600)
    sahara, client = _node(clock)
    head = sahara.chain.head()
    call = {"jsonrpc": "2.0", "id": 1, "method": "block_results", "params": {"height": str(head)}}
    assert client.post("/cometbft", json=call).json()["result"]["height"] == str(head)
    assert sahara.comet.answers.get(("v0.38", "block_results", head)) is None
    clock.now += 10  # two blocks later
    assert sahara.chain.head() == head + 2
    moved = client.post("/cometbft", json=call)
    assert sahara.comet.answers.get(("v0.38", "block_results", head)) is not None
    client.post("/_devnet/sahara", json={"lowest_height": head + 1})
    pruned = client.post("/cometbft", json=call).json()
    assert pruned["error"]["data"] == f"height {head} is not available, lowest height is {head + 1}"
    client.post("/_devnet/sahara", json={"lowest_height": 1})
    assert client.post("/cometbft", json=call).content == moved.content


def test_kept_evm_blocks_are_the_fresh_answers_and_latest_is_never_kept():
    clock = Clock(DEFAULT_GENESIS + 600)
    sahara, client = _node(clock)
    head = sahara.chain.head()
    reference, _ = _node(clock)
    reference.evm.answers = AnswerCache(limit=0)

    def batch(first_id):
        params = [[hex(head - 2), True], [hex(head - 2), False], ["latest", False], [hex(head), False]]
        return [
            {"jsonrpc": "2.0", "id": first_id + i, "method": "eth_getBlockByNumber", "params": p}
            for i, p in enumerate(params)
        ]

    for first_id in (1, 50):
        response = client.post("/evm", json=batch(first_id))
        assert response.content == _fresh([reference.evm.handle(r) for r in batch(first_id)])
        assert len(sahara.evm.answers) == 2  # full and hashes-only below the head; latest and head not kept
    answers = response.json()
    assert [a["id"] for a in answers] == [50, 51, 52, 53]
    assert answers[0]["result"]["number"] == hex(head - 2) and answers[2]["result"]["number"] == hex(head)
    assert isinstance(answers[0]["result"]["transactions"], list)
    single = {"jsonrpc": "2.0", "id": "z", "method": "eth_getBlockByNumber", "params": [hex(head - 2), False]}
    assert client.post("/evm", json=single).content == _fresh(reference.evm.handle(single))


def test_the_answer_cache_keeps_at_most_its_byte_budget():
    cache = AnswerCache(limit=10)
    cache.put("a", b"12345")
    cache.put("b", b"123456")  # over budget: the least recently used goes
    assert cache.get("a") is None and cache.get("b") == b"123456" and cache.size == 6
    cache.put("c", b"x" * 11)  # longer than the whole budget: not kept
    assert cache.get("c") is None and cache.size == 6
