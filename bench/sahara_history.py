"""Ingest throughput of the Sahara connectors, for `decai bench`.

`measure(endpoints, start, end)` reads blocks [start, end) from each source twice over:

- `fetch`: connector only (RPC reads, decoding) -> `fetch_blocks_per_s`, `fetch_events_per_s`;
- `ingest`: the whole pipeline (fetch, chain audit, GX suite, one-transaction append) into a fresh
  embedded DuckDB warehouse -> `blocks_per_s`, `events_per_s`.

The devnet caches what it served, so the ingest pass mostly measures this side of the wire; the
fetch pass runs first and includes the devnet generating the blocks. One-time setup (loading Great
Expectations, the first suite run) happens before timing.

`SaharaHistory` produces the Sahara part of `decai bench`'s history: both connectors, unchanged, read
the devnet's CometBFT and EVM routes served in the same process, block range after block range.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def _warm_up(source, start: int) -> None:
    """Load Great Expectations and run the family's suite once, so one-time setup is not timed."""
    from etl.validate.chain_events import validate_chain_events

    sample = source.fetch(start, start + 1)
    validate_chain_events(sample.events, family=source.family, start=start, end=start + 1)


def measure(endpoints: dict[str, str], start: int, end: int, *, warehouse_url: str | None = None) -> dict:
    """{"cometbft": {...}, "evm": {...}, "blocks": n}: rates per second for each source."""
    from etl.pipeline.chain import ingest_range
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource
    from warehouse import db

    blocks = end - start
    out: dict = {"blocks": blocks}
    with tempfile.TemporaryDirectory(prefix="decai-sahara-bench-") as tmp:
        url = warehouse_url or f"duckdb:///{Path(tmp) / 'bench.duckdb'}"
        db.migrate(url)
        for name, factory in (
            ("cometbft", lambda: CometBFTSource(endpoints["cometbft"])),
            ("evm", lambda: EvmSource(endpoints["evm"])),
        ):
            source = factory()
            try:
                _warm_up(source, start)
                started = time.perf_counter()
                fetched = source.fetch(start, end)
                fetch_s = time.perf_counter() - started
                started = time.perf_counter()
                summary = ingest_range(source, start, end, warehouse_url=url, run_id="bench")
                ingest_s = time.perf_counter() - started
            finally:
                source.close()
            events = fetched.rows_in
            out[name] = {
                "events": events,
                "fetch_seconds": round(fetch_s, 3),
                "fetch_blocks_per_s": round(blocks / fetch_s, 1) if fetch_s else float("inf"),
                "fetch_events_per_s": round(events / fetch_s, 1) if fetch_s else float("inf"),
                "ingest_seconds": round(ingest_s, 3),
                "blocks_per_s": round(blocks / ingest_s, 1) if ingest_s else float("inf"),
                "events_per_s": round(summary["rows_in"] / ingest_s, 1) if ingest_s else float("inf"),
            }
    return out


# ---------------------------------------------------------------------------- benchmark history
class SaharaHistory:
    """Sahara history from the devnet's own CometBFT and EVM answers, through the real connectors.

    Both connectors run unchanged over `devnet_client` (the devnet's routes served in this process),
    from the block at `start_time` onwards; `next_fetches(n)` reads the next `n` blocks from each.
    """

    def __init__(self, *, seed: int = 7, scale: float = 1.0, now: int, start_time: int) -> None:
        from bench.subtensor_history import devnet_client
        from devnet.sahara import SaharaDevnet
        from devnet.sahara.common import BLOCK_SECONDS
        from etl.sources.cometbft import CometBFTSource
        from etl.sources.evm import EvmSource

        self.devnet = SaharaDevnet.from_options(seed, scale, lambda: now, None)
        # Each block is read once here: the node's read caches (hundreds of MB at full scale) only
        # need to hold what one fetch touches.
        self.devnet.comet._cache.size = 64
        self.devnet.chain._blocks.size = 64
        self.devnet.evm._logs.size = 1024
        self._client = devnet_client(self.devnet.routes())
        self.sources = [
            CometBFTSource("http://devnet/cometbft", concurrency=1),
            EvmSource("http://devnet/evm", concurrency=1),
        ]
        for source in self.sources:
            source.http.client.close()
            source.http.client = self._client
        genesis = self.devnet.chain.config.genesis_time
        self.cursor = max(1, (start_time - genesis) // BLOCK_SECONDS + 1)

    def close(self) -> None:
        self._client.__exit__(None, None, None)
        for source in self.sources:
            source.close()

    def next_fetches(self, blocks: int) -> list:
        """[(source, ChainFetch)] of the next `blocks` blocks, CometBFT then EVM."""
        start, end = self.cursor, self.cursor + max(1, blocks)
        out = [(source, source.fetch(start, end)) for source in self.sources]
        self.cursor = end
        return out
