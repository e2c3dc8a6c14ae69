"""Task defaults shared by every DAG: one owner, retries with backoff, the delay from settings.

`DECAI_RETRY_DELAY_SECONDS` (default 60) sets the first retry delay; tests and local backfills set it
low so that a failing task fails fast instead of waiting minutes between attempts.

Tasks that call an outside network run in that network's Airflow pool (`RPC_POOLS`), so however many
workers and DAG runs are active, a public endpoint never sees more calls at once than its pool has
slots. `DECAI_POOL_<NAME>_SLOTS` changes a pool's size (e.g. `DECAI_POOL_SUBTENSOR_RPC_SLOTS=8`);
`ensure_metadata_db` and `decai cluster up` create the pools.
"""

from __future__ import annotations

import os
from datetime import timedelta

OWNER = "decai-data"

SUBTENSOR_POOL = "subtensor_rpc"
SAHARA_POOL = "sahara_rpc"
COINGECKO_POOL = "coingecko_api"

#: Blocks per mapped ingest task in a backfill. Airflow costs a task about 1-3 s of its own (start,
#: XCom, state) whatever it does: chunks of 600 subtensor blocks spent 10-20% of their time on that on
#: a loaded 2-core machine, chunks of 1,800 about 5-9% (`python -m bench.latency --dag-overhead N`).
#: An hourly run is one chunk either way (300 subtensor blocks, 720 CometBFT blocks).
BITTENSOR_CHUNK_BLOCKS = 1800  # 6 hours of 12 s blocks
SAHARA_CHUNK_BLOCKS = 2160  # 3 hours of 5 s blocks

#: pool -> (default slots, description)
RPC_POOLS = {
    SUBTENSOR_POOL: (4, "Calls to the subtensor JSON-RPC endpoint (connection bittensor_rpc)"),
    SAHARA_POOL: (4, "Calls to Sahara's CometBFT and EVM endpoints"),
    COINGECKO_POOL: (2, "Calls to the CoinGecko API (rate-limited per key)"),
}


def pool_slots(name: str) -> int:
    return int(os.environ.get(f"DECAI_POOL_{name.upper()}_SLOTS", RPC_POOLS[name][0]))


def pools_spec() -> dict:
    """The pools in the form `airflow pools import` reads."""
    return {
        name: {"slots": pool_slots(name), "description": description, "include_deferred": False}
        for name, (_, description) in RPC_POOLS.items()
    }


def default_args(retries: int = 3) -> dict:
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(seconds=float(os.environ.get("DECAI_RETRY_DELAY_SECONDS", "60"))),
        "retry_exponential_backoff": True,
    }
