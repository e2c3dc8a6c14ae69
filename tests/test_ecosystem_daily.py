"""`ecosystem_daily` against the same measures computed in Python from the raw events."""

from collections import defaultdict

import pandas as pd
import pytest

from etl.pipeline.chain import ingest_range
from etl.pipeline.market import ingest_coin_window
from etl.sources.cometbft import CometBFTSource
from etl.sources.evm import EvmSource
from etl.sources.subtensor import SubtensorSource
from tests.conftest import DEVNET_NOW
from warehouse import db, metrics
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

DAY = 86400


@pytest.fixture()
def loaded(devnet, coingecko_conn, warehouse_url):
    """About an hour of both chains (with metagraph epochs and a validator-set observation) and quotes."""
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        ingest_range(source, head - 600, head - 300, warehouse_url=warehouse_url)
    for coin in ("bittensor", "sahara-ai"):
        ingest_coin_window(
            coingecko_conn, coin, DEVNET_NOW - 3 * DAY, DEVNET_NOW, warehouse_url=warehouse_url
        )
    comet = CometBFTSource(devnet.endpoints["cometbft"])
    evm = EvmSource(devnet.endpoints["evm"])
    try:
        top = (comet.finalized_head() // 720) * 720
        for source in (comet, evm):
            ingest_range(source, top - 200, top + 1, warehouse_url=warehouse_url)
    finally:
        comet.close()
        evm.close()
    engine = db.make_engine(warehouse_url)
    run_all(engine)
    yield warehouse_url, engine
    engine.dispose()


def _events(url: str, event_type: str) -> pd.DataFrame:
    frame = db.read_sql(
        "SELECT block_time, payload FROM events WHERE event_type = :t ORDER BY block_time",
        {"t": event_type},
        url=url,
    )
    frame["payload"] = frame["payload"].map(
        lambda p: p if isinstance(p, dict) else __import__("json").loads(p)
    )
    return frame


def test_bittensor_day_matches_python_metrics(loaded):
    url, _ = loaded
    rows = db.read_sql("SELECT * FROM ecosystem_daily WHERE chain = 'bittensor'", url=url)
    assert len(rows) == 1
    row = rows.iloc[0]
    neurons = _events(url, "SubtensorModule.NeuronObserved")
    rewards: dict = defaultdict(float)
    latest: dict = {}
    for p in neurons["payload"]:
        key = (p["netuid"], p["hotkey"])
        rewards[key] += int(p["emission"]) / 1e9
        latest[key] = p
    stakes = [int(p["stake"]) / 1e9 for p in latest.values() if p["validator_permit"]]
    assert row["participants"] == len(rewards) > 10
    assert row["participants_earning"] == sum(1 for r in rewards.values() if r > 0)
    assert row["gini"] == pytest.approx(metrics.gini(list(rewards.values())), abs=1e-9)
    assert row["top10_share"] == pytest.approx(metrics.top_share(list(rewards.values())), abs=1e-9)
    assert row["nakamoto"] == metrics.nakamoto_coefficient(stakes)
    assert row["validators"] == len(stakes)
    assert row["units_active"] == len({p["netuid"] for p in neurons["payload"]})
    assert row["rewards_tokens"] == pytest.approx(sum(rewards.values()))
    assert row["price_usd"] > 0 and row["rewards_usd"] == pytest.approx(
        row["rewards_tokens"] * row["price_usd"]
    )
    assert 0 < row["supply_cap_share"] < 1


def test_sahara_day_matches_python_metrics(loaded):
    url, _ = loaded
    rows = db.read_sql("SELECT * FROM ecosystem_daily WHERE chain = 'sahara'", url=url)
    assert len(rows) >= 1
    row = rows.sort_values("day").iloc[-1]
    day = pd.Timestamp(row["day"])
    rewards: dict = defaultdict(float)
    for t, p in _events(url, "DataServices.AnnotationSubmitted").itertuples(index=False):
        if t.normalize() == day:
            rewards[p["contributor"]] += 0.0
    for t, p in _events(url, "DataServices.RewardPaid").itertuples(index=False):
        if t.normalize() == day:
            rewards[p["contributor"]] += int(p["amount"]) / 1e18
    assert row["participants"] == len(rewards) > 0
    assert row["gini"] == pytest.approx(metrics.gini(list(rewards.values())), abs=1e-9)
    assert row["share_earning"] == pytest.approx(metrics.share_earning(list(rewards.values())))
    powers = {}
    for t, p in _events(url, "staking.ValidatorObserved").itertuples(index=False):
        if t.normalize() == day:
            powers[p["address"]] = float(p["voting_power"])
    assert row["validators"] == len(powers) > 0
    assert row["nakamoto"] == metrics.nakamoto_coefficient(list(powers.values()))
    assert 0 < row["staking_ratio"] < 1


def test_incremental_equals_rebuild(loaded):
    _, engine = loaded
    before = table_checksum(engine, "ecosystem_daily")
    rebuild(engine)
    assert table_checksum(engine, "ecosystem_daily") == before
