"""Network fundamentals of the Bittensor chain (network 'bittensor'): the statements that fold its rows of `network_daily`.

`NETWORK_DAILY` runs inside the `network_daily` projection (`warehouse.projections.network`) with
:lo and :hi bound to the seq window, and writes only this network's rows; `NETWORK_DAILY_UPSTREAM`
names the tables of other projections it reads.
"""

from __future__ import annotations

from warehouse.projections.base import OnlyOn

NETWORK_DAILY: tuple[str | OnlyOn, ...] = ()
NETWORK_DAILY_UPSTREAM: tuple[str, ...] = ()
