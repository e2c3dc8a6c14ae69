"""`decai reconcile` on a real backfill from the devnet, then on three faults written into `events`.

The window starts at an epoch of subnet 1 (`(block + 2) % 361 == 0`), so its first epoch's alpha is
priced by the window's first observation, and runs 400 blocks, so subnet 1's next tempo (the 361
blocks up to its epoch at start + 361) lies wholly inside it. After a clean backfill every check
passes; then each fault is written straight into the event store, the projections are rebuilt from
it, and `decai reconcile` must exit 1 naming the check and the day; the fault is then undone and the
run passes again:

(a) subnet 1's events of its epoch at start + 361 deleted (its NeuronObserved and SubnetObserved):
    `tempo_split` names that day, block and subnet;
(b) one block's `total_issuance` raised by 1 TAO: `tao_minted` names that day and the next block,
    whose `total_issuance_before` no longer follows on;
(c) subnet 1's price observation at the window's first block (its entry in that block's
    EmissionObserved) removed: the epoch priced there has no same-or-earlier price, and
    `price_observed` names that day, block and subnet.
"""

from __future__ import annotations

import json
from datetime import UTC

import sqlalchemy as sa
from typer.testing import CliRunner

from etl.cli import app as cli
from etl.events import Event
from etl.pipeline.chain import ingest_range
from etl.sources.subtensor import SubtensorSource
from warehouse import db
from warehouse.projections import rebuild, run_all
from warehouse.store import append_batch

WINDOW = 400
SUBNET = 1
#: The projections that read Bittensor events: the faults touch nothing else.
PROJECTIONS = ["bittensor", "chain_days", "ecosystem_daily"]
runner = CliRunner()


def _events(url: str, where: str, params: dict) -> list[Event]:
    rows = db.read_sql(
        "SELECT chain, source, block_number, position, event_type, block_time, payload, block_hash, spec_version "
        f"FROM events WHERE {where} ORDER BY position",
        params,
        url=url,
    )
    return [
        Event(
            r.chain,
            r.source,
            int(r.block_number),
            r.position,
            r.event_type,
            r.block_time.to_pydatetime().replace(tzinfo=UTC),
            r.payload if isinstance(r.payload, dict) else json.loads(r.payload),
            block_hash=r.block_hash,
            spec_version=None if r.spec_version != r.spec_version else int(r.spec_version),
        )
        for r in rows.itertuples()
    ]


def _delete(url: str, events: list[Event]) -> None:
    engine = db.make_engine(url)
    with db.begin(engine) as conn:
        for event in events:
            conn.execute(sa.text("DELETE FROM events WHERE event_id = :id"), {"id": event.event_id})
    engine.dispose()


def _append(url: str, events: list[Event]) -> None:
    engine = db.make_engine(url)
    append_batch(
        engine,
        source="subtensor",
        stream="fault",
        range_unit="block",
        range_start=0,
        range_end=0,
        events=events,
    )
    engine.dispose()


def _with(event: Event, payload: dict) -> Event:
    return Event(
        event.chain,
        event.source,
        event.block_number,
        event.position,
        event.event_type,
        event.block_time,
        payload,
        block_hash=event.block_hash,
        spec_version=event.spec_version,
    )


def _reproject_and_reconcile(url: str):
    engine = db.make_engine(url)
    rebuild(engine, PROJECTIONS)
    engine.dispose()
    return runner.invoke(cli, ["reconcile"])


def _day(event: Event) -> str:
    return event.block_time.astimezone(UTC).date().isoformat()


def test_reconcile_passes_on_a_backfill_and_names_each_fault(devnet, warehouse_url):
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        start = head - WINDOW - 100
        start -= (start + SUBNET + 1) % 361  # an epoch of subnet 1
        ingest_range(source, start, start + WINDOW, warehouse_url=warehouse_url)
    engine = db.make_engine(warehouse_url)
    run_all(engine, PROJECTIONS)
    engine.dispose()

    clean = runner.invoke(cli, ["reconcile"])
    assert clean.exit_code == 0, clean.output
    for check in ("tao_minted", "block_injection", "tempo_split", "price_observed"):
        assert f"ok      {check}:" in clean.output
    assert "FAILED" not in clean.output

    # (a) one subnet's events of one tempo's epoch deleted.
    epoch = start + 361
    deleted = _events(
        warehouse_url,
        "block_number = :b AND event_type IN ('SubtensorModule.NeuronObserved', 'SubtensorModule.SubnetObserved') "
        "AND (position LIKE :neurons OR position = :subnet)",
        {"b": epoch, "neurons": f"obs.neuron.{SUBNET}.%", "subnet": f"obs.subnet.{SUBNET}"},
    )
    assert len(deleted) > 2  # the subnet's UIDs and its SubnetObserved
    _delete(warehouse_url, deleted)
    run = _reproject_and_reconcile(warehouse_url)
    assert run.exit_code == 1, run.output
    assert "FAILED  tempo_split:" in run.output
    assert (
        f"tempo_split {_day(deleted[0])} block {epoch} subnet {SUBNET}: epoch of blocks {start + 1}-{epoch}: "
        in (run.output)
    )
    assert "no NeuronObserved at the epoch" in run.output
    _append(warehouse_url, deleted)
    assert _reproject_and_reconcile(warehouse_url).exit_code == 0

    # (b) one issuance observation altered: block start + 200 says 1 TAO more was issued after it.
    block = start + 200
    (original,) = _events(
        warehouse_url, "block_number = :b AND event_type = 'SubtensorModule.EmissionObserved'", {"b": block}
    )
    altered = dict(original.payload, total_issuance=str(int(original.payload["total_issuance"]) + 10**9))
    _delete(warehouse_url, [original])
    _append(warehouse_url, [_with(original, altered)])
    run = _reproject_and_reconcile(warehouse_url)
    assert run.exit_code == 1, run.output
    assert "FAILED  tao_minted:" in run.output
    assert (
        f"tao_minted {_day(original)} block {block + 1}: total_issuance_before "
        f"{original.payload['total_issuance']} rao is not block {block}'s total_issuance "
        f"{altered['total_issuance']} (difference -1000000000)"
    ) in run.output
    assert f"tao_minted {_day(original)} block {block}: issuance grew" in run.output
    _delete(warehouse_url, [original])
    _append(warehouse_url, [original])
    assert _reproject_and_reconcile(warehouse_url).exit_code == 0

    # (c) a price observation missing: subnet 1's entry in the window's first EmissionObserved.
    (first,) = _events(
        warehouse_url, "block_number = :b AND event_type = 'SubtensorModule.EmissionObserved'", {"b": start}
    )
    without = dict(first.payload, subnets=[s for s in first.payload["subnets"] if int(s["netuid"]) != SUBNET])
    assert len(without["subnets"]) == len(first.payload["subnets"]) - 1
    _delete(warehouse_url, [first])
    _append(warehouse_url, [_with(first, without)])
    run = _reproject_and_reconcile(warehouse_url)
    assert run.exit_code == 1, run.output
    assert "FAILED  price_observed:" in run.output
    assert f"price_observed {_day(first)} block {start} subnet {SUBNET}: " in run.output
    assert "a converted value has no price" in run.output
    _delete(warehouse_url, [first])
    _append(warehouse_url, [first])
    assert _reproject_and_reconcile(warehouse_url).exit_code == 0

    stored = db.read_sql(
        "SELECT stream, outcome FROM dq_results WHERE suite = 'reconciliation' AND outcome = 'failed'",
        url=warehouse_url,
    )
    assert set(stored["stream"]) >= {"tempo_split", "tao_minted", "price_observed"}
