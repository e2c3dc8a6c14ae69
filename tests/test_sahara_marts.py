"""Sahara marts (`annotations`, `contributors`, Sahara `validators`) and the Sahara as-of state.

The devnet's chain is read once (two consecutive windows of CometBFT blocks, each holding a
validator-set observation, and of EVM blocks) and ingested into DuckDB and PostgreSQL with the
production connectors; projections run after each window and must equal a full rebuild.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from devnet.sahara import SaharaDevnet
from devnet.subtensor import DEFAULT_SCALE
from etl.events import ChainFetch
from etl.pipeline.chain import ingest_range
from etl.sources.cometbft import CometBFTSource
from etl.sources.evm import EvmSource
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.asof import bonded_as_of, delegations_as_of, validator_set_as_of
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

NAMES = ["sahara_annotations", "sahara_validators"]
TABLES = ("annotations", "contributors", "validators", "stg_sahara_validator_sets")
SET_EVERY = 720  # blocks between validator-set observations


class CachedSource:
    """A connector whose fetches are read once and replayed, so both engines ingest the same blocks
    without asking the devnet twice."""

    def __init__(self, client) -> None:
        self.client = client
        self.source, self.chain, self.stream, self.family = (
            client.source,
            client.chain,
            client.stream,
            client.family,
        )
        self._fetched: dict[tuple[int, int], ChainFetch] = {}

    def finalized_head(self) -> int:
        return self.client.finalized_head()

    def block_time(self, number: int) -> int:
        return self.client.block_time(number)

    def fetch(self, start: int, end: int) -> ChainFetch:
        if (start, end) not in self._fetched:
            self._fetched[start, end] = self.client.fetch(start, end)
        return self._fetched[start, end]


@pytest.fixture(scope="module")
def sahara(devnet):
    comet = CometBFTSource(devnet.endpoints["cometbft"])
    evm = EvmSource(devnet.endpoints["evm"])
    head = comet.finalized_head() // SET_EVERY * SET_EVERY
    # CometBFT: 400 + 400 blocks, each window holding one set observation (heights head-1440, head-720).
    split = head - 1050
    windows = [
        [(comet, head - 1450, split), (evm, split - 4320, split)],  # EVM: six hours, then the rest
        [(comet, split, head - 650), (evm, split, head)],
    ]
    cached = {id(comet): CachedSource(comet), id(evm): CachedSource(evm)}
    yield {
        "windows": [[(cached[id(c)], lo, hi) for c, lo, hi in w] for w in windows],
        "observed": (head - 1440, head - 720),
    }
    comet.close()
    evm.close()


def _ingest(url: str, window) -> None:
    for source, start, end in window:
        for lo in range(start, end, 1200):
            ingest_range(source, lo, min(lo + 1200, end), warehouse_url=url)


def _rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def _last_time(engine):
    return _rows(engine, "SELECT MAX(block_time) FROM events")[0][0]


def _assert_matches_as_of(engine, url: str, at) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Sahara validators mart equals the as-of state at the store's last moment."""
    validator_set = validator_set_as_of(url, at)
    delegations = delegations_as_of(url, at)
    bonded = bonded_as_of(url, at)
    assert len(validator_set) > 10 and validator_set["operator_address"].notna().all()
    mart = {
        vid: (power, cons, count, None if amount is None else int(amount), basis, since, flows_since)
        for vid, power, cons, count, amount, basis, since, flows_since in _rows(
            engine,
            "SELECT validator_id, voting_power, consensus_address, delegators, delegated_base_units, "
            "delegated_basis, delegated_since_block, delegators_since_block FROM validators WHERE chain = 'sahara'",
        )
    }
    in_set = {r.operator_address: (r.voting_power, r.consensus_address) for r in validator_set.itertuples()}
    assert {vid: row[:2] for vid, row in mart.items() if row[0]} == in_set
    # Delegators: positive net flows since the first stored delegation, the block named in the row.
    per_validator: dict[str, int] = defaultdict(int)
    for r in delegations.itertuples():
        per_validator[r.validator] += int(r.delegated_usah > 0)
    assert per_validator, "the windows hold delegations"
    assert {vid: row[2] for vid, row in mart.items() if row[2]} == {
        v: n for v, n in per_validator.items() if n
    }
    assert {row[6] for row in mart.values()} == {int(delegations["since_block"].iloc[0])}
    # Bonded tokens: anchored to absolute state, never a bare net flow.
    expected = {
        r.validator_id: (None if pd.isna(r.bonded_usah) else int(r.bonded_usah), r.basis, r.since_block)
        for r in bonded.itertuples()
    }
    assert {vid: (row[3], row[4], row[5]) for vid, row in mart.items()} == expected
    observed = [vid for vid, row in mart.items() if row[4] == "observed" and row[0]]
    assert observed and all(mart[vid][3] > 0 for vid in observed)
    return validator_set, delegations


def _assert_bonded_tokens_are_the_chains(engine, height: int) -> None:
    """Against the devnet's own ledger: exact from a stored creation, within one SAHARA when anchored."""
    from devnet.sahara.economy import SaharaChain, SaharaConfig
    from devnet.subtensor import DEFAULT_SCALE

    chain = SaharaChain(SaharaConfig(seed=7, scale=DEFAULT_SCALE), clock=lambda: DEVNET_NOW)
    tokens = {
        v.valoper: amount for v, amount in zip(chain.validators, chain.tokens_at(height + 1), strict=True)
    }
    rows = _rows(
        engine,
        "SELECT validator_id, delegated_base_units, delegated_basis FROM validators "
        "WHERE chain = 'sahara' AND delegated_base_units IS NOT NULL",
    )
    assert len(rows) > 10
    for vid, amount, basis in rows:
        error = tokens[vid] - int(amount)
        assert (error == 0) if basis == "created" else (0 <= error < 10**18), (vid, basis, error)


def _assert_invariants(engine) -> None:
    # Keys: one row per annotation, contributor, Sahara validator; never null.
    for table, key, where in (
        ("annotations", "annotation_id", "TRUE"),
        ("contributors", "contributor", "TRUE"),
        ("validators", "validator_id", "chain = 'sahara'"),
        ("validators", "consensus_address", "chain = 'sahara' AND consensus_address IS NOT NULL"),
        ("stg_sahara_validator_sets", "event_id", "TRUE"),
    ):
        ((rows, distinct, nulls),) = _rows(
            engine,
            f"SELECT COUNT(*), COUNT(DISTINCT {key}), COUNT(*) - COUNT({key}) FROM {table} WHERE {where}",
        )
        assert rows > 0 and rows == distinct and nulls == 0, (table, key)

    # accepted <= reviewed <= submitted, per contributor and in total.
    bad = _rows(
        engine,
        "SELECT contributor FROM contributors WHERE NOT (accepted <= reviewed AND reviewed <= submitted)",
    )
    assert bad == []
    ((submitted, reviewed, accepted),) = _rows(
        engine, "SELECT SUM(submitted), SUM(reviewed), SUM(accepted) FROM contributors"
    )
    assert 0 < accepted < reviewed < submitted

    # Cooperative rewards: every accepted annotation is paid (the payment shares the review's
    # transaction), nothing else is, and every RewardPaid is attributed to an annotation.
    assert _rows(engine, "SELECT COUNT(*) FROM annotations WHERE accepted AND reward_wei IS NULL") == [(0,)]
    assert _rows(
        engine, "SELECT COUNT(*) FROM annotations WHERE reward_wei IS NOT NULL AND NOT accepted"
    ) == [(0,)]
    ((paid_events,),) = _rows(
        engine,
        "SELECT SUM(CAST(payload->>'amount' AS NUMERIC(38, 0))) FROM events "
        "WHERE event_type = 'DataServices.RewardPaid'",
    )
    ((attributed, paid_rows),) = _rows(engine, "SELECT SUM(reward_wei), COUNT(reward_wei) FROM annotations")
    assert paid_rows > 0 and attributed == paid_events

    # Contributors' totals are the sums over their annotations.
    from_annotations = {
        c: (s, r, a, int(w))
        for c, s, r, a, w in _rows(
            engine,
            """
            SELECT contributor,
                   COUNT(submitted_block),
                   SUM(CASE WHEN submitted_block IS NOT NULL AND reviewed_at IS NOT NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN submitted_block IS NOT NULL AND accepted THEN 1 ELSE 0 END),
                   COALESCE(SUM(reward_wei), 0)
            FROM annotations WHERE contributor IS NOT NULL GROUP BY contributor
            """,
        )
    }
    contributors = {
        c: (s, r, a, int(w))
        for c, s, r, a, w in _rows(
            engine, "SELECT contributor, submitted, reviewed, accepted, rewards_wei FROM contributors"
        )
    }
    assert {c: contributors[c] for c in from_annotations} == from_annotations
    # The others are reputation holders with no annotation in the store.
    others = set(contributors) - set(from_annotations)
    assert all(contributors[c] == (0, 0, 0, 0) for c in others)
    tiers = Counter(t for (t,) in _rows(engine, "SELECT reputation_tier FROM contributors"))
    assert set(tiers) - {None} <= {1, 2, 3, 4, 5} and tiers[None] < sum(tiers.values())

    # Provenance: each annotation row points at the events it came from.
    ((orphans,),) = _rows(
        engine,
        """
        SELECT COUNT(*) FROM annotations a
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = a.event_id)
           OR (a.review_event_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = a.review_event_id))
           OR (a.reward_event_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = a.reward_event_id))
        """,
    )
    assert orphans == 0


def test_incremental_equals_rebuild_and_as_of_matches_the_replay(sahara, warehouse_url):
    engine = db.make_engine(warehouse_url)
    first, second = sahara["windows"]
    # A Bittensor row of the shared table: Sahara runs and rebuilds must leave it alone.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO validators (chain, validator_id, address, netuid) "
                "VALUES ('bittensor', '5Fbittensor', '5Fbittensor', 1)"
            )
        )

    _ingest(warehouse_url, first)
    run_all(engine, NAMES)
    t1 = _last_time(engine)
    set_t1, delegations_t1 = _assert_matches_as_of(engine, warehouse_url, t1)
    assert set(set_t1["observed_block"]) == {sahara["observed"][0]}

    _ingest(warehouse_url, second)
    summaries = run_all(engine, NAMES)
    assert all(s["events"] > 0 for s in summaries)
    assert all(s["events"] == 0 for s in run_all(engine, NAMES))
    incremental = {t: table_checksum(engine, t) for t in TABLES}
    rebuilt_summary = rebuild(engine, NAMES)
    assert {t: table_checksum(engine, t) for t in TABLES} == incremental

    # The past does not move when later blocks arrive; the present is the latest set.
    pd.testing.assert_frame_equal(validator_set_as_of(warehouse_url, t1), set_t1)
    pd.testing.assert_frame_equal(delegations_as_of(warehouse_url, t1), delegations_t1)
    set_now, _ = _assert_matches_as_of(engine, warehouse_url, _last_time(engine))
    assert set(set_now["observed_block"]) == {sahara["observed"][1]}
    _assert_bonded_tokens_are_the_chains(
        engine, _rows(engine, "SELECT MAX(block_number) FROM events WHERE source = 'cometbft'")[0][0]
    )
    _assert_invariants(engine)
    assert _rows(engine, "SELECT validator_id FROM validators WHERE chain = 'bittensor'") == [
        ("5Fbittensor",)
    ]

    counts = {t: c for t, (c, _) in incremental.items()}
    print(
        f"\n{engine.dialect.name}: rows {counts}; rebuild {[s['seconds'] for s in rebuilt_summary]}s, "
        f"incremental {[s['seconds'] for s in summaries]}s"
    )
    engine.dispose()


def test_operators_are_matched_to_the_consensus_addresses_of_the_chain(sahara, duckdb_url):
    from devnet.sahara.economy import SaharaChain, SaharaConfig
    from devnet.subtensor import DEFAULT_SCALE

    _ingest(duckdb_url, sahara["windows"][0])
    engine = db.make_engine(duckdb_url)
    run_all(engine, ["sahara_validators"])
    height = sahara["observed"][0]
    chain = SaharaChain(SaharaConfig(seed=7, scale=DEFAULT_SCALE), clock=lambda: DEVNET_NOW)
    expected = {v.valoper: (v.cons_address.hex().upper(), power) for v, power in chain.validator_set(height)}
    stored = {
        op: (cons, power)
        for op, cons, power in _rows(
            engine,
            "SELECT operator_address, consensus_address, voting_power FROM stg_sahara_validator_sets "
            "WHERE block_number = :h",
            h=height,
        )
    }
    assert stored == expected
    rates = {vid: rate for vid, rate in _rows(engine, "SELECT validator_id, commission_rate FROM validators")}
    model = {v.valoper: v.commission / 10**18 for v, _ in chain.validator_set(height)}
    assert all(rates[vid] == pytest.approx(rate, abs=1e-6) for vid, rate in model.items())
    engine.dispose()


# --- sahara_daily against the devnet's ledger -------------------------------------------------------
DAILY = [
    "chain_days",
    "market_caps",
    "market_caps_daily",
    "sahara_annotations",
    "sahara_validators",
    "sahara_daily",
]
ONE_WEI = Decimal("0.000000000000000001")


def _daily(engine) -> dict:
    columns = (
        "complete, payments, rewards_paid_wei, rewards_paid_sahara, rewards_paid_usd, minted_wei, minted_sahara, "
        "inflation_rate, bonded_ratio, supply_sahara, inflation_annualised, bonded_observed_sahara"
    )
    rows = _rows(engine, f"SELECT day, {columns} FROM sahara_daily ORDER BY day")
    names = [c.strip() for c in columns.split(",")]
    return {str(r[0])[:10]: dict(zip(names, r[1:], strict=True)) for r in rows}


def _assert_equals_ledger(engine, record: dict) -> dict:
    """Rewards, minting, inflation and bonded ratio of `sahara_daily` and `contributors` against the
    devnet's record of the same blocks."""
    daily = _daily(engine)
    days = {d["day"]: d for d in record["days"]}
    assert set(daily) == set(days)
    last_period = record["mint_periods"][-1]
    for day, row in daily.items():
        assert int(row["minted_wei"]) == int(days[day]["minted_usah"]) > 0
        assert Decimal(row["minted_sahara"]) == int(days[day]["minted_usah"]) * ONE_WEI
        assert int(row["rewards_paid_wei"]) == int(days[day]["rewards_paid_usah"])
        assert Decimal(row["rewards_paid_sahara"]) == int(days[day]["rewards_paid_usah"]) * ONE_WEI
        assert row["payments"] == days[day]["payments"]
    # The last day's x/mint figures are those of the record's last minting period.
    last = daily[max(daily)]
    assert Decimal(last["inflation_rate"]) == Decimal(last_period["inflation"])
    assert Decimal(last["bonded_ratio"]) == Decimal(last_period["bonded_ratio"])
    assert last["supply_sahara"] == pytest.approx(int(record["supply_usah"]) / 1e18, rel=0.005)
    # The bonded stake of the last observed set: whole SAHARA per validator, as the ledger holds it
    # at the range's end (stake moves by far less than 0.5% within a day).
    bonded_whole = sum(int(v["bonded_usah"]) // 10**18 for v in record["validators"])
    observed = [r["bonded_observed_sahara"] for _, r in sorted(daily.items()) if r["bonded_observed_sahara"]]
    assert observed and int(observed[-1]) == pytest.approx(bonded_whole, rel=0.005)
    # Rewards per contributor over the blocks: the contributors mart, in wei and exactly in SAHARA.
    per_contributor: Counter = Counter()
    for r in record["rewards"]:
        per_contributor[r["contributor"]] += int(r["amount_usah"])
    stored = {
        c: (int(w), Decimal(s))
        for c, w, s in _rows(engine, "SELECT contributor, rewards_wei, rewards_sahara FROM contributors")
        if w
    }
    assert stored == {c: (w, w * ONE_WEI) for c, w in per_contributor.items()}
    return daily


@pytest.fixture(scope="module")
def across_midnight(devnet):
    """CometBFT and EVM blocks 300 either side of the UTC midnight before the devnet's clock."""
    comet = CometBFTSource(devnet.endpoints["cometbft"])
    evm = EvmSource(devnet.endpoints["evm"])
    midnight = DEVNET_NOW // 86_400 * 86_400
    first_of_day = comet.block_time(1)  # genesis
    first_of_day = (midnight - first_of_day) // 5 + 1
    assert comet.block_time(first_of_day - 1) < midnight <= comet.block_time(first_of_day)
    window = (first_of_day - 300, first_of_day + 300)
    yield {"sources": [CachedSource(comet), CachedSource(evm)], "window": window}
    comet.close()
    evm.close()


def test_sahara_daily_equals_the_ledger_across_midnight(across_midnight, coingecko_conn, warehouse_url):
    from etl.pipeline.market import ingest_coin_window

    start, end = across_midnight["window"]
    for source in across_midnight["sources"]:
        ingest_range(source, start, end, warehouse_url=warehouse_url)
    ingest_coin_window(
        coingecko_conn, "sahara-ai", DEVNET_NOW - 86_400, DEVNET_NOW, warehouse_url=warehouse_url
    )
    engine = db.make_engine(warehouse_url)
    run_all(engine, DAILY)
    record = SaharaDevnet.from_options(7, DEFAULT_SCALE, lambda: DEVNET_NOW).ledger(start, end)
    daily = _assert_equals_ledger(engine, record)
    assert len(daily) == 2 and sum(r["payments"] for r in daily.values()) > 0
    # Two partial days: not complete, so no annualised figure.
    assert [(r["complete"], r["inflation_annualised"]) for r in daily.values()] == [(False, None)] * 2
    # USD: each hour's rewards at that hour's quote, so between the day's lowest and highest quote.
    for day, row in daily.items():
        ((low, high),) = _rows(
            engine,
            "SELECT MIN(price_usd), MAX(price_usd) FROM market_caps WHERE coin_id = 'sahara-ai' "
            "AND CAST(hour AS DATE) = :d",
            d=date.fromisoformat(day),
        )
        sahara_paid = float(row["rewards_paid_sahara"])
        assert low * sahara_paid <= row["rewards_paid_usd"] <= high * sahara_paid
    incremental = table_checksum(engine, "sahara_daily")
    rebuild(engine, DAILY)
    assert table_checksum(engine, "sahara_daily") == incremental
    engine.dispose()


@pytest.fixture(scope="module")
def genesis_day():
    """A devnet whose genesis is an hour before a UTC midnight: its first day (heights 1-720) can be
    ingested whole."""
    from devnet.server import DevnetServer

    genesis = int(datetime(2025, 6, 25, 23, 0, tzinfo=UTC).timestamp())
    with DevnetServer(
        seed=7, now=genesis + 7200, rate_limit_per_minute=0, sahara={"genesis_time": genesis}
    ) as server:
        comet = CometBFTSource(server.endpoints["cometbft"])
        evm = EvmSource(server.endpoints["evm"])
        devnet = SaharaDevnet.from_options(
            7, DEFAULT_SCALE, lambda: genesis + 7200, {"genesis_time": genesis}
        )
        yield {"sources": [CachedSource(comet), CachedSource(evm)], "devnet": devnet}
        comet.close()
        evm.close()


def test_a_complete_sahara_day_equals_the_ledger(genesis_day, warehouse_url):
    for source in genesis_day["sources"]:
        ingest_range(source, 1, 722, warehouse_url=warehouse_url)  # the day, and block 721 after it
    engine = db.make_engine(warehouse_url)
    run_all(engine, DAILY)
    daily = _daily(engine)
    record = genesis_day["devnet"].ledger(1, 721)
    assert [d["day"] for d in record["days"]] == ["2025-06-25"]
    assert daily["2025-06-25"]["complete"] and not daily["2025-06-26"]["complete"]
    # Only the whole day is compared: drop the one block of the next day from the store's figures.
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM sahara_daily WHERE day > :d"), {"d": date(2025, 6, 25)})
    row = _assert_equals_ledger(engine, record)["2025-06-25"]
    # Annualised inflation of a complete day: minted x 365 / supply, from the ledger's numbers.
    supply = int(record["mint_periods"][0]["supply_usah_at_period_start"])
    expected = int(record["days"][0]["minted_usah"]) * 365 / supply
    assert row["inflation_annualised"] == pytest.approx(expected, rel=1e-6)
    engine.dispose()
