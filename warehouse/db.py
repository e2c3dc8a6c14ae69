"""Engines for the warehouse, one URL for every engine.

DuckDB lets one process write and locks every other process out meanwhile. Writers therefore keep
transactions short, readers open read-only with short-lived connections, and both retry while the
file is locked, so a dashboard user never sees a lock error while a DAG writes.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from etl.settings import PROJECT_ROOT, get_settings, mask_url_secrets, redact_url
from warehouse.engines import adapter_for

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 120.0
#: DuckDB's memory limit per process unless DECAI_DUCKDB_MEMORY_LIMIT says otherwise.
DUCKDB_MEMORY_LIMIT = "1GB"


def resolve_url(url: str | None = None) -> str:
    """The warehouse URL, with a relative DuckDB path anchored at the project root."""
    url = url or get_settings().warehouse_url
    if url.startswith("duckdb:///") and not url.startswith("duckdb:////"):
        rel = url[len("duckdb:///") :]
        if rel and rel != ":memory:":
            url = "duckdb:///" + str((PROJECT_ROOT / rel).resolve())
    return url


def dialect_of(url_or_engine: str | Engine | Connection) -> str:
    if isinstance(url_or_engine, str):
        try:
            return sa.engine.make_url(url_or_engine).get_backend_name()
        except sa.exc.ArgumentError:
            raise ValueError(
                f"WAREHOUSE_URL {redact_url(url_or_engine)} is not a database URL; use duckdb:///path "
                "or postgresql+psycopg://user@host/db"
            ) from None
    return url_or_engine.dialect.name


def make_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    """An engine for the warehouse; read-only engines refuse every write at the database level."""
    url = resolve_url(url)
    backend = dialect_of(url)
    mask_url_secrets(url)  # task logs show *** for its password
    if backend == "duckdb":
        path = sa.engine.make_url(url).database
        if path and path != ":memory:" and not read_only:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # DuckDB caches up to 80% of RAM unless told; work beyond the limit spills to `<file>.tmp`.
        # With no index on the tables that grow (migration 0010), 1GB holds a 10M-event rebuild at
        # 1.1 GB of peak memory instead of 5.5 GB. `default` leaves DuckDB's own limit.
        limit = os.environ.get("DECAI_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT
        config = {} if limit == "default" else {"memory_limit": limit}
        # Read-only and without file or network access: no COPY … TO, no ATTACH, settings locked.
        if read_only:
            config |= {"enable_external_access": False, "lock_configuration": True}
        connect_args = {"read_only": True, "config": config} if read_only else {"config": config}
        # NullPool: each use opens and closes the file, so no process holds DuckDB's lock when idle.
        # DuckDB raises on a rollback with no open transaction, so skip the reset-on-return.
        return sa.create_engine(url, poolclass=NullPool, pool_reset_on_return=None, connect_args=connect_args)
    if backend == "postgresql":
        if not read_only:
            return sa.create_engine(url, pool_pre_ping=True)
        from warehouse.readonly import DEFAULT_TIMEOUT_SECONDS, guard_read_engine, reader_url

        # Reads log in as the reader role, never as the warehouse's owner (WAREHOUSE_READ_URL).
        url = reader_url(url)
        mask_url_secrets(url)
        # Keep options already in the URL (a search_path, say) and add the read-only default.
        options = sa.engine.make_url(url).query.get("options", "")
        timeout_ms = int(DEFAULT_TIMEOUT_SECONDS * 1000)
        connect_args = {
            "options": f"{options} -c default_transaction_read_only=on -c statement_timeout={timeout_ms}".strip()
        }
        return guard_read_engine(sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args))
    raise ValueError(
        f"WAREHOUSE_URL {redact_url(url)}: unsupported engine {backend!r}; use duckdb:/// or postgresql+psycopg://"
    )


def _is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def retry_on_lock(max_wait: float = LOCK_WAIT_SECONDS) -> Retrying:
    return Retrying(
        retry=retry_if_exception(_is_lock_conflict),
        wait=wait_exponential_jitter(initial=0.05, max=2.0),
        stop=stop_after_delay(max_wait),
        reraise=True,
    )


@contextlib.contextmanager
def begin(engine: Engine) -> Iterator[Connection]:
    """A write transaction that waits for DuckDB's file lock instead of failing on it."""
    for attempt in retry_on_lock():
        with attempt:
            conn = engine.connect()
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A read connection that waits for DuckDB's file lock instead of failing on it."""
    for attempt in retry_on_lock():
        with attempt:
            conn = engine.connect()
    try:
        yield conn
    finally:
        conn.close()


def read_url(url: str | None = None) -> str:
    """The URL reads go through: the reader login on PostgreSQL (WAREHOUSE_READ_URL), the file on DuckDB."""
    from warehouse.readonly import reader_url

    return reader_url(resolve_url(url))


def read_sql(
    sql: str,
    params: dict | None = None,
    *,
    url: str | None = None,
    timeout_seconds: float | None = None,
    max_rows: int | None = None,
):
    """Run one read-only query (see warehouse.readonly) and return a DataFrame; retries while a writer
    holds the lock. With `max_rows`, the frame's `attrs["truncated"]` says whether rows were left out."""
    from warehouse.readonly import check_read_only, run_read

    engine = make_engine(url, read_only=True)
    check_read_only(sql, engine.dialect.name)
    try:
        for attempt in retry_on_lock():
            with attempt, connect(engine) as conn:
                result = run_read(conn, sql, params, timeout_seconds=timeout_seconds, max_rows=max_rows)
                result.frame.attrs["truncated"] = result.truncated
                return result.frame
    finally:
        engine.dispose()


def migrate(url: str | None = None) -> None:
    """Bring the warehouse schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", resolve_url(url).replace("%", "%%"))  # configparser escaping
    cfg.attributes["configure_logger"] = False
    for attempt in retry_on_lock():
        with attempt:
            command.upgrade(cfg, "head")
    sync_comments(url)
    if dialect_of(resolve_url(url)) == "postgresql":
        ensure_reader(url)


def sync_comments(url: str | None = None) -> list[str]:
    """Write the data dictionary into the warehouse's catalogue where a stored comment differs from it
    (a table a later revision added, a view it created again: DuckDB drops a view's comments then);
    returns the statements run, none when every comment is current."""
    from warehouse.dictionary import apply_comments

    engine = make_engine(url)
    try:
        with begin(engine) as conn:
            # Two migrations at once: one writes, then one checks.
            adapter_for(conn).xact_lock(conn, "decai comments")
            return apply_comments(conn)
    finally:
        engine.dispose()


def ensure_reader(url: str | None = None) -> list[str]:
    """Create or update the PostgreSQL reader login of the warehouse at `url` (see warehouse.readonly);
    returns what the migrating login lacked the privileges to do. Retried when another warehouse in the
    same cluster changes the (cluster-wide) role at the same moment."""
    from warehouse.readonly import ensure_reader_role

    settings = get_settings()
    role = sa.engine.make_url(read_url(url)).username or settings.reader_role
    password = sa.engine.make_url(read_url(url)).password
    engine = make_engine(url)
    try:
        for attempt in Retrying(
            retry=retry_if_exception(lambda exc: "concurrently" in str(exc)),
            wait=wait_exponential_jitter(initial=0.05, max=1.0),
            stop=stop_after_delay(30),
            reraise=True,
        ):
            with attempt, engine.begin() as conn:
                return ensure_reader_role(conn, role, password)
    finally:
        engine.dispose()
