"""CoinGecko API v3 connector: `/coins/{id}/market_chart/range` for the coins this product compares.

The shared client (`etl/http.py`) retries HTTP 429, 5xx, timeouts and bodies that are not a valid JSON
object (a truncated transfer) with exponential backoff, honouring `Retry-After`; a body still unreadable
when the retries run out is kept whole for the quarantine. Long ranges are split into requests of at
most 90 days, the longest range the API still answers hourly. A request for [start, end) asks for
`from=start&to=end-1`, because the API's bounds are inclusive and `end` belongs to the next interval.
"""

from __future__ import annotations

import json
import logging
import math
import time

import httpx

from etl.events import FetchResult, RawQuote, UnreadableChunk
from etl.http import JSON_OBJECT, HttpClient, HttpStatusError, RetriesExhausted, RetryPolicy

log = logging.getLogger(__name__)

COIN_IDS = {"bittensor": "bittensor", "sahara": "sahara-ai"}
MAX_RANGE_SECONDS = 90 * 86400
DEMO_KEY_HEADER = "x-cg-demo-api-key"
RAW_BODY_LIMIT = 65536


class CoinGeckoError(RuntimeError):
    """The API refused a request in a way retrying cannot fix, or kept failing past the retry budget."""


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
    """The API at `base_url`; a key goes in `key_header`. `rate_per_second` spaces calls out for a plan
    with a per-minute budget (the API answers 429 with `Retry-After` beyond it, which is honoured too)."""

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
        rate_per_second: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"accept": "application/json", "user-agent": "decai-compare/0.1"}
        if api_key:
            headers[key_header] = api_key
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        # The API's rate limit answers ask for up to a minute; waiting it out beats failing the window.
        retry = RetryPolicy(
            attempts=max_attempts,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            max_wait=max(backoff_max, 120.0),
        )
        self.http = HttpClient(
            self.base_url,
            retry=retry,
            timeout=timeout,
            max_in_flight=1,
            rate_per_second=rate_per_second,
            headers=headers,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CoinGeckoClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _get(self, path: str, params: dict, result: FetchResult) -> dict:
        """The body of one GET, retried as the API asks; the attempts are counted in `result`."""
        requests, retries = self.http.requests, self.http.retries
        try:
            return self.http.get_json(path, params=params, shape=JSON_OBJECT)
        except HttpStatusError as exc:
            raise CoinGeckoError(
                f"coingecko {path} {params}: HTTP {exc.status} {exc.text[:200]!r}; "
                "check the coin id, the API key and the base URL of the `coingecko` connection"
            ) from None
        finally:
            result.requests += self.http.requests - requests
            result.retries += self.http.retries - retries

    def market_chart_range(
        self, coin_id: str, start: int, end: int, result: FetchResult | None = None
    ) -> FetchResult:
        """All quotes in [start, end), one request per 90-day piece, retried as the API asks."""
        result = result or FetchResult(coin_id, start, end)
        path = f"/coins/{coin_id}/market_chart/range"
        for lo, hi in split_range(start, end):
            params = {"vs_currency": "usd", "from": lo, "to": hi - 1}
            try:
                body = self._get(path, params, result)
                result.quotes.extend(_rows_from_body(coin_id, body))
            except RetriesExhausted as exc:
                if exc.body is None:
                    raise CoinGeckoError(
                        f"coingecko {path} from={lo} to={hi - 1}: {exc.last.problem} after {exc.attempts} attempts"
                    ) from None
                # A body that stayed unreadable (truncated, not an object): kept whole for the quarantine.
                result.unreadable.append(
                    UnreadableChunk(coin_id, lo, hi, exc.body, f"body of {path}: {exc.last.problem}")
                )
            except ValueError as exc:
                result.unreadable.append(
                    UnreadableChunk(coin_id, lo, hi, json.dumps(body)[:RAW_BODY_LIMIT], str(exc))
                )
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
