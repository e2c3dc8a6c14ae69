"""Endpoints of the outside networks, from Airflow connections, with the local devnet as the default.

Production sets the connection (UI, `airflow connections add`, or an environment variable such as
`AIRFLOW_CONN_COINGECKO='{"conn_type": "http", "host": "https://api.coingecko.com/api/v3",
"password": "<demo key>"}'`); without one, connectors talk to the devnet on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

from etl.settings import get_settings, mask_secret, mask_url_secrets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoinGeckoConnection:
    base_url: str
    api_key: str | None = None
    key_header: str = "x-cg-demo-api-key"


def _base_url(host: str, port: int | None, schema: str | None, extra: dict) -> str:
    if "://" in host:
        return host.rstrip("/")
    url = f"{extra.get('scheme', 'https')}://{host}"
    if port:
        url += f":{port}"
    if schema:
        url += "/" + schema.strip("/")
    return url


def _mask_connection(conn) -> None:
    """Hide the connection's password, API key and URL tokens in task logs (raw and URL-encoded)."""
    mask_secret(conn.password)
    mask_url_secrets(conn.host)
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else json.loads(conn.extra or "{}")
    for key, value in extra.items():
        if isinstance(value, str) and any(w in key.lower() for w in ("key", "token", "secret", "password")):
            mask_secret(value)


def mask_warehouse_secrets() -> None:
    """Hide the warehouse passwords (WAREHOUSE_URL, WAREHOUSE_READ_URL) in task logs."""
    settings = get_settings()
    for url in (settings.warehouse_url, settings.warehouse_read_url):
        mask_url_secrets(url)
    mask_secret(settings.reader_password)


def coingecko_connection() -> CoinGeckoConnection:
    """The `coingecko` Airflow connection, or the devnet's market feed when none is defined."""
    conn = None
    if os.environ.get("AIRFLOW_CONN_COINGECKO") or os.environ.get("AIRFLOW_HOME"):
        try:
            from airflow.sdk import BaseHook

            conn = BaseHook.get_connection("coingecko")
        except Exception as exc:  # noqa: BLE001 - any lookup failure means "not configured"
            log.info("no `coingecko` connection (%s); using the devnet", type(exc).__name__)
    if conn is None or not conn.host:
        return CoinGeckoConnection(base_url=get_settings().devnet_coingecko_url)
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else json.loads(conn.extra or "{}")
    _mask_connection(conn)
    return CoinGeckoConnection(
        base_url=_base_url(conn.host, conn.port, conn.schema, extra),
        api_key=conn.password or None,
        key_header=extra.get("key_header", "x-cg-demo-api-key"),
    )


#: Where each connection points when it is not defined: the devnet's mount for that protocol.
DEVNET_PATHS = {
    "coingecko": "/api/v3",
    "bittensor_rpc": "/subtensor",
    "bittensor_rpc_ws": "/subtensor/ws",
    "sahara_cometbft": "/cometbft",
    "sahara_evm": "/evm",
}


def rpc_url(conn_id: str) -> str:
    """Base URL of an RPC connection (`bittensor_rpc`, `sahara_cometbft`, `sahara_evm`), else the devnet's.

    Set one with e.g. `AIRFLOW_CONN_SAHARA_EVM='{"conn_type": "http", "host": "https://rpc.example/evm"}'`.
    For `bittensor_rpc` a `ws://`/`wss://` host is the WebSocket endpoint; `rpc_url("bittensor_rpc_ws")`
    answers it (derived from an http host when only that is set).
    """
    lookup = "bittensor_rpc" if conn_id == "bittensor_rpc_ws" else conn_id
    conn = None
    if os.environ.get(f"AIRFLOW_CONN_{lookup.upper()}") or os.environ.get("AIRFLOW_HOME"):
        try:
            from airflow.sdk import BaseHook

            conn = BaseHook.get_connection(lookup)
        except Exception as exc:  # noqa: BLE001 - any lookup failure means "not configured"
            log.info("no `%s` connection (%s); using the devnet", lookup, type(exc).__name__)
    if conn is None or not conn.host:
        settings = get_settings()
        base = settings.devnet_base_url
        if conn_id == "bittensor_rpc_ws":
            base = base.replace("http://", "ws://", 1)
        return base + DEVNET_PATHS[conn_id]
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else json.loads(conn.extra or "{}")
    _mask_connection(conn)
    url = _base_url(conn.host, conn.port, conn.schema, extra)
    if conn_id == "bittensor_rpc_ws" and url.startswith("http"):
        url = "ws" + url[len("http") :]
    if conn_id == "bittensor_rpc" and url.startswith("ws"):
        url = "http" + url[len("ws") :]
    return url


def points_at_devnet(url: str) -> bool:
    settings = get_settings()
    return url.split("://", 1)[-1].startswith(f"{settings.devnet_host}:{settings.devnet_port}")
