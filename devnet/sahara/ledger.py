"""The Sahara devnet's ledger: what the simulated chain did, written as it applies each operation.

The simulation records here, at the point where it decides them, every reward it pays a contributor
(`DataServices.RewardPaid`), every change of a validator's bonded tokens (create_validator,
delegate, redelegate, unbond) and each day's minting parameters (supply at the day's start, annual
inflation, bonded ratio, tokens minted per block). Nothing here is read back from the blocks or
events the devnet serves; tests compare the warehouse against this record.

The chain is lazy (a day is generated when first needed), so `report` first has the chain apply the
days a height range needs, then reads the record. Amounts are integers in usah (1 SAHARA = 1e18
usah); ratios are decimal strings with 18 digits (Cosmos LegacyDec).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime


def _dec(atto: int) -> str:
    whole, frac = divmod(atto, 10**18)
    return f"{whole}.{frac:018d}"


class SaharaLedger:
    """The record itself: appended to by the chain, keyed so that regenerating a day (the chain's
    caches are bounded) writes the same entries again instead of doubling them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: annotation id -> (block, contributor 0x-hex, task id, amount usah)
        self.payments: dict[int, tuple[int, str, int, int]] = {}
        #: (operation key, validator index) -> (block, signed usah)
        self.stake_changes: dict[tuple[str, int], tuple[int, int]] = {}
        #: devnet day (17,280 blocks from height 1) -> (supply at start, inflation, bonded ratio, minted per block)
        self.mint_days: dict[int, tuple[int, int, int, int]] = {}
        #: transaction key -> (block, signer and fee payer, fee usah, tx bytes, EVM hash or None,
        #: the transfers its messages make: ((sender, recipient, usah), ...))
        self.transactions: dict[str, tuple[int, bytes, int, bytes, bytes | None, tuple]] = {}

    def paid(self, block: int, contributor: bytes, task_id: int, annotation_id: int, amount: int) -> None:
        with self._lock:
            self.payments[annotation_id] = (block, "0x" + contributor.hex(), task_id, amount)

    def staked(self, block: int, key: str, validator: int, delta: int) -> None:
        with self._lock:
            self.stake_changes[key, validator] = (block, delta)

    def transaction(
        self, key: str, block: int, signer: bytes, fee: int, raw: bytes, evm_hash: bytes | None, transfers
    ) -> None:
        with self._lock:
            self.transactions[key] = (block, signer, fee, raw, evm_hash, tuple(transfers))

    def minting(self, day: int, supply: int, inflation: int, ratio: int, provision: int) -> None:
        with self._lock:
            self.mint_days[day] = (supply, inflation, ratio, provision)


def report(chain, start_height: int, end_height: int, *, with_activity: bool = False) -> dict:
    """The record over blocks [start_height, end_height) of `chain` (a `SaharaChain`), as the control
    endpoint serves it. Rewards and minting are summed per UTC day of the block's time; stake, supply
    and bonded ratio are the state after block end_height - 1. `with_activity` adds every
    transaction (hash, signer, fee payer, fee, the EVM hash of a MsgEthereumTx), every transfer the
    transactions make (`fee` to the fee collector, `message` transfers: sends and reward
    withdrawals), and each day's block-level flows (`block_flows`: x/mint's coinbase to the minter
    and its transfers to the fee collector and on to distribution)."""
    from devnet.sahara.economy import TASK_REACH, _day_of, _first_block

    if not 1 <= start_height < end_height:
        raise ValueError("expected 1 <= start_height < end_height")
    last = end_height - 1
    first_day, last_day = _day_of(start_height), _day_of(last)
    # Apply what the range needs: the tasks that can pay in it, the stake and minting up to its end.
    for day in range(max(0, first_day - TASK_REACH), last_day + 1):
        chain._task_day(day)
    chain.tokens_at(end_height)
    for day in range(first_day, last_day + 1):
        chain._mint_day(day)
    ledger = chain.ledger

    def utc_day(height: int) -> str:
        return datetime.fromtimestamp(chain.block_time(height), UTC).date().isoformat()

    days: dict[str, dict] = {}
    periods = []
    for day in range(first_day, last_day + 1):
        supply, inflation, ratio, provision = ledger.mint_days[day]
        lo = max(start_height, _first_block(day))
        hi = min(last, _first_block(day + 1) - 1)
        periods.append(
            {
                "first_height": lo,
                "last_height": hi,
                "minted_usah_per_block": str(provision),
                "supply_usah_at_period_start": str(supply + provision * (lo - _first_block(day))),
                "inflation": _dec(inflation),
                "bonded_ratio": _dec(ratio),
            }
        )
        for height in range(lo, hi + 1):
            entry = days.setdefault(
                utc_day(height),
                {"first_height": height, "minted_usah": 0, "rewards_paid_usah": 0, "payments": 0},
            )
            entry["last_height"] = height
            entry["minted_usah"] += provision
    rewards: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for block, contributor, _task, amount in list(ledger.payments.values()):
        if start_height <= block <= last:
            day = utc_day(block)
            rewards[day, contributor][0] += amount
            rewards[day, contributor][1] += 1
            days[day]["rewards_paid_usah"] += amount
            days[day]["payments"] += 1
    bonded = [v.self_bond if v.join_block == 0 else 0 for v in chain.validators]
    for (_key, validator), (block, delta) in list(ledger.stake_changes.items()):
        if block <= last:
            bonded[validator] += delta
    supply = chain.supply_at(last)
    total_bonded = sum(bonded)
    activity = _activity(chain, ledger, start_height, last, utc_day) if with_activity else {}
    return {
        "chain_id": chain.config.chain_id,
        "start_height": start_height,
        "end_height": end_height,
        "unit": "usah (1 SAHARA = 10^18 usah); amounts are integer strings",
        "mint_periods": periods,
        "days": [
            {
                "day": day,
                "first_height": d["first_height"],
                "last_height": d["last_height"],
                "minted_usah": str(d["minted_usah"]),
                "rewards_paid_usah": str(d["rewards_paid_usah"]),
                "payments": d["payments"],
            }
            for day, d in sorted(days.items())
        ],
        "rewards": [
            {"day": day, "contributor": contributor, "amount_usah": str(amount), "payments": n}
            for (day, contributor), (amount, n) in sorted(rewards.items())
        ],
        "validators": [
            {"operator": v.valoper, "bonded_usah": str(bonded[v.index])}
            for v in chain.validators
            if bonded[v.index] > 0
        ],
        "bonded_usah": str(total_bonded),
        "supply_usah": str(supply),
        "bonded_ratio": _dec(total_bonded * 10**18 // supply),
        **activity,
    }


def _activity(chain, ledger: SaharaLedger, start_height: int, last: int, utc_day) -> dict:
    """Transactions, the transfers they make (their messages' and their fees'), and each day's
    block-level token flows (x/mint's coinbase and its two transfers), over blocks [start_height, last]."""
    import hashlib

    from devnet.sahara.common import account
    from devnet.sahara.economy import DISTRIBUTION, FEE_COLLECTOR, MINTER, _day_of, _first_block

    for day in range(_day_of(start_height), _day_of(last) + 1):  # apply the days the range needs
        chain._staking_epoch(day)
        chain._evm_epoch(day)
    transactions, transfers = [], []
    for block, signer, fee, raw, evm_hash, moved in sorted(
        ledger.transactions.values(), key=lambda t: (t[0], t[3])
    ):
        if not start_height <= block <= last:
            continue
        transactions.append(
            {
                "height": block,
                "hash": hashlib.sha256(raw).hexdigest().upper(),
                "ethereum_tx_hash": "0x" + evm_hash.hex() if evm_hash else None,
                "signer": account(signer),
                "fee_payer": account(signer),
                "fee_usah": str(fee),
            }
        )
        if fee:
            transfers.append(
                {"height": block, "kind": "fee", "sender": account(signer),
                 "recipient": account(FEE_COLLECTOR), "amount_usah": str(fee)}
            )  # fmt: skip
        for sender, recipient, amount in moved:
            transfers.append(
                {"height": block, "kind": "message", "sender": account(sender),
                 "recipient": account(recipient), "amount_usah": str(amount)}
            )  # fmt: skip
    flows = []
    for day in range(_day_of(start_height), _day_of(last) + 1):
        provision = ledger.mint_days[day][3]
        lo, hi = max(start_height, _first_block(day)), min(last, _first_block(day + 1) - 1)
        blocks_by_day: dict[str, int] = {}
        for height in range(lo, hi + 1):
            blocks_by_day[utc_day(height)] = blocks_by_day.get(utc_day(height), 0) + 1
        for utc, n in sorted(blocks_by_day.items()):
            if provision:
                flows += [
                    {"day": utc, "kind": "coinbase", "sender": None, "recipient": account(MINTER),
                     "amount_usah": str(provision * n), "count": n},
                    {"day": utc, "kind": "transfer", "sender": account(MINTER), "recipient": account(FEE_COLLECTOR),
                     "amount_usah": str(provision * n), "count": n},
                    {"day": utc, "kind": "transfer", "sender": account(FEE_COLLECTOR),
                     "recipient": account(DISTRIBUTION), "amount_usah": str(provision * n), "count": n},
                ]  # fmt: skip
    return {"transactions": transactions, "transfers": transfers, "block_flows": flows}
