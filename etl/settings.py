"""One home for configuration: environment variables with defaults that run the embedded setup."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_WAREHOUSE_URL = "duckdb:///data/warehouse.duckdb"
DEFAULT_DEVNET_HOST = "127.0.0.1"
DEFAULT_DEVNET_PORT = 18545


@dataclass(frozen=True)
class Settings:
    warehouse_url: str
    devnet_host: str
    devnet_port: int
    devnet_seed: int
    quarantine_max_share: float

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
    )
