"""Projections run in the order their declared upstream tables give, and the declarations say what
their SQL reads: a new mart that reads another's table without saying so fails here, by name."""

from __future__ import annotations

import re

import pytest

from warehouse.projections import PROJECTIONS
from warehouse.projections.base import OnlyOn, Projection, run_order

#: A table a statement reads: `FROM name` or `JOIN name` (subqueries and functions start otherwise).
READS = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def _read_by_sql(projection: Projection) -> set[str]:
    tables: set[str] = set()
    for statement in projection.statements:
        tables |= set(READS.findall(statement.sql if isinstance(statement, OnlyOn) else statement))
    return tables


def test_every_declared_upstream_is_what_the_sql_reads_of_other_projections():
    owner = {table: p.name for p in PROJECTIONS.values() for table in p.tables}
    wrong = {}
    for p in PROJECTIONS.values():
        read = {t for t in _read_by_sql(p) if t in owner and owner[t] != p.name}
        if read != set(p.upstream):
            wrong[p.name] = {"declared": sorted(p.upstream), "read by its SQL": sorted(read)}
    assert not wrong, wrong


def test_each_projection_runs_after_the_owners_of_its_upstream_tables():
    order = [p.name for p in run_order()]
    assert sorted(order) == sorted(PROJECTIONS)
    owner = {table: p.name for p in PROJECTIONS.values() for table in p.tables}
    for p in PROJECTIONS.values():
        for table in p.upstream:
            assert order.index(owner[table]) < order.index(p.name), (p.name, table)
    # The comparison mart reads both chains' marts and the market: it comes after all of them.
    assert order.index("ecosystem_daily") > max(
        order.index(n) for n in ("bittensor", "market_caps", "chain_days")
    )


def _p(name: str, tables: tuple[str, ...], upstream: tuple[str, ...] = ()) -> Projection:
    return Projection(name=name, tables=tables, statements=(), upstream=upstream)


def test_the_order_is_by_dependency_then_name_and_refuses_cycles_and_unknown_tables():
    chain = {
        "c": _p("c", ("tc",), ("tb",)),
        "b": _p("b", ("tb",), ("ta",)),
        "a": _p("a", ("ta",)),
        "z": _p("z", ("tz",)),
    }
    assert [p.name for p in run_order(chain)] == ["a", "z", "b", "c"]
    with pytest.raises(ValueError, match=r"cycle: \['x', 'y'\]"):
        run_order({"x": _p("x", ("tx",), ("ty",)), "y": _p("y", ("ty",), ("tx",))})
    with pytest.raises(ValueError, match=r"projection x: no projection owns .*\['nowhere'\]"):
        run_order({"x": _p("x", ("tx",), ("nowhere",))})
