"""The devnet's fault rules on JSON-RPC batches: a rule about a method alters that call's answer
wherever it sits in a batch, and a count is never spent on an answer the node did not send."""

from __future__ import annotations

import json

import httpx
import pytest

from devnet.faults import FaultPlan, FaultRule, alter, rpc_calls
from etl.sources.subtensor import EVENTS_KEY, TIMESTAMP_NOW_KEY


def _batch(*calls: tuple[str, list]) -> bytes:
    return json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    ).encode()


def test_a_method_rule_mutates_only_the_answer_to_that_call():
    request = _batch(
        ("chain_getHeader", ["0xaa"]),
        ("state_getStorage", [EVENTS_KEY, "0xaa"]),
        ("state_getStorage", [TIMESTAMP_NOW_KEY, "0xaa"]),
    )
    answer = json.dumps([{"jsonrpc": "2.0", "id": i, "result": f"0x0{i}"} for i in (2, 0, 1)]).encode()
    plan = FaultPlan(seed=1)
    plan.set([{"kind": "mutate", "rpc_method": "state_getStorage", "rpc_params": [EVENTS_KEY],
               "pointer": "/result", "value": "0xff00ff"}])  # fmt: skip
    calls = rpc_calls(request)
    rules = plan.take("/subtensor", calls)
    altered = {a["id"]: a["result"] for a in json.loads(alter(answer, rules, calls))}
    assert altered == {0: "0x00", 1: "0xff00ff", 2: "0x02"}
    assert plan.take("/subtensor", calls) == []  # count 1: spent
    # A request without that call does not spend it either.
    plan.set([{"kind": "mutate", "rpc_method": "eth_getLogs", "pointer": "/result/0/data", "value": "0x"}])
    assert plan.take("/evm", rpc_calls(_batch(("eth_getBlockByNumber", ["0x1", False])))) == []
    (rule,) = plan.take("/evm", rpc_calls(_batch(("eth_getLogs", [{}]))))
    # An answer with no log: the pointer names nothing, the answer goes out unchanged, nothing applied.
    empty = json.dumps([{"jsonrpc": "2.0", "id": 0, "result": []}]).encode()
    assert alter(empty, [rule], rpc_calls(_batch(("eth_getLogs", [{}])))) == empty and rule.applied == 0


def test_an_answering_rule_keeps_body_rules_for_a_later_request():
    plan = FaultPlan(seed=1)
    plan.set([{"kind": "truncate", "path": "/evm"}, {"kind": "status", "path": "/evm", "status": 503}])
    first = plan.take("/evm")
    assert [r.kind for r in first] == ["status"]
    assert [r.kind for r in plan.take("/evm")] == ["truncate"]


def test_rules_are_checked_when_set(devnet):
    bad = httpx.post(devnet.base_url + "/_devnet/faults", json={"rules": [{"kind": "drop"}]})
    assert bad.status_code == 400 and "'drop' is not one of" in bad.json()["error"]
    with pytest.raises(ValueError, match="unknown keys"):
        FaultRule.from_dict({"kind": "replace", "html": "<p>"})
    # `replace` answers 200 unless told otherwise: a body that is the problem, not the status.
    assert FaultRule.from_dict({"kind": "replace", "body": "<p>"}).status == 200
