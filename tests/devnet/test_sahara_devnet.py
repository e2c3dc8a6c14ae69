"""The devnet's Sahara chain: CometBFT and EVM answers in the published shapes, logs that eth-abi
decodes back to the simulated values, byte-for-byte determinism, and the economy's invariants."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from eth_abi import decode
from eth_hash.auto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devnet.sahara import SaharaDevnet
from devnet.sahara.bench import blocks_per_second
from devnet.sahara.common import (
    BLOCKS_PER_DAY,
    DEFAULT_GENESIS,
    MAX_SUPPLY_USAH,
    bech32_decode,
    bech32_encode,
    module_address,
    rfc3339,
)
from devnet.sahara.contracts import ADDRESSES, event_specs, merkle_root
from devnet.sahara.economy import SaharaChain, SaharaConfig
from devnet.server import DevnetServer

SEED = 11
SCALE = 0.01
NOW = int(datetime(2025, 9, 20, 12, tzinfo=UTC).timestamp())
ABI_DIR = Path(__file__).resolve().parents[2] / "etl" / "abi"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
HEX_QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
HEX_DATA = re.compile(r"^0x([0-9a-f]{2})*$")
INT_STRING = re.compile(r"^(0|-?[1-9][0-9]*)$")
COIN = re.compile(r"^[0-9]+usah$")
DEC_COIN = re.compile(r"^[0-9]+\.[0-9]{18}usah$")
UPPER_HASH = re.compile(r"^[0-9A-F]{64}$")


#: One keep-alive client for the module (a fresh connection per request would dominate the run time).
http = httpx.Client(timeout=30)


@pytest.fixture(scope="module")
def devnet():
    with DevnetServer(seed=SEED, now=NOW, rate_limit_per_minute=0, sahara={"scale": SCALE}) as server:
        yield server
    http.close()


@pytest.fixture(scope="module")
def chain() -> SaharaChain:
    """The same chain, in process: the test's oracle for what the devnet must serve."""
    return SaharaChain(SaharaConfig(seed=SEED, scale=SCALE), clock=lambda: NOW)


@pytest.fixture(scope="module")
def head(devnet) -> int:
    return int(comet(devnet, "status")["sync_info"]["latest_block_height"])


@pytest.fixture(scope="module")
def busy_heights(chain, head) -> list[int]:
    """Heights in the last day holding staking/bank transactions."""
    return chain.cosmos_heights_with_txs(head - BLOCKS_PER_DAY, head, cosmos_only=True)


def comet(devnet, method: str, mount: str = "/cometbft", **params):
    response = http.get(devnet.base_url + mount + "/" + method, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == -1
    return body["result"]


def evm(devnet, method: str, *params, rpc_id=1):
    body = http.post(
        devnet.endpoints["evm"],
        json={"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": list(params)},
    )
    assert body.status_code == 200
    return body.json()


def assert_int64_strings(obj, keys=("height", "gas_wanted", "gas_used", "voting_power", "total", "count")):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "parts":
                continue  # a part set's total is a uint32, a JSON number
            if k in keys:
                assert isinstance(v, str) and INT_STRING.match(v), (k, v)
            assert_int64_strings(v, keys)
    elif isinstance(obj, list):
        for item in obj:
            assert_int64_strings(item, keys)


def normalise(result: dict, form: str) -> dict:
    """A /block_results answer of any form as {txs, begin, end} with plain-string attributes."""

    def events(evs, b64=False):
        out = []
        for ev in evs or []:
            attrs = []
            for a in ev["attributes"]:
                k, v = a["key"], a["value"]
                if b64:
                    k, v = base64.b64decode(k).decode(), base64.b64decode(v).decode()
                attrs.append((k, v))
            out.append((ev["type"], attrs))
        return out

    b64 = form == "v0.34"
    txs = [
        (t["code"], t["data"], t["gas_used"], events(t["events"], b64)) for t in result["txs_results"] or []
    ]
    if form == "v0.38":
        begin, end = [], []
        for typ, attrs in events(result["finalize_block_events"]):
            mode = dict(attrs)["mode"]
            (begin if mode == "BeginBlock" else end).append((typ, [a for a in attrs if a[0] != "mode"]))
    else:
        begin, end = events(result["begin_block_events"], b64), events(result["end_block_events"], b64)
    return {"height": result["height"], "txs": txs, "begin": begin, "end": end}


# --- CometBFT ----------------------------------------------------------------------------------------


def test_endpoints_and_status(devnet, chain, head):
    assert devnet.endpoints["cometbft"].endswith("/cometbft")
    assert devnet.endpoints["evm"].endswith("/evm")
    status = comet(devnet, "status")
    assert status["node_info"]["network"] == "sahara-devnet-1"
    assert status["node_info"]["version"].startswith("0.38.")
    sync = status["sync_info"]
    assert head == chain.head()
    assert sync["earliest_block_height"] == "1" and sync["catching_up"] is False
    assert UPPER_HASH.match(sync["latest_block_hash"])
    assert sync["latest_block_time"].endswith("Z")
    block_time = datetime.strptime(sync["latest_block_time"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    assert 0 <= NOW - block_time.timestamp() < 6
    assert comet(devnet, "status", mount="/cometbft-v0.34")["node_info"]["version"].startswith("0.34.")


def test_block_shape(devnet, busy_heights):
    height = busy_heights[-1]
    result = comet(devnet, "block", height=height)
    header = result["block"]["header"]
    assert header["height"] == str(height)
    assert header["version"] == {"block": "11", "app": "0"}
    assert UPPER_HASH.match(result["block_id"]["hash"])
    assert header["last_block_id"]["hash"] == comet(devnet, "block", height=height - 1)["block_id"]["hash"]
    assert result["block"]["last_commit"]["height"] == str(height - 1)
    assert isinstance(result["block"]["last_commit"]["round"], int)
    txs = result["block"]["data"]["txs"]
    assert txs and all(base64.b64decode(t) for t in txs)
    results = comet(devnet, "block_results", height=height)
    assert len(results["txs_results"]) == len(txs)
    assert_int64_strings(result)
    # Quoted URI arguments, as CometBFT accepts them, give the same answer.
    assert comet(devnet, "block", height=f'"{height}"') == result


def test_block_results_v038_shape(devnet, busy_heights):
    result = comet(devnet, "block_results", height=busy_heights[0])
    assert set(result) == {
        "height",
        "txs_results",
        "finalize_block_events",
        "validator_updates",
        "consensus_param_updates",
        "app_hash",
    }
    assert_int64_strings(result)
    for tx in result["txs_results"]:
        assert tx["code"] == 0 and isinstance(tx["log"], str)
        for ev in tx["events"]:
            for attr in ev["attributes"]:
                assert set(attr) == {"key", "value", "index"} and isinstance(attr["value"], str)
    types = [ev["type"] for ev in result["finalize_block_events"]]
    assert types[:4] == ["coinbase", "transfer", "mint", "transfer"]
    assert {"rewards", "commission"} <= set(types)
    for ev in result["finalize_block_events"]:
        attrs = {a["key"]: a["value"] for a in ev["attributes"]}
        assert attrs["mode"] in ("BeginBlock", "EndBlock")
        if ev["type"] in ("rewards", "commission"):
            assert DEC_COIN.match(attrs["amount"])
            assert bech32_decode(attrs["validator"])[0] == "saharavaloper"
        if ev["type"] == "mint":
            assert 0.07 <= float(attrs["inflation"]) <= 0.20


def test_three_forms_carry_identical_content(devnet, busy_heights, chain):
    unbond_heights = [
        h
        for h in chain.cosmos_heights_with_txs(
            busy_heights[0] - 40 * BLOCKS_PER_DAY, busy_heights[-1], cosmos_only=True
        )
        if chain.cosmos_block(h).end_events
    ]
    for height in busy_heights[:5] + unbond_heights[:2]:
        forms = {
            "v0.38": comet(devnet, "block_results", height=height),
            "v0.37": comet(devnet, "block_results", mount="/cometbft-v0.37", height=height),
            "v0.34": comet(devnet, "block_results", mount="/cometbft-v0.34", height=height),
        }
        assert "begin_block_events" in forms["v0.37"] and "finalize_block_events" not in forms["v0.37"]
        raw_attr = forms["v0.34"]["begin_block_events"][0]["attributes"][0]
        assert base64.b64decode(raw_attr["key"]).decode() == "minter"
        normal = {form: normalise(result, form) for form, result in forms.items()}
        assert normal["v0.38"] == normal["v0.37"] == normal["v0.34"]
    assert len(unbond_heights) >= 1, "no complete_unbonding in the history"


def test_block_results_match_the_simulation(devnet, busy_heights, chain):
    for height in busy_heights[:10]:
        served = normalise(comet(devnet, "block_results", height=height), "v0.38")
        block = chain.cosmos_block(height)
        assert [ev for _, _, _, ev in served["txs"]] == [
            [(t, list(a)) for t, a in tx.events] for tx in block.txs
        ]


def test_cosmos_staking_events(devnet, chain, head):
    seen = Counter()
    for height in chain.cosmos_heights_with_txs(head - 3 * BLOCKS_PER_DAY, head, cosmos_only=True):
        result = comet(devnet, "block_results", height=height)
        block_time = chain.block_time(height)
        for tx in result["txs_results"]:
            for ev in tx["events"]:
                attrs = {a["key"]: a["value"] for a in ev["attributes"]}
                seen[ev["type"]] += 1
                if ev["type"] == "delegate":
                    assert bech32_decode(attrs["validator"])[0] == "saharavaloper"
                    assert bech32_decode(attrs["delegator"])[0] == "sahara"
                    assert COIN.match(attrs["amount"])
                    assert attrs["new_shares"] == attrs["amount"][:-4] + ".000000000000000000"
                elif ev["type"] == "unbond":
                    assert COIN.match(attrs["amount"])
                    assert attrs["completion_time"] == rfc3339(block_time + 21 * 86_400)
                elif ev["type"] == "redelegate":
                    assert attrs["source_validator"] != attrs["destination_validator"]
                elif ev["type"] in ("withdraw_rewards", "transfer"):
                    assert COIN.match(attrs["amount"])
    for kind in ("delegate", "unbond", "redelegate", "withdraw_rewards", "transfer", "message"):
        assert seen[kind] > 0, kind


def test_height_errors_and_pruning(devnet, head):
    response = http.get(devnet.base_url + "/cometbft/block_results", params={"height": head + 10})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == -32603 and error["message"] == "Internal error"
    assert (
        error["data"]
        == f"height {head + 10} must be less than or equal to the current blockchain height {head}"
    )
    # The same through JSON-RPC POST: HTTP 200, the error in the body, the caller's id kept.
    body = http.post(
        devnet.base_url + "/cometbft",
        json={"jsonrpc": "2.0", "id": 5, "method": "block", "params": {"height": str(head + 1)}},
    ).json()
    assert body["id"] == 5 and "must be less than or equal" in body["error"]["data"]
    lowest = head - 1000
    control = devnet.base_url + "/_devnet/sahara"
    try:
        assert http.post(control, json={"lowest_height": lowest}).json()["lowest_height"] == lowest
        response = http.get(devnet.base_url + "/cometbft-v0.34/block", params={"height": 5})
        assert response.json()["error"]["data"] == f"height 5 is not available, lowest height is {lowest}"
        assert comet(devnet, "status")["sync_info"]["earliest_block_height"] == str(lowest)
        assert comet(devnet, "block", height=lowest)["block"]["header"]["height"] == str(lowest)
        logs = evm(devnet, "eth_getLogs", {"fromBlock": hex(lowest - 5), "toBlock": hex(lowest + 5)})
        assert "is not available" in logs["error"]["message"]
    finally:
        http.post(control, json={"lowest_height": 1})


def test_jsonrpc_post_positional_and_batch(devnet, head):
    answers = http.post(
        devnet.base_url + "/cometbft",
        json=[
            {"jsonrpc": "2.0", "id": 1, "method": "block_results", "params": [str(head)]},
            {"jsonrpc": "2.0", "id": 2, "method": "status", "params": {}},
            {"jsonrpc": "2.0", "id": 3, "method": "no_such_method", "params": {}},
        ],
    ).json()
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[0]["result"]["height"] == str(head)
    assert answers[2]["error"]["code"] == -32601


def test_validators_pagination(devnet, chain, head):
    full = comet(devnet, "validators", height=head, per_page=100)
    total = int(full["total"])
    assert total == len(full["validators"]) == int(full["count"]) == len(chain.validator_set(head))
    assert 4 <= total <= 100
    assert_int64_strings(full)
    pages, page = [], 1
    while True:
        part = comet(devnet, "validators", height=head, page=page, per_page=3)
        assert part["total"] == str(total)
        pages.extend(part["validators"])
        if len(pages) >= total:
            break
        page += 1
    assert pages == full["validators"]
    powers = [int(v["voting_power"]) for v in pages]
    assert powers == sorted(powers, reverse=True)
    response = http.get(devnet.base_url + "/cometbft/validators", params={"page": page + 5, "per_page": 3})
    assert response.status_code == 500
    assert response.json()["error"]["data"] == f"page should be within [1, {page}] range, given {page + 5}"
    assert len(comet(devnet, "validators", per_page=1000)["validators"]) == min(total, 100)
    for v in pages:
        assert v["pub_key"]["type"] == "tendermint/PubKeyEd25519"
        assert len(base64.b64decode(v["pub_key"]["value"])) == 32


def test_blockchain_metas(devnet, head):
    result = comet(devnet, "blockchain", minHeight=head - 50, maxHeight=head)
    heights = [int(m["header"]["height"]) for m in result["block_metas"]]
    assert heights == list(range(head, head - 20, -1))
    assert result["last_height"] == str(head)


# --- EVM -----------------------------------------------------------------------------------------------


def test_evm_basics_and_batch(devnet, head):
    assert evm(devnet, "eth_chainId")["result"] == hex(3_133_130)
    assert evm(devnet, "net_version")["result"] == "3133130"
    assert evm(devnet, "web3_clientVersion")["result"].startswith("sahara-devnet/")
    assert int(evm(devnet, "eth_blockNumber")["result"], 16) == head
    answers = http.post(
        devnet.endpoints["evm"],
        json=[
            {"jsonrpc": "2.0", "id": 7, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 8, "method": "eth_nope", "params": []},
        ],
    ).json()
    assert answers[0] == {"jsonrpc": "2.0", "id": 7, "result": hex(head)}
    assert answers[1]["error"]["code"] == -32601


def test_evm_block_shape(devnet, chain, head):
    height = chain.evm_blocks_with_txs(head - 5000, head)[-1]
    block = evm(devnet, "eth_getBlockByNumber", hex(height), True)["result"]
    for key in ("number", "timestamp", "gasUsed", "gasLimit", "baseFeePerGas", "size", "difficulty"):
        assert HEX_QUANTITY.match(block[key]), (key, block[key])
    assert block["hash"] == "0x" + comet(devnet, "block", height=height)["block_id"]["hash"].lower()
    assert (
        block["parentHash"] == evm(devnet, "eth_getBlockByNumber", hex(height - 1), False)["result"]["hash"]
    )
    assert len(block["logsBloom"]) == 2 + 512
    assert int(block["timestamp"], 16) == chain.block_time(height)
    txs = block["transactions"]
    assert [t["hash"] for t in txs] == ["0x" + t.hash.hex() for t in chain.evm_txs(height)]
    for tx in txs:
        assert HEX_QUANTITY.match(tx["transactionIndex"]) and HEX_DATA.match(tx["input"])
    assert evm(devnet, "eth_getBlockByNumber", hex(head + 1), False)["result"] is None
    assert evm(devnet, "eth_getBlockByNumber", "latest", False)["result"]["number"] == hex(head)
    # Bloom: every log's address is in its block's bloom.
    bloom = int(block["logsBloom"], 16)
    addr_hash = keccak(bytes.fromhex(ADDRESSES["DataServices"].hex()))
    bits = [((addr_hash[i] << 8) | addr_hash[i + 1]) & 2047 for i in (0, 2, 4)]
    if any(log.event.startswith("DataServices") for tx in chain.evm_txs(height) for log in tx.logs):
        assert all(bloom >> b & 1 for b in bits)


def test_get_logs_filters(devnet, chain, head):
    lo, hi = hex(head - 1999), hex(head)
    everything = evm(devnet, "eth_getLogs", {"fromBlock": lo, "toBlock": hi})["result"]
    assert everything
    for log in everything:
        for key in ("blockNumber", "logIndex", "transactionIndex"):
            assert HEX_QUANTITY.match(log[key])
        assert HEX_DATA.match(log["data"]) and log["removed"] is False
    keys = [(int(x["blockNumber"], 16), int(x["logIndex"], 16)) for x in everything]
    assert keys == sorted(keys)
    services = "0x" + ADDRESSES["DataServices"].hex()
    by_address = evm(devnet, "eth_getLogs", {"fromBlock": lo, "toBlock": hi, "address": services})["result"]
    assert by_address == [x for x in everything if x["address"] == services]
    transfers = evm(devnet, "eth_getLogs", {"fromBlock": lo, "toBlock": hi, "topics": [TRANSFER_TOPIC]})[
        "result"
    ]
    assert transfers and all(x["topics"][0] == TRANSFER_TOPIC for x in transfers)
    assert all(x["address"] == "0x" + ADDRESSES["SAHARA"].hex() for x in transfers)
    submitted = "0x" + event_specs()["DataServices.AnnotationSubmitted"].topic0.hex()
    either = evm(
        devnet, "eth_getLogs", {"fromBlock": lo, "toBlock": hi, "topics": [[TRANSFER_TOPIC, submitted]]}
    )
    assert len(either["result"]) == sum(x["topics"][0] in (TRANSFER_TOPIC, submitted) for x in everything)
    # A filter on an indexed argument (topic 2: the contributor of a submission).
    contributor = next(x["topics"][3] for x in everything if x["topics"][0] == submitted)
    mine = evm(
        devnet,
        "eth_getLogs",
        {"fromBlock": lo, "toBlock": hi, "topics": [submitted, None, None, contributor]},
    )
    assert mine["result"] and all(x["topics"][3] == contributor for x in mine["result"])
    # Logs of a contract the project does not model are served too (connectors must skip them).
    unknown = "0x" + ADDRESSES["Unknown"].hex()
    height = next(
        h
        for h in chain.evm_blocks_with_txs(head - BLOCKS_PER_DAY, head)
        if any(log.address == ADDRESSES["Unknown"] for tx in chain.evm_txs(h) for log in tx.logs)
    )
    foreign = evm(
        devnet, "eth_getLogs", {"fromBlock": hex(height), "toBlock": hex(height), "address": [unknown]}
    )
    assert foreign["result"] and foreign["result"][0]["topics"][0] not in _abi_events()


def test_get_logs_limits(devnet, head):
    too_wide = evm(devnet, "eth_getLogs", {"fromBlock": hex(head - 2000), "toBlock": hex(head)})
    assert too_wide["error"]["code"] == -32005 and "block range too large" in too_wide["error"]["message"]
    beyond = evm(devnet, "eth_getLogs", {"fromBlock": hex(head), "toBlock": hex(head + 5)})
    assert beyond["error"]["message"] == "block range extends beyond current head block"
    backwards = evm(devnet, "eth_getLogs", {"fromBlock": hex(head), "toBlock": hex(head - 5)})
    assert backwards["error"]["code"] == -32602
    # The result cap, on an in-process node with a small cap.
    node = SaharaDevnet(SaharaConfig(seed=SEED, scale=SCALE, max_logs=5), clock=lambda: NOW)
    answer = node.evm.handle(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_getLogs",
            "params": [{"fromBlock": hex(head - 1999), "toBlock": hex(head)}],
        }
    )
    assert answer["error"] == {"code": -32005, "message": "query returned more than 5 results"}


def _abi_events() -> dict[str, tuple[str, dict]]:
    """topic0 -> (name, ABI item), read from the ABI files as any client would."""
    out = {}
    for path in ABI_DIR.glob("*.json"):
        data = json.loads(path.read_text())
        assert "model" in data and "abi" in data, path
        for item in data["abi"]:
            signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
            out["0x" + keccak(signature.encode()).hex()] = (f"{path.stem}.{item['name']}", item)
    return out


def test_abi_files():
    events = _abi_events()
    assert TRANSFER_TOPIC in events
    names = {name for name, _ in events.values()}
    assert names == {
        "DataServices.TaskCreated",
        "DataServices.AnnotationSubmitted",
        "DataServices.AnnotationReviewed",
        "DataServices.RewardPaid",
        "Marketplace.AssetListed",
        "Marketplace.LicensePurchased",
        "Marketplace.RevenueShared",
        "Reputation.ReputationMinted",
        "ERC20.Transfer",
        "ERC20.Approval",
    }
    for name in ("DataServices", "Marketplace", "Reputation"):
        data = json.loads((ABI_DIR / f"{name}.json").read_text())
        assert "Sahara publishes no ABI" in data["model"]
        assert data["devnetAddress"].lower() == "0x" + ADDRESSES[name].hex()


def test_eth_abi_decodes_every_log_to_the_simulated_values(devnet, chain, head):
    abi = _abi_events()
    first = head - 1999
    served = evm(devnet, "eth_getLogs", {"fromBlock": hex(first), "toBlock": hex(head)})["result"]
    simulated = [
        (height, tx, log)
        for height in chain.evm_blocks_with_txs(first, head)
        for tx in chain.evm_txs(height)
        for log in tx.logs
    ]
    assert len(served) == len(simulated)
    decoded_kinds = Counter()
    for log, (height, tx, sim) in zip(served, simulated, strict=True):
        assert int(log["blockNumber"], 16) == height and log["transactionHash"] == "0x" + tx.hash.hex()
        if not sim.event:
            assert log["topics"][0] not in abi
            continue
        name, item = abi[log["topics"][0]]
        indexed = [i for i in item["inputs"] if i["indexed"]]
        plain = [i for i in item["inputs"] if not i["indexed"]]
        values = [
            decode([i["type"]], bytes.fromhex(t[2:]))[0]
            for i, t in zip(indexed, log["topics"][1:], strict=True)
        ]
        data = decode([i["type"] for i in plain], bytes.fromhex(log["data"][2:]))

        def norm(v):
            return v.lower() if isinstance(v, str) else v

        expected_indexed = [
            "0x" + v.hex() if isinstance(v, bytes) and len(v) == 20 else v for v in sim.indexed
        ]
        assert [norm(v) for v in values] == [norm(v) for v in expected_indexed], name
        assert list(data) == list(sim.data), name
        decoded_kinds[name] += 1
    assert {"DataServices.AnnotationSubmitted", "DataServices.AnnotationReviewed", "ERC20.Transfer"} <= set(
        decoded_kinds
    )


# --- determinism ------------------------------------------------------------------------------------


def test_same_seed_same_bytes(devnet, head, busy_heights):
    paths = [
        f"/cometbft/block_results?height={busy_heights[0]}",
        f"/cometbft-v0.34/block_results?height={busy_heights[0]}",
        f"/cometbft/block?height={busy_heights[0]}",
        f"/cometbft/validators?height={head}",
    ]
    logs = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_getLogs",
        "params": [{"fromBlock": hex(head - 1999), "toBlock": hex(head)}],
    }
    served = [http.get(devnet.base_url + path).content for path in paths]
    served.append(http.post(devnet.endpoints["evm"], json=logs).content)
    for seed, same in ((SEED, True), (SEED + 1, False)):
        with DevnetServer(seed=seed, now=NOW, rate_limit_per_minute=0, sahara={"scale": SCALE}) as again:
            answers = [http.get(again.base_url + path).content for path in paths]
            answers.append(http.post(again.endpoints["evm"], json=logs).content)
        for mine, theirs in zip(answers, served, strict=True):
            assert (mine == theirs) is same


# --- economy invariants -------------------------------------------------------------------------------


def _logs_by_tx(chain: SaharaChain, first: int, last: int):
    for height in chain.evm_blocks_with_txs(first, last):
        for tx in chain.evm_txs(height):
            yield height, tx


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), days=st.integers(1, 4), cut=st.floats(0.0, 1.0))
def test_annotation_lifecycle_invariants(seed, days, cut):
    now = DEFAULT_GENESIS + days * 86_400
    chain = SaharaChain(SaharaConfig(seed=seed, scale=SCALE), clock=lambda: now)
    last = max(2, int(chain.head() * cut))
    submitted, reviewed, accepted = {}, set(), {}
    rewards = Counter()
    tasks = {}
    balances = Counter()
    contracts = {ADDRESSES["DataServices"], ADDRESSES["Marketplace"]}
    for _, tx in _logs_by_tx(chain, 1, last):
        names = [log.event for log in tx.logs]
        for log in tx.logs:
            if log.event == "DataServices.TaskCreated":
                tasks[log.indexed[0]] = log.data[1]
            elif log.event == "DataServices.AnnotationSubmitted":
                assert log.indexed[0] not in submitted
                assert log.indexed[1] in tasks
                submitted[log.indexed[0]] = (log.indexed[1], log.indexed[2])
            elif log.event == "DataServices.AnnotationReviewed":
                annotation = log.indexed[0]
                assert annotation in submitted and annotation not in reviewed
                assert log.indexed[1] != submitted[annotation][1], "a contributor reviewed their own work"
                reviewed.add(annotation)
                ok, score = log.data
                assert (60 <= score <= 100) if ok else (0 <= score < 60)
                if ok:
                    accepted[annotation] = submitted[annotation]
                    # Cooperative rewards: the same tx pays exactly one RewardPaid to the contributor.
                    paid = [x for x in tx.logs if x.event == "DataServices.RewardPaid"]
                    assert len(paid) == 1
                    task, contributor = submitted[annotation]
                    assert paid[0].indexed == (contributor, task) and paid[0].data == (tasks[task],)
                else:
                    assert "DataServices.RewardPaid" not in names
            elif log.event == "DataServices.RewardPaid":
                rewards[log.indexed] += 1
            elif log.event == "SAHARA.Transfer":
                sender, recipient = log.indexed
                assert log.data[0] > 0
                balances[sender] -= log.data[0]
                balances[recipient] += log.data[0]
        for address in contracts:
            assert balances[address] >= 0, "a contract paid out more than it holds"
        assert len(accepted) <= len(reviewed) <= len(submitted)
    expected = Counter((contributor, task) for task, contributor in accepted.values())
    assert rewards == expected


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), days=st.integers(1, 5))
def test_staking_invariants(seed, days):
    now = DEFAULT_GENESIS + days * 86_400
    chain = SaharaChain(SaharaConfig(seed=seed, scale=SCALE), clock=lambda: now)
    head = chain.head()
    valopers = {v.valoper: v.index for v in chain.validators}
    tokens = [v.self_bond if v.join_block == 0 else 0 for v in chain.validators]
    delegations = Counter()
    heights = chain.cosmos_heights_with_txs(1, head, cosmos_only=True)
    checkpoints = set(heights[:: max(1, len(heights) // 5)])
    for height in heights:
        if height in checkpoints:
            assert tuple(tokens) == chain.tokens_at(height)
        for tx in chain.cosmos_block(height).txs:
            for typ, attrs in tx.events:
                a = dict(attrs)
                amount = int(a.get("amount", "0usah")[:-4] or 0)
                if typ == "create_validator":
                    tokens[valopers[a["validator"]]] += amount
                elif typ == "delegate":
                    delegations[a["delegator"], a["validator"]] += amount
                    tokens[valopers[a["validator"]]] += amount
                elif typ == "unbond":
                    delegations[a["delegator"], a["validator"]] -= amount
                    tokens[valopers[a["validator"]]] -= amount
                elif typ == "redelegate":
                    delegations[a["delegator"], a["source_validator"]] -= amount
                    delegations[a["delegator"], a["destination_validator"]] += amount
                    tokens[valopers[a["source_validator"]]] -= amount
                    tokens[valopers[a["destination_validator"]]] += amount
                if typ in ("delegate", "unbond", "redelegate", "transfer", "withdraw_rewards"):
                    assert amount > 0
        assert min(delegations.values(), default=0) >= 0
        assert min(tokens) >= 0
    assert tuple(tokens) == chain.tokens_at(head + 1)
    powers = {v.index: p for v, p in chain.validator_set(head + 1)}
    assert all(powers.get(i, 0) == t // 10**18 for i, t in enumerate(tokens))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    genesis_supply=st.integers(9_900_000_000, 10_000_000_000),
    day=st.integers(0, 60),
)
def test_supply_never_exceeds_the_cap(seed, genesis_supply, day):
    config = SaharaConfig(seed=seed, scale=SCALE, genesis_supply_sahara=genesis_supply)
    chain = SaharaChain(config, clock=lambda: DEFAULT_GENESIS + 400 * 86_400)
    last = (day + 1) * BLOCKS_PER_DAY
    previous = genesis_supply * 10**18
    for height in (1, day * BLOCKS_PER_DAY + 1, last - 1, last):
        supply = chain.supply_at(height)
        assert previous <= supply <= MAX_SUPPLY_USAH
        previous = supply
    _, inflation, _, _ = chain._mint_day(day)
    assert 7 * 10**16 <= inflation <= 20 * 10**16


def test_supply_follows_inflation_on_default_genesis(chain, head):
    supply = chain.supply_at(head)
    assert 4_000_000_000 * 10**18 < supply < MAX_SUPPLY_USAH
    block = chain.cosmos_block(head)
    mint = dict(next(attrs for typ, attrs in block.begin_events if typ == "mint"))
    assert 0.07 <= float(mint["inflation"]) <= 0.20
    assert chain.supply_at(head) - chain.supply_at(head - 1) == int(mint["amount"])


def test_attribution_and_reputation():
    """Dataset assets commit to the accepted content they were built from; licences pay its contributors."""
    chain = SaharaChain(SaharaConfig(seed=SEED, scale=SCALE), clock=lambda: DEFAULT_GENESIS + 12 * 86_400)
    head = chain.head()
    accepted_content = defaultdict(list)  # task -> [(annotation id, content hash, contributor)]
    submissions, task_of_dataset = {}, {}
    roots, owners, recipients = {}, {}, defaultdict(set)
    tiers = defaultdict(list)
    for _, tx in _logs_by_tx(chain, 1, head):
        for log in tx.logs:
            if log.event == "DataServices.TaskCreated":
                task_of_dataset[int.from_bytes(log.data[0], "big")] = log.indexed[0]
            elif log.event == "DataServices.AnnotationSubmitted":
                submissions[log.indexed[0]] = (log.indexed[1], log.data[0], log.indexed[2])
            elif log.event == "DataServices.AnnotationReviewed" and log.data[0]:
                task, content, contributor = submissions[log.indexed[0]]
                accepted_content[task].append((log.indexed[0], content, contributor))
            elif log.event == "Marketplace.AssetListed":
                roots[log.indexed[0]] = (log.data[0], log.data[2])
                owners[log.indexed[0]] = log.indexed[1]
            elif log.event == "Marketplace.RevenueShared":
                recipients[log.indexed[0]].add(log.indexed[1])
            elif log.event == "Reputation.ReputationMinted":
                tiers[log.indexed[0]].append(log.data[0])
    datasets = [asset for asset, (kind, _) in roots.items() if kind == 1]
    assert datasets
    for asset in datasets:
        task = task_of_dataset[asset]
        content = sorted(accepted_content[task])
        assert roots[asset][1] == merkle_root([c for _, c, _ in content])
        contributors = {who for _, _, who in content}
        assert recipients[asset] <= contributors | {owners[asset]}
    assert any(recipients[a] for a in datasets), "no licence paid any contributor"
    models = [asset for asset, (kind, _) in roots.items() if kind == 0]
    for asset in models:
        assert roots[asset][1] != b"\x00" * 32
    assert tiers and all(t == list(range(1, len(t) + 1)) for t in tiers.values())


def test_bech32_matches_cosmos():
    # Public fact: the Cosmos Hub's distribution module account.
    assert (
        bech32_encode("cosmos", module_address("distribution"))
        == "cosmos1jv65s3grqf6v6jl3dp4t6c9t9rk99cd88lyufl"
    )
    hrp, payload = bech32_decode("cosmos1jv65s3grqf6v6jl3dp4t6c9t9rk99cd88lyufl")
    assert hrp == "cosmos" and payload == module_address("distribution")
    with pytest.raises(ValueError):
        bech32_decode("cosmos1jv65s3grqf6v6jl3dp4t6c9t9rk99cd88lyufm")


def test_bench_reports_blocks_per_second(devnet):
    numbers = blocks_per_second(devnet.endpoints, blocks=60, logs_range=30)
    assert numbers["blocks"] == 60
    assert numbers["block_results"] > 20 and numbers["eth_getLogs"] > 20


# --- the ledger ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def midnight_range(head) -> tuple[int, int, str, str]:
    """400 blocks either side of the UTC midnight that opens the devnet clock's day."""
    midnight = NOW // 86_400 * 86_400
    first_of_day = (midnight - DEFAULT_GENESIS) // 5 + 1  # block 1 at genesis, 5 s apart, jitter < 1 s
    assert first_of_day + 400 <= head
    day_before = datetime.fromtimestamp(midnight - 86_400, UTC).date().isoformat()
    day = datetime.fromtimestamp(midnight, UTC).date().isoformat()
    return first_of_day - 400, first_of_day + 400, day_before, day


def ledger(devnet, **params) -> httpx.Response:
    return http.get(devnet.endpoints["control"] + "/sahara/ledger", params=params)


def test_ledger_is_served_on_the_control_endpoint_only(devnet, chain, midnight_range):
    start, end, day_before, day = midnight_range
    served = ledger(devnet, start_height=start, end_height=end)
    assert served.status_code == 200, served.text
    body = served.json()
    # The HTTP answer is the devnet object's own record, as the Python API gives it.
    assert body == SaharaDevnet(SaharaConfig(seed=SEED, scale=SCALE), clock=lambda: NOW).ledger(start, end)
    assert set(body) == {
        "chain_id", "start_height", "end_height", "unit", "mint_periods", "days", "rewards", "validators",
        "bonded_usah", "supply_usah", "bonded_ratio",
    }  # fmt: skip
    assert [d["day"] for d in body["days"]] == [day_before, day]
    assert body["days"][0]["first_height"] == start and body["days"][1]["last_height"] == end - 1
    assert body["days"][0]["last_height"] + 1 == body["days"][1]["first_height"] == start + 400
    for amount in [body["bonded_usah"], body["supply_usah"]] + [d["minted_usah"] for d in body["days"]]:
        assert INT_STRING.match(amount)
    # Not through the chain protocols, and a bad range is refused with the reason.
    assert http.get(devnet.base_url + "/cometbft/ledger").json().get("result") is None
    bad = ledger(devnet, start_height=end, end_height=start)
    assert bad.status_code == 400 and "start_height" in bad.json()["error"]


def test_ledger_matches_what_the_chain_served(devnet, chain, midnight_range):
    """Minting, rewards and bonded stake in the record equal what the wire protocols served."""
    start, end, _, _ = midnight_range
    record = ledger(devnet, start_height=start, end_height=end).json()
    # Minted per UTC day: the `mint` events of every block's results.
    minted: Counter = Counter()
    for height in range(start, end):
        result = comet(devnet, "block_results", height=height)
        day = datetime.fromtimestamp(chain.block_time(height), UTC).date().isoformat()
        for ev in result["finalize_block_events"] or []:
            if ev["type"] == "mint":
                minted[day] += int(next(a["value"] for a in ev["attributes"] if a["key"] == "amount"))
    assert {d["day"]: int(d["minted_usah"]) for d in record["days"]} == dict(minted)
    assert all(v > 0 for v in minted.values())
    # Rewards per contributor per UTC day: the RewardPaid logs.
    spec = event_specs()["DataServices.RewardPaid"]
    logs = evm(
        devnet,
        "eth_getLogs",
        {"fromBlock": hex(start), "toBlock": hex(end - 1), "topics": ["0x" + spec.topic0.hex()]},
    )["result"]
    paid: Counter = Counter()
    for log in logs:
        day = datetime.fromtimestamp(chain.block_time(int(log["blockNumber"], 16)), UTC).date().isoformat()
        paid[day, "0x" + log["topics"][1][-40:]] += int(log["data"][2:66], 16)
    assert paid, "the range holds reward payments"
    assert {(r["day"], r["contributor"]): int(r["amount_usah"]) for r in record["rewards"]} == dict(paid)
    # Bonded stake per validator: voting power of the set at `end` is the bonded usah // 1e18.
    served_set = comet(devnet, "validators", height=end, per_page=100)["validators"]
    power = sorted(int(v["voting_power"]) for v in served_set)
    assert sorted(int(v["bonded_usah"]) // 10**18 for v in record["validators"]) == power
    assert int(record["bonded_usah"]) == sum(int(v["bonded_usah"]) for v in record["validators"])
    ratio = int(record["bonded_usah"]) * 10**18 // int(record["supply_usah"])
    assert record["bonded_ratio"] == f"{ratio // 10**18}.{ratio % 10**18:018d}"
