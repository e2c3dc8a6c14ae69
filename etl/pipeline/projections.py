"""The warehouse steps the DAGs schedule after an ingest: project, reconcile, build the Data Docs.

Plain functions over the warehouse (the default one unless `warehouse_url`), so the DAG files only wire
them and tests call them without Airflow.
"""

from __future__ import annotations


def run_projections(names: list[str] | None = None, *, warehouse_url: str | None = None) -> list[dict]:
    """Run the projections (all of them, or those named) on the warehouse; one summary per projection."""
    from warehouse import db
    from warehouse.projections import run_all

    engine = db.make_engine(warehouse_url)
    try:
        return run_all(engine, names)
    finally:
        engine.dispose()


def reconcile() -> list[dict]:
    """The reconciliation checks as `{"check", "failures"}` (the failures counted)."""
    from warehouse.reconcile import reconcile as run_checks

    return [{"check": r["check"], "failures": len(r["failures"])} for r in run_checks()]


def build_data_docs() -> str:
    """Rebuild the Great Expectations Data Docs site; the name of its folder."""
    from etl.validate.gx import build_data_docs as build

    return str(build().name)
