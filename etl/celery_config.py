"""Celery settings of the cluster profile (`[celery] celery_config_options` points here).

Airflow's defaults, plus one import at worker start: `etl.worker_preload`. Airflow forks every task
from the worker's pool process, so what the worker imported once, each task inherits instead of
importing it again (Great Expectations alone takes 6 s of CPU to import; a chunk task is ~2 s of work).
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": [*DEFAULT_CELERY_CONFIG.get("imports", ()), "etl.worker_preload"],
}
