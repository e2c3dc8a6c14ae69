"""Fault switches of the devnet: errors, slowness, truncated bodies and malformed payloads on demand.

A plan is a list of rules, each matching a path prefix. A rule fires for its next `count` matching
requests, or on a seeded share of them (`probability`), so a test or a benchmark can say exactly
what goes wrong and still get the same run twice.

Kinds:
- `status`: answer with HTTP `status` (429 carries `Retry-After: retry_after`),
- `slow`: wait `seconds` before answering,
- `truncate`: send only the first half of the body,
- `mutate`: replace the JSON value at `pointer` (RFC 6901, e.g. `/prices/3/1`) with `value`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "slow", "truncate", "mutate")


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
    fired: int = 0

    @classmethod
    def from_dict(cls, spec: dict) -> FaultRule:
        if spec.get("kind") not in KINDS:
            raise ValueError(f"fault kind {spec.get('kind')!r} is not one of {KINDS}")
        unknown = set(spec) - (set(cls.__dataclass_fields__) - {"fired"})
        if unknown:
            raise ValueError(f"fault rule has unknown keys {sorted(unknown)}")
        rule = cls(**spec)
        if rule.probability is not None:
            rule.count = None
        return rule


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

    def take(self, path: str) -> list[FaultRule]:
        """The rules that fire for this request (consuming their counts); at most one `status` rule."""
        fired = []
        with self._lock:
            for rule in self.rules:
                if not path.startswith(rule.path):
                    continue
                if rule.kind == "status" and any(f.kind == "status" for f in fired):
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
