"""`decai bench`: every stage measured next to a baseline measured in the same run.

Figures are ratios against a baseline from the same run on the same machine (these machines are
shared and noisy, so absolute seconds mean little); each comes with the goal from the issue tracker.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

DAY = 86400
BENCH_NOW = int(datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp())


@dataclass
class Figure:
    key: str
    value: float | None
    unit: str
    baseline: str = ""
    goal: str = ""
    note: str = ""

    def met(self) -> bool | None:
        if self.value is None or not self.goal:
            return None
        op, target = self.goal.split(" ", 1)
        target_value = float(target)
        return {
            "≥": self.value >= target_value,
            "≤": self.value <= target_value,
            "<": self.value < target_value,
        }[op]


@dataclass
class BenchReport:
    size: str
    machine: str
    figures: list[Figure] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        log.info("bench %s = %s %s", figure.key, figure.value, figure.unit)

    def as_json(self) -> dict:
        out = {"size": self.size, "machine": self.machine, "details": self.details}
        out.update({f.key: f.value for f in self.figures})
        out["figures"] = [asdict(f) | {"met": f.met()} for f in self.figures]
        return out


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


# --- synthetic history -----------------------------------------------------------------------


def synthetic_quotes(n: int, start: int = BENCH_NOW - 400 * DAY, step: int = 300) -> list:
    """`n` market.Quote events for two coins, five minutes apart: history for the store and projections."""
    from etl.events import Event

    events = []
    coins = ("bittensor", "sahara-ai")
    for i in range(n):
        coin = coins[i % 2]
        ts = start + (i // 2) * step
        events.append(
            Event(
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
                    "price_usd": f"{100 + (i % 997) / 10:.4f}",
                    "market_cap_usd": f"{2.9e9 + i:.2f}",
                    "total_volume_usd": f"{1e8 + i:.2f}",
                },
                spec_version=3,
            )
        )
    return events


def _fresh_warehouse(directory: Path, name: str) -> str:
    from warehouse.db import migrate

    url = f"duckdb:///{directory / name}"
    migrate(url)
    return url


# --- stages ------------------------------------------------------------------------------------


def bench_devnet(report: BenchReport, blocks: int) -> None:
    from etl.devnet.sahara import bench as sahara_bench
    from etl.devnet.server import DevnetServer
    from etl.devnet.subtensor import bench as subtensor_bench

    with DevnetServer(seed=7, now=BENCH_NOW, rate_limit_per_minute=0) as devnet:
        sub = subtensor_bench.measure(devnet.endpoints["subtensor"], blocks=blocks)
        sah = sahara_bench.blocks_per_second(devnet.endpoints, blocks=min(blocks, 1000))
    report.add(Figure("devnet_subtensor_blocks_per_s", round(sub.blocks_per_second, 1), "blocks/s",
                      note="header + System.Events per block, batched JSON-RPC over loopback"))  # fmt: skip
    report.add(Figure("devnet_cometbft_blocks_per_s", round(sah["block_results"], 1), "blocks/s",
                      note="/block_results per height over loopback"))  # fmt: skip
    report.add(Figure("devnet_evm_blocks_per_s", round(sah["eth_getLogs"], 1), "blocks/s",
                      note="eth_getLogs in 500-block ranges"))  # fmt: skip


def bench_store(report: BenchReport, events: list, workdir: Path) -> str:
    """Event-store append (dedup, checkpoint, batch record, one transaction) against a raw bulk insert."""
    import pyarrow as pa

    from etl.events import EVENT_COLUMNS
    from warehouse import db
    from warehouse.store import append_batch

    batch = 100_000
    rows = [e.as_row("bench") for e in events]
    raw_url = _fresh_warehouse(workdir, "raw.duckdb")
    engine = db.make_engine(raw_url)

    def raw_insert() -> None:
        with db.begin(engine) as conn:
            driver = conn.connection.driver_connection
            for lo in range(0, len(rows), batch):
                piece = rows[lo : lo + batch]
                driver.register("_raw", pa.table({c: [r[c] for r in piece] for c in EVENT_COLUMNS}))
                driver.execute(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) SELECT * FROM _raw")
                driver.unregister("_raw")

    raw_seconds, _ = _timed(raw_insert)
    engine.dispose()
    url = _fresh_warehouse(workdir, "store.duckdb")
    engine = db.make_engine(url)

    def append() -> None:
        for lo in range(0, len(events), batch):
            piece = events[lo : lo + batch]
            append_batch(
                engine, source="coingecko", stream="bench", range_unit="unix_s", range_start=lo,
                range_end=lo + len(piece), events=piece, checkpoint=lo + len(piece),
            )  # fmt: skip

    append_seconds, _ = _timed(append)
    engine.dispose()
    n = len(events)
    report.add(Figure("append_events_per_s", round(n / append_seconds), "events/s", note=f"{n:,} events"))
    report.add(
        Figure("raw_bulk_events_per_s", round(n / raw_seconds), "events/s", note="same rows, plain INSERT")
    )
    report.add(Figure("append_vs_bulk", round(raw_seconds / append_seconds, 3), "ratio",
                      baseline="raw bulk insert, same engine", goal="≥ 0.5"))  # fmt: skip
    return url


def bench_projections(report: BenchReport, url: str, extra_events: list) -> None:
    """Incremental projection with 1% new events against a full rebuild of the same history."""
    from warehouse import db
    from warehouse.projections import rebuild, run_all
    from warehouse.store import append_batch

    engine = db.make_engine(url)
    full_seconds, _ = _timed(lambda: rebuild(engine))
    append_batch(
        engine, source="coingecko", stream="bench", range_unit="unix_s", range_start=-1, range_end=0,
        events=extra_events, checkpoint=None,
    )  # fmt: skip
    incremental_seconds, _ = _timed(lambda: run_all(engine))
    engine.dispose()
    report.add(Figure("full_rebuild_s", round(full_seconds, 3), "s"))
    report.add(
        Figure(
            "incremental_1pct_s", round(incremental_seconds, 3), "s", note=f"{len(extra_events):,} new events"
        )
    )
    report.add(Figure("incremental_vs_full", round(incremental_seconds / full_seconds, 4), "ratio",
                      baseline="full rebuild", goal="≤ 0.05"))  # fmt: skip


def bench_callbacks(report: BenchReport, url: str, repeats: int = 30) -> None:
    """What a dashboard callback does (query + figure) on the benchmark warehouse."""
    from dashboards import figures, queries

    timings = []
    for i in range(repeats):
        seconds, _ = _timed(
            lambda log_scale=bool(i % 2): figures.market_cap_figure(
                queries.market_caps(url), log_scale=log_scale
            )
        )
        timings.append(seconds * 1000)
    timings.sort()
    report.add(Figure("callback_p50_ms", round(statistics.median(timings), 1), "ms"))
    report.add(
        Figure("callback_p95_ms", round(timings[int(0.95 * (len(timings) - 1))], 1), "ms", goal="< 300")
    )


def bench_market_ingest(report: BenchReport, workdir: Path, days: int) -> None:
    """End to end from the devnet's market feed, and the share of it spent validating."""
    from etl.devnet.server import DevnetServer
    from etl.sources.coingecko import CoinGeckoClient
    from etl.validate.quotes import validate_quotes
    from warehouse import db
    from warehouse.store import append_batch

    url = _fresh_warehouse(workdir, "market.duckdb")
    engine = db.make_engine(url)
    totals = {"fetch": 0.0, "validate": 0.0, "store": 0.0, "rows": 0}
    with DevnetServer(seed=7, now=BENCH_NOW, rate_limit_per_minute=0) as devnet:
        # Warm Great Expectations (import, project, suite) outside the timing, as a long-lived worker is.
        with CoinGeckoClient(devnet.endpoints["coingecko"]) as client:
            validate_quotes(client.market_chart_range("bittensor", BENCH_NOW - 3600, BENCH_NOW))
        with CoinGeckoClient(devnet.endpoints["coingecko"]) as client:
            for coin in ("bittensor", "sahara-ai"):
                for day in range(days):
                    lo = BENCH_NOW - (day + 1) * DAY
                    seconds, fetched = _timed(
                        lambda lo=lo, c=coin: client.market_chart_range(c, lo, lo + DAY)
                    )
                    totals["fetch"] += seconds
                    seconds, checked = _timed(lambda f=fetched: validate_quotes(f))
                    totals["validate"] += seconds
                    seconds, _ = _timed(
                        lambda c=checked, lo=lo, coin=coin: append_batch(
                            engine, source="coingecko", stream=coin, range_unit="unix_s", range_start=lo,
                            range_end=lo + 30 * DAY, events=c.events, quarantined=c.quarantined, checkpoint=lo + 30 * DAY,
                            rows_in=c.rows_in, dq=[c.record],
                        )
                    )  # fmt: skip
                    totals["store"] += seconds
                    totals["rows"] += checked.rows_in
    engine.dispose()
    total = totals["fetch"] + totals["validate"] + totals["store"]
    report.add(Figure("market_ingest_events_per_s", round(totals["rows"] / total), "events/s",
                      note=f"{totals['rows']:,} quotes, devnet over loopback"))  # fmt: skip
    report.add(Figure("market_validation_share", round(totals["validate"] / total, 3), "share",
                      baseline="whole ingest time", goal="≤ 0.25"))  # fmt: skip
    report.details["market_ingest_seconds"] = {k: round(v, 3) for k, v in totals.items() if k != "rows"}


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
                      baseline="whole ingest time", goal="≤ 0.25"))  # fmt: skip


def bench_chain_sources(report: BenchReport, blocks: int, workdir: Path) -> None:
    """Chain connectors: decode against async-substrate-interface's per-block path, and ingest end to end."""
    from etl.devnet.server import DevnetServer
    from etl.sources import sahara_bench, subtensor_bench
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.subtensor import SubtensorSource

    with DevnetServer(seed=7, now=BENCH_NOW, rate_limit_per_minute=0) as devnet:
        with SubtensorSource(devnet.endpoints["subtensor"]) as source:
            head = source.finalized_head()
            sub = subtensor_bench.measure(devnet.endpoints, head - blocks, head)
            report.add(Figure("decode_speedup", sub["decode_speedup"], "ratio",
                              baseline="async-substrate-interface get_events per block", goal="≥ 5",
                              note=f"{sub['connector_events_per_s']:,} vs {sub['get_events_events_per_s']:,} events/s"))  # fmt: skip
            report.add(
                Figure(
                    "bittensor_decode_only_events_per_s",
                    sub["connector_decode_only_events_per_s"],
                    "events/s",
                )
            )
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


def bench_peak_rss(report: BenchReport, urls: dict[str, str]) -> None:
    """Peak memory of a full rebuild at two history sizes, each in a fresh child process."""
    for label, url in urls.items():
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
        code = (
            "from pathlib import Path; from warehouse import db; from warehouse.projections import rebuild; "
            f"rebuild(db.make_engine({url!r})); "
            "print([l.split()[1] for l in Path('/proc/self/status').read_text().splitlines() "
            "if l.startswith('VmHWM')][0])"
        )
        done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        peak_kb = int(done.stdout.strip().splitlines()[-1])
        report.add(Figure(f"peak_rss_mb_rebuild_{label}", round(peak_kb / 1024, 1), "MB", goal="< 1500"))


def run_bench(quick: bool = True, events: int | None = None, json_path: Path | None = None) -> BenchReport:
    n = events or (200_000 if quick else 10_000_000)
    report = BenchReport(size=f"{n:,} events ({'quick' if quick else 'full'})", machine=machine_description())
    with tempfile.TemporaryDirectory(prefix="decai-bench-") as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("DECAI_GX_DIR", str(workdir / "gx"))
        bench_devnet(report, blocks=1000 if quick else 5000)
        # Ingest stages first: a worker process does not hold a whole synthetic history in memory.
        bench_market_ingest(report, workdir, days=90 if quick else 720)
        bench_chain_sources(report, blocks=300 if quick else 3000, workdir=workdir)
        history = synthetic_quotes(n)
        url = bench_store(report, history, workdir)
        extra = synthetic_quotes(max(1, n // 100), start=BENCH_NOW - 5 * DAY, step=60)
        bench_projections(report, url, extra)
        bench_callbacks(report, url)
        (workdir / "small").mkdir()
        small_url = bench_store(BenchReport("", ""), history[: max(1, n // 10)], workdir / "small")
        bench_peak_rss(report, {"small": small_url, "large": url})
    if json_path:
        Path(json_path).write_text(json.dumps(report.as_json(), indent=2, default=_plain) + "\n")
    return report


def _plain(value):
    """numpy scalars (from pandas and the metrics) as plain JSON values."""
    return value.item() if hasattr(value, "item") else str(value)
