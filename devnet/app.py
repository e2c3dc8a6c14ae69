"""The devnet's HTTP application: one Starlette app, one mount per protocol, fault switches in front."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devnet.faults import FaultPlan, alter, rpc_calls
from devnet.latency import Latency
from devnet.market import COINS, MarketModel
from devnet.sahara import SaharaDevnet
from devnet.subtensor import DEFAULT_SCALE, SubtensorChain, SubtensorRpc, subtensor_routes

COINGECKO_PREFIX = "/api/v3"


@dataclass
class RateLimiter:
    """CoinGecko's per-minute call budget: beyond it, 429 with Retry-After until the minute turns."""

    per_minute: int
    _window: int = -1
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self) -> float | None:
        """None when the call is within budget, else seconds until the budget refills."""
        if self.per_minute <= 0:
            return None
        now = time.time()
        window = int(now // 60)
        with self._lock:
            if window != self._window:
                self._window, self._used = window, 0
            if self._used < self.per_minute:
                self._used += 1
                return None
        return max(0.0, (window + 1) * 60 - now)


@dataclass
class DevnetState:
    seed: int
    now: int | None
    market: MarketModel
    limiter: RateLimiter
    faults: FaultPlan
    latency: Latency = field(default_factory=Latency)
    requests_served: dict[str, int] = field(default_factory=dict)

    def current_time(self) -> int:
        return self.now if self.now is not None else int(time.time())


def _cg_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": message, "status": {"error_code": status, "error_message": message}}, status
    )


async def market_chart_range(request: Request) -> Response:
    state: DevnetState = request.app.state.devnet
    wait = state.limiter.admit()
    if wait is not None:
        return JSONResponse(
            {"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}},
            429,
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    coin_id = request.path_params["coin_id"]
    if coin_id not in COINS:
        return _cg_error(404, "coin not found")
    params = request.query_params
    if params.get("vs_currency", "").lower() != "usd":
        return _cg_error(400, "invalid vs_currency; this devnet quotes usd")
    try:
        start = int(float(params["from"]))
        end = int(float(params["to"]))
    except (KeyError, ValueError):
        return _cg_error(400, "from and to are required UNIX timestamps in seconds")
    body = state.market.market_chart_range(coin_id, start, end, state.current_time())
    return JSONResponse(body)


async def control_faults(request: Request) -> Response:
    state: DevnetState = request.app.state.devnet
    if request.method == "POST":
        spec = await request.json()
        try:
            state.faults.set(spec.get("rules", []), seed=spec.get("seed"))
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
    elif request.method == "DELETE":
        state.faults.clear()
    return JSONResponse({"rules": state.faults.describe()})


async def control_latency(request: Request) -> Response:
    """GET: the latency every protocol request waits; POST `{"ms", "jitter_ms", "seed"}` sets it
    (jitter default: a fifth of ms); DELETE: none."""
    state: DevnetState = request.app.state.devnet
    try:
        if request.method == "POST":
            spec = await request.json()
            state.latency.set(spec.get("ms", 0), spec.get("jitter_ms"), spec.get("seed"))
        elif request.method == "DELETE":
            state.latency.set(0, 0)
    except (TypeError, ValueError, AttributeError) as exc:
        return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse(state.latency.describe())


async def control_stats(request: Request) -> Response:
    state: DevnetState = request.app.state.devnet
    return JSONResponse({"requests_served": state.requests_served, "seed": state.seed, "now": state.now})


class FaultMiddleware:
    """Applies the latency and the fault plan to every protocol route (never to the control routes):
    an HTTP request waits once before it is handled (a JSON-RPC batch is one request), a WebSocket
    connection before each answer it sends."""

    def __init__(self, app, state: DevnetState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith("/_devnet"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, self._delayed_sends(send))
            return
        delay = self.state.latency.draw()
        if delay:
            await asyncio.sleep(delay)
        path = scope["path"]
        self.state.requests_served[path.split("/")[1]] = (
            self.state.requests_served.get(path.split("/")[1], 0) + 1
        )
        calls = None
        if self.state.faults.wants_calls(path):  # rules about JSON-RPC methods read the request first
            body = await _read_body(receive)
            calls = rpc_calls(body)
            receive = _replay(body, receive)
        rules = self.state.faults.take(path, calls)
        for rule in rules:
            if rule.kind == "slow":
                await asyncio.sleep(rule.seconds)
                rule.applied += 1
        for rule in rules:
            if rule.kind == "status":
                headers = {"Retry-After": str(rule.retry_after)} if rule.status == 429 else {}
                response = JSONResponse(
                    {"error": f"injected HTTP {rule.status}"}, rule.status, headers=headers
                )
            elif rule.kind == "replace":
                kind = "application/json" if rule.body.lstrip()[:1] in ("{", "[") else "text/html"
                response = Response(rule.body, rule.status, media_type=kind)
            else:
                continue
            rule.applied += 1
            await response(scope, receive, send)
            return
        body_rules = [r for r in rules if r.kind in ("truncate", "mutate")]
        if not body_rules:
            await self.app(scope, receive, send)
            return
        await self._send_altered(scope, receive, send, body_rules, calls)

    def _delayed_sends(self, send):
        async def delayed(message) -> None:
            if message["type"] == "websocket.send":
                delay = self.state.latency.draw()
                if delay:
                    await asyncio.sleep(delay)
            await send(message)

        return delayed

    async def _send_altered(self, scope, receive, send, rules, calls) -> None:
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = alter(b"".join(chunks), rules, calls)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive):
    """A `receive` that hands the app the request body already read, then defers to the server's."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def create_devnet_app(
    seed: int = 7,
    now: int | None = None,
    rate_limit_per_minute: int = 30,
    scale: float = DEFAULT_SCALE,
    sahara: dict | None = None,
    latency: Latency | None = None,
):
    state = DevnetState(
        seed=seed,
        now=now,
        market=MarketModel(seed),
        limiter=RateLimiter(rate_limit_per_minute),
        faults=FaultPlan(seed=seed),
        latency=latency or Latency(seed=seed),
    )
    routes = [
        Route(COINGECKO_PREFIX + "/coins/{coin_id}/market_chart/range", market_chart_range),
        Route("/_devnet/faults", control_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_devnet/stats", control_stats),
        Route("/_devnet/latency", control_latency, methods=["GET", "POST", "DELETE"]),
        *subtensor_routes(SubtensorRpc(SubtensorChain(seed=seed, scale=scale), state.current_time)),
        *SaharaDevnet.from_options(seed, scale, state.current_time, sahara).routes(),
    ]
    app = Starlette(routes=routes)
    app.state.devnet = state
    return FaultMiddleware(app, state), state
