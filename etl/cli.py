"""`decai`: the command line of DecAI Compare."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from etl.settings import redact_url_text

app = typer.Typer(help="DecAI Compare: Bittensor and Sahara AI side by side.", no_args_is_help=True)
console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("great_expectations", "airflow", "sqlalchemy", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _listening(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


@app.command()
def devnet(
    seed: int = typer.Option(7, help="same seed, same chains and prices, byte for byte"),
    port: int = typer.Option(None, help="port on 127.0.0.1 (default: DECAI_DEVNET_PORT or 18545)"),
    now: str = typer.Option(None, help="freeze the devnet's clock at this ISO time (default: real time)"),
    rate_limit: int = typer.Option(30, help="CoinGecko calls per minute before HTTP 429 (0: unlimited)"),
    scale: float = typer.Option(0.05, help="size of the simulated networks; 1.0 approximates early 2026"),
    endpoints_file: Path = typer.Option(None, help="write the endpoints as JSON to this file"),
    latency_ms: float = typer.Option(
        0.0, "--latency-ms", help="hold every chain and market request this many ms, as a distant node does"
    ),
    latency_jitter_ms: float = typer.Option(
        None,
        "--latency-jitter-ms",
        help="plus up to this many ms more, drawn from the seed (default: a fifth of --latency-ms)",
    ),
) -> None:
    """Serve the local devnet (subtensor, Sahara CometBFT + EVM, CoinGecko) until Ctrl-C."""
    from devnet.server import DevnetServer
    from etl.settings import get_settings

    frozen = int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()) if now else None
    server = DevnetServer(
        seed=seed,
        port=port if port is not None else get_settings().devnet_port,
        now=frozen,
        rate_limit_per_minute=rate_limit,
        scale=scale,
        latency_ms=latency_ms,
        latency_jitter_ms=latency_jitter_ms,
    )
    for name, url in server.endpoints.items():
        console.print(f"[bold]{name:>10}[/] {url}")
    if endpoints_file:
        server.write_endpoints(endpoints_file)
    if latency_ms or latency_jitter_ms:
        held = server.state.latency
        console.print(f"every protocol request waits {held.ms:g} ms + up to {held.jitter_ms:g} ms of jitter")
    console.print(f"devnet on {server.base_url} (seed {seed}); Ctrl-C stops it")
    server.serve_forever()


@app.command()
def migrate() -> None:
    """Create or upgrade the warehouse schema (WAREHOUSE_URL)."""
    from etl.settings import redact_url
    from warehouse import db

    try:
        db.migrate()
    except Exception as exc:  # noqa: BLE001 - one line naming the warehouse, never its password
        message = (
            str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        console.print(
            f"[red]migrate failed[/] for {redact_url(db.resolve_url())}: {redact_url_text(message)}"
        )
        raise typer.Exit(2) from None
    from warehouse.reference import ReferenceFactError, sync

    try:
        loaded = sync()
    except ReferenceFactError as exc:
        console.print(f"[red]reference facts not loaded:[/] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    console.print(f"warehouse at {redact_url(db.resolve_url())} is up to date")
    if loaded.inserted or loaded.updated or loaded.deleted:
        console.print(
            f"reference_facts: {loaded.inserted} added, {loaded.updated} updated, {loaded.deleted} removed"
        )
    if db.read_url() != db.resolve_url():  # PostgreSQL: reads log in as the reader
        console.print(f"reads (decai sql, dashboard) go through {redact_url(db.read_url())}")


@contextlib.contextmanager
def _devnet_if_needed(seed: int, now: int | None, announce: bool = True):
    """Start the devnet in this process when a connection points at it and nothing serves there yet."""
    from etl.connections import coingecko_connection, points_at_devnet, rpc_url
    from etl.settings import get_settings

    settings = get_settings()
    urls = [coingecko_connection().base_url] + [
        rpc_url(c) for c in ("bittensor_rpc", "sahara_cometbft", "sahara_evm")
    ]
    if any(points_at_devnet(u) for u in urls) and not _listening(settings.devnet_host, settings.devnet_port):
        from devnet.server import DevnetServer

        with DevnetServer(seed=seed, port=settings.devnet_port, now=now, rate_limit_per_minute=0) as server:
            clock = "real time" if now is None else datetime.fromtimestamp(now, UTC).isoformat()
            if announce:
                console.print(f"started the devnet on {server.base_url} (clock: {clock})")
            yield
        return
    yield


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send everything written to stdout (file descriptor 1 included: Airflow's loggers hold their own
    handle on it) to stderr, so stdout carries only what the command itself prints afterwards."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


#: How far past --end the devnet's clock runs, so that every block before --end is finalized
#: (subtensor finalizes 2 blocks behind its head, CometBFT at once).
FINALITY_MARGIN_SECONDS = 300


class _BackfillProgress:
    """What `decai backfill` draws: one bar per DAG, advancing as each planned chunk finishes, with an ETA.

    The chain DAGs' bars learn their size from the `plan` task's result and advance on each mapped
    `ingest_chunk`; the market bar counts its DAG runs, the projections bar the warehouse DAG's tasks.
    Without a display (`--quiet`) it only collects the failures for the summary line.
    """

    #: the task whose finishing advances a DAG's bar (None: every task of the DAG)
    STEP_TASK = {
        "market_ingest": "ingest_coins",
        "bittensor_ingest": "ingest_chunk",
        "sahara_ingest": "ingest_chunk",
    }
    UNIT = {"market_ingest": "runs", "bittensor_ingest": "chunks", "sahara_ingest": "chunks"}

    def __init__(self, progress):
        self.progress = progress
        self.failures: list[str] = []
        self._bars: dict[str, int] = {}
        self._plans: dict[str, list] = {}

    def add(self, dag_id: str, label: str, total: int | None) -> None:
        if self.progress is not None:
            unit = self.UNIT.get(dag_id, "tasks")
            self._bars[dag_id] = self.progress.add_task(
                label, total=total, unit=unit, detail="planning" if total is None else ""
            )

    def finished(self, event) -> None:
        """`run_dag`'s callback: a try of one task ended (`etl.orchestrate.TaskFinished`)."""
        where = event.task_id + (f"[{event.map_index}]" if event.map_index >= 0 else "")
        if event.state != "success":
            if event.state == "failed":
                self.failures.append(f"{event.dag_id} {where}: {event.error}")
            if self.progress is not None and event.state == "up_for_retry":
                self.progress.console.print(
                    f"{event.dag_id} {where} failed, will retry: {event.error}", markup=False, highlight=False
                )
            return
        bar = self._bars.get(event.dag_id)
        if event.task_id == "plan" and isinstance(event.result, list):
            self._plans[event.dag_id] = event.result
            if bar is not None:
                detail = f"{len(event.result)} chunks to fetch" if event.result else "nothing new to fetch"
                self.progress.update(bar, total=len(event.result), detail=detail)
            return
        step = self.STEP_TASK.get(event.dag_id)
        if bar is None or (step is not None and event.task_id != step):
            return
        self.progress.update(bar, advance=1, detail=self._chunk_detail(event))

    def _chunk_detail(self, event) -> str:
        plan = self._plans.get(event.dag_id) or []
        if event.task_id != "ingest_chunk" or not 0 <= event.map_index < len(plan):
            return f"{event.task_id} done"
        chunk = plan[event.map_index]
        result = event.result if isinstance(event.result, dict) else {}
        rows = result.get("rows_new", result.get("rows_loaded"))
        source = f"{chunk['source']} " if chunk.get("source") else ""
        text = f"{source}blocks {int(chunk['start']):,}–{int(chunk['end']) - 1:,}"
        return text + (f", {int(rows):,} new rows" if rows is not None else "")


def _backfill_display():
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console,
    )


@app.command()
def backfill(
    days: int = typer.Option(7, min=1, help="market data: how many days back from --end"),
    end: str = typer.Option(None, help="end of the window, ISO (default: the last full hour)"),
    chain_hours: int = typer.Option(
        6, min=0, help="Bittensor and Sahara: how many hours back from --end (0: none)"
    ),
    chunk_days: int = typer.Option(30, min=1, help="market days per DAG run"),
    seed: int = typer.Option(7, help="devnet seed, when the devnet is started here"),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="for scheduled use: no progress display, one summary line (and errors)"
    ),
) -> None:
    """Run the real ingest DAGs over a past window (dag.test), then the projections.

    A progress bar per DAG advances as each planned chunk finishes, with an ETA. When the connections
    point at the devnet and none is running, one is started here, its clock set a few minutes past
    --end (so `--end 2026-01-15T00:00:00Z` shows the networks as calibrated for early 2026, and the
    blocks up to --end are final: a day ending at --end can be complete). Exit status 1 when a DAG
    run fails, with a line starting `[error]` naming the DAG, the task and its error.
    """
    import warnings

    _quiet_logs()
    # Airflow's in-process API client warns about its own test client; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from etl.orchestrate import DagRunFailed, configure_airflow, load_dag, run_dag
    from warehouse import db

    if quiet:  # scheduled use: Airflow's warnings (e.g. an empty plan) are no news; errors still show
        os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
    configure_airflow()
    os.environ.setdefault("DECAI_RETRY_DELAY_SECONDS", "5")  # interactive: retry soon, not in a minute
    end_dt = (
        datetime.fromisoformat(end.replace("Z", "+00:00")).astimezone(UTC)
        if end
        else datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    )
    start_dt = end_dt - timedelta(days=days)
    db.migrate()
    from warehouse.reference import sync as load_reference_facts

    load_reference_facts()
    chunks = []
    lo = start_dt
    while lo < end_dt:
        hi = min(lo + timedelta(days=chunk_days), end_dt)
        chunks.append((lo, hi))
        lo = hi
    chain_window = {"start": (end_dt - timedelta(hours=chain_hours)).isoformat(), "end": end_dt.isoformat()}
    chain_label = f"{end_dt - timedelta(hours=chain_hours):%Y-%m-%d %H:%M} → {end_dt:%H:%M}"
    started = time.perf_counter()
    display = None if quiet else _backfill_display()
    tracker = _BackfillProgress(display)
    current = "market_ingest"
    try:
        with (
            _devnet_if_needed(
                seed, int(end_dt.timestamp()) + FINALITY_MARGIN_SECONDS if end else None, announce=not quiet
            ),
            display or contextlib.nullcontext(),
            # Quiet: stdout carries the one summary line; whatever Airflow prints goes to stderr.
            _stdout_to_stderr() if quiet else contextlib.nullcontext(),
        ):
            tracker.add(
                "market_ingest", f"market_ingest {start_dt:%Y-%m-%d} → {end_dt:%Y-%m-%d %H:%M}", len(chunks)
            )
            for lo, hi in chunks:
                run_dag(
                    "market_ingest",
                    {"start": lo.isoformat(), "end": hi.isoformat()},
                    on_task=tracker.finished,
                )
            if chain_hours:
                for dag_id in ("bittensor_ingest", "sahara_ingest"):
                    current = dag_id
                    tracker.add(dag_id, f"{dag_id} {chain_label}", None)
                    run_dag(dag_id, chain_window, on_task=tracker.finished)
            current = "warehouse_projections"
            tracker.add(
                "warehouse_projections",
                "warehouse_projections",
                len(load_dag("warehouse_projections").task_ids),
            )
            run_dag("warehouse_projections", on_task=tracker.finished)
    except DagRunFailed as exc:
        cause = "; ".join(tracker.failures) or str(exc)
        typer.echo(
            f"[error] backfill stopped after {time.perf_counter() - started:.0f}s: {current} failed: {cause}",
            err=True,
        )
        raise typer.Exit(1) from None
    counts = db.read_sql(
        "SELECT (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM quarantine) AS quarantined, "
        "(SELECT COUNT(*) FROM chain_blocks) AS blocks, (SELECT COUNT(*) FROM ecosystem_daily) AS days"
    ).iloc[0]
    typer.echo(
        f"backfill done in {time.perf_counter() - started:.1f}s: {counts['events']:,} events, "
        f"{counts['quarantined']:,} quarantined, {counts['blocks']:,} blocks, {counts['days']} ecosystem_daily rows"
    )


@app.command()
def status(
    now: str = typer.Option(None, help="count ages from this ISO time (default: the clock)"),
    heads: bool = typer.Option(
        True, "--heads/--no-heads", help="ask each chain for its finalized head (3 s, no retries)"
    ),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table or json"),
) -> None:
    """Each stream's freshness, lag, last batch, and every failed check; exit 1 when a check failed.

    Freshness is the time of the newest stored block (or quote) and its age; lag is how many blocks
    the checkpoint is behind the chain's finalized head when the chain answers, else the age behind
    now. A failed check is a dq_results suite run whose latest result for its range did not pass.
    """
    from etl.orchestrate import configure_airflow
    from etl.status import failed_checks, human_age, stream_status

    configure_airflow()  # the connections the DAGs read, with Airflow's logs at WARNING
    try:
        now_dt = (
            datetime.fromisoformat(now.replace("Z", "+00:00")).astimezone(UTC) if now else datetime.now(UTC)
        )
    except ValueError as exc:
        console.print(f"[red]status: --now takes an ISO time ({exc})[/]")
        raise typer.Exit(2) from None
    try:
        streams = stream_status(now_dt, heads=heads)
        checks = failed_checks()
    except Exception as exc:  # noqa: BLE001 - one line naming the warehouse, never a traceback
        from etl.settings import redact_url
        from warehouse import db

        text = str(getattr(exc, "orig", exc)).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        console.print(
            f"[red]status: cannot read the warehouse[/] {redact_url(db.resolve_url())}: "
            f"{redact_url_text(message)} (run `decai migrate` and `decai backfill` first)",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        failed = [{**c, "validated_at": c["validated_at"].isoformat() + "Z"} for c in checks]
        typer.echo(
            json.dumps(
                {
                    "now": now_dt.isoformat(),
                    "streams": [s.as_dict() for s in streams],
                    "failed_checks": failed,
                }
            )
        )
    else:
        table = Table(title=f"streams at {now_dt:%Y-%m-%d %H:%M:%S} UTC")
        for col in ("source", "stream", "newest", "age", "lag", "last batch", "outcome"):
            table.add_column(col)
        for s in streams:
            if s.latest_time is None:
                newest = "nothing stored"
            elif s.unit == "block":
                newest = f"block {s.latest_number:,} at {s.latest_time:%Y-%m-%d %H:%M:%S}"
            else:
                newest = f"quote at {s.latest_time:%Y-%m-%d %H:%M:%S}"
            if s.lag_blocks is not None:
                lag = f"{s.lag_blocks:,} blocks behind head {s.head:,}"
            else:
                lag = f"{human_age(s.age_seconds)} behind now"
            batch, outcome = "none", ""
            if s.last_batch:
                b = s.last_batch
                batch = (
                    f"{b['started_at']:%Y-%m-%d %H:%M:%S}, {b['rows_in']:,} rows "
                    f"({b['rows_new']:,} new, {b['rows_quarantined']:,} quarantined)"
                )
                outcome = b["outcome"]
            table.add_row(s.source, s.stream, newest, human_age(s.age_seconds), lag, batch, outcome)
        Console().print(table)
        if not streams:
            typer.echo("no stream ingested yet: run `decai backfill` (or let the scheduler run the DAGs)")
        if checks:
            typer.echo(f"{len(checks)} failed checks:")
            for c in checks:
                typer.echo(
                    f"  FAILED {c['suite']} {c['source']}/{c['stream']} range {c['range_start']}-{c['range_end']}: "
                    f"{c['outcome']}, {c['expectations_failed']} expectations failed, "
                    f"{c['rows_quarantined']} rows quarantined ({c['validated_at']:%Y-%m-%d %H:%M:%S})"
                )
        else:
            typer.echo("no failed checks")
    if checks:
        raise typer.Exit(1)


@app.command()
def project() -> None:
    """Fold new events into every projection (what the warehouse DAG does)."""
    from warehouse import db
    from warehouse.projections import run_all

    db.migrate()
    engine = db.make_engine()
    for summary in run_all(engine):
        console.print(summary)


@app.command()
def rebuild(projection: list[str] = typer.Option(None, help="only these projections")) -> None:
    """Drop every projection and replay it from the event store."""
    from warehouse import db
    from warehouse.projections import rebuild as rebuild_projections

    db.migrate()
    engine = db.make_engine()
    for summary in rebuild_projections(engine, projection or None):
        console.print(summary)


@app.command()
def sql(
    query: str = typer.Argument(..., help="a read-only SQL query"),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
    limit: int = typer.Option(1000, help="rows shown in table format"),
    timeout: float = typer.Option(30.0, "--timeout", help="cancel the query after this many seconds"),
    max_rows: int = typer.Option(
        10_000, "--max-rows", help="return at most this many rows (says when it cut)"
    ),
) -> None:
    """Query the warehouse read-only: one SELECT/WITH/EXPLAIN/DESCRIBE/SHOW/SUMMARIZE, through the reader login."""
    from warehouse import db
    from warehouse.readonly import ReaderPrivilegeError, ReadOnlyViolation

    if timeout <= 0 or max_rows <= 0:
        console.print("[red]refused:[/] --timeout and --max-rows must be positive.")
        raise typer.Exit(2)
    try:
        frame = db.read_sql(query, timeout_seconds=timeout, max_rows=max_rows)
    except ReadOnlyViolation as exc:
        console.print(f"[red]refused:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    except ReaderPrivilegeError as exc:
        console.print(f"[red]refused:[/] {redact_url_text(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - show the database's own words, not a traceback
        text = str(getattr(exc, "orig", exc)).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        console.print(f"[red]query failed:[/] {redact_url_text(message)}", soft_wrap=True)
        raise typer.Exit(2) from None
    if frame.attrs.get("truncated"):
        console.print(f"(stopped at --max-rows {max_rows:,}: the query returns more rows)")
    if output is OutputFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
    elif output is OutputFormat.json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso") + "\n")
    else:
        table = Table(show_lines=False)
        for col in frame.columns:
            table.add_column(str(col))
        for row in frame.head(limit).itertuples(index=False):
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
        if len(frame) > limit:
            console.print(f"({len(frame)} rows, {limit} shown)")


@app.command()
def catalog(
    table: str = typer.Argument(None, help="a table or view: list its columns with type and comment"),
    events: bool = typer.Option(False, "--events", help="list the event types the product models"),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f"),
) -> None:
    """The data dictionary: every table and view with its comment, or one table's columns with their
    type and comment, as the warehouse's own catalogue stores them (read-only); `--events`: each event
    type with its source, runtimes, fields and units."""
    if events:
        _print_event_catalog(output)
        return
    from etl.settings import redact_url
    from warehouse import db
    from warehouse.dictionary import catalogue_sql

    dialect = db.dialect_of(db.resolve_url())
    what = "columns" if table else "relations"
    try:
        frame = db.read_sql(catalogue_sql(dialect, what))
    except Exception as exc:  # noqa: BLE001 - one line naming the warehouse, never a traceback
        text = str(getattr(exc, "orig", exc)).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        console.print(
            f"[red]catalog: cannot read the warehouse[/] {redact_url(db.resolve_url())}: "
            f"{redact_url_text(message)}",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    if table is None:
        # Partitions of `events` (PostgreSQL) are listed under their parent, not one by one.
        frame = frame[frame["root"].isna()][["name", "kind", "comment"]]
        if frame.empty:
            console.print("the warehouse has no tables yet: run `decai migrate`")
            raise typer.Exit(1)
    else:
        names = sorted(set(frame["relation"]))
        frame = frame[frame["relation"] == table][["name", "type", "comment"]]
        if frame.empty:
            import difflib

            close = difflib.get_close_matches(table, names, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            console.print(
                f"[red]catalog:[/] no table or view named {table!r}{hint}; `decai catalog` lists them",
                soft_wrap=True,
                highlight=False,
            )
            raise typer.Exit(2)
        frame = frame.rename(columns={"name": "column"})
    frame = frame.reset_index(drop=True)
    if output is OutputFormat.json:
        sys.stdout.write(frame.to_json(orient="records") + "\n")
    elif output is OutputFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
    else:
        grid = Table(title=f"{table} (columns)" if table else "tables and views", show_lines=True)
        for col in frame.columns:
            grid.add_column(str(col), overflow="fold")
        for row in frame.itertuples(index=False):
            grid.add_row(*("" if v is None or v != v else str(v) for v in row))
        Console().print(grid)


def _print_event_catalog(output: OutputFormat) -> None:
    from warehouse.dictionary import EVENTS, OTHER_COSMOS_TYPES_NOTE

    records = [
        {
            "event_type": e.event_type,
            "chain": e.chain,
            "source": e.source,
            "read_from": e.read_from,
            "runtimes": e.runtimes,
            "meaning": e.meaning,
            "fields": [{"field": k, "meaning": f.meaning, "unit": f.unit} for k, f in e.fields.items()],
        }
        for e in EVENTS
    ]
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(records) + "\n")
        return
    if output is OutputFormat.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(["event_type", "chain", "source", "runtimes", "field", "unit", "meaning"])
        for r in records:
            for f in r["fields"]:
                writer.writerow([r["event_type"], r["chain"], r["source"], r["runtimes"], f["field"], f["unit"],
                                 f["meaning"]])  # fmt: skip
        return
    grid = Table(title="event types", show_lines=True)
    for col in ("event type", "source and runtimes", "fields (unit)"):
        grid.add_column(col, overflow="fold")
    for r in records:
        fields = "\n".join(f"{f['field']} ({f['unit']}): {f['meaning']}" for f in r["fields"])
        where = f"{r['chain']} / {r['source']}: {r['read_from']}\nruntimes: {r['runtimes']}"
        grid.add_row(f"{r['event_type']}\n{r['meaning']}", where, fields)
    Console().print(grid)
    typer.echo(OTHER_COSMOS_TYPES_NOTE)


@app.command()
def dashboard(
    port: int = typer.Option(8050),
    host: str = typer.Option(
        "127.0.0.1", help="address to listen on; anything but loopback needs an authenticating proxy in front"
    ),
    workers: int = typer.Option(1, min=1, help="server processes (they share the listening socket)"),
    threads: int = typer.Option(8, min=1, help="request threads per process"),
    debug: bool = typer.Option(False, help="Dash's development server with reloading (loopback only)"),
) -> None:
    """Serve the comparison dashboard on waitress, a production WSGI server (read-only, no login)."""
    from dashboards.app import LOOPBACK_HOSTS, create_app, serve

    if debug and host not in LOOPBACK_HOSTS:
        console.print("[red]--debug runs code sent by the browser's debugger: it listens on loopback only[/]")
        raise typer.Exit(2)
    dash_app = create_app()
    shown = f"[{host}]" if ":" in host else host
    console.print(f"dashboard: http://{shown}:{port}/ ({workers} worker(s) x {threads} thread(s))")
    if host not in LOOPBACK_HOSTS:
        console.print(
            f"dashboard: listening on {host}, beyond this machine. The dashboard has no login of its own: "
            "put an authenticating reverse proxy (TLS and sign-in) in front of it and let only that proxy "
            "reach this port."
        )
    if debug:
        dash_app.run(host=host, port=port, debug=True)
        return
    try:
        serve(dash_app, host=host, port=port, workers=workers, threads=threads)
    except OSError as exc:
        console.print(f"[red]dashboard: cannot listen on {shown}:{port}: {exc.strerror or exc}[/]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


@app.command()
def decode(
    kind: str = typer.Argument(
        ...,
        help="subtensor-events, subtensor-neurons-lite, cometbft-block-results, evm-logs, coingecko-market-chart",
    ),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="a captured response ('-' not supported)"
    ),
    metadata: Path = typer.Option(
        None, exists=True, dir_okay=False, help="state_getMetadata result (subtensor kinds)"
    ),
    block: int = typer.Option(None, help="block number the capture was taken at"),
    coin: str = typer.Option("bittensor", help="coin id (coingecko-market-chart)"),
) -> None:
    """Decode one captured response as ingestion would: one JSON object per event, decoded or quarantined.

    A file that is no answer (empty, binary, truncated, too deeply nested, a JSON-RPC error) gets one
    line on stderr and exit status 2; an answer without events says "no events" on stderr.
    """
    _quiet_logs()
    from etl.decode import capture_text
    from etl.decode import decode as run_decode

    def refuse(message: str) -> typer.Exit:
        sys.stderr.write(f"decai decode: {' '.join(message.split())[:500]}\n")
        return typer.Exit(2)

    options: dict = {}
    if block is not None:
        options["block"] = block
    if kind == "coingecko-market-chart":
        options["coin_id"] = coin
    count = 0
    try:
        if metadata is not None:
            options["metadata"] = capture_text(metadata.read_bytes(), f"metadata file {metadata.name}")
        text = capture_text(file.read_bytes(), file.name)
        for record in run_decode(kind, text, **options):
            sys.stdout.write(json.dumps(record, default=str, sort_keys=True) + "\n")
            count += 1
    except (ValueError, OSError) as exc:
        raise refuse(str(exc)) from None
    if count == 0:
        sys.stderr.write(f"decai decode: no events in {file.name} ({kind})\n")


@app.command()
def bench(
    quick: bool = typer.Option(False, "--quick", help="a few minutes instead of the full 10M-event run"),
    events: int = typer.Option(
        None, help="events in the benchmark's history (default 200k with --quick, else 10M)"
    ),
    json_file: Path = typer.Option(None, "--json", help="write every figure to this JSON file"),
    results: Path = typer.Option(
        None,
        "--results",
        help="also write the JSON into this folder as <date>-<commit>.json (-quick.json for --quick)",
    ),
    workdir: Path = typer.Option(
        None,
        "--workdir",
        help="build the benchmark's warehouses in this new or empty directory and keep them",
    ),
    cluster: bool = typer.Option(
        False,
        "--cluster",
        help="only the cluster figures: both chains backfilled through the scheduler with one and two "
        "Celery workers, at 0 ms and at --latency-ms (<date>-<commit>-cluster.json; --quick: a small window)",
    ),
    readme: bool = typer.Option(
        False,
        "--readme",
        help="run nothing: rewrite README's benchmark table from the newest committed full result",
    ),
    latency_ms: float = typer.Option(
        80.0, "--latency-ms", help="the network latency the backfill is timed under, against 0 ms"
    ),
    latency_jitter_ms: float = typer.Option(
        None, "--latency-jitter-ms", help="plus up to this many ms per request (default: a fifth of it)"
    ),
) -> None:
    """Benchmark every stage against a baseline measured in the same run; exit 1 when a figure failed
    (e.g. the two decoders of `decode_speedup` decoded different events)."""
    _quiet_logs()
    from bench.runner import BenchConfigError, run_bench, run_cluster_bench

    if readme:
        from bench.readme import ReadmeError, update_readme

        try:
            source = update_readme()
        except ReadmeError as exc:
            console.print(f"[red]bench --readme: {exc}[/]")
            raise typer.Exit(2) from exc
        typer.echo(f"README's benchmark table now shows {source or 'that no full result is committed yet'}")
        return
    try:
        if cluster:
            report = run_cluster_bench(
                quick=quick, json_path=json_file, results_dir=results, command=_bench_command(),
                latency_ms=latency_ms, latency_jitter_ms=latency_jitter_ms,
            )  # fmt: skip
        else:
            report = run_bench(
                quick=quick, events=events, json_path=json_file, workdir=workdir, results_dir=results,
                command=_bench_command(), latency_ms=latency_ms, latency_jitter_ms=latency_jitter_ms,
            )  # fmt: skip
    except BenchConfigError as exc:
        console.print(f"[red]bench: {exc}[/]")
        raise typer.Exit(2) from exc
    table = Table(title=f"decai bench: {report.size} on {report.machine}")
    for col in ("figure", "value", "unit", "baseline", "goal", "met", "note"):
        table.add_column(col)
    for f in report.figures:
        met = {True: "yes", False: "NO", None: ""}[f.met()]
        baseline = f.baseline
        if f.baseline_value is not None:
            baseline = f"{f.baseline_value:,} {f.baseline_unit}: {f.baseline}".strip(": ")
        note = f"FAILED: {f.failed}" if f.failed else f.note
        table.add_row(f.key, "–" if f.value is None else f"{f.value:,}", f.unit, baseline, f.goal, met, note)
    Console().print(table)
    for key, value in report.details.items():
        console.print(f"{key}: {value}")
    for path in report.written:
        typer.echo(f"wrote {path}")
    if report.failures():
        for f in report.failures():
            console.print(f"[red]bench: {f.key} failed: {f.failed}[/]")
        raise typer.Exit(1)


def _bench_command() -> str:
    """The command line as typed, without this machine's paths: `decai bench --quick --results ...`."""
    import shlex

    def shown(arg: str) -> str:
        if arg.startswith("--") and "=" in arg:
            option, value = arg.split("=", 1)
            return f"{option}={shown(value)}"
        path = Path(arg)
        if not path.is_absolute():
            return arg
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return path.name

    return shlex.join(["decai", *(shown(a) for a in sys.argv[1:])])


@app.command()
def reconcile(
    day: list[str] = typer.Option(
        None, help="only this UTC day, YYYY-MM-DD (repeatable; default: every day)"
    ),
    since_seq: int = typer.Option(
        None, help="only the days touched by events stored after this position (events.seq)"
    ),
) -> None:
    """Reconcile the marts against the chain's observations in the event store; exit 1 on a difference.

    One line per check when it passes; otherwise each difference, naming the check, the day (and the
    block and subnet where it applies). Every outcome is also stored in dq_results (suite
    `reconciliation`).
    """
    _quiet_logs()
    from datetime import date

    from warehouse.reconcile import reconcile as run_checks

    try:
        days = [date.fromisoformat(d) for d in day] if day else None
    except ValueError as exc:
        console.print(f"[red]reconcile: --day takes YYYY-MM-DD ({exc})[/]")
        raise typer.Exit(2) from exc
    failed = 0
    for result in run_checks(days=days, since_seq=since_seq):
        name, checked, failures = result["check"], result["checked"], result["failures"]
        if not failures:
            note = f"; {result['note']}" if result.get("note") else ""
            typer.echo(f"ok      {name}: {checked:,} checked{note}")
            continue
        failed += 1
        days_failed = ", ".join(result.get("failed_days", [])[:10])
        typer.echo(
            f"FAILED  {name}: {len(failures):,} differences of {checked:,} checked (days {days_failed})"
        )
        for line in failures[:20]:
            typer.echo(f"    {name} {line}")
        if len(failures) > 20:
            typer.echo(f"    {name}: ... {len(failures) - 20:,} more (dq_results holds the first 50)")
    if failed:
        raise typer.Exit(1)


@app.command()
def docs() -> None:
    """Build the Great Expectations Data Docs from every stored validation result."""
    _quiet_logs()
    from etl.validate.gx import build_data_docs

    index = build_data_docs()
    console.print(f"Data Docs: {index} (also served by the dashboard at /data-docs/)")


@app.command()
def endpoints() -> None:
    """Show where the connectors read from (Airflow connections or the devnet)."""
    from etl.connections import coingecko_connection
    from etl.settings import endpoint, get_settings, redact_url

    base_url = coingecko_connection().base_url
    shown = base_url if "@" not in base_url and "?" not in base_url else endpoint(base_url)
    print(json.dumps({"coingecko": shown, "warehouse": redact_url(get_settings().warehouse_url)}))


cluster_app = typer.Typer(
    help="The cluster profile: Celery executor, PostgreSQL metadata and warehouse, Redis broker.",
    no_args_is_help=True,
)
app.add_typer(cluster_app, name="cluster")


def _cluster_config(**overrides):
    from etl.cluster import ClusterConfig

    return ClusterConfig.from_env(**{k: v for k, v in overrides.items() if v is not None})


@cluster_app.command("up")
def cluster_up(
    workers: int = typer.Option(None, help="Celery workers (default: DECAI_CLUSTER_WORKERS or 2)"),
    devnet: bool = typer.Option(None, help="also run the devnet (default: DECAI_CLUSTER_DEVNET)"),
) -> None:
    """Start scheduler, dag-processor, api-server and the Celery workers; wait until they serve."""
    from etl.cluster import ClusterError, up

    config = _cluster_config(workers=workers, devnet=devnet)
    try:
        procs = up(config)
    except ClusterError as exc:
        console.print(f"[red]cluster: {exc}[/]")
        raise typer.Exit(1) from exc
    for name, pid in procs.items():
        console.print(f"[bold]{name:>14}[/] pid {pid}  log {config.run_dir / (name + '.log')}")
    console.print(f"Airflow UI and API: {config.api_url}  (settings: {config.home / 'cluster.env'})")


@cluster_app.command("down")
def cluster_down() -> None:
    """Stop every process of the cluster (workers first)."""
    from etl.cluster import down

    stopped = down(_cluster_config())
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@cluster_app.command("status")
def cluster_status() -> None:
    """Which cluster processes are alive."""
    from etl.cluster import components, running

    config = _cluster_config()
    alive = running(config)
    for name in components(config):
        console.print(f"{name:>14}  {'running, pid ' + str(alive[name]) if name in alive else 'stopped'}")
    if set(components(config)) - set(alive):
        raise typer.Exit(1)


@cluster_app.command("backfill")
def cluster_backfill(
    dag_id: str = typer.Argument(..., help="bittensor_ingest, sahara_ingest or market_ingest"),
    start: str = typer.Option(..., help="first logical date (ISO)"),
    end: str = typer.Option(..., help="last logical date, inclusive (ISO)"),
    conf: str = typer.Option("{}", help="run configuration as JSON, e.g. '{\"chunk_blocks\": 100}'"),
    timeout: float = typer.Option(3600, help="seconds to wait for the backfill"),
) -> None:
    """Backfill through the scheduler; wait, then show which worker ran which chunks."""
    from collections import Counter

    from etl.cluster import ClusterError, create_backfill, task_hosts, wait_for_backfill

    config = _cluster_config()
    parse = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))  # noqa: E731
    started = time.perf_counter()
    try:
        backfill = create_backfill(config, dag_id, parse(start), parse(end), json.loads(conf))
        runs = wait_for_backfill(config, backfill, timeout=timeout)
    except ClusterError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    chunk_task = "ingest_chunk" if dag_id != "market_ingest" else "ingest_coins"
    tries = task_hosts(config, dag_id, chunk_task, [r["run_id"] for r in runs])
    per_worker = Counter(t["hostname"] for t in tries if t["state"] == "success")
    console.print(
        f"backfill {backfill}: {len(runs)} runs in {time.perf_counter() - started:.0f}s; "
        f"{chunk_task} per worker: {dict(per_worker)}"
    )


if __name__ == "__main__":
    app()
