"""Checksums of warehouse tables, to prove that two runs (or a rebuild) left the same data."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import db

#: Columns that say when or by which run a row was written, not what it says.
VOLATILE_COLUMNS = {"batch_id", "ingested_at", "quarantined_at", "updated_at", "seq"}


def table_checksum(engine: Engine, table: str, ignore: set[str] | None = None) -> tuple[int, str]:
    """(row count, sha256 of the rows in a canonical order), leaving out the volatile columns."""
    ignore = VOLATILE_COLUMNS if ignore is None else ignore
    with db.connect(engine) as conn:
        # Column names from a result, not the inspector: DuckDB lacks catalog tables it would query.
        columns = [
            c for c in conn.execute(sa.text(f"SELECT * FROM {table} LIMIT 0")).keys() if c not in ignore
        ]
        rows = conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table}")).all()
    digest = hashlib.sha256()
    for line in sorted(repr(tuple(_canonical(v) for v in row)) for row in rows):
        digest.update(line.encode())
        digest.update(b"\n")
    return len(rows), digest.hexdigest()


def _canonical(value):
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in "{[":
        import json

        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, float):
        return round(value, 9)
    return value


def warehouse_checksums(engine: Engine, tables: list[str]) -> dict[str, tuple[int, str]]:
    return {table: table_checksum(engine, table) for table in tables}
