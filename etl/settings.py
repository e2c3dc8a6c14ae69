"""One home for configuration: environment variables with defaults that run the embedded setup."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def gx_dir() -> Path:
    """The Great Expectations home (suites, checkpoints, the Data Docs site): `DECAI_GX_DIR`, else `gx/`."""
    return Path(os.environ.get("DECAI_GX_DIR") or PROJECT_ROOT / "gx")


def contracts_file() -> Path:
    """The EVM contract registry (networks, addresses, ABIs): `DECAI_CONTRACTS_FILE`, else `etl/contracts.toml`."""
    return Path(os.environ.get("DECAI_CONTRACTS_FILE") or PROJECT_ROOT / "etl" / "contracts.toml")


DEFAULT_WAREHOUSE_URL = "duckdb:///data/warehouse.duckdb"
DEFAULT_DEVNET_HOST = "127.0.0.1"
DEFAULT_DEVNET_PORT = 18545
#: The PostgreSQL login that `decai sql` and the dashboard read through (`decai migrate` creates it).
DEFAULT_READER_ROLE = "decai_reader"


@dataclass(frozen=True)
class Settings:
    warehouse_url: str
    devnet_host: str
    devnet_port: int
    devnet_seed: int
    quarantine_max_share: float
    #: WAREHOUSE_READ_URL; unset, reads derive it from WAREHOUSE_URL (same host and database, reader login).
    warehouse_read_url: str | None = None
    reader_role: str = DEFAULT_READER_ROLE
    reader_password: str | None = None

    @property
    def devnet_base_url(self) -> str:
        return f"http://{self.devnet_host}:{self.devnet_port}"

    @property
    def devnet_coingecko_url(self) -> str:
        return f"{self.devnet_base_url}/api/v3"


def get_settings() -> Settings:
    """Read settings from the environment each call, so tests and CLI flags can change them."""
    return Settings(
        warehouse_url=os.environ.get("WAREHOUSE_URL", DEFAULT_WAREHOUSE_URL),
        devnet_host=os.environ.get("DECAI_DEVNET_HOST", DEFAULT_DEVNET_HOST),
        devnet_port=int(os.environ.get("DECAI_DEVNET_PORT", DEFAULT_DEVNET_PORT)),
        devnet_seed=int(os.environ.get("DECAI_DEVNET_SEED", "7")),
        quarantine_max_share=float(os.environ.get("DECAI_QUARANTINE_MAX_SHARE", "0.5")),
        warehouse_read_url=os.environ.get("WAREHOUSE_READ_URL") or None,
        reader_role=_reader_role(),
        reader_password=_reader_password(),
    )


def _reader_role() -> str:
    """The reader login: the user of WAREHOUSE_READ_URL when that is set, else DECAI_READER_ROLE."""
    read_url = os.environ.get("WAREHOUSE_READ_URL")
    if read_url:
        from sqlalchemy.engine import make_url

        user = make_url(read_url).username
        if user:
            return user
    return os.environ.get("DECAI_READER_ROLE") or DEFAULT_READER_ROLE


def _reader_password() -> str | None:
    read_url = os.environ.get("WAREHOUSE_READ_URL")
    if read_url:
        from sqlalchemy.engine import make_url

        password = make_url(read_url).password
        if password:
            return password
    return os.environ.get("DECAI_READER_PASSWORD") or None


# --- secrets: never printed -------------------------------------------------------------------------


def redact_url(url: str | None) -> str:
    """`url` with its password (and any password or token in its query) shown as `***`."""
    if not url:
        return str(url)
    from urllib.parse import parse_qsl, urlencode

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return endpoint(url)
    query = {k: ("***" if _secret_key(k) else v) for k, v in parsed.query.items()}
    rendered = parsed.set(query=query).render_as_string(hide_password=True)
    if "?" in rendered and query != dict(parsed.query):
        base, _, _ = rendered.partition("?")
        rendered = base + "?" + urlencode(list(parse_qsl(rendered.partition("?")[2])), safe="*")
    return rendered


def redact_url_text(text: str) -> str:
    """`text` with the password of every URL in it hidden (driver errors may quote a connection URL)."""
    return re.sub(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", lambda m: redact_url(m.group(0)), text)


def _secret_key(key: str) -> bool:
    return any(word in key.lower() for word in ("password", "secret", "token", "key", "auth"))


def endpoint(url: str | None) -> str:
    """An RPC or HTTP endpoint as `scheme://host[:port]` only: no user, password, path or query (an
    API key often sits in the path of a hosted node's URL)."""
    from urllib.parse import urlsplit

    if not url:
        return str(url)
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}" if parts.scheme else "<URL without a scheme>"


def mask_secret(secret: str | None) -> None:
    """Register `secret` with Airflow's secret masker (task logs show `***` instead), in its raw and its
    URL-encoded forms, since URLs carry passwords and tokens encoded."""
    if not secret or "airflow" not in sys.modules:
        return  # outside Airflow (the CLI's own output), nothing collects task logs to mask
    from urllib.parse import quote, quote_plus

    try:
        from airflow.sdk.log import mask_secret as airflow_mask
    except ImportError:  # Airflow absent: nothing collects task logs to mask
        return
    for form in {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}:
        airflow_mask(form)


def mask_url_secrets(url: str | None) -> None:
    """Register the password, user-info and query tokens of `url` (a connection's or node's URL) with
    the masker; the path segments of a hosted node URL that look like keys too."""
    if not url:
        return
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(str(url))
    except ValueError:
        return
    if parts.password:
        mask_secret(unquote(parts.password))
    for key, value in parse_qsl(parts.query):
        if _secret_key(key) or len(value) >= 12:
            mask_secret(value)
    for segment in parts.path.split("/"):
        if len(segment) >= 16 and re.search(r"\d", segment) and re.search(r"[A-Za-z]", segment):
            mask_secret(unquote(segment))
