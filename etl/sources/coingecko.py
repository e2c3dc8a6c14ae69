"""CoinGecko API v3 connector: `/coins/{id}/market_chart/range` for the coins this product compares.

Retries with exponential backoff on HTTP 429, 5xx, timeouts and bodies that are not valid JSON
(a truncated transfer), honouring `Retry-After`. Long ranges are split into requests of at most 90
days, the longest range the API still answers hourly. A request for [start, end) asks for
`from=start&to=end-1`, because the API's bounds are inclusive and `end` belongs to the next interval.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from etl.events import FetchResult, RawQuote, UnreadableChunk

log = logging.getLogger(__name__)

COIN_IDS = {"bittensor": "bittensor", "sahara": "sahara-ai"}
MAX_RANGE_SECONDS = 90 * 86400
DEMO_KEY_HEADER = "x-cg-demo-api-key"
RAW_BODY_LIMIT = 65536


class CoinGeckoError(RuntimeError):
    """The API refused a request in a way retrying cannot fix, or kept failing past the retry budget."""


class RetryableResponse(Exception):
    def __init__(self, message: str, retry_after: float | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        #: The text of a body that did not parse, kept for the quarantine if retries run out.
        self.body = body


def split_range(start: int, end: int, max_span: int = MAX_RANGE_SECONDS) -> list[tuple[int, int]]:
    """Half-open [start, end) cut into consecutive pieces of at most `max_span` seconds."""
    if end <= start:
        raise ValueError(f"empty range: start {start} is not before end {end}")
    pieces = []
    lo = start
    while lo < end:
        hi = min(lo + max_span, end)
        pieces.append((lo, hi))
        lo = hi
    return pieces


def _wait(initial: float, maximum: float) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        backoff = min(maximum, initial * 2 ** (state.attempt_number - 1))
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return max(backoff, retry_after or 0.0)

    return wait


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableResponse | httpx.TransportError)


def _rows_from_body(coin_id: str, body: dict) -> list[RawQuote]:
    """Join the three series by timestamp into one row per observation.

    The k-th point at a timestamp in one series pairs with the k-th point at that timestamp in the
    others, so a repeated observation stays a row of its own; a value missing from a series stays
    None and a malformed point keeps its raw value. Validation decides what becomes of each row.
    """
    rows: dict[tuple[str, int], dict[str, object]] = {}
    for name in ("prices", "market_caps", "total_volumes"):
        points = body.get(name)
        if not isinstance(points, list):
            raise ValueError(f"field {name!r} is missing or not a list")
        seen: dict[str, int] = {}
        for point in points:
            if isinstance(point, list) and len(point) == 2:
                ts, value = point
            else:
                ts, value = None, point
            key = json.dumps(ts)
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            rows.setdefault((key, occurrence), {"ts": ts})[name] = value
    return [
        RawQuote(coin_id, row["ts"], row.get("prices"), row.get("market_caps"), row.get("total_volumes"))
        for row in rows.values()
    ]


class CoinGeckoClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        key_header: str = DEMO_KEY_HEADER,
        timeout: float = 30.0,
        max_attempts: int = 8,
        backoff_initial: float = 0.5,
        backoff_max: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"accept": "application/json", "user-agent": "decai-compare/0.1"}
        if api_key:
            headers[key_header] = api_key
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )
        self.max_attempts = max_attempts
        self._wait = _wait(backoff_initial, backoff_max)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CoinGeckoClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _get_once(self, path: str, params: dict) -> dict:
        response = self._client.get(path, params=params)
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after")
            raise RetryableResponse(
                f"HTTP {response.status_code} from {path}",
                float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None,
            )
        if response.status_code >= 400:
            raise CoinGeckoError(
                f"coingecko {path} {params}: HTTP {response.status_code} {response.text[:200]!r}; "
                "check the coin id, the API key and the base URL of the `coingecko` connection"
            )
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than the reader goes
            raise RetryableResponse(
                f"body of {path} is not valid JSON ({exc})", body=response.text[:RAW_BODY_LIMIT]
            ) from exc
        if not isinstance(body, dict):
            raise RetryableResponse(
                f"body of {path} is JSON but not an object", body=response.text[:RAW_BODY_LIMIT]
            )
        return body

    def market_chart_range(
        self, coin_id: str, start: int, end: int, result: FetchResult | None = None
    ) -> FetchResult:
        """All quotes in [start, end), one request per 90-day piece, retried as the API asks."""
        result = result or FetchResult(coin_id, start, end)
        path = f"/coins/{coin_id}/market_chart/range"
        for lo, hi in split_range(start, end):
            params = {"vs_currency": "usd", "from": lo, "to": hi - 1}
            try:
                for attempt in Retrying(
                    retry=retry_if_exception(_retryable),
                    stop=stop_after_attempt(self.max_attempts),
                    wait=self._wait,
                    reraise=True,
                    before_sleep=lambda s: log.warning(
                        "coingecko %s retry %d after %s", path, s.attempt_number, s.outcome.exception()
                    ),
                ):
                    with attempt:
                        result.requests += 1
                        if attempt.retry_state.attempt_number > 1:
                            result.retries += 1
                        body = self._get_once(path, params)
                result.quotes.extend(_rows_from_body(coin_id, body))
            except RetryableResponse as exc:
                if exc.body is None:
                    raise CoinGeckoError(
                        f"coingecko {path} from={lo} to={hi - 1}: {exc} after {self.max_attempts} attempts"
                    ) from exc
                result.unreadable.append(UnreadableChunk(coin_id, lo, hi, exc.body, str(exc)))
            except ValueError as exc:
                result.unreadable.append(
                    UnreadableChunk(coin_id, lo, hi, json.dumps(body)[:RAW_BODY_LIMIT], str(exc))
                )
            except httpx.TransportError as exc:
                raise CoinGeckoError(
                    f"coingecko {path} from={lo} to={hi - 1}: {type(exc).__name__} after {self.max_attempts} attempts"
                ) from exc
        return result


def fetch_quotes(client: CoinGeckoClient, coin_id: str, start: int, end: int) -> FetchResult:
    started = time.perf_counter()
    result = client.market_chart_range(coin_id, start, end)
    log.info(
        "coingecko %s [%d, %d): %d quotes, %d unreadable, %d requests in %.2fs",
        coin_id,
        start,
        end,
        len(result.quotes),
        len(result.unreadable),
        result.requests,
        time.perf_counter() - started,
    )
    return result


def read_capture(
    text: str, coin_id: str = "bittensor", start: int | None = None, end: int | None = None
) -> FetchResult:
    """A captured `market_chart/range` body as the connector reads it (quotes not yet validated).

    A body that does not parse is one unreadable chunk; [start, end) defaults to the quotes' span.
    """
    try:
        body = json.loads(text)
        quotes = _rows_from_body(coin_id, body) if isinstance(body, dict) else None
        unreadable = []
        if quotes is None:
            raise ValueError("body is JSON but not an object")
    except (ValueError, RecursionError) as exc:
        quotes, unreadable = (
            [],
            [UnreadableChunk(coin_id, start or 0, end or 0, text[:RAW_BODY_LIMIT], str(exc))],
        )
    stamps = [
        q.ts_ms
        for q in quotes
        if isinstance(q.ts_ms, int | float) and not isinstance(q.ts_ms, bool) and math.isfinite(q.ts_ms)
    ]
    lo = start if start is not None else (int(min(stamps)) // 1000 if stamps else 0)
    hi = end if end is not None else (int(max(stamps)) // 1000 + 1 if stamps else 1)
    return FetchResult(coin_id, lo, hi, quotes=quotes, unreadable=unreadable)
