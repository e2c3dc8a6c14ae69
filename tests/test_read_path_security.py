"""The read path under attack: `decai sql` (and the dashboard's engine) on DuckDB and on PostgreSQL, where
WAREHOUSE_URL names the superuser `postgres`. Every hostile statement is refused, the warehouse stays
byte for byte the same, no file appears and no server file is read; ordinary reads still answer."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from etl.cli import app as cli
from warehouse import db
from warehouse.readonly import ReaderPrivilegeError, ReadOnlyViolation, check_read_only

runner = CliRunner()
README = Path(__file__).resolve().parent.parent / "README.md"
#: A marker row the attacks try to delete or change (written by the owner before the attack).
MARKER = ("attack-test", "stream-1", 4242, "00000000-0000-0000-0000-000000000001")


def _seed(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ingest_checkpoints (source, stream, position, batch_id, updated_at) "
                "VALUES (:s, :t, :p, :b, :u)"
            ),
            {"s": MARKER[0], "t": MARKER[1], "p": MARKER[2], "b": MARKER[3], "u": datetime(2026, 1, 1)},
        )
    engine.dispose()


def _checksum(url: str) -> tuple:
    """Every table and view of the warehouse with its row count, and the marker row: what an attack
    that wrote, dropped or created anything would change."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        names = sorted(
            conn.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                )
            ).scalars()
        )
        counts = tuple((n, conn.execute(sa.text(f'SELECT COUNT(*) FROM "{n}"')).scalar()) for n in names)
        marker = conn.execute(
            sa.text("SELECT source, stream, position, batch_id FROM ingest_checkpoints ORDER BY source")
        ).all()
        temp = ()
        if conn.dialect.name == "postgresql":
            temp = tuple(
                conn.execute(sa.text("SELECT relname FROM pg_class WHERE relpersistence = 't'")).scalars()
            )
    engine.dispose()
    return counts, tuple(tuple(r) for r in marker), temp


def _attacks(tmp: Path) -> list[str]:
    """Hostile statements; `{tmp}` paths would exist afterwards if a write got through."""
    t = str(tmp)
    return [
        # comment and string tricks that hide a second statement from a regex
        "SELECT '--' AS a; DELETE FROM ingest_checkpoints",
        "SELECT '--' AS a; COMMIT; BEGIN READ WRITE; DELETE FROM ingest_checkpoints; COMMIT; SELECT 1",
        f"SELECT '--' AS a; COPY (SELECT 1) TO PROGRAM 'touch {t}/program_ran'; SELECT 1",
        "SELECT 1 /* ; */ ; DELETE FROM ingest_checkpoints",
        "SELECT 1 /* nested /* comment */ still a comment */ ; DELETE FROM ingest_checkpoints",
        "SELECT $$;$$; DELETE FROM ingest_checkpoints",
        "SELECT $tag$ ' $tag$; DELETE FROM ingest_checkpoints",
        "SELECT E'\\'' AS a; DELETE FROM ingest_checkpoints",
        "SELECT E'\\\\' AS a; DELETE FROM ingest_checkpoints; --'",
        "SELECT 'it''s'; DROP TABLE events",
        'SELECT "a;b" FROM (SELECT 1 AS "a;b") q; DELETE FROM ingest_checkpoints',
        "SELECT 1; SELECT 2",
        # plain writes and schema changes
        "DELETE FROM ingest_checkpoints",
        "UPDATE ingest_checkpoints SET position = 0",
        "INSERT INTO ingest_checkpoints SELECT * FROM ingest_checkpoints",
        "TRUNCATE ingest_checkpoints",
        "DROP TABLE events",
        "ALTER TABLE events ADD COLUMN pwned INTEGER",
        "CREATE TEMP TABLE pwned AS SELECT 1 AS x",
        "CREATE TABLE pwned (x INTEGER)",
        "SELECT * INTO pwned FROM ingest_checkpoints",
        "GRANT ALL ON events TO PUBLIC",
        "PREPARE p AS DELETE FROM ingest_checkpoints",
        "DO $$ BEGIN DELETE FROM ingest_checkpoints; END $$",
        # writable CTEs, EXPLAIN ANALYZE of a write, row locks
        "WITH d AS (DELETE FROM ingest_checkpoints RETURNING *) SELECT * FROM d",
        "WITH u AS (UPDATE ingest_checkpoints SET position = 0 RETURNING *) SELECT COUNT(*) FROM u",
        "WITH i AS (INSERT INTO ingest_checkpoints SELECT * FROM ingest_checkpoints RETURNING *) SELECT 1",
        "EXPLAIN ANALYZE DELETE FROM ingest_checkpoints",
        "EXPLAIN (ANALYZE) DELETE FROM ingest_checkpoints",
        "EXPLAIN ANALYZE SELECT 1",
        "SELECT * FROM ingest_checkpoints FOR UPDATE",
        # transaction control
        "BEGIN",
        "COMMIT",
        "BEGIN READ WRITE",
        "SET TRANSACTION READ WRITE",
        # files, programs, extensions, settings
        f"COPY ingest_checkpoints TO '{t}/dump.csv'",
        f"COPY (SELECT 1) TO PROGRAM 'touch {t}/program_ran'",
        "COPY ingest_checkpoints FROM '/etc/passwd'",
        f"ATTACH '{t}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET search_path = pg_catalog",
        "SET enable_external_access = true",
        "RESET ALL",
        "PRAGMA database_list",
        f"EXPORT DATABASE '{t}/export'",
        "CHECKPOINT",
        "VACUUM",
        "CREATE EXTENSION IF NOT EXISTS dblink",
        # server files and programs through functions: refused by the database (privileges, no file access)
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT * FROM pg_ls_dir('/')",
        f"SELECT lo_export(lo_from_bytea(0, 'x'::bytea), '{t}/lo.bin')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT * FROM pg_authid",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        f"SELECT * FROM read_csv('{t}/../../etc/passwd')",
        "SELECT set_config('role', 'postgres', false)",
        "SELECT pg_reload_conf()",
    ]


#: Refused by the database itself (the parser sees a plain SELECT): privileges or no file access.
REFUSED_BY_DATABASE = ("pg_read_file", "pg_ls_dir", "lo_export", "lo_import", "pg_authid", "read_csv",
                       "read_text", "set_config", "pg_reload_conf")  # fmt: skip


def test_every_hostile_statement_is_refused_and_changes_nothing(warehouse_url, tmp_path, monkeypatch):
    attack_dir = tmp_path / "attack"
    attack_dir.mkdir()
    monkeypatch.chdir(attack_dir)  # a relative COPY target would land here
    _seed(warehouse_url)
    before = _checksum(warehouse_url)
    attacks = _attacks(attack_dir)
    assert len(attacks) >= 40
    not_refused, parser_refusals = [], 0
    for statement in attacks:
        result = runner.invoke(cli, ["sql", "-f", "csv", statement])
        output = result.output
        if result.exit_code != 2 or not ("refused:" in output or "query failed:" in output):
            not_refused.append((statement, result.exit_code, output[:300]))
            continue
        assert "root:" not in output, f"{statement!r} read /etc/passwd: {output}"
        if "refused:" in output:
            parser_refusals += 1
        else:
            assert any(f in statement for f in REFUSED_BY_DATABASE), (
                f"{statement!r} reached the database: {output}"
            )
    assert not not_refused, "not refused:\n" + "\n".join(map(repr, not_refused))
    assert parser_refusals >= len(attacks) - 10
    assert _checksum(warehouse_url) == before
    assert list(attack_dir.iterdir()) == []


def test_reads_still_answer_every_readme_query_and_every_view(warehouse_url):
    _seed(warehouse_url)
    text = README.read_text()
    block = (
        text.split("### Five questions analysts ask, in SQL", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    )
    readme_queries = [q.strip() for q in block.split(";") if q.strip()]
    readme_queries = [
        "\n".join(ln for ln in q.splitlines() if not ln.startswith("--")) for q in readme_queries
    ]
    assert len(readme_queries) == 5
    engine = db.make_engine(warehouse_url)
    with engine.connect() as conn:
        views = sorted(
            n
            for n in conn.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()"
                )
            ).scalars()
            if n.startswith("v_")
        )
    engine.dispose()
    assert len(views) >= 8
    ad_hoc = [
        "SELECT coin_id, hour, price_usd, market_cap_usd FROM market_caps WHERE hour = (SELECT MAX(hour) FROM market_caps)",
        "SELECT rule, COUNT(*) FROM quarantine GROUP BY rule",
        "SELECT event_type, payload->>'price_usd' AS price FROM events LIMIT 5",
        "SELECT source, stream, position FROM ingest_checkpoints",
        "WITH c AS (SELECT * FROM ingest_checkpoints) SELECT COUNT(*) AS n FROM c",
        "EXPLAIN SELECT * FROM events",
        "SELECT 'x; DELETE FROM events' AS harmless -- ; DROP TABLE events",
        # one string literal, whatever a regex would make of it: a read
        "SELECT E'\\'; DELETE FROM ingest_checkpoints; --' AS harmless",
    ]
    for query in readme_queries + [f"SELECT * FROM {v} LIMIT 3" for v in views] + ad_hoc:
        result = runner.invoke(cli, ["sql", "-f", "json", query])
        assert result.exit_code == 0, f"{query}: {result.output}"
    marker = runner.invoke(cli, ["sql", "-f", "json", "SELECT position FROM ingest_checkpoints"])
    assert json.loads(marker.stdout) == [{"position": 4242}]


def test_row_cap_and_timeout(warehouse_url):
    seven = "SELECT x FROM (VALUES (1), (2), (3), (4), (5), (6), (7)) AS t(x) ORDER BY x"
    capped = runner.invoke(cli, ["sql", "-f", "csv", "--max-rows", "5", seven])
    assert capped.exit_code == 0
    assert capped.stdout.splitlines() == ["x", "1", "2", "3", "4", "5"]
    assert "stopped at --max-rows 5" in capped.output
    whole = runner.invoke(cli, ["sql", "-f", "csv", "--max-rows", "7", seven])
    assert whole.stdout.splitlines()[-1] == "7" and "stopped" not in whole.output
    slow = (
        "SELECT pg_sleep(5)"
        if db.dialect_of(warehouse_url) == "postgresql"
        else "SELECT SUM(HASH(i)) FROM range(20000000000) AS t(i)"
    )
    started = time.monotonic()
    result = runner.invoke(cli, ["sql", "--timeout", "1", slow])
    assert result.exit_code == 2 and "longer than 1 s" in result.output, result.output
    assert time.monotonic() - started < 4.5


def test_parser_refusals_say_why_in_one_sentence():
    cases = {
        "SELECT '--' AS a; DELETE FROM t": "one statement at a time: the query holds 2",
        "SELECT * INTO t2 FROM t": "SELECT … INTO",
        "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d": "writing CTE",
        "EXPLAIN ANALYZE DELETE FROM t": "EXPLAIN ANALYZE runs the statement",
        "CHECKPOINT": "`CHECKPOINT`",
        "   -- only a comment": "no statement",
    }
    for sql, says in cases.items():
        for dialect in ("postgresql", "duckdb") if "INTO" not in sql else ("postgresql",):
            with pytest.raises(ReadOnlyViolation) as refused:
                check_read_only(sql, dialect)
            message = str(refused.value)
            assert says in message, (dialect, sql, message)
            assert message.count(". ") == 0 and message.endswith("."), message
    for sql in ("SHOW TABLES", "DESCRIBE events", "SUMMARIZE events", "FROM events", "EXPLAIN SELECT 1"):
        check_read_only(sql, "duckdb")
    for sql in ("SHOW search_path", "EXPLAIN (FORMAT JSON) SELECT 1", "TABLE events", "VALUES (1)"):
        check_read_only(sql, "postgresql")


def test_duckdb_read_connection_is_read_only_without_external_access(duckdb_url):
    engine = db.make_engine(duckdb_url, read_only=True)
    with engine.connect() as conn:
        settings = dict(
            conn.execute(
                sa.text(
                    "SELECT name, value FROM duckdb_settings() "
                    "WHERE name IN ('enable_external_access', 'lock_configuration', 'access_mode')"
                )
            ).all()
        )
        with pytest.raises(sa.exc.DBAPIError):
            conn.exec_driver_sql("DELETE FROM ingest_checkpoints")
    engine.dispose()
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "access_mode": "read_only",
    }


@pytest.fixture()
def postgres_url(tmp_path, monkeypatch):
    from tests.conftest import fresh_warehouse

    with fresh_warehouse("postgresql", tmp_path) as url:
        monkeypatch.setenv("WAREHOUSE_URL", url)
        yield url


def test_reader_role_may_select_the_warehouse_and_nothing_more(postgres_url):
    admin = db.make_engine(postgres_url)
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        role = conn.execute(
            sa.text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls, "
                "ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "      WHERE m.member = r.oid) "
                "FROM pg_roles r WHERE rolname = 'decai_reader'"
            )
        ).one()
        assert tuple(role) == (False, False, False, True, False, [])
        tables = conn.execute(
            sa.text(
                "SELECT c.relname, has_table_privilege('decai_reader', c.oid, 'SELECT'), "
                "has_table_privilege('decai_reader', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
                "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'p')"
            )
        ).all()
        assert len(tables) > 20
        assert [t for t in tables if not t[1] or t[2]] == []
        assert conn.execute(
            sa.text(
                "SELECT has_database_privilege('decai_reader', current_database(), 'TEMP'), "
                "has_schema_privilege('decai_reader', current_schema(), 'CREATE'), "
                "has_function_privilege('decai_reader', 'lo_export(oid, text)', 'EXECUTE'), "
                "has_function_privilege('decai_reader', 'lo_import(text)', 'EXECUTE'), "
                "has_function_privilege('public', 'pg_read_file(text)', 'EXECUTE'), "
                "has_function_privilege('public', 'pg_ls_dir(text)', 'EXECUTE')"
            )
        ).one() == (False, False, False, False, False, False)
        # A table created after migrate is readable too (default privileges), and writable by nobody else.
        conn.exec_driver_sql("CREATE TABLE later_table (x INTEGER)")
        conn.commit()
        assert conn.execute(
            sa.text("SELECT has_table_privilege('decai_reader', 'later_table', 'SELECT')")
        ).scalar()
    admin.dispose()
    # Migrating again (as each deploy does) keeps the same role, no error.
    db.migrate(postgres_url)


def test_postgres_server_refuses_two_statements_and_role_switches(postgres_url):
    """Below the parser: the reader's own connection, given statements the parser would refuse."""
    engine = db.make_engine(postgres_url, read_only=True)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT session_user")).scalar() == "decai_reader"
        for statement, says in (
            ("SELECT 1; DELETE FROM ingest_checkpoints", "multiple commands"),
            ("DELETE FROM ingest_checkpoints", "read-only transaction"),
            ("CREATE TEMP TABLE x (y INTEGER)", "read-only transaction"),
            ("SELECT set_config('role', 'postgres', false)", "permission denied"),
            ("SET ROLE postgres", "permission denied"),
        ):
            with pytest.raises(sa.exc.DBAPIError) as failed:
                conn.exec_driver_sql(statement)
            assert says in str(failed.value).lower(), (statement, str(failed.value))
            conn.rollback()
        # A pooled connection is reset before reuse: a session setting does not survive checkin.
        conn.exec_driver_sql("SELECT set_config('application_name', 'left-over', false)")
        conn.rollback()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW application_name")).scalar() != "left-over"
    engine.dispose()


def test_reads_are_refused_through_a_privileged_login(postgres_url, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_READ_URL", postgres_url)  # the superuser, as a careless setup would
    result = runner.invoke(cli, ["sql", "SELECT 1"])
    assert result.exit_code == 2
    assert "refusing to serve reads" in result.output and "superuser" in result.output
    with pytest.raises(ReaderPrivilegeError):
        db.read_sql("SELECT 1", url=postgres_url)
    # The dashboard's engine refuses the same way.
    from dashboards import queries

    queries._engine.cache_clear()
    with pytest.raises(ReaderPrivilegeError):
        queries.freshness(postgres_url)
    queries._engine.cache_clear()
