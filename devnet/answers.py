"""Answers the devnet keeps as encoded JSON, because they can never change.

A block below the head, or state read at a block, is the same every time it is asked for: its result
is encoded once and kept, and a later request gets those bytes inside a JSON-RPC envelope that carries
its own id. What is kept is bounded by its size (`AnswerCache`, least recently used first out).
Anything about the head or the latest block is never kept: the protocol modules decide what may be.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

#: How much encoded answer each cache keeps by default (the least recently used goes first).
ANSWER_CACHE_BYTES = 256 * 2**20


def encode(value: Any) -> bytes:
    """JSON as the devnet writes it: compact separators, ASCII only."""
    return json.dumps(value, separators=(",", ":")).encode()


def envelope(rpc_id: Any, result: bytes) -> bytes:
    """`encode({"jsonrpc": "2.0", "id": rpc_id, "result": <result>})`, the result already encoded."""
    written = str(rpc_id).encode() if type(rpc_id) is int else encode(rpc_id)
    return b'{"jsonrpc":"2.0","id":' + written + b',"result":' + result + b"}"


class AnswerCache:
    """Encoded answers (bytes or text) by key, at most `limit` in all by length, least recently used
    evicted first; an answer longer than the whole budget is not kept."""

    def __init__(self, limit: int = ANSWER_CACHE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if len(value) > self.limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self.size += len(value) - (len(old) if old is not None else 0)
            self._items[key] = value
            while self.size > self.limit:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0
