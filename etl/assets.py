"""Airflow Assets that connect producer DAGs to consumer DAGs (names are what the UI shows)."""

from airflow.sdk import Asset

EVENTS_MARKET = Asset(name="events.market", uri="decai://warehouse/events/market")
EVENTS_BITTENSOR = Asset(name="events.bittensor", uri="decai://warehouse/events/bittensor")
EVENTS_SAHARA = Asset(name="events.sahara", uri="decai://warehouse/events/sahara")
MARKET_CAPS = Asset(name="marts.market_caps", uri="decai://warehouse/marts/market_caps")
WAREHOUSE_MARTS = Asset(name="marts.all", uri="decai://warehouse/marts")
