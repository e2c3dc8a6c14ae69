"""Run the devnet: in a background thread (tests, `decai backfill`) or in the foreground (`decai devnet`)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import uvicorn

from devnet.app import COINGECKO_PREFIX, create_devnet_app
from devnet.latency import Latency
from devnet.subtensor import DEFAULT_SCALE
from devnet.subtensor import HTTP_PATH as SUBTENSOR_HTTP_PATH
from devnet.subtensor import WS_PATH as SUBTENSOR_WS_PATH


class DevnetServer:
    """The devnet on 127.0.0.1; `port=0` picks a free port. Use as a context manager.

    `latency_ms` holds every protocol request that long, plus a jitter in [0, `latency_jitter_ms`]
    (default a fifth of it) drawn from the seed (`devnet.latency`); `/_devnet/latency` changes it."""

    def __init__(
        self,
        *,
        seed: int = 7,
        port: int = 0,
        host: str = "127.0.0.1",
        now: int | None = None,
        rate_limit_per_minute: int = 30,
        scale: float = DEFAULT_SCALE,
        sahara: dict | None = None,
        latency_ms: float = 0.0,
        latency_jitter_ms: float | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the devnet binds to the loopback interface only")
        self.host = host
        self.app, self.state = create_devnet_app(
            seed=seed,
            now=now,
            rate_limit_per_minute=rate_limit_per_minute,
            scale=scale,
            sahara=sahara,
            latency=Latency(latency_ms, latency_jitter_ms, seed),
        )
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", ws="websockets-sansio"
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "coingecko": self.base_url + COINGECKO_PREFIX,
            "control": self.base_url + "/_devnet",
            "subtensor": self.base_url + SUBTENSOR_HTTP_PATH,
            "subtensor_ws": f"ws://{self.host}:{self.port}" + SUBTENSOR_WS_PATH,
            "cometbft": self.base_url + "/cometbft",
            "evm": self.base_url + "/evm",
        }

    def write_endpoints(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.endpoints, indent=2) + "\n")

    def start(self) -> DevnetServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"devnet did not start on {self.base_url}")
            time.sleep(0.02)
        return self

    def serve_forever(self) -> None:
        self._server.run(sockets=[self._sock])

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> DevnetServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
