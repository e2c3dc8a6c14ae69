"""Folding projections: the order and the split of the runs never change a table, and Sahara
delegations are anchored to the bonded tokens the validator set reports, also when the store starts in
the middle of the chain's history (figures computed by hand below).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.test_provenance import EVENTS, HISTORY, SAHARA, A, B, C, append, build
from warehouse import db
from warehouse.asof import bonded_as_of, delegations_as_of
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all
from warehouse.projections.base import _selected


def _tables() -> list[str]:
    """Every table the projections write, the shared `validators` included; not the list of folded ingest
    batches (`chain_days_batches`), whose ids are new in every split of the history."""
    return sorted(({t for p in _selected(None) for t in p.tables} | {"validators"}) - {"chain_days_batches"})


def _checksums(engine) -> dict:
    return {table: table_checksum(engine, table) for table in _tables()}


def _sahara_validators(engine) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT validator_id, voting_power, delegated_base_units, delegated_basis, delegated_since_block, "
                "delegators, delegators_since_block, commission_rate FROM validators WHERE chain = 'sahara'"
            )
        ).all()
    return {
        vid: (power, None if amount is None else int(amount), basis, since, count, count_since, rate)
        for vid, power, amount, basis, since, count, count_since, rate in rows
    }


def test_delegations_are_anchored_when_the_store_starts_mid_history(warehouse_url):
    """The store starts at block 95 with d1 unbonding 5 SAHARA from A, a delegation older than the
    store: a net flow would show A at -5 SAHARA. The set at block 100 says A holds 50 whole SAHARA and
    B 30 (every block below 100 included); flows from block 100 on are added to it."""
    engine = db.make_engine(warehouse_url)
    append(engine, *HISTORY[2])  # blocks 95-120: unbond, set at 100, delegate at 100, redelegate A -> B
    run_all(engine)
    rows = _sahara_validators(engine)
    assert rows == {
        # 50 + 2.5 (d2 at block 100) - 1 (d1 to B at 120); d1's net with A is -6: not a delegator.
        A: (50, 51 * SAHARA + SAHARA // 2, "observed", 100, 1, 95, pytest.approx(0.10)),
        B: (30, 31 * SAHARA, "observed", 100, 1, 95, pytest.approx(0.05)),
    }
    moment = EVENTS["redelegate120"].block_time
    assert {r.validator_id: int(r.bonded_usah) for r in bonded_as_of(engine, moment).itertuples()} == {
        A: 51 * SAHARA + SAHARA // 2,
        B: 31 * SAHARA,
    }
    net = {
        (r.validator, r.delegator): int(r.delegated_usah)
        for r in delegations_as_of(engine, moment).itertuples()
    }
    assert net == {(A, "d1"): -6 * SAHARA, (A, "d2"): 25 * SAHARA // 10, (B, "d1"): SAHARA}
    assert set(delegations_as_of(engine, moment)["since_block"]) == {95}

    append(engine, *HISTORY[3])  # C created at 130 (+3 from d3 at 131), set at 200, d1 unbonds 0.5 from B
    run_all(engine)
    assert _sahara_validators(engine) == {
        # The new set re-anchors A at 51 whole SAHARA: the half it truncates is the stated precision.
        A: (51, 51 * SAHARA, "observed", 200, 1, 95, pytest.approx(0.10)),
        B: (31, 31 * SAHARA - SAHARA // 2, "observed", 200, 1, 95, pytest.approx(0.05)),
        # Created inside the store: exact, self-bond plus flows.
        C: (13, 13 * SAHARA, "created", 130, 1, 95, pytest.approx(0.20)),
    }
    end = EVENTS["unbond210"].block_time + timedelta(seconds=1)
    assert {r.validator_id: int(r.bonded_usah) for r in bonded_as_of(engine, end).itertuples()} == {
        vid: amount for vid, (_p, amount, *_rest) in _sahara_validators(engine).items()
    }
    before = _checksums(engine)
    rebuild(engine)
    assert _checksums(engine) == before
    engine.dispose()


def test_any_order_and_split_of_the_runs_gives_the_same_tables(warehouse_url):
    """In block order, in reverse (every batch a late backfill) and shuffled, projecting after every
    batch, or once at the end: the same tables, equal to a rebuild."""
    engine = db.make_engine(warehouse_url)
    results = []
    for order, project_each in (
        (list(range(len(HISTORY))), True),
        (list(reversed(range(len(HISTORY)))), True),
        ([5, 2, 0, 4, 3, 1], True),
        (list(range(len(HISTORY))), False),
    ):
        with engine.begin() as conn:
            for table in ("events", "ingest_batches", "projection_state"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
        build(warehouse_url, order, project_each=project_each).dispose()
        results.append(_checksums(engine))
        rebuild(engine)
        assert _checksums(engine) == results[-1], order
    assert all(r == results[0] for r in results[1:])
    counts = {t: n for t, (n, _digest) in results[0].items()}
    assert counts["miners"] == 2 and counts["annotations"] == 3 and counts["sahara_delegations"] == 4
    engine.dispose()


def test_a_late_bittensor_window_is_folded_like_a_rebuild(devnet, warehouse_url):
    """Real devnet blocks: the later window first, then the earlier one (a backfill), projected after each."""
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    engine = db.make_engine(warehouse_url)
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        for window in ((323_400, 323_800), (323_000, 323_400), (323_800, 323_900)):
            ingest_range(source, *window, warehouse_url=warehouse_url)
            run_all(engine, ["bittensor"])
    tables = ("stg_bittensor_neurons", "bittensor_holders", "miners", "validators", "subnets")
    incremental = {t: table_checksum(engine, t) for t in tables}
    rebuild(engine, ["bittensor"])
    assert {t: table_checksum(engine, t) for t in tables} == incremental
    with engine.connect() as conn:
        deregistered = conn.execute(
            sa.text("SELECT COUNT(*) FROM miners WHERE deregistered_block IS NOT NULL")
        ).scalar()
    assert incremental["miners"][0] > 200 and deregistered > 0
    engine.dispose()
