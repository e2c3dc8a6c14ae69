"""One HTTP client for every connector: JSON over HTTP and JSON-RPC 2.0, retried as networks need.

`HttpClient` talks to one endpoint (a node, an API) for one connector:

- JSON over HTTP: `get_json`, `post_json` and `request_json` return the decoded body;
- JSON-RPC 2.0: `rpc` (one call, POST), `rpc_uri` (CometBFT's `GET /method?param=...`) and
  `rpc_batch` (many calls in batches of `batch_size`, a few batches in flight; answers are matched to
  calls by id and each call's error comes back on its own, as an `RpcAnswer` holding an `RpcError`).

Only transient failures are retried: connect and read errors and timeouts, HTTP 429, HTTP 5xx that
carries no JSON-RPC answer, a body that is not JSON (a truncated transfer) and a body that is JSON
but not what was asked for (a proxy's own page answered with 200 in place of a JSON-RPC answer).
Between attempts the client waits exponentially longer, with jitter so that workers failing together
do not retry together, and never less than the server asked for in `Retry-After` (seconds or an
HTTP date), up to `RetryPolicy.max_wait`. Each retry logs one line. After `attempts` attempts, or
when the next wait would pass `budget_seconds`, it raises `RetriesExhausted` with the last failure.

Not retried: a 4xx other than 429 is the request's fault (`HttpStatusError`), and a JSON-RPC error
object is the node's answer (`RpcError`), which the connector reads (a pruned height, a range too
wide) and maps to its own error.

Logs and errors name the endpoint as `scheme://host[:port]` only: a hosted node's URL carries its API
key in the path or query and a password in its authority. A request is labelled by what the code
chose (the JSON-RPC method, the path below the endpoint), never by the configured URL; httpx's own
request log line is cut the same way.

A JSON-RPC batch whose request outlasts the read timeout is not sent whole again: it goes again as
two halves (each halved again if it times out too), down to single calls, which retry as above, so a
busy node is asked for less at a time instead of the same thing until the retries run out.

Bounded concurrency: at most `max_in_flight` requests are on the wire at once, however many threads
call the client (the connection pool has the same size). An optional `rate_per_second` spaces the
requests out evenly, retries included, for APIs with a call budget.

Pipelining: `prefetch(calls)` puts JSON-RPC calls on the wire in the background (batched as
`rpc_batch` would) and returns at once; a later `rpc_batch` takes each call it makes that was
prefetched (same method, same parameters) from there, waiting only for what is still in flight, so a
connector can ask for everything it knows it will need while it still works on what came before.
Each prefetched answer serves one call; `forget_prefetched` drops those never asked for. A failure
of a prefetched batch is raised by the call that takes it, as if that call had sent it.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import httpx

from etl.settings import endpoint

log = logging.getLogger(__name__)

#: The longest body text kept with a failure (for a quarantine row once retries run out).
BODY_LIMIT = 65536
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def scrub(text: str) -> str:
    """`text` with every URL in it cut to scheme://host[:port] (library messages may quote one)."""
    return _URL.sub(lambda m: endpoint(m.group(0)), text)


class _EndpointOnly(logging.Filter):
    """httpx logs every request at INFO with its whole URL, user:password, keyed path and query
    included (Airflow's task logs keep INFO): the URL is cut to scheme://host[:port] first."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(endpoint(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


_httpx_log = logging.getLogger("httpx")
if not any(type(f).__name__ == _EndpointOnly.__name__ for f in _httpx_log.filters):
    _httpx_log.addFilter(_EndpointOnly())


# --- errors --------------------------------------------------------------------------------------------


class HttpError(RuntimeError):
    """What the client raises: `endpoint` is scheme://host[:port], `what` the request's label."""

    def __init__(self, endpoint: str, what: str, problem: str) -> None:
        self.endpoint, self.what, self.problem = endpoint, what, problem
        super().__init__(f"{what} at {endpoint}: {problem}")


class TransientError(HttpError):
    """A failure that a later attempt may not meet: a dropped connection, a 429 or 5xx, a bad body."""

    def __init__(
        self,
        endpoint: str,
        what: str,
        problem: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(endpoint, what, problem)
        self.status, self.retry_after = status, retry_after
        #: The text of a body that was not JSON, or not the JSON asked for (else None).
        self.body = body


class _TimedOutBatch(Exception):
    """A JSON-RPC batch's request timed out: the caller sends it again in halves."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class RetriesExhausted(TransientError):
    """The retry budget ran out; `last` is the last attempt's failure, `attempts` how many were made."""

    def __init__(self, last: TransientError, attempts: int, why: str) -> None:
        super().__init__(
            last.endpoint,
            last.what,
            f"{last.problem} ({why})",
            status=last.status,
            retry_after=last.retry_after,
            body=last.body,
        )
        self.last, self.attempts = last, attempts


class HttpStatusError(HttpError):
    """A 4xx answer other than 429: the request is wrong (an unknown id, a refused key); not retried."""

    def __init__(self, endpoint: str, what: str, status: int, reason: str, text: str) -> None:
        self.status, self.text = status, text
        super().__init__(endpoint, what, f"HTTP {status} {reason}: {scrub(text[:200])!r}".strip())


class RpcError(HttpError):
    """The node answered a JSON-RPC error object (its answer, not a failure to retry)."""

    def __init__(self, url: str, method: str, code: int | None, message: str, data: str = "") -> None:
        self.url, self.method, self.code, self.message, self.data = endpoint(url), method, code, message, data
        text = f"{message}: {data}" if data else message
        super().__init__(self.url, method, f"answered error {code}: {text}")

    @property
    def text(self) -> str:
        return f"{self.message} {self.data}".strip()


# --- the shapes of an answer ----------------------------------------------------------------------------


def is_envelope(body: Any) -> bool:
    """A JSON-RPC response object: a JSON object with a `result` or an `error`."""
    return isinstance(body, dict) and ("result" in body or "error" in body)


def is_batch(body: Any) -> bool:
    """A JSON-RPC batch answer (a list of response objects), or one error object for the whole batch."""
    if isinstance(body, list):
        return all(is_envelope(item) for item in body)
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


def _is_error_answer(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


@dataclass(frozen=True)
class Shape:
    """What a body must be to count as an answer: a JSON body of another shape is a transient failure."""

    accepts: Callable[[Any], bool]
    name: str


ANY_JSON = Shape(lambda body: True, "JSON")
JSON_OBJECT = Shape(lambda body: isinstance(body, dict), "a JSON object")
RPC_ENVELOPE = Shape(is_envelope, "a JSON-RPC response")
RPC_BATCH = Shape(is_batch, "a JSON-RPC batch response")


def rpc_result(body: Any, url: str, method: str) -> Any:
    """The `result` of a JSON-RPC response object, or its error as `RpcError`."""
    if not isinstance(body, dict):
        raise RpcError(url, method, None, "not a JSON-RPC response object", str(body)[:200])
    error = body.get("error")
    if error:
        if isinstance(error, dict):
            message, data = str(error.get("message", "")), str(error.get("data") or "")
            raise RpcError(url, method, error.get("code"), message, data)
        raise RpcError(url, method, None, str(error))
    if "result" not in body:
        raise RpcError(url, method, None, "response has neither result nor error")
    return body["result"]


@dataclass(frozen=True)
class RpcAnswer:
    """One call's answer inside a batch: its `result`, or the node's `error` for that call alone."""

    method: str
    params: Any
    result: Any = None
    error: RpcError | None = None

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


# --- retries ----------------------------------------------------------------------------------------------


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header as seconds to wait: delay-seconds, or an HTTP date (a date in the past
    is 0); None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one request.

    The n-th retry waits `backoff_initial * 2**(n-1)` seconds (at most `backoff_max`), less up to
    `jitter` of it at random; never less than the server's `Retry-After`; never more than `max_wait`.
    `attempts` counts the first try; `budget_seconds`, when set, bounds the total waiting.
    """

    attempts: int = 6
    backoff_initial: float = 0.2
    backoff_max: float = 10.0
    jitter: float = 0.5
    max_wait: float = 30.0
    budget_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a retry policy needs at least one attempt, not {self.attempts}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter is a share of the backoff between 0 and 1, not {self.jitter}")

    def backoff(self, retry: int) -> float:
        """The exponential backoff before retry number `retry` (1 for the first), before jitter."""
        return min(self.backoff_max, self.backoff_initial * 2 ** (retry - 1))

    def wait(self, retry: int, retry_after: float | None, draw: Callable[[], float] = random.random) -> float:
        pause = self.backoff(retry) * (1.0 - self.jitter * draw())
        if retry_after is not None:
            pause = max(pause, retry_after)
        return min(pause, self.max_wait)


class _Pace:
    """Requests spaced at least 1/rate seconds apart across threads (None: no client-side limit)."""

    def __init__(self, rate_per_second: float | None, sleep: Callable[[float], None]) -> None:
        if rate_per_second is not None and rate_per_second <= 0:
            raise ValueError(f"a rate limit is a positive number of requests a second, not {rate_per_second}")
        self.interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


# --- the client -------------------------------------------------------------------------------------------


class HttpClient:
    """A keep-alive JSON and JSON-RPC client for one endpoint; thread-safe.

    `client` is the underlying `httpx.Client` (a benchmark may put one serving a simulator in
    process in its place). `requests` counts attempts sent, `retries` the attempts that repeated one.
    """

    def __init__(
        self,
        url: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        max_in_flight: int = 4,
        rate_per_second: float | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
        self.url = url.rstrip("/")
        self.endpoint = endpoint(url)
        self.retry = retry or RetryPolicy()
        self.max_in_flight = max_in_flight
        self.client = httpx.Client(
            timeout=timeout,
            headers=headers,
            transport=transport,
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight),
        )
        self.requests = 0
        self.retries = 0
        self._sleep = sleep
        self._pace = _Pace(rate_per_second, sleep)
        self._in_flight = threading.BoundedSemaphore(max_in_flight)
        self._counts = threading.Lock()
        self._ids = itertools.count(1)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        #: (path, method, params as JSON) -> prefetched answers not taken yet: (batch future, index).
        self._prefetched: dict[tuple[str, str, str], deque[tuple[Future, int]]] = {}
        self.prefetch_hits = 0

    def close(self) -> None:
        self.forget_prefetched()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- JSON over HTTP ------------------------------------------------------------------------------

    def request_json(
        self,
        method: str,
        path: str = "",
        *,
        params: dict | None = None,
        json_body: Any = None,
        shape: Shape = ANY_JSON,
        rpc: bool = False,
        what: str | None = None,
    ) -> Any:
        """The decoded JSON body of `method` on the endpoint plus `path`, after retrying transient
        failures. With `rpc`, a JSON-RPC error object is an answer even with a 4xx or 5xx status
        (CometBFT answers a failed call with HTTP 500 and the error)."""
        what = what or f"{method} {path or '/'}"
        return self._retrying(
            what,
            lambda: self._attempt(
                method, path, what, params=params, json_body=json_body, shape=shape, rpc=rpc
            ),
        )

    def get_json(self, path: str = "", *, params: dict | None = None, shape: Shape = ANY_JSON) -> Any:
        return self.request_json("GET", path, params=params, shape=shape)

    def post_json(self, path: str = "", body: Any = None, *, shape: Shape = ANY_JSON) -> Any:
        return self.request_json("POST", path, json_body=body, shape=shape)

    # --- JSON-RPC 2.0 --------------------------------------------------------------------------------

    def rpc(self, method: str, params: Sequence | dict = (), *, path: str = "") -> Any:
        """The result of one JSON-RPC call (POST), or the node's error as `RpcError`."""
        call_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": call_id, "method": method, "params": _params(params)}
        # The answer to another request (a proxy mixing up connections) is no answer to this one.
        own = Shape(
            lambda body: is_envelope(body) and body.get("id") in (call_id, None),
            f"a JSON-RPC response to call {call_id}",
        )
        body = self.request_json("POST", path, json_body=payload, shape=own, rpc=True, what=method)
        return rpc_result(body, self.url, method)

    def rpc_uri(self, method: str, **params: Any) -> Any:
        """The result of a JSON-RPC call over URI (`GET /method?name=value`, as CometBFT serves it)."""
        query = {k: v for k, v in params.items() if v is not None}
        body = self.request_json("GET", "/" + method, params=query, shape=RPC_ENVELOPE, rpc=True, what=method)
        return rpc_result(body, self.url, method)

    def rpc_batch(
        self, calls: Sequence[tuple[str, Sequence | dict]], *, batch_size: int | None = None, path: str = ""
    ) -> list[RpcAnswer]:
        """One `RpcAnswer` per call, in order: the calls go in batches of `batch_size` (all in one when
        None), up to `max_in_flight` batches at once. A batch the node refuses as a whole (one error
        object) raises `RpcError`; a call it leaves unanswered gets an `RpcError` of its own."""
        calls = list(calls)
        taken = self._take_prefetched(calls, path)
        if taken:
            rest = [call for i, call in enumerate(calls) if i not in taken]
            sent = iter(self.rpc_batch(rest, batch_size=batch_size, path=path) if rest else [])
            return [
                taken[i][0].result()[taken[i][1]] if i in taken else next(sent) for i in range(len(calls))
            ]
        size = batch_size or len(calls) or 1
        pieces = [calls[i : i + size] for i in range(0, len(calls), size)]
        if len(pieces) <= 1:
            return self._batch(pieces[0], path) if pieces else []
        return [
            answer
            for answers in self._workers().map(lambda p: self._batch(p, path), pieces)
            for answer in answers
        ]

    def prefetch(
        self, calls: Sequence[tuple[str, Sequence | dict]], *, batch_size: int | None = None, path: str = ""
    ) -> None:
        """Send `calls` in the background, in batches of `batch_size`; `rpc_batch` takes their answers."""
        calls = list(calls)
        size = batch_size or len(calls) or 1
        for i in range(0, len(calls), size):
            piece = calls[i : i + size]
            future = self._workers().submit(self._batch, piece, path)
            with self._pool_lock:
                for index, (method, params) in enumerate(piece):
                    self._prefetched.setdefault(_call_key(path, method, params), deque()).append(
                        (future, index)
                    )

    def forget_prefetched(self) -> None:
        """Drop the prefetched answers no call has taken (those still in flight finish unread)."""
        with self._pool_lock:
            self._prefetched.clear()

    def _take_prefetched(self, calls: list, path: str) -> dict[int, tuple[Future, int]]:
        if not self._prefetched:
            return {}
        taken = {}
        with self._pool_lock:
            for i, (method, params) in enumerate(calls):
                waiting = self._prefetched.get(_call_key(path, method, params))
                if waiting:
                    taken[i] = waiting.popleft()
                    if not waiting:
                        del self._prefetched[_call_key(path, method, params)]
            self.prefetch_hits += len(taken)
        return taken

    def _workers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.max_in_flight, thread_name_prefix="http")
            return self._pool

    def _batch(self, calls: list[tuple[str, Sequence | dict]], path: str) -> list[RpcAnswer]:
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": _params(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        methods = sorted({m for m, _ in calls})
        what = (
            f"{methods[0]} (batch of {len(calls)})" if len(methods) == 1 else f"a batch of {len(calls)} calls"
        )
        attempt = partial(
            self._attempt, "POST", path, what, params=None, json_body=payload, shape=RPC_BATCH, rpc=True
        )
        try:
            body = self._retrying(what, attempt, split=len(calls) > 1)
        except _TimedOutBatch as timed_out:
            # A busy node that could not answer the batch in time would not answer it whole next time.
            half = len(calls) // 2
            log.warning(
                "%s at %s timed out (%s): sending it again as batches of %d and %d",
                what, self.endpoint, timed_out.problem, half, len(calls) - half,
            )  # fmt: skip
            with self._counts:
                self.retries += 1
            return self._batch(calls[:half], path) + self._batch(calls[half:], path)
        if isinstance(body, dict):  # a node that refuses the batch answers one error object for it
            rpc_result(body, self.url, what)
        by_id: dict[Any, dict] = {}
        for item in body:
            key = item.get("id")
            if isinstance(key, int | str) and not isinstance(key, bool):
                by_id.setdefault(key, item)
        answers = []
        for call_id, (method, params) in zip(ids, calls, strict=True):
            item = by_id.get(call_id)
            if item is None:
                error = RpcError(
                    self.url, method, None, f"the batch answer has no answer to this call (id {call_id})"
                )
                answers.append(RpcAnswer(method, params, error=error))
                continue
            try:
                answers.append(RpcAnswer(method, params, result=rpc_result(item, self.url, method)))
            except RpcError as exc:
                answers.append(RpcAnswer(method, params, error=exc))
        return answers

    # --- one attempt, and the retries around it ------------------------------------------------------

    def _attempt(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict | None,
        json_body: Any,
        shape: Shape,
        rpc: bool,
    ) -> Any:
        self._pace.wait()
        with self._in_flight:
            with self._counts:
                self.requests += 1
            try:
                response = self.client.request(method, self._target(path, params), json=json_body)
            except httpx.TransportError as exc:  # connect and read errors, timeouts, dropped connections
                raise TransientError(
                    self.endpoint, what, f"{type(exc).__name__}: {scrub(str(exc))}"
                ) from None
        status = response.status_code
        unreadable = None
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:  # not JSON (truncated?), or nested past the reader
            body, unreadable = None, f"{type(exc).__name__}: {exc}"
        answer = unreadable is None and rpc and _is_error_answer(body) and shape.accepts(body)
        if status == 429 or (status >= 500 and not answer):
            raise TransientError(
                self.endpoint,
                what,
                f"HTTP {status} {response.reason_phrase}".strip(),
                status=status,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        if status >= 400 and not answer:
            # Not httpx's raise_for_status: its message holds the whole URL, keys included.
            raise HttpStatusError(self.endpoint, what, status, response.reason_phrase, response.text)
        if unreadable is not None:
            raise TransientError(
                self.endpoint,
                what,
                f"HTTP {status} with a body that is not valid JSON, truncated? ({unreadable})",
                status=status,
                body=response.text[:BODY_LIMIT],
            )
        if not shape.accepts(body):
            # A proxy or load balancer in front of a node can answer 200 with a JSON body of its own.
            raise TransientError(
                self.endpoint,
                what,
                f"HTTP {status} with JSON that is not {shape.name}: {scrub(json.dumps(body)[:120])}",
                status=status,
                body=response.text[:BODY_LIMIT],
            )
        return body

    def _target(self, path: str, params: dict | None) -> httpx.URL:
        """The endpoint with `path` appended to its own path and `params` added to its own query (a
        hosted node's key stays where the URL put it)."""
        target = httpx.URL(self.url)
        if path:
            target = target.copy_with(path=target.path.rstrip("/") + path)
        return target.copy_merge_params(params) if params else target

    def _retrying(self, what: str, attempt: Callable[[], Any], *, split: bool = False) -> Any:
        """`attempt()` until it succeeds or the policy gives up; with `split` (a batch that can be
        halved), a read or write timeout raises `_TimedOutBatch` at once instead of a retry."""
        policy = self.retry
        waited = 0.0
        for number in itertools.count(1):
            try:
                return attempt()
            except TransientError as exc:
                if split and exc.problem.startswith(("ReadTimeout", "WriteTimeout")):
                    raise _TimedOutBatch(exc.problem) from None
                if number >= policy.attempts:
                    raise RetriesExhausted(exc, number, f"gave up after {number} attempts") from None
                pause = policy.wait(number, exc.retry_after)
                if policy.budget_seconds is not None and waited + pause > policy.budget_seconds:
                    raise RetriesExhausted(
                        exc,
                        number,
                        f"gave up after {number} attempts: waiting {pause:.2f}s more would pass the retry "
                        f"budget of {policy.budget_seconds:g}s",
                    ) from None
                log.warning(
                    "retrying %s at %s in %.2fs (attempt %d of %d failed): %s",
                    what,
                    self.endpoint,
                    pause,
                    number,
                    policy.attempts,
                    exc.problem,
                )
                with self._counts:
                    self.retries += 1
                self._sleep(pause)
                waited += pause
        raise AssertionError("unreachable")  # pragma: no cover


def _params(params: Sequence | dict) -> list | dict:
    return dict(params) if isinstance(params, dict) else list(params)


def _call_key(path: str, method: str, params: Sequence | dict) -> tuple[str, str, str]:
    return path, method, json.dumps(_params(params), sort_keys=True, default=str)
