"""Guards for the read paths (dashboard, `decai sql`): one statement, and only one that reads.

The connection itself is read-only (DuckDB opened read_only without external access, PostgreSQL with
`default_transaction_read_only`); this check comes first so the user gets a clear sentence instead
of a driver error, and so that statements a read-only connection would still run (a DuckDB `COPY …
TO` file, `ATTACH`, `SET`) never reach it.
"""

from __future__ import annotations

import re

READING_STATEMENTS = ("select", "with", "explain", "describe", "show", "summarize", "values", "from", "table")


class ReadOnlyViolation(ValueError):
    pass


def _strip_comments_and_literals(sql: str) -> str:
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    return re.sub(r'"(?:[^"]|"")*"', '""', sql)


def check_read_only(sql: str) -> str:
    """The statement, trimmed, if it is a single reading statement; else a clear ReadOnlyViolation."""
    bare = _strip_comments_and_literals(sql).strip().rstrip(";").strip()
    if not bare:
        raise ReadOnlyViolation("empty query")
    if ";" in bare:
        raise ReadOnlyViolation("one statement at a time: the query has more than one (`;`)")
    first = bare.split(None, 1)[0].lower().lstrip("(")
    if first not in READING_STATEMENTS:
        raise ReadOnlyViolation(
            f"`{first.upper()}` is not a read: decai sql and the dashboard only run SELECT, WITH, EXPLAIN, "
            "DESCRIBE, SHOW and SUMMARIZE; the warehouse changes only through the pipeline"
        )
    if re.search(r"\b(copy|attach|install|load|pragma|export|import)\b", bare, re.I) and first != "explain":
        words = {w.lower() for w in re.findall(r"[A-Za-z_]+", bare)}
        for word in ("copy", "attach", "install", "pragma", "export", "import"):
            if word in words:
                raise ReadOnlyViolation(f"`{word.upper()}` inside a query is not allowed on the read path")
    return sql.strip().rstrip(";")
