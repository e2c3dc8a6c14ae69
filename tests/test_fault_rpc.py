"""Fault injection on the JSON-RPC chains, through the real DAGs (`dag.test()` via `run_dag`).

Bittensor's subtensor (Substrate JSON-RPC batches over HTTP) and Sahara's EVM (`eth_getLogs`,
`eth_getBlockByNumber` batches) fail on purpose through the devnet's fault switches:

- 20% 5xx/429, slow answers, truncated bodies, and malformed answers (a proxy's HTML page with
  status 200, a JSON object that is no JSON-RPC answer): the connectors retry (the EVM connector
  fails the chunk on the latter, and Airflow retries it), and the `bittensor_ingest` /
  `sahara_ingest` runs leave exactly the warehouse a clean run leaves;
- malformed values inside well-formed answers (a corrupt System.Events value, an EVM log whose data
  is not hex): the run finishes, the bad input is in `quarantine` with a reason naming its block, and
  everything else equals the clean run: nothing is lost, nothing else changes.

Each clean run happens once per module. The fault plans are seeded; on top of the random mix, one
rule per kind hits the first request of a chosen JSON-RPC method, so every kind surely fires (the
tests check that each altered at least one answer).
"""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from etl.orchestrate import run_dag
from etl.sources.subtensor import EVENTS_KEY
from warehouse import db
from warehouse.audit import warehouse_checksums

STORE = ["events", "quarantine", "chain_blocks", "ingest_checkpoints"]
BITTENSOR_CHUNK = 40
EVM_CHUNK = 60
HTML_ERROR = "<html><body><h1>502 Bad Gateway</h1></body></html>"
NOT_RPC = '{"message": "upstream busy, try again"}'  # JSON, status 200, but no JSON-RPC answer


def transport_faults(path: str, first: dict[str, dict]) -> list[dict]:
    """The issue's mix on one endpoint: 20% 5xx/429, slow answers, truncated and malformed bodies.

    `first` makes sure each kind happens: kind -> the JSON-RPC method whose first request it hits
    (and, for `mutate`, the answer it puts in place of the node's).
    """
    rules = [
        {"kind": "status", "path": path, "status": 503, "probability": 0.1},
        {"kind": "status", "path": path, "status": 429, "probability": 0.1, "retry_after": 0.05},
        {"kind": "slow", "path": path, "seconds": 0.1, "probability": 0.2},
        {"kind": "truncate", "path": path, "probability": 0.1},
        {"kind": "replace", "path": path, "body": HTML_ERROR, "probability": 0.05},
    ]
    defaults = {
        "status503": {"kind": "status", "status": 503},
        "status429": {"kind": "status", "status": 429, "retry_after": 0.05},
        "slow": {"kind": "slow", "seconds": 0.1},
        "truncate": {"kind": "truncate"},
        "html": {"kind": "replace", "body": HTML_ERROR},
        "not_rpc": {"kind": "replace", "body": NOT_RPC},
    }
    for kind, spec in first.items():
        rules.append(defaults[kind] | {"path": path, "count": 1} | spec)
    return rules


def _set_faults(devnet, rules: list[dict], seed: int = 0) -> None:
    httpx.post(devnet.base_url + "/_devnet/faults", json={"rules": rules, "seed": seed}).raise_for_status()


def _applied(devnet) -> dict[str, int]:
    out: dict[str, int] = {}
    for rule in devnet.state.faults.describe():
        key = {
            "status": f"status{rule['status']}",
            "replace": "html" if rule["body"].startswith("<") else "not_rpc",
        }
        key = key.get(rule["kind"], rule["kind"])
        out[key] = out.get(key, 0) + rule["applied"]
    return out


def _warehouse(tmp_path, name: str) -> str:
    url = f"duckdb:///{tmp_path / name}.duckdb"
    db.migrate(url)
    return url


def _checksums(url: str) -> dict:
    engine = db.make_engine(url)
    try:
        return warehouse_checksums(engine, STORE)
    finally:
        engine.dispose()


def _rows(url: str, sql: str, **params) -> list:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def connections(devnet):
    from etl.http import RetryPolicy

    with pytest.MonkeyPatch.context() as mp:
        # Short backoff, same retry budgets: the tests are about what lands, not about waiting.
        mp.setattr(RetryPolicy, "backoff", lambda self, retry: 0.02)
        for conn_id, endpoint in (
            ("BITTENSOR_RPC", "subtensor"),
            ("SAHARA_COMETBFT", "cometbft"),
            ("SAHARA_EVM", "evm"),
        ):
            mp.setenv(
                f"AIRFLOW_CONN_{conn_id}",
                json.dumps({"conn_type": "http", "host": devnet.endpoints[endpoint]}),
            )
        yield mp


def _run(dag_id: str, conf: dict, url: str, mp) -> None:
    mp.setenv("WAREHOUSE_URL", url)
    run_dag(dag_id, conf)


@pytest.fixture(autouse=True)
def no_faults_after(devnet):
    yield
    devnet.state.faults.clear()


@pytest.fixture(scope="module")
def bittensor_clean(airflow_db, connections, devnet, tmp_path_factory) -> tuple[dict, str]:
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
    # Two chunks around the end of a tempo window: every subnet's epoch is inside, so the metagraph
    # observations (runtime API calls) are read under faults too.
    boundary = (head - 4000) // 361 * 361
    conf = {
        "start_block": boundary - BITTENSOR_CHUNK,
        "end_block": boundary + BITTENSOR_CHUNK,
        "chunk_blocks": BITTENSOR_CHUNK,
    }
    url = _warehouse(tmp_path_factory.mktemp("bittensor"), "clean")
    _run("bittensor_ingest", conf, url, connections)
    return conf, url


@pytest.fixture(scope="module")
def evm_clean(airflow_db, connections, devnet, tmp_path_factory) -> tuple[dict, str]:
    from devnet.sahara.economy import SaharaChain, SaharaConfig
    from devnet.subtensor import DEFAULT_SCALE
    from tests.conftest import DEVNET_NOW

    chain = SaharaChain(SaharaConfig(seed=7, scale=DEFAULT_SCALE), clock=lambda: DEVNET_NOW)
    head = chain.head()
    # The window starts at a block with contract logs, so the first eth_getLogs answer has some.
    start = chain.evm_blocks_with_txs(head - 5000, head - 3000)[0]
    conf = {
        "start_block": start,
        "end_block": start + 2 * EVM_CHUNK,
        "chunk_blocks": EVM_CHUNK,
        "sources": ["evm"],
    }
    url = _warehouse(tmp_path_factory.mktemp("evm"), "clean")
    _run("sahara_ingest", conf, url, connections)
    return conf, url


def test_bittensor_dag_under_faults_leaves_the_warehouse_of_a_clean_run(
    bittensor_clean, connections, devnet, tmp_path
):
    conf, clean = bittensor_clean
    expected = _checksums(clean)
    blocks = conf["end_block"] - conf["start_block"]
    assert expected["chain_blocks"][0] == blocks and expected["quarantine"][0] == 0
    observed = _rows(clean, "SELECT COUNT(*) FROM events WHERE event_type = 'SubtensorModule.NeuronObserved'")
    assert observed[0][0] > 0

    faulty = _warehouse(tmp_path, "faulty")
    first = {
        "status503": {"rpc_method": "chain_getBlockHash"},
        "status429": {"rpc_method": "state_getRuntimeVersion"},
        "slow": {"rpc_method": "state_getStorage"},
        "truncate": {"rpc_method": "chain_getHeader"},
        "html": {"rpc_method": "state_call"},
        "not_rpc": {"rpc_method": "state_getStorage"},
    }
    _set_faults(devnet, transport_faults("/subtensor", first), seed=8)
    _run("bittensor_ingest", conf, faulty, connections)
    applied = _applied(devnet)

    assert all(applied.get(kind, 0) >= 1 for kind in first), str(applied)
    assert _checksums(faulty) == expected


def test_evm_dag_under_faults_leaves_the_warehouse_of_a_clean_run(evm_clean, connections, devnet, tmp_path):
    conf, clean = evm_clean
    expected = _checksums(clean)
    assert expected["chain_blocks"][0] == conf["end_block"] - conf["start_block"]
    assert _rows(clean, "SELECT COUNT(DISTINCT source) FROM events")[0][0] == 1  # the EVM only

    faulty = _warehouse(tmp_path, "faulty")
    first = {
        "status503": {"rpc_method": "eth_getLogs"},
        "status429": {"rpc_method": "eth_getBlockByNumber"},
        "slow": {"rpc_method": "eth_getLogs"},
        "truncate": {"rpc_method": "eth_getBlockByNumber"},
        "html": {"rpc_method": "eth_chainId"},
        "not_rpc": {"rpc_method": "eth_getLogs"},  # the connector raises; Airflow retries the chunk
    }
    _set_faults(devnet, transport_faults("/evm", first), seed=21)
    _run("sahara_ingest", conf, faulty, connections)
    applied = _applied(devnet)

    assert all(applied.get(kind, 0) >= 1 for kind in first), str(applied)
    assert _checksums(faulty) == expected


def test_malformed_values_are_quarantined_naming_their_block_and_nothing_else_changes(
    bittensor_clean, evm_clean, connections, devnet, tmp_path
):
    in_range = "SELECT event_id FROM events WHERE block_number >= :lo AND block_number < :hi"

    # Subtensor: the first System.Events value read comes back corrupt (its record count overruns it).
    conf, clean = bittensor_clean
    first = conf["start_block"]
    one_chunk = {"start_block": first, "end_block": first + BITTENSOR_CHUNK, "chunk_blocks": BITTENSOR_CHUNK}
    faulty = _warehouse(tmp_path, "bittensor")
    corrupt = {"kind": "mutate", "path": "/subtensor", "rpc_method": "state_getStorage", "count": 1}
    _set_faults(devnet, [corrupt | {"rpc_params": [EVENTS_KEY], "pointer": "/result", "value": "0xff00ff"}])
    _run("bittensor_ingest", one_chunk, faulty, connections)
    assert _applied(devnet)["mutate"] == 1
    devnet.state.faults.clear()

    ((block, rule, reason, raw),) = _rows(faulty, "SELECT block_number, rule, reason, raw FROM quarantine")
    assert (block, rule, raw) == (first, "decode_error", "0xff00ff")
    assert reason.startswith(f"block {first} (") and "shorter than its own record count" in reason
    lost = set(
        _rows(
            clean,
            "SELECT event_id FROM events WHERE block_number = :b AND position NOT LIKE 'obs.%'",
            b=first,
        )
    )
    assert len(lost) > 0
    expected = set(_rows(clean, in_range, lo=first, hi=first + BITTENSOR_CHUNK)) - lost
    assert set(_rows(faulty, "SELECT event_id FROM events")) == expected
    assert _rows(faulty, "SELECT COUNT(*) FROM chain_blocks")[0][0] == BITTENSOR_CHUNK

    # EVM: the first log of the first eth_getLogs answer has data that is not hex.
    conf, clean = evm_clean
    start = conf["start_block"]
    one_chunk = {
        "start_block": start,
        "end_block": start + EVM_CHUNK,
        "chunk_blocks": EVM_CHUNK,
        "sources": ["evm"],
    }
    faulty = _warehouse(tmp_path, "evm")
    bad = {
        "kind": "mutate",
        "path": "/evm",
        "rpc_method": "eth_getLogs",
        "pointer": "/result/0/data",
        "count": 1,
    }
    _set_faults(devnet, [bad | {"value": "0xnot-hex"}])
    _run("sahara_ingest", one_chunk, faulty, connections)
    assert _applied(devnet)["mutate"] == 1

    ((block, position, rule, reason),) = _rows(
        faulty, "SELECT block_number, position, rule, reason FROM quarantine"
    )
    assert (block, rule) == (start, "evm_log_decode")
    assert reason.startswith(f"block {block} from sahara_evm: log matches ") and "does not decode" in reason
    lost = _rows(clean, "SELECT event_id, event_type FROM events WHERE block_number = :b AND position = :p",
                 b=block, p=position.split(":", 1)[1])  # fmt: skip
    assert len(lost) == 1 and lost[0][1] != "evm.RawLog"
    expected = set(_rows(clean, in_range, lo=start, hi=start + EVM_CHUNK)) - {(lost[0][0],)}
    assert set(_rows(faulty, "SELECT event_id FROM events")) == expected


def _answers(*bodies: tuple[int, object]):
    """An httpx transport answering the given (status, JSON body) pairs in turn, counting requests."""
    queue = list(bodies)
    seen: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        return httpx.Response(status, content=json.dumps(body).encode())

    return httpx.MockTransport(handle), seen


def _node(transport, monkeypatch):
    """The Sahara connectors' client of a node served by `transport`, with their retry budget."""
    from etl.http import RetryPolicy
    from etl.sources.sahara_rpc import node_client

    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry: 0.0)
    http = node_client("http://node.invalid", timeout=5.0, concurrency=1)
    http.client = httpx.Client(transport=transport)
    return http


def test_a_200_answer_that_is_not_json_rpc_is_retried_like_a_5xx(monkeypatch):
    """A proxy's own JSON page answered with 200 is a transient failure: retried, then the real answer."""
    transport, seen = _answers(
        (200, {"status": "ok", "message": "upstream warming up"}),
        (200, ["not", "an", "envelope"]),
        (200, {"jsonrpc": "2.0", "id": -1, "result": {"height": "7"}}),
    )
    assert _node(transport, monkeypatch).rpc_uri("status") == {"height": "7"}
    assert len(seen) == 3


def test_a_node_that_never_answers_json_rpc_fails_with_what_it_answered(monkeypatch):
    from etl.http import RetriesExhausted
    from etl.sources.sahara_rpc import RETRY

    transport, seen = _answers((200, {"status": "maintenance"}))
    with pytest.raises(RetriesExhausted, match="not a JSON-RPC response.*maintenance"):
        _node(transport, monkeypatch).rpc_uri("status")
    assert len(seen) == RETRY.attempts == 10


def test_a_batch_answer_must_be_a_list_of_envelopes():
    from etl.http import is_batch

    assert is_batch([{"id": 1, "result": "0x1"}, {"id": 2, "error": {"code": -32000}}])
    assert is_batch({"jsonrpc": "2.0", "error": {"code": -32600, "message": "batch refused"}})
    assert not is_batch([{"id": 1, "result": "0x1"}, {"id": 2}])
    assert not is_batch({"ok": True})
