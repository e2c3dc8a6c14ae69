"""Decode rate of the subtensor connector next to async-substrate-interface's per-block path.

Both sides read the same finalized blocks from the same node: (a) `SubtensorSource.fetch` (JSON-RPC
batches over HTTP, bt-decode over many blocks per call, each block with its own runtime's metadata),
(b) `SubstrateInterface(url=ws).get_events(block_hash)` block by block over WebSocket, as a script
built on the usual client would. The node's own cost of producing the blocks is paid before timing
(one untimed pass), so the numbers compare the clients. Metagraph observations are left out: the
other path has no equivalent.
"""

from __future__ import annotations

import time


def measure(endpoints: dict, start: int, end: int) -> dict:
    """Events/s for blocks [start, end) on both paths, and `decode_speedup` (ours / theirs).

    `endpoints` holds `subtensor` (HTTP JSON-RPC) and `subtensor_ws` (WebSocket), as
    `DevnetServer.endpoints` does.
    """
    from async_substrate_interface import SubstrateInterface

    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(endpoints["subtensor"], observations=False) as source:
        source.fetch(start, end)  # untimed: the node simulates/caches the range, metadata is loaded
        began = time.perf_counter()
        fetched = source.fetch(start, end)
        ours_s = time.perf_counter() - began
        ours_events = len(fetched.events) + len(fetched.quarantined)
        raws = source._read_blocks(start, end, _hashes(source, start, end))
        specs = {b.number: b.spec_version for b in fetched.blocks}
        runtimes = {}
        for n, spec in sorted(specs.items()):
            if spec not in runtimes:
                runtimes[spec] = source.runtime(spec, source.block_hashes([max(0, n - 1)])[0])
        began = time.perf_counter()
        for spec, runtime in runtimes.items():
            runtime.decode_blocks([b.events_raw for b in raws if specs[b.number] == spec])
        decode_only_s = time.perf_counter() - began
        hashes = [b.hash for b in raws]

    substrate = SubstrateInterface(url=endpoints["subtensor_ws"])
    try:
        substrate.get_events(hashes[0])  # untimed: loads the first runtime
        began = time.perf_counter()
        theirs_events = sum(len(substrate.get_events(h)) for h in hashes)
        theirs_s = time.perf_counter() - began
    finally:
        substrate.close()

    blocks = end - start
    ours_rate = ours_events / ours_s if ours_s > 0 else float("inf")
    theirs_rate = theirs_events / theirs_s if theirs_s > 0 else float("inf")
    return {
        "blocks": blocks,
        "events": ours_events,
        "events_match": ours_events == theirs_events,
        "connector_seconds": round(ours_s, 3),
        "connector_blocks_per_s": round(blocks / ours_s, 1),
        "connector_events_per_s": round(ours_rate, 1),
        "connector_decode_only_events_per_s": round(ours_events / decode_only_s, 1)
        if decode_only_s
        else None,
        "get_events_seconds": round(theirs_s, 3),
        "get_events_blocks_per_s": round(blocks / theirs_s, 1),
        "get_events_events_per_s": round(theirs_rate, 1),
        "decode_speedup": round(ours_rate / theirs_rate, 2) if theirs_rate else None,
    }


def _hashes(source, start: int, end: int) -> dict[int, str]:
    numbers = list(range(start, end))
    return dict(zip(numbers, source.block_hashes(numbers), strict=True))
