"""Cosmos event fields are known, not guessed: real recorded `/block_results` answers of public Cosmos
SDK chains (tests/fixtures/cosmos, sources in tests/fixtures/README.md) decode through the connector's
path with nothing quarantined, and the attribute catalog types what a user reads: `tx.fee` is coins
(empty = zero), `tx.fee_payer`, `message.sender` and `transfer.recipient` are addresses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from etl.sources.cometbft import decode_block_results, decode_capture, form_of
from etl.validate.chain_events import validate_chain_events

FIXTURES = Path(__file__).parent / "fixtures" / "cosmos"
RECORDED = sorted(FIXTURES.glob("*.json"))
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _result(path: Path) -> dict:
    return json.loads(path.read_text())["result"]


def _raw_event_count(result: dict) -> int:
    events = sum(len(tx.get("events") or []) for tx in result.get("txs_results") or [])
    for name in ("finalize_block_events", "begin_block_events", "end_block_events"):
        events += len(result.get(name) or [])
    return events


def test_the_recorded_answers_cover_several_chains_and_every_node_form():
    assert len(RECORDED) >= 4
    chains = {p.name.split("_")[0] for p in RECORDED}
    assert {"testnet-croeseid-4", "cronostestnet", "cronos"} <= chains
    assert {form_of(_result(p)) for p in RECORDED} == {"v0.38", "v0.34"}


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_a_recorded_block_results_decodes_and_validates_with_nothing_quarantined(path):
    result = _result(path)
    height = int(result["height"])
    records = list(decode_capture(path.read_text()))
    assert len(records) == _raw_event_count(result) > 0
    assert [r["reason"] for r in records if r.get("quarantined")] == []
    events, quarantined = decode_block_results(result, block_time=WHEN)
    assert quarantined == []
    checked = validate_chain_events(events, family="sahara_staking", start=height, end=height + 1)
    assert [q.reason for q in checked.quarantined] == []
    assert len(checked.events) == len(events)


def _payloads(path: Path, event_type: str) -> list[dict]:
    events, _ = decode_block_results(_result(path), block_time=WHEN)
    return [e.payload for e in events if e.event_type == event_type and e.position.startswith("tx")]


def test_the_fee_is_coins_and_the_fee_payer_an_address_on_a_real_v038_block():
    (fee,) = [
        p
        for p in _payloads(FIXTURES / "testnet-croeseid-4_22232949_v0.38.json", "tx.tx")
        if "fee_basetcro" in p
    ]
    assert fee == {"fee_basetcro": "7000", "fee_payer": "tcro1gyczuk4yl2jae6pgu0qc2tztc889mn7vx9yj83"}
    transfers = _payloads(FIXTURES / "testnet-croeseid-4_22232949_v0.38.json", "bank.transfer")
    assert {"recipient": "tcro17xpfvakm2amg962yls6f84z3kell8c5lxhzaha",
            "sender": "tcro1gyczuk4yl2jae6pgu0qc2tztc889mn7vx9yj83", "amount_basetcro": "7000"} in transfers  # fmt: skip
    (spent, *_) = _payloads(FIXTURES / "testnet-croeseid-4_22232949_v0.38.json", "bank.coin_spent")
    assert spent["spender"].startswith("tcro1") and spent["amount_basetcro"] == "7000"


def test_an_ethermint_transaction_keeps_its_hashes_its_wei_and_its_0x_sender():
    path = FIXTURES / "cronostestnet_338-3_27101811_v0.38.json"
    full = [p for p in _payloads(path, "evm.ethereum_tx") if "txHash" in p]
    assert len(full) == 5
    assert full[0]["ethereumTxHash"] == "0x3094941c989efc91ad9f8fec4d24a565b7f4423fb15738875eaf9fac633eb741"
    assert full[0]["amount"] == "0" and full[0]["txGasUsed"] == 69109
    senders = {p["sender"] for p in _payloads(path, "tx.message") if "txType" in p}
    assert len(senders) >= 1 and all(s.startswith("0x") and len(s) == 42 for s in senders)
    fees = [p for p in _payloads(path, "tx.tx") if any(k.startswith("fee_") for k in p)]
    assert len(fees) == 5 and all("fee_payer" not in p for p in fees)
    assert fees[0]["fee_basetcro"] == "518317500000000000"


def _block(tx_events: list[dict]) -> dict:
    return {"height": "9", "txs_results": [{"code": 0, "events": tx_events}], "finalize_block_events": []}


def _attrs(**values: str) -> list[dict]:
    return [{"key": k, "value": v, "index": True} for k, v in values.items()]


def test_an_address_fee_payer_is_kept_and_a_malformed_fee_is_quarantined_with_its_reason():
    payer = "sahara1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnue7zxm"
    events, quarantined = decode_block_results(
        _block(
            [
                {"type": "tx", "attributes": _attrs(fee="2500000000000000usah", fee_payer=payer)},
                {"type": "tx", "attributes": _attrs(fee="", fee_payer=payer)},
                {"type": "tx", "attributes": _attrs(fee="12x!usah", fee_payer=payer)},
                {"type": "message", "attributes": _attrs(sender="sahara1notanaddress", msg_index="0")},
                {"type": "some_new_thing", "attributes": _attrs(amount="1usah,2uatom", fee_payer="anyone")},
            ]
        ),
        block_time=WHEN,
    )
    payloads = [e.payload for e in events]
    assert payloads[0] == {"fee_usah": "2500000000000000", "fee_payer": payer}
    assert payloads[1] == {"fee_usah": "0", "fee_payer": payer}  # an empty fee is a zero fee
    # A type the catalog does not list is text, whatever its attributes are called.
    assert payloads[2] == {
        "amount": "1usah,2uatom",
        "fee_payer": "anyone",
        "cosmos_event_type": "some_new_thing",
    }
    assert [(q.position, q.rule, q.reason) for q in quarantined] == [
        ("9:tx0.2", "cometbft_attribute", "block 9 from sahara_cometbft: attribute `fee` is not a coin string (value '12x!usah')"),
        ("9:tx0.3", "cometbft_attribute",
         "block 9 from sahara_cometbft: attribute `sender` of `message` is not an address, bech32 or 0x "
         "(value 'sahara1notanaddress')"),
    ]  # fmt: skip
    checked = validate_chain_events(events, family="sahara_staking", start=9, end=10)
    assert checked.quarantined == [] and len(checked.events) == 3
