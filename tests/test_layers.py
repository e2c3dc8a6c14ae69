"""The layers import one way: the product never reaches into the devnet or the benchmarks.

`devnet/` simulates the outside networks and `bench/` measures the product; both stand outside it.
Only the command line (`etl.cli`, the one composition root) may import them, and only to serve
`decai devnet`, `decai bench` and the devnet that `decai backfill` starts. The devnet itself
imports nothing of the product, so it stays a stand-in for a real node and nothing more.
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest

PRODUCT = ("etl", "warehouse", "dashboards")
OUTSIDE = ("devnet", "bench")
COMPOSITION_ROOT = "etl.cli"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PRODUCT, *OUTSIDE, cache_dir=None)


def _chains(graph, importer: str, imported: str) -> list[tuple[str, ...]]:
    chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    return sorted(c for c in chains if c[0] != COMPOSITION_ROOT)


@pytest.mark.parametrize("outside", OUTSIDE)
@pytest.mark.parametrize("product", PRODUCT)
def test_the_product_does_not_import_the_devnet_or_the_benchmarks(graph, product, outside):
    assert _chains(graph, product, outside) == [], (
        f"{product} imports {outside}: only {COMPOSITION_ROOT} may (lazily, for its commands)"
    )


@pytest.mark.parametrize("product", PRODUCT)
def test_the_devnet_imports_nothing_of_the_product(graph, product):
    chains = graph.find_shortest_chains(importer="devnet", imported=product, as_packages=True)
    assert sorted(chains) == [], f"the devnet imports {product}: it must stand alone like a real node"


def test_the_rule_catches_a_wrong_way_import(graph):
    """The check is live: an added import from a connector to the devnet is found."""
    graph.add_import(importer="etl.sources.evm", imported="devnet.sahara.evm")
    try:
        assert _chains(graph, "etl", "devnet") == [("etl.sources.evm", "devnet.sahara.evm")]
    finally:
        graph.remove_import(importer="etl.sources.evm", imported="devnet.sahara.evm")


# ------------------------------------------------------------------------------- inside the product
#: The layers of the product, lowest first, by the module prefixes they hold. Each module belongs to
#: the layer of its longest matching prefix; a module no prefix matches fails the contract test, so a
#: new module gets a place on purpose.
LAYERS: dict[str, tuple[str, ...]] = {
    # the envelope and plain records, the catalog of event types and amount fields, settings, endpoints,
    # the one HTTP / JSON-RPC client
    "base": (
        "etl",
        "etl.events",
        "etl.catalog",
        "etl.contracts",
        "etl.settings",
        "etl.http",
        "etl.connections",
        "etl.decode",
        "etl.windows",
        "etl.assets",
        "etl.dag_defaults",
    ),
    "sources": ("etl.sources",),  # fetch + decode only
    "validate": ("etl.validate",),  # Great Expectations suites and audits
    "warehouse": ("warehouse",),  # engines, the event store, migrations, as-of reads, reconcile
    "projections": ("warehouse.projections",),  # the marts, built on the store
    "pipeline": ("etl.pipeline",),  # the one place that joins sources, validation and the store
    "dashboards": ("dashboards",),  # reads the warehouse
    "dags": ("dags",),  # wiring and schedules only
    # the command line and what only it drives (workers, the local cluster, `decai status`)
    "composition": (
        "etl.cli",
        "etl.cluster",
        "etl.orchestrate",
        "etl.status",
        "etl.worker_preload",
        "etl.celery_config",
    ),
}
#: The layers each layer may import besides its own.
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "sources": {"base"},
    "validate": {"base"},
    "warehouse": {"base"},
    "projections": {"base", "warehouse"},
    "pipeline": {"base", "sources", "validate", "warehouse", "projections"},
    "dashboards": {"base", "warehouse", "projections"},
    "dags": {"base", "pipeline"},
    "composition": set(LAYERS),
}


def _layer_of(module: str) -> str | None:
    best, layer = "", None
    for name, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, layer = prefix, name
    return layer


@pytest.fixture(scope="module")
def product_graph():
    return grimp.build_graph(*PRODUCT, "dags", cache_dir=None)


def _product_modules(graph) -> list[str]:
    return sorted(m for m in graph.modules if m.split(".")[0] in (*PRODUCT, "dags"))


def import_cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module among the product's direct imports
    (Tarjan's algorithm, iterative): each is a set of modules that import each other in a cycle."""
    modules = _product_modules(graph)
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(cycles)


def wrong_way_imports(graph) -> list[str]:
    """Each direct import that leaves its layer for one the layer may not import, as
    `importer (layer) -> imported (layer), line N: the import`; and each module with no layer."""
    problems = []
    modules = _product_modules(graph)
    inside = set(modules)
    for importer in modules:
        layer = _layer_of(importer)
        if layer is None:
            problems.append(f"{importer} has no layer: add it to LAYERS")
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & inside):
            target = _layer_of(imported)
            if target is None or target == layer or target in MAY_IMPORT[layer]:
                continue
            details = graph.get_import_details(importer=importer, imported=imported)
            where = ", ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details) or "added"
            problems.append(f"{importer} ({layer}) -> {imported} ({target}), {where}")
    return problems


def test_the_product_has_no_import_cycles(product_graph):
    cycles = import_cycles(product_graph)
    assert cycles == [], "modules that import each other in a cycle:\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_each_layer_imports_only_the_layers_below_it(product_graph):
    problems = wrong_way_imports(product_graph)
    assert problems == [], "imports against the layers:\n" + "\n".join(problems)


def test_the_layer_and_cycle_checks_catch_a_wrong_way_import(product_graph):
    """The checks are live: a connector importing the pipeline is named, and so is the cycle it closes."""
    importer, imported = "etl.sources.cometbft", "etl.pipeline.sahara"
    assert product_graph.find_shortest_chain(importer=imported, imported=importer) is not None
    product_graph.add_import(importer=importer, imported=imported)
    try:
        assert wrong_way_imports(product_graph) == [f"{importer} (sources) -> {imported} (pipeline), added"]
        (cycle,) = import_cycles(product_graph)
        assert {importer, imported} <= set(cycle)
    finally:
        product_graph.remove_import(importer=importer, imported=imported)
    assert import_cycles(product_graph) == []


#: The modules that may ask which engine they talk to: the adapter, engine creation and migration,
#: the read-path guard (each engine's own parser and session settings) and the catalogue queries.
ENGINE_AWARE = {"warehouse/engines.py", "warehouse/db.py", "warehouse/readonly.py", "warehouse/dictionary.py"}
ENGINE_BRANCH = re.compile(
    r"""dialect(?:\.name|_of\([^)]*\))\s*[!=]=|[!=]=\s*["'](?:duckdb|postgresql)["']"""
)


def _engine_branches(text: str) -> int:
    return len(ENGINE_BRANCH.findall(text))


def test_engine_differences_live_in_the_adapter():
    root = Path(__file__).resolve().parents[1]
    found = {}
    for package in ("warehouse", "dashboards", "etl", "dags"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative in ENGINE_AWARE or "/migrations/" in relative:
                continue
            if count := _engine_branches(path.read_text()):
                found[relative] = count
    assert not found, f"engine-specific branches outside warehouse/engines.py: {found}"


def test_the_engine_branch_check_sees_each_form():
    assert _engine_branches('if conn.dialect.name == "duckdb":') == 1
    assert _engine_branches("if db.dialect_of(url) != 'postgresql':") == 1
    assert _engine_branches('if dialect == "postgresql":') == 1
    assert _engine_branches("adapter_for(conn).xact_lock(conn, name)") == 0
