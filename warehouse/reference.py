"""Reference facts: the off-chain figures behind the comparison, each with its source and date.

Funding rounds, an IDO, an ETF filing, launch dates and third-party counts cannot be read from either
chain. They live in a versioned CSV in the repository (`warehouse/data/reference_facts.csv`, one row
per fact: fact_id, subject, fact, value, unit, as_of, source_title, source_url, note) and are loaded
into the `reference_facts` table, which mirrors the file: loading twice changes nothing, a changed
row is updated, a row removed from the file is deleted. A row without a source (title and http(s)
URL), without a value or an ISO as-of date, with a repeated fact_id, or whose unit says it names a
moment (`date`, `month`, `quarter`: the charts draw these as milestones, `v_milestones`) but whose
value is not one (YYYY-MM-DD, YYYY-MM, YYYY-Qn) stops the load with an error naming the file, the
line and the fact_id; the table is then left as it was.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa

from warehouse.schema import reference_facts

CSV_PATH = Path(__file__).resolve().parent / "data" / "reference_facts.csv"
COLUMNS = ("fact_id", "subject", "fact", "value", "unit", "as_of", "source_title", "source_url", "note")
REQUIRED = ("fact_id", "subject", "fact", "value", "as_of")
#: Units whose value names a moment, with the form the value must take (the milestones read them).
MOMENT_UNITS = {
    "date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "a date (YYYY-MM-DD)"),
    "month": (re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"), "a month (YYYY-MM)"),
    "quarter": (re.compile(r"[0-9]{4}-Q[1-4]"), "a quarter (YYYY-Qn, n from 1 to 4)"),
}
#: values of `value_number` fit NUMERIC(38, 6)
_MAX_NUMBER = Decimal(10) ** 32


class ReferenceFactError(ValueError):
    """A row of the reference facts file that cannot be loaded; the message names file, line, fact."""


@dataclass(frozen=True)
class LoadResult:
    inserted: int
    updated: int
    deleted: int
    unchanged: int


def _number(value: str) -> Decimal | None:
    """The value as an exact number when it is one (`2900000000`, `0.73`), else None (`41/41/18`)."""
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= _MAX_NUMBER:
        return None
    return number.quantize(Decimal("0.000001"))


def read_facts(text: str, name: str = "reference_facts.csv") -> list[dict]:
    """Parse and check the CSV text; one dict per fact, ready for the table."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ReferenceFactError(f"{name}: the header lacks the columns {missing} (expected {list(COLUMNS)})")
    facts: list[dict] = []
    seen: dict[str, int] = {}
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        where = f"{name} line {start_line} (fact_id {values['fact_id'] or '<empty>'})"
        if None in row:
            raise ReferenceFactError(f"{where}: more fields than the header has; quote values with commas")
        if not values["source_title"] or not values["source_url"]:
            lacking = " and ".join(c for c in ("source_title", "source_url") if not values[c])
            raise ReferenceFactError(
                f"{where}: no {lacking}; every fact needs the title and URL of its source"
            )
        if not values["source_url"].startswith(("https://", "http://")):
            raise ReferenceFactError(
                f"{where}: source_url {values['source_url']!r} is not an http(s) address"
            )
        empty = [c for c in REQUIRED if not values[c]]
        if empty:
            raise ReferenceFactError(f"{where}: empty {', '.join(empty)}")
        try:
            as_of = date.fromisoformat(values["as_of"])
        except ValueError:
            raise ReferenceFactError(
                f"{where}: as_of {values['as_of']!r} is not a date (YYYY-MM-DD)"
            ) from None
        if values["unit"] in MOMENT_UNITS:
            _check_moment(values["value"], values["unit"], where)
        if values["fact_id"] in seen:
            raise ReferenceFactError(
                f"{where}: fact_id {values['fact_id']!r} already used on line {seen[values['fact_id']]}"
            )
        seen[values["fact_id"]] = start_line
        facts.append(
            {
                **values,
                "unit": values["unit"] or None,
                "note": values["note"] or None,
                "as_of": as_of,
                "value_number": _number(values["value"]),
            }
        )
    return facts


def _check_moment(value: str, unit: str, where: str) -> None:
    pattern, form = MOMENT_UNITS[unit]
    valid = pattern.fullmatch(value) is not None
    if valid and unit == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            valid = False
    if not valid:
        raise ReferenceFactError(f"{where}: value {value!r} of unit {unit} is not {form}")


def period_start(value: str, unit: str) -> date:
    """The first day of the moment a fact of a `MOMENT_UNITS` unit names: the date itself, the first
    day of its month or of its quarter (where the charts draw it)."""
    if unit == "date":
        return date.fromisoformat(value)
    year = int(value[:4])
    if unit == "month":
        return date(year, int(value[5:7]), 1)
    if unit == "quarter":
        return date(year, 3 * int(value[6]) - 2, 1)
    raise ValueError(f"unit {unit!r} does not name a moment (use one of {sorted(MOMENT_UNITS)})")


def load_reference_facts(
    conn: sa.Connection, path: Path | None = None, table: sa.Table = reference_facts
) -> LoadResult:
    """Make `reference_facts` equal the CSV at `path` (default: the repository's), in `conn`'s transaction.

    `table` lets a migration load through the table as that revision created it.
    """
    path = path or CSV_PATH
    facts = read_facts(path.read_text(encoding="utf-8"), path.name)
    fields = [c.name for c in table.columns if c.name != "fact_id"]
    current = {row["fact_id"]: row for row in conn.execute(sa.select(table)).mappings().all()}
    inserted = updated = unchanged = 0
    for fact in facts:
        old = current.pop(fact["fact_id"], None)
        if old is None:
            conn.execute(table.insert().values(**fact))
            inserted += 1
        elif any(_differs(old[f], fact[f]) for f in fields):
            conn.execute(
                table.update()
                .where(table.c.fact_id == fact["fact_id"])
                .values(**{f: fact[f] for f in fields})
            )
            updated += 1
        else:
            unchanged += 1
    if current:
        conn.execute(table.delete().where(table.c.fact_id.in_(list(current))))
    return LoadResult(inserted, updated, len(current), unchanged)


def _differs(stored, wanted) -> bool:
    if isinstance(wanted, Decimal) and stored is not None:
        return Decimal(str(stored)) != wanted
    if isinstance(stored, datetime):
        stored = stored.date()
    return stored != wanted


def sync(url: str | None = None, path: Path | None = None) -> LoadResult:
    """Load the reference facts into the warehouse at `url` (WAREHOUSE_URL by default)."""
    from warehouse import db

    engine = db.make_engine(url)
    try:
        with db.begin(engine) as conn:
            return load_reference_facts(conn, path)
    finally:
        engine.dispose()
