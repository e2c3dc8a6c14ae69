"""The devnet keeps answers that can never change, and keeping them changes no answer.

Subtensor calls fixed at a block hash (storage, runtime API, header) and CometBFT's `block` and
`block_results` at a height are served from kept JSON the second time; a client sees the same bytes
as from a devnet that keeps nothing, with its own ids, and a block that is unknown, in the future or
pruned is answered as a node answers it, never from what was kept.
"""

from __future__ import annotations

import json

import httpx

from devnet.subtensor.chain import DEFAULT_NOW, SubtensorChain
from devnet.subtensor.encoding import EVENTS_KEY
from devnet.subtensor.rpc import AnswerCache, SubtensorRpc


def _batch(chain: SubtensorChain, block: int, first_id: int) -> str:
    h = chain.block_hash(block)
    calls = [
        ("state_getStorage", [EVENTS_KEY, h]),
        ("state_call", ["SubnetInfoRuntimeApi_get_all_dynamic_info", "0x", h]),
        ("chain_getHeader", [h]),
        ("state_getRuntimeVersion", [h]),
        ("chain_getFinalizedHead", []),
    ]
    return json.dumps(
        [{"jsonrpc": "2.0", "id": first_id + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    )


def test_kept_subtensor_answers_are_the_answers_of_a_devnet_that_keeps_nothing():
    chain = SubtensorChain(seed=7)
    keeping = SubtensorRpc(chain, lambda: DEFAULT_NOW)
    plain = SubtensorRpc(chain, lambda: DEFAULT_NOW)
    plain.answers = AnswerCache(limit=0)
    block = 1500
    first = keeping.handle_text(_batch(chain, block, 0))
    assert keeping.answers.size > 0  # the four calls fixed at the block were kept
    again = keeping.handle_text(_batch(chain, block, 40))  # the same calls, other ids: from what was kept
    assert first == plain.handle_text(_batch(chain, block, 0))
    assert again == plain.handle_text(_batch(chain, block, 40))
    answers = json.loads(again)
    assert [a["id"] for a in answers] == [40, 41, 42, 43, 44]
    assert answers[0]["result"].startswith("0x") and int(answers[2]["result"]["number"], 16) == block


def test_a_pruned_or_future_block_is_never_answered_from_what_was_kept():
    chain = SubtensorChain(seed=7)
    rpc = SubtensorRpc(chain, lambda: DEFAULT_NOW)
    block = 1500
    rpc.handle_text(_batch(chain, block, 0))
    rpc.lowest_state_block = block + 1  # the node discards the state the kept answers were read from
    storage, api, header, version, _head = json.loads(rpc.handle_text(_batch(chain, block, 0)))
    for answer in (storage, api, version):
        assert "State already discarded" in answer["error"]["message"]
    assert int(header["result"]["number"], 16) == block  # headers outlive pruned state, as on a node
    rpc.lowest_state_block = None
    future = chain.block_hash(rpc.head() + 5)
    call = {"jsonrpc": "2.0", "id": 1, "method": "state_getStorage", "params": [EVENTS_KEY, future]}
    for _ in range(2):
        answer = json.loads(rpc.handle_text(json.dumps(call)))
        assert answer["error"]["code"] == 4003 and "UnknownBlock" in answer["error"]["message"]


def test_kept_cometbft_answers_follow_pruning(devnet):
    base = devnet.base_url
    head = int(httpx.get(base + "/cometbft/status").json()["result"]["sync_info"]["latest_block_height"])
    height = head - 50
    first = httpx.get(base + "/cometbft/block_results", params={"height": height})
    second = httpx.get(base + "/cometbft/block_results", params={"height": height})
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert first.json()["result"]["height"] == str(height)
    control = base + "/_devnet/sahara"
    try:
        httpx.post(control, json={"lowest_height": height + 1}).raise_for_status()
        pruned = httpx.get(base + "/cometbft/block_results", params={"height": height}).json()
        assert pruned["error"]["data"] == f"height {height} is not available, lowest height is {height + 1}"
    finally:
        httpx.post(control, json={"lowest_height": 1})
    assert httpx.get(base + "/cometbft/block_results", params={"height": height}).content == first.content
