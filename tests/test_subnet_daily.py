"""`subnet_daily` against the devnet, on DuckDB and PostgreSQL: a whole devnet day ingested by the real
subtensor connector, in three runs, each followed by the projections, and checked against the chain's own
record of that day (its ledger, served on the devnet's control endpoint), never against the warehouse's SQL.

- one row per subnet per day, each named and owned as the chain's record names it;
- each subnet's TAO injected and alpha emitted equal the ledger's sums to the rao;
- the reserves at the day's last block, and the open and close price (SubnetTAO / SubnetAlphaIn at the
  day's first and last block), worked out here from the pools the ledger records block by block;
- the registrations' burn equals the TAO the ledger recycled per subnet;
- the emission shares of the day add up to 1 and follow the ledger's TAO per subnet;
- the three incremental runs leave what a rebuild from the event store gives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from etl.sources.subtensor_codec import ss58_encode
from tests.conftest import fresh_warehouse
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

RAO = 10**9
#: A complete devnet day after the runtime upgrade (spec 343), below the finalized head at DEVNET_NOW.
LEDGER_DAY = "2026-01-14"
TABLES = ("stg_bittensor_subnet_observations", "subnet_day_pool", "subnet_daily")


def _ledger(devnet, path: str, **params) -> dict:
    import httpx

    response = httpx.get(f"{devnet.base_url}/_devnet/subtensor/{path}", params=params, timeout=300)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def devnet_day(request, devnet, tmp_path_factory):
    """The devnet day ingested whole (plus a block on each side) in three runs, each followed by the
    projections; the day's record, its pools at the first and last block, and the subnets at the last."""
    from etl.pipeline.bittensor import block_at_or_after
    from etl.pipeline.chain import ingest_range
    from etl.sources.subtensor import SubtensorSource

    midnight = int(datetime.fromisoformat(LEDGER_DAY).replace(tzinfo=UTC).timestamp())
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        at = block_at_or_after(source, midnight, head)
    record = _ledger(devnet, "ledger", start_block=at - 10, end_block=at + 10)
    (day,) = [d for d in record["days"] if d["day"] == LEDGER_DAY]
    first = day["first_block"]
    last = first + 7200 - 1
    day = next(d for d in _ledger(devnet, "ledger", start_block=first, end_block=last)["days"])
    assert day["complete"] and (day["first_block"], day["last_block"]) == (first, last)
    recycled = _ledger(devnet, "ledger", start_block=first, end_block=last)["recycled_by_block"]
    pools = {
        block: {s["netuid"]: s for s in _ledger(devnet, "ledger", start_block=block, end_block=block,
                                                 per_block=1)["blocks"][0]["subnets"]}
        for block in (first, last)
    }  # fmt: skip
    named = {s["netuid"]: s for s in _ledger(devnet, "ledger/stakes", block=last)["subnets"]}
    cuts = (first - 1, first + 2500, first + 5000, last + 2)
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("subnet_daily")) as url:
        engine = db.make_engine(url)
        with SubtensorSource(devnet.endpoints["subtensor"]) as source:
            for start, end in zip(cuts, cuts[1:], strict=False):
                ingest_range(source, start, end, warehouse_url=url)
                run_all(engine)
        with engine.connect() as conn:
            rows = [
                dict(r)
                for r in conn.execute(
                    sa.text("SELECT * FROM subnet_daily WHERE day = :d"),
                    {"d": date.fromisoformat(LEDGER_DAY)},
                ).mappings()
            ]
        yield {
            "engine": engine,
            "rows": {r["netuid"]: r for r in rows},
            "count": len(rows),
            "day": day,
            "recycled": recycled,
            "pools": pools,
            "named": named,
            "first": first,
            "last": last,
        }
        engine.dispose()


def test_one_row_per_subnet_and_day_named_as_the_chain_names_it(devnet_day):
    rows, named, day = devnet_day["rows"], devnet_day["named"], devnet_day["day"]
    assert devnet_day["count"] == len(rows)
    # Every subnet the chain emitted to that day has its row, and root too; no other.
    assert set(rows) == {s["netuid"] for s in day["subnets"]} | {0}
    assert len(rows) >= 5  # the devnet at test scale
    for netuid, subnet in named.items():
        row = rows[netuid]
        assert row["complete"]
        assert row["name"] == subnet["name"], netuid
        # The ledger names the owner by its account id; the warehouse keeps SS58 addresses (prefix 42).
        assert row["owner"] == ss58_encode(bytes.fromhex(subnet["owner_coldkey"].removeprefix("0x"))), netuid
    # The subnets mart keeps the name too.
    with devnet_day["engine"].connect() as conn:
        names = dict(conn.execute(sa.text("SELECT netuid, name FROM subnets WHERE removed_at IS NULL")).all())
    assert {n: names[n] for n in named} == {n: s["name"] for n, s in named.items()}


def test_tao_injected_and_alpha_emitted_equal_the_chains_record(devnet_day):
    rows, day = devnet_day["rows"], devnet_day["day"]
    for subnet in day["subnets"]:
        row = rows[subnet["netuid"]]
        assert Decimal(row["tao_injected_tao"]) * RAO == int(subnet["tao_in_emission"])
        assert Decimal(row["alpha_emitted_alpha"]) * RAO == int(subnet["alpha_in_emission"]) + int(
            subnet["alpha_out_emission"]
        )
        # The reserves at the day's last block.
        assert Decimal(row["tao_reserve_tao"]) * RAO == int(subnet["subnet_tao_at_last_block"])
        assert Decimal(row["alpha_reserve_alpha"]) * RAO == int(subnet["subnet_alpha_in_at_last_block"])
    # Shares of the day's TAO emission to subnets (injected + excess), which add up to 1.
    emitted = {s["netuid"]: int(s["tao_in_emission"]) + int(s["excess_tao"]) for s in day["subnets"]}
    total = sum(emitted.values())
    assert total == int(day["minted"])
    for netuid, tao in emitted.items():
        assert rows[netuid]["emission_share"] == pytest.approx(tao / total, rel=1e-12)
    assert sum(r["emission_share"] for r in rows.values()) == pytest.approx(1.0, rel=1e-12)


def test_open_and_close_are_the_pool_price_at_the_days_first_and_last_block(devnet_day):
    rows, pools = devnet_day["rows"], devnet_day["pools"]
    first, last = devnet_day["first"], devnet_day["last"]
    checked = 0
    for netuid, row in rows.items():
        if netuid == 0:
            assert row["price_open_tao_per_alpha"] == row["price_close_tao_per_alpha"] == 1.0
            continue
        opening, closing = pools[first].get(netuid), pools[last][netuid]
        assert row["last_block"] == last
        assert row["price_close_tao_per_alpha"] == pytest.approx(
            int(closing["subnet_tao"]) / int(closing["subnet_alpha_in"]), rel=1e-12
        )
        if opening is None:  # registered during the day: it opens at its first block
            continue
        assert row["first_block"] == first
        assert row["price_open_tao_per_alpha"] == pytest.approx(
            int(opening["subnet_tao"]) / int(opening["subnet_alpha_in"]), rel=1e-12
        )
        # The time-weighted price lies between the day's lowest and highest; with open and close it is
        # within their range here, as the pools move slowly.
        low, high = sorted((row["price_open_tao_per_alpha"], row["price_close_tao_per_alpha"]))
        assert low * 0.9 <= row["price_twap_tao_per_alpha"] <= high * 1.1
        checked += 1
    assert checked >= 4


def test_registrations_burn_what_the_chain_recycled(devnet_day):
    rows, recycled = devnet_day["rows"], devnet_day["recycled"]
    burned: dict[int, int] = {}
    burns: dict[int, int] = {}
    for entry in recycled:
        burned[entry["netuid"]] = burned.get(entry["netuid"], 0) + int(entry["recycled"])
        burns[entry["netuid"]] = burns.get(entry["netuid"], 0) + 1
    assert burned, "the devnet registers neurons every day"
    for netuid, row in rows.items():
        assert Decimal(row["registration_burn_tao"]) * RAO == burned.get(netuid, 0), netuid
        # Every burned registration is counted (a network's owner registers without a burn).
        assert row["registrations"] >= burns.get(netuid, 0)
    for row in rows.values():
        if row["uids"] is not None:
            assert row["miners"] + row["validators"] == row["uids"]
            assert row["top_miner_share"] is None or 0 <= row["top_miner_share"] <= 1


def test_the_incremental_runs_leave_what_a_rebuild_gives(devnet_day):
    engine = devnet_day["engine"]
    before = {t: table_checksum(engine, t) for t in (*TABLES, "subnets")}
    rebuild(engine)
    assert {t: table_checksum(engine, t) for t in (*TABLES, "subnets")} == before
