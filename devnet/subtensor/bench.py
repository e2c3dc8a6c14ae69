"""How many blocks per second the devnet's subtensor serves over loopback.

A block costs what an ingest run asks for it: its hash, its header and its System.Events, fetched in
JSON-RPC batches over HTTP. The simulation of the measured range is warmed first (one request), so
the number is the serving rate, not the one-off cost of simulating history.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import httpx

from devnet.subtensor.chain import DEFAULT_NOW
from devnet.subtensor.encoding import EVENTS_KEY


@dataclass
class BenchResult:
    blocks: int
    seconds: float
    blocks_per_second: float
    event_bytes: int
    requests: int

    def as_dict(self) -> dict:
        return asdict(self)


def _rpc(client: httpx.Client, url: str, calls: list[tuple[str, list]]) -> list:
    payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    response = client.post(url, json=payload)
    response.raise_for_status()
    answers = sorted(response.json(), key=lambda a: a["id"])
    for answer in answers:
        if "error" in answer:
            raise RuntimeError(f"devnet answered an error: {answer['error']}")
    return [a["result"] for a in answers]


def measure(
    url: str | None = None,
    *,
    blocks: int = 1000,
    batch_size: int = 100,
    start: int | None = None,
    seed: int = 7,
    now: int = DEFAULT_NOW,
    scale: float | None = None,
) -> BenchResult:
    """Fetch `blocks` consecutive finalized blocks (hash, header, events) and time it.

    With `url` None a devnet is started on a free loopback port for the measurement.
    """
    if url is None:
        from devnet.server import DevnetServer

        kwargs = {} if scale is None else {"scale": scale}
        with DevnetServer(seed=seed, now=now, **kwargs) as devnet:
            return measure(devnet.endpoints["subtensor"], blocks=blocks, batch_size=batch_size, start=start)
    with httpx.Client(timeout=120.0) as client:
        finalized_hash = _rpc(client, url, [("chain_getFinalizedHead", [])])[0]
        finalized = int(_rpc(client, url, [("chain_getHeader", [finalized_hash])])[0]["number"], 16)
        first = max(1, finalized - blocks + 1) if start is None else start
        last = min(finalized, first + blocks - 1)
        # Warm the simulation of the range (outside the timing).
        for b in range(first, last + 1, 361):
            h = _rpc(client, url, [("chain_getBlockHash", [b])])[0]
            _rpc(client, url, [("state_getStorageAt", [EVENTS_KEY, h])])
        requests, event_bytes = 0, 0
        began = time.perf_counter()
        for lo in range(first, last + 1, batch_size):
            numbers = list(range(lo, min(last, lo + batch_size - 1) + 1))
            hashes = _rpc(client, url, [("chain_getBlockHash", [n]) for n in numbers])
            calls: list[tuple[str, list]] = []
            for h in hashes:
                calls += [("chain_getHeader", [h]), ("state_getStorageAt", [EVENTS_KEY, h])]
            results = _rpc(client, url, calls)
            event_bytes += sum(len(r) // 2 - 1 for r in results[1::2])
            requests += 2
        seconds = time.perf_counter() - began
    count = last - first + 1
    return BenchResult(
        count, seconds, count / seconds if seconds > 0 else float("inf"), event_bytes, requests
    )


def blocks_per_second(url: str | None = None, **kwargs) -> float:
    """The devnet's serving rate in blocks per second (see `measure` for the options)."""
    return measure(url, **kwargs).blocks_per_second
