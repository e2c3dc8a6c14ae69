"""The simulated Sahara economy: staking, minting and distribution on the Cosmos side, the Data
Services Platform, marketplace and reputation contracts on the EVM side.

Deterministic from (seed, scale, genesis) and lazy: the chain is cut into days (17,280 blocks of
about 5 s). Every item (a delegation, a task with its annotations, a marketplace asset, a
contributor's reputation milestones) is generated from its own seeded stream when the day it starts
in is first needed, and carries every later event of its life with absolute block numbers. A day's
blocks gather the items of the few earlier days whose lives can reach it (each life is bounded), so
any block is served without generating the chain before it. The only sequential state is a short
per-day prefix (bonded tokens per validator, total supply, inflation), a few integers a day.

Calibration (scale 1.0): ~200k contributors by January 2026, 35 enterprise clients, ~3M
annotations by then, up to 100 validators, 21-day unbonding, inflation between 7% and 20% steered
toward a 67% bonded ratio, supply capped at 10B SAHARA. `scale` shrinks participant counts
(contributors, annotations, delegations, validators) for tests and demos.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from devnet.sahara import token
from devnet.sahara.common import (
    BLOCK_SECONDS,
    BLOCKS_PER_DAY,
    BLOCKS_PER_YEAR,
    DEFAULT_GENESIS,
    LRU,
    MAX_SUPPLY_USAH,
    UNBONDING_BLOCKS,
    UNBONDING_SECONDS,
    USAH_PER_SAHARA,
    account,
    coin,
    dec_coin,
    digest,
    dint,
    drng,
    legacy_dec,
    module_address,
    rfc3339,
    valoper,
)
from devnet.sahara.contracts import ADDRESSES, KIND_COMPUTE, KIND_DATASET, KIND_MODEL, merkle_root
from devnet.sahara.ledger import SaharaLedger

ATTO = 10**18
GOAL_BONDED = 67 * ATTO // 100
INFLATION_MIN = 7 * ATTO // 100
INFLATION_MAX = 20 * ATTO // 100
INFLATION_START = 13 * ATTO // 100
INFLATION_RATE_CHANGE = 13 * ATTO // 100
COMMUNITY_TAX = 2  # percent

#: How many days an item's life may reach past the day it starts (bounds the look-back).
STAKING_REACH = 36  # last action within 14 days, then 21 days of unbonding
DELTA_REACH = 15  # stake moves (delegate, redelegate, unbond) all fall within 14 days of a start
TASK_REACH = 8  # submissions over <= 3 days, reviews <= 0.5 day, listing, licences <= 3 days
ASSET_REACH = 4
REPUTATION_REACH = 66  # tier 1 within 5 days of joining, each further tier within 15 days
DATASET_SOURCE_DAYS = 9  # a model is trained on datasets listed in the 9 days before it

#: Gas prices (usah per gas): Cosmos transactions pay gas wanted x GAS_PRICE, EVM transactions gas
#: used x EVM_GAS_PRICE; about one Cosmos transaction in ZERO_FEE_EVERY pays no fee (an empty `fee`).
GAS_PRICE = 10_000_000_000
EVM_GAS_PRICE = 5_000_000_000
ZERO_FEE_EVERY = 25

FEE_COLLECTOR = module_address("fee_collector")
DISTRIBUTION = module_address("distribution")
MINTER = module_address("mint")
BONDED_POOL = module_address("bonded_tokens_pool")
REPUTATION_ADMIN = digest("decai-devnet", "reputation-admin", size=20)


@dataclass(frozen=True)
class SaharaConfig:
    seed: int = 7
    scale: float = 0.01
    genesis_time: int = DEFAULT_GENESIS
    chain_id: str = "sahara-devnet-1"
    evm_chain_id: int = 3_133_130
    genesis_supply_sahara: int = 4_000_000_000
    #: The pruning base: heights below it answer "height X is not available, lowest height is Y".
    lowest_height: int = 1
    #: eth_getLogs limits: a wider block range or more logs answer an error.
    max_block_range: int = 2_000
    max_logs: int = 10_000

    @property
    def max_validators(self) -> int:
        return max(4, min(100, round(100 * math.sqrt(self.scale))))

    @property
    def genesis_validators(self) -> int:
        return max(4, round(self.max_validators * 0.4))

    @property
    def clients(self) -> int:
        return max(3, min(35, round(35 * math.sqrt(self.scale))))

    @property
    def task_size(self) -> int:
        return round(40 + 160 * math.sqrt(self.scale))


# --- plain records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    index: int
    operator: bytes  # 20-byte account of the operator
    pubkey: bytes  # ed25519 consensus key
    moniker: str
    commission: int  # rate in units of 1e-18
    join_block: int  # 0 = in genesis
    self_bond: int  # usah
    popularity: float

    @property
    def valoper(self) -> str:
        return valoper(self.operator)

    @property
    def cons_address(self) -> bytes:
        return hashlib.sha256(self.pubkey).digest()[:20]


Event = tuple[str, list[tuple[str, str]]]  # (type, [(key, value)])


class CosmosTx:
    """A Cosmos transaction. Its events, bytes and gas are formed on first use: the staking prefix
    only needs its stake deltas."""

    __slots__ = ("key", "block", "signer", "_build", "_events", "_gas", "_raw", "_hash", "_seed")

    def __init__(
        self,
        key: str,
        block: int,
        events,
        seed: int,
        gas: int | None = None,
        raw: bytes = b"",
        signer: bytes = b"",
    ) -> None:
        self.key = key
        self.block = block
        #: The account that signed the transaction and paid its fee.
        self.signer = signer
        self._build = events if callable(events) else None
        self._events = None if callable(events) else events
        self._seed = seed
        self._gas = gas
        self._raw = raw
        self._hash: bytes | None = None

    @property
    def events(self) -> list[Event]:
        """The ante handler's events (the fee paid, the signer's sequence and signature), then the
        message's, as Cosmos SDK v0.50 emits them."""
        if self._events is None:
            self._events = _ante_events(self.signer, self.fee, self._seed, self.key) + self._build()
        return self._events

    @property
    def fee(self) -> int:
        """usah paid: gas wanted x GAS_PRICE, or nothing (an empty `fee`) for one transaction in
        ZERO_FEE_EVERY."""
        if dint(self._seed, "zero-fee", self.key) % ZERO_FEE_EVERY == 0:
            return 0
        return self.gas_wanted * GAS_PRICE

    @property
    def gas_used(self) -> int:
        if self._gas is None:
            self._gas = 80_000 + dint(self._seed, "gas", self.key) % 180_000
        return self._gas

    @property
    def gas_wanted(self) -> int:
        return self.gas_used + 50_000

    @property
    def raw(self) -> bytes:
        """Opaque, deterministic tx bytes (the devnet does not build protobuf TxRaw messages)."""
        if not self._raw:
            self._raw = (
                b"\x0a\x20"
                + digest(self._seed, "tx-body", self.key)
                + b"\x12\x20"
                + digest(self._seed, "tx-auth", self.key)
            )
        return self._raw

    @property
    def hash(self) -> bytes:
        if self._hash is None:
            self._hash = hashlib.sha256(self.raw).digest()
        return self._hash


@dataclass
class EvmLog:
    event: str  # `Contract.Event` key of contracts.event_specs(), or "" for an unknown contract
    indexed: tuple
    data: tuple
    address: bytes = b""
    raw_topics: tuple[bytes, ...] = ()
    raw_data: bytes = b""


class EvmTx:
    """An EVM transaction; hash and gas are formed on first use."""

    __slots__ = ("block", "key", "sender", "to", "logs", "_seed", "_hash", "_gas")

    def __init__(self, block: int, key: str, sender: bytes, to: bytes, logs: list[EvmLog], seed: int) -> None:
        self.block, self.key, self.sender, self.to, self.logs = block, key, sender, to, logs
        self._seed = seed
        self._hash: bytes | None = None
        self._gas: int | None = None

    @property
    def hash(self) -> bytes:
        if self._hash is None:
            self._hash = digest(self._seed, "evm-tx", self.key)
        return self._hash

    @property
    def gas_used(self) -> int:
        if self._gas is None:
            self._gas = 21_000 + 9_000 * len(self.logs) + dint(self._seed, "evm-gas", self.key) % 20_000
        return self._gas


@dataclass
class CosmosBlock:
    height: int
    begin_events: list[Event]
    txs: list[CosmosTx]
    end_events: list[Event]
    evm_txs: list[EvmTx]


@dataclass
class _StakingDay:
    """Items that start on one day, bucketed by the day each of their events falls on."""

    txs: dict[int, list[CosmosTx]] = field(default_factory=dict)
    end_events: dict[int, list[tuple[int, tuple]]] = field(default_factory=dict)  # day -> (block, args)
    deltas: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # day -> (block, val, delta)


@dataclass
class _StakingEpoch:
    txs: dict[int, list[CosmosTx]]
    end_events: dict[int, list[tuple]]  # block -> complete_unbonding arguments
    change_blocks: list[int]
    snapshots: list[tuple[int, ...]]
    start: tuple[int, ...]


@dataclass
class Listing:
    asset_id: int
    owner: bytes
    root: bytes
    block: int


@dataclass
class _EvmDay:
    txs: dict[int, list[EvmTx]] = field(default_factory=dict)  # day -> txs
    listings: list[Listing] = field(default_factory=list)

    def add(self, tx: EvmTx) -> None:
        self.txs.setdefault((tx.block - 1) // BLOCKS_PER_DAY, []).append(tx)


def _evm_cosmos_raw(etx: EvmTx) -> bytes:
    """The bytes of the Cosmos transaction that carries an EVM transaction (its MsgEthereumTx)."""
    return b"\x0a\x20" + etx.hash + b"\x12\x14" + etx.sender + b"\x1a\x14" + etx.to


def _day_of(block: int) -> int:
    return (block - 1) // BLOCKS_PER_DAY


def _first_block(day: int) -> int:
    return day * BLOCKS_PER_DAY + 1


def _message(action: str, sender: bytes, module: str) -> Event:
    return (
        "message",
        [("action", action), ("sender", account(sender)), ("module", module), ("msg_index", "0")],
    )


def _create_validator_events(val: Validator) -> list[Event]:
    return [
        _message("/cosmos.staking.v1beta1.MsgCreateValidator", val.operator, "staking"),
        (
            "create_validator",
            [("validator", val.valoper), ("amount", coin(val.self_bond)), ("msg_index", "0")],
        ),
    ]


def _delegate_events(val: Validator, delegator: bytes, amount: int) -> list[Event]:
    return [
        _message("/cosmos.staking.v1beta1.MsgDelegate", delegator, "staking"),
        (
            "delegate",
            [
                ("validator", val.valoper),
                ("delegator", account(delegator)),
                ("amount", coin(amount)),
                ("new_shares", legacy_dec(amount * ATTO)),
                ("msg_index", "0"),
            ],
        ),
    ]


def _withdraw_events(val: Validator, delegator: bytes, reward: int) -> list[Event]:
    return [
        _message("/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward", delegator, "distribution"),
        (
            "transfer",
            [
                ("recipient", account(delegator)),
                ("sender", account(DISTRIBUTION)),
                ("amount", coin(reward)),
                ("msg_index", "0"),
            ],
        ),
        (
            "withdraw_rewards",
            [
                ("amount", coin(reward)),
                ("validator", val.valoper),
                ("delegator", account(delegator)),
                ("msg_index", "0"),
            ],
        ),
    ]


def _redelegate_events(src: Validator, dst: Validator, delegator: bytes, amount: int, completion: int):
    return [
        _message("/cosmos.staking.v1beta1.MsgBeginRedelegate", delegator, "staking"),
        (
            "redelegate",
            [
                ("source_validator", src.valoper),
                ("destination_validator", dst.valoper),
                ("delegator", account(delegator)),
                ("amount", coin(amount)),
                ("completion_time", rfc3339(completion)),
                ("msg_index", "0"),
            ],
        ),
    ]


def _unbond_events(val: Validator, delegator: bytes, amount: int, completion: int) -> list[Event]:
    return [
        _message("/cosmos.staking.v1beta1.MsgUndelegate", delegator, "staking"),
        (
            "unbond",
            [
                ("validator", val.valoper),
                ("delegator", account(delegator)),
                ("amount", coin(amount)),
                ("completion_time", rfc3339(completion)),
                ("msg_index", "0"),
            ],
        ),
    ]


def _complete_unbonding_event(val: Validator, delegator: bytes, amount: int) -> Event:
    return (
        "complete_unbonding",
        [("amount", coin(amount)), ("validator", val.valoper), ("delegator", account(delegator))],
    )


def _send_events(sender: bytes, recipient: bytes, amount: int) -> list[Event]:
    return [
        _message("/cosmos.bank.v1beta1.MsgSend", sender, "bank"),
        ("coin_spent", [("spender", account(sender)), ("amount", coin(amount)), ("msg_index", "0")]),
        ("coin_received", [("receiver", account(recipient)), ("amount", coin(amount)), ("msg_index", "0")]),
        (
            "transfer",
            [
                ("recipient", account(recipient)),
                ("sender", account(sender)),
                ("amount", coin(amount)),
                ("msg_index", "0"),
            ],
        ),
    ]


def _fee_transfer_events(payer: bytes, fee: int) -> list[Event]:
    """The bank events of a fee deducted to the fee collector (no `msg_index`: the ante handler's)."""
    return [
        ("coin_spent", [("spender", account(payer)), ("amount", coin(fee))]),
        ("coin_received", [("receiver", account(FEE_COLLECTOR)), ("amount", coin(fee))]),
        (
            "transfer",
            [("recipient", account(FEE_COLLECTOR)), ("sender", account(payer)), ("amount", coin(fee))],
        ),
        ("message", [("sender", account(payer))]),
    ]


def _ante_events(payer: bytes, fee: int, seed: int, key: str) -> list[Event]:
    """x/auth's ante handler: the fee paid (nothing moves for a zero fee), then `tx` events with the
    fee (empty for zero) and its payer, the signer's account sequence and signature."""
    sequence = dint(seed, "sequence", key) % 5_000
    signature = base64.b64encode(digest(seed, "sig", key) + digest(seed, "sig2", key)).decode()
    return [
        *(_fee_transfer_events(payer, fee) if fee else []),
        ("tx", [("fee", coin(fee) if fee else ""), ("fee_payer", account(payer))]),
        ("tx", [("acc_seq", f"{account(payer)}/{sequence}")]),
        ("tx", [("signature", signature)]),
    ]


def _evm_ante_events(sender: bytes, fee: int) -> list[Event]:
    """The EVM module's ante handler: the fee deducted from the sender, and a `tx` event with the fee
    and no payer, as Ethermint emits it."""
    return [*(_fee_transfer_events(sender, fee) if fee else []), ("tx", [("fee", coin(fee) if fee else "")])]


class SaharaChain:
    """The simulated chain. `clock()` gives the current UNIX time; the head is the last block at or
    before it. All public methods are thread-safe."""

    def __init__(self, config: SaharaConfig | None = None, clock: Callable[[], float] | None = None) -> None:
        self.config = config or SaharaConfig()
        self.seed = self.config.seed
        self.clock = clock or time.time
        #: The last head found, with the span of clock times it holds for: (genesis time, the head's
        #: time, the next block's time, head), nanoseconds.
        self._head_span: tuple[int, int, int, int] = (-1, 0, 0, 0)
        self._lock = threading.RLock()
        self.validators = self._make_validators()
        self._staking_days = LRU(STAKING_REACH + 8)
        self._staking_epochs = LRU(6)
        self._task_days = LRU(DATASET_SOURCE_DAYS + TASK_REACH + 8)
        self._asset_days = LRU(ASSET_REACH + 4)
        self._cohorts = LRU(REPUTATION_REACH + 8)
        self._evm_epochs = LRU(6)
        self._blocks = LRU(2048)
        # Sequential per-day prefix: bonded tokens per validator, supply and inflation at each day start.
        self._tokens_start: list[tuple[int, ...]] = [
            tuple(v.self_bond if v.join_block == 0 else 0 for v in self.validators)
        ]
        self._supply_start: list[int] = [self.config.genesis_supply_sahara * USAH_PER_SAHARA]
        self._inflation: list[int] = [INFLATION_START]
        self._task_base: list[int] = [0]
        self._accounts: dict[int, bytes] = {}
        #: What the chain did, written as each operation is applied (see devnet.sahara.ledger).
        self.ledger = SaharaLedger()
        #: The SAHARA token's transfers and approvals, and unmodelled contracts' logs (devnet.sahara.token).
        self.token_ledger = token.TokenLedger()

    # --- clock and block identity --------------------------------------------------------------

    def block_time_ns(self, height: int) -> int:
        jitter = 0 if height <= 1 else dint(self.seed, "block-time", height) % 800_000_000
        return (self.config.genesis_time + (height - 1) * BLOCK_SECONDS) * 1_000_000_000 + jitter

    def block_time(self, height: int) -> int:
        return self.block_time_ns(height) // 1_000_000_000

    def head(self) -> int:
        """The latest block: the last one whose time is at or before the clock."""
        now_ns = int(self.clock() * 1_000_000_000)
        genesis, first_ns, next_ns, known = self._head_span
        if genesis == self.config.genesis_time and first_ns <= now_ns < next_ns:
            return known  # the clock is still between the times of this block and the next
        height = (now_ns // 1_000_000_000 - self.config.genesis_time) // BLOCK_SECONDS + 1
        height = max(height, 1)
        while height > 1 and self.block_time_ns(height) > now_ns:
            height -= 1
        self._head_span = (
            self.config.genesis_time,
            self.block_time_ns(height),
            self.block_time_ns(height + 1),
            height,
        )
        return height

    def block_hash(self, height: int) -> bytes:
        return digest(self.seed, "block-hash", height) if height >= 1 else b"\x00" * 32

    def app_hash(self, height: int) -> bytes:
        return digest(self.seed, "app-hash", height)

    # --- participants ---------------------------------------------------------------------------

    def _make_validators(self) -> list[Validator]:
        cfg = self.config
        count, genesis = cfg.max_validators, cfg.genesis_validators
        weights = [math.exp(drng(self.seed, "val-weight", v).gauss(0, 0.8)) for v in range(genesis)]
        genesis_bonded = 1_600_000_000 * USAH_PER_SAHARA
        out = []
        for v in range(count):
            rng = drng(self.seed, "validator", v)
            if v < genesis:
                join = 0
                bond = genesis_bonded * int(weights[v] * 1e6) // int(sum(weights) * 1e6)
            else:
                day = (v - genesis + 1) * 150 / max(1, count - genesis)
                join = int(day * BLOCKS_PER_DAY) + 1 + rng.randrange(1000)
                bond = rng.randint(2_000_000, 40_000_000) * USAH_PER_SAHARA
            out.append(
                Validator(
                    index=v,
                    operator=digest(self.seed, "val-operator", v, size=20),
                    pubkey=digest(self.seed, "val-pubkey", v),
                    moniker=f"sahara-devnet-validator-{v:03d}",
                    commission=rng.choice((5, 5, 7, 8, 10, 10, 15, 20)) * ATTO // 100,
                    join_block=join,
                    self_bond=bond,
                    popularity=math.exp(rng.gauss(0, 1)),
                )
            )
        return out

    def _growth(self, day: float) -> float:
        return 1.1 / (1.0 + math.exp(-(day - 120.0) / 35.0))

    def contributors_by(self, day: int) -> int:
        """Contributors who joined by the end of `day` (day -1 = genesis)."""
        return max(20, int(200_000 * self.config.scale * self._growth(day + 1)))

    def contributor(self, index: int) -> bytes:
        """A contributor's 20-byte account: its EVM address, and its sahara1… address on the Cosmos side."""
        address = self._accounts.get(index)
        if address is None:
            address = self._accounts[index] = digest(self.seed, "account", index, size=20)
        return address

    def quality(self, index: int) -> float:
        return 0.55 + 0.4 * (dint(self.seed, "quality", index) / 2**64)

    def client(self, index: int) -> bytes:
        return digest(self.seed, "client", index, size=20)

    def tasks_on(self, day: int) -> int:
        wanted = 0.16 * self.contributors_by(day - 1) / self.config.task_size
        jitter = 0.8 + 0.4 * (dint(self.seed, "tasks-on", day) / 2**64)
        return max(1, round(wanted * jitter))

    def task_base(self, day: int) -> int:
        """Tasks created before `day` (task ids are 1, 2, ... in creation order of days)."""
        with self._lock:
            while len(self._task_base) <= day:
                d = len(self._task_base) - 1
                self._task_base.append(self._task_base[-1] + self.tasks_on(d))
            return self._task_base[day]

    # --- staking: items by start day -------------------------------------------------------------

    def _active(self, block: int) -> list[Validator]:
        return [v for v in self.validators if v.join_block < block]

    def _staking_day(self, day: int) -> _StakingDay:
        return self._staking_days.get(day, lambda: self._make_staking_day(day))

    def _make_staking_day(self, day: int) -> _StakingDay:
        out = _StakingDay()
        seed = self.seed
        scale = self.config.scale
        accounts = self.contributors_by(day - 1)

        def add_tx(
            block: int, key: str, build: Callable[[], list[Event]], deltas=(), *, signer: bytes, transfers=()
        ) -> None:
            tx = CosmosTx(key, block, build, seed, signer=signer)
            out.txs.setdefault(_day_of(block), []).append(tx)
            self.ledger.transaction(key, block, signer, tx.fee, tx.raw, None, transfers)
            for val, delta in deltas:
                out.deltas.setdefault(_day_of(block), []).append((block, val, delta))
                self.ledger.staked(block, key, val, delta)

        # Validators joining the set this day.
        for val in self.validators:
            if val.join_block and _day_of(val.join_block) == day:
                add_tx(
                    val.join_block,
                    f"create-validator/{val.index}",
                    partial(_create_validator_events, val),
                    [(val.index, val.self_bond)],
                    signer=val.operator,
                )

        # Delegation positions: delegate, then maybe withdraw rewards, redelegate and unbond.
        positions = max(60, round(1500 * scale))
        positions = round(positions * (0.8 + 0.4 * dint(seed, "positions", day) / 2**64))
        for j in range(positions):
            rng = drng(seed, "position", day, j)
            b0 = _first_block(day) + rng.randrange(BLOCKS_PER_DAY)
            active = self._active(b0)
            val = rng.choices(active, weights=[v.popularity for v in active])[0]
            delegator = self.contributor(int(accounts * rng.random() ** 1.2))
            whole = min(2_000_000, max(1, int(math.exp(rng.gauss(math.log(5_000), 1.4)))))
            amount = whole * USAH_PER_SAHARA + rng.randrange(USAH_PER_SAHARA)
            key = f"position/{day}/{j}"
            add_tx(
                b0,
                key + "/delegate",
                partial(_delegate_events, val, delegator, amount),
                [(val.index, amount)],
                signer=delegator,
            )
            holdings = {val.index: amount}
            t = b0
            if rng.random() < 0.5:
                t += rng.randint(720, 5 * BLOCKS_PER_DAY)
                reward = amount * 12 * (t - b0) * (ATTO - val.commission) // (100 * BLOCKS_PER_YEAR * ATTO)
                if reward > 0:
                    add_tx(
                        t,
                        key + "/withdraw",
                        partial(_withdraw_events, val, delegator, reward),
                        signer=delegator,
                        transfers=((DISTRIBUTION, delegator, reward),),
                    )
            if rng.random() < 0.15:
                t += rng.randint(720, 5 * BLOCKS_PER_DAY)
                others = [v for v in self._active(t) if v.index != val.index]
                if others:
                    dst = rng.choices(others, weights=[v.popularity for v in others])[0]
                    moved = max(1, int(holdings[val.index] * rng.uniform(0.2, 1.0)))
                    holdings[val.index] -= moved
                    holdings[dst.index] = holdings.get(dst.index, 0) + moved
                    completion = self.block_time(t) + UNBONDING_SECONDS
                    add_tx(
                        t,
                        key + "/redelegate",
                        partial(_redelegate_events, val, dst, delegator, moved, completion),
                        [(val.index, -moved), (dst.index, moved)],
                        signer=delegator,
                    )
            if rng.random() < 0.3:
                t += rng.randint(720, 4 * BLOCKS_PER_DAY)
                src_index = max(holdings, key=lambda k: (holdings[k], -k))
                src = self.validators[src_index]
                unbonded = min(holdings[src_index], max(1, int(holdings[src_index] * rng.uniform(0.1, 1.0))))
                holdings[src_index] -= unbonded
                completion_ns = self.block_time_ns(t) + UNBONDING_SECONDS * 1_000_000_000
                add_tx(
                    t,
                    key + "/unbond",
                    partial(_unbond_events, src, delegator, unbonded, completion_ns // 1_000_000_000),
                    [(src_index, -unbonded)],
                    signer=delegator,
                )
                # The staking EndBlocker pays out at the first block at or after the completion time.
                matured = t + UNBONDING_BLOCKS
                while self.block_time_ns(matured) < completion_ns:
                    matured += 1
                out.end_events.setdefault(_day_of(matured), []).append((matured, (src, delegator, unbonded)))

        return out

    def _bank_txs(self, day: int) -> list[CosmosTx]:
        """Plain bank transfers between accounts on `day` (they move no stake, so the prefix skips them)."""
        seed = self.seed
        accounts = self.contributors_by(day - 1)
        out = []
        for j in range(max(40, round(1000 * self.config.scale))):
            rng = drng(seed, "bank", day, j)
            block = _first_block(day) + rng.randrange(BLOCKS_PER_DAY)
            sender = self.contributor(rng.randrange(accounts))
            recipient = self.contributor(rng.randrange(accounts))
            amount = rng.randint(1, 50_000) * USAH_PER_SAHARA // rng.choice((1, 10, 100))
            key = f"bank/{day}/{j}"
            tx = CosmosTx(key, block, partial(_send_events, sender, recipient, amount), seed, signer=sender)
            self.ledger.transaction(key, block, sender, tx.fee, tx.raw, None, ((sender, recipient, amount),))
            out.append(tx)
        return out

    def _day_delta(self, day: int) -> list[int]:
        """Net change of each validator's tokens over `day` (stake moves within 14 days of a start)."""
        total = [0] * len(self.validators)
        for origin in range(max(0, day - DELTA_REACH), day + 1):
            for _, val, delta in self._staking_day(origin).deltas.get(day, ()):
                total[val] += delta
        return total

    def _staking_epoch(self, day: int) -> _StakingEpoch:
        with self._lock:
            start = self._tokens_at_day_start(day)
            return self._staking_epochs.get(day, lambda: self._make_staking_epoch(day, start))

    def _make_staking_epoch(self, day: int, start: tuple[int, ...]) -> _StakingEpoch:
        txs: dict[int, list[CosmosTx]] = {}
        end_events: dict[int, list[tuple]] = {}
        deltas: list[tuple[int, int, int]] = []
        for tx in self._bank_txs(day):
            txs.setdefault(tx.block, []).append(tx)
        for origin in range(max(0, day - STAKING_REACH), day + 1):
            items = self._staking_day(origin)
            for tx in items.txs.get(day, ()):
                txs.setdefault(tx.block, []).append(tx)
            for block, args in items.end_events.get(day, ()):
                end_events.setdefault(block, []).append(args)
            deltas.extend(items.deltas.get(day, ()))
        for block_txs in txs.values():
            block_txs.sort(key=lambda tx: tx.hash)
        deltas.sort()
        tokens = list(start)
        change_blocks: list[int] = []
        snapshots: list[tuple[int, ...]] = []
        for block, val, delta in deltas:
            tokens[val] += delta
            if change_blocks and change_blocks[-1] == block:
                snapshots[-1] = tuple(tokens)
            else:
                change_blocks.append(block)
                snapshots.append(tuple(tokens))
        return _StakingEpoch(txs, end_events, change_blocks, snapshots, start)

    def _tokens_at_day_start(self, day: int) -> tuple[int, ...]:
        with self._lock:
            while len(self._tokens_start) <= day:
                d = len(self._tokens_start) - 1
                delta = self._day_delta(d)
                self._tokens_start.append(
                    tuple(a + b for a, b in zip(self._tokens_start[d], delta, strict=True))
                )
            return self._tokens_start[day]

    def tokens_at(self, height: int) -> tuple[int, ...]:
        """Bonded tokens (usah) of each validator after every block below `height`."""
        epoch = self._staking_epoch(_day_of(height))
        i = bisect.bisect_left(epoch.change_blocks, height) - 1
        return epoch.snapshots[i] if i >= 0 else epoch.start

    def validator_set(self, height: int) -> list[tuple[Validator, int]]:
        """(validator, voting power) of the bonded set at `height`, by power desc then address, as
        CometBFT orders it. Voting power = tokens // 10**18 (the power reduction of 18-decimal chains)."""
        tokens = self.tokens_at(height)
        out = [(v, tokens[v.index] // USAH_PER_SAHARA) for v in self.validators if v.join_block < height]
        out = [(v, p) for v, p in out if p > 0]
        out.sort(key=lambda vp: (-vp[1], vp[0].cons_address))
        return out

    # --- minting -----------------------------------------------------------------------------------

    def _mint_day(self, day: int) -> tuple[int, int, int, int]:
        """(supply at day start, inflation, bonded ratio, provision per block) of a day."""
        with self._lock:
            while len(self._supply_start) <= day:
                d = len(self._supply_start) - 1
                supply, inflation, ratio, provision = self._mint_params(d)
                self._supply_start.append(supply + provision * BLOCKS_PER_DAY)
                change = (ATTO - ratio * ATTO // GOAL_BONDED) * INFLATION_RATE_CHANGE // ATTO
                change = change * BLOCKS_PER_DAY // BLOCKS_PER_YEAR
                self._inflation.append(min(INFLATION_MAX, max(INFLATION_MIN, inflation + change)))
            return self._mint_params(day)

    def _mint_params(self, day: int) -> tuple[int, int, int, int]:
        supply = self._supply_start[day]
        inflation = self._inflation[day]
        bonded = sum(self._tokens_at_day_start(day))
        ratio = bonded * ATTO // supply
        provision = supply * inflation // ATTO // BLOCKS_PER_YEAR
        provision = max(0, min(provision, (MAX_SUPPLY_USAH - supply) // BLOCKS_PER_DAY))
        self.ledger.minting(day, supply, inflation, ratio, provision)
        return supply, inflation, ratio, provision

    def supply_at(self, height: int) -> int:
        """Total supply (usah) after block `height`."""
        day = _day_of(height)
        supply, _, _, provision = self._mint_day(day)
        return supply + provision * (height - _first_block(day) + 1)

    # --- EVM: tasks, annotations, rewards, listings, licences -----------------------------------------

    def _task_day(self, day: int) -> _EvmDay:
        return self._task_days.get(day, lambda: self._make_task_day(day))

    def _evm_tx(self, block: int, key: str, sender: bytes, to: bytes, logs: list[EvmLog]) -> EvmTx:
        return EvmTx(block, key, sender, to, logs, self.seed)

    def _license_txs(
        self, out: _EvmDay, rng, key: str, asset_id: int, price: int, owner: int, list_block: int, shares
    ) -> None:
        """0-3 licences within 3 days of listing, bought by other clients; each pays `shares(price)`,
        a list of (recipient, amount)."""
        market = ADDRESSES["Marketplace"]
        clients = self.config.clients
        n = rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]
        for k in range(n):
            block = list_block + rng.randint(1, 3 * BLOCKS_PER_DAY)
            buyer = self.client((owner + 1 + rng.randrange(clients - 1)) % clients)
            logs = [
                EvmLog("SAHARA.Transfer", (buyer, market), (price,)),
                EvmLog("Marketplace.LicensePurchased", (asset_id, buyer), (price,)),
            ]
            for recipient, amount in shares(price):
                if amount > 0:
                    logs.append(EvmLog("Marketplace.RevenueShared", (asset_id, recipient), (amount,)))
                    logs.append(EvmLog("SAHARA.Transfer", (market, recipient), (amount,)))
            out.add(self._evm_tx(block, f"{key}/license/{k}", buyer, market, logs))

    def _make_task_day(self, day: int) -> _EvmDay:
        cfg = self.config
        out = _EvmDay()
        services, market = ADDRESSES["DataServices"], ADDRESSES["Marketplace"]
        pool = self.contributors_by(day - 1)
        size = cfg.task_size
        base = self.task_base(day)
        for j in range(self.tasks_on(day)):
            task_id = base + j + 1
            rng = drng(self.seed, "task", task_id)
            client_index = rng.randrange(cfg.clients)
            client = self.client(client_index)
            b0 = _first_block(day) + rng.randrange(BLOCKS_PER_DAY)
            wanted = max(5, rng.randint(size // 2, 3 * size // 2))
            reward = rng.randint(5, 200) * 10**17
            dataset_id = digest(self.seed, "dataset", task_id)
            duration = rng.randint(BLOCKS_PER_DAY // 4, 3 * BLOCKS_PER_DAY)
            submitted = max(1, round(wanted * rng.uniform(0.8, 1.0)))
            out.add(
                self._evm_tx(
                    b0,
                    f"task/{task_id}/create",
                    client,
                    services,
                    [
                        EvmLog("SAHARA.Transfer", (client, services), (reward * wanted,)),
                        EvmLog("DataServices.TaskCreated", (task_id, client), (dataset_id, reward, wanted)),
                    ],
                )
            )
            accepted: list[tuple[int, int, bytes]] = []  # (annotation id, contributor index, content hash)
            last_review = b0
            for k in range(submitted):
                annotation_id = task_id * 1_000_000 + k + 1
                submit_block = b0 + 1 + rng.randrange(duration)
                who = int(pool * rng.random() ** 1.4)
                contributor = self.contributor(who)
                content = digest(self.seed, "content", annotation_id)
                out.add(
                    self._evm_tx(
                        submit_block,
                        f"annotation/{annotation_id}/submit",
                        contributor,
                        services,
                        [
                            EvmLog(
                                "DataServices.AnnotationSubmitted",
                                (annotation_id, task_id, contributor),
                                (content,),
                            )
                        ],
                    )
                )
                review_block = submit_block + rng.randint(60, BLOCKS_PER_DAY // 2)
                last_review = max(last_review, review_block)
                reviewer_index = int(pool * rng.random() ** 3)
                if reviewer_index == who:
                    reviewer_index = (who + 1) % pool
                reviewer = self.contributor(reviewer_index)
                ok = rng.random() < self.quality(who)
                score = rng.randint(60, 100) if ok else rng.randint(5, 59)
                logs = [EvmLog("DataServices.AnnotationReviewed", (annotation_id, reviewer), (ok, score))]
                if ok:
                    accepted.append((annotation_id, who, content))
                    self.ledger.paid(review_block, contributor, task_id, annotation_id, reward)
                    logs.append(EvmLog("SAHARA.Transfer", (services, contributor), (reward,)))
                    logs.append(EvmLog("DataServices.RewardPaid", (contributor, task_id), (reward,)))
                out.add(
                    self._evm_tx(review_block, f"annotation/{annotation_id}/review", reviewer, services, logs)
                )
            if not accepted:
                continue
            # The client lists the finished dataset; its provenance root commits to the accepted content.
            list_block = last_review + rng.randint(100, 2_000)
            root = merkle_root([content for _, _, content in accepted])
            asset_id = int.from_bytes(dataset_id, "big")
            price = reward * len(accepted) * rng.randint(150, 300) // 100 // 10**15 * 10**15
            out.add(
                self._evm_tx(
                    list_block,
                    f"task/{task_id}/list",
                    client,
                    market,
                    [EvmLog("Marketplace.AssetListed", (asset_id, client), (KIND_DATASET, price, root))],
                )
            )
            out.listings.append(Listing(asset_id, client, root, list_block))
            counts: dict[int, int] = {}
            for _, who, _ in accepted:
                counts[who] = counts.get(who, 0) + 1
            top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:8]
            top_total = sum(n for _, n in top)

            def dataset_shares(p: int, top=top, top_total=top_total, owner=client) -> list[tuple[bytes, int]]:
                pool_80 = p * 80 // 100
                out_ = [(self.contributor(w), pool_80 * n // top_total) for w, n in top]
                return out_ + [(owner, p * 10 // 100)]

            self._license_txs(
                out, rng, f"task/{task_id}", asset_id, price, client_index, list_block, dataset_shares
            )
        return out

    def _asset_day(self, day: int) -> _EvmDay:
        return self._asset_days.get(day, lambda: self._make_asset_day(day))

    def _make_asset_day(self, day: int) -> _EvmDay:
        """Models trained on recent datasets, and compute offers, listed on the marketplace."""
        out = _EvmDay()
        market = ADDRESSES["Marketplace"]
        rng = drng(self.seed, "assets", day)
        sources: list[Listing] = []
        for origin in range(max(0, day - DATASET_SOURCE_DAYS), day):
            sources.extend(self._task_day(origin).listings)
        n_models = sum(rng.random() < 0.3 for _ in range(max(1, self.tasks_on(day) // 2)))
        for j in range(n_models):
            block = _first_block(day) + rng.randrange(BLOCKS_PER_DAY)
            usable = [s for s in sources if s.block < block]
            if not usable:
                continue
            picked = sorted(rng.sample(usable, min(len(usable), rng.randint(1, 3))), key=lambda s: s.asset_id)
            owner_index = rng.randrange(self.config.clients)
            owner = self.client(owner_index)
            asset_id = int.from_bytes(digest(self.seed, "model", day, j), "big")
            price = rng.randint(50, 5_000) * USAH_PER_SAHARA
            root = merkle_root([s.root for s in picked])
            out.add(
                self._evm_tx(
                    block,
                    f"model/{day}/{j}",
                    owner,
                    market,
                    [EvmLog("Marketplace.AssetListed", (asset_id, owner), (KIND_MODEL, price, root))],
                )
            )

            def model_shares(p: int, picked=picked, owner=owner) -> list[tuple[bytes, int]]:
                each = p * 20 // 100 // len(picked)
                return [(owner, p * 70 // 100)] + [(s.owner, each) for s in picked]

            self._license_txs(out, rng, f"model/{day}/{j}", asset_id, price, owner_index, block, model_shares)
        if rng.random() < 0.5:
            block = _first_block(day) + rng.randrange(BLOCKS_PER_DAY)
            owner_index = rng.randrange(self.config.clients)
            owner = self.client(owner_index)
            asset_id = int.from_bytes(digest(self.seed, "compute", day), "big")
            price = rng.randint(10, 500) * USAH_PER_SAHARA
            out.add(
                self._evm_tx(
                    block,
                    f"compute/{day}",
                    owner,
                    market,
                    [
                        EvmLog(
                            "Marketplace.AssetListed", (asset_id, owner), (KIND_COMPUTE, price, b"\x00" * 32)
                        )
                    ],
                )
            )
            self._license_txs(
                out,
                rng,
                f"compute/{day}",
                asset_id,
                price,
                owner_index,
                block,
                lambda p, o=owner: [(o, p * 90 // 100)],
            )
        # A few logs of a contract the project does not model (connectors must skip or quarantine them).
        unknown = ADDRESSES["Unknown"]
        foreign_topic = digest("decai-devnet", "unmodelled-event")
        for k in range(6 + rng.randrange(6)):
            block = _first_block(day) + rng.randrange(BLOCKS_PER_DAY)
            sender = self.contributor(rng.randrange(self.contributors_by(day - 1)))
            log = EvmLog(
                "",
                (),
                (),
                address=unknown,
                raw_topics=(foreign_topic, b"\x00" * 12 + sender),
                raw_data=digest(self.seed, "unknown-data", day, k) * 2,
            )
            out.add(self._evm_tx(block, f"unknown/{day}/{k}", sender, unknown, [log]))
        return out

    # --- EVM: reputation --------------------------------------------------------------------------------

    TIER_QUALITY = {2: 0.65, 3: 0.75, 4: 0.85, 5: 0.92}

    def _cohort(self, day: int) -> _EvmDay:
        """Reputation milestones of the contributors who joined on `day` (-1 = genesis)."""
        return self._cohorts.get(day, lambda: self._make_cohort(day))

    def _make_cohort(self, day: int) -> _EvmDay:
        out = _EvmDay()
        reputation = ADDRESSES["Reputation"]
        lo = 0 if day < 0 else self.contributors_by(day - 1)
        hi = self.contributors_by(day)
        for i in range(lo, hi):
            rng = drng(self.seed, "reputation", i)
            joined = 1 if day < 0 else _first_block(day) + (i - lo) * BLOCKS_PER_DAY // max(1, hi - lo)
            block = joined + rng.randint(BLOCKS_PER_DAY // 2, 5 * BLOCKS_PER_DAY)
            holder = self.contributor(i)
            quality = self.quality(i)
            for tier in range(1, 6):
                if tier > 1:
                    if quality < self.TIER_QUALITY[tier]:
                        break
                    block += rng.randint(3 * BLOCKS_PER_DAY, 15 * BLOCKS_PER_DAY)
                log = EvmLog("Reputation.ReputationMinted", (holder,), (tier, i * 8 + tier))
                out.add(self._evm_tx(block, f"reputation/{i}/{tier}", REPUTATION_ADMIN, reputation, [log]))
        return out

    # --- EVM: one day's blocks -----------------------------------------------------------------------

    def _evm_epoch(self, day: int) -> dict[int, list[EvmTx]]:
        return self._evm_epochs.get(day, lambda: self._make_evm_epoch(day))

    def _make_evm_epoch(self, day: int) -> dict[int, list[EvmTx]]:
        sources: list[_EvmDay] = [self._task_day(d) for d in range(max(0, day - TASK_REACH), day + 1)]
        sources += [self._asset_day(d) for d in range(max(0, day - ASSET_REACH), day + 1)]
        sources += [self._cohort(d) for d in range(max(-1, day - REPUTATION_REACH), day + 1)]
        blocks: dict[int, list[EvmTx]] = {}
        for src in sources:
            for tx in src.txs.get(day, ()):
                blocks.setdefault(tx.block, []).append(tx)
        made = [tx for txs in blocks.values() for tx in txs]
        for tx in token.day_txs(self, day, made):  # the SAHARA token's own life and an ERC-721's
            blocks.setdefault(tx.block, []).append(tx)
            made.append(tx)
        self.token_ledger.record_day(day, made)
        for txs in blocks.values():
            txs.sort(key=lambda tx: tx.hash)
        for etx in made:  # each is also a Cosmos transaction holding a MsgEthereumTx
            raw = _evm_cosmos_raw(etx)
            self.ledger.transaction(
                "evm/" + etx.hash.hex(),
                etx.block,
                etx.sender,
                etx.gas_used * EVM_GAS_PRICE,
                raw,
                etx.hash,
                (),
            )
        return blocks

    def evm_txs(self, height: int) -> list[EvmTx]:
        """The EVM transactions of a block, in block order."""
        with self._lock:
            return self._evm_epoch(_day_of(height)).get(height, [])

    def evm_blocks_with_txs(self, first: int, last: int) -> list[int]:
        """Heights in [first, last] that hold EVM transactions (cheap: no block is rendered)."""
        out: list[int] = []
        with self._lock:
            for day in range(_day_of(first), _day_of(last) + 1):
                out.extend(h for h in self._evm_epoch(day) if first <= h <= last)
        return sorted(out)

    def cosmos_heights_with_txs(self, first: int, last: int, *, cosmos_only: bool = False) -> list[int]:
        """Heights in [first, last] holding Cosmos transactions (staking and bank; EVM ones too unless
        `cosmos_only`), found without rendering blocks."""
        out: set[int] = set()
        with self._lock:
            for day in range(_day_of(first), _day_of(last) + 1):
                out.update(h for h in self._staking_epoch(day).txs if first <= h <= last)
        if not cosmos_only:
            out.update(self.evm_blocks_with_txs(first, last))
        return sorted(out)

    # --- Cosmos: one block ----------------------------------------------------------------------------

    def cosmos_block(self, height: int) -> CosmosBlock:
        with self._lock:
            return self._blocks.get(height, lambda: self._make_cosmos_block(height))

    def _make_cosmos_block(self, height: int) -> CosmosBlock:
        day = _day_of(height)
        supply, inflation, ratio, provision = self._mint_day(day)
        begin: list[Event] = []
        if provision:
            annual = supply * inflation
            begin.append(("coinbase", [("minter", account(MINTER)), ("amount", coin(provision))]))
            begin.append(
                (
                    "transfer",
                    [
                        ("recipient", account(FEE_COLLECTOR)),
                        ("sender", account(MINTER)),
                        ("amount", coin(provision)),
                    ],
                )
            )
            begin.append(
                (
                    "mint",
                    [
                        ("bonded_ratio", legacy_dec(ratio)),
                        ("inflation", legacy_dec(inflation)),
                        ("annual_provisions", legacy_dec(annual)),
                        ("amount", str(provision)),
                    ],
                )
            )
            begin.append(
                (
                    "transfer",
                    [
                        ("recipient", account(DISTRIBUTION)),
                        ("sender", account(FEE_COLLECTOR)),
                        ("amount", coin(provision)),
                    ],
                )
            )
            validators = self.validator_set(height)
            total_power = sum(p for _, p in validators)
            to_validators = provision * ATTO * (100 - COMMUNITY_TAX) // 100
            for val, power in validators:
                reward = to_validators * power // total_power
                commission = reward * val.commission // ATTO
                begin.append(("commission", [("amount", dec_coin(commission)), ("validator", val.valoper)]))
                begin.append(("rewards", [("amount", dec_coin(reward)), ("validator", val.valoper)]))
        epoch = self._staking_epoch(day)
        txs = list(epoch.txs.get(height, ()))
        evm_txs = self._evm_epoch(day).get(height, [])
        for i, etx in enumerate(evm_txs):
            key = "evm/" + etx.hash.hex()
            raw = _evm_cosmos_raw(etx)
            txs.append(
                CosmosTx(
                    key,
                    height,
                    [
                        *_evm_ante_events(etx.sender, etx.gas_used * EVM_GAS_PRICE),
                        (
                            "ethereum_tx",
                            [
                                ("amount", "0"),
                                ("ethereumTxHash", "0x" + etx.hash.hex()),
                                ("txIndex", str(i)),
                                ("txGasUsed", str(etx.gas_used)),
                                ("txHash", hashlib.sha256(raw).hexdigest().upper()),
                                ("recipient", "0x" + etx.to.hex()),
                            ],
                        ),
                        (
                            "message",
                            [
                                ("action", "/cosmos.evm.vm.v1.MsgEthereumTx"),
                                ("sender", account(etx.sender)),
                                ("module", "evm"),
                                ("msg_index", "0"),
                            ],
                        ),
                    ],
                    self.seed,
                    gas=etx.gas_used,
                    raw=raw,
                    signer=etx.sender,
                )
            )
        end = [_complete_unbonding_event(*args) for args in epoch.end_events.get(height, ())]
        return CosmosBlock(height, begin, txs, end, evm_txs)
