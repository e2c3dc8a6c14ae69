"""`decai bench`: every stage measured next to a baseline measured in the same run.

Figures are ratios against a baseline from the same run on the same machine (these machines are
shared and noisy, so absolute seconds mean little); each comes with the goal from the issue tracker.

Stages (`run_bench`; `details.stage_seconds` says how long each took):

1. the devnet's serving rates, the market feed end to end, the chain connectors (decode speedup
   against async-substrate-interface, validation shares), and `ingest_events_per_s`: both chains end
   to end over loopback next to the devnet serving the same requests (`bench_ingest`);
2. `stage_history`, in a fresh process: the benchmark warehouse, streamed batch by batch from the
   devnet's simulators through the real connectors (`BenchHistory`: a month-scale Bittensor at full
   scale, Sahara, market quotes) into the event store; peak memory read at the small and the full
   size; the first batches and 1% more of the same mix set aside;
3. append vs raw bulk insert on the set-aside first batches; a full rebuild at both sizes and an
   incremental run with the 1% (each in a fresh process, with its peak memory); every dashboard
   callback on the full-size warehouse.

Nothing holds the history whole: memory follows the batch, and what grows with history (the event
store's key index) shows in the two peak-memory figures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

DAY = 86400
BENCH_NOW = int(datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp())


@dataclass
class Figure:
    """One measured figure. `baseline_value` is the baseline measured in the same run (what a ratio
    divides by, or the floor an absolute figure stands on); `failed` says why the figure cannot be
    trusted, which fails the run (`decai bench` exits nonzero)."""

    key: str
    value: float | None
    unit: str
    baseline: str = ""
    goal: str = ""
    note: str = ""
    baseline_value: float | None = None
    baseline_unit: str = ""
    failed: str = ""

    def met(self) -> bool | None:
        if self.failed:
            return False
        if self.value is None or not self.goal:
            return None
        op, target = self.goal.split(" ", 1)
        target_value = float(target)
        return {
            "≥": self.value >= target_value,
            "≤": self.value <= target_value,
            "<": self.value < target_value,
        }[op]


#: What a run is: "full" (`make bench`, 10M events), "quick" (`make bench-quick`), or "custom" (any
#: other size). Only a full run may feed the README's table (`bench.readme`).
SCALES = ("full", "quick", "custom")


@dataclass
class BenchReport:
    size: str
    machine: str
    figures: list[Figure] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    scale: str = "custom"
    #: How the run came about: command, commit, events, load before and after, start and end (UTC).
    run: dict = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        log.info("bench %s = %s %s", figure.key, figure.value, figure.unit)
        if figure.failed:
            log.error("bench %s failed: %s", figure.key, figure.failed)

    def failures(self) -> list[Figure]:
        return [f for f in self.figures if f.failed]

    def as_json(self) -> dict:
        out = {"scale": self.scale, "size": self.size, "machine": self.machine, **self.run}
        out["failed"] = {f.key: f.failed for f in self.failures()}
        out.update({f.key: f.value for f in self.figures})
        out["figures"] = [asdict(f) | {"met": f.met()} for f in self.figures]
        out["details"] = self.details
        return out


REPO = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict:
    """The commit measured, and the files that differed from it when the run began (repo-relative)."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") or ""
    changed = sorted(line[3:] for line in status.splitlines() if line.strip())
    return {"commit": commit or "unknown", "dirty": bool(changed), "changed_files": changed}


def load_average() -> list[float]:
    """The machine's load (1, 5 and 15-minute averages): how busy the shared cores were."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def results_path(directory: str | Path, report: BenchReport) -> Path:
    """`<date>-<commit>.json` of a full run, `<date>-<commit>-<scale>.json` of any other, so a quick
    run never overwrites the full run of the same commit and day."""
    day = (report.run.get("finished_at") or datetime.now(UTC).isoformat())[:10]
    commit = str(report.run.get("commit", "unknown"))[:10]
    suffix = "" if report.scale == "full" else f"-{report.scale}"
    return Path(directory) / f"{day}-{commit}{suffix}.json"


def machine_description() -> str:
    cpus = os.cpu_count()
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = 0
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpus} cores, {mem_gb:.0f} GiB, {model or 'unknown CPU'}, Python {sys.version.split()[0]}"


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


# --- the benchmark's history -------------------------------------------------------------------

#: Sahara's share of the history's events, and the devnet scale it runs at. Sahara at full scale
#: writes about 210 events a block every 5 s (distribution events of 100 validators), a month of it
#: several times the whole benchmark, and its simulator needs a minute and most of a GB before its
#: first December block; at the devnet's default scale it is ~48 events a block and starts at once.
SAHARA_SHARE = 0.10
SAHARA_SCALE = 0.05
#: Where the history starts: the devnet subtensor's genesis, 2025-12-01 00:00 UTC.
HISTORY_START = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp())
COINS = ("bittensor", "sahara-ai")


@dataclass
class HistoryBatch:
    """One append to the event store: a block range of one chain source, or a day of one coin."""

    source: str
    stream: str
    range_unit: str
    start: int
    end: int
    checkpoint: int
    events: list
    quarantined: list = field(default_factory=list)
    blocks: list = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.events) + len(self.quarantined)


class BenchHistory:
    """The benchmark's event history, produced batch by batch and never held whole.

    Bittensor at `scale` (1.0: the devnet calibrated to the real network, about 30 subnets at
    genesis growing to 128 by mid-January, up to 256 UIDs each) from the devnet's genesis on
    2025-12-01, so the December halving is inside it: System.Events through the real connector and a
    metagraph observation of every subnet at every epoch (`subtensor_bench.SubtensorHistory`).
    Sahara from the same day through the real CometBFT and EVM connectors
    (`sahara_bench.SaharaHistory`), kept at `sahara_share` of the rows written so far. Hourly market
    quotes of both coins from the devnet's market model follow Bittensor's clock: a batch per coin
    and day, and the hours of the day begun when a call ends. `batches(n)` yields the next `n` rows
    (a batch is never cut, so a little more); calling it again continues the same chains, which is
    how the benchmark gets "1% new events of the same mix".
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        scale: float = 1.0,
        sahara_scale: float = SAHARA_SCALE,
        sahara_share: float = SAHARA_SHARE,
    ) -> None:
        self.seed, self.scale = seed, scale
        self.sahara_scale, self.sahara_share = sahara_scale, sahara_share
        self.rows = {"bittensor": 0, "sahara": 0, "market": 0}
        self.blocks = {"subtensor": 0, "cometbft": 0, "evm": 0}
        self.span: dict[str, list[datetime]] = {}
        self._per_block = {"bittensor": 80.0, "sahara": 50.0}
        self._bittensor = None
        self._sahara = None
        self._market = None
        self._market_from = HISTORY_START  # the next hour to quote

    @property
    def produced(self) -> int:
        return sum(self.rows.values())

    def close(self) -> None:
        for part in (self._bittensor, self._sahara):
            if part is not None:
                part.close()

    def summary(self) -> dict:
        return {
            "rows_by_chain": dict(self.rows),
            "blocks_by_source": dict(self.blocks),
            "span": {
                chain: [f"{a:%Y-%m-%d %H:%M}", f"{b:%Y-%m-%d %H:%M}"] for chain, (a, b) in self.span.items()
            },
            "days": {chain: round((b - a).total_seconds() / DAY, 2) for chain, (a, b) in self.span.items()},
            "bittensor_scale": self.scale,
            "sahara_scale": self.sahara_scale,
        }

    def batches(self, rows: int) -> Iterator[HistoryBatch]:
        goal = self.produced + rows
        sahara_goal = self.rows["sahara"] + self.sahara_share * rows
        while self.produced < goal:
            sahara_left = sahara_goal - self.rows["sahara"]
            if sahara_left > 0 and self.rows["sahara"] <= self.sahara_share * self.produced:
                yield from self._sahara_batches(sahara_left)
            else:
                yield from self._bittensor_batches(goal - self.produced - max(0.0, sahara_left))
        if self._bittensor is not None:
            yield from self._market_batches(
                self._bittensor.block_time(self._bittensor.cursor - 1), partial=True
            )

    def sahara_until(self, event_types: tuple[str, ...], most_blocks: int = 720) -> Iterator[HistoryBatch]:
        """The next Sahara blocks, a few at a time, until their events hold each of `event_types` (or
        `most_blocks` blocks were read): a small set-aside of the same mix may otherwise hold no
        Sahara transaction or token log at all (the devnet has a few per ten blocks)."""
        from bench.sahara_history import SaharaHistory

        if self._sahara is None:
            self._sahara = SaharaHistory(
                seed=self.seed, scale=self.sahara_scale, now=BENCH_NOW, start_time=HISTORY_START
            )
        missing, read = set(event_types), 0
        while missing and read < most_blocks:
            for source, fetched in self._sahara.next_fetches(5):
                missing -= {e.event_type for e in fetched.events}
                self._track("sahara", source.source, fetched)
                yield HistoryBatch(
                    source.source, source.stream, "block", fetched.start, fetched.end, fetched.end - 1,
                    fetched.events, fetched.quarantined, fetched.blocks,
                )  # fmt: skip
            read += 5

    def _track(self, chain: str, source: str, fetched) -> None:
        self.rows[chain] += fetched.rows_in
        self.blocks[source] += len(fetched.blocks)
        if fetched.blocks:
            first, last = min(b.time for b in fetched.blocks), max(b.time for b in fetched.blocks)
            span = self.span.setdefault(chain, [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)

    def _chunk(self, chain: str, rows: float, most: int) -> int:
        return int(min(most, max(1, rows / self._per_block[chain])))

    def _learn(self, chain: str, rows: int, blocks: int) -> None:
        if blocks:
            self._per_block[chain] = 0.7 * self._per_block[chain] + 0.3 * max(1.0, rows / blocks)

    def _bittensor_batches(self, rows: float) -> Iterator[HistoryBatch]:
        from bench.subtensor_history import SubtensorHistory

        if self._bittensor is None:
            self._bittensor = SubtensorHistory(seed=self.seed, scale=self.scale)
        history = self._bittensor
        # Up to two windows (about 2.4 hours) a batch: an append into a large DuckDB store pays a
        # fixed cost (its key index), so batches are as large as memory comfortably allows.
        wanted = self._chunk("bittensor", rows, 2 * 361)
        fetched = history.next_fetch(wanted)
        while fetched.end - fetched.start < wanted:
            more = history.next_fetch(wanted - (fetched.end - fetched.start))
            fetched.events += more.events
            fetched.quarantined += more.quarantined
            fetched.blocks += more.blocks
            fetched.end = more.end
        self._learn("bittensor", fetched.rows_in, fetched.end - fetched.start)
        self._track("bittensor", "subtensor", fetched)
        yield HistoryBatch(
            "subtensor", history.stream, "block", fetched.start, fetched.end, fetched.end - 1,
            fetched.events, fetched.quarantined, fetched.blocks,
        )  # fmt: skip
        yield from self._market_batches(until=history.block_time(fetched.end - 1))

    def _sahara_batches(self, rows: float) -> Iterator[HistoryBatch]:
        from bench.sahara_history import SaharaHistory

        if self._sahara is None:
            self._sahara = SaharaHistory(
                seed=self.seed, scale=self.sahara_scale, now=BENCH_NOW, start_time=HISTORY_START
            )
        fetches = self._sahara.next_fetches(self._chunk("sahara", rows, 720))
        self._learn("sahara", sum(f.rows_in for _, f in fetches), fetches[0][1].end - fetches[0][1].start)
        for source, fetched in fetches:
            self._track("sahara", source.source, fetched)
            yield HistoryBatch(
                source.source, source.stream, "block", fetched.start, fetched.end, fetched.end - 1,
                fetched.events, fetched.quarantined, fetched.blocks,
            )  # fmt: skip

    def _market_batches(self, until: datetime, partial: bool = False) -> Iterator[HistoryBatch]:
        """Hourly quotes of both coins up to `until`: a batch per coin and day (`partial`: and the
        hours of the day begun)."""
        from devnet.market import MarketModel

        if self._market is None:
            self._market = MarketModel(self.seed)
        end = int(until.timestamp()) // 3600 * 3600 + 3600
        while self._market_from < end:
            lo = self._market_from
            day_end = lo - lo % DAY + DAY
            hi = min(end, day_end)
            if hi < day_end and not partial:
                break  # the day is not over yet
            for coin in COINS:
                events = [_quote_event(self._market, coin, ts) for ts in range(lo, hi, 3600)]
                self.rows["market"] += len(events)
                span = self.span.setdefault("market", [events[0].block_time, events[-1].block_time])
                span[1] = events[-1].block_time
                yield HistoryBatch("coingecko", coin, "unix_s", lo, hi, hi, events)
            self._market_from = hi


def _quote_event(model, coin: str, ts: int):
    """A `market.Quote` as the market suite writes it from a CoinGecko answer (values in JSON floats)."""
    from decimal import Decimal

    from etl.events import Event

    def text(value: float) -> str:
        digits = format(Decimal(repr(value)), "f")
        return digits.rstrip("0").rstrip(".") if "." in digits else digits

    price, cap, volume = model.quote(coin, ts)
    return Event(
        chain="market",
        source="coingecko",
        block_number=ts,
        position=coin,
        event_type="market.Quote",
        block_time=datetime.fromtimestamp(ts, UTC),
        payload={
            "coin_id": coin,
            "vs_currency": "usd",
            "ts_ms": ts * 1000,
            "price_usd": text(price),
            "market_cap_usd": text(cap),
            "total_volume_usd": text(volume),
        },
        spec_version=3,
    )


def append_history_batch(engine, batch: HistoryBatch, run_id: str = "bench"):
    from warehouse.store import append_batch

    return append_batch(
        engine, source=batch.source, stream=batch.stream, range_unit=batch.range_unit,
        range_start=batch.start, range_end=batch.end, events=batch.events, quarantined=batch.quarantined,
        checkpoint=batch.checkpoint, run_id=run_id, rows_in=batch.rows, blocks=batch.blocks,
    )  # fmt: skip


def _fresh_warehouse(directory: Path, name: str) -> str:
    from warehouse.db import migrate

    url = f"duckdb:///{directory / name}"
    migrate(url)
    return url


# --- stages ------------------------------------------------------------------------------------


class DevnetProcess:
    """The devnet in a process of its own, as a node runs apart from its clients: what it serves does
    not wait on this process's interpreter lock, held by the connectors and the clients measured
    against it. A context manager with the `endpoints` and `base_url` of `DevnetServer`."""

    def __init__(self, **settings) -> None:
        self.settings = settings
        self.endpoints: dict[str, str] = {}
        self._process = None

    @property
    def base_url(self) -> str:
        return self.endpoints["control"].rsplit("/_devnet", 1)[0]

    def __enter__(self) -> DevnetProcess:
        import multiprocessing

        import httpx

        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Queue()
        self._process = ctx.Process(target=_serve_devnet, args=(ready, self.settings), daemon=True)
        self._process.start()
        try:
            self.endpoints = ready.get(timeout=120)
        except Exception as exc:
            self.__exit__()
            raise RuntimeError(
                f"the devnet process did not start (exit code {self._process.exitcode})"
            ) from exc
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.post(
                    self.endpoints["subtensor"], json={"jsonrpc": "2.0", "id": 1, "method": "system_chain"}
                )
                return self
            except httpx.TransportError:
                if time.monotonic() > deadline or not self._process.is_alive():
                    self.__exit__()
                    raise RuntimeError(f"the devnet process does not answer at {self.base_url}") from None
                time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(timeout=30)


def _serve_devnet(ready, settings: dict) -> None:
    from devnet.server import DevnetServer

    server = DevnetServer(**settings)
    ready.put(server.endpoints)
    server.serve_forever()


def _devnet() -> DevnetProcess:
    return DevnetProcess(seed=7, now=BENCH_NOW, rate_limit_per_minute=0)


def bench_devnet(report: BenchReport, devnet, blocks: int) -> None:
    from devnet.sahara import bench as sahara_bench
    from devnet.subtensor import bench as subtensor_bench

    sub = subtensor_bench.measure(devnet.endpoints["subtensor"], blocks=blocks)
    sah = sahara_bench.blocks_per_second(devnet.endpoints, blocks=min(blocks, 1000))
    report.add(Figure("devnet_subtensor_blocks_per_s", round(sub.blocks_per_second, 1), "blocks/s",
                      note="header + System.Events per block, batched JSON-RPC over loopback"))  # fmt: skip
    report.add(Figure("devnet_cometbft_blocks_per_s", round(sah["block_results"], 1), "blocks/s",
                      note="/block_results per height over loopback"))  # fmt: skip
    report.add(Figure("devnet_evm_blocks_per_s", round(sah["eth_getLogs"], 1), "blocks/s",
                      note="eth_getLogs in 500-block ranges"))  # fmt: skip


def _pickled_batches(path: str | Path) -> Iterator[HistoryBatch]:
    import pickle

    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def bench_store(report: BenchReport, workdir: Path, sample_path: Path) -> None:
    """Event-store append (dedup, checkpoint, batch record, one transaction) against a raw bulk insert
    of the same rows into the same engine, batch by batch: the history's first batches, which
    `stage_history` set aside, each into two fresh warehouses."""
    import pyarrow as pa

    from etl.events import EVENT_COLUMNS
    from warehouse import db

    raw_engine = db.make_engine(_fresh_warehouse(workdir, "raw.duckdb"))
    store_engine = db.make_engine(_fresh_warehouse(workdir, "append.duckdb"))
    raw_seconds = append_seconds = 0.0
    events = 0
    try:
        for batch in _pickled_batches(sample_path):
            table = pa.table(
                {c: [r[c] for r in (e.as_row("bench") for e in batch.events)] for c in EVENT_COLUMNS}
            )

            def raw_insert(table=table) -> None:
                with db.begin(raw_engine) as conn:
                    driver = conn.connection.driver_connection
                    driver.register("_raw", table)
                    driver.execute(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) SELECT * FROM _raw")
                    driver.unregister("_raw")

            seconds, _ = _timed(raw_insert)
            raw_seconds += seconds
            seconds, _ = _timed(lambda b=batch: append_history_batch(store_engine, b))
            append_seconds += seconds
            events += len(batch.events)
    finally:
        raw_engine.dispose()
        store_engine.dispose()
    report.add(Figure("append_events_per_s", round(events / append_seconds), "events/s",
                      note=f"{events:,} events of the history's mix, batch by batch"))  # fmt: skip
    report.add(Figure("raw_bulk_events_per_s", round(events / raw_seconds), "events/s",
                      note="same rows, plain INSERT of an Arrow table (rows built untimed)"))  # fmt: skip
    report.add(Figure("append_vs_bulk", round(raw_seconds / append_seconds, 3), "ratio",
                      baseline="plain INSERT of the same rows as an Arrow table, same engine",
                      baseline_value=round(events / raw_seconds), baseline_unit="events/s", goal="≥ 0.5",
                      note=f"event-store append {round(events / append_seconds):,} events/s, {events:,} events"))  # fmt: skip


# --- stages in fresh child processes (peak memory of one stage, nothing inherited) -----------------


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


#: Event types the set-aside 1% holds at least one of each (`BenchHistory.sahara_until`).
EXTRA_MUST_HOLD = ("tx.TransactionObserved", "ERC20.Transfer")


def _produce_history(queue, rows: int, extra_rows: int, seed: int, scale: float) -> None:
    """The producer process of `stage_history`: the history's batches, then the extra ones."""
    import traceback

    try:
        history = BenchHistory(seed=seed, scale=scale)
        began = time.perf_counter()
        for batch in history.batches(rows):
            queue.put(("history", batch))
        summary = history.summary() | {"produce_seconds": round(time.perf_counter() - began, 1)}
        for batch in history.batches(extra_rows) if extra_rows else ():
            queue.put(("extra", batch))
        # Rows that are actually new for every projection: a Sahara transaction and a SAHARA token log.
        for batch in history.sahara_until(EXTRA_MUST_HOLD) if extra_rows else ():
            queue.put(("extra", batch))
        history.close()
        queue.put(("done", summary | {"producer_peak_rss_mb": _peak_rss_mb()}))
    except BaseException:  # noqa: BLE001 - the store side reports it
        queue.put(("error", traceback.format_exc()))


def stage_history(
    url: str,
    rows: int,
    *,
    small_rows: int = 0,
    small_url: str | None = None,
    sample_rows: int = 0,
    sample_path: str | None = None,
    extra_rows: int = 0,
    extra_path: str | None = None,
    seed: int = 7,
    scale: float = 1.0,
) -> dict:
    """Load `rows` rows of the history into `url`, one batch a transaction.

    Two processes share the work, as an ingest worker and a node do: a producer runs the devnet's
    simulators and the connectors (decoding) and hands batches over a bounded queue (two in flight);
    this process writes them with `append_batch`, so its peak memory is the ingest's.

    Along the way, so that no stage builds the same history twice: when `small_rows` rows are
    written, the warehouse is copied to `small_url` and the peak memory so far is read (VmHWM only
    grows: it is what a run of that size alone peaks at); the batches of the first `sample_rows`
    rows are also written to `sample_path` (for the append vs bulk insert comparison); and
    `extra_rows` more rows of the same mix are set aside in `extra_path` for the incremental run,
    followed by Sahara blocks until they hold a transaction and a SAHARA token transfer
    (`EXTRA_MUST_HOLD`), so every projection has rows actually new.
    """
    import multiprocessing
    import pickle
    import queue as queue_module
    import shutil

    from warehouse import db

    ctx = multiprocessing.get_context("spawn")
    handoff = ctx.Queue(maxsize=2)
    producer = ctx.Process(
        target=_produce_history, args=(handoff, rows, extra_rows, seed, scale), daemon=True
    )
    producer.start()
    engine = db.make_engine(url)
    store_s = wait_s = 0.0
    counts = {"batches": 0, "rows": 0, "extra_rows": 0, "sample_rows": 0, "largest_batch": 0}
    small: dict = {}
    sample = open(sample_path, "wb") if sample_path else None
    extra = open(extra_path, "wb") if extra_path else None
    try:
        began = time.perf_counter()
        while True:
            waited = time.perf_counter()
            try:
                kind, item = handoff.get(timeout=5)
            except queue_module.Empty:
                if not producer.is_alive():
                    raise RuntimeError(f"the history producer died (exit code {producer.exitcode})") from None
                continue
            finally:
                wait_s += time.perf_counter() - waited
            if kind == "history":
                seconds, _ = _timed(lambda b=item: append_history_batch(engine, b))
                store_s += seconds
                counts["batches"] += 1
                counts["rows"] += item.rows
                counts["largest_batch"] = max(counts["largest_batch"], item.rows)
                if sample and counts["sample_rows"] < sample_rows:
                    pickle.dump(item, sample, protocol=pickle.HIGHEST_PROTOCOL)
                    counts["sample_rows"] += item.rows
                if small_url and not small and counts["rows"] >= small_rows:
                    small = {
                        "rows": counts["rows"],
                        "batches": counts["batches"],
                        "largest_batch": counts["largest_batch"],
                        "store_seconds": round(store_s, 1),
                        "seconds": round(time.perf_counter() - began, 1),
                        "peak_rss_mb": _peak_rss_mb(),
                    }
                    _copy_duckdb(url, small_url, shutil)
            elif kind == "extra":
                pickle.dump(item, extra, protocol=pickle.HIGHEST_PROTOCOL)
                counts["extra_rows"] += item.rows
            elif kind == "error":
                raise RuntimeError(f"the history producer failed:\n{item}")
            else:
                summary = item
                break
            del item
        total = time.perf_counter() - began
    finally:
        engine.dispose()
        for handle in (sample, extra):
            if handle:
                handle.close()
        producer.join(timeout=30)
    return summary | counts | {
        "seconds": round(total, 1),
        "store_seconds": round(store_s, 1),
        "store_waited_seconds": round(wait_s, 1),
        "small": small,
    }  # fmt: skip


def _copy_duckdb(url: str, target_url: str, shutil) -> None:
    """Copy a DuckDB warehouse file (no connection is open: the engine connects per transaction)."""
    source, target = Path(url.split(":///", 1)[1]), Path(target_url.split(":///", 1)[1])
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))


def stage_rebuild(url: str) -> dict:
    from warehouse import db
    from warehouse.projections import rebuild

    engine = db.make_engine(url)
    try:
        seconds, runs = _timed(lambda: rebuild(engine))
    finally:
        engine.dispose()
    return {"seconds": round(seconds, 2), "projections": {r["projection"]: r["seconds"] for r in runs}}


class IncrementalRefused(RuntimeError):
    """The warehouse already holds the events set aside for the incremental run: timing it would time
    a run with nothing new."""


def _event_count_and_position(engine) -> tuple[int, int]:
    import sqlalchemy as sa

    from warehouse import db

    with db.connect(engine) as conn:
        count, position = conn.execute(sa.text("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM events")).one()
    return int(count), int(position)


def stage_incremental(url: str, extra_path: str) -> dict:
    """Append the set-aside batches (as the next ingest runs would), then time one projection run.

    What is new is counted in the warehouse (its events after the append minus before), not in the
    batches: when the warehouse already holds any of the set-aside events the run is refused
    (`IncrementalRefused`), since it would time less work than it claims."""
    from warehouse import db
    from warehouse.projections import run_all

    engine = db.make_engine(url)
    offered = 0
    try:
        before, position = _event_count_and_position(engine)
        began = time.perf_counter()
        for batch in _pickled_batches(extra_path):
            append_history_batch(engine, batch)
            offered += len(batch.events)
        append_s = time.perf_counter() - began
        after, _ = _event_count_and_position(engine)
        new = after - before
        new_by_type = _events_by_type(engine, position)
        if new < offered:
            raise IncrementalRefused(
                f"the warehouse at {url.rsplit('/', 1)[-1]} already holds {offered - new:,} of the {offered:,} "
                f"events set aside for the incremental run ({new:,} were new): timing it would time a run "
                "with less new than it claims; build a fresh history (decai bench on a new or empty --workdir)"
            )
        seconds, runs = _timed(lambda: run_all(engine))
    finally:
        engine.dispose()
    return {
        "seconds": round(seconds, 3),
        "rows": new,
        "offered_events": offered,
        "events_before": before,
        "seq_before": position,
        "append_seconds": round(append_s, 2),
        "new_by_type": new_by_type,
        "projections": {r["projection"]: r["seconds"] for r in runs},
    }


def _events_by_type(engine, after_seq: int) -> dict[str, int]:
    """How many events of each type the warehouse holds after `after_seq`."""
    import sqlalchemy as sa

    from warehouse import db

    with db.connect(engine) as conn:
        rows = conn.execute(
            sa.text("SELECT event_type, COUNT(*) FROM events WHERE seq > :s GROUP BY event_type"),
            {"s": after_seq},
        ).all()
    return {event_type: int(count) for event_type, count in sorted(rows)}


def stage_reconcile(url: str, since_seq: int) -> dict:
    """Reconciliation's cost: only the days the events after `since_seq` touch (`--since-seq`, what a run
    after an ingest does), then every day (a full run), on the same warehouse, nothing recorded."""
    from warehouse.reconcile import reconcile

    # Untimed first: imports, the first connection and the file's pages, so that neither side pays them.
    reconcile(url, record=False, since_seq=since_seq)
    incremental_s, incremental = _timed(lambda: reconcile(url, record=False, since_seq=since_seq))
    full_s, full = _timed(lambda: reconcile(url, record=False))

    def summary(results: list[dict]) -> dict:
        return {
            "days": len(results[0]["days"]) if results else 0,
            "checked": sum(r["checked"] for r in results),
            "failed_checks": [r["check"] for r in results if r["failures"]],
        }

    return {
        "incremental_seconds": round(incremental_s, 3),
        "full_seconds": round(full_s, 3),
        "incremental": summary(incremental),
        "full": summary(full),
    }


def stage_idle(url: str) -> dict:
    """A stage process that imports what the others import, opens the warehouse and does nothing else:
    the floor under their peak memory."""
    import sqlalchemy as sa

    import warehouse.projections  # noqa: F401
    import warehouse.reconcile  # noqa: F401
    import warehouse.store  # noqa: F401
    from warehouse import db

    engine = db.make_engine(url)
    try:
        with db.connect(engine) as conn:
            conn.execute(sa.text("SELECT 1")).one()
    finally:
        engine.dispose()
    return {}


STAGES = {
    "history": stage_history,
    "rebuild": stage_rebuild,
    "incremental": stage_incremental,
    "reconcile": stage_reconcile,
    "idle": stage_idle,
}


def run_stage(stage: str, **kwargs) -> dict:
    """`STAGES[stage](**kwargs)` in a fresh Python process; its result plus `peak_rss_mb` (VmHWM)."""
    command = [sys.executable, "-m", "bench.runner", stage, json.dumps(kwargs)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise RuntimeError(f"bench stage {stage} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


#: The network-fundamentals projections (issue 17) and, for each, the new events of the 1% that make
#: it fold something: without them its incremental figure would time an empty window.
NEW_PROJECTIONS: dict[str, tuple[str, ...]] = {
    "bittensor_accounts": (
        "System.ExtrinsicObserved", "TransactionPayment.TransactionFeePaid", "Balances.Transfer",
        "System.NewAccount", "System.AccountsObserved",
    ),
    "sahara_activity": ("tx.TransactionObserved", "tx.tx", "bank.transfer", "distribution.rewards"),
    "erc20_tokens": ("ERC20.Transfer", "ERC20.Approval"),
    "subnet_daily": (
        "SubtensorModule.EmissionObserved", "SubtensorModule.SubnetObserved", "SubtensorModule.NeuronObserved",
        "SubtensorModule.NeuronRegistered",
    ),
    "network_daily": (
        "System.ExtrinsicObserved", "Balances.Transfer", "tx.TransactionObserved", "ERC20.Transfer", "market.Quote",
    ),
}  # fmt: skip


def new_projections_figure(full: dict, incremental: dict) -> Figure:
    """Σ incremental seconds ÷ Σ full-rebuild seconds over `NEW_PROJECTIONS`, with the new events they
    read. Failed when a projection is missing from either run; a projection none of whose events is
    new (a history too small to hold one) is named in the note, its window was empty."""
    names = list(NEW_PROJECTIONS)
    missing = [n for n in names if n not in full["projections"] or n not in incremental["projections"]]
    new = incremental.get("new_by_type", {})
    idle = [n for n, types in NEW_PROJECTIONS.items() if not any(new.get(t) for t in types)]
    full_s = sum(full["projections"].get(n, 0.0) for n in names)
    incremental_s = sum(incremental["projections"].get(n) or 0.0 for n in names)
    counts = ", ".join(
        f"{new[t]:,} {t}"
        for t in dict.fromkeys(t for ts in NEW_PROJECTIONS.values() for t in ts)
        if new.get(t)
    )
    failed = f"no timing of projection(s) {missing} in both runs" if missing else ""
    if idle:
        counts += f"; nothing new for {', '.join(idle)} (its incremental run folded nothing)"
    return Figure(
        "new_projections_incremental_vs_full",
        round(incremental_s / full_s, 4) if full_s else float("nan"),
        "ratio",
        baseline=f"full rebuild of {', '.join(names)}, same warehouse (Σ of their seconds)",
        baseline_value=round(full_s, 3),
        baseline_unit="s",
        goal="≤ 0.05",
        note=f"Σ incremental {incremental_s:.3f} s over {incremental['rows']:,} events actually new, among them {counts}",
        failed=failed,
    )  # fmt: skip


def bench_projections(report: BenchReport, full: dict, incremental: dict) -> None:
    """Incremental projection run with 1% new events of the same mix against a full rebuild; what is
    new is what the warehouse counted (`stage_incremental` refuses a run with less). The network
    fundamentals' projections get their own figure (`new_projections_figure`)."""
    report.add(Figure("full_rebuild_s", full["seconds"], "s"))
    report.add(Figure("incremental_1pct_s", incremental["seconds"], "s",
                      note=f"{incremental['rows']:,} new rows of the same mix (events in the warehouse after "
                           f"minus before: {incremental['events_before']:,} before)"))  # fmt: skip
    report.add(Figure("incremental_vs_full", round(incremental["seconds"] / full["seconds"], 4), "ratio",
                      baseline="full rebuild, same warehouse", baseline_value=full["seconds"], baseline_unit="s",
                      goal="≤ 0.05", note=f"{incremental['rows']:,} events actually new"))  # fmt: skip
    report.add(new_projections_figure(full, incremental))
    report.details["incremental"] = {
        k: incremental[k]
        for k in ("rows", "offered_events", "events_before", "seq_before", "append_seconds", "new_by_type")
    }
    report.details["projection_seconds"] = {
        name: {"full": seconds, "incremental_1pct": incremental["projections"].get(name)}
        for name, seconds in full["projections"].items()
    }


def bench_reconcile(report: BenchReport, measured: dict, new_events: int) -> None:
    """Reconciliation after the incremental ingest (`--since-seq`: the days the new events touch)
    against reconciling every day."""
    inc, full = measured["incremental"], measured["full"]
    report.add(Figure("reconcile_incremental_s", measured["incremental_seconds"], "s",
                      note=f"--since-seq: {inc['days']} day(s) touched by {new_events:,} new events"))  # fmt: skip
    report.add(Figure("reconcile_incremental_vs_full", round(measured["incremental_seconds"] / measured["full_seconds"], 4),
                      "ratio", baseline="reconciling every day, same warehouse", baseline_value=measured["full_seconds"],
                      baseline_unit="s",
                      note=f"{inc['days']} of {full['days']} days; cost follows the days new events touch"))  # fmt: skip
    report.details["reconcile"] = measured


def bench_callbacks(report: BenchReport, url: str, repeats: int = 20) -> None:
    """Every callback of every page (`bench.callbacks.callbacks`), each timed `repeats` times, in
    rounds (every callback once per round, so a busy moment of the machine falls on all of them);
    the headline is the worst callback's p95. Baseline: a read-only session and `SELECT 1`."""
    from bench.callbacks import callbacks, connection_floor

    listed = [("(connection floor)", connection_floor(url)), *callbacks(url)]
    raised: dict[str, str] = {}
    for name, callback in listed:
        try:
            callback()  # untimed: imports, first connection, as a running app has done already
        except Exception as exc:  # noqa: BLE001 - a callback that raises fails the figure, named
            raised[name] = f"{type(exc).__name__}: {exc}"
            log.exception("bench: dashboard callback %s raised", name)
    listed = [(name, callback) for name, callback in listed if name not in raised]
    per_callback: dict[str, list[float]] = {name: [] for name, _ in listed}
    for _ in range(repeats):
        for name, callback in listed:
            seconds, _ = _timed(callback)
            per_callback[name].append(seconds * 1000)
    floor = sorted(per_callback.pop("(connection floor)"))
    stats = {
        name: {"p50": round(statistics.median(t), 1), "p95": round(_percentile(sorted(t), 0.95), 1)}
        for name, t in per_callback.items()
    }
    worst = max(stats, key=lambda n: (stats[n]["p95"], stats[n]["p50"]))
    floor_p95 = round(_percentile(floor, 0.95), 1)
    note = f"worst of {len(stats)} callbacks × {repeats}: {worst}"
    headline = Figure("callback_p95_ms", stats[worst]["p95"], "ms", baseline="a read-only session and SELECT 1, p95",
                      baseline_value=floor_p95, baseline_unit="ms", goal="< 300", note=note)  # fmt: skip
    if raised:
        headline.failed = f"{len(raised)} callback(s) raised on the benchmark warehouse: " + "; ".join(
            f"{name}: {error}" for name, error in raised.items()
        )
    report.add(headline)
    report.add(Figure("callback_p50_ms", stats[worst]["p50"], "ms", baseline="a read-only session and SELECT 1, p50",
                      baseline_value=round(statistics.median(floor), 1), baseline_unit="ms",
                      note=f"p50 of the same callback ({worst})"))  # fmt: skip
    report.details["callback_worst"] = worst
    report.details["callbacks_ms"] = stats
    report.details["callbacks_raised"] = raised


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least a share `q` of the values at or below it."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def bench_market_ingest(report: BenchReport, workdir: Path, days: int) -> None:
    """Market ingest end to end, as the `market_ingest` DAG runs it, and the share of it spent validating.

    Each window is ingested as one DAG run does it (`ingest_market_window`): both coins fetched from
    the devnet's CoinGecko over loopback, validated in one Great Expectations run, stored as one batch
    per coin. History: `days` days in windows of up to 30 days (`decai backfill`'s default chunk,
    hourly quotes). Schedule: hourly windows (a few quotes per coin), where a run's fixed cost
    weighs most. Validation time is what the runs recorded in `dq_results`.
    """
    from devnet.server import DevnetServer
    from etl.connections import CoinGeckoConnection
    from etl.pipeline.market import ingest_market_window
    from warehouse import db

    coins = ["bittensor", "sahara-ai"]
    window_days = max(1, min(days, 30))
    plans = {
        "backfill": (window_days * DAY, -(-days // window_days)),
        "hourly": (3600, max(1, min(days, 24))),
    }
    measured: dict[str, dict] = {}
    with DevnetServer(seed=7, now=BENCH_NOW, rate_limit_per_minute=0) as devnet:
        connection = CoinGeckoConnection(devnet.endpoints["coingecko"])
        # Warm Great Expectations (import, project, suite) outside the timing, as a long-lived worker is.
        warm = _fresh_warehouse(workdir, "market-warm.duckdb")
        ingest_market_window(connection, coins, BENCH_NOW - 3600, BENCH_NOW, warehouse_url=warm)
        for name, (span, windows) in plans.items():
            url = _fresh_warehouse(workdir, f"market-{name}.duckdb")
            started = time.perf_counter()
            for i in range(windows):
                hi = BENCH_NOW - i * span
                ingest_market_window(connection, coins, hi - span, hi, warehouse_url=url, run_id="bench")
            total = time.perf_counter() - started
            row = db.read_sql(
                "SELECT SUM(run_seconds) AS s, SUM(rows_validated) AS r FROM dq_results", url=url
            ).iloc[0]
            measured[name] = {
                "windows": windows,
                "quotes": int(row["r"] or 0),
                "total": round(total, 3),
                "validate": round(float(row["s"] or 0.0), 3),
            }
    backfill, hourly = measured["backfill"], measured["hourly"]
    report.add(Figure("market_ingest_events_per_s", round(backfill["quotes"] / backfill["total"]), "events/s",
                      note=f"{backfill['quotes']:,} quotes, {window_days}-day windows, devnet over loopback"))  # fmt: skip
    report.add(Figure("market_validation_share", round(backfill["validate"] / backfill["total"], 3), "share",
                      baseline="whole ingest time", baseline_value=backfill["total"], baseline_unit="s", goal="≤ 0.25",
                      note=f"{window_days}-day windows of both coins, one GX run each"))  # fmt: skip
    report.add(Figure("market_validation_share_hourly", round(hourly["validate"] / hourly["total"], 3), "share",
                      baseline="whole ingest time", baseline_value=hourly["total"], baseline_unit="s", goal="≤ 0.25",
                      note=f"{hourly['windows']} hourly windows ({hourly['quotes']:,} quotes), one GX run each"))  # fmt: skip
    report.details["market_ingest_seconds"] = measured


def _chain_ingest(report: BenchReport, prefix: str, source, start: int, end: int, workdir: Path) -> None:
    """Devnet over loopback -> decode -> validate -> store for one source; validation's share from dq_results."""
    from etl.pipeline.chain import ingest_range
    from warehouse import db

    url = _fresh_warehouse(workdir, f"{prefix}.duckdb")
    seconds, summary = _timed(lambda: ingest_range(source, start, end, warehouse_url=url, run_id="bench"))
    validation = db.read_sql("SELECT SUM(run_seconds) AS s FROM dq_results", url=url)["s"].iloc[0] or 0.0
    report.add(Figure(f"{prefix}_ingest_events_per_s", round(summary["rows_in"] / seconds, 1), "events/s",
                      note=f"{end - start:,} blocks, {summary['rows_in']:,} events, end to end"))  # fmt: skip
    report.add(Figure(f"{prefix}_validation_share", round(validation / seconds, 3), "share",
                      baseline="whole ingest time", baseline_value=round(seconds, 3), baseline_unit="s",
                      goal="≤ 0.25", note=f"{validation:.3f} s validating"))  # fmt: skip


def decode_figures(sub: dict) -> list[Figure]:
    """`decode_speedup` (failed when the two decoders read different events: it would compare
    different work), `decode_vs_limit` and the decode rate, from `subtensor_history.measure`."""
    speedup = Figure(
        "decode_speedup", sub["decode_speedup"], "ratio",
        baseline="async-substrate-interface get_events per block, same blocks",
        baseline_value=sub["get_events_events_per_s"], baseline_unit="events/s", goal="≥ 5",
        note=f"{sub['connector_events_per_s']:,} vs {sub['get_events_events_per_s']:,} events/s, {sub['blocks']:,} blocks",
    )  # fmt: skip
    if not sub["events_match"]:
        speedup.failed = (
            f"the two sides decoded different events (connector {sub['events']:,}, "
            f"async-substrate-interface {sub['get_events_events']:,}): the speedup would compare different work"
        )
    limit = Figure(
        "decode_vs_limit", sub["decode_vs_limit"], "ratio",
        baseline="bt-decode's raw decode of the same System.Events bytes",
        baseline_value=sub["bt_decode_events_per_s"], baseline_unit="events/s", goal="≥ 0.8",
        note=f"connector bytes -> Event records ready to append: {sub['connector_decode_only_events_per_s']:,} events/s",
    )  # fmt: skip
    if sub["decode_vs_limit"] is None:
        limit.failed = (
            f"the connector made {sub['decode_events']:,} records of the bytes bt-decode read as "
            f"{sub['bt_decode_events']:,}"
        )
    rate = Figure("bittensor_decode_only_events_per_s", sub["connector_decode_only_events_per_s"], "events/s",
                  note="System.Events bytes -> Event records, no network")  # fmt: skip
    return [speedup, limit, rate]


def bench_chain_sources(report: BenchReport, devnet, blocks: int, workdir: Path) -> None:
    """Chain connectors: decode against async-substrate-interface's per-block path, and ingest end to end."""
    from bench import sahara_history as sahara_bench
    from bench import subtensor_history as subtensor_bench
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        sub = subtensor_bench.measure(devnet.endpoints, head - blocks, head)
        for figure in decode_figures(sub):
            report.add(figure)
        _chain_ingest(report, "bittensor", source, head - 2 * blocks, head - blocks, workdir)
    comet = CometBFTSource(devnet.endpoints["cometbft"])
    try:
        head = comet.finalized_head()
        sah = sahara_bench.measure(devnet.endpoints, head - blocks, head)
        _chain_ingest(report, "sahara_cometbft", comet, head - 2 * blocks, head - blocks, workdir)
    finally:
        comet.close()
    for name in ("cometbft", "evm"):
        report.add(Figure(f"sahara_{name}_events_per_s", sah[name]["events_per_s"], "events/s",
                          note=f"{sah[name]['blocks_per_s']:,} blocks/s end to end"))  # fmt: skip
    report.details["subtensor_measure"] = sub


#: A JSON-RPC call's id as clients write it (`"id": 7`), to know a request whatever ids it carries.
_RPC_ID = re.compile(rb'"id":\s*(-?\d+|"[^"]*"|null)')


class RecordedAnswers:
    """The HTTP exchanges of a pass through the connectors, to replay without the node.

    A request is known by its method, URL and body with its JSON-RPC ids blanked (clients number their
    calls as they like); the recorded answer goes back with the ids of the request being answered,
    spliced into answers prepared when they were recorded, so answering costs next to nothing."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[str, str, bytes, bytes]] = []
        self._answers: dict[tuple[str, str, bytes], bytes | list[bytes]] = {}

    def record(self, response) -> None:
        response.read()
        request = response.request
        self.exchanges.append((request.method, str(request.url), request.content, response.content))
        key = (request.method, str(request.url), _RPC_ID.sub(b'"id":_', request.content))
        ids = _RPC_ID.findall(request.content)
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        if ids and isinstance(answer, list | dict):
            # Each call's answer without its id, in the order of the calls: '{"id":' + id + ',' + rest.
            by_id = {
                json.dumps(a.get("id")).encode(): json.dumps(
                    {k: v for k, v in a.items() if k != "id"}
                ).encode()
                for a in (answer if isinstance(answer, list) else [answer])
                if isinstance(a, dict)
            }
            parts = [by_id.get(json.dumps(json.loads(i)).encode(), b"{}") for i in ids]
            self._answers[key] = [b"[" if isinstance(answer, list) else b"", *parts]
        else:
            self._answers[key] = response.content

    def answer(self, request):
        """What the node answered to this request in the recorded pass, under this request's ids."""
        import httpx

        request.read()
        found = self._answers.get((request.method, str(request.url), _RPC_ID.sub(b'"id":_', request.content)))
        if found is None:
            return httpx.Response(404, json={"error": f"not recorded: {request.method} {request.url}"})
        if isinstance(found, list):
            opening, parts = found[0], found[1:]
            calls = [
                b'{"id":' + i + b"," + part[1:]
                for i, part in zip(_RPC_ID.findall(request.content), parts, strict=True)
            ]
            found = b"[" + b",".join(calls) + b"]" if opening else calls[0]
        return httpx.Response(200, content=found, headers={"content-type": "application/json"})


def replay_requests(exchanges: list[tuple[str, str, bytes, bytes]], connections: int = 4) -> list[int]:
    """Send the recorded requests again as they were, `connections` at a time over kept-alive HTTP/1.1
    connections, reading each answer in full; the sizes read. A plain client (the standard library's),
    so that what is timed is the server answering, not a client library's own work."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    local = threading.local()

    def send(item: tuple[str, str, bytes, bytes]) -> int:
        method, url, content, _answer = item
        parts = urlsplit(url)
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        headers = {"content-type": "application/json"} if content else {}
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=content or None,
                     headers=headers)  # fmt: skip
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"replaying {method} {parts.path}: HTTP {response.status}")
        return len(body)

    with ThreadPoolExecutor(max_workers=connections) as pool:
        return list(pool.map(send, exchanges))


def _http_clients(source) -> list:
    """The httpx clients a connector talks through (subtensor: its JSON-RPC's; the others: their node client's)."""
    rpc = getattr(source, "rpc", None)
    if rpc is not None:
        return [rpc._client]
    return [source.http.client]


def _set_http_client(source, client) -> None:
    rpc = getattr(source, "rpc", None)
    if rpc is not None:
        rpc._client = client
    else:
        source.http.client = client


def bench_ingest(report: BenchReport, devnet, workdir: Path, minutes: int) -> None:
    """Ingest end to end over loopback, next to the devnet serving the same requests and to the rate the
    two stages ingest cannot do without (decode and append) allow on the same events.

    The same `minutes` of both chains (Bittensor with its metagraph observations, Sahara's CometBFT
    and EVM), a day before the devnet's clock: (1) an untimed pass through the pipeline warms the
    devnet's simulation and Great Expectations and records every HTTP exchange the connectors make;
    (2) those requests are replayed as they are, four in flight (as many as the connectors keep),
    reading the answers and nothing more: the devnet's serving rate; (3) the timed pass, through the
    task code (`ingest_range`: connector fetch and decode -> chain audit -> GX suite -> one-transaction
    append) into a fresh warehouse; (4) decode only: the same connectors fetching the same ranges from
    the recorded answers (no network, no node); (5) append only: those events appended into another
    fresh warehouse, one batch per range as the ingest does. `ingest_vs_limit` is the ingest rate over
    1 / (1/decode + 1/append).
    """
    import httpx

    from etl.pipeline.chain import ingest_range
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource
    from etl.sources.subtensor import SubtensorSource
    from warehouse import db
    from warehouse.store import append_batch

    warm_url = _fresh_warehouse(workdir, "ingest-warm.duckdb")
    url = _fresh_warehouse(workdir, "ingest.duckdb")
    append_url = _fresh_warehouse(workdir, "ingest-append-only.duckdb")
    recorded = RecordedAnswers()

    def make_sources():
        return [
            SubtensorSource(devnet.endpoints["subtensor"]),
            CometBFTSource(devnet.endpoints["cometbft"], concurrency=4),
            EvmSource(devnet.endpoints["evm"]),
        ]

    sources = make_sources()
    try:
        for source in sources:
            for client in _http_clients(source):
                client.event_hooks = {"request": [], "response": [recorded.record]}
        windows = []
        for source, block_seconds in zip(sources, (12, 5, 5), strict=True):
            end = source.finalized_head() - DAY // block_seconds
            windows.append((source, end - minutes * 60 // block_seconds, end))
        for source, lo, hi in windows:
            ingest_range(source, lo, hi, warehouse_url=warm_url, run_id="bench-warm")
        for source in sources:
            for client in _http_clients(source):
                client.event_hooks = {"request": [], "response": []}

        serve_s, sizes = _timed(lambda: replay_requests(recorded.exchanges, connections=4))
        began = time.perf_counter()
        per_source = {}
        for source, lo, hi in windows:
            seconds, summary = _timed(lambda s=source, a=lo, b=hi: ingest_range(s, a, b, warehouse_url=url, run_id="bench"))  # fmt: skip
            per_source[source.source] = {
                "blocks": hi - lo,
                "rows": summary["rows_in"],
                "seconds": round(seconds, 2),
            }
        ingest_s = time.perf_counter() - began
    finally:
        for source in sources:
            source.close()

    offline = make_sources()
    fetched = []
    try:
        for source in offline:
            _set_http_client(source, httpx.Client(transport=httpx.MockTransport(recorded.answer)))
        ranges = [(source, lo, hi) for source, (_, lo, hi) in zip(offline, windows, strict=True)]
        # As ingest_range does, the stream (and with it subtensor's genesis) is known before the fetch.
        streams = {source.source: source.stream for source in offline}
        decode_s = 0.0
        for source, lo, hi in ranges:
            seconds, result = _timed(lambda s=source, a=lo, b=hi: s.fetch(a, b))
            decode_s += seconds
            fetched.append((source, result))
            per_source[source.source]["decode_seconds"] = round(seconds, 3)
        engine = db.make_engine(append_url)
        try:
            append_s = 0.0
            for source, result in fetched:
                seconds, _ = _timed(
                    lambda s=source, f=result: append_batch(
                        engine, source=s.source, stream=streams[s.source], range_unit="block", range_start=f.start,
                        range_end=f.end, events=f.events, quarantined=f.quarantined, checkpoint=f.end - 1,
                        run_id="bench-append-only", rows_in=f.rows_in, blocks=f.blocks,
                    )
                )  # fmt: skip
                append_s += seconds
                per_source[source.source]["append_seconds"] = round(seconds, 3)
        finally:
            engine.dispose()
    finally:
        for source in offline:
            source.close()
    rows = sum(s["rows"] for s in per_source.values())
    decoded_rows = sum(f.rows_in for _, f in fetched)
    serving = round(rows / serve_s)
    ingest_rate = round(rows / ingest_s)
    limit = round(rows / (decode_s + append_s))
    report.add(Figure("ingest_events_per_s", ingest_rate, "events/s",
                      baseline="the devnet serving the same requests", baseline_value=serving, baseline_unit="events/s",
                      note=f"{rows:,} rows, {minutes} min of both chains: fetch, decode, audit, GX, append"))  # fmt: skip
    report.add(Figure("devnet_serving_events_per_s", serving, "events/s",
                      baseline="end-to-end ingest of the same events, which the devnet must outpace",
                      baseline_value=ingest_rate, baseline_unit="events/s", goal="≥ 50000",
                      note=f"the same {len(recorded.exchanges):,} requests replayed, four connections, answers read in full, "
                           f"{sum(sizes) / 2**20:,.0f} MB"))  # fmt: skip
    report.add(Figure("ingest_vs_serving", round(serve_s / ingest_s, 3), "ratio",
                      baseline="the devnet serving the same requests", baseline_value=serving,
                      baseline_unit="events/s", note="1 = the devnet bounds ingest"))  # fmt: skip
    limit_figure = Figure(
        "ingest_vs_limit", round(limit and ingest_rate / limit, 3), "ratio",
        baseline="1 / (1/decode + 1/append) on the same events: the connectors from recorded answers, then "
                 "the event-store append", baseline_value=limit, baseline_unit="events/s", goal="≥ 0.6",
        note=f"decode {round(rows / decode_s):,} events/s, append {round(rows / append_s):,} events/s",
    )  # fmt: skip
    if decoded_rows != rows:
        limit_figure.failed = f"decoding the recorded answers gave {decoded_rows:,} rows, the ingest {rows:,}: not the same events"
    report.add(limit_figure)
    report.details["ingest_per_source"] = per_source
    report.details["ingest_rows"] = rows
    report.details["ingest_limit"] = {
        "decode_seconds": round(decode_s, 3),
        "append_seconds": round(append_s, 3),
        "ingest_seconds": round(ingest_s, 3),
        "serve_seconds": round(serve_s, 3),
    }


class BenchConfigError(ValueError):
    """The benchmark was asked for something it cannot do (sizes, work directory)."""


@dataclass(frozen=True)
class BenchSizes:
    """How much each stage does. `history` is the benchmark warehouse's size in events."""

    history: int
    small_history: int  # the second size, for peak memory at two sizes
    bulk_sample: int  # the history's first rows, appended vs bulk-inserted into fresh warehouses
    devnet_blocks: int
    market_days: int
    chain_blocks: int
    ingest_minutes: int
    callback_repeats: int
    scale: float = 1.0  # Bittensor's devnet scale in the history
    latency_chunks: int = 2  # chunks of each chain per pass of the latency backfill (`bench.latency`)
    latency_rounds: int = 2  # passes at 0 ms and at N ms, alternated; each keeps its fastest

    @classmethod
    def full(cls) -> BenchSizes:
        return cls(10_000_000, 1_000_000, 1_000_000, 5000, 720, 3000, 60, 20)

    @classmethod
    def quick(cls) -> BenchSizes:
        return cls(200_000, 20_000, 50_000, 1000, 90, 300, 30, 10)

    @classmethod
    def tiny(cls, history: int = 4_000) -> BenchSizes:
        """Seconds per stage, for a test that every figure is produced (Bittensor at the test scale)."""
        return cls(history, history // 4, history // 2, 100, 3, 30, 5, 1, scale=0.05,
                   latency_chunks=1, latency_rounds=1)  # fmt: skip

    def with_history(self, events: int) -> BenchSizes:
        return replace(
            self,
            history=events,
            small_history=max(1, events // 10),
            bulk_sample=min(self.bulk_sample, events),
        )


def bench_latency(
    report: BenchReport, devnet, workdir: Path, sizes: BenchSizes, latency_ms: float, jitter_ms: float | None
) -> None:
    """Backfill rates per worker through the DAGs' task code at 0 ms and at `latency_ms` of network
    latency (the devnet's own, set on its control endpoint), same chunks, same events (`bench.latency`)."""
    from bench.latency import measure

    result = measure(
        devnet.endpoints, workdir / "latency", latency_ms=latency_ms, jitter_ms=jitter_ms,
        chunks=sizes.latency_chunks, rounds=sizes.latency_rounds,
    )  # fmt: skip
    zero, slow = result["passes"]["0ms"], result["passes"][f"{latency_ms:g}ms"]
    held = slow.get("devnet_latency", {})
    chunks = ", ".join(
        f"{name} {v['chunks']} x {v['blocks'] // v['chunks']:,} blocks"
        for name, v in zero["per_source"].items()
    )
    for label, rates in (("0ms", zero), (f"{latency_ms:g}ms", slow)):
        base = {} if rates is zero else {"baseline": "the same chunks at 0 ms", "baseline_unit": "events/s",
                                         "baseline_value": zero["events_per_s"]}  # fmt: skip
        report.add(Figure(f"backfill_events_per_s_{label}", rates["events_per_s"], "events/s", **base,
                          note=f"one worker, chunk after chunk through the task code ({chunks}); "
                               f"{rates['events']:,} events in {rates['seconds']} s"))  # fmt: skip
        report.add(Figure(f"backfill_blocks_per_s_{label}", rates["blocks_per_s"], "blocks/s",
                          note=f"{rates['blocks']:,} blocks of the three sources"))  # fmt: skip
    ratio = Figure(
        f"latency_{latency_ms:g}ms_vs_0ms", result["ratio"], "ratio",
        baseline="the same backfill with no latency", baseline_value=zero["events_per_s"], baseline_unit="events/s",
        goal="≥ 0.8",
        note=f"{held.get('ms', latency_ms):g} ms + up to {held.get('jitter_ms', 0):g} ms jitter per request; "
             + ", ".join(f"{name} {r}" for name, r in result["ratio_per_source"].items()),
    )  # fmt: skip
    if not result["same_events"]:
        ratio.failed = f"the two passes ingested different events ({zero['events']:,} and {slow['events']:,})"
    report.add(ratio)
    report.details["backfill_latency"] = result


#: The cluster benchmark's window starts at the first UTC midnight after the devnet subtensor's
#: genesis (2025-12-01), so the devnet works out little chain before it.
CLUSTER_START = datetime(2025, 12, 2, tzinfo=UTC)


@dataclass(frozen=True)
class ClusterSizes:
    """What `decai bench --cluster` backfills: `hours` of both chains from `CLUSTER_START`, the devnet's
    Bittensor and Sahara at these scales, in chunks of these many blocks (one mapped task each)."""

    hours: int
    bittensor_scale: float
    sahara_scale: float
    bittensor_chunk_blocks: int
    sahara_chunk_blocks: int

    @classmethod
    def full(cls) -> ClusterSizes:
        # Sahara at full scale (~230 events a CometBFT block, ~2M events in 12 h: four passes fit in
        # about 40 minutes on 2 shared cores; two days would take hours). Bittensor at the devnet's
        # default scale: at 1.0 the devnet needs 70-110 s of CPU for each metagraph state (it replays
        # up to 64 windows of 256-UID subnets from a checkpoint), one per subnet and tempo. Chunks: a
        # task costs Airflow ~5 s on this cluster, so a 6-hour CometBFT chunk (~1M events, minutes
        # of work) keeps that a few percent; the 12 h are two such chunks, one per worker.
        return cls(12, 0.05, 1.0, 3600, 4320)

    @classmethod
    def quick(cls) -> ClusterSizes:
        return cls(2, 0.05, 0.05, 300, 720)

    def describe(self) -> str:
        end = CLUSTER_START + timedelta(hours=self.hours)
        return (
            f"{self.hours} h of both chains ({CLUSTER_START:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC): "
            f"Bittensor at devnet scale {self.bittensor_scale:g} in chunks of {self.bittensor_chunk_blocks:,} "
            f"blocks, Sahara at scale {self.sahara_scale:g} in chunks of {self.sahara_chunk_blocks:,} blocks"
        )


def warm_devnet(endpoints: dict[str, str], start: datetime, end: datetime, workdir: Path) -> dict:
    """Ask the devnet once, untimed, for what the passes will read, so that no pass pays for working it
    out: the subtensor chain up to the window's end (simulated window after window from its genesis),
    each Sahara day of the window (generated when a block of the day is first asked for), and what
    Sahara's plan reads to find the window (the head's day: at full scale a minute or two)."""
    import httpx

    from bench.latency import _connections
    from devnet.sahara.common import BLOCK_SECONDS, DEFAULT_GENESIS
    from devnet.subtensor.chain import GENESIS
    from etl.pipeline import sahara
    from warehouse.db import migrate

    system_events = "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
    took = {}
    began = time.perf_counter()
    with httpx.Client(timeout=1800) as client:
        last = (int(end.timestamp()) - GENESIS) // 12 - 1
        call = {"jsonrpc": "2.0", "id": 1, "method": "chain_getBlockHash", "params": [last]}
        block_hash = client.post(endpoints["subtensor"], json=call).json()["result"]
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "state_getStorage",
            "params": [system_events, block_hash],
        }
        client.post(endpoints["subtensor"], json=call).raise_for_status()
        took["subtensor_s"] = round(time.perf_counter() - began, 1)
        for ts in range(int(start.timestamp()), int(end.timestamp()), DAY):
            height = (ts - DEFAULT_GENESIS) // BLOCK_SECONDS + 1
            client.get(f"{endpoints['cometbft']}/block_results", params={"height": height}).raise_for_status()
            logs = {"jsonrpc": "2.0", "id": 3, "method": "eth_getLogs",
                    "params": [{"fromBlock": hex(height), "toBlock": hex(height)}]}  # fmt: skip
            client.post(endpoints["evm"], json=logs).raise_for_status()
    took["window_s"] = round(time.perf_counter() - began, 1)
    url = f"duckdb:///{workdir / 'warm-plan.duckdb'}"
    migrate(url)
    with _connections(endpoints):
        sahara.plan({"start": start.isoformat(), "end": end.isoformat()}, warehouse_url=url)
    took["seconds"] = round(time.perf_counter() - began, 1)
    return took


def bench_cluster(report: BenchReport, workdir: Path, sizes: ClusterSizes, latency_ms: float = 80.0,
                  latency_jitter_ms: float | None = None) -> None:  # fmt: skip
    """Both chains' ingest DAGs backfilled through the scheduler with one and with two Celery workers,
    at 0 ms and at `latency_ms` of network latency: four passes over the same window, each on a fresh
    metadata database and warehouse (needs PostgreSQL and Redis: `decai bench --cluster`).

    One devnet serves every pass, in a process of its own, warmed up before the first (`warm_devnet`);
    its latency is set on its control endpoint for each pass. A worker runs one task at a time, so
    two workers are two tasks at once; the pools, `max_active_tis_per_dag` and one backfill run per
    DAG let both workers be busy."""
    from etl.cluster import ClusterConfig, measure_worker_scaling

    start = CLUSTER_START
    end = start + timedelta(hours=sizes.hours)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    runs = [
        ("bittensor_ingest", window | {"chunk_blocks": sizes.bittensor_chunk_blocks}),
        ("sahara_ingest", window | {"chunk_blocks": sizes.sahara_chunk_blocks}),
    ]
    settings = dict(seed=7, now=BENCH_NOW, rate_limit_per_minute=0, scale=sizes.bittensor_scale,
                    sahara={"scale": sizes.sahara_scale})  # fmt: skip
    with DevnetProcess(**settings) as devnet:
        report.details["devnet_warm_up"] = warm_devnet(devnet.endpoints, start, end, workdir)
        base = ClusterConfig.from_env(
            home=workdir / "cluster",
            metadata_url=os.environ.get("DECAI_CLUSTER_METADATA_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/decai_bench_airflow"),
            warehouse_url=os.environ.get("DECAI_CLUSTER_WAREHOUSE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/decai_bench_warehouse"),
            broker_url=os.environ.get("DECAI_CLUSTER_BROKER_URL", "redis://127.0.0.1:6379/8"),
            devnet=False, devnet_port=int(devnet.base_url.rsplit(":", 1)[1]), api_port=18545 + 102,
            workers=2, worker_concurrency=1, retry_delay_seconds=2, stop_with_parent=True,
        )  # fmt: skip
        # Any hourly logical date after the DAGs' start date: the run configuration sets the window.
        logical = datetime.fromtimestamp(BENCH_NOW, UTC).replace(minute=0)
        result = measure_worker_scaling(
            base, runs, logical, worker_counts=(1, 2), latencies_ms=(0.0, latency_ms),
            latency_jitter_ms=latency_jitter_ms, timeout=3 * 3600,
        )  # fmt: skip
    passes = {(p["latency_ms"], p["workers"]): p for p in result["passes"]}
    for (ms, workers), p in passes.items():
        held = p["devnet_latency"]
        per_chain = ", ".join(f"{chain} {n:,}" for chain, n in p["events_by_chain"].items())
        over = p["overhead"]
        report.add(Figure(
            f"cluster_events_per_s_{ms:g}ms_{workers}_worker{'s' if workers > 1 else ''}", p["events_per_s"],
            "events/s",
            note=f"{p['events']:,} events ({per_chain}) in {p['seconds']} s, {over['tasks']} ingest tasks on "
                 f"{', '.join(p['workers_used'])}; devnet held {held['requests_delayed']:,} requests "
                 f"{held['ms']:g} ms + up to {held['jitter_ms']:g} ms",
        ))  # fmt: skip
        report.add(Figure(
            f"cluster_task_overhead_share_{ms:g}ms_{workers}_worker{'s' if workers > 1 else ''}",
            over["overhead_share"], "share", goal="< 0.1",
            note=f"Airflow's part of the time an ingest task held its worker; mean {over['held_s_mean']} s held, "
                 f"{over['inside_s_mean']} s in the task's code; "
                 + ", ".join(f"{dag} {v['overhead_share']} of {v['tasks']} tasks" for dag, v in over["per_dag"].items()),
        ))  # fmt: skip
    for ms in (0.0, latency_ms):
        one, two = passes[(ms, 1)], passes[(ms, 2)]
        speedup = Figure(
            f"cluster_worker_speedup_{ms:g}ms", result["speedup"][f"{ms:g}ms"], "ratio",
            baseline=f"one Celery worker, same window, same run, {ms:g} ms", baseline_value=one["events_per_s"],
            baseline_unit="events/s", goal="≥ 1.6" if ms else "",
            note="two workers on 2 shared cores: reported" if not ms else
                 "tasks wait on the network: two workers should keep twice the requests in flight",
        )  # fmt: skip
        if one["events"] != two["events"]:
            speedup.failed = f"the passes ingested different events ({one['events']:,} and {two['events']:,})"
        report.add(speedup)
    report.details["cluster"] = result


def _finish_report(report: BenchReport, json_path: Path | None, results_dir: Path | None) -> BenchReport:
    """Note when the run ended and the load then, and write its JSON to `json_path` and/or into
    `results_dir` (`results_path`)."""
    report.run["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report.run["load_after"] = load_average()
    targets = [Path(json_path)] if json_path else []
    if results_dir:
        targets.append(results_path(results_dir, report))
    text = json.dumps(report.as_json(), indent=2, default=_plain) + "\n"
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        report.written.append(target)
    return report


def run_cluster_bench(
    quick: bool = False,
    json_path: Path | None = None,
    results_dir: Path | None = None,
    command: str | None = None,
    latency_ms: float = 80.0,
    latency_jitter_ms: float | None = None,
    sizes: ClusterSizes | None = None,
) -> BenchReport:
    """`decai bench --cluster`: the same window of both chains through the scheduler with one, then two
    Celery workers, at 0 ms and at `latency_ms` (`bench_cluster`). The JSON goes to `json_path` and/or
    into `results_dir` as `<date>-<commit>-cluster.json` (`-cluster-quick.json` with `quick`), with the
    run described as the main benchmark's is."""
    if sizes is None:
        sizes = ClusterSizes.quick() if quick else ClusterSizes.full()
    scale = {ClusterSizes.full(): "cluster", ClusterSizes.quick(): "cluster-quick"}.get(
        sizes, "cluster-custom"
    )
    report = BenchReport(size=sizes.describe(), machine=machine_description(), scale=scale)
    report.run = {
        "command": command or "bench.runner.run_cluster_bench (Python)",
        "events": None,
        **code_version(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": load_average(),
    }
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="decai-bench-cluster-") as tmp:
        bench_cluster(report, Path(tmp), sizes, latency_ms, latency_jitter_ms)
    report.run["events"] = report.details["cluster"]["passes"][0]["events"]
    report.details["sizes"] = asdict(sizes)
    report.details["seconds"] = round(time.perf_counter() - began, 1)
    return _finish_report(report, json_path, results_dir)


def run_bench(
    quick: bool = True,
    events: int | None = None,
    json_path: Path | None = None,
    sizes: BenchSizes | None = None,
    workdir: Path | None = None,
    results_dir: Path | None = None,
    command: str | None = None,
    latency_ms: float = 80.0,
    latency_jitter_ms: float | None = None,
) -> BenchReport:
    """Every stage at `sizes` (default: quick or full). The warehouses are built in a temporary
    directory, removed afterwards, or in `workdir` (new or empty), which keeps them to look into.

    The JSON goes to `json_path` and/or into `results_dir` (`results_path`), with the run described:
    `command`, the commit and what differed from it, the machine and its load before and after, and
    `scale`: "full" only for the 10M-event run with nothing changed, "quick" for `--quick` as it is.
    """
    if sizes is None:
        sizes = BenchSizes.quick() if quick else BenchSizes.full()
        scale = "quick" if quick else "full"
    else:
        scale = "quick" if sizes == BenchSizes.quick() else "full" if sizes == BenchSizes.full() else "custom"
    if events:
        sizes = sizes.with_history(events)
        if sizes not in (BenchSizes.quick(), BenchSizes.full()):
            scale = "custom"
    if not 0 < sizes.small_history < sizes.history:
        raise BenchConfigError(
            f"the small history ({sizes.small_history:,}) must be smaller than the history"
        )
    report = BenchReport(
        size=f"{sizes.history:,} events ({scale})", machine=machine_description(), scale=scale
    )
    report.run = {
        "command": command or "bench.runner.run_bench (Python)",
        "events": None,
        **code_version(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": load_average(),
    }
    stage_s: dict[str, float] = {}

    stage_load: dict[str, list[float]] = {}

    def stage(name: str, fn: Callable[[], object]):
        seconds, result = _timed(fn)
        stage_s[name] = round(seconds, 1)
        stage_load[name] = load_average()
        log.info("bench stage %s took %.1f s", name, seconds)
        return result

    if workdir is not None:
        workdir = Path(workdir)
        if workdir.exists() and any(workdir.iterdir()):
            raise BenchConfigError(
                f"{workdir} is not empty; the benchmark builds fresh warehouses in a new or empty directory"
            )
        workdir.mkdir(parents=True, exist_ok=True)
    keep = (
        contextlib.nullcontext(str(workdir))
        if workdir
        else tempfile.TemporaryDirectory(prefix="decai-bench-")
    )
    with keep as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("DECAI_GX_DIR", str(workdir / "gx"))
        stage("market_ingest", lambda: bench_market_ingest(report, workdir, days=sizes.market_days))
        with _devnet() as devnet:
            stage("devnet_serving", lambda: bench_devnet(report, devnet, blocks=sizes.devnet_blocks))
            stage("chain_sources", lambda: bench_chain_sources(report, devnet, sizes.chain_blocks, workdir))
            stage("ingest_end_to_end", lambda: bench_ingest(report, devnet, workdir, sizes.ingest_minutes))
            stage(
                "backfill_latency",
                lambda: bench_latency(report, devnet, workdir, sizes, latency_ms, latency_jitter_ms),
            )
        paths = {name: workdir / f"{name}.pickle" for name in ("sample", "extra")}
        large_url = _fresh_warehouse(workdir, "history.duckdb")
        small_url = f"duckdb:///{workdir / 'history-small.duckdb'}"
        history = stage(
            "history",
            lambda: run_stage(
                "history", url=large_url, rows=sizes.history, scale=sizes.scale,
                small_rows=sizes.small_history, small_url=small_url,
                sample_rows=sizes.bulk_sample, sample_path=str(paths["sample"]),
                extra_rows=max(1, sizes.history // 100), extra_path=str(paths["extra"]),
            ),
        )  # fmt: skip
        stage("append_vs_bulk", lambda: bench_store(report, workdir, paths["sample"]))
        rebuilds = {
            size: stage(f"rebuild_{size}", lambda url=url: run_stage("rebuild", url=url))
            for size, url in (("small", small_url), ("large", large_url))
        }
        incremental = stage(
            "incremental", lambda: run_stage("incremental", url=large_url, extra_path=str(paths["extra"]))
        )
        bench_projections(report, rebuilds["large"], incremental)
        reconciled = stage(
            "reconcile", lambda: run_stage("reconcile", url=large_url, since_seq=incremental["seq_before"])
        )
        bench_reconcile(report, reconciled, incremental["rows"])
        stage("callbacks", lambda: bench_callbacks(report, large_url, sizes.callback_repeats))
        floor = stage("idle", lambda: run_stage("idle", url=large_url))["peak_rss_mb"]
        small = history["small"]
        memory = {"baseline": "a stage process that imports the same modules and opens the warehouse",
                  "baseline_value": floor, "baseline_unit": "MB"}  # fmt: skip
        for size, ingest in (("small", small), ("large", history)):
            report.add(Figure(f"peak_rss_mb_ingest_{size}", ingest["peak_rss_mb"], "MB", goal="< 1500", **memory,
                              note=f"writing {ingest['rows']:,} rows to the event store, batches up to {ingest['largest_batch']:,}"))  # fmt: skip
            report.add(Figure(f"peak_rss_mb_rebuild_{size}", rebuilds[size]["peak_rss_mb"], "MB", goal="< 1500",
                              **memory, note=f"full rebuild of {ingest['rows']:,} rows"))  # fmt: skip
        report.add(Figure("history_store_events_per_s", round(history["rows"] / history["store_seconds"]), "events/s",
                          note=f"{history['batches']:,} batches into one warehouse, {history['rows']:,} rows"))  # fmt: skip
        report.details["history"] = history
        report.run["events"] = history["rows"]
        report.details["peak_rss_mb_incremental"] = incremental["peak_rss_mb"]
        report.details["peak_rss_mb_reconcile"] = reconciled["peak_rss_mb"]
    report.details["stage_seconds"] = stage_s
    report.details["load_after_stage"] = stage_load
    return _finish_report(report, json_path, results_dir)


def _plain(value):
    """numpy scalars (from pandas and the metrics) as plain JSON values."""
    return value.item() if hasattr(value, "item") else str(value)


if __name__ == "__main__":  # `python -m bench.runner STAGE '{"kwargs": ...}'`, what `run_stage` runs
    import bench.runner as bench  # by its importable name, so the batches it pickles load anywhere

    logging.basicConfig(level=logging.WARNING)
    _result = bench.STAGES[sys.argv[1]](**json.loads(sys.argv[2]))
    print(json.dumps(_result | {"peak_rss_mb": bench._peak_rss_mb()}, default=_plain))
