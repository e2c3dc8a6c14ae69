"""Projections: pure functions of the event store, run incrementally by position or rebuilt from zero.

`base` holds the registry and the runner; each concrete module registers its projections when imported,
which this package does for all of them (the registry imports none of them, so nothing imports back).
"""

from warehouse.projections import (  # noqa: F401 - each registers its projections
    bittensor,
    bittensor_accounts,
    completeness,
    ecosystem,
    erc20,
    market_caps,
    network,
    sahara,
    sahara_activity,
    sahara_marketplace,
    stake_flows,
    subnet_daily,
)
from warehouse.projections.base import PROJECTIONS, Projection, rebuild, run_all, run_projection

__all__ = ["PROJECTIONS", "Projection", "rebuild", "run_all", "run_projection"]
