"""Do two revisions build the same warehouse? A fixed backfill at each, then every table's checksum.

    python -m bench.same_tables REV_A REV_B [REV_C ...]

Each revision is checked out with `git worktree add` into a temporary folder (removed afterwards) and
runs its own `decai backfill` (`python -m etl.cli backfill`, the worktree's code first on the import
path, checked before the run) over a fixed window into a fresh DuckDB file, with a fresh Airflow home
and its own devnet on a free port. Every table and view of the two files is then checksummed the
same way from outside (`relation_checksums`): row count and sha256 of the rows, one canonical line
each, sorted, without the columns in `EXCLUDED_COLUMNS`. Consecutive revisions are compared pairwise;
each pair's report goes to bench/results/same_tables-<a>-<b>.json. Exit status 1 when a table
present on both sides differs (tables only on one side are listed, not failed: a refactor that
dropped a table shows up there), 2 when a revision's backfill failed (its pairs are not compared).
A revision named twice is backfilled twice, so `REV REV` checks that the backfill repeats itself.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path

#: Columns left out of every checksum. Each one says when, how fast, or under which random id a row
#: was written, never what the data says, so two runs of the same code always differ there. Found by
#: backfilling one revision twice and comparing column by column (nothing else differed but the last
#: bit of a float sum, see FLOAT_DIGITS), and by reading where the code stamps a row with the clock
#: or a uuid4 (quarantined_at: the fixed backfill quarantines nothing).
EXCLUDED_COLUMNS: dict[str, str] = {
    "batch_id": "a fresh random UUID per ingest run",
    "run_id": "Airflow's run id, `manual__<wall-clock time of the run>`",
    "ingested_at": "wall-clock time the event was appended",
    "quarantined_at": "wall-clock time the row was quarantined",
    "started_at": "wall-clock time the ingest batch began",
    "duration_s": "how long the ingest batch took",
    "updated_at": "wall-clock time a checkpoint or a projection's position last moved",
    "seq": "the event store's append position (staging tables copy it): a chain's chunks are independent "
    "mapped tasks and may be appended in either order, so the same events can get other positions "
    "(seen once between two commits that do not touch ingestion); warehouse/audit.py leaves it out too",
    "result_id": "a fresh random UUID per validation result",
    "validated_at": "wall-clock time of the validation run",
    "run_seconds": "how long the validation took",
}

#: Floating-point values are compared to this many significant digits. DuckDB sums doubles in
#: parallel, so the same SUM over the same rows can differ in the last bit from run to run (seen on
#: ecosystem_daily.staking_ratio: ...9528 against ...9525 with the same code); integers, decimals
#: and text are compared exactly.
FLOAT_DIGITS = 12

#: The fixed backfill, with options that `decai backfill` has at every revision of the layering work.
DEFAULT_DAYS = 2
DEFAULT_CHAIN_HOURS = 1
DEFAULT_END = "2026-01-15T00:00:00Z"

RESULTS_DIR = Path(__file__).resolve().parent / "results"


# ------------------------------------------------------------------------------------- checksums
def _canonical(value):
    """One stable representation per value: the same data gives the same text on both sides."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, str):
        if value[:1] in "{[":  # JSON text (payloads): the same document whatever its key order
            try:
                return json.dumps(_canonical(json.loads(value)), sort_keys=True)
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return repr(value)


def relation_checksums(path: Path) -> dict[str, dict]:
    """{table or view: {rows, sha256, type, excluded}} for every relation of a DuckDB file.

    The name is `schema.name` outside the `main` schema. Timestamps are read in UTC.
    """
    import duckdb

    result: dict[str, dict] = {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        relations = con.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = current_database() "
            "AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
        ).fetchall()
        for schema, name, kind in relations:
            columns = [
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                    "current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [schema, name],
                ).fetchall()
            ]
            kept = [c for c in columns if c not in EXCLUDED_COLUMNS]
            select = ", ".join(_quote(c) for c in kept) if kept else "1"
            rows = con.execute(f"SELECT {select} FROM {_quote(schema)}.{_quote(name)}").fetchall()
            canonical = [[_canonical(v) for v in row] for row in rows] if kept else [[] for _ in rows]
            # The column names are hashed too: a renamed, added or dropped column is a change.
            key = name if schema == "main" else f"{schema}.{name}"
            result[key] = {
                "rows": len(rows),
                "sha256": _digest([kept, *sorted(json.dumps(r, sort_keys=True) for r in canonical)]),
                "type": "view" if kind == "VIEW" else "table",
                "excluded": [c for c in columns if c in EXCLUDED_COLUMNS],
                # Each column's values on their own (sorted), to say where a differing table differs.
                "columns": {
                    c: _digest(sorted(json.dumps(r[i], sort_keys=True) for r in canonical))
                    for i, c in enumerate(kept)
                },
            }
    finally:
        con.close()
    return result


def _digest(lines: list) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update((line if isinstance(line, str) else json.dumps(line)).encode() + b"\n")
    return digest.hexdigest()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def compare(a: dict[str, dict], b: dict[str, dict]) -> dict:
    """Tables equal, differing (both checksums and row counts), and only on one side."""
    both = sorted(set(a) & set(b))
    return {
        "equal": {
            t: {"rows": a[t]["rows"], "sha256": a[t]["sha256"]}
            for t in both
            if a[t]["sha256"] == b[t]["sha256"]
        },
        "differ": [
            {
                "table": t,
                "a": {"rows": a[t]["rows"], "sha256": a[t]["sha256"]},
                "b": {"rows": b[t]["rows"], "sha256": b[t]["sha256"]},
                "columns": _column_changes(a[t]["columns"], b[t]["columns"]),
            }
            for t in both
            if a[t]["sha256"] != b[t]["sha256"]
        ],
        "only_in_a": {t: a[t]["rows"] for t in sorted(set(a) - set(b))},
        "only_in_b": {t: b[t]["rows"] for t in sorted(set(b) - set(a))},
    }


def _column_changes(a: dict[str, str], b: dict[str, str]) -> dict[str, list[str]]:
    """Columns only on one side, and common columns whose values (as a sorted list) differ.

    All three empty means the same values per column, paired into rows differently.
    """
    return {
        "only_in_a": [c for c in a if c not in b],
        "only_in_b": [c for c in b if c not in a],
        "values_differ": [c for c in a if c in b and a[c] != b[c]],
    }


# -------------------------------------------------------------------------------------- backfills
@dataclass
class Backfill:
    days: int = DEFAULT_DAYS
    chain_hours: int = DEFAULT_CHAIN_HOURS
    end: str = DEFAULT_END
    timeout_s: int = 3600

    def args(self) -> list[str]:
        return ["--days", str(self.days), "--chain-hours", str(self.chain_hours), "--end", self.end]


@dataclass
class Built:
    rev: str
    commit: str
    subject: str
    seconds: float
    summary: str
    checksums: dict[str, dict] = field(default_factory=dict)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(tree: Path, warehouse: Path, airflow_home: Path) -> dict[str, str]:
    """This shell's environment without any warehouse, Airflow or devnet setting, then the run's own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "WAREHOUSE_", "DECAI_", "PYTHON")) and k != "VIRTUAL_ENV"
    }
    env.update(
        PYTHONPATH=str(tree),
        WAREHOUSE_URL=f"duckdb:///{warehouse}",
        AIRFLOW_HOME=str(airflow_home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(tree / "dags"),
        GX_ANALYTICS_ENABLED="False",
        COLUMNS="200",  # the summary line on one line in the log
        # A devnet of its own: one already serving on the default port (someone else's) would answer
        # with its own clock, and the run would not be the fixed backfill.
        DECAI_DEVNET_PORT=str(_free_port()),
    )
    return env


class BackfillFailed(RuntimeError):
    """A revision's backfill could not run or did not finish; its pairs are not compared."""


def build(repo: Path, rev: str, backfill: Backfill, log=print) -> Built:
    """Backfill `rev` in a worktree of its own; the checksums of the warehouse it left."""
    commit = _git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")
    subject = _git(repo, "log", "-1", "--format=%s", commit)
    scratch = Path(tempfile.mkdtemp(prefix="same-tables-"))
    tree = scratch / "tree"
    warehouse = scratch / "warehouse.duckdb"
    (scratch / "airflow").mkdir()
    try:
        _git(repo, "worktree", "add", "--detach", str(tree), commit)
        env = _clean_env(tree, warehouse, scratch / "airflow")
        # Every package of the project that this revision has must come from the worktree.
        packages = [p for p in ("etl", "warehouse", "dashboards", "devnet", "bench") if (tree / p).is_dir()]
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import {', '.join(packages)}; " + "; ".join(f"print({p}.__file__)" for p in packages),
            ],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
        )
        imported = [Path(p).resolve() for p in probe.stdout.split()]
        if (
            probe.returncode != 0
            or len(imported) != len(packages)
            or not all(p.is_relative_to(tree) for p in imported)
        ):
            raise BackfillFailed(
                f"{rev}: the worktree's code is not what Python imports ({probe.stdout.strip()} "
                f"{probe.stderr.strip()[-500:]}); is another copy of the project earlier on the path?"
            )
        log(f"{rev} ({commit[:7]} {subject[:60]}): backfill {' '.join(backfill.args())}")
        started = time.perf_counter()
        with open(scratch / "backfill.log", "w") as out:
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "etl.cli", "backfill", *backfill.args()],
                    cwd=tree,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=backfill.timeout_s,
                )
            except subprocess.TimeoutExpired:
                raise BackfillFailed(f"{rev}: decai backfill took more than {backfill.timeout_s}s") from None
        seconds = time.perf_counter() - started
        output = (scratch / "backfill.log").read_text(errors="replace")
        if done.returncode != 0:
            raise BackfillFailed(f"{rev}: decai backfill exited {done.returncode}:\n{output[-4000:]}")
        summary = " ".join(
            next((line for line in output.splitlines()[::-1] if "backfill done" in line), "").split()
        )
        log(f"{rev}: {summary or 'backfill done'} ({seconds:.0f}s)")
        return Built(rev, commit, subject, round(seconds, 1), summary, relation_checksums(warehouse))
    finally:
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True
        )
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


def report(a: Built, b: Built, backfill: Backfill) -> dict:
    side = lambda built: {  # noqa: E731 - a small shape, written once
        "rev": built.rev,
        "commit": built.commit,
        "subject": built.subject,
        "backfill_seconds": built.seconds,
        "backfill_summary": built.summary,
        "tables": len(built.checksums),
    }
    excluded = sorted(
        {f"{t}.{c}" for sums in (a.checksums, b.checksums) for t, s in sums.items() for c in s["excluded"]}
    )
    return {
        "a": side(a),
        "b": side(b),
        "backfill": f"decai backfill {' '.join(backfill.args())} (fresh DuckDB file, fresh Airflow home, "
        "the devnet started by the backfill itself, its clock set from --end)",
        "checksum": "per table and view: row count and sha256 of its rows, each one canonical line "
        f"(JSON text with sorted keys, floats to {FLOAT_DIGITS} significant digits, timestamps in UTC), "
        "sorted, without the excluded columns",
        "excluded_columns": EXCLUDED_COLUMNS,
        "excluded_where": excluded,  # table.column, on either side
        **compare(a.checksums, b.checksums),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.same_tables",
        description="Backfill each revision the same way and compare every table's checksum, pair by pair.",
    )
    parser.add_argument("revisions", nargs="+", metavar="REV", help="two or more git revisions")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="market days of the backfill")
    parser.add_argument("--chain-hours", type=int, default=DEFAULT_CHAIN_HOURS, help="chain hours")
    parser.add_argument(
        "--end", default=DEFAULT_END, help="end of the backfill window (fixes the devnet clock)"
    )
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one backfill may take")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the JSON reports")
    args = parser.parse_args(argv)
    if len(args.revisions) < 2:
        parser.error("name at least two revisions")
    repo = Path(_git(Path.cwd(), "rev-parse", "--show-toplevel"))
    for rev in args.revisions:  # a misspelt revision stops here, before any backfill
        _git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")
    backfill = Backfill(args.days, args.chain_hours, args.end, args.timeout)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    args.out.mkdir(parents=True, exist_ok=True)
    differs = broken = False
    previous: Built | None = None
    for i, rev in enumerate(args.revisions):  # one backfill at a time, on purpose
        try:
            current = build(repo, rev, backfill, log)
        except BackfillFailed as exc:
            log(f"[error] {exc}")
            current, broken = None, True
        if i and (previous is None or current is None):
            print(f"{args.revisions[i - 1]} -> {rev}: not compared, a backfill failed")
        elif i:
            result = report(previous, current, backfill)
            path = args.out / f"same_tables-{previous.commit[:7]}-{current.commit[:7]}.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            differs |= bool(result["differ"])
            print(
                f"{previous.commit[:7]} -> {current.commit[:7]}: {len(result['equal'])} equal, "
                f"{len(result['differ'])} differ"
                + "".join(f" [{d['table']}]" for d in result["differ"])
                + f", {len(result['only_in_a'])} only in {previous.commit[:7]}, "
                f"{len(result['only_in_b'])} only in {current.commit[:7]} -> {path.name}",
                flush=True,
            )
        previous = current
    return 2 if broken else 1 if differs else 0


if __name__ == "__main__":
    raise SystemExit(main())
