"""`ecosystem_daily` and the Bittensor emission marts on a hand-built history, on DuckDB and PostgreSQL.

The history is written in the shapes the subtensor connector produces: one
`SubtensorModule.EmissionObserved` per block and the metagraph epochs (`NeuronObserved`) of two
subnets, over a whole day before the 2025-12-12 halving (1 TAO a block) and a whole day after it
(0.5 TAO), plus an hourly TAO/USD quote. Every expected figure is worked out below in plain Python
from the numbers the history was made of, never with the warehouse's SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from etl.events import BlockRef, Event
from tests.conftest import fresh_warehouse
from tests.test_provenance import _neuron
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all
from warehouse.store import append_batch

RAO = 10**9
BLOCKS_PER_DAY = 7200
TEMPO = 360
OWNER_CUT = 11796  # 18% of 65535
BEFORE, AFTER = date(2025, 12, 10), date(2025, 12, 13)
#: The first block of each day (block n is at day start + 12 s x (n - first)).
FIRST_BLOCK = {BEFORE: 6_000_000, AFTER: 6_100_000}
MINTED = {BEFORE: 1 * RAO, AFTER: RAO // 2}
ROOT_STAKE = 7_000_000 * RAO
#: netuid -> (pool TAO at the day's start, alpha in the pool, share of the block emission injected)
POOLS = {1: (100_000 * RAO, 400_000 * RAO, 6), 2: (50_000 * RAO, 100_000 * RAO, 3)}
#: Each epoch: (hotkey suffix, validator permit, stake in alpha rao, emission in alpha rao)
UIDS = (("v", True, 10_000 * RAO, 148 * RAO), ("ma", False, 0, 120 * RAO), ("mb", False, 0, 0))
#: A 2 TAO registration burn at this block of each day lowers TotalIssuance.
BURN_AT, BURN = 100, 2 * RAO
ISSUANCE_AT_START = 10_400_000 * RAO


def _time(day: date, k: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=12 * k)


def _price_usd(day: date, hour: int) -> float:
    return (300.0 if day == BEFORE else 250.0) + hour


@dataclass
class Ledger:
    """What the hand-built chain did, kept as the history is written (the test's ground truth)."""

    minted: dict = field(default_factory=dict)  # day -> rao
    net_issuance: dict = field(default_factory=dict)  # day -> rao
    last_issuance: dict = field(default_factory=dict)  # day -> rao
    last_staked: dict = field(default_factory=dict)  # day -> rao
    rewards_rao: dict = field(default_factory=dict)  # day -> TAO rao (each epoch at its pool price)
    miner_rao: dict = field(default_factory=dict)
    rewards_usd: dict = field(default_factory=dict)  # day -> USD
    owner_cut_alpha: dict = field(default_factory=dict)  # (netuid, day) -> alpha rao
    injected: dict = field(default_factory=dict)  # (netuid, day) -> rao
    pool_at: dict = field(default_factory=dict)  # (netuid, epoch block) -> the pool's TAO rao there


def _history(day: date, ledger: Ledger, issuance: int) -> tuple[list[Event], int]:
    first, minted = FIRST_BLOCK[day], MINTED[day]
    events: list[Event] = []
    pools = {n: tao for n, (tao, _alpha, _share) in POOLS.items()}
    ledger.minted[day] = ledger.net_issuance[day] = ledger.rewards_rao[day] = ledger.miner_rao[day] = 0
    ledger.rewards_usd[day] = 0.0
    for k in range(BLOCKS_PER_DAY):
        block, at = first + k, _time(day, k)
        before = issuance
        issuance += minted - (BURN if k == BURN_AT else 0)
        subnets = [
            {
                "netuid": 0,
                "subnet_tao": str(ROOT_STAKE),
                "subnet_alpha_in": "0",
                "subnet_alpha_out": "0",
                **dict.fromkeys(
                    ("tao_in_emission", "excess_tao", "alpha_in_emission", "alpha_out_emission"), "0"
                ),
            }
        ]
        injected = {1: minted * 6 // 10, 2: minted * 3 // 10}
        excess = {1: 0, 2: minted - injected[1] - injected[2]}
        for netuid, (_tao, alpha_in, _share) in POOLS.items():
            pools[netuid] += injected[netuid]
            subnets.append(
                {
                    "netuid": netuid,
                    "subnet_tao": str(pools[netuid]),
                    "subnet_alpha_in": str(alpha_in),
                    "subnet_alpha_out": str(1_000_000 * RAO),
                    "tao_in_emission": str(injected[netuid]),
                    "excess_tao": str(excess[netuid]),
                    "alpha_in_emission": str(RAO // 2),
                    "alpha_out_emission": str(RAO),
                }
            )
            key = (netuid, day)
            ledger.injected[key] = ledger.injected.get(key, 0) + injected[netuid] + excess[netuid]
            ledger.owner_cut_alpha[key] = ledger.owner_cut_alpha.get(key, 0) + RAO * OWNER_CUT // 65535
        events.append(
            Event(
                chain="bittensor",
                source="subtensor",
                block_number=block,
                position="obs.emission",
                event_type="SubtensorModule.EmissionObserved",
                block_time=at,
                payload={
                    "total_issuance": str(issuance),
                    "total_issuance_before": str(before),
                    "minted": str(minted),
                    "owner_cut": OWNER_CUT,
                    "subnets": subnets,
                },
            )
        )
        ledger.minted[day] += minted
        ledger.net_issuance[day] += issuance - before
        for netuid, (_tao, alpha_in, _share) in POOLS.items():
            if k % TEMPO != (0 if netuid == 1 else TEMPO // 2):
                continue
            ledger.pool_at[(netuid, block)] = pools[netuid]
            for position, (suffix, permit, stake, emission) in enumerate(UIDS):
                events.append(
                    Event(
                        chain="bittensor",
                        source="subtensor",
                        block_number=block,
                        position=f"obs.neuron.{netuid}.{position}",
                        event_type="SubtensorModule.NeuronObserved",
                        block_time=at,
                        payload=_neuron(
                            netuid,
                            position,
                            f"{suffix}{netuid}",
                            block,
                            permit=permit,
                            stake=stake,
                            emission=emission,
                        ),
                    )
                )
                # The epoch's alpha at this block's pool price, to the rao (rounded down).
                tao = emission * pools[netuid] // alpha_in
                ledger.rewards_rao[day] += tao
                ledger.miner_rao[day] += 0 if permit else tao
                ledger.rewards_usd[day] += round(tao / RAO * _price_usd(day, at.hour), 6)
    ledger.last_issuance[day] = issuance
    ledger.last_staked[day] = ROOT_STAKE + sum(pools.values())
    return events, issuance


def _quotes(day: date) -> list[Event]:
    out = []
    for hour in range(24):
        at = datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC)
        ts = int(at.timestamp())
        out.append(
            Event(
                chain="market",
                source="coingecko",
                block_number=ts,
                position="bittensor",
                event_type="market.Quote",
                block_time=at,
                payload={
                    "coin_id": "bittensor",
                    "vs_currency": "usd",
                    "ts_ms": ts * 1000,
                    "price_usd": str(_price_usd(day, hour)),
                    "market_cap_usd": "1",
                    "total_volume_usd": "1",
                },
            )
        )
    return out


def _append(engine, events: list[Event], source: str = "subtensor") -> None:
    numbers = sorted({e.block_number for e in events})
    times = {e.block_number: e.block_time for e in events}
    blocks = [BlockRef(n, f"0x{n:064x}", f"0x{n - 1:064x}", times[n], 343, 0) for n in numbers]
    append_batch(
        engine,
        source=source,
        stream="test-" + source,
        range_unit="block" if source == "subtensor" else "unix_s",
        range_start=numbers[0],
        range_end=numbers[-1] + 1,
        events=events,
        blocks=blocks if source == "subtensor" else (),
    )


def _edge(day: date, k: int) -> Event:
    """A block just outside the day, without figures: it proves the day's first or last block is stored."""
    return Event(
        chain="bittensor",
        source="subtensor",
        block_number=FIRST_BLOCK[day] + k,
        position="obs.edge",
        event_type="System.ExtrinsicSuccess",
        block_time=_time(day, k),
        payload={},
    )


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def built(request, tmp_path_factory):
    """Both days (plus a block on each side, so that each day is stored whole) and their quotes, appended
    in four batches with the projections run after each: incremental runs, not one rebuild."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("ecosystem")) as url:
        yield from _build(url)


def _build(url: str):
    engine = db.make_engine(url)
    ledger = Ledger()
    issuance = ISSUANCE_AT_START
    for day in (BEFORE, AFTER):
        events, issuance = _history(day, ledger, issuance)
        events = [_edge(day, -1), *events, _edge(day, BLOCKS_PER_DAY)]
        half = len(events) // 2
        for part in (events[:half], events[half:]):
            _append(engine, part)
            run_all(engine)
        _append(engine, _quotes(day), source="coingecko")
    run_all(engine)
    yield engine, ledger
    engine.dispose()


def _row(engine, day: date) -> dict:
    with db.connect(engine) as conn:
        row = (
            conn.execute(
                sa.text("SELECT * FROM ecosystem_daily WHERE chain = 'bittensor' AND day = :d"), {"d": day}
            )
            .mappings()
            .one()
        )
    return dict(row)


def test_a_whole_day_emits_7200_tao_before_the_halving_and_3600_after_to_the_rao(built):
    engine, ledger = built
    for day, tao in ((BEFORE, 7200), (AFTER, 3600)):
        row = _row(engine, day)
        assert row["native_unit"] == "TAO"
        assert ledger.minted[day] == tao * RAO
        assert Decimal(row["emission_native"]) * RAO == tao * RAO
        # Net issuance: minted less the day's 2 TAO burn.
        assert Decimal(row["net_issuance_native"]) == Decimal(tao - 2)
        assert Decimal(row["supply_native"]) * RAO == ledger.last_issuance[day]


def test_rewards_stake_and_staking_ratio_are_in_tao(built):
    engine, ledger = built
    for day in (BEFORE, AFTER):
        row = _row(engine, day)
        assert Decimal(row["rewards_native"]) * RAO == ledger.rewards_rao[day]
        assert Decimal(row["miner_incentive_native"]) * RAO == ledger.miner_rao[day]
        assert (
            Decimal(row["validator_dividends_native"]) * RAO
            == ledger.rewards_rao[day] - ledger.miner_rao[day]
        )
        assert row["rewards_usd"] == pytest.approx(ledger.rewards_usd[day], rel=1e-12)
        assert Decimal(row["stake_native"]) * RAO == ledger.last_staked[day]
        assert row["staking_ratio"] == pytest.approx(
            ledger.last_staked[day] / ledger.last_issuance[day], rel=1e-15
        )
        # 7,150,000-odd TAO staked of about 10.4M issued: the ratio a reader expects, not alpha over TAO.
        assert 0.68 < row["staking_ratio"] < 0.70
        assert row["price_usd"] == _price_usd(day, 23)
        assert row["market_cap_usd"] == pytest.approx(ledger.last_issuance[day] / RAO * _price_usd(day, 23))
        assert row["participants"] == 6 and row["participants_earning"] == 4 and row["validators"] == 2
        assert row["units_active"] == 2


def test_validators_and_miners_hold_alpha_and_its_tao_value_at_the_epoch_price(built):
    engine, ledger = built
    with db.connect(engine) as conn:
        validators = conn.execute(
            sa.text(
                "SELECT netuid, stake_alpha, stake_native, native_unit, price_block FROM validators "
                "WHERE chain = 'bittensor'"
            )
        ).all()
        miners = conn.execute(
            sa.text(
                "SELECT netuid, emission_alpha, emission_tao, price_block FROM miners WHERE emission_alpha > 0"
            )
        ).all()
    assert len(validators) == 2 and len(miners) == 2
    for netuid, stake_alpha, stake_native, unit, price_block in validators:
        alpha_in = POOLS[netuid][1]
        assert unit == "TAO" and Decimal(stake_alpha) == 10_000
        assert Decimal(stake_native) * RAO == 10_000 * RAO * ledger.pool_at[(netuid, price_block)] // alpha_in
    for netuid, emission_alpha, emission_tao, price_block in miners:
        alpha_in = POOLS[netuid][1]
        assert Decimal(emission_alpha) == 120
        assert Decimal(emission_tao) * RAO == 120 * RAO * ledger.pool_at[(netuid, price_block)] // alpha_in


def test_owner_cut_and_injections_per_subnet(built):
    engine, ledger = built
    with db.connect(engine) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT netuid, day, tao_injected_tao + excess_tao, owner_cut_alpha, blocks "
                "FROM subnet_emission_daily WHERE netuid > 0"
            )
        ).all()
    found = {(n, d): (inj, cut, blocks) for n, d, inj, cut, blocks in rows}
    for day in (BEFORE, AFTER):
        # Summed over subnets, the injections (plus excess) are what the day minted.
        assert sum(Decimal(found[(n, day)][0]) for n in POOLS) * RAO == ledger.minted[day]
        for netuid in POOLS:
            injected, cut, blocks = found[(netuid, day)]
            assert blocks == BLOCKS_PER_DAY
            assert Decimal(injected) * RAO == ledger.injected[(netuid, day)]
            assert Decimal(cut) * RAO == ledger.owner_cut_alpha[(netuid, day)]


def test_inflation_is_annualised_from_complete_days_only(built):
    engine, ledger = built
    with db.connect(engine) as conn:
        complete = dict(
            conn.execute(sa.text("SELECT day, complete FROM chain_days WHERE chain = 'bittensor'")).all()
        )
    for day in (BEFORE, AFTER):
        row = _row(engine, day)
        assert row["complete"] == complete[day]
        if row["complete"]:
            expected = ledger.minted[day] * 365 / ledger.last_issuance[day]
            assert row["inflation_annualised"] == pytest.approx(expected, rel=1e-12)
        else:
            assert row["inflation_annualised"] is None


def test_incremental_runs_equal_a_rebuild_to_the_last_digit(built):
    engine, _ = built
    tables = (
        "ecosystem_daily",
        "ecosystem_day_members",
        "ecosystem_day_hours",
        "bittensor_emission_daily",
        "subnet_emission_daily",
        "bittensor_epoch_prices",
        "miners",
        "validators",
    )
    before = {t: table_checksum(engine, t) for t in tables}
    rebuild(engine)
    assert {t: table_checksum(engine, t) for t in tables} == before


# ------------------------------------------------------------------------------ against the devnet
#: Complete UTC days of the devnet below its finalized head at DEVNET_NOW, with the TAO the chain mints in
#: a day of 7,200 blocks: 1 TAO a block before the 2025-12-12 halving, 0.5 after it.
LEDGER_DAYS = {"2025-12-11": 7200, "2026-01-14": 3600}
TOLERANCE = 0.005  # the 0.5% at the devnet's test scale (0.05)


def _ledger(devnet, path: str, **params) -> dict:
    import httpx

    response = httpx.get(f"{devnet.base_url}/_devnet/subtensor/{path}", params=params, timeout=300)
    response.raise_for_status()
    return response.json()


def _hourly_prices(devnet, start: int, end: int) -> dict:
    """TAO/USD per UTC hour as the devnet's CoinGecko serves it: the hour's last quote."""
    import httpx

    response = httpx.get(
        f"{devnet.endpoints['coingecko']}/coins/bittensor/market_chart/range",
        params={"vs_currency": "usd", "from": start, "to": end},
        headers={"x-cg-demo-api-key": "devnet-demo-key"},
        timeout=60,
    )
    response.raise_for_status()
    prices: dict = {}
    for ms, price in sorted(response.json()["prices"]):
        prices[datetime.fromtimestamp(ms / 1000, UTC).replace(minute=0, second=0, microsecond=0)] = price
    return prices


@pytest.fixture(
    scope="module",
    params=[(engine, day) for day in LEDGER_DAYS for engine in ("duckdb", "postgresql")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def devnet_day(request, devnet, tmp_path_factory):
    """A devnet day of LEDGER_DAYS ingested whole (plus a block on each side) by the real connectors, with
    the day's quotes, and the chain's own record of that day."""
    from etl.connections import CoinGeckoConnection
    from etl.pipeline.bittensor import block_at_or_after
    from etl.pipeline.chain import ingest_range
    from etl.pipeline.market import ingest_coin_window
    from etl.sources.subtensor import SubtensorSource

    engine_name, ledger_day = request.param
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        at = block_at_or_after(
            source, int(datetime.fromisoformat(ledger_day).replace(tzinfo=UTC).timestamp()), head
        )
    record = _ledger(devnet, "ledger", start_block=at - 10, end_block=min(head, at + BLOCKS_PER_DAY + 10))
    (day,) = [d for d in record["days"] if d["day"] == ledger_day]
    assert day["complete"]
    first, last = day["first_block"], day["last_block"]
    day_record = _ledger(devnet, "ledger", start_block=first, end_block=last)
    stakes = _ledger(devnet, "ledger/stakes", block=last)
    midnight = int(datetime.fromisoformat(ledger_day).replace(tzinfo=UTC).timestamp())
    with fresh_warehouse(engine_name, tmp_path_factory.mktemp("ledger")) as url:
        with SubtensorSource(devnet.endpoints["subtensor"]) as source:
            ingest_range(source, first - 1, last + 2, warehouse_url=url)
        connection = CoinGeckoConnection(base_url=devnet.endpoints["coingecko"], api_key="devnet-demo-key")
        ingest_coin_window(
            connection, "bittensor", midnight - 3600, midnight + 86400 + 3600, warehouse_url=url
        )
        engine = db.make_engine(url)
        run_all(engine)
        prices = _hourly_prices(devnet, midnight - 3600, midnight + 86400 + 3600)
        yield engine, ledger_day, day, day_record, stakes, prices
        engine.dispose()


def test_the_devnet_day_matches_the_chains_ledger(devnet_day):
    engine, ledger_day, day, record, stakes, prices = devnet_day
    row = _row(engine, date.fromisoformat(ledger_day))
    assert row["complete"] and row["native_unit"] == "TAO"
    # Emission, net issuance and supply: to the rao; 7,200 TAO a day before the halving, 3,600 after.
    assert int(day["minted"]) == LEDGER_DAYS[ledger_day] * RAO
    assert Decimal(row["emission_native"]) * RAO == int(day["minted"])
    assert Decimal(row["net_issuance_native"]) * RAO == int(day["minted"]) - int(day["recycled"])
    assert Decimal(row["supply_native"]) * RAO == int(day["total_issuance"])
    # Stake and staking ratio: root's TAO plus every other pool's TAO at the day's last block.
    staked = sum(int(s["subnet_tao"]) for s in stakes["subnets"])
    assert float(row["stake_native"]) == pytest.approx(staked / RAO, rel=TOLERANCE)
    assert row["staking_ratio"] == pytest.approx(staked / int(day["total_issuance"]), rel=TOLERANCE)
    # Rewards: each epoch's alpha to miners and validators at that epoch's pool price, and its hour's USD.
    midnight = datetime.fromisoformat(ledger_day).replace(tzinfo=UTC)
    tao = usd = owner_tao = 0.0
    for epoch in record["epochs"]:
        price = int(epoch["subnet_tao"]) / int(epoch["subnet_alpha_in"]) if epoch["netuid"] else 1.0
        paid = (int(epoch["miners_alpha"]) + int(epoch["validators_alpha"])) * price / RAO
        at = midnight + timedelta(seconds=12 * (epoch["block"] - day["first_block"]))
        tao += paid
        usd += paid * prices[at.replace(minute=0, second=0, microsecond=0)]
        owner_tao += int(epoch["owner_alpha"]) * price / RAO
    assert tao > 1000
    assert float(row["rewards_native"]) == pytest.approx(tao, rel=TOLERANCE)
    assert row["rewards_usd"] == pytest.approx(usd, rel=TOLERANCE)
    assert float(row["owner_cut_native"]) == pytest.approx(owner_tao, rel=TOLERANCE)
    # Market cap: TAO issued x the day's last price.
    last_price = prices[max(h for h in prices if h < midnight + timedelta(days=1))]
    assert row["price_usd"] == pytest.approx(last_price)
    assert row["market_cap_usd"] == pytest.approx(
        int(day["total_issuance"]) / RAO * last_price, rel=TOLERANCE
    )


def test_the_devnet_days_subnet_emission_matches_the_ledger(devnet_day):
    engine, ledger_day, day, _record, _stakes, _prices = devnet_day
    with db.connect(engine) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT netuid, blocks, tao_injected_tao, excess_tao, alpha_to_pool_alpha, "
                "alpha_to_participants_alpha, owner_cut_alpha FROM subnet_emission_daily WHERE day = :d"
            ),
            {"d": date.fromisoformat(ledger_day)},
        ).all()
    found = {r[0]: r[1:] for r in rows}
    injected = 0
    for subnet in day["subnets"]:
        blocks, tao_in, excess, alpha_in, alpha_out, owner_cut = found[subnet["netuid"]]
        assert blocks == subnet["blocks"] == BLOCKS_PER_DAY
        assert Decimal(tao_in) * RAO == int(subnet["tao_in_emission"])
        assert Decimal(excess) * RAO == int(subnet["excess_tao"])
        assert Decimal(alpha_in) * RAO == int(subnet["alpha_in_emission"])
        assert Decimal(alpha_out) * RAO == int(subnet["alpha_out_emission"])
        # The owner's share of every block's alpha to participants, rounded down block by block.
        assert (
            int(subnet["alpha_out_emission"]) * OWNER_CUT // 65535 - Decimal(owner_cut) * RAO < BLOCKS_PER_DAY
        )
        injected += int(subnet["tao_in_emission"]) + int(subnet["excess_tao"])
    # Summed over subnets, each block's injections are what it minted.
    assert injected == int(day["minted"])


def _emission(block: int, subnet_tao: int, alpha_in: int) -> Event:
    at = _time(BEFORE, block - FIRST_BLOCK[BEFORE])
    zero = dict.fromkeys(("tao_in_emission", "excess_tao", "alpha_in_emission", "alpha_out_emission"), "0")
    pool = {
        "netuid": 1,
        "subnet_tao": str(subnet_tao),
        "subnet_alpha_in": str(alpha_in),
        "subnet_alpha_out": "0",
    }
    return Event(
        chain="bittensor",
        source="subtensor",
        block_number=block,
        position="obs.emission",
        event_type="SubtensorModule.EmissionObserved",
        block_time=at,
        payload={
            "total_issuance": str(ISSUANCE_AT_START),
            "total_issuance_before": str(ISSUANCE_AT_START),
            "minted": "0",
            "owner_cut": OWNER_CUT,
            "subnets": [{**pool, **zero}],
        },
    )


def _epoch(block: int, emission: int) -> list[Event]:
    at = _time(BEFORE, block - FIRST_BLOCK[BEFORE])
    return [
        Event(
            chain="bittensor",
            source="subtensor",
            block_number=block,
            position=f"obs.neuron.1.{uid}",
            event_type="SubtensorModule.NeuronObserved",
            block_time=at,
            payload=_neuron(1, uid, hotkey, block, permit=permit, stake=10 * RAO, emission=emission),
        )
        for uid, (hotkey, permit) in enumerate((("val", True), ("miner", False)))
    ]


def test_alpha_converts_at_the_same_blocks_price_else_the_last_before_never_after(warehouse_url):
    """Pools observed at blocks b, b+1 and b+3; epochs at b (its own block's price) and at b+2, whose
    block has no observation: it converts at b+1's price, not at b+3's."""
    engine = db.make_engine(warehouse_url)
    b = FIRST_BLOCK[BEFORE]
    _append(
        engine,
        [
            _emission(b, 1_000 * RAO, 2_000 * RAO),  # 0.5 TAO per alpha
            *_epoch(b, 4 * RAO),
            _emission(b + 1, 1_000 * RAO, 4_000 * RAO),  # 0.25
            *_epoch(b + 2, 8 * RAO),
            _emission(b + 3, 8_000 * RAO, 2_000 * RAO),  # 4: after the epoch, never used for it
        ],
    )
    run_all(engine)
    with db.connect(engine) as conn:
        prices = conn.execute(
            sa.text(
                "SELECT block_number, price_block, price_tao_per_alpha FROM bittensor_epoch_prices ORDER BY 1"
            )
        ).all()
        miner = conn.execute(sa.text("SELECT emission_alpha, emission_tao, price_block FROM miners")).one()
        validator = conn.execute(
            sa.text("SELECT stake_alpha, stake_native, price_tao_per_alpha, price_block FROM validators")
        ).one()
        row = conn.execute(
            sa.text(
                "SELECT rewards_native, miner_incentive_native FROM ecosystem_daily WHERE chain = 'bittensor'"
            )
        ).one()
    engine.dispose()
    assert prices == [(b, b, 0.5), (b + 2, b + 1, 0.25)]
    # The miner's latest epoch (b+2): 8 alpha at 0.25 = 2 TAO; the validator's 10 alpha stake = 2.5 TAO.
    assert (Decimal(miner[0]), Decimal(miner[1]), miner[2]) == (8, 2, b + 1)
    assert (Decimal(validator[0]), Decimal(validator[1]), validator[2], validator[3]) == (
        10,
        Decimal("2.5"),
        0.25,
        b + 1,
    )
    # The day's rewards: 2 x (4 alpha x 0.5) + 2 x (8 alpha x 0.25) = 8 TAO, half of it to the miner.
    assert (Decimal(row[0]), Decimal(row[1])) == (8, 4)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def sahara_blocks(request, devnet, tmp_path_factory):
    """1,500 Sahara blocks (CometBFT and EVM) below the head, and the chain's own record of them."""
    import httpx

    from etl.pipeline.chain import ingest_range
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource

    comet, evm = CometBFTSource(devnet.endpoints["cometbft"]), EvmSource(devnet.endpoints["evm"])
    top = (comet.finalized_head() // 720) * 720
    lo, hi = top - 1500, top + 1
    response = httpx.get(
        f"{devnet.base_url}/_devnet/sahara/ledger", params={"start_height": lo, "end_height": hi}, timeout=300
    )
    response.raise_for_status()
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("sahara")) as url:
        try:
            for source in (comet, evm):
                ingest_range(source, lo, hi, warehouse_url=url)
        finally:
            comet.close()
            evm.close()
        engine = db.make_engine(url)
        run_all(engine)
        yield engine, response.json()
        engine.dispose()


def test_the_sahara_row_is_in_sahara_and_matches_the_chains_ledger(sahara_blocks):
    engine, record = sahara_blocks
    (day,) = record["days"]
    with db.connect(engine) as conn:
        row = dict(
            conn.execute(
                sa.text("SELECT * FROM ecosystem_daily WHERE chain = 'sahara' AND day = :d"),
                {"d": date.fromisoformat(day["day"])},
            )
            .mappings()
            .one()
        )
    sahara = 10**18
    assert row["native_unit"] == "SAHARA"
    # The blocks of part of a day: a partial day, never annualised.
    assert row["complete"] is False and row["inflation_annualised"] is None
    # Minted and paid: to the usah.
    assert Decimal(row["emission_native"]) * sahara == int(day["minted_usah"])
    assert Decimal(row["rewards_native"]) * sahara == int(day["rewards_paid_usah"])
    # The staking state: the mint module's bonded ratio, the supply and the bonded tokens.
    (period,) = record["mint_periods"]
    assert row["staking_ratio"] == pytest.approx(float(period["bonded_ratio"]), rel=1e-12)
    assert float(row["supply_native"]) == pytest.approx(int(record["supply_usah"]) / sahara, rel=TOLERANCE)
    assert float(row["stake_native"]) == pytest.approx(int(record["bonded_usah"]) / sahara, rel=TOLERANCE)
    assert row["participants_earning"] == len({r["contributor"] for r in record["rewards"]})
