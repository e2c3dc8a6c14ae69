"""HTTP plumbing shared by the Sahara connectors: JSON requests with retries, and their errors.

Transient trouble (timeouts, dropped connections, HTTP 429 and 5xx without a JSON-RPC answer, bodies
that are not JSON, e.g. truncated) is retried with exponential backoff, honouring `Retry-After`.
A JSON-RPC error object is the node's answer, not trouble: it is raised at once as `RpcError`, so the
caller can read it (a pruned height, a too-wide `eth_getLogs` range) and decide.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from etl.settings import endpoint

log = logging.getLogger(__name__)

#: CometBFT and Cosmos EVM nodes word a pruned height like this: `height 3 is not available, lowest
#: height is 100`.
PRUNED = re.compile(r"height (\d+) is not available, lowest height is (\d+)")


class RpcError(RuntimeError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, url: str, method: str, code: int | None, message: str, data: str = "") -> None:
        # The node as scheme://host only: a hosted node's URL carries its API key in the path or query.
        url = endpoint(url)
        self.url, self.method, self.code, self.message, self.data = url, method, code, message, data
        text = f"{message}: {data}" if data else message
        super().__init__(f"{method} at {url} answered error {code}: {text}")

    @property
    def text(self) -> str:
        return f"{self.message} {self.data}".strip()


class PrunedNodeError(RuntimeError):
    """The node no longer holds the block: it is pruned. Only an archive node can serve the range."""


class TransientError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None)
    backoff = min(8.0, 0.2 * 2 ** (state.attempt_number - 1))
    return min(30.0, max(backoff, retry_after or 0.0))


class JsonHttp:
    """A keep-alive JSON client for one endpoint; thread-safe (one httpx.Client shared by workers).

    Ten attempts: on an endpoint failing a quarter of its answers (the fault-injection test's 20%
    5xx/429 plus 10% truncated bodies) five attempts lost about one request in 700, so a range of a
    few hundred blocks failed more often than not; ten lose one in half a million.
    """

    def __init__(
        self, url: str, *, timeout: float = 30.0, attempts: int = 10, max_connections: int = 16
    ) -> None:
        self.url = url.rstrip("/")
        self.attempts = attempts
        self.client = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def _once(self, method: str, path: str, shape: Callable[[Any], bool] | None = None, **kwargs):
        self.requests += 1
        try:
            response = self.client.request(method, self.url + path, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(
                f"{method} {path or '/'} at {endpoint(self.url)}: {type(exc).__name__} {exc}"
            ) from exc
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            body = None
        if response.status_code == 429 or response.status_code >= 500:
            # CometBFT answers URI requests that fail with HTTP 500 and a JSON-RPC error: a real answer.
            if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
                retry_after = response.headers.get("retry-after")
                raise TransientError(
                    f"{method} {path or '/'} at {endpoint(self.url)}: HTTP {response.status_code}",
                    float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None,
                )
        elif response.status_code >= 400 and body is None:
            # Not raise_for_status: its message holds the full URL, keys included.
            raise RuntimeError(f"{method} {path or '/'} at {endpoint(self.url)}: HTTP {response.status_code}")
        if body is None:
            raise TransientError(
                f"{method} {path or '/'} at {endpoint(self.url)}: the body is not JSON (truncated?)"
            )
        if shape is not None and not shape(body):
            # A proxy or load balancer in front of a node can answer 200 with a JSON body of its own.
            raise TransientError(
                f"{method} {path or '/'} at {endpoint(self.url)}: HTTP {response.status_code} with JSON that is not a JSON-RPC "
                f"response: {json.dumps(body)[:120]}"
            )
        return body

    def request(self, method: str, path: str = "", *, shape: Callable[[Any], bool] | None = None, **kwargs):
        """The decoded JSON body, after retrying transient failures; a body that `shape` refuses is one
        (e.g. `is_envelope` for a JSON-RPC call)."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.attempts),
            wait=_wait,
            reraise=True,
            before_sleep=lambda s: log.warning(
                "retrying %s: %s", path or endpoint(self.url), s.outcome.exception()
            ),
        )
        return retrying(self._once, method, path, shape, **kwargs)

    @staticmethod
    def is_envelope(body) -> bool:
        """A JSON-RPC response object: a JSON object with a `result` or an `error`."""
        return isinstance(body, dict) and ("result" in body or "error" in body)

    @staticmethod
    def is_batch(body) -> bool:
        """A JSON-RPC batch answer (a list of response objects), or one error object for the batch."""
        if isinstance(body, list):
            return all(JsonHttp.is_envelope(item) for item in body)
        return JsonHttp.is_envelope(body)

    @staticmethod
    def result(body, url: str, method: str):
        """The `result` of a JSON-RPC envelope, or RpcError."""
        if not isinstance(body, dict):
            raise RpcError(url, method, None, "not a JSON-RPC response object", str(body)[:200])
        error = body.get("error")
        if error:
            if isinstance(error, dict):
                raise RpcError(
                    url,
                    method,
                    error.get("code"),
                    str(error.get("message", "")),
                    str(error.get("data") or ""),
                )
            raise RpcError(url, method, None, str(error))
        if "result" not in body:
            raise RpcError(url, method, None, "response has neither result nor error")
        return body["result"]
