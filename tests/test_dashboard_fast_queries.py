"""Dashboard reads rewritten for a 10M-event warehouse give the answers of the queries they replaced.

- The comparison page's Lorenz curves sum one row per (chain, day, member) of `ecosystem_day_members`
  (migration 0011) instead of every metagraph observation in the range and the `annotations` mart.
- The as-of metagraph reads (incentives of a subnet's miners, validator stakes) find each key's last
  block first and then read only the rows at those blocks, instead of numbering every observation of
  the lookback slice.

The replaced queries are kept here as the reference. The warehouse spans two UTC days of both chains
(devnet), loaded in two runs so that a day's members are folded twice, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboards import queries
from dashboards.pages import compare
from dashboards.state import View
from warehouse import asof, db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

#: What the Lorenz curves summed before migration 0011: the typed layers.
TYPED_LAYER_REWARDS = {
    # Each epoch's alpha in TAO at the subnet's pool at the epoch block (root's is TAO already).
    "bittensor": """
        SELECT CAST(s.netuid AS VARCHAR) || ':' || s.hotkey AS participant,
               SUM(CAST(s.emission_rao AS DOUBLE PRECISION) * CASE WHEN s.netuid = 0 THEN 1.0
                   ELSE CAST(b.subnet_tao_rao AS DOUBLE PRECISION) / CAST(b.subnet_alpha_in_rao AS DOUBLE PRECISION)
                   END) / 1e9 AS reward
        FROM stg_bittensor_neurons s
        LEFT JOIN stg_bittensor_subnet_blocks b ON b.netuid = s.netuid AND b.block_number = s.block_number
        WHERE s.validator_permit = FALSE AND s.block_time >= :start AND s.block_time < :end
        GROUP BY s.netuid, s.hotkey
    """,
    "sahara": """
        SELECT contributor AS participant,
               SUM(CASE WHEN paid_at >= :start AND paid_at < :end
                        THEN CAST(reward_wei AS DOUBLE PRECISION) ELSE 0 END) / 1e18 AS reward
        FROM annotations
        WHERE contributor IS NOT NULL
          AND ((submitted_at >= :start AND submitted_at < :end) OR (paid_at >= :start AND paid_at < :end))
        GROUP BY contributor
    """,
}

#: The as-of reads before: the last observation of each key by a window over the lookback slice.
NUMBERED_INCENTIVES = """
    SELECT uid, hotkey, incentive FROM (
        SELECT uid, hotkey, incentive, validator_permit,
               ROW_NUMBER() OVER (PARTITION BY uid ORDER BY block_number DESC, event_id DESC) AS rn
        FROM stg_bittensor_neurons
        WHERE netuid = :netuid AND block_time < :as_of AND block_time >= :since
    ) t
    WHERE rn = 1 AND validator_permit = FALSE
    ORDER BY incentive DESC, uid
"""
NUMBERED_STAKES = """
    SELECT CAST(t.netuid AS VARCHAR) || ':' || t.hotkey AS validator_id, t.netuid, t.hotkey AS address,
           CAST(t.stake_rao AS DOUBLE PRECISION) / 1e9 AS stake_alpha,
           CAST(t.stake_rao AS DOUBLE PRECISION) / 1e9 * CASE WHEN t.netuid = 0 THEN 1.0
                ELSE CAST(p.subnet_tao_rao AS DOUBLE PRECISION) / CAST(p.subnet_alpha_in_rao AS DOUBLE PRECISION) END
               AS stake_tao,
           t.dividends, t.validator_trust
    FROM (
        SELECT s.*, ROW_NUMBER() OVER (PARTITION BY netuid, uid ORDER BY block_number DESC, event_id DESC) AS rn
        FROM stg_bittensor_neurons s
        WHERE block_time < :as_of AND block_time >= :since{subnet}
    ) t
    LEFT JOIN bittensor_epoch_prices p ON p.netuid = t.netuid AND p.block_number = t.block_number
    WHERE rn = 1 AND validator_permit = TRUE
    ORDER BY stake_tao DESC NULLS LAST, validator_id
"""

#: (first day, last day) of each compared range; the devnet data lies on 2026-01-14 and 2026-01-15.
RANGES = [
    (date(2026, 1, 14), date(2026, 1, 14)),
    (date(2026, 1, 15), date(2026, 1, 15)),
    (date(2026, 1, 14), date(2026, 1, 15)),
    (date(2026, 1, 1), date(2026, 1, 31)),
    (date(2026, 1, 16), date(2026, 1, 20)),
]
MIDNIGHT = datetime(2026, 1, 15, tzinfo=UTC)
#: As-of moments: before any data, across the Bittensor observations, after them.
MOMENTS = [
    datetime(2026, 1, 14, 12),
    datetime(2026, 1, 15),
    datetime(2026, 1, 15, 0, 50),
    datetime(2026, 1, 16),
]


def _load(devnet, url: str) -> None:
    """Both chains across midnight of 2026-01-15 in two runs, each day's members folded in both:
    Bittensor's metagraph epochs from 40 minutes before to 90 minutes after midnight, and a day of
    Sahara's EVM logs (submissions, reviews, payments) up to noon."""
    from devnet.subtensor.chain import GENESIS
    from etl.pipeline.chain import ingest_range
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource
    from etl.sources.subtensor import SubtensorSource

    midnight_block = (int(MIDNIGHT.timestamp()) - GENESIS) // 12
    comet, evm = CometBFTSource(devnet.endpoints["cometbft"]), EvmSource(devnet.endpoints["evm"])
    top = (comet.finalized_head() // 720) * 720
    comet.close()
    bittensor = [(midnight_block - 200, midnight_block + 150), (midnight_block + 150, midnight_block + 450)]
    sahara = [(top - 17_280, top - 12_000), (top - 12_000, top - 200)]
    engine = db.make_engine(url)
    try:
        with SubtensorSource(devnet.endpoints["subtensor"]) as subtensor:
            for (bt_start, bt_end), (sa_start, sa_end) in zip(bittensor, sahara, strict=True):
                ingest_range(subtensor, bt_start, bt_end, warehouse_url=url)
                ingest_range(evm, sa_start, sa_end, warehouse_url=url)
                run_all(engine)
    finally:
        evm.close()
        engine.dispose()


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def loaded(request, tmp_path_factory, devnet):
    from tests.conftest import fresh_warehouse

    with fresh_warehouse(request.param, tmp_path_factory.mktemp("fast-queries")) as url:
        _load(devnet, url)
        yield url


def _typed_layers(url: str, chain: str, view: View) -> pd.DataFrame:
    frame = db.read_sql(TYPED_LAYER_REWARDS[chain], {"start": view.start_at, "end": view.end_at}, url=url)
    return frame.assign(chain=chain)


def _assert_same_rewards(url: str) -> None:
    for first, last in RANGES:
        view = View(first, last, None)
        shown = compare.rewards_frame(url, view).sort_values(["chain", "participant"], ignore_index=True)
        expected = pd.concat([_typed_layers(url, chain, view) for chain in view.chains()], ignore_index=True)
        expected = expected.sort_values(["chain", "participant"], ignore_index=True)
        assert (
            shown[["chain", "participant"]].values.tolist()
            == expected[["chain", "participant"]].values.tolist()
        )
        # The warehouse rounds each epoch's TAO down to the rao: at most a rao per epoch apart.
        assert shown["reward"].tolist() == pytest.approx(expected["reward"].tolist(), rel=1e-9, abs=1e-7)


def test_lorenz_rewards_match_the_typed_layers_for_every_range(loaded):
    both_days = compare.rewards_frame(loaded, View(date(2026, 1, 14), date(2026, 1, 15), None))
    for chain in ("bittensor", "sahara"):
        rewards = both_days.loc[both_days["chain"] == chain, "reward"]
        assert len(rewards) > 10 and (rewards > 0).any() and (rewards == 0).any(), chain
        for day in (date(2026, 1, 14), date(2026, 1, 15)):
            assert not _typed_layers(loaded, chain, View(day, day, None)).empty, (chain, day)
    _assert_same_rewards(loaded)


def test_as_of_reads_match_the_numbered_ones_and_the_rebuilt_metagraph(loaded):
    subnets = queries.miner_subnets(loaded)
    assert len(subnets) >= 3
    shown_any = False
    for moment in MOMENTS:
        window = {"as_of": moment, "since": moment - queries.METAGRAPH_LOOKBACK}
        stakes = queries.bittensor_validator_stakes(loaded, as_of=moment)
        expected = db.read_sql(NUMBERED_STAKES.format(subnet=""), window, url=loaded)
        pd.testing.assert_frame_equal(stakes, expected, check_dtype=False)
        # The incentives are the metagraph's (one row per UID; `warehouse.asof` counts events up to the
        # moment, the dashboard those strictly before it).
        metagraph = asof.metagraph_as_of(loaded, moment - timedelta(microseconds=1))
        for netuid in subnets:
            one = queries.bittensor_validator_stakes(loaded, netuid, moment)
            subnet = " AND netuid = :netuid"
            expected = db.read_sql(
                NUMBERED_STAKES.format(subnet=subnet), {**window, "netuid": netuid}, url=loaded
            )
            pd.testing.assert_frame_equal(one, expected, check_dtype=False)
            incentives = queries.miner_incentives(loaded, netuid, moment)
            expected = db.read_sql(NUMBERED_INCENTIVES, {**window, "netuid": netuid}, url=loaded)
            pd.testing.assert_frame_equal(incentives, expected, check_dtype=False)
            miners = metagraph[(metagraph["netuid"] == netuid) & ~metagraph["validator_permit"].astype(bool)]
            assert sorted(incentives["uid"]) == sorted(miners["uid"])
            validators = metagraph[
                (metagraph["netuid"] == netuid) & metagraph["validator_permit"].astype(bool)
            ]
            assert sorted(one["address"]) == sorted(validators["hotkey"])
            assert sorted(one["stake_alpha"]) == pytest.approx(
                sorted(validators["stake_rao"].astype(float) / 1e9)
            )
            shown_any = shown_any or not incentives.empty
    assert shown_any


def test_folded_day_members_equal_a_replay_also_after_migration_0011_is_redone(loaded):
    engine = db.make_engine(loaded)
    folded = table_checksum(engine, "ecosystem_day_members")
    rebuild(engine, ["ecosystem_daily"])
    assert table_checksum(engine, "ecosystem_day_members") == folded

    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", loaded.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    command.downgrade(config, "0010")
    command.upgrade(config, "head")
    (run,) = [r for r in run_all(engine) if r["projection"] == "ecosystem_daily"]
    assert run["full"] and run["from_seq"] == 0
    assert table_checksum(engine, "ecosystem_day_members") == folded
    engine.dispose()
    _assert_same_rewards(loaded)
