"""What the Sahara connectors share on top of the HTTP client (`etl/http.py`): its retry budget and
the reading of a pruned node's answer.

Transient trouble (timeouts, dropped connections, HTTP 429 and 5xx without a JSON-RPC answer, bodies
that are not JSON, e.g. truncated, a 200 that is no JSON-RPC answer) is retried by the client. A
JSON-RPC error object is the node's answer, not trouble: it is raised at once as `RpcError`, so the
caller can read it (a pruned height, a too-wide `eth_getLogs` range) and decide.
"""

from __future__ import annotations

import re

from etl.http import HttpClient, RetryPolicy, RpcError

__all__ = ["RETRY", "PRUNED", "PrunedNodeError", "RpcError", "node_client", "pruned_error"]

#: Ten attempts: on an endpoint failing a quarter of its answers (the fault-injection test's 20%
#: 5xx/429 plus 10% truncated bodies) five attempts lost about one request in 700, so a range of a
#: few hundred blocks failed more often than not; ten lose one in half a million.
RETRY = RetryPolicy(attempts=10, backoff_initial=0.2, backoff_max=8.0, max_wait=30.0)

#: CometBFT and Cosmos EVM nodes word a pruned height like this: `height 3 is not available, lowest
#: height is 100`.
PRUNED = re.compile(r"height (\d+) is not available, lowest height is (\d+)")


class PrunedNodeError(RuntimeError):
    """The node no longer holds the block: it is pruned. Only an archive node can serve the range."""


def node_client(url: str, *, timeout: float, concurrency: int) -> HttpClient:
    """The client of one Sahara node: a connection for each of the connector's workers (at least 4)."""
    return HttpClient(url, retry=RETRY, timeout=timeout, max_in_flight=max(4, concurrency))


def pruned_error(exc: RpcError, connection: str, block: int | None = None) -> PrunedNodeError | None:
    """A clear error when `exc` is a pruned-node answer, naming the block and what to do; else None."""
    match = PRUNED.search(exc.text)
    if not match:
        return None
    height, lowest = int(match.group(1)), int(match.group(2))
    return PrunedNodeError(
        f"block {block if block is not None else height} from {connection}: the node at {exc.url} has pruned "
        f"it (its lowest available height is {lowest}); point the `{connection}` connection at an archive "
        "node to ingest blocks this old"
    )
