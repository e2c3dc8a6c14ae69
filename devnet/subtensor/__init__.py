"""A deterministic simulated subtensor (Bittensor) chain served over Substrate JSON-RPC.

- `metadata`: the runtime metadata the devnet authors (V14/V15, spec 342 and 343),
- `economics`: emission schedule, Yuma Consensus and the 41/41/18 split,
- `chain`: the chain simulation (lazy, windowed, deterministic from seed and scale),
- `encoding`: headers, bodies, storage and runtime-API answers as SCALE,
- `rpc`: the JSON-RPC dispatcher and its HTTP/WebSocket routes,
- `bench`: blocks per second served over loopback.
"""

from devnet.subtensor.chain import DEFAULT_NOW, SubtensorChain
from devnet.subtensor.rpc import HTTP_PATH, WS_PATH, SubtensorRpc, subtensor_routes

DEFAULT_SCALE = 0.05

__all__ = [
    "DEFAULT_NOW",
    "DEFAULT_SCALE",
    "HTTP_PATH",
    "WS_PATH",
    "SubtensorChain",
    "SubtensorRpc",
    "subtensor_routes",
]
