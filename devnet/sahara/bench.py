"""How fast the Sahara devnet serves blocks over loopback, so it never bounds an ingest benchmark.

`blocks_per_second(endpoints)` reads, one request after another as a connector would, the
`/block_results` of `blocks` consecutive heights below the head, then the same heights again
through `eth_getLogs` in ranges of `logs_range` blocks. Heights are fresh (never served before by
this call), so the numbers include generation, not only the devnet's caches; the chain prefix up
to the first height is generated before timing starts.
"""

from __future__ import annotations

import time

import httpx


def blocks_per_second(
    endpoints: dict[str, str], *, blocks: int = 500, logs_range: int = 500, offset: int = 10_000
) -> dict[str, float]:
    """{"block_results": blocks/s, "eth_getLogs": blocks/s, "blocks": n, "logs": logs seen}."""
    comet, evm = endpoints["cometbft"], endpoints["evm"]
    with httpx.Client(timeout=60) as client:
        status = client.get(comet + "/status").json()["result"]
        head = int(status["sync_info"]["latest_block_height"])
        lowest = int(status["sync_info"]["earliest_block_height"])
        first = max(lowest + 1, head - offset - blocks)
        last = min(head, first + blocks - 1)
        client.get(
            comet + "/block_results", params={"height": first - 1}
        ).raise_for_status()  # warm the prefix

        started = time.perf_counter()
        for height in range(first, last + 1):
            client.get(comet + "/block_results", params={"height": height}).raise_for_status()
        comet_seconds = time.perf_counter() - started

        logs = 0
        started = time.perf_counter()
        for lo in range(first, last + 1, logs_range):
            hi = min(last, lo + logs_range - 1)
            body = {
                "jsonrpc": "2.0",
                "id": lo,
                "method": "eth_getLogs",
                "params": [{"fromBlock": hex(lo), "toBlock": hex(hi)}],
            }
            answer = client.post(evm, json=body).json()
            logs += len(answer["result"])
        evm_seconds = time.perf_counter() - started
    n = last - first + 1
    return {
        "block_results": n / comet_seconds if comet_seconds else float("inf"),
        "eth_getLogs": n / evm_seconds if evm_seconds else float("inf"),
        "blocks": float(n),
        "logs": float(logs),
    }


def run(
    seed: int = 7, now: int | None = None, scale: float | None = None, blocks: int = 500
) -> dict[str, float]:
    """Start a devnet on 127.0.0.1, measure, stop it."""
    from devnet.server import DevnetServer

    kwargs = {"seed": seed, "now": now, "rate_limit_per_minute": 0}
    if scale is not None:
        kwargs["scale"] = scale
    with DevnetServer(**kwargs) as devnet:
        return blocks_per_second(devnet.endpoints, blocks=blocks)
