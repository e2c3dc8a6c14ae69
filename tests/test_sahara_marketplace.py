"""Sahara marketplace staging (`stg_sahara_marketplace`) and the dashboard's marketplace figures.

Six hours of the devnet's EVM blocks (licence purchases and the revenue they share out among them)
are read once and ingested into DuckDB and PostgreSQL with the production connector, in two windows,
the projection run after each. The rows must equal the devnet's own record of the SAHARA token: every
licence is paid by a transfer from the buyer to the marketplace contract, every share by a transfer
from the marketplace to its recipient, in the same transaction (`TokenLedger`, written as the devnet
generates each day, never read back from the logs it serves). A rebuild gives the same rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from devnet.sahara import SaharaDevnet
from devnet.sahara.common import BLOCKS_PER_DAY
from devnet.sahara.contracts import ADDRESSES
from devnet.subtensor import DEFAULT_SCALE
from etl.pipeline.chain import ingest_range
from etl.sources.evm import EvmSource
from tests.conftest import DEVNET_NOW
from tests.test_sahara_marts import CachedSource
from warehouse import db
from warehouse.audit import table_checksum
from warehouse.projections import rebuild, run_all

NAMES = ["sahara_marketplace"]
#: Six hours of EVM blocks (5 s each) before the devnet's head: a few dozen marketplace logs.
SPAN = 4320


@pytest.fixture(scope="module")
def evm(devnet):
    source = EvmSource(devnet.endpoints["evm"])
    head = source.finalized_head()
    split = head - SPAN // 2
    yield {"source": CachedSource(source), "windows": [(head - SPAN, split), (split, head + 1)]}
    source.close()


@pytest.fixture(scope="module")
def record(evm) -> dict:
    """The devnet's record of the marketplace's token movements over the ingested blocks: licences
    (buyer -> marketplace, the price) and shares (marketplace -> recipient), per transaction."""
    first, end = evm["windows"][0][0], evm["windows"][-1][1]
    chain = SaharaDevnet.from_options(7, DEFAULT_SCALE, lambda: DEVNET_NOW).chain
    chain.evm_blocks_with_txs(first, end - 1)  # generates the days, which records their transfers
    market = "0x" + ADDRESSES["Marketplace"].hex()
    licences, shares = Counter(), Counter()
    for day in range(first // BLOCKS_PER_DAY, (end - 1) // BLOCKS_PER_DAY + 1):
        for block, tx_hash, sender, recipient, amount in chain.token_ledger.transfers[day]:
            if not first <= block < end:
                continue
            when = datetime.fromtimestamp(chain.block_time(block), UTC).replace(tzinfo=None)
            if recipient == market:
                licences[block, when, tx_hash, sender, amount] += 1
            elif sender == market:
                shares[block, when, tx_hash, recipient, amount] += 1
    return {"licences": licences, "shares": shares}


def _staged(engine, kind: str) -> Counter:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT block_number, block_time, tx_hash, account, amount_usah FROM stg_sahara_marketplace "
                "WHERE kind = :kind"
            ),
            {"kind": kind},
        ).all()
    return Counter(
        (int(b), pd.Timestamp(t).to_pydatetime(), h, a, int(amount)) for b, t, h, a, amount in rows
    )


def test_staged_marketplace_rows_equal_the_devnets_record_and_a_rebuild(evm, record, warehouse_url):
    from dashboards import queries

    assert len(record["licences"]) >= 3 and len(record["shares"]) > len(record["licences"])
    engine = db.make_engine(warehouse_url)
    for lo, hi in evm["windows"]:
        for start in range(lo, hi, 1200):
            ingest_range(evm["source"], start, min(start + 1200, hi), warehouse_url=warehouse_url)
        run_all(engine, NAMES)

    assert _staged(engine, "license") == record["licences"]
    assert _staged(engine, "revenue_share") == record["shares"]
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT DISTINCT kind FROM stg_sahara_marketplace")).scalars().all()
        (assets,) = conn.execute(
            sa.text("SELECT COUNT(*) FROM stg_sahara_marketplace WHERE asset_id IS NULL OR log_index IS NULL")
        ).one()
    assert sorted(kinds) == ["license", "revenue_share"] and assets == 0

    # The marketplace table of the Sahara page: per UTC day, the licences, their prices and the shares
    # paid out, as the record sums them.
    expected: dict = {}
    for what, moved in (("licences", record["licences"]), ("shares", record["shares"])):
        for (_block, when, _tx, _account, amount), n in moved.items():
            day = expected.setdefault(pd.Timestamp(when.date()), {"licenses": 0, "sales": 0, "shared": 0})
            if what == "licences":
                day["licenses"] += n
                day["sales"] += n * amount
            else:
                day["shared"] += n * amount
    shown = queries.marketplace_per_day(warehouse_url)
    assert list(shown["day"]) == sorted(expected)
    for row in shown.itertuples(index=False):
        wanted = expected[row.day]
        assert int(row.licenses) == wanted["licenses"]
        assert row.license_sales_sahara == pytest.approx(wanted["sales"] / 1e18, rel=1e-12)
        assert row.revenue_shared_sahara == pytest.approx(wanted["shared"] / 1e18, rel=1e-12)

    incremental = table_checksum(engine, "stg_sahara_marketplace")
    rebuild(engine, NAMES)
    assert table_checksum(engine, "stg_sahara_marketplace") == incremental
    run_all(engine, NAMES)  # nothing new: nothing changes
    assert table_checksum(engine, "stg_sahara_marketplace") == incremental
    engine.dispose()
