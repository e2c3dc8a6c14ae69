"""Fault switches of the devnet: errors, slowness, truncated bodies and malformed payloads on demand.

A plan is a list of rules, each matching a path prefix. A rule fires for its next `count` matching
requests, or on a seeded share of them (`probability`), so a test or a benchmark can say exactly
what goes wrong and still get the same run twice.

Kinds:
- `status`: answer with HTTP `status` (429 carries `Retry-After: retry_after`),
- `slow`: wait `seconds` before answering,
- `truncate`: send only the first half of the body,
- `mutate`: replace the JSON value at `pointer` (RFC 6901, e.g. `/prices/3/1`) with `value`
  (`pointer` "" replaces the whole answer, e.g. with an object that is no JSON-RPC answer),
- `replace`: answer `body` verbatim with HTTP `status` (default 200), e.g. a proxy's HTML error page.

JSON-RPC endpoints (subtensor, EVM) take batches, so a rule can also name a method: `rpc_method`
(and optionally `rpc_params`, the first parameters of the call) makes it fire only for requests that
make such a call, and a `mutate` then applies `pointer` inside that call's answer (e.g. `/result` of
`state_getStorage` of `System.Events`, `/result/0/data` of `eth_getLogs`) wherever it sits in a batch.
A `mutate` whose pointer names nothing in the answer leaves it as it is; `applied` counts the answers
really altered, `fired` the requests a rule was taken for.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "slow", "truncate", "mutate", "replace")
ANSWERING = ("status", "replace")  # kinds that answer instead of the node


@dataclass
class FaultRule:
    kind: str
    path: str = "/"
    count: int | None = 1
    probability: float | None = None
    status: int = 500
    retry_after: float = 1.0
    seconds: float = 0.5
    pointer: str = ""
    value: Any = None
    body: str = ""
    rpc_method: str | None = None
    rpc_params: list | None = None
    fired: int = 0
    applied: int = 0

    @classmethod
    def from_dict(cls, spec: dict) -> FaultRule:
        if spec.get("kind") not in KINDS:
            raise ValueError(f"fault kind {spec.get('kind')!r} is not one of {KINDS}")
        unknown = set(spec) - (set(cls.__dataclass_fields__) - {"fired", "applied"})
        if unknown:
            raise ValueError(f"fault rule has unknown keys {sorted(unknown)}")
        rule = cls(**spec)
        if rule.kind == "replace" and "status" not in spec:
            rule.status = 200
        if rule.probability is not None:
            rule.count = None
        return rule

    def matching_call(self, calls: list[dict] | None) -> dict | None:
        """The first JSON-RPC call of the request this rule is about (None: it names no method or
        the request makes no such call)."""
        for call in calls or ():
            params = call.get("params") if isinstance(call.get("params"), list) else []
            if call.get("method") == self.rpc_method and (
                self.rpc_params is None or params[: len(self.rpc_params)] == self.rpc_params
            ):
                return call
        return None


@dataclass
class FaultPlan:
    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    def set(self, specs: list[dict], seed: int | None = None) -> None:
        rules = [FaultRule.from_dict(s) for s in specs]
        with self._lock:
            self.rules = rules
            if seed is not None:
                self._rng = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self.rules = []

    def wants_calls(self, path: str) -> bool:
        """Whether a rule for this path needs the request's JSON-RPC calls to decide."""
        with self._lock:
            return any(r.rpc_method and path.startswith(r.path) for r in self.rules)

    def take(self, path: str, calls: list[dict] | None = None) -> list[FaultRule]:
        """The rules that fire for this request (consuming their counts): at most one rule that
        answers in place of the node (`status`, `replace`), and rules that alter the node's answer
        (`truncate`, `mutate`) only when none does, so a count is never spent on an answer it
        could not alter."""
        fired = []
        with self._lock:
            # Rules that answer are decided first; the others keep their order.
            for rule in sorted(self.rules, key=lambda r: r.kind not in ANSWERING):
                if not path.startswith(rule.path):
                    continue
                if rule.rpc_method and rule.matching_call(calls) is None:
                    continue
                answered = any(f.kind in ANSWERING for f in fired)
                if answered and rule.kind in (*ANSWERING, "truncate", "mutate"):
                    continue
                if rule.probability is not None:
                    if self._rng.random() >= rule.probability:
                        continue
                elif not rule.count or rule.fired >= rule.count:
                    continue
                rule.fired += 1
                fired.append(rule)
        return fired

    def describe(self) -> list[dict]:
        with self._lock:
            return [dict(vars(r)) for r in self.rules]


def apply_pointer(document: Any, pointer: str, value: Any) -> Any:
    """Set `value` at the JSON pointer in `document` (in place) and return the document."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    if not parts:
        return value
    target = document
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


def rpc_calls(body: bytes) -> list[dict]:
    """The JSON-RPC calls of a request body (one or a batch); [] when it is not JSON-RPC."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    calls = payload if isinstance(payload, list) else [payload]
    return [c for c in calls if isinstance(c, dict) and isinstance(c.get("method"), str)]


def alter(body: bytes, rules: list[FaultRule], calls: list[dict] | None = None) -> bytes:
    """The answer `body` after the `mutate` and `truncate` rules (in order); counts what each altered."""
    for rule in rules:
        if rule.kind == "truncate":
            body = body[: len(body) // 2]
            rule.applied += 1
        elif rule.kind == "mutate":
            try:
                document = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                continue  # already not JSON (truncated)
            target = document
            if rule.rpc_method:
                call = rule.matching_call(calls) or {}
                answers = document if isinstance(document, list) else [document]
                target = next(
                    (a for a in answers if isinstance(a, dict) and a.get("id") == call.get("id")), None
                )
            if target is None or not _names_something(target, rule.pointer):
                continue  # the pointer names nothing in this answer: it goes out as it is
            changed = apply_pointer(target, rule.pointer, rule.value)
            if not rule.pointer:  # the whole answer, or the whole answer to one call of a batch
                document = (
                    changed if target is document else [changed if a is target else a for a in document]
                )
            body = json.dumps(document).encode()
            rule.applied += 1
    return body


def _names_something(document: Any, pointer: str) -> bool:
    target = document
    for part in [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]:
        if isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        elif isinstance(target, dict) and part in target:
            target = target[part]
        else:
            return False
    return True
