"""Imported once by each Celery worker at start (see `etl.celery_config`), so that the tasks forked
from it start with the heavy libraries already loaded: Great Expectations, pandas, the decoders."""

from __future__ import annotations

import great_expectations  # noqa: F401
import pandas  # noqa: F401

import etl.sources.cometbft  # noqa: F401
import etl.sources.evm  # noqa: F401
import etl.sources.subtensor  # noqa: F401
import etl.validate.chain_events  # noqa: F401
import etl.validate.gx  # noqa: F401
import etl.validate.quotes  # noqa: F401
import warehouse.store  # noqa: F401
