"""The SAHARA ERC-20 on the devnet's EVM: its own activity beside the contracts' payments, an ERC-721
collection whose `Transfer` shares ERC-20's topic 0, and the record of every token transfer.

The token (`ADDRESSES["SAHARA"]`, 18 decimals, first block 1) moves in the Data Services and
marketplace transactions (`economy.py`); this module adds, for each devnet day, what a token's life
looks like around them, generated from the day's own transactions so any day is served without the
days before it:
- **genesis** (block 1): the token mints its supply to a treasury (`Transfer` from the zero address),
  which pays a skewed allocation to early holders (each half the one before);
- **daily mint and top-ups** (the day's first block): the treasury mints exactly what it then pays to
  each client that spends on the day, rounded up to a thousand SAHARA, so no client's balance ever
  goes below zero;
- **approvals**: a client approves the marketplace for a licence's price one block before buying, and
  a fifth of the pass-ons below go through a DEX router the holder approves one block before;
- **many small transfers**: about a third of the contributors paid a reward pass part of it on, a few
  minutes later the same day, to another contributor or to one of three exchange deposit wallets
  (which gather a large share: the balances are skewed);
- **an ERC-721 collection** (`COLLECTIBLE`): a few mints to contributors and hand-overs a day, each a
  `Transfer(from, to, tokenId)` with all three arguments indexed: four topics, no data.

`TokenLedger` records, as each day is generated, every SAHARA transfer and approval and every log of a
contract the project does not model; `report` serves it with balances folded from block 1.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime

from eth_hash.auto import keccak

from devnet.sahara.common import BLOCKS_PER_DAY, USAH_PER_SAHARA, digest, drng
from devnet.sahara.contracts import ADDRESSES, devnet_address, event_specs

ZERO = b"\x00" * 20
TREASURY = digest("decai-devnet", "sahara-treasury", size=20)
EXCHANGES = tuple(digest("decai-devnet", "exchange-deposit", i, size=20) for i in range(3))
COLLECTIBLE = devnet_address("Collectible")
DEX_ROUTER = digest("decai-devnet", "dex-router", size=20)
GENESIS_SUPPLY = 1_000_000_000 * USAH_PER_SAHARA
EARLY_HOLDERS = 24
TOP_UP_STEP = 1_000 * USAH_PER_SAHARA
#: keccak256("Transfer(address,address,uint256)"): ERC-20's and ERC-721's Transfer alike.
TRANSFER_TOPIC = keccak(b"Transfer(address,address,uint256)")


WITHDRAWALS_PER_DAY = 600
#: Wallets that trade SAHARA: 400 at genesis, 40 more a day; picked with a power law (a few are busy).
WALLETS_AT_GENESIS, WALLETS_PER_DAY = 400, 40


def chain_wallet(day: int, rng) -> bytes:
    """A trading wallet, the lowest indexes the busiest."""
    count = WALLETS_AT_GENESIS + WALLETS_PER_DAY * max(0, day)
    return digest("decai-devnet", "wallet", int(count * rng.random() ** 2.5), size=20)


def early_holder(index: int) -> bytes:
    return digest("decai-devnet", "early-holder", index, size=20)


def _word(value: bytes | int) -> bytes:
    return value.to_bytes(32, "big") if isinstance(value, int) else b"\x00" * 12 + value


class TokenLedger:
    """SAHARA transfers and approvals, and unmodelled contracts' logs, per devnet day, written as each
    day is generated (regenerating a day writes the same entries again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: devnet day -> [(block, tx hash hex, from hex, to hex, amount usah)]
        self.transfers: dict[int, list[tuple[int, str, str, str, int]]] = {}
        #: devnet day -> [(block, tx hash hex)] of the token's Approval logs
        self.approvals: dict[int, list[tuple[int, str]]] = {}
        #: devnet day -> [(block, contract hex)] of logs of contracts the project does not model
        self.unmodelled: dict[int, list[tuple[int, str]]] = {}

    def record_day(self, day: int, txs) -> None:
        token = ADDRESSES["SAHARA"]
        specs = event_specs()
        transfers, approvals, unmodelled = [], [], []
        for tx in sorted(txs, key=lambda tx: (tx.block, tx.hash)):
            for log in tx.logs:
                if not log.event:
                    unmodelled.append((tx.block, "0x" + log.address.hex()))
                    continue
                spec = specs[log.event]
                if ADDRESSES[spec.contract] != token:
                    continue
                if spec.name == "Transfer":
                    (sender, recipient), (amount,) = log.indexed, log.data
                    transfers.append((tx.block, "0x" + tx.hash.hex(), "0x" + sender.hex(),
                                      "0x" + recipient.hex(), amount))  # fmt: skip
                elif spec.name == "Approval":
                    approvals.append((tx.block, "0x" + tx.hash.hex()))
        with self._lock:
            self.transfers[day] = transfers
            self.approvals[day] = approvals
            self.unmodelled[day] = unmodelled


def day_txs(chain, day: int, existing: list) -> list:
    """The token's own transactions of devnet day `day`, given the day's other transactions."""
    from devnet.sahara.economy import EvmLog, _first_block

    first = _first_block(day)
    last = _first_block(day + 1) - 1
    market = ADDRESSES["Marketplace"]
    services = ADDRESSES["DataServices"]
    rng = drng(chain.seed, "token-day", day)
    out = []
    if day == 0:
        logs = [EvmLog("SAHARA.Transfer", (ZERO, TREASURY), (GENESIS_SUPPLY,))]
        for i in range(EARLY_HOLDERS):  # a quarter of the supply to the first, half as much to each next
            logs.append(EvmLog("SAHARA.Transfer", (TREASURY, early_holder(i)), (GENESIS_SUPPLY // 4 >> i,)))
        out.append(chain._evm_tx(1, "token/genesis", TREASURY, ADDRESSES["SAHARA"], logs))
    spent: dict[bytes, int] = defaultdict(int)
    purchases = []
    rewards = []
    for tx in existing:
        for log in tx.logs:
            if log.event != "SAHARA.Transfer":
                continue
            sender, recipient = log.indexed
            (amount,) = log.data
            if sender not in (services, market):
                spent[sender] += amount
            if recipient == market:
                purchases.append((tx.block, sender, amount))
            if sender == services:
                rewards.append((tx.block, recipient, amount))
    for k, (block, buyer, price) in enumerate(sorted(purchases)):
        approve = EvmLog("SAHARA.Approval", (buyer, market), (price,))
        out.append(chain._evm_tx(max(first, block - 1), f"token/approve/{day}/{k}", buyer,
                                 ADDRESSES["SAHARA"], [approve]))  # fmt: skip
    passes = [(block, contributor, reward) for block, contributor, reward in sorted(rewards)]
    withdrawn: dict[bytes, int] = defaultdict(int)
    for k in range(WITHDRAWALS_PER_DAY + rng.randrange(WITHDRAWALS_PER_DAY)):
        exchange = EXCHANGES[min(2, int(3 * rng.random() ** 2))]
        block = first + 1 + rng.randrange(BLOCKS_PER_DAY - 1)
        wallet = chain_wallet(day, rng)
        amount = int(10 ** rng.uniform(0, 4.5)) * USAH_PER_SAHARA // 1000 * rng.randint(500, 1000)
        withdrawn[exchange] += amount
        log = EvmLog("SAHARA.Transfer", (exchange, wallet), (amount,))
        out.append(chain._evm_tx(block, f"token/withdraw/{day}/{k}", exchange, ADDRESSES["SAHARA"], [log]))
        passes.append((block, wallet, amount))
    for k, (block, holder, received) in enumerate(passes):
        if rng.random() >= 0.35:
            continue
        at = block + rng.randint(2, 240)
        if at > last:
            continue
        if rng.random() < 0.4:
            recipient = EXCHANGES[min(2, int(3 * rng.random() ** 2))]
            amount = received * rng.randint(50, 100) // 100
        else:
            recipient = chain_wallet(day, rng)
            amount = received * rng.randint(2, 40) // 100
        if recipient == holder or amount <= 0:
            continue
        if rng.random() < 0.2:  # through a DEX router: the holder approves it one block before
            approve = EvmLog("SAHARA.Approval", (holder, DEX_ROUTER), (amount,))
            out.append(chain._evm_tx(at - 1, f"token/router-approve/{day}/{k}", holder,
                                     ADDRESSES["SAHARA"], [approve]))  # fmt: skip
        log = EvmLog("SAHARA.Transfer", (holder, recipient), (amount,))
        out.append(chain._evm_tx(at, f"token/pass-on/{day}/{k}", holder, ADDRESSES["SAHARA"], [log]))
    needs = {**spent}
    for exchange, amount in withdrawn.items():
        needs[exchange] = needs.get(exchange, 0) + amount
    if needs:
        top_ups = [(who, -(-amount // TOP_UP_STEP) * TOP_UP_STEP) for who, amount in sorted(needs.items())]
        logs = [EvmLog("SAHARA.Transfer", (ZERO, TREASURY), (sum(a for _, a in top_ups),))]
        logs += [EvmLog("SAHARA.Transfer", (TREASURY, who), (amount,)) for who, amount in top_ups]
        out.append(chain._evm_tx(first, f"token/top-up/{day}", TREASURY, ADDRESSES["SAHARA"], logs))
    out += _collectible_txs(chain, day, first, rng)
    return out


def _collectible_txs(chain, day: int, first: int, rng) -> list:
    from devnet.sahara.economy import EvmLog

    out = []
    pool = chain.contributors_by(day - 1)
    for k in range(3 + rng.randrange(5)):
        token_id = day * 1_000 + k + 1
        owner = chain.contributor(int(pool * rng.random() ** 2))
        block = first + rng.randrange(BLOCKS_PER_DAY - 400)
        moves = [(ZERO, owner, block)]
        for _hop in range(rng.choice((0, 0, 1, 2))):
            new_owner = chain.contributor(rng.randrange(pool))
            if new_owner == owner:
                continue
            block += rng.randint(10, 180)
            moves.append((owner, new_owner, block))
            owner = new_owner
        for hop, (sender, recipient, at) in enumerate(moves):
            log = EvmLog(
                "",
                (),
                (),
                address=COLLECTIBLE,
                raw_topics=(TRANSFER_TOPIC, _word(sender), _word(recipient), _word(token_id)),
                raw_data=b"",
            )
            who = recipient if sender == ZERO else sender
            out.append(chain._evm_tx(at, f"collectible/{token_id}/{hop}", who, COLLECTIBLE, [log]))
    return out


def report(chain, start_height: int, end_height: int) -> dict:
    """The token's record over blocks [start_height, end_height), per UTC day of the block time:
    transfers and their volume, transactions with a token log (Transfer or Approval), distinct senders
    (the zero address, a mint's source, is no account), accounts in a transfer for the first time since
    block 1, and holders (accounts with a positive balance after the day's last block in the range,
    balances folded from block 1); and each unmodelled contract's logs in the range."""
    from devnet.sahara.economy import _day_of

    if not 1 <= start_height < end_height:
        raise ValueError("expected 1 <= start_height < end_height")
    last = end_height - 1
    for day in range(0, _day_of(last) + 1):
        chain.evm_txs(day * BLOCKS_PER_DAY + 1)  # generates (and records) the day
    ledger: TokenLedger = chain.token_ledger
    zero = "0x" + ZERO.hex()

    def utc_day(height: int) -> str:
        return datetime.fromtimestamp(chain.block_time(height), UTC).date().isoformat()

    balances: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    holders = 0
    days: dict[str, dict] = {}
    unmodelled: dict[str, int] = defaultdict(int)

    def entry(height: int) -> dict:
        return days.setdefault(
            utc_day(height),
            {"transfers": 0, "volume_base_units": 0, "txs": set(), "senders": set(), "new": set()},
        )

    def move(account: str, amount: int) -> int:
        before = balances[account]
        balances[account] = before + amount
        return 0 if account == zero else (balances[account] > 0) - (before > 0)

    for day in range(0, _day_of(last) + 1):
        for block, tx_hash, sender, recipient, amount in ledger.transfers.get(day, ()):
            if block > last:
                break
            holders += move(sender, -amount) + move(recipient, amount)
            fresh = {a for a in (sender, recipient) if a != zero and a not in seen}
            seen |= fresh
            if block < start_height:
                continue
            row = entry(block)
            row["transfers"] += 1
            row["volume_base_units"] += amount
            row["txs"].add(tx_hash)
            if sender != zero:
                row["senders"].add(sender)
            row["new"] |= fresh
            row["holders"] = holders
        for block, tx_hash in ledger.approvals.get(day, ()):
            if start_height <= block <= last:
                entry(block)["txs"].add(tx_hash)
        for block, contract in ledger.unmodelled.get(day, ()):
            if start_height <= block <= last:
                unmodelled[contract] += 1
    out_days = []
    holders_then = None
    for day, row in sorted(days.items()):
        holders_then = row.get("holders", holders_then)
        out_days.append(
            {
                "day": day,
                "transfers": row["transfers"],
                "volume_base_units": str(row["volume_base_units"]),
                "transactions": len(row["txs"]),
                "active_accounts": len(row["senders"]),
                "new_accounts": len(row["new"]),
                "holders": holders_then,
            }
        )
    return {
        "token": {
            "address": "0x" + ADDRESSES["SAHARA"].hex(),
            "symbol": "SAHARA",
            "decimals": 18,
            "first_block": 1,
        },  # fmt: skip
        "start_height": start_height,
        "end_height": end_height,
        "unit": "base units (1 SAHARA = 10^18); amounts are integer strings",
        "days": out_days,
        "unmodelled_logs": [{"address": a, "logs": n} for a, n in sorted(unmodelled.items())],
    }
