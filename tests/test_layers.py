"""The layers import one way: the product never reaches into the devnet or the benchmarks.

`devnet/` simulates the outside networks and `bench/` measures the product; both stand outside it.
Only the command line (`etl.cli`, the one composition root) may import them, and only to serve
`decai devnet`, `decai bench` and the devnet that `decai backfill` starts. The devnet itself
imports nothing of the product, so it stays a stand-in for a real node and nothing more.
"""

from __future__ import annotations

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
