"""Bittensor projections on real devnet data: stg_bittensor_neurons, miners, validators, subnets.

Two consecutive ingested windows (each holding one epoch of every subnet) projected incrementally
give the same tables as a rebuild, on DuckDB and PostgreSQL; every grain is unique and complete; the
chain's arithmetic holds (incentive and dividends sum to 1 per subnet epoch, the owner takes
SubnetOwnerCut / 65535 of the emission and the UIDs the rest); as-of answers about the past do not move when later blocks arrive.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from warehouse import db
from warehouse.asof import METAGRAPH_AS_OF_SQL, metagraph_as_of, stakes_as_of
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all
from warehouse.provenance import events_behind

#: Two windows below the finalized head (323,998), each with one epoch of every subnet (tempo 360).
WINDOW_A = (323_000, 323_400)
WINDOW_B = (323_400, 323_800)
TABLES = ("stg_bittensor_neurons", "miners", "validators", "subnets")
GRAINS = {
    "stg_bittensor_neurons": ("event_id",),
    "miners": ("netuid", "uid", "hotkey"),
    "validators": ("chain", "validator_id"),
    "subnets": ("netuid",),
}


def _ingest(devnet, url: str, window: tuple[int, int]) -> None:
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        summary = ingest_range(source, *window, warehouse_url=url)
    assert summary["rows_quarantined"] == 0


def _rows(engine, sql: str, params: dict | None = None) -> list:
    with db.connect(engine) as conn:
        return conn.execute(sa.text(sql), params or {}).all()


def _window_end_time(engine, last_block: int) -> datetime:
    return _rows(engine, "SELECT MAX(block_time) FROM events WHERE block_number <= :b", {"b": last_block})[0][
        0
    ]


def _payload(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def built(devnet, tmp_path_factory):
    """A DuckDB warehouse with both windows ingested and the Bittensor projection run after each."""
    url = f"duckdb:///{tmp_path_factory.mktemp('bittensor') / 'warehouse.duckdb'}"
    db.migrate(url)
    engine = db.make_engine(url)
    for window in (WINDOW_A, WINDOW_B):
        _ingest(devnet, url, window)
        run_all(engine, ["bittensor"])
    yield engine
    engine.dispose()


def test_incremental_runs_equal_a_rebuild_and_as_of_keeps_the_past(devnet, warehouse_url):
    engine = db.make_engine(warehouse_url)
    try:
        # A Sahara validator, owned by another projection: nothing here may touch it.
        with db.begin(engine) as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO validators (chain, validator_id, address, voting_power) "
                    "VALUES ('sahara', 'saharavaloper1x', 'saharavaloper1x', 10)"
                )
            )
        _ingest(devnet, warehouse_url, WINDOW_A)
        first = run_all(engine, ["bittensor"])[0]
        end_a = _window_end_time(engine, WINDOW_A[1] - 1)
        metagraph_a = metagraph_as_of(engine, end_a)
        stakes_a = stakes_as_of(engine, end_a)
        # As of the end of window A, the metagraph is what the marts show after projecting window A.
        validators = {
            (netuid, hotkey, event_id)
            for netuid, hotkey, event_id in _rows(
                engine, "SELECT netuid, address, event_id FROM validators WHERE chain = 'bittensor'"
            )
        }
        permitted = metagraph_a[metagraph_a.validator_permit]
        assert validators == set(zip(permitted.netuid, permitted.hotkey, permitted.event_id, strict=True))
        miners = set(_rows(engine, "SELECT netuid, uid, hotkey, event_id FROM miners"))
        others = metagraph_a[~metagraph_a.validator_permit]
        assert set(zip(others.netuid, others.uid, others.hotkey, others.event_id, strict=True)) <= miners

        _ingest(devnet, warehouse_url, WINDOW_B)
        second = run_all(engine, ["bittensor"])[0]
        assert first["events"] > 0 and second["from_seq"] == first["to_seq"] and second["events"] > 0
        incremental = {t: table_checksum(engine, t) for t in TABLES}
        rebuilt = rebuild(engine, ["bittensor"])[0]
        assert rebuilt["full"] and rebuilt["from_seq"] == 0
        assert {t: table_checksum(engine, t) for t in TABLES} == incremental
        counts = {t: n for t, (n, _digest) in incremental.items()}
        assert counts["stg_bittensor_neurons"] > 500 and counts["miners"] > 200
        assert counts["validators"] > 50 and counts["subnets"] >= 6
        assert _rows(engine, "SELECT chain, voting_power FROM validators WHERE chain = 'sahara'") == [
            ("sahara", 10)
        ]

        # Later blocks do not change an answer about the past, and the present has moved on.
        assert metagraph_as_of(engine, end_a).equals(metagraph_a)
        assert stakes_as_of(engine, end_a).equals(stakes_a)
        end_b = _window_end_time(engine, WINDOW_B[1] - 1)
        assert not metagraph_as_of(engine, end_b).equals(metagraph_a)
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", TABLES)
def test_every_grain_is_unique_and_complete(built, table):
    keys = GRAINS[table]
    condition = " OR ".join(f"{k} IS NULL" for k in (*keys, "event_id"))
    assert _rows(built, f"SELECT COUNT(*) FROM {table} WHERE {condition}")[0][0] == 0
    duplicates = _rows(
        built, f"SELECT {', '.join(keys)} FROM {table} GROUP BY {', '.join(keys)} HAVING COUNT(*) > 1"
    )
    assert duplicates == []
    assert _rows(built, f"SELECT COUNT(*) FROM {table}")[0][0] > 0


def test_scores_sum_to_one_per_subnet_epoch(built):
    epochs = _rows(
        built,
        """
        SELECT netuid, block_number, SUM(incentive),
               SUM(CASE WHEN validator_permit THEN dividends ELSE 0 END),
               SUM(CASE WHEN validator_permit THEN 0 ELSE dividends END)
        FROM stg_bittensor_neurons GROUP BY netuid, block_number
        """,
    )
    assert len(epochs) == 12  # six subnets with UIDs, one epoch in each window
    for netuid, block, incentive, dividends, stray in epochs:
        assert abs(incentive - 1) <= 1e-3, (netuid, block)
        assert abs(dividends - 1) <= 1e-3 and stray == 0, (netuid, block)


def test_emission_splits_by_the_owner_cut_where_the_previous_epoch_is_known(built):
    """Epoch emission E = blocks since the previous step x alpha per block (two SubnetObserved);
    miners' pool = IncentiveAlphaEmittedToMiners; UIDs' total = the observed emissions."""
    observed: dict[int, list[tuple[int, int, int]]] = {}
    for block, payload in _rows(
        built, "SELECT block_number, payload FROM events WHERE event_type = 'SubtensorModule.SubnetObserved'"
    ):
        p = _payload(payload)
        observed.setdefault(int(p["netuid"]), []).append(
            (block, int(p["last_step"]), int(p["alpha_out_emission"]))
        )
    miner_pool = {
        (int(_payload(p)["netuid"]), block): sum(_payload(p)["emissions"])
        for block, p in _rows(
            built,
            "SELECT block_number, payload FROM events WHERE event_type = 'SubtensorModule.IncentiveAlphaEmittedToMiners'",
        )
    }
    uid_total = {
        (netuid, block): int(total)
        for netuid, block, total in _rows(
            built, "SELECT netuid, block_number, SUM(emission_rao) FROM stg_bittensor_neurons GROUP BY 1, 2"
        )
    }
    checked = 0
    for netuid, steps in observed.items():
        steps.sort()
        for (_b0, previous_step, _a0), (block, step, alpha_per_block) in zip(steps, steps[1:], strict=False):
            if not alpha_per_block or (netuid, block) not in uid_total:
                continue  # the root network emits no alpha
            emission = (step - previous_step) * alpha_per_block
            miners, uids = miner_pool[(netuid, block)], uid_total[(netuid, block)]
            # The owner's SubnetOwnerCut (11796/65535), then the rest halved: about 41% each.
            assert miners / emission == pytest.approx((1 - 11796 / 65535) / 2, abs=1e-6)
            assert (uids - miners) / emission == pytest.approx((1 - 11796 / 65535) / 2, abs=1e-6)
            assert emission - uids == emission * 11796 // 65535  # SubnetOwnerCut / u16::MAX, to the rao
            checked += 1
    assert checked == 6


def test_miners_follow_registrations_and_hold_no_permit(built):
    registrations = _rows(
        built,
        "SELECT block_number, payload FROM events WHERE event_type = 'SubtensorModule.NeuronRegistered'",
    )
    assert registrations
    for block, payload in registrations:
        p = _payload(payload)
        key = {"n": int(p["netuid"]), "u": int(p["uid"])}
        rows = _rows(
            built,
            "SELECT hotkey, registered_block, deregistered_block, last_observed_block FROM miners "
            "WHERE netuid = :n AND uid = :u",
            key,
        )
        holders = {hotkey: rest for hotkey, *rest in rows}
        assert holders[p["hotkey"]][0] == block  # the newcomer, registered there
        for hotkey, (_registered, deregistered, last_seen) in holders.items():
            if hotkey != p["hotkey"] and last_seen is not None and last_seen < block:
                assert deregistered == block  # the hotkey it displaced
    # Nobody is a miner and a validator at once; `earns` is exactly "emission in the latest epoch".
    assert _rows(
        built,
        "SELECT COUNT(*) FROM miners m JOIN validators v "
        "ON v.chain = 'bittensor' AND v.netuid = m.netuid AND v.address = m.hotkey "
        "AND v.event_id = m.event_id",
    ) == [(0,)]
    assert _rows(
        built,
        "SELECT COUNT(*) FROM miners WHERE observations > 0 AND earns <> (emission_alpha > 0)",
    ) == [(0,)]
    earning, observed = _rows(
        built, "SELECT SUM(CASE WHEN earns THEN 1 ELSE 0 END), COUNT(*) FROM miners WHERE observations > 0"
    )[0]
    assert 0 < earning < observed  # competitive: many UIDs earn nothing


def test_subnets_count_the_latest_epoch_and_share_the_emission(built):
    subnets = _rows(
        built,
        "SELECT netuid, emission_share, miners, validators, price_tao_per_alpha, pool_tao, pool_alpha, owner, "
        "stake_alpha, stake_tao "
        "FROM subnets WHERE removed_at IS NULL ORDER BY netuid",
    )
    assert sum(share for _n, share, *_ in subnets) == pytest.approx(1.0)
    latest_uids = dict(
        _rows(
            built,
            """
            SELECT s.netuid, COUNT(*) FROM stg_bittensor_neurons s
            WHERE s.block_number = (SELECT MAX(block_number) FROM stg_bittensor_neurons x WHERE x.netuid = s.netuid)
            GROUP BY s.netuid
            """,
        )
    )
    for netuid, _share, miners, validators, price, tao_in, alpha_in, owner, stake_alpha, stake_tao in subnets:
        # The stakers' alpha valued at the pool (root: its pool is the TAO staked on root).
        expected = tao_in if netuid == 0 else stake_alpha * tao_in / alpha_in
        assert float(stake_tao) == pytest.approx(float(expected), rel=1e-9)
        assert owner and owner.startswith("5")
        if netuid in latest_uids:
            assert miners + validators == latest_uids[netuid] and validators > 0
            assert price == pytest.approx(float(tao_in / alpha_in), rel=1e-6)


def test_stakes_as_of_plus_the_next_epoch_emission_is_the_next_observed_stake(built):
    """Between epochs only StakeAdded/StakeRemoved move stake; the epoch credits each UID its emission."""
    second_epoch = _rows(
        built,
        "SELECT netuid, uid, hotkey, stake_rao, emission_rao, block_time FROM stg_bittensor_neurons "
        "WHERE block_number >= :b AND uid > 0",  # UID 0, the owner's hotkey, also gets the owner's cut
        {"b": WINDOW_B[0]},
    )
    checked = moved = 0
    for moment in sorted({row[-1] for row in second_epoch}):
        before = stakes_as_of(built, moment - timedelta(seconds=1)).set_index(["netuid", "hotkey"])
        for netuid, _uid, hotkey, stake, emission, _t in (r for r in second_epoch if r[-1] == moment):
            if (netuid, hotkey) in before.index:
                row = before.loc[(netuid, hotkey)]
                assert row.stake_rao + emission == stake, (netuid, hotkey)
                moved += bool(row.added_rao or row.removed_rao)
                checked += 1
    assert checked > 250 and moved > 5


def test_the_sql_form_runs_as_is_and_provenance_reaches_the_events(built):
    with db.connect(built) as conn:
        rows = conn.execute(sa.text(METAGRAPH_AS_OF_SQL), {"as_of": datetime(2030, 1, 1)}).all()
    assert (
        len(rows)
        == _rows(built, "SELECT COUNT(DISTINCT netuid * 1000 + uid) FROM stg_bittensor_neurons")[0][0]
    )

    netuid, uid, hotkey, event_id, observations = _rows(
        built, "SELECT netuid, uid, hotkey, event_id, observations FROM miners WHERE observations = 2 LIMIT 1"
    )[0]
    behind = events_behind(built, "miners", {"netuid": netuid, "uid": uid, "hotkey": hotkey})
    assert event_id in set(behind.event_id)
    assert (behind.event_type == "SubtensorModule.NeuronObserved").sum() == observations
    validator_id, event_id = _rows(built, "SELECT validator_id, event_id FROM validators LIMIT 1")[0]
    assert event_id in set(events_behind(built, "validators", {"validator_id": validator_id}).event_id)
    # A subnet row: its latest SubnetObserved, and the UIDs of its latest epoch it counts.
    subnet = events_behind(built, "subnets", {"netuid": 3})
    ((miners, validators, event_id),) = _rows(
        built, "SELECT miners, validators, event_id FROM subnets WHERE netuid = 3"
    )
    assert subnet.event_type.value_counts().to_dict() == {
        "SubtensorModule.NeuronObserved": miners + validators,
        "SubtensorModule.SubnetObserved": 1,
    }
    assert event_id in set(subnet.event_id)
    with pytest.raises(ValueError, match="keyed by"):
        events_behind(built, "miners", {"netuid": 3})
