"""Projections: pure functions of the event store, run incrementally by position or rebuilt from zero."""

from warehouse.projections.base import PROJECTIONS, Projection, rebuild, run_all, run_projection

__all__ = ["PROJECTIONS", "Projection", "rebuild", "run_all", "run_projection"]
