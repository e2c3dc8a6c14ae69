"""Engines for the warehouse, one URL for every engine.

DuckDB lets one process write and locks every other process out meanwhile. Writers therefore keep
transactions short, readers open read-only and let go of the file once idle or when a writer waits
for it (`_ReaderPool`), and both retry while the file is locked, so a dashboard user never sees a
lock error while a DAG writes.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, Pool
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from etl.settings import PROJECT_ROOT, get_settings, mask_url_secrets, redact_url
from warehouse.engines import adapter_for

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 120.0
#: A read-only DuckDB engine keeps the file open this long after its last connection is returned
#: (`_ReaderPool`); 0 opens it for every connection.
READER_IDLE_SECONDS = 1.0
#: Readers give the file up while a writer refused by the lock said so this recently (`writer_waiting`).
WRITER_WAIT_SECONDS = 5.0
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
        # Writers: NullPool, each use opens and closes the file. Readers: the file stays open while
        # they are busy and a moment after (`_ReaderPool`), so no idle process holds DuckDB's lock.
        # DuckDB raises on a rollback with no open transaction, so skip the reset-on-return.
        engine = sa.create_engine(
            url,
            poolclass=_ReaderPool if read_only else NullPool,
            pool_reset_on_return=None,
            connect_args=connect_args,
        )
        if read_only:
            engine.pool.keep_open(path, READER_IDLE_SECONDS)
        elif path and path != ":memory:":
            event.listen(engine, "do_connect", lambda *_: release_readers(path))
        return engine
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


class _ReaderPool(Pool):
    """The pool of a read-only DuckDB engine: a returned connection is kept (up to `KEEP`) and handed
    out again, and the kept ones are closed once none has been returned for `idle_seconds`.

    Opening a DuckDB file starts a database (its catalogue, its threads, an empty cache) and closing
    it stops one again: about 50 ms each way, more than most dashboard queries. While a connection is
    kept the database stays up, so the next session takes it as it is and finds DuckDB's cache warm. It
    also holds DuckDB's file lock, which keeps writers out; so a reader lets go of the file when it has
    been idle for `idle_seconds`, when a writer of the same process connects (`release_readers`),
    and while a writer of another process is waiting for the lock (`writer_waiting`): then nothing
    is kept, and a new connection waits until the writer is in (`_give_way`).
    A forked child never uses its parent's connections; at exit they are closed before the
    interpreter winds down (a DuckDB database closed during its finalisation aborts the process).
    """

    KEEP = 4

    def __init__(self, creator, **kw):
        super().__init__(creator, **kw)
        self._path: str | None = None
        self._idle_seconds = 0.0
        self._lock = threading.Lock()
        self._kept: list = []
        self._returned_at = 0.0
        self._timer: threading.Timer | None = None

    def keep_open(self, path: str | None, idle_seconds: float) -> None:
        """Keep connections to the file at `path` for `idle_seconds` after use (0: never)."""
        self._path, self._idle_seconds = path, idle_seconds
        if path and path != ":memory:":
            _READER_POOLS.add(self)

    def status(self) -> str:
        return f"_ReaderPool kept: {len(self._kept)}"

    def _forked(self) -> None:
        """In a forked child: the parent's connections, lock and timer are not this process's. Its
        connections are left alone, never closed here (closing them would act on the parent's database)."""
        _INHERITED.extend(self._kept)
        self._lock = threading.Lock()
        self._kept, self._timer = [], None

    def _take_kept(self) -> list:
        """The kept connections, removed from the pool (the caller closes them), under the lock."""
        kept, self._kept = self._kept, []
        return kept

    def _do_get(self):
        with self._lock:
            waiting = writer_waiting(self._path)
            if self._kept and not waiting:
                return self._kept.pop()
            stale = self._take_kept() if waiting else []
        for record in stale:
            record.close()
        if waiting:
            _give_way(self._path)
        return self._create_connection()

    def _do_return_conn(self, record) -> None:
        with self._lock:
            keep = self._idle_seconds > 0 and len(self._kept) < self.KEEP and not writer_waiting(self._path)
            if keep:
                self._kept.append(record)
                self._returned_at = time.monotonic()
                if self._timer is None:
                    self._arm(self._idle_seconds)
                return
        record.close()

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self._timer = None
            left = self._returned_at + self._idle_seconds - time.monotonic()
            if self._kept and left > 0:
                self._arm(left)
                return
            idle = self._take_kept()
        for record in idle:
            record.close()

    def release(self) -> None:
        """Close the kept connections now (connections in use close when returned, as usual)."""
        with self._lock:
            idle = self._take_kept()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        for record in idle:
            record.close()

    def dispose(self) -> None:
        self.release()

    def recreate(self) -> _ReaderPool:
        self.logger.info("Pool recreating")
        pool = self.__class__(
            self._creator,
            recycle=self._recycle,
            echo=self.echo,
            logging_name=self._orig_logging_name,
            reset_on_return=self._reset_on_return,
            pre_ping=self._pre_ping,
            _dispatch=self.dispatch,
            dialect=self._dialect,
        )
        pool.keep_open(self._path, self._idle_seconds)
        return pool


#: Every reader pool that may keep a DuckDB file open (weakly: an engine dropped takes its pool along).
_READER_POOLS: weakref.WeakSet[_ReaderPool] = weakref.WeakSet()
#: A forked child's copies of its parent's kept connections, held so they are never closed.
_INHERITED: list = []


def _release_all_readers() -> None:
    for pool in list(_READER_POOLS):
        pool.release()


def _forget_parent_readers() -> None:
    for pool in list(_READER_POOLS):
        pool._forked()


atexit.register(_release_all_readers)
os.register_at_fork(after_in_child=_forget_parent_readers)


def release_readers(path: str) -> None:
    """Close the connections this process's read-only engines keep to the DuckDB file at `path`:
    DuckDB opens a file once per process, read-only or not, so a writer of this process needs them
    closed (a connection in use still closes when returned)."""
    for pool in list(_READER_POOLS):
        if pool._path == path:
            pool.release()


def _writer_marker(path: str) -> Path:
    return Path(path + ".writer-waiting")


def writer_waiting(path: str | None) -> bool:
    """Whether a writer of another process was refused DuckDB's lock on the file at `path` within the
    last `WRITER_WAIT_SECONDS` (it touches `<file>.writer-waiting` on each refusal, and removes the
    file once it is in)."""
    if not path or path == ":memory:":
        return False
    try:
        return time.time() - _writer_marker(path).stat().st_mtime < WRITER_WAIT_SECONDS
    except OSError:
        return False


def _give_way(path: str) -> None:
    """Wait while a writer of another process waits for the file at `path` (at most
    `WRITER_WAIT_SECONDS`): the readers have let go of it, and the writer gets in at its next try
    instead of at a moment between two reads."""
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    while writer_waiting(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def _duckdb_writer_path(engine: Engine) -> str | None:
    """The file of a DuckDB engine that writes (None for a reader, PostgreSQL or memory)."""
    if engine.dialect.name != "duckdb" or isinstance(engine.pool, _ReaderPool):
        return None
    path = engine.url.database
    return path if path and path != ":memory:" else None


def _is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def retry_on_lock(max_wait: float = LOCK_WAIT_SECONDS, writer_of: str | None = None) -> Retrying:
    """Retry while DuckDB's file lock is taken; a writer (`writer_of`: its file) says it is waiting,
    so the readers of other processes let go of the file (`writer_waiting`)."""

    def waiting(_state) -> None:
        if writer_of:
            with contextlib.suppress(OSError):
                _writer_marker(writer_of).touch()

    return Retrying(
        retry=retry_if_exception(_is_lock_conflict),
        wait=wait_exponential_jitter(initial=0.05, max=2.0),
        stop=stop_after_delay(max_wait),
        before_sleep=waiting,
        reraise=True,
    )


def _open(engine: Engine) -> Connection:
    """A connection of `engine`, once DuckDB's file lock lets it in."""
    writer_of = _duckdb_writer_path(engine)
    waited = False
    for attempt in retry_on_lock(writer_of=writer_of):
        with attempt:
            waited = attempt.retry_state.attempt_number > 1
            conn = engine.connect()
    if waited and writer_of:
        with contextlib.suppress(OSError):
            _writer_marker(writer_of).unlink()
    return conn


@contextlib.contextmanager
def begin(engine: Engine) -> Iterator[Connection]:
    """A write transaction that waits for DuckDB's file lock instead of failing on it."""
    conn = _open(engine)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection that waits for DuckDB's file lock instead of failing on it."""
    conn = _open(engine)
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
