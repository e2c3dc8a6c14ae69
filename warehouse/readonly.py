"""The read path (dashboard, `decai sql`): one statement, of a read kind, through a login that cannot write.

Three barriers, each enough on its own for the common attacks:

1. `check_read_only` parses the text with the engine's own grammar (DuckDB's parser, PostgreSQL's
   through pglast) and accepts exactly one SELECT, WITH … SELECT, EXPLAIN without ANALYZE, DESCRIBE,
   SHOW or SUMMARIZE. A refusal says in one sentence why. Comments, string literals, dollar quotes and
   `E''` strings are the parser's business, so `SELECT '--'; DELETE …` is two statements, as it is to
   the server.
2. The connection: DuckDB opens the file read-only with external access off and its configuration
   locked; PostgreSQL logs in as the reader role (`WAREHOUSE_READ_URL`, created by `decai migrate`)
   which may only SELECT the warehouse, runs each query through the extended protocol (the server
   refuses two statements in one), inside a READ ONLY transaction that is rolled back, and a pooled
   connection gets `DISCARD ALL` before reuse.
3. `reader_privilege_problems`: a PostgreSQL session that could still write or touch server files
   (a superuser, a member of pg_read_server_files …, a login with INSERT on `events`) is refused
   before it serves a single read.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)

READ_KINDS = "SELECT, WITH … SELECT, EXPLAIN (without ANALYZE), DESCRIBE, SHOW and SUMMARIZE"
#: `decai sql` defaults: a statement runs at most this long and returns at most this many rows.
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_ROWS = 10_000
#: PostgreSQL roles whose members read or write server files or run programs.
SERVER_FILE_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")
#: PostgreSQL functions that read the server's files or move data between files and large objects.
SERVER_FILE_FUNCTIONS = (
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_logicalmapdir",
    "pg_ls_replslotdir",
    "loread",
    "lowrite",
)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ReadOnlyViolation(ValueError):
    """A query the read path refuses; the message is one sentence saying why."""


class ReaderPrivilegeError(RuntimeError):
    """The read connection's login could write or reach server files: no read is served through it."""


# --- 1. one statement, of a read kind ----------------------------------------------------------------


def check_read_only(sql: str, dialect: str | None = None) -> str:
    """`sql` without its trailing `;` if it is exactly one reading statement; else ReadOnlyViolation.

    `dialect` is `duckdb` or `postgresql`; without one (a query written for both engines, as the
    dashboard's are) every grammar that can parse the text must find one read in it.

    The verdict depends on the text and the dialect alone, so an accepted text is remembered
    (`_accepted`): the dashboard sends the same few texts with new parameters on every request, and
    parsing each again cost more than most of its queries. A refused text is parsed every time.
    """
    if not isinstance(sql, str) or not sql.strip():
        raise ReadOnlyViolation("the query is empty: give one SELECT (or WITH, EXPLAIN, DESCRIBE, SHOW).")
    return _accepted(sql, dialect)


@functools.lru_cache(maxsize=512)
def _accepted(sql: str, dialect: str | None) -> str:
    """`check_read_only`'s work; lru_cache keeps only returns, so a text that raised is never remembered."""
    text = _numbered_parameters(sql)
    if dialect == "duckdb":
        _check_duckdb(text)
    elif dialect == "postgresql":
        _check_postgres(text)
    elif dialect is None:
        parsed = 0
        for check in (_check_duckdb, _check_postgres):
            try:
                check(text)
                parsed += 1
            except _Unparsable:
                continue
        if not parsed:
            _check_postgres(text)
    else:
        raise ReadOnlyViolation(f"no statement check for the engine {dialect!r}.")
    return sql.strip().rstrip(";").rstrip()


class _Unparsable(ReadOnlyViolation):
    pass


def _numbered_parameters(sql: str) -> str:
    """The text as the engine receives it: SQLAlchemy's `:name` parameters become `$1`, `$2`, … (which
    both grammars read), exactly where SQLAlchemy itself finds them; `::` casts stay."""
    if not re.search(r"(?<![:\w]):[A-Za-z_]", sql):
        return sql
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    return str(sa.text(sql).compile(dialect=PGDialect_asyncpg()))


def _one(statements: list, kinds: list[str]) -> None:
    if not statements:
        raise ReadOnlyViolation("the query holds no statement (only comments or `;`).")
    if len(statements) > 1:
        raise ReadOnlyViolation(
            f"one statement at a time: the query holds {len(statements)} ({', '.join(kinds)})."
        )


def _not_a_read(kind: str) -> ReadOnlyViolation:
    return ReadOnlyViolation(
        f"{kind} is not a read: the read path runs only {READ_KINDS}; the warehouse changes only through the pipeline."
    )


_DUCKDB_READ_NODES = {"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"}


def _duckdb_statements(sql: str) -> list:
    import duckdb

    try:
        return duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise _Unparsable(f"DuckDB cannot parse the query: {str(exc).splitlines()[0]}.") from None


def _check_duckdb(sql: str) -> None:
    import duckdb

    statements = _duckdb_statements(sql)
    _one(statements, [s.type.name for s in statements])
    statement = statements[0]
    kind = statement.type
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _duckdb_explained(statement.query)
        _check_duckdb(inner)
        return
    if kind != duckdb.StatementType.SELECT:
        raise _not_a_read(_duckdb_kind_name(statement))
    # A SELECT may still hold a writing CTE (`WITH x AS (DELETE … RETURNING *) SELECT …`): walk the tree.
    tree = json.loads(_serialized_sql(statement.query))
    if tree.get("error"):
        raise ReadOnlyViolation(
            f"DuckDB cannot check this SELECT: {tree.get('error_message', 'unknown form')}."
        )
    nodes = {value for key, value in _walk(tree) if key == "type" and str(value).endswith("_NODE")}
    writes = sorted(n for n in nodes if n not in _DUCKDB_READ_NODES)
    if writes:
        kind = writes[0].removesuffix("_NODE").removesuffix("_QUERY").replace("_", " ")
        raise _not_a_read(f"a WITH holding {kind} (a writing CTE)")


#: One in-memory DuckDB per process (pid, connection): opening one costs about 100 ms of CPU, more
#: than the check itself; a forked child opens its own.
_SCRATCH: dict = {}
_SCRATCH_LOCK = threading.Lock()


def _serialized_sql(query: str) -> str:
    """DuckDB's parse tree of one statement as JSON (`json_serialize_sql`, which parses and never
    runs the statement), on an empty in-memory database without file or network access."""
    import duckdb

    with _SCRATCH_LOCK:
        if _SCRATCH.get("pid") != os.getpid():
            _SCRATCH.update(
                pid=os.getpid(),
                conn=duckdb.connect(":memory:", config={"enable_external_access": False}),
            )
        return _SCRATCH["conn"].execute("SELECT json_serialize_sql(?::VARCHAR)", [query]).fetchone()[0]


def _duckdb_kind_name(statement) -> str:
    import duckdb

    words = [pos for pos, kind in duckdb.tokenize(statement.query) if kind != duckdb.token_type.comment]
    first = statement.query[words[0] :].split(None, 1)[0].upper().rstrip(";") if words else ""
    kind = statement.type.name.replace("_", " ")
    return f"`{first}`" if first == kind or not first else f"`{first}` ({kind})"


def _duckdb_explained(query: str) -> str:
    """The statement an EXPLAIN explains; ReadOnlyViolation for EXPLAIN ANALYZE (it runs the statement)."""
    import duckdb

    tokens = [(pos, kind) for pos, kind in duckdb.tokenize(query) if kind != duckdb.token_type.comment]
    words = []
    for i, (pos, kind) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(query)
        words.append((pos, kind, query[pos:end].strip()))
    if any(
        kind == duckdb.token_type.keyword and text.upper() in ("ANALYZE", "ANALYSE")
        for _, kind, text in words
    ):
        raise ReadOnlyViolation(
            "EXPLAIN ANALYZE runs the statement it explains; use EXPLAIN without ANALYZE."
        )
    rest = words[1:]  # after EXPLAIN
    if rest and rest[0][2].startswith("("):
        depth = 0
        for index, (_, _, text) in enumerate(rest):
            depth += text.count("(") - text.count(")")
            if depth <= 0:
                rest = rest[index + 1 :]
                break
    if not rest:
        raise ReadOnlyViolation("EXPLAIN needs a statement to explain.")
    return query[rest[0][0] :]


def _walk(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


_PG_WRITES = {
    "InsertStmt": "a WITH holding INSERT (a writing CTE)",
    "UpdateStmt": "a WITH holding UPDATE (a writing CTE)",
    "DeleteStmt": "a WITH holding DELETE (a writing CTE)",
    "MergeStmt": "a WITH holding MERGE (a writing CTE)",
    "intoClause": "SELECT … INTO (it creates a table)",
    "lockingClause": "SELECT … FOR UPDATE/SHARE (it locks rows)",
}
_PG_KIND_NAMES = {"CheckPointStmt": "CHECKPOINT", "TransactionStmt": "transaction control", "DoStmt": "DO"}


def _pg_kind_name(node_type: str) -> str:
    if node_type in _PG_KIND_NAMES:
        return f"`{_PG_KIND_NAMES[node_type]}`"
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", node_type.removesuffix("Stmt")).upper()
    return f"`{words}`"


def _check_postgres(sql: str) -> None:
    from pglast import parser

    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except parser.ParseError as exc:
        raise _Unparsable(f"PostgreSQL cannot parse the query: {exc}.") from None
    statements = [item["stmt"] for item in tree.get("stmts", []) if item.get("stmt")]
    _one(statements, [_pg_kind_name(next(iter(s))) for s in statements])
    node_type, node = next(iter(statements[0].items()))
    if node_type == "ExplainStmt":
        for option in node.get("options", []):
            if option.get("DefElem", {}).get("defname") in ("analyze", "analyse"):
                raise ReadOnlyViolation(
                    "EXPLAIN ANALYZE runs the statement it explains; use EXPLAIN without ANALYZE."
                )
        node_type, node = next(iter(node["query"].items()))
    if node_type not in ("SelectStmt", "VariableShowStmt"):
        raise _not_a_read(_pg_kind_name(node_type))
    for key, _ in _walk(node):
        if key in _PG_WRITES:
            raise _not_a_read(_PG_WRITES[key])


# --- 2. the reader login on PostgreSQL ---------------------------------------------------------------


def reader_url(url: str) -> str:
    """The URL reads go through for the warehouse at `url`.

    DuckDB: the same file (opened read-only). PostgreSQL: `WAREHOUSE_READ_URL` when `url` is the
    configured WAREHOUSE_URL and it is set; else `url` with the reader login (`DECAI_READER_ROLE`,
    default `decai_reader`, password `DECAI_READER_PASSWORD` if any) in place of its user: same host,
    database and options (a search_path, say).
    """
    from etl.settings import get_settings

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    settings = get_settings()
    if settings.warehouse_read_url and _same_warehouse(url, settings.warehouse_url):
        return settings.warehouse_read_url
    if parsed.username == settings.reader_role:
        return url
    return parsed.set(username=settings.reader_role, password=settings.reader_password).render_as_string(
        hide_password=False
    )


def _same_warehouse(a: str, b: str) -> bool:
    try:
        ua, ub = sa.engine.make_url(a), sa.engine.make_url(b)
    except sa.exc.ArgumentError:
        return False
    return (ua.host, ua.port, ua.database, dict(ua.query)) == (ub.host, ub.port, ub.database, dict(ub.query))


def reader_privilege_problems(dbapi_connection) -> list[str]:
    """What the session's login may do beyond reading the warehouse (empty when it is a plain reader)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(
            """
            SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolbypassrls,
                   ARRAY(SELECT g FROM unnest(%(roles)s::text[]) AS g
                         WHERE pg_has_role(session_user, g, 'MEMBER')),
                   CASE WHEN to_regclass('events') IS NULL THEN NULL
                        ELSE has_table_privilege(session_user, to_regclass('events'), 'INSERT, UPDATE, DELETE, TRUNCATE')
                   END,
                   has_schema_privilege(session_user, current_schema(), 'CREATE')
            FROM pg_roles r WHERE r.rolname = session_user
            """,
            {"roles": list(SERVER_FILE_ROLES) + ["pg_write_all_data"]},
            prepare=True,
        )
        name, superuser, createrole, bypassrls, memberships, writes_events, creates = cursor.fetchone()
    finally:
        cursor.close()
        dbapi_connection.rollback()
    problems = []
    if superuser:
        return [f"`{name}` is a superuser"]
    if createrole:
        problems.append(f"`{name}` may create roles")
    if bypassrls:
        problems.append(f"`{name}` bypasses row-level security")
    problems += [f"`{name}` is a member of {role}" for role in memberships]
    if writes_events:
        problems.append(f"`{name}` may write the `events` table")
    if creates:
        problems.append(f"`{name}` may create objects in the warehouse schema")
    return problems


def guard_read_engine(engine: sa.Engine) -> sa.Engine:
    """Make a PostgreSQL read engine refuse privileged logins, use the extended protocol for every
    statement, run READ ONLY transactions and discard session state before a pooled connection is reused."""

    @event.listens_for(engine, "connect")
    def _refuse_privileged(dbapi_connection, _record):
        problems = reader_privilege_problems(dbapi_connection)
        if problems:
            dbapi_connection.close()
            raise ReaderPrivilegeError(
                "refusing to serve reads: "
                + "; ".join(problems)
                + ". Point WAREHOUSE_READ_URL at the reader "
                "login that `decai migrate` creates (DECAI_READER_ROLE, default decai_reader), never at the "
                "warehouse owner or a superuser."
            )

    @event.listens_for(engine, "begin")
    def _read_only_transaction(conn):
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    @event.listens_for(engine.dialect, "do_execute")
    def _extended_protocol(cursor, statement, parameters, _context):
        # prepare=True: Parse/Bind/Execute, and the server refuses a string holding two statements.
        cursor.execute(statement, parameters, prepare=True)
        return True

    @event.listens_for(engine.dialect, "do_execute_no_params")
    def _extended_protocol_no_params(cursor, statement, _context):
        cursor.execute(statement, prepare=True)
        return True

    @event.listens_for(engine, "checkin")
    def _discard_all(dbapi_connection, record):
        if dbapi_connection is None or getattr(dbapi_connection, "closed", True):
            return
        try:
            dbapi_connection.rollback()
            dbapi_connection.autocommit = True
            dbapi_connection.execute("DISCARD ALL")
            dbapi_connection.autocommit = False
        except Exception as exc:  # noqa: BLE001 - a connection that cannot be reset is not reused
            log.info("read connection not reusable (%s); closing it", type(exc).__name__)
            record.invalidate(exc)

    return engine


@dataclass
class ReadResult:
    frame: object  # pandas.DataFrame
    truncated: bool


def run_read(
    conn: sa.Connection,
    sql: str,
    params: dict | None = None,
    *,
    timeout_seconds: float | None = DEFAULT_TIMEOUT_SECONDS,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> ReadResult:
    """Check and run one read on a read connection: at most `timeout_seconds`, at most `max_rows` rows
    (`truncated` says whether more were there); the transaction is rolled back afterwards."""
    import pandas as pd

    dialect = conn.dialect.name
    sql = check_read_only(sql, dialect)
    timer = None
    try:
        if dialect == "postgresql":
            # For this transaction only; 0 (no limit) when the caller asks for none.
            conn.execute(
                sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                {"ms": str(max(1, int(timeout_seconds * 1000))) if timeout_seconds else "0"},
            )
        elif dialect == "duckdb" and timeout_seconds:
            timer = threading.Timer(timeout_seconds, conn.connection.driver_connection.interrupt)
            timer.daemon = True
            timer.start()
        result = conn.execute(sa.text(sql), params or {})
        columns = list(result.keys())
        rows = result.fetchmany(max_rows + 1) if max_rows is not None else result.fetchall()
        truncated = max_rows is not None and len(rows) > max_rows
        result.close()
        return ReadResult(pd.DataFrame([tuple(r) for r in rows[:max_rows]], columns=columns), truncated)
    except sa.exc.DBAPIError as exc:
        if "interrupt" in str(exc).lower() or "statement timeout" in str(exc).lower():
            raise TimeoutError(
                f"the query ran longer than {timeout_seconds:g} s and was cancelled."
            ) from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
        conn.rollback()


# --- the reader role, kept by `decai migrate` ----------------------------------------------------------


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of `password` (RFC 5802/7677), so the password itself never
    travels to the server or its statement log."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def ensure_reader_role(conn: sa.Connection, role: str, password: str | None) -> list[str]:
    """Create or update the reader login `role` so that it may SELECT the warehouse schema (tables,
    views and future ones) and nothing more; revoke the server-file functions from PUBLIC.

    Idempotent, and serialised by an advisory lock because the role is cluster-wide while several
    warehouses (schemas) may migrate at once. Returns what could not be done (too few privileges)."""
    if not _ROLE_NAME.match(role):
        raise ValueError(f"reader role {role!r}: use lower-case letters, digits and `_` (at most 63).")
    me, superuser, schema, database = conn.execute(
        sa.text(
            "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
            "current_schema(), current_database()"
        )
    ).one()
    if role == me:
        raise ValueError(
            f"the reader login `{role}` is the login that owns the warehouse; WAREHOUSE_READ_URL must name "
            "another user (default decai_reader)."
        )
    if schema is None:
        raise ValueError("the warehouse URL's search_path names no existing schema.")
    quote = conn.dialect.identifier_preparer.quote
    r, s, d = quote(role), quote(schema), quote(database)
    skipped: list[str] = []

    def run(statement: str, what: str | None = None) -> None:
        if what is None:
            conn.exec_driver_sql(statement)
            return
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            skipped.append(f"{what} ({str(exc.orig).splitlines()[0]})")

    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('decai read path roles'))"))
    role_query = sa.text(
        "SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR NOT rolcanlogin, "
        "'default_transaction_read_only=on' = ANY(COALESCE(rolconfig, '{}')) FROM pg_roles WHERE rolname = :role"
    )
    current = conn.execute(role_query, {"role": role}).first()
    if current is None:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(f"CREATE ROLE {r} LOGIN")
        except sa.exc.DBAPIError as exc:
            raise PermissionError(
                f"cannot create the reader login `{role}` ({str(exc.orig).splitlines()[0]}): run `decai migrate` "
                f"once as a PostgreSQL administrator, or have one run `CREATE ROLE {role} LOGIN`."
            ) from None
        current = conn.execute(role_query, {"role": role}).first()
    too_much, read_only_default = current
    if too_much:
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
        run(f"ALTER ROLE {r} {attributes}", "take the reader's extra attributes")
    if password:
        verifier = scram_verifier(password).replace("'", "''")
        run(f"ALTER ROLE {r} PASSWORD '{verifier}'", "set the reader's password")
    if not read_only_default:
        run(
            f"ALTER ROLE {r} SET default_transaction_read_only = on",
            "make the reader's transactions read-only",
        )
    for (granted,) in conn.execute(
        sa.text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :role"
        ),
        {"role": role},
    ):
        run(f"REVOKE {quote(granted)} FROM {r}", f"take {granted} from the reader")
    run(f"REVOKE ALL ON DATABASE {d} FROM {r}", "revoke the reader's database privileges")
    run(f"GRANT CONNECT ON DATABASE {d} TO {r}", "let the reader connect")
    # TEMP comes to every login through PUBLIC: take it from PUBLIC and give it back to the owner.
    run(f"REVOKE TEMPORARY ON DATABASE {d} FROM PUBLIC", "revoke TEMP on the database from PUBLIC")
    if not superuser:
        run(f"GRANT TEMPORARY ON DATABASE {d} TO {quote(me)}", "keep TEMP for the warehouse owner")
    run(f"REVOKE ALL ON SCHEMA {s} FROM {r}")
    run(f"GRANT USAGE ON SCHEMA {s} TO {r}")
    run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}")
    run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}")
    run(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}")
    run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}")
    functions = conn.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'pg_catalog' AND (p.proname LIKE 'lo\\_%' OR p.proname = ANY(:names)) "
            "AND has_function_privilege('public', p.oid, 'EXECUTE')"
        ),
        {"names": list(SERVER_FILE_FUNCTIONS)},
    ).scalars()
    for signature in functions:
        run(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC", f"revoke {signature} from PUBLIC")
    for note in skipped:
        log.warning("read path: could not %s", note)
    return skipped
