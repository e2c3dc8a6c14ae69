"""The dashboard's read connection to a DuckDB warehouse is kept between callbacks, and still lets
writers in: a writer of the same process at once, a writer of another process while the dashboard
goes on reading. Kept or not, the connection refuses every write."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboards import queries
from warehouse import db
from warehouse.readonly import ReadOnlyViolation

ROOT = Path(__file__).resolve().parents[1]


def _write(url: str, value: int) -> None:
    with db.begin(db.make_engine(url)) as conn:
        conn.execute(sa.text("INSERT INTO reference_facts_probe VALUES (:v)"), {"v": value})


def _values(url: str) -> list[int]:
    with queries.session(url):
        frame = queries._read_or_empty(url, "SELECT v FROM reference_facts_probe ORDER BY v", ["v"])
    return [int(v) for v in frame["v"]]


@pytest.fixture()
def probe_url(duckdb_url):
    with db.begin(db.make_engine(duckdb_url)) as conn:
        conn.execute(sa.text("CREATE TABLE reference_facts_probe (v INTEGER)"))
    return duckdb_url


def test_a_write_of_the_same_process_gets_in_between_two_reads_and_the_next_read_sees_it(probe_url):
    _write(probe_url, 1)
    assert _values(probe_url) == [1]
    _write(probe_url, 2)  # the connection the read kept would hold the file: it is closed first
    assert _values(probe_url) == [1, 2]
    assert _values(probe_url) == [1, 2]


def test_the_kept_connection_refuses_writes(probe_url):
    assert _values(probe_url) == []
    with queries.session(probe_url):
        with pytest.raises(ReadOnlyViolation):
            queries._read_or_empty(probe_url, "INSERT INTO reference_facts_probe VALUES (3)", ["v"])
        # Past the statement check, DuckDB itself refuses: the file is open read-only.
        _, conn = queries._SESSION.get()
        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            conn.exec_driver_sql("INSERT INTO reference_facts_probe VALUES (3)")
    assert _values(probe_url) == []


WRITER = """
import sys
import sqlalchemy as sa
from warehouse import db
with db.begin(db.make_engine(sys.argv[1])) as conn:
    conn.execute(sa.text("INSERT INTO reference_facts_probe VALUES (7)"))
"""


def test_a_writer_of_another_process_gets_in_while_the_dashboard_keeps_reading(probe_url):
    assert _values(probe_url) == []
    writer = subprocess.Popen([sys.executable, "-c", WRITER, probe_url], cwd=ROOT, stderr=subprocess.PIPE)
    reads = 0
    # A user clicking through the pages without pause: a read every 20 ms, never idle for a second. The
    # writer says it is waiting, and the reads let go of the file between two of them.
    deadline = time.monotonic() + 60
    while writer.poll() is None and time.monotonic() < deadline:
        _values(probe_url)
        reads += 1
        time.sleep(0.02)
    if writer.poll() is None:
        writer.kill()
    _, errors = writer.communicate()
    assert writer.returncode == 0, errors.decode()[-2000:]
    assert reads > 1 and _values(probe_url) == [7]
