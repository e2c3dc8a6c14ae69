"""The `network_daily` projection: network fundamentals of both chains, one row per chain, network
and UTC day.

Each network's rows are folded by its own statements (`network_bittensor`, `network_sahara`,
`network_erc20`), which read that network's staging tables and write only its rows; this module runs
them as one projection, so the table has one position and a rebuild replays every network at once.
The projection also owns the running tables a network's statements fold into (Bittensor's day sums
and signers), so a rebuild empties them with the table.
"""

from __future__ import annotations

from warehouse.projections import network_bittensor, network_erc20, network_sahara
from warehouse.projections.base import Projection, register

_PARTS = (network_bittensor, network_sahara, network_erc20)

NETWORK_DAILY = register(
    Projection(
        name="network_daily",
        tables=("network_daily", *network_bittensor.NETWORK_DAILY_TABLES),
        statements=tuple(s for part in _PARTS for s in part.NETWORK_DAILY),
        upstream=tuple(dict.fromkeys(t for part in _PARTS for t in part.NETWORK_DAILY_UPSTREAM)),
        doc=__doc__ or "",
    )
)
