"""Economic reconciliation: the marts against the chain's own observations, stored in `dq_results`.

Every check reads the chain observations in the event store (never the marts it checks, except to
compare them), works day by day (a day's check reads that day's events, plus the tempo before it
where a check needs it) and names what breaks it as `<day> [block <n>] [subnet <n>]: <difference>`:

- `tao_minted` — the issuance ledger of `SubtensorModule.EmissionObserved`, one per block:
  `minted` is the block emission the halving schedule puts in force at the block's
  `total_issuance_before` (1 TAO, halved each time issuance crosses 10.5M, 15.75M, ... of the 21M
  cap: found from the chain, no date; since `TotalIssuance` is net of recycling, a block may already
  mint the next half) and only stays or halves from one block to the next; `total_issuance_before`
  of block b is `total_issuance` of block b-1 (a chain of observations with no break);
  `total_issuance - total_issuance_before` is `minted` less what the block recycled (the
  `Balances.Withdraw` of its extrinsics that registered a neuron, less their fee and tip, which
  `TransactionPayment.TransactionFeePaid` names: `burned_register`); every block
  the ingest stored has its observation. For each complete day (`chain_days.complete`), every block
  of the day is observed and Σ `minted` equals `ecosystem_daily.emission_native` (TAO) of the
  Bittensor row.
- `block_injection` — per block, Σ over subnets of (`tao_in_emission` + `excess_tao`) == `minted`.
- `tempo_split` — per subnet per epoch (`(block + netuid + 1) % 361 == 0`) whose 361 blocks are all
  observed: the alpha paid to UIDs at the epoch (Σ `NeuronObserved.emission`) equals
  (1 - owner_cut / 65535) × Σ `alpha_out_emission` of the tempo's blocks, within a few base units
  per UID and per block (rounding); the owner cut is the epoch block's observation.
- `price_observed` — every converted value in a mart (a row with `price_block`) has a price: its
  `price_block` is the latest observation of its subnet at or before the row's block (never after,
  never missing) and the price it shows is that observation's `subnet_tao / subnet_alpha_in`.
- `sahara_minted` — per complete Sahara day, Σ `mint.mint` amounts equal
  `ecosystem_daily.emission_native` (SAHARA) of the Sahara row.
- `event_counts` — per source and day, the events each block reported equal the events stored plus
  the ones quarantined (observation events, which the chain does not count, are left out).
- `supply_caps`, `market_cap_consistency` — supply under the 21M / 10B caps; the supply implied by
  market cap / price moves less than 5% a day and, for TAO, lies within 3% of the day's last
  observed `total_issuance`.

The mart comparisons run where their tables and columns exist (`chain_days`,
`ecosystem_daily.emission_native`); all amounts are compared as integers in base units or exact
decimals, never floats.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etl.events import DQRecord
from warehouse import db
from warehouse.store import write_dq_result

EMISSION_OBSERVED = "SubtensorModule.EmissionObserved"
NEURON_OBSERVED = "SubtensorModule.NeuronObserved"
SAHARA_MINT = "mint.mint"
TEMPO = 360
TEMPO_WINDOW = TEMPO + 1
RAO_PER_TAO = 10**9
USAH_PER_SAHARA = 10**18
TAO_CAP_RAO = 21_000_000 * RAO_PER_TAO
BASE_BLOCK_EMISSION_RAO = RAO_PER_TAO
U16_MAX = 65535
#: Rounding allowed in a tempo's split: per UID paid (each UID's share is floored) and per block
#: (the owner cut is taken block by block).
SPLIT_ROUNDING_PER_UID = 2
SPLIT_ROUNDING_PER_BLOCK = 1
#: A registration burn: the `Balances.Withdraw` of an extrinsic that registered a neuron recycles its
#: amount out of `TotalIssuance` (`burned_register`).
WITHDRAW = "Balances.Withdraw"
REGISTERED = "SubtensorModule.NeuronRegistered"
FEE_PAID = "TransactionPayment.TransactionFeePaid"
CAPS = {"bittensor": 21_000_000, "sahara": 10_000_000_000}
COIN_CHAIN = {"bittensor": "bittensor", "sahara-ai": "sahara"}
BLOCK_SECONDS = 12


def scheduled_block_emission(issuance_rao: int) -> int:
    """Rao a block mints when `issuance_rao` is issued before it: subtensor's halving schedule.

    The emission halves each time issuance crosses 21M × (1 - 2^-k): 10.5M, 15.75M, 18.375M, ...
    """
    halvings = 0
    while issuance_rao >= TAO_CAP_RAO - (TAO_CAP_RAO >> (halvings + 1)) and halvings < 64:
        halvings += 1
    return BASE_BLOCK_EMISSION_RAO >> halvings


@dataclass
class Findings:
    """What one check saw: how many things it checked and what broke, each line naming its day."""

    check: str
    checked: int = 0
    lines: list[tuple[str, str]] = field(default_factory=list)  # (day, message)
    extra: dict = field(default_factory=dict)

    def fail(self, day: date | str, message: str, *, block: int | None = None, netuid: int | None = None):
        where = str(day)
        if block is not None:
            where += f" block {block}"
        if netuid is not None:
            where += f" subnet {netuid}"
        self.lines.append((str(day), f"{where}: {message}"))

    def result(self) -> dict:
        return {
            "check": self.check,
            "checked": self.checked,
            "failures": [line for _, line in self.lines],
            "failed_days": sorted({day for day, _ in self.lines}),
            **self.extra,
        }


@dataclass
class BlockObservation:
    block: int
    day: date
    total_issuance: int
    total_issuance_before: int
    minted: int
    owner_cut: int
    subnets: dict[int, dict[str, int]]


# ---------------------------------------------------------------------------------------- reading
def _payload(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)


def _naive(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _day_of(ts: datetime) -> date:
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts.date()


def _columns(conn: Connection, table: str) -> set[str] | None:
    """The table's columns, or None when it does not exist (yet)."""
    rows = conn.execute(
        sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = :t AND table_schema = current_schema()"
        ),
        {"t": table},
    ).all()
    return {r[0] for r in rows} or None


def _events(conn: Connection, types: Iterable[str], lo: datetime, hi: datetime, chain: str = "bittensor"):
    """(block_number, block_time, event_type, position, payload) of these types, lo <= block_time < hi."""
    types = list(types)
    names = ", ".join(f":t{i}" for i in range(len(types)))
    rows = conn.execute(
        sa.text(
            f"SELECT block_number, block_time, event_type, position, payload FROM events "
            f"WHERE chain = :chain AND event_type IN ({names}) AND block_time >= :lo AND block_time < :hi"
        ),
        {"chain": chain, "lo": lo, "hi": hi, **{f"t{i}": t for i, t in enumerate(types)}},
    )
    for number, at, event_type, position, payload in rows:
        yield int(number), at, event_type, position, _payload(payload)


def _emission_days(conn: Connection) -> list[date]:
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT CAST(date_trunc('day', block_time) AS DATE) FROM events "
            "WHERE chain = 'bittensor' AND event_type = :t"
        ),
        {"t": EMISSION_OBSERVED},
    )
    return sorted(_as_date(r[0]) for r in rows)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _observation(number: int, at: datetime, payload: dict) -> BlockObservation:
    return BlockObservation(
        block=number,
        day=_day_of(at),
        total_issuance=int(payload["total_issuance"]),
        total_issuance_before=int(payload["total_issuance_before"]),
        minted=int(payload["minted"]),
        owner_cut=int(payload.get("owner_cut") or 0),
        subnets={
            int(s["netuid"]): {k: int(v) for k, v in s.items() if k != "netuid"}
            for s in payload.get("subnets") or []
        },
    )


@dataclass
class DayData:
    """One day's chain observations, with the tempo before the day (for the checks that need it)."""

    day: date
    observations: dict[int, BlockObservation]  # block -> observation (day and margin)
    recycled: dict[int, int]  # block -> rao recycled by it
    neurons: dict[tuple[int, int], tuple[int, int]]  # (netuid, block) -> (Σ emission, UIDs)
    stored_blocks: set[int]  # blocks of the day the ingest stored (chain_blocks)

    def in_day(self) -> list[BlockObservation]:
        return [o for b, o in sorted(self.observations.items()) if o.day == self.day]


def _read_day(conn: Connection, day: date) -> DayData:
    start = _naive(day)
    margin = start - timedelta(seconds=BLOCK_SECONDS * (TEMPO_WINDOW + 10))
    end = start + timedelta(days=1)
    observations: dict[int, BlockObservation] = {}
    withdrawn: dict[tuple[int, str], int] = defaultdict(int)  # (block, extrinsic) -> rao withdrawn
    registering: set[tuple[int, str]] = set()  # (block, extrinsic) that registered a neuron
    for number, at, event_type, position, payload in _events(
        conn, (EMISSION_OBSERVED, WITHDRAW, FEE_PAID, REGISTERED), margin, end
    ):
        if event_type == EMISSION_OBSERVED:
            observations[number] = _observation(number, at, payload)
        elif event_type == WITHDRAW:
            withdrawn[(number, position.split(".")[0])] += int(payload.get("amount") or 0)
        elif event_type == FEE_PAID:
            # The extrinsic's fee and tip were withdrawn too; they leave the payer, not TotalIssuance.
            withdrawn[(number, position.split(".")[0])] -= int(payload.get("actual_fee") or 0)
        else:
            registering.add((number, position.split(".")[0]))
    recycled: dict[int, int] = defaultdict(int)
    for (number, extrinsic), amount in withdrawn.items():
        if (number, extrinsic) in registering:
            recycled[number] += amount
    neurons: dict[tuple[int, int], tuple[int, int]] = {}
    for number, _, _, _, payload in _events(conn, (NEURON_OBSERVED,), start, end):
        key = (int(payload["netuid"]), number)
        total, count = neurons.get(key, (0, 0))
        neurons[key] = (total + int(payload.get("emission") or 0), count + 1)
    stored = {
        int(r[0])
        for r in conn.execute(
            sa.text(
                "SELECT block_number FROM chain_blocks WHERE source = 'subtensor' "
                "AND block_time >= :lo AND block_time < :hi"
            ),
            {"lo": start, "hi": end},
        )
    }
    return DayData(day, observations, recycled, neurons, stored)


# ---------------------------------------------------------------------------------------- checks
def check_tao_minted(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("tao_minted")
    for data in days:
        for obs in data.in_day():
            found.checked += 1
            b = obs.block
            previous = data.observations.get(b - 1)
            scheduled = scheduled_block_emission(obs.total_issuance_before)
            # TotalIssuance is net of recycling, so the chain may have crossed a threshold a little
            # before its net issuance shows it (never by more than one halving, never back up).
            if obs.minted not in (scheduled, scheduled // 2):
                found.fail(
                    data.day,
                    f"minted {obs.minted} rao, the halving schedule at issuance {obs.total_issuance_before} "
                    f"rao gives {scheduled} (difference {obs.minted - scheduled:+d})",
                    block=b,
                )
            elif previous is not None and obs.minted not in (previous.minted, previous.minted // 2):
                found.fail(
                    data.day,
                    f"minted {obs.minted} rao after block {b - 1} minted {previous.minted}: the block emission "
                    f"only stays or halves (difference {obs.minted - previous.minted:+d})",
                    block=b,
                )
            if previous is not None and obs.total_issuance_before != previous.total_issuance:
                found.fail(
                    data.day,
                    f"total_issuance_before {obs.total_issuance_before} rao is not block {b - 1}'s "
                    f"total_issuance {previous.total_issuance} "
                    f"(difference {obs.total_issuance_before - previous.total_issuance:+d})",
                    block=b,
                )
            growth = obs.total_issuance - obs.total_issuance_before
            net = obs.minted - data.recycled.get(b, 0)
            if growth != net:
                found.fail(
                    data.day,
                    f"issuance grew {growth} rao; minted {obs.minted} less {data.recycled.get(b, 0)} recycled "
                    f"is {net} (difference {growth - net:+d})",
                    block=b,
                )
        missing = sorted(data.stored_blocks - set(data.observations))
        if missing:
            found.fail(
                data.day, f"{len(missing)} stored blocks have no EmissionObserved (first {missing[0]})"
            )
    _complete_day_totals(conn, days, found)
    return found.result()


def _complete_days(conn: Connection, chain: str) -> dict[date, tuple[int, int]] | None:
    """{day: (first_block, last_block)} of the chain's complete days, or None before `chain_days` exists."""
    columns = _columns(conn, "chain_days")
    if columns is None or "complete" not in columns:
        return None
    rows = conn.execute(
        sa.text("SELECT day, first_block, last_block FROM chain_days WHERE chain = :c AND complete"),
        {"c": chain},
    )
    return {_as_date(day): (int(lo), int(hi)) for day, lo, hi in rows if lo is not None}


def _mart_emission(conn: Connection, chain: str) -> dict[date, Decimal | None] | None:
    columns = _columns(conn, "ecosystem_daily")
    if columns is None or "emission_native" not in columns:
        return None
    rows = conn.execute(
        sa.text("SELECT day, emission_native FROM ecosystem_daily WHERE chain = :c"), {"c": chain}
    )
    return {_as_date(day): (None if v is None else Decimal(str(v))) for day, v in rows}


def _complete_day_totals(conn: Connection, days: list[DayData], found: Findings) -> None:
    complete = _complete_days(conn, "bittensor")
    found.extra["complete_days_checked"] = []
    if complete is None:
        found.extra["note"] = "chain_days not in the warehouse yet: day totals not compared"
        return
    mart = _mart_emission(conn, "bittensor")
    for data in days:
        if data.day not in complete:
            continue
        lo, hi = complete[data.day]
        found.checked += 1
        found.extra["complete_days_checked"].append(str(data.day))
        blocks = [data.observations[b] for b in range(lo, hi + 1) if b in data.observations]
        if len(blocks) != hi - lo + 1:
            found.fail(
                data.day,
                f"complete day (blocks {lo}-{hi}) but {hi - lo + 1 - len(blocks)} of its blocks have no "
                "EmissionObserved: its TAO minted cannot be summed",
            )
            continue
        minted = sum(o.minted for o in blocks)
        if mart is None:
            continue
        shown = mart.get(data.day)
        expected = Decimal(minted) / RAO_PER_TAO
        if shown is None or shown != expected:
            found.fail(
                data.day,
                f"ecosystem_daily.emission_native shows {shown} TAO, the chain minted {expected} TAO "
                f"over blocks {lo}-{hi}"
                + ("" if shown is None else f" (difference {shown - expected:+} TAO)"),
            )


def check_block_injection(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("block_injection")
    for data in days:
        for obs in data.in_day():
            found.checked += 1
            injected = sum(s.get("tao_in_emission", 0) + s.get("excess_tao", 0) for s in obs.subnets.values())
            if injected != obs.minted:
                found.fail(
                    data.day,
                    f"subnets took {injected} rao (injected + excess over {len(obs.subnets)} subnets), the block "
                    f"minted {obs.minted} (difference {injected - obs.minted:+d})",
                    block=obs.block,
                )
    return found.result()


def split_due(alpha_out: int, owner_cut: int) -> int:
    """What a tempo's UIDs are due: alpha_out less the owner's floor(alpha_out x owner_cut / 65535),
    `owner_cut` being the chain's u16 `SubnetOwnerCut` as observed at the epoch's block."""
    return alpha_out - alpha_out * owner_cut // U16_MAX


def check_tempo_split(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("tempo_split")
    for data in days:
        for obs in data.in_day():
            for netuid in sorted(obs.subnets):
                if netuid == 0 or (obs.block + netuid + 1) % TEMPO_WINDOW:
                    continue
                tempo = range(obs.block - TEMPO, obs.block + 1)
                if any(b not in data.observations for b in tempo):
                    continue  # the tempo starts before the stored history
                found.checked += 1
                alpha_out = sum(
                    data.observations[b].subnets.get(netuid, {}).get("alpha_out_emission", 0) for b in tempo
                )
                expected = split_due(alpha_out, obs.owner_cut)
                paid, uids = data.neurons.get((netuid, obs.block), (0, 0))
                allowed = SPLIT_ROUNDING_PER_UID * uids + SPLIT_ROUNDING_PER_BLOCK * len(tempo)
                if uids == 0 and alpha_out:
                    found.fail(
                        data.day,
                        f"epoch of blocks {tempo.start}-{tempo.stop - 1}: no NeuronObserved at the epoch; UIDs "
                        f"were due {expected} alpha base units ({alpha_out} emitted, owner cut "
                        f"{obs.owner_cut}/65535)",
                        block=obs.block,
                        netuid=netuid,
                    )
                elif abs(paid - expected) > allowed:
                    found.fail(
                        data.day,
                        f"epoch of blocks {tempo.start}-{tempo.stop - 1}: {uids} UIDs were paid {paid} alpha base "
                        f"units, (1 - {obs.owner_cut}/65535) x {alpha_out} emitted is {expected} "
                        f"(difference {paid - expected:+d})",
                        block=obs.block,
                        netuid=netuid,
                    )
    return found.result()


#: The column that says at which block a converted value stands, by preference.
VALUE_BLOCK_COLUMNS = ("block_number", "last_observed_block", "last_block")


def _priced_tables(conn: Connection) -> list[tuple[str, str, list[str], str | None]]:
    """Mart tables holding converted values: (table, its block column, its alpha columns, its price
    column) for every table with `netuid`, `price_block` and a block column (staging left out)."""
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE column_name = 'price_block' AND table_schema = current_schema() ORDER BY table_name"
        )
    )
    out = []
    for (table,) in rows.all():
        columns = _columns(conn, table) or set()
        block = next((c for c in VALUE_BLOCK_COLUMNS if c in columns), None)
        if table.startswith(("stg_", "v_")) or "netuid" not in columns or block is None:
            continue
        alpha = sorted(c for c in columns if c.endswith("_alpha") and not c.startswith("price_"))
        price = "price_tao_per_alpha" if "price_tao_per_alpha" in columns else None
        out.append((table, block, alpha, price))
    return out


def _latest_observation(
    conn: Connection, netuid: int, block: int, cache: dict
) -> tuple[int, int, int] | None:
    """(block, subnet_tao, subnet_alpha_in) of the latest EmissionObserved of `netuid` at or before `block`."""
    key = (netuid, block)
    if key in cache:
        return cache[key]
    span = 8
    hit = None
    while hit is None and span <= 1 << 24:
        rows = conn.execute(
            sa.text(
                "SELECT block_number, payload FROM events WHERE chain = 'bittensor' AND event_type = :t "
                "AND block_number <= :hi AND block_number > :lo ORDER BY block_number DESC"
            ),
            {"t": EMISSION_OBSERVED, "hi": block, "lo": block - span},
        ).all()
        for number, payload in rows:
            for s in _payload(payload).get("subnets") or []:
                if int(s["netuid"]) == netuid:
                    hit = (int(number), int(s["subnet_tao"]), int(s["subnet_alpha_in"]))
                    break
            if hit:
                break
        if hit is None and block - span < 0:
            break
        span *= 8
    cache[key] = hit
    return hit


def check_price_observed(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("price_observed")
    wanted = {d.day for d in days}
    cache: dict = {}
    tables = _priced_tables(conn)
    found.extra["tables"] = [t[0] for t in tables]
    for table, block_column, alpha_columns, price_column in tables:
        # A row converts something when it holds an alpha amount (or, in a table of prices, always).
        converts = " OR ".join(f"{c} IS NOT NULL" for c in alpha_columns) or "TRUE"
        rows = conn.execute(
            sa.text(
                f"SELECT netuid, {block_column}, price_block, {price_column or 'NULL'} FROM {table} "
                f"WHERE {block_column} IS NOT NULL AND ({converts})"
            )
        ).all()
        for netuid, block, price_block, price in rows:
            netuid, block = int(netuid), int(block)
            day = _day_of_block(conn, block, cache)
            if day not in wanted:
                continue
            found.checked += 1
            observed = _latest_observation(conn, netuid, block, cache)
            where = {"block": block, "netuid": netuid}
            if price_block is None:
                latest = (
                    f"the latest observation at or before it is block {observed[0]}"
                    if observed
                    else "the store holds no observation of the subnet at or before its block"
                )
                found.fail(day, f"{table}: a converted value has no price ({latest})", **where)
            elif int(price_block) > block:
                found.fail(day, f"{table}: priced at block {price_block}, after the value's block", **where)
            elif observed is None:
                found.fail(
                    day,
                    f"{table}: priced at block {price_block}, but the store holds no observation of the "
                    "subnet at or before the value's block",
                    **where,
                )
            elif observed[0] != int(price_block):
                found.fail(
                    day,
                    f"{table}: priced at block {price_block}, but the latest observation at or before the "
                    f"value's block is block {observed[0]}",
                    **where,
                )
            elif price is not None and netuid != 0 and observed[2]:
                expected = Decimal(observed[1]) / Decimal(observed[2])
                shown = Decimal(str(price))
                if abs(shown - expected) > expected * Decimal("1e-9"):
                    found.fail(
                        day,
                        f"{table}: price {shown} TAO per alpha, block {price_block} observed {expected} "
                        f"(difference {shown - expected:+})",
                        **where,
                    )
    return found.result()


def _day_of_block(conn: Connection, block: int, cache: dict) -> date | None:
    key = ("day", block)
    if key not in cache:
        at = conn.execute(
            sa.text(
                "SELECT MIN(block_time) FROM chain_blocks WHERE source = 'subtensor' AND block_number = :b"
            ),
            {"b": block},
        ).scalar()
        if at is None:
            at = conn.execute(
                sa.text("SELECT MIN(block_time) FROM events WHERE chain = 'bittensor' AND block_number = :b"),
                {"b": block},
            ).scalar()
        cache[key] = None if at is None else _day_of(at)
    return cache[key]


def check_sahara_minted(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("sahara_minted")
    complete = _complete_days(conn, "sahara")
    mart = _mart_emission(conn, "sahara")
    if complete is None or mart is None:
        found.extra["note"] = "chain_days or ecosystem_daily.emission_native not in the warehouse yet"
        return found.result()
    for day in sorted(complete):
        found.checked += 1
        start = _naive(day)
        minted = sum(
            int(p.get("amount") or 0)
            for _, _, _, _, p in _events(
                conn, (SAHARA_MINT,), start, start + timedelta(days=1), chain="sahara"
            )
        )
        expected = Decimal(minted) / USAH_PER_SAHARA
        shown = mart.get(day)
        if shown is None or shown != expected:
            found.fail(
                day,
                f"ecosystem_daily.emission_native shows {shown} SAHARA, mint events minted {expected} SAHARA"
                + ("" if shown is None else f" (difference {shown - expected:+} SAHARA)"),
            )
    return found.result()


def check_event_counts(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("event_counts")
    rows = conn.execute(
        sa.text(
            """
            WITH stored AS (
                SELECT source, block_number, COUNT(*) AS n FROM events
                WHERE chain <> 'market' AND position NOT LIKE 'obs.%' AND position NOT LIKE 'val.%'
                GROUP BY source, block_number
            ),
            held AS (SELECT source, block_number, COUNT(*) AS n FROM quarantine GROUP BY source, block_number)
            SELECT b.source, CAST(date_trunc('day', b.block_time) AS DATE) AS day,
                   SUM(b.event_count) AS reported, SUM(COALESCE(s.n, 0)) AS stored,
                   SUM(COALESCE(h.n, 0)) AS quarantined
            FROM chain_blocks b
            LEFT JOIN stored s ON s.source = b.source AND s.block_number = b.block_number
            LEFT JOIN held h ON h.source = b.source AND h.block_number = b.block_number
            GROUP BY b.source, CAST(date_trunc('day', b.block_time) AS DATE)
            ORDER BY 1, 2
            """
        )
    )
    for source, day, reported, stored, quarantined in rows:
        found.checked += 1
        if int(reported) != int(stored) + int(quarantined):
            found.fail(
                f"{source} {_as_date(day)}",
                f"source reported {int(reported)} events, stored {int(stored)} + quarantined {int(quarantined)}",
            )
    result = found.result()
    result["failed_days"] = sorted({line.split(" ")[1].rstrip(":") for line in result["failures"]})
    return result


def check_supply_caps(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("supply_caps")
    columns = _columns(conn, "ecosystem_daily") or set()
    column = next((c for c in ("supply_native", "supply_tokens") if c in columns), None)
    if column is None:
        return found.result()
    for chain, day, supply in conn.execute(sa.text(f"SELECT chain, day, {column} FROM ecosystem_daily")):
        found.checked += 1
        if supply is not None and supply == supply and Decimal(str(supply)) > CAPS[chain]:
            found.fail(_as_date(day), f"{chain} supply {supply:,.0f} above the cap {CAPS[chain]:,}")
    return found.result()


def _issuance_by_day(days: list[DayData]) -> dict[date, int]:
    """The last observed `total_issuance` (rao) of each day."""
    out = {}
    for data in days:
        observed = data.in_day()
        if observed:
            out[data.day] = observed[-1].total_issuance
    return out


def check_market_caps(conn: Connection, days: list[DayData]) -> dict:
    found = Findings("market_cap_consistency")
    if _columns(conn, "market_caps_daily") is None:
        return found.result()
    issuance = _issuance_by_day(days)
    rows = conn.execute(
        sa.text(
            "SELECT coin_id, day, market_cap_usd, price_usd FROM market_caps_daily WHERE price_usd > 0 "
            "ORDER BY coin_id, day"
        )
    ).all()
    previous: dict[str, float] = {}
    for coin, day, cap, price in rows:
        found.checked += 1
        day = _as_date(day)
        chain = COIN_CHAIN.get(coin, coin)
        supply = float(cap) / float(price)
        if supply > CAPS.get(chain, float("inf")):
            found.fail(day, f"{coin} implied supply {supply:,.0f} above the cap")
        last = previous.get(coin)
        if last and abs(supply / last - 1) > 0.05:
            found.fail(day, f"{coin} implied supply moved {supply / last - 1:+.1%} in a day")
        if coin == "bittensor" and day in issuance:
            issued = issuance[day] / RAO_PER_TAO
            if abs(supply / issued - 1) > 0.03:
                found.fail(
                    day,
                    f"{coin} implied supply {supply:,.0f} is not within 3% of the {issued:,.0f} TAO the chain "
                    "observed issued that day",
                )
        previous[coin] = supply
    return found.result()


CHECKS = (
    check_tao_minted,
    check_block_injection,
    check_tempo_split,
    check_price_observed,
    check_sahara_minted,
    check_event_counts,
    check_supply_caps,
    check_market_caps,
)


#: Checks that look at one day's observations at a time: `reconcile` reads the days one by one and
#: runs these on each, so memory holds one day whatever the length of the history. The other checks
#: read the warehouse themselves and get each day with its last observation only (`_closing`: the
#: day and its closing issuance, all they use).
PER_DAY_CHECKS = (check_tao_minted, check_block_injection, check_tempo_split)


def _closing(data: DayData) -> DayData:
    observed = data.in_day()
    last = {observed[-1].block: observed[-1]} if observed else {}
    return DayData(data.day, last, {}, {}, set())


def _merged(into: dict | None, part: dict) -> dict:
    """Two results of one check over different days as one."""
    if into is None:
        return part
    into["checked"] += part["checked"]
    into["failures"] += part["failures"]
    into["failed_days"] = sorted(set(into["failed_days"]) | set(part["failed_days"]))
    for key, value in part.items():
        if key in ("check", "checked", "failures", "failed_days"):
            continue
        if isinstance(value, list):
            into[key] = into.get(key, []) + value
        else:
            into.setdefault(key, value)
    return into


def days_touched(conn: Connection, since_seq: int) -> list[date]:
    """The days of the Bittensor observations stored after position `since_seq` (what a run after
    an ingest needs to look at again)."""
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT CAST(date_trunc('day', block_time) AS DATE) FROM events "
            "WHERE seq > :s AND chain = 'bittensor' AND event_type IN (:e, :n)"
        ),
        {"s": since_seq, "e": EMISSION_OBSERVED, "n": NEURON_OBSERVED},
    )
    return sorted(_as_date(r[0]) for r in rows)


def reconcile(
    url: str | None = None,
    *,
    record: bool = True,
    days: Iterable[date] | None = None,
    since_seq: int | None = None,
) -> list[dict]:
    """Run every check over `days` (default: every day with Bittensor issuance observations, or with
    `since_seq` the days its later events touch, so a run costs what is new); with `record`, store each
    outcome in `dq_results` (suite `reconciliation`)."""
    engine = db.make_engine(url)
    results = []
    try:
        with db.connect(engine) as conn:
            started = time.perf_counter()
            if days is not None:
                wanted = sorted(set(days))
            elif since_seq is not None:
                wanted = days_touched(conn, since_seq)
            else:
                wanted = _emission_days(conn)
            reading = time.perf_counter() - started
            # One day in memory at a time: a day of observations at full scale is hundreds of MB.
            per_day: dict = {}
            spent: dict = defaultdict(float)
            closing = []
            for day in wanted:
                started = time.perf_counter()
                data = _read_day(conn, day)
                reading += time.perf_counter() - started
                for check in PER_DAY_CHECKS:
                    started = time.perf_counter()
                    per_day[check] = _merged(per_day.get(check), check(conn, [data]))
                    spent[check] += time.perf_counter() - started
                closing.append(_closing(data))
                del data
            for check in CHECKS:
                started = time.perf_counter()
                if check in PER_DAY_CHECKS:
                    result = per_day[check] if check in per_day else check(conn, [])
                else:
                    result = check(conn, closing)
                spent[check] += time.perf_counter() - started
                result["seconds"] = round(spent[check] + reading / len(CHECKS), 3)
                result["days"] = [str(d) for d in wanted]
                results.append(result)
        if record:
            today = int(datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC).timestamp())
            with db.begin(engine) as conn:
                for result in results:
                    outcome = DQRecord(
                        suite="reconciliation",
                        rows_validated=result["checked"],
                        rows_quarantined=0,
                        expectations_evaluated=1,
                        expectations_failed=1 if result["failures"] else 0,
                        run_seconds=result["seconds"],
                        details={"failures": result["failures"][:50], "failed_days": result["failed_days"]},
                        failed_batch=bool(result["failures"]),
                    )
                    write_dq_result(conn, outcome, "warehouse", result["check"], today, today + 86400, None)
    finally:
        engine.dispose()
    return results
