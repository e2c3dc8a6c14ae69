"""Network latency for the devnet: every answer on a wire endpoint waits as a distant node's would.

Loopback answers in microseconds; a real node answers in tens of milliseconds. `Latency(ms, jitter_ms,
seed)` holds each request on a protocol route (subtensor JSON-RPC over HTTP, a whole batch being one
request, and each WebSocket answer; CometBFT; the EVM; CoinGecko) for `ms` plus a jitter drawn in
[0, `jitter_ms`] before it is handled. The control routes (`/_devnet/...`) never wait. The jitter is
a pure function of the seed and the request's ordinal, so the same seed gives the same sequence of
delays; `jitter_ms` defaults to a fifth of `ms`. A delay is never below `ms`: it is the floor a
client can rely on.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field


def default_jitter(ms: float) -> float:
    """The jitter when none is given: a fifth of the latency."""
    return ms * 0.2


@dataclass
class Latency:
    ms: float = 0.0
    jitter_ms: float | None = None
    seed: int = 0
    #: Requests held so far, and the seconds they were held in all.
    delayed: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.set(self.ms, self.jitter_ms, self.seed)

    def set(self, ms: float, jitter_ms: float | None = None, seed: int | None = None) -> None:
        ms = float(ms)
        jitter = default_jitter(ms) if jitter_ms is None else float(jitter_ms)
        if ms < 0 or jitter < 0:
            raise ValueError(f"latency and jitter are milliseconds >= 0, not {ms} and {jitter}")
        with self._lock:
            self.ms, self.jitter_ms = ms, jitter
            if seed is not None:
                self.seed = int(seed)
            self.delayed, self.seconds = 0, 0.0

    def draw(self) -> float:
        """Seconds to hold the next request: `ms` plus this request's share of the jitter."""
        if not self.ms and not self.jitter_ms:
            return 0.0
        with self._lock:
            ordinal = self.delayed
            self.delayed += 1
            digest = hashlib.blake2b(f"{self.seed}:{ordinal}".encode(), digest_size=8).digest()
            share = int.from_bytes(digest, "big") / 2**64
            seconds = (self.ms + share * self.jitter_ms) / 1000.0
            self.seconds += seconds
        return seconds

    def describe(self) -> dict:
        with self._lock:
            return {
                "ms": self.ms,
                "jitter_ms": self.jitter_ms,
                "seed": self.seed,
                "requests_delayed": self.delayed,
                "seconds_delayed": round(self.seconds, 3),
            }
