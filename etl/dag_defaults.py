"""Task defaults shared by every DAG: one owner, retries with backoff, the delay from settings.

`DECAI_RETRY_DELAY_SECONDS` (default 60) sets the first retry delay; tests and local backfills set it
low so that a failing task fails fast instead of waiting minutes between attempts.
"""

from __future__ import annotations

import os
from datetime import timedelta

OWNER = "decai-data"


def default_args(retries: int = 3) -> dict:
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(seconds=float(os.environ.get("DECAI_RETRY_DELAY_SECONDS", "60"))),
        "retry_exponential_backoff": True,
    }
