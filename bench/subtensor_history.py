"""Decode rate of the subtensor connector next to async-substrate-interface's per-block path.

Both sides read the same finalized blocks from the same node: (a) `SubtensorSource.fetch` (JSON-RPC
batches over HTTP, bt-decode over many blocks per call, each block with its own runtime's metadata),
(b) `SubstrateInterface(url=ws).get_events(block_hash)` block by block over WebSocket, as a script
built on the usual client would. The node's own cost of producing the blocks is paid before timing
(one untimed pass), so the numbers compare the clients. Metagraph observations are left out: the
other path has no equivalent.

`SubtensorHistory` produces the Bittensor part of `decai bench`'s history (full scale, streamed), and
`devnet_client` serves the devnet's routes to a connector in process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def measure(endpoints: dict, start: int, end: int, rounds: int = 3) -> dict:
    """Events/s for blocks [start, end) on both paths, and `decode_speedup` (ours / theirs).

    `endpoints` holds `subtensor` (HTTP JSON-RPC) and `subtensor_ws` (WebSocket), as
    `DevnetServer.endpoints` does. `events_match` says whether both paths read the same events (the
    same event types in the same order in every block): if not, the speedup compares different work.

    On the same System.Events bytes, with no network: `connector_decode_only_events_per_s`, the
    connector's rate from those bytes to `Event` records ready to append (`decode_into`), and
    `bt_decode_events_per_s`, bt-decode's own rate decoding them (one `decode_list` per runtime, what
    the connector calls inside); `decode_vs_limit` is the first over the second (best of `rounds`).
    """
    import bt_decode
    from async_substrate_interface import SubstrateInterface

    from etl.events import ChainFetch
    from etl.sources.subtensor import SubtensorSource, decode_into

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
        groups = {spec: [b for b in raws if specs[b.number] == spec] for spec in runtimes}

        def connector() -> int:
            out = ChainFetch(start, end)
            for spec, group in groups.items():
                decode_into(out, runtimes[spec], spec, group)
            return len(out.events) + len(out.quarantined)

        def limit() -> int:
            records = 0
            for spec, group in groups.items():
                runtime = runtimes[spec]
                present = [b.events_raw for b in group if b.events_raw]
                decoded = bt_decode.decode_list([f"scale_info::{runtime.events_type}"] * len(present),
                                                runtime.registry, present)  # fmt: skip
                records += sum(len(block) for block in decoded)
            return records

        decode_only_s = limit_s = float("inf")
        for _ in range(rounds):  # alternated, so a busy moment of the machine weighs on both
            seconds, decoded_events = _timed(connector)
            decode_only_s = min(decode_only_s, seconds)
            seconds, limit_events = _timed(limit)
            limit_s = min(limit_s, seconds)
        hashes = [b.hash for b in raws]
        ours_types = [
            (e.block_number, e.position.rsplit(".", 1)[0], e.event_type)
            for e in sorted(fetched.events, key=_record_order)
        ]

    substrate = SubstrateInterface(url=endpoints["subtensor_ws"])
    try:
        substrate.get_events(hashes[0])  # untimed: loads the first runtime
        began = time.perf_counter()
        theirs = [substrate.get_events(h) for h in hashes]
        theirs_s = time.perf_counter() - began
    finally:
        substrate.close()
    theirs_events = sum(len(events) for events in theirs)
    theirs_types = [
        (number, _phase(e), f"{e.get('module_id')}.{e.get('event_id')}")
        for number, events in zip(range(start, end), theirs, strict=True)
        for e in events
    ]

    blocks = end - start
    ours_rate = ours_events / ours_s if ours_s > 0 else float("inf")
    theirs_rate = theirs_events / theirs_s if theirs_s > 0 else float("inf")
    return {
        "blocks": blocks,
        "events": ours_events,
        "get_events_events": theirs_events,
        "events_match": ours_events == theirs_events
        and not fetched.quarantined
        and ours_types == theirs_types,
        "connector_seconds": round(ours_s, 3),
        "connector_blocks_per_s": round(blocks / ours_s, 1),
        "connector_events_per_s": round(ours_rate, 1),
        "connector_decode_only_events_per_s": round(decoded_events / decode_only_s, 1),
        "bt_decode_events_per_s": round(limit_events / limit_s, 1),
        "decode_vs_limit": round(limit_s / decode_only_s, 3) if decoded_events == limit_events else None,
        "decode_events": decoded_events,
        "bt_decode_events": limit_events,
        "get_events_seconds": round(theirs_s, 3),
        "get_events_blocks_per_s": round(blocks / theirs_s, 1),
        "get_events_events_per_s": round(theirs_rate, 1),
        "decode_speedup": round(ours_rate / theirs_rate, 2) if theirs_rate else None,
    }


def _timed(fn):
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def _record_order(event) -> tuple[int, int]:
    """An event's place in its block's System.Events (its position is "<phase>.<index>")."""
    return event.block_number, int(event.position.rsplit(".", 1)[1])


def _phase(record: dict) -> str:
    """async-substrate-interface's record phase as the connector writes it in a position: the
    extrinsic's index, "i" (initialization) or "f" (finalization)."""
    phase = record.get("phase")
    return str(record.get("extrinsic_idx")) if phase == "ApplyExtrinsic" else str(phase or "?")[:1].lower()


def _hashes(source, start: int, end: int) -> dict[int, str]:
    numbers = list(range(start, end))
    return dict(zip(numbers, source.block_hashes(numbers), strict=True))


# ---------------------------------------------------------------------------- benchmark history
def devnet_client(routes: list):
    """An HTTP client served by the devnet's own ASGI routes in this process (no socket).

    The connectors keep their whole HTTP path (batches, status handling, JSON parsing); only the
    network is gone, so a long history is not bounded by loopback round trips. Close it when done.
    """
    import warnings

    from starlette.applications import Starlette

    with warnings.catch_warnings():
        # Starlette suggests its `httpx2` package for this client; the pinned httpx serves it well.
        warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
        from starlette.testclient import TestClient

    client = TestClient(Starlette(routes=routes), base_url="http://devnet")
    client.__enter__()  # one event-loop portal for every request, instead of one per request
    return client


class SubtensorHistory:
    """Bittensor history straight from the devnet's simulator, block range by block range.

    `SubtensorSource` reads System.Events and the block bodies from the devnet's own JSON-RPC (served
    in process by `devnet_client`) and decodes them as in production: every signed extrinsic gives
    its `System.ExtrinsicObserved`, and the first block of each UTC day the paged
    `System.AccountsObserved` snapshot of the day before. Metagraph observations are the exception:
    the devnet answers `get_neurons_lite` at a past block by replaying the chain from its last
    checkpoint, seconds a call at full scale. Here the simulator is walked once, window by window,
    and each subnet's metagraph is read off the walk at its epoch block, then turned into events by
    the connector's own `neuron_payload` / `observation_rows` (the same payloads as over RPC: a test
    checks that). The state at each day's last block is likewise taken off the walk and handed to
    the chain's state cache, so the connector's `System.Account` pages there are answered without a
    replay. Memory stays bounded by one window: windows are fed to the chain's cache as they are
    walked and the cache keeps only a few.
    """

    CACHE_WINDOWS = 4

    def __init__(self, *, seed: int = 7, scale: float = 1.0, now: int | None = None) -> None:
        from devnet.subtensor import SubtensorChain, SubtensorRpc, subtensor_routes
        from devnet.subtensor.chain import GENESIS
        from devnet.subtensor.rpc import AnswerCache
        from etl.sources.subtensor import SubtensorSource

        self.chain = SubtensorChain(seed=seed, scale=scale)
        self.chain.CACHE_WINDOWS = self.CACHE_WINDOWS
        clock = now if now is not None else GENESIS + 400 * 86400
        rpc = SubtensorRpc(self.chain, lambda: clock)
        rpc.answers = AnswerCache(limit=0)  # each block is read once: keeping its answers only costs memory
        self._client = devnet_client(subtensor_routes(rpc))
        self.source = SubtensorSource(
            "http://devnet/subtensor", observations=False, accounts=True, concurrency=1
        )
        self.source.rpc._client.close()
        self.source.rpc._client = self._client
        self._state = self.chain._genesis_state()
        self._walked = -1  # the last window walked
        self._observed: dict[int, list] = {}  # epoch block -> [(netuid, neurons, subnet info)]
        self.cursor = 1  # the next block to read (block 0 is genesis: no events)

    def close(self) -> None:
        self._client.__exit__(None, None, None)
        self.source.close()

    @property
    def stream(self) -> str:
        return self.source.stream

    def block_time(self, block: int) -> datetime:
        return datetime.fromtimestamp(self.chain.timestamp_ms(block) / 1000, UTC)

    def next_fetch(self, max_blocks: int):
        """`ChainFetch` of the next blocks (at most `max_blocks`, never past a window's end)."""
        from devnet.subtensor.chain import WINDOW
        from etl.events import Event

        window = self.cursor // WINDOW
        if window > self._walked:
            self._walk(window)
        end = min(self.cursor + max(1, max_blocks), (window + 1) * WINDOW)
        fetched = self.source.fetch(self.cursor, end)
        # The issuance and pool storage of every block, read as the connector reads it.
        numbers = range(max(0, self.cursor - 1), end)
        hashes = {n: self.chain.block_hash(n) for n in numbers}
        specs = {n: self.chain.spec_version(n) for n in numbers}
        times = {b.number: b.time for b in fetched.blocks}
        netuids = sorted({*self.chain.emission_state(self.cursor), *self.chain.emission_state(end - 1)})
        self.source._observe_emission(fetched, self.cursor, end, hashes, specs, times, netuids)
        for block in range(self.cursor, end):
            for netuid, neurons, subnet in self._observed.pop(block, ()):
                for row in self._observation_rows(block, netuid, neurons, subnet):
                    (fetched.events if isinstance(row, Event) else fetched.quarantined).append(row)
        self.cursor = end
        with self.chain._lock:  # the day-end states kept by the walk are read once, by this fetch
            for block in [b for b in self.chain._state_cache if b < end - 1]:
                del self.chain._state_cache[block]
        return fetched

    def _walk(self, w: int) -> None:
        """Advance the walk through window `w` as the chain simulates it, reading each epoch's metagraph."""
        from devnet.subtensor import encoding
        from devnet.subtensor.chain import WINDOW, Window, _clone

        chain, state = self.chain, self._state
        ops = chain._generate_ops(state, w)
        window = Window(w, ops, {}, {})
        chain._begin_window(state, w, window)
        # Every subnet's epoch block in the window (root's too: the connector asks for its pool).
        epochs = sorted((chain._epoch_block(w, netuid), netuid) for netuid in state.subnets)
        pending = 0
        # The window's last blocks of a UTC day: the next block's fetch pages System.Account there.
        day_ends = [
            b
            for b in range(max(1, w * WINDOW), (w + 1) * WINDOW)
            if self.block_time(b).date() != self.block_time(b + 1).date()
        ]

        def keep_days_before(block: int) -> None:
            while day_ends and day_ends[0] < block:
                at = day_ends.pop(0)
                chain.settle(state, at)
                snapshot = _clone(state)
                snapshot.block = at
                with chain._lock:  # what `state_at(at)` would rebuild by replaying the chain
                    chain._state_cache[at] = snapshot

        def observe_before(block: int) -> None:
            nonlocal pending
            # The state now is the state after every block before `block`: what a node answers there.
            while pending < len(epochs) and epochs[pending][0] < block:
                at, netuid = epochs[pending]
                pending += 1
                keep_days_before(at)
                if netuid in state.subnets and at >= max(1, w * WINDOW):
                    chain.settle(state, at)  # the pools hold every block's emission up to `at`
                    neurons = encoding.neurons_lite(chain, state, netuid, at) or []
                    meta = encoding.meta_for(chain, at)
                    info = meta.encode("OptionDynamicInfo", encoding.dynamic_info(chain, state, netuid, at))
                    self._observed.setdefault(at, []).append((netuid, neurons, "0x" + info.hex()))
            keep_days_before(block)

        for op in ops:
            observe_before(op.block)
            known = len(state.subnets)
            chain._apply(state, op, window)
            if len(state.subnets) > known:  # a network registered: its first epoch may fall in this window
                for netuid in set(state.subnets) - {n for _, n in epochs}:
                    at = chain._epoch_block(w, netuid)
                    if at > op.block:
                        epochs.append((at, netuid))
                epochs[pending:] = sorted(epochs[pending:])
        observe_before((w + 1) * WINDOW)
        chain.settle(state, w * WINDOW + WINDOW - 1)
        state.block = w * WINDOW + WINDOW - 1
        chain._remember(window)
        self._walked = w

    def _observation_rows(self, block: int, netuid: int, neurons: list[dict], subnet_hex: str) -> list:
        from types import SimpleNamespace

        from etl.events import Event
        from etl.sources.subtensor import CHAIN, SOURCE, neuron_payload, observation_rows

        spec = self.chain.spec_version(block)
        block_hash = self.chain.block_hash(block)
        block_time = self.block_time(block)
        runtime = self.source.runtime(spec, block_hash, v15=True)
        out = [
            Event(
                chain=CHAIN,
                source=SOURCE,
                block_number=block,
                position=f"obs.neuron.{netuid}.{n['uid']}",
                event_type="SubtensorModule.NeuronObserved",
                block_time=block_time,
                # The decoded NeuronInfoLite's attributes, taken from the value the node would encode.
                payload=neuron_payload(
                    SimpleNamespace(**{**n, "axon_info": SimpleNamespace(**n["axon_info"])})
                ),
                block_hash=block_hash,
                spec_version=spec,
            )
            for n in neurons
        ]
        out += observation_rows(
            None,
            subnet_hex,
            runtime,
            netuid=netuid,
            block=block,
            block_hash=block_hash,
            block_time=block_time,
            spec_version=spec,
        )
        return out
