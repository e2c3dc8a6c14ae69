"""The SAHARA ERC-20 on EVM networks: the contract registry, decoding by address, topic 0 and topic count,
real recorded eth_getLogs answers, and `network_daily` against the devnet's own record of the token.

The devnet here starts its chain at 2026-01-14 20:00 UTC, so a backfill from the token's first block
(block 1) to 02:00 the next day holds a complete UTC day (its first block is the chain's genesis) and a
partial one. Beside SAHARA it serves an ERC-721 collection (registered here with the ERC-20 ABI set, as
a watch list that takes every token for an ERC-20 would: its `Transfer` has ERC-20's topic 0 but four
topics) and a contract the registry does not list.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from etl.contracts import RegistryError, abi_events, load_registry, parse_registry
from etl.events import Event, QuarantinedRow
from etl.sources.evm import RAW_LOG, decode_log
from tests.conftest import DEVNET_NOW
from warehouse import db
from warehouse.audit import warehouse_checksums

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "evm"
GENESIS = int(datetime(2026, 1, 14, 20, 0, tzinfo=UTC).timestamp())
#: Blocks 1 .. 4,320: 20:00 to 02:00 UTC (5 s blocks); 2026-01-14 is blocks 1-2,880.
END_BLOCK = 4321
SAHARA = "0xaa92e05b3ca756030eac55b0e1d3f75c7e5ca7cb"
COLLECTIBLE = "0xc51a8ad57079390d42dda9b1540609bf9aadc465"
UNREGISTERED = "0x9837ed7ab2ea9b958e0377bc1ea2c95f0e3584de"
TOKEN_TABLES = [
    "stg_erc20_transfers",
    "stg_erc20_approvals",
    "erc20_tokens",
    "erc20_balances",
    "erc20_balance_days",
    "evm_unmodelled_logs",
    "network_daily",
]

DEVNET_REGISTRY = f"""
[[networks]]
name = "sahara-devnet"
chain_id = 3133130

[[networks.contracts]]
name = "SAHARA"
address = "{SAHARA}"
abi = ["ERC20"]
first_block = 1
symbol = "SAHARA"
decimals = 18

[[networks.contracts]]
name = "DataServices"
address = "0x4d390ecd31e03286fa7a185a1cdc227906651ff0"
abi = ["DataServices"]
first_block = 1

[[networks.contracts]]
name = "Marketplace"
address = "0xdbd751a810fafb22ae1f9d65e9fe5a19a8d287b3"
abi = ["Marketplace"]
first_block = 1

[[networks.contracts]]
name = "Reputation"
address = "0x86a052e1b59d4d776fba7e2e99b1e22d0d6a651c"
abi = ["Reputation"]
first_block = 1

[[networks.contracts]]
name = "Collectible"
address = "{COLLECTIBLE}"
abi = ["ERC20"]
first_block = 1
"""

#: Avalanche C-Chain (chain id 43114): USDC (6 decimals) and WAVAX (18), the tokens of the recording.
AVALANCHE_REGISTRY = """
[[networks]]
name = "avalanche-c"
chain_id = 43114

[[networks.contracts]]
name = "USDC"
address = "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E"
abi = ["ERC20"]
symbol = "USDC"
decimals = 6

[[networks.contracts]]
name = "WAVAX"
address = "0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7"
abi = ["ERC20"]
symbol = "WAVAX"
decimals = 18
"""


# ------------------------------------------------------------------------------ registry and ABIs


def test_erc20_topics_are_the_keccak_of_their_canonical_signatures():
    topics = {spec.signature: spec.topic0 for spec in abi_events("ERC20")}
    assert topics == {
        "Transfer(address,address,uint256)": "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
        "Approval(address,address,uint256)": "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925",
    }


def test_the_committed_registry_lists_the_devnet_token_and_the_modelled_contracts():
    network = load_registry().network(3_133_130)
    assert network.label == "evm:sahara-devnet"
    token = network.contract(SAHARA)
    assert (token.symbol, token.decimals, token.first_block, token.abi) == ("SAHARA", 18, 1, ("ERC20",))
    assert {c.name for c in network.contracts} >= {"SAHARA", "DataServices", "Marketplace", "Reputation"}
    assert UNREGISTERED not in network.addresses(1, 10)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('address = "0x12"\nabi = ["ERC20"]', "is not a 0x + 40 hex address"),
        (f'address = "{SAHARA}"\nabi = ["ERC1155"]', "ABI set 'ERC1155' has no file ERC1155.json"),
        (f'address = "{SAHARA}"\nabi = ["ERC20"]\nsymbol = "SAHARA"', "needs both `symbol` and `decimals`"),
    ],
)
def test_a_wrong_registry_entry_is_named(entry, message):
    text = f'[[networks]]\nname = "x"\nchain_id = 1\n[[networks.contracts]]\n{entry}\n'
    with pytest.raises(RegistryError, match=re.escape(message)):
        parse_registry(text, "mine.toml")


def test_a_chain_missing_from_the_registry_says_how_to_add_it():
    with pytest.raises(
        RegistryError, match=r"no network with chain id 1 \(it has: sahara-devnet \(3133130\)\)"
    ):
        load_registry().network(1)


# ------------------------------------------------------------------------------ decoding


def _log(address: str, topics: list[str], data: str, index: int = 0) -> dict:
    return {
        "address": address,
        "topics": topics,
        "data": data,
        "blockNumber": "0x10",
        "transactionHash": "0x" + "ab" * 32,
        "transactionIndex": "0x0",
        "blockHash": "0x" + "cd" * 32,
        "logIndex": hex(index),
        "removed": False,
    }


def _word(value: int | str) -> str:
    return "0x" + (f"{value:064x}" if isinstance(value, int) else value[2:].rjust(64, "0"))


TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ALICE, BOB = "0x" + "11" * 20, "0x" + "22" * 20


def test_a_log_decodes_by_address_topic0_and_topic_count_and_anything_else_is_a_raw_log():
    network = parse_registry(DEVNET_REGISTRY, "test.toml").network(3_133_130)
    erc20 = decode_log(_log(SAHARA, [TRANSFER, _word(ALICE), _word(BOB)], _word(5 * 10**18)), network)
    assert erc20.event_type == "ERC20.Transfer"
    assert erc20.payload == {
        "from": ALICE,
        "to": BOB,
        "value": "5000000000000000000",
        "contract": SAHARA,
        "tx_hash": "0x" + "ab" * 32,
        "network": "sahara-devnet",
        "chain_id": 3_133_130,
        "token_symbol": "SAHARA",
        "token_decimals": 18,
    }
    # An ERC-721 Transfer: the same topic 0, the token id as a fourth topic, no data.
    nft = decode_log(_log(COLLECTIBLE, [TRANSFER, _word(ALICE), _word(BOB), _word(7)], "0x"), network)
    assert nft.event_type == RAW_LOG and nft.payload["network"] == "sahara-devnet"
    assert nft.payload["topics"][3] == _word(7)
    # The same topic 0 from a contract the registry does not list.
    foreign = decode_log(_log(UNREGISTERED, [TRANSFER, _word(ALICE), _word(BOB)], _word(1)), network)
    assert foreign.event_type == RAW_LOG
    # A registered ERC-20 Transfer whose data is not one uint256: malformed, quarantined with the reason.
    broken = decode_log(_log(SAHARA, [TRANSFER, _word(ALICE), _word(BOB)], "0x1234"), network)
    assert isinstance(broken, QuarantinedRow) and "does not decode" in broken.reason


def test_real_avalanche_logs_decode_through_the_connector_with_nothing_quarantined():
    """A real eth_getLogs answer of Avalanche C-Chain block 30,806,758 (68 logs of 14 transactions):
    with USDC and WAVAX registered, their Transfer and Approval logs decode, WAVAX's Deposit and every
    other contract's log is a RawLog, and nothing is quarantined."""
    envelope = json.loads((FIXTURES / "avalanche_c_eth_getlogs_block_30806758.json").read_text())
    logs = envelope["result"]
    network = parse_registry(AVALANCHE_REGISTRY, "avalanche.toml").network(43114)
    decoded = [decode_log(entry, network) for entry in logs]
    assert len(decoded) == 68 and all(isinstance(item, Event) for item in decoded)
    kinds: dict[tuple[str, str], int] = {}
    for item in decoded:
        key = (item.payload.get("token_symbol") or item.payload["contract"], item.event_type)
        kinds[key] = kinds.get(key, 0) + 1
    assert kinds[("USDC", "ERC20.Transfer")] == 6 and kinds[("USDC", "ERC20.Approval")] == 1
    assert kinds[("WAVAX", "ERC20.Transfer")] == 3
    assert kinds[("0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7", RAW_LOG)] == 1  # WAVAX Deposit, 2 topics
    assert sum(n for (_, kind), n in kinds.items() if kind == RAW_LOG) == 68 - 10
    first = decoded[0]  # log 0: 318 USDC
    assert first.payload["value"] == "318000000" and first.payload["token_decimals"] == 6
    assert first.payload["from"] == "0x7e4aa755550152a522d9578621ea22edab204308"
    assert first.payload["to"] == "0xc0d45e2bf05239a3474bdfb1c8d279e0fc472227"
    assert first.block_number == 30_806_758 and first.position == "0.0"


# ------------------------------------------------------------------------------ the devnet


@pytest.fixture(scope="module")
def token_devnet():
    from devnet.server import DevnetServer

    with DevnetServer(
        seed=7, now=DEVNET_NOW, rate_limit_per_minute=0, sahara={"genesis_time": GENESIS}
    ) as server:
        yield server


@pytest.fixture(scope="module")
def record(token_devnet) -> dict:
    """The devnet's own record of the token over the backfill."""
    response = httpx.get(
        token_devnet.base_url + "/_devnet/sahara/token", params={"start_height": 1, "end_height": END_BLOCK}
    )
    response.raise_for_status()
    return response.json()


def _evm(devnet, method: str, params: list):
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(devnet.endpoints["evm"], json=body).json()


def _logs(devnet, **address) -> list[dict]:
    """Every log of blocks [1, END_BLOCK) the devnet sends for the filter, in 2,000-block queries."""
    out = []
    for lo in range(1, END_BLOCK, 2000):
        span = {"fromBlock": hex(lo), "toBlock": hex(min(END_BLOCK - 1, lo + 1999)), **address}
        out += _evm(devnet, "eth_getLogs", [span])["result"]
    return out


def test_the_devnet_honours_the_address_filter_as_a_node_does(token_devnet, record):
    every = _logs(token_devnet)
    one = _logs(token_devnet, address=COLLECTIBLE.upper().replace("0X", "0x"))
    two = _logs(token_devnet, address=[SAHARA, UNREGISTERED])
    assert {log["address"] for log in one} == {COLLECTIBLE}
    assert len(one) == sum(1 for log in every if log["address"] == COLLECTIBLE) > 0
    assert {log["address"] for log in two} == {SAHARA, UNREGISTERED}
    assert len(two) == sum(1 for log in every if log["address"] in (SAHARA, UNREGISTERED))
    span = {"fromBlock": "0x1", "toBlock": "0x10"}
    refused = _evm(token_devnet, "eth_getLogs", [span | {"address": 5}])
    assert refused["error"]["code"] == -32602
    # The record: a skewed allocation from a treasury mint, then many small transfers.
    assert record["days"][0]["transfers"] > 100 and record["days"][1]["holders"] > 150


def _ingest(url: str, start: int, end: int) -> list[dict]:
    from etl.pipeline import sahara as sahara_pipeline

    params = {"start_block": start, "end_block": end, "chunk_blocks": 1200, "sources": ["evm"]}
    return [
        sahara_pipeline.ingest_chunk(chunk, warehouse_url=url)
        for chunk in sahara_pipeline.plan(params, warehouse_url=url)
    ]


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


@pytest.fixture()
def token_conns(token_devnet, monkeypatch, tmp_path):
    registry = tmp_path / "contracts.toml"
    registry.write_text(DEVNET_REGISTRY)
    monkeypatch.setenv("DECAI_CONTRACTS_FILE", str(registry))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SAHARA_EVM", json.dumps({"conn_type": "http", "host": token_devnet.endpoints["evm"]})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_COINGECKO",
        json.dumps({"conn_type": "http", "host": token_devnet.endpoints["coingecko"], "password": "k-demo"}),
    )
    return token_devnet


def test_a_backfill_gives_network_daily_rows_equal_to_the_devnets_record(token_conns, record, warehouse_url):
    from etl.connections import coingecko_connection
    from etl.pipeline.market import ingest_market_window
    from warehouse.projections import rebuild, run_all

    engine = db.make_engine(warehouse_url)
    ingest_market_window(
        coingecko_connection(), ["sahara-ai"], GENESIS - 86_400, GENESIS + 86_400, warehouse_url=warehouse_url
    )
    # The later blocks first, then a late backfill of the earlier ones: each folded as it comes.
    later = _ingest(warehouse_url, 2500, END_BLOCK)
    run_all(engine)
    earlier = _ingest(warehouse_url, 1, 2500)
    run_all(engine)
    assert sum(r["rows_quarantined"] for r in later + earlier) == 0
    assert _rows(engine, "SELECT COUNT(*) FROM quarantine")[0][0] == 0

    # Each registered contract's unmodelled logs, counted per contract as the devnet emitted them; the
    # unregistered contract's logs were never asked for.
    emitted = {entry["address"]: entry["logs"] for entry in record["unmodelled_logs"]}
    assert emitted[UNREGISTERED] > 0 and emitted[COLLECTIBLE] > 0
    counted = dict(_rows(engine, "SELECT contract_address, logs FROM evm_unmodelled_logs"))
    assert counted == {COLLECTIBLE: emitted[COLLECTIBLE]}
    (raw_logs,) = _rows(engine, "SELECT COUNT(*) FROM events WHERE event_type = 'evm.RawLog'")[0]
    assert raw_logs == emitted[COLLECTIBLE]
    types = {t for (t,) in _rows(engine, "SELECT DISTINCT event_type FROM events WHERE source = 'evm'")}
    assert types == {"ERC20.Transfer", "ERC20.Approval", "evm.RawLog"}  # the chain's first hours

    rows = _rows(
        engine,
        "SELECT day, complete, transactions, active_accounts, new_accounts, transfers, transfer_volume_native, "
        "transfer_volume_usd, price_usd, holders, fees_native, staking_apr, native_unit, chain "
        "FROM network_daily WHERE network = 'evm:sahara-devnet' ORDER BY day",
    )
    assert [(r.day, r.complete) for r in rows] == [(date(2026, 1, 14), True), (date(2026, 1, 15), False)]
    for row, expected in zip(rows, record["days"], strict=True):
        assert row.day.isoformat() == expected["day"]
        assert row.transfers == expected["transfers"]
        assert row.transfer_volume_native == Decimal(expected["volume_base_units"]) / Decimal(10**18)
        assert row.active_accounts == expected["active_accounts"]
        assert row.holders == expected["holders"]
        assert row.transactions == expected["transactions"]
        assert row.new_accounts == expected["new_accounts"]
        assert (row.chain, row.native_unit, row.fees_native, row.staking_apr) == (
            "sahara",
            "SAHARA",
            None,
            None,
        )
        (last_quote,) = _rows(
            engine,
            "SELECT payload->>'price_usd' FROM events WHERE event_type = 'market.Quote' "
            "AND CAST(block_time AS DATE) = :d ORDER BY block_time DESC LIMIT 1",
            d=row.day,
        )[0]
        assert row.price_usd == pytest.approx(float(last_quote), rel=1e-12)
        assert row.transfer_volume_usd == pytest.approx(float(row.transfer_volume_native) * row.price_usd)

    # Re-running the same ingestion and projections changes nothing; a rebuild gives the same tables.
    before = warehouse_checksums(engine, TOKEN_TABLES)
    assert sum(r["rows_new"] for r in _ingest(warehouse_url, 1, END_BLOCK)) == 0
    run_all(engine)
    assert warehouse_checksums(engine, TOKEN_TABLES) == before
    rebuild(engine)
    assert warehouse_checksums(engine, TOKEN_TABLES) == before
    engine.dispose()


# ------------------------------------------------------------------------------ the quality page


def test_the_quality_page_counts_unmodelled_logs_per_network_and_contract(warehouse_url):
    from dashboards import controls
    from dashboards.pages import quality

    engine = db.make_engine(warehouse_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO evm_unmodelled_logs VALUES "
                "('sahara-devnet', :nft, 8, 900, 4100, '2026-01-15 01:40:00'), "
                "('sahara-devnet', :token, 1, 2000, 2000, '2026-01-14 22:46:40')"
            ),
            {"nft": COLLECTIBLE, "token": SAHARA},
        )
    engine.dispose()
    sahara = controls.view_from_values(None, None, None, "sahara", None, None)
    section = quality.unmodelled_logs_section(warehouse_url, sahara)
    table = next(c for c in section.children if getattr(c, "id", None) == "unmodelled-logs-table")
    assert [(r["network"], r["contract_address"], r["logs"], r["last_block"]) for r in table.data] == [
        ("sahara-devnet", COLLECTIBLE, 8, 4100),
        ("sahara-devnet", SAHARA, 1, 2000),
    ]
    assert table.data[0]["last_block_time"] == "2026-01-15 01:40:00"
    bittensor = controls.view_from_values(None, None, None, "bittensor", None, None)
    assert not quality.unmodelled_logs_section(warehouse_url, bittensor).children
