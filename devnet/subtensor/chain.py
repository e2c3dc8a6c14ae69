"""The simulated subtensor chain: deterministic from (seed, scale), generated lazily window by window.

Time: 12 s blocks from GENESIS. The chain advances in windows of `tempo + 1` = 361 blocks; every
subnet runs exactly one Yuma epoch per window, at the block where `(block + netuid + 1) % 361 == 0`
(subtensor's rule). A window is simulated from the state at its start: the randomness of window `w`
comes from `np.random.default_rng([seed, w, ...])` only, so any window is reproducible from the state
before it. Windows are simulated on demand in order, their events kept in a bounded cache, and the
state is checkpointed every few windows so an evicted window is recomputed from the nearest
checkpoint; nothing is generated upfront.

History (defaults): genesis 2025-12-01 with the issuance counter set so that issuance reaches 10.5M TAO
at 2025-12-12 00:00 UTC (the first halving: 1 -> 0.5 TAO per block); runtime upgrade 342 -> 343
enacted at 2026-01-05 00:00 UTC; subnets grow from about 30*scale to about 128*scale by 2026-01-15
and keep registering after it, the lowest-priced subnet being removed once the limit is reached.

Block hashes are derived (blake2b-256 of the chain id and the number), not computed over the header:
no client verifies them, and it keeps every block reachable without hashing the whole chain.

TAO issuance, block by block (as subtensor's coinbase does it, in on_initialize before the block's
extrinsics): block b mints `issuance.emission_of_block(b)` rao (1 TAO, 0.5 TAO after the halving),
split over the live non-root subnets by their emission shares (moving prices at the window start)
with `economics.split_integer`, so the parts add up to the rao. A subnet's part enters its pool as
TAO (`SubnetTaoInEmission`) with alpha at the pool price at the window start (`SubnetAlphaInEmission`),
at most ALPHA_PER_BLOCK per block: when that cap binds, the rest of the part is `SubnetExcessTao`
(minted, not injected). ALPHA_PER_BLOCK more alpha per block goes to participants
(`SubnetAlphaOutEmission`), pending until the subnet's epoch pays it out by Yuma. The parts are
fixed per window (re-planned when a network registers) and settled lazily in closed form before
each operation on a pool and at the window end; `state_at(b)` includes block b's injection.
Registration burns (`burned_register`) recycle TAO: TotalIssuance = minted so far - recycled so far.
Root (netuid 0) holds TAO stake from genesis (about 73% of issuance together with the pools).

The ledger: while it simulates a window the chain writes its own record of what it did (a
`WindowLedger`: the per-block emission parts of every subnet with their block span, each burn, the
pools after every operation that moved them, each epoch's split with the pool at that block, each
stake added or removed). It is never rebuilt from the events served. `SubtensorChain.ledger(a, b)`
aggregates it over blocks a..b (inclusive), `ledger_stakes(n)` gives the stake per hotkey at block n,
`emission_state(n)` / `total_issuance(n)` are what the storage items serve. The devnet serves the
ledger on its control endpoint only (`GET /_devnet/subtensor/ledger`, see rpc.py), never through the
chain protocols.

Accounts and fees: every coldkey (`wallets` of them, plus EXCHANGES exchange accounts) has a balance
(`System.Account`: free, reserved, frozen, nonce). At genesis about three wallets in four hold a
lognormal balance (their own randomness, drawn apart from the chain's) and the exchanges a fifth of
the issuance together (enough for about a year of the withdrawals below at scale 0.05);
the others come into existence (`System.NewAccount`, `Balances.Endowed`) when they first receive TAO.
Every signed extrinsic pays its fee (`fee_of`: weight-based, zero for the Pays::No calls set_weights
and serve_axon) and sometimes a tip, as a Substrate runtime does it: `Balances.Withdraw` of fee + tip
first, the call's own events, then `TransactionPayment.TransactionFeePaid` (who, actual_fee = fee +
tip, tip) and `System.ExtrinsicSuccess`. A transfer (`transfer_keep_alive`, one in five
`transfer_allow_death`) sends at most what the sender holds above the existential deposit and the
fee; a stake or registration whose coldkey cannot pay is preceded, in the same block, by a
withdrawal from an exchange (a transfer signed by the exchange); an exchange short of it is first
paid by the richest wallet (a deposit of the withdrawal plus EXCHANGE_DEPOSIT_TAO), and a call
that not even that can fund is not made, so no balance goes negative. add_stake withdraws its TAO from
the coldkey, remove_stake deposits what it pays out (`Balances.Withdraw` / `Balances.Deposit`). The
fees leave the payers' balances and nothing else: TotalIssuance, the pools and the stake follow the
emission model alone, so none of their figures depend on the accounts. The ledger records every
signed extrinsic (signer, call, fee, tip), every transfer and every account created
(`SubtensorChain.activity`), and `balances(n)` gives every account after block n.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np

from devnet.subtensor import economics as eco
from devnet.subtensor.metadata import SPEC_NEW, SPEC_OLD

BLOCK_SECONDS = 12
TEMPO = 360
WINDOW = TEMPO + 1
GENESIS = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp())
HALVING_AT = int(datetime(2025, 12, 12, tzinfo=UTC).timestamp())
UPGRADE_AT = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
DEFAULT_NOW = int(datetime(2026, 1, 15, tzinfo=UTC).timestamp())
FINALITY_LAG = 2
ALPHA_PER_BLOCK = eco.RAO_PER_TAO
SWAP_FEE_BPS = 5  # 0.05%
IMMUNITY_PERIOD = 4096
ROOT = 0
OWNER_CUT_U16 = eco.OWNER_CUT_U16  # SubnetOwnerCut, served in storage and applied to every epoch
STAKED_SHARE = 0.73  # root stake + the subnet pools at genesis, as a share of issuance
BURN_RAO = eco.RAO_PER_TAO // 10  # burned_register's cost while a subnet has free slots
BURN_FULL_RAO = eco.RAO_PER_TAO // 2  # and once it is full (a registration replaces a neuron)
POOL_OPS = ("add_stake", "remove_stake", "epoch")
EXISTENTIAL_DEPOSIT = 500  # Balances.ExistentialDeposit, rao
#: TAO the richest wallet deposits on an exchange beyond a withdrawal the exchange cannot pay (`_deposit`).
EXCHANGE_DEPOSIT_TAO = 10_000
EXCHANGES = 4  # exchange accounts (coldkey ids wallets .. wallets + 3) that fund wallets short of TAO
#: The fee of the reference extrinsic (a transfer of WEIGHTS["transfer"]), rao; others scale by weight.
TRANSFER_FEE = 125_000

INIT = -1  # Phase::Initialization

# Plausible weights (ref_time, proof_size) of the extrinsics, for ExtrinsicSuccess.dispatch_info.
WEIGHTS = {
    "timestamp": (6_208_000, 1_493, "Mandatory", "No"),
    "transfer": (190_154_000, 3_593, "Normal", "Yes"),
    "add_stake": (340_800_000, 15_872, "Normal", "Yes"),
    "remove_stake": (410_100_000, 16_233, "Normal", "Yes"),
    "burned_register": (354_400_000, 13_600, "Normal", "Yes"),
    "set_weights": (4_000_000_000, 0, "Normal", "No"),
    "serve_axon": (33_620_000, 4_104, "Normal", "No"),
    "register_network": (229_900_000, 20_400, "Normal", "Yes"),
}


def _hash32(*parts: object) -> bytes:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=32).digest()


def hexs(b: bytes) -> str:
    return "0x" + b.hex()


@dataclass(frozen=True)
class ChainParams:
    """Sizes derived from `scale` (1.0 approximates the early-2026 mainnet)."""

    seed: int
    scale: float
    genesis: int = GENESIS
    halving_at: int = HALVING_AT
    upgrade_at: int = UPGRADE_AT
    reference_now: int = DEFAULT_NOW

    @property
    def subnets_at_genesis(self) -> int:
        return max(2, round(30 * self.scale))

    @property
    def subnets_at_reference(self) -> int:
        return max(self.subnets_at_genesis + 2, round(128 * self.scale))

    @property
    def max_uids(self) -> int:
        return int(min(256, max(16, round(1024 * self.scale))))

    @property
    def max_validators(self) -> int:
        return max(3, round(64 * self.max_uids / 256))

    @property
    def wallets(self) -> int:
        return max(200, round(121_600 * self.scale))

    @property
    def transfers_per_block(self) -> float:
        return max(0.15, 3.0 * self.scale)

    @property
    def stake_ops_per_subnet_window(self) -> float:
        return 4.0

    @property
    def registrations_per_subnet_window(self) -> float:
        return max(0.3, self.max_uids / 100)

    def block_at(self, ts: int) -> int:
        return max(0, (ts - self.genesis) // BLOCK_SECONDS)

    @property
    def halving_block(self) -> int:
        return self.block_at(self.halving_at)

    @property
    def upgrade_block(self) -> int:
        return self.block_at(self.upgrade_at)

    @property
    def initial_issuance(self) -> int:
        # Issuance reaches exactly 10.5M TAO after the halving block.
        return max(0, eco.TAO_CAP // 2 - self.halving_block * eco.BLOCK_EMISSION)


@dataclass
class Subnet:
    netuid: int
    registered_at: int
    owner_cold: int
    owner_hot: str
    name: str
    symbol: str
    size: int  # max UIDs
    n: int = 0
    hotkeys: list[str] = field(default_factory=list)
    coldkeys: np.ndarray = None  # type: ignore[assignment]
    quality: np.ndarray = None  # type: ignore[assignment]
    registered_block: np.ndarray = None  # type: ignore[assignment]
    last_update: np.ndarray = None  # type: ignore[assignment]
    axon_block: np.ndarray = None  # type: ignore[assignment]
    emission: np.ndarray = None  # type: ignore[assignment]
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # u16 arrays: rank, incentive, ...
    permit: np.ndarray = None  # type: ignore[assignment]
    weights: dict[int, np.ndarray] = field(default_factory=dict)  # validator uid -> row
    bonds: dict[int, np.ndarray] = field(default_factory=dict)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)  # (hotkey, coldkey id) -> alpha
    hot_stake: dict[str, int] = field(default_factory=dict)
    tao_in: int = 0
    alpha_in: int = 0
    alpha_out: int = 0
    volume: int = 0
    last_step: int = 0
    moving_price: float = 0.0
    # Per-block emission parts by the block's TAO emission: E -> (tao in, excess, alpha in, alpha out).
    plan: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    settled: int = 0  # the last block whose emission is in the pool
    pending_alpha: int = 0  # alpha emitted to participants since the last epoch
    last_split: tuple[int, int, int, int] | None = None  # (E, owner, miners, validators)

    def __post_init__(self) -> None:
        if self.coldkeys is None:
            z = self.size
            self.hotkeys = [""] * z
            self.coldkeys = np.zeros(z, dtype=np.int64)
            self.quality = np.zeros(z)
            self.registered_block = np.zeros(z, dtype=np.int64)
            self.last_update = np.zeros(z, dtype=np.int64)
            self.axon_block = np.zeros(z, dtype=np.int64)
            self.emission = np.zeros(z, dtype=np.int64)
            self.permit = np.zeros(z, dtype=bool)
            for key in ("rank", "incentive", "consensus", "trust", "validator_trust", "dividends", "pruning"):
                self.scores[key] = np.zeros(z, dtype=np.int64)

    @property
    def price(self) -> float:
        return self.tao_in / self.alpha_in if self.alpha_in else 0.0

    def stake_of_uids(self) -> np.ndarray:
        return np.array(
            [self.hot_stake.get(h, 0) if h else 0 for h in self.hotkeys[: self.n]], dtype=np.float64
        )

    def credit(self, hotkey: str, cold: int, alpha: int) -> None:
        if alpha <= 0:
            return
        self.positions[(hotkey, cold)] = self.positions.get((hotkey, cold), 0) + alpha
        self.hot_stake[hotkey] = self.hot_stake.get(hotkey, 0) + alpha


@dataclass
class ChainState:
    block: int  # state after this block (the window's first block - 1 at a window start)
    subnets: dict[int, Subnet]
    networks_registered: int  # registrations of networks so far (the schedule's counter)
    hotkey_counter: int = 0
    recycled: int = 0  # rao recycled (registration burns) up to this block
    # Accounts by coldkey id (wallets, then the exchanges): free balance (rao), nonce, existence.
    free: np.ndarray = None  # type: ignore[assignment]
    nonce: np.ndarray = None  # type: ignore[assignment]
    exists: np.ndarray = None  # type: ignore[assignment]


@dataclass
class Op:
    block: int
    kind: str
    args: tuple


#: The fields of a ledger's stake record, in order.
STAKE_FIELDS = ("block", "operation", "netuid", "coldkey", "hotkey", "tao", "alpha", "fee")


@dataclass
class WindowLedger:
    """The chain's own record of one window, written as it applies each operation.

    spans: [netuid, first, last, tao_in, excess, alpha_in, alpha_out] per-block emission parts, constant
    over blocks first..last. pools: (block, netuid, tao_in, alpha_in, alpha_out) after each operation
    that moved a pool (and every pool at `start_block`); a removed subnet is (block, netuid, -1, -1, -1).
    recycled: (block, netuid, rao). epochs: (block, netuid, alpha, owner, miners, validators, tao_in,
    alpha_in). stakes: (block, operation, netuid, coldkey, hotkey, tao, alpha, fee) of each add_stake
    and remove_stake applied (tao: rao paid in, or paid out; alpha: base units bought, or sold; fee:
    the swap fee in rao). The window's blocks are start_block + 1 .. last_block.
    """

    start_block: int = 0
    last_block: int = -1
    recycled_before: int = 0
    spans: list[list[int]] = field(default_factory=list)
    pools: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    recycled: list[tuple[int, int, int]] = field(default_factory=list)
    epochs: list[tuple[int, ...]] = field(default_factory=list)
    stakes: list[tuple] = field(default_factory=list)
    #: (block, index, signer, pallet, call, fee, tip) of each signed extrinsic (fee and tip in rao;
    #: the signer a coldkey or hotkey as 0x hex).
    extrinsics: list[tuple] = field(default_factory=list)
    #: (block, index, from, to, amount) of each Balances.Transfer.
    transfers: list[tuple] = field(default_factory=list)
    #: (block, account) of each account created (System.NewAccount).
    created: list[tuple] = field(default_factory=list)


@dataclass
class Window:
    index: int
    ops: list[Op]
    events: dict[int, list[tuple]]  # block -> [(phase, pallet, event, args)]
    extrinsics: dict[int, list[tuple]]  # block -> [(call name, args)] after the timestamp inherent
    ledger: WindowLedger = field(default_factory=WindowLedger)
    signed: dict[int, list[tuple]] = field(default_factory=dict)  # block -> [(nonce, tip)], as extrinsics


class SubtensorChain:
    """The devnet's subtensor chain. Thread-safe; every answer is a pure function of (seed, scale, block)."""

    CACHE_WINDOWS = 2048

    def __init__(self, seed: int = 7, scale: float = 0.05, params: ChainParams | None = None) -> None:
        self.params = params or ChainParams(seed=seed, scale=scale)
        self.seed = self.params.seed
        self.issuance = eco.IssuanceSchedule(self.params.initial_issuance)
        self._lock = threading.RLock()
        self._chain_id = f"decai-subtensor/{self.seed}/{self.params.scale:g}/{self.params.genesis}"
        self._windows: OrderedDict[int, Window] = OrderedDict()
        self._checkpoint_every = 32 if self.params.max_uids <= 64 else 64
        self._checkpoints: dict[int, ChainState] = {0: self._genesis_state()}
        self._frontier = 0  # window whose start state is _frontier_state
        self._frontier_state = _clone(self._checkpoints[0])
        self.encoded_events = lru_cache(maxsize=8192)(self._encoded_events)
        self._state_cache: OrderedDict[int, ChainState] = OrderedDict()
        self._handlers = {name[4:]: getattr(self, name) for name in dir(self) if name.startswith("_op_")}
        self._tables: OrderedDict[int, dict] = OrderedDict()  # window -> per-block pool table
        # Blocks where the block emission changes (halvings, the cap): emission runs split there.
        starts = [seg[0] for seg in self.issuance.segments]
        self._emission_changes = sorted(
            {
                n
                for s in starts
                for n in (s - 1, s)
                if n >= 1 and self.issuance.emission_of_block(n) != self.issuance.emission_of_block(n - 1)
            }
        )

    # ------------------------------------------------------------------ time, hashes, versions
    def head(self, now: int) -> int:
        return self.params.block_at(now)

    def finalized(self, now: int) -> int:
        return max(0, self.head(now) - FINALITY_LAG)

    def timestamp_ms(self, block: int) -> int:
        return (self.params.genesis + block * BLOCK_SECONDS) * 1000

    @lru_cache(maxsize=65536)  # noqa: B019 - the chain lives as long as the process
    def block_hash(self, block: int) -> str:
        """A derived 32-byte hash whose last 4 bytes, XOR the first 4, give the number back."""
        digest = _hash32(self._chain_id, "block", block)
        tail = (int.from_bytes(digest[:4], "big") ^ block).to_bytes(4, "big")
        return hexs(digest[:28] + tail)

    def block_number(self, block_hash: str) -> int | None:
        """The number of a block hash of this chain, or None when the hash is not one of its blocks."""
        try:
            raw = bytes.fromhex(block_hash.removeprefix("0x"))
        except (AttributeError, ValueError):
            return None
        if len(raw) != 32:
            return None
        block = int.from_bytes(raw[:4], "big") ^ int.from_bytes(raw[28:], "big")
        return block if self.block_hash(block) == "0x" + raw.hex() else None

    def spec_version(self, block: int) -> int:
        """The runtime in the state after `block` (what state_getRuntimeVersion reports)."""
        return SPEC_NEW if block >= self.params.upgrade_block else SPEC_OLD

    def spec_executing(self, block: int) -> int:
        """The runtime that executed `block` (its parent's), which encodes the block's events."""
        return self.spec_version(max(0, block - 1)) if block > 0 else SPEC_OLD

    def coldkey(self, i: int) -> str:
        return _coldkey(self._chain_id, int(i))

    # ------------------------------------------------------------------ genesis and schedule
    def _network_registration_block(self, k: int) -> int:
        """Block of the k-th network registration after genesis (closed form, seeded jitter)."""
        p = self.params
        count = p.subnets_at_reference - p.subnets_at_genesis + 1
        span = max(1, p.block_at(p.reference_now) - 1)
        interval = span / count
        jitter = int(_hash32(self._chain_id, "netreg", k)[0]) / 256.0
        return 1 + int((k + 0.25 + 0.5 * jitter) * interval)

    def _new_subnet(self, netuid: int, block: int, rng: np.random.Generator, owner_cold: int) -> Subnet:
        p = self.params
        owner_hot = hexs(_hash32(self._chain_id, "owner-hot", netuid, block))
        sn = Subnet(
            netuid=netuid,
            registered_at=block,
            owner_cold=owner_cold,
            owner_hot=owner_hot,
            name=f"subnet-{netuid}",
            symbol=_symbol(netuid),
            size=p.max_uids,
            last_step=block,
        )
        # Prices around 1 / (number of subnets): their sum, which sets how much alpha a block's TAO
        # buys, stays near 1 at any scale, so the alpha cap binds on some days and not on others.
        typical = 1.0 / p.subnets_at_reference
        price = float(np.clip(rng.lognormal(math.log(typical), 0.9), 0.1 * typical, 25 * typical))
        sn.tao_in = int(rng.lognormal(math.log(20_000), 0.8) * eco.RAO_PER_TAO)
        sn.alpha_in = int(sn.tao_in / price)
        sn.moving_price = price
        sn.settled = block
        return sn

    def _genesis_state(self) -> ChainState:
        p = self.params
        rng = np.random.default_rng([p.seed, 0xC0FFEE])
        subnets: dict[int, Subnet] = {}
        root = Subnet(ROOT, 0, 0, hexs(_hash32(self._chain_id, "root")), "root", "τ", size=p.max_uids)
        root.tao_in, root.alpha_in = 0, 0
        subnets[ROOT] = root
        state = ChainState(block=0, subnets=subnets, networks_registered=0)
        for netuid in range(1, p.subnets_at_genesis + 1):
            sn = self._new_subnet(netuid, 0, rng, int(rng.integers(p.wallets)))
            subnets[netuid] = sn
            # Genesis neurons: the owner as the first validator, a few more validators, miners.
            initial = max(4, int(0.7 * p.max_uids))
            validators = max(2, p.max_validators // 2)
            for uid in range(initial):
                hot = sn.owner_hot if uid == 0 else self._next_hotkey(state, netuid)
                cold = sn.owner_cold if uid == 0 else int(rng.integers(p.wallets))
                self._place_neuron(sn, uid, hot, cold, float(rng.lognormal(0.0, 1.2)), 0)
                sn.n = uid + 1
                if uid < validators:
                    sn.credit(hot, cold, int(rng.lognormal(math.log(60_000), 0.8) * eco.RAO_PER_TAO))
            sn.alpha_out = sum(sn.hot_stake.values())
        # Root: TAO staked on root validators, so that root and the pools hold ~73% of issuance.
        pools = sum(sn.tao_in for n, sn in subnets.items() if n != ROOT)
        root_stake = max(0, int(STAKED_SHARE * p.initial_issuance) - pools)
        holders = p.max_validators
        weights = rng.lognormal(0.0, 1.0, holders)
        for i, stake in enumerate(eco.split_integer(root_stake, weights)):
            hot = hexs(_hash32(self._chain_id, "root-validator", i))
            root.credit(hot, int(rng.integers(p.wallets)), int(stake))
        root.tao_in = root_stake
        self._genesis_accounts(state)
        return state

    def _genesis_accounts(self, state: ChainState) -> None:
        """Balances at genesis, from randomness of their own (the rest of genesis is drawn without them)."""
        p = self.params
        rng = np.random.default_rng([p.seed, 0xACC0])
        funded = rng.random(p.wallets) < 0.75
        held = (rng.lognormal(math.log(120.0), 1.4, p.wallets) * eco.RAO_PER_TAO).astype(np.int64)
        exchange = int(0.2 * p.initial_issuance) // EXCHANGES
        state.free = np.concatenate([np.where(funded, held, 0), np.full(EXCHANGES, exchange)]).astype(
            np.int64
        )
        state.exists = state.free > 0
        state.nonce = np.zeros(p.wallets + EXCHANGES, dtype=np.int64)

    def _next_hotkey(self, state: ChainState, netuid: int) -> str:
        state.hotkey_counter += 1
        return hexs(_hash32(self._chain_id, "hot", netuid, state.hotkey_counter))

    @staticmethod
    def _place_neuron(sn: Subnet, uid: int, hot: str, cold: int, quality: float, block: int) -> None:
        sn.hotkeys[uid] = hot
        sn.coldkeys[uid] = cold
        sn.quality[uid] = quality
        sn.registered_block[uid] = block
        sn.last_update[uid] = block
        sn.axon_block[uid] = 0
        sn.emission[uid] = 0
        sn.permit[uid] = False
        for arr in sn.scores.values():
            arr[uid] = 0
        sn.weights.pop(uid, None)
        sn.bonds.pop(uid, None)
        for row in sn.weights.values():
            row[uid] = 0.0
        for row in sn.bonds.values():
            row[uid] = 0.0

    # ------------------------------------------------------------------ window simulation
    def _epoch_block(self, window: int, netuid: int) -> int:
        return window * WINDOW + (-(netuid + 1)) % WINDOW

    def _generate_ops(self, state: ChainState, w: int) -> list[Op]:
        """The window's operations, drawn from the state at its start and the window's own randomness."""
        p = self.params
        rng = np.random.default_rng([p.seed, w, 0x5EED])
        first, last = w * WINDOW, w * WINDOW + WINDOW - 1
        ops: list[Op] = []
        lo = max(1, first)
        # Network registrations on the closed-form schedule.
        k = state.networks_registered
        while True:
            b = self._network_registration_block(k)
            if b > last:
                break
            if b >= lo:
                ops.append(Op(b, "register_network", (k, int(rng.integers(p.wallets)))))
            k += 1
        if first <= p.upgrade_block <= last and p.upgrade_block > 0:
            ops.append(Op(p.upgrade_block, "code_update", ()))
        # Transfers between wallets.
        n_transfers = rng.poisson(p.transfers_per_block * WINDOW)
        for b, a, c, amt in zip(
            rng.integers(lo, last + 1, n_transfers),
            rng.integers(p.wallets, size=n_transfers),
            rng.integers(p.wallets, size=n_transfers),
            rng.lognormal(math.log(15.0), 1.6, n_transfers),
            strict=True,
        ):
            if a != c:
                ops.append(Op(int(b), "transfer", (int(a), int(c), int(amt * eco.RAO_PER_TAO))))
        for netuid, sn in state.subnets.items():
            if netuid == ROOT:
                continue
            srng = np.random.default_rng([p.seed, w, netuid])
            epoch = self._epoch_block(w, netuid)
            if epoch >= lo:
                ops.append(Op(epoch, "epoch", (netuid,)))
            # Registrations (faster while the subnet fills up), each serving its axon soon after.
            rate = p.registrations_per_subnet_window * (4.0 if sn.n < sn.size else 1.0)
            for b in np.sort(srng.integers(lo, last + 1, srng.poisson(rate))):
                hot = self._next_hotkey(state, netuid)
                cold = int(srng.integers(p.wallets))
                validator = srng.random() < 0.1
                quality = float(srng.lognormal(0.0, 1.2))
                ops.append(Op(int(b), "burned_register", (netuid, hot, cold, quality)))
                if validator:
                    tao = int(srng.lognormal(math.log(800), 0.8) * eco.RAO_PER_TAO)
                    ops.append(Op(int(b), "add_stake", (netuid, hot, cold, tao)))
                axon = int(b) + int(srng.integers(1, 40))
                if axon <= last:
                    ops.append(Op(axon, "serve_axon", (netuid, hot)))
            # Validators set weights once per window (rows drawn together from the window's randomness).
            validators = np.flatnonzero(sn.permit[: sn.n])
            if validators.size:
                rows = self._weight_rows(sn, validators, srng)
                for uid, row, b in zip(
                    validators, rows, srng.integers(lo, last + 1, validators.size), strict=True
                ):
                    ops.append(Op(int(b), "set_weights", (netuid, int(uid), sn.hotkeys[uid], row)))
            # Stake added to (mostly) validators, and removed from existing positions.
            n_add = srng.poisson(p.stake_ops_per_subnet_window * 0.6)
            n_rem = srng.poisson(p.stake_ops_per_subnet_window * 0.4)
            candidates = np.flatnonzero(sn.permit[: sn.n]) if sn.permit[: sn.n].any() else np.arange(sn.n)
            for _ in range(n_add):
                uid = (
                    int(srng.choice(candidates))
                    if srng.random() < 0.8 or sn.n == 0
                    else int(srng.integers(sn.n))
                )
                tao = int(srng.lognormal(math.log(12.0), 1.3) * eco.RAO_PER_TAO)
                ops.append(
                    Op(
                        int(srng.integers(lo, last + 1)),
                        "add_stake",
                        (netuid, sn.hotkeys[uid], int(srng.integers(p.wallets)), tao),
                    )
                )
            if sn.positions and n_rem:
                keys = list(sn.positions)  # insertion order is part of the deterministic state
                for _ in range(n_rem):
                    hot, cold = keys[int(srng.integers(len(keys)))]
                    fraction = float(srng.uniform(0.05, 1.0))
                    ops.append(
                        Op(int(srng.integers(lo, last + 1)), "remove_stake", (netuid, hot, cold, fraction))
                    )
        # Stable order: by block, epochs and upgrades first (they run in on_initialize).
        order = {"code_update": 0, "epoch": 1}
        ops.sort(key=lambda op: (op.block, order.get(op.kind, 2)))
        return ops

    def _simulate_window(self, state: ChainState, w: int) -> Window:
        """Advance `state` (at the window start) through window w; returns its events and extrinsics."""
        ops = self._generate_ops(state, w)
        window = Window(w, ops, {}, {})
        self._begin_window(state, w, window)
        for op in ops:
            self._apply(state, op, window)
        self.settle(state, w * WINDOW + WINDOW - 1)
        state.block = w * WINDOW + WINDOW - 1
        return window

    # ------------------------------------------------------------------ per-block TAO issuance
    def _emission_runs(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(a, b, rao per block) covering blocks first..last, the emission constant on each run."""
        runs = []
        block = max(1, first)
        while block <= last:
            i = bisect.bisect_right(self._emission_changes, block)
            end = last if i == len(self._emission_changes) else min(last, self._emission_changes[i] - 1)
            runs.append((block, end, self.issuance.emission_of_block(block)))
            block = end + 1
        return runs

    def _begin_window(self, state: ChainState, w: int, window: Window | None) -> None:
        """Record the pools at the window start and fix the per-block emission parts of its blocks."""
        first = max(1, w * WINDOW)
        last = w * WINDOW + WINDOW - 1
        if window is not None:
            ledger = window.ledger
            ledger.start_block, ledger.last_block = first - 1, last
            ledger.recycled_before = state.recycled
            for netuid, sn in sorted(state.subnets.items()):
                ledger.pools.append((first - 1, netuid, sn.tao_in, sn.alpha_in, sn.alpha_out))
        self._plan(state, first, last, window)

    def _plan(self, state: ChainState, first: int, last: int, window: Window | None) -> None:
        """Each live subnet's per-block parts for blocks first..last (every subnet settled to first - 1).

        A block's emission is split by the moving prices (`split_integer`: the parts sum to it); a
        part buys alpha at the pool price, at most ALPHA_PER_BLOCK, the rest being excess TAO.
        """
        if window is not None:  # parts planned before end at first - 1
            for span in window.ledger.spans:
                span[2] = min(span[2], first - 1)
            window.ledger.spans = [span for span in window.ledger.spans if span[1] <= span[2]]
        live = sorted(n for n in state.subnets if n != ROOT)
        prices = np.array([state.subnets[n].moving_price for n in live], dtype=np.float64)
        runs = self._emission_runs(first, last)
        parts = {e: eco.split_integer(e, prices) for e in {run[2] for run in runs}}
        for i, netuid in enumerate(live):
            sn = state.subnets[netuid]
            sn.plan = {}
            for e, split in parts.items():
                tao = int(split[i])
                alpha = tao * sn.alpha_in // sn.tao_in if sn.tao_in else 0
                injected = tao
                if alpha > ALPHA_PER_BLOCK:
                    alpha = ALPHA_PER_BLOCK
                    injected = min(tao, ALPHA_PER_BLOCK * sn.tao_in // sn.alpha_in)
                sn.plan[e] = (injected, tao - injected, alpha, ALPHA_PER_BLOCK)
            if window is not None:
                for a, b, e in runs:
                    window.ledger.spans.append([netuid, a, b, *sn.plan[e]])
        if ROOT in state.subnets:
            state.subnets[ROOT].plan = {}

    @staticmethod
    def _settle_subnet(sn: Subnet, block: int, runs: list[tuple[int, int, int]]) -> None:
        if sn.settled >= block:
            return
        for a, b, e in runs:
            a = max(a, sn.settled + 1)
            if a > b:
                continue
            parts = sn.plan.get(e)
            if parts:
                k = b - a + 1
                sn.tao_in += k * parts[0]
                sn.alpha_in += k * parts[2]
                sn.pending_alpha += k * parts[3]
        sn.settled = block

    def settle(self, state: ChainState, block: int, netuid: int | None = None) -> None:
        """Put the emission of every block up to `block` into the pools (one subnet's, or all)."""
        subnets = state.subnets.values() if netuid is None else [state.subnets[netuid]]
        runs = None
        for sn in subnets:
            if sn.settled < block:
                runs = runs or self._emission_runs(
                    min(s.settled for s in subnets if s.settled < block) + 1, block
                )
                self._settle_subnet(sn, block, runs)

    def _apply(self, state: ChainState, op: Op, window: Window | None) -> None:
        """Apply one operation; when `window` is given, record its events, extrinsic and ledger lines.

        The block's emission reaches a pool (on_initialize) before any operation on it in that block.
        A signed call pays its fee and tip first (a coldkey short of them, or of the TAO the call
        spends, is funded by an exchange in the same block, just before).
        """
        netuid = op.args[0] if op.kind in POOL_OPS else None
        if netuid is not None and netuid in state.subnets:
            self.settle(state, op.block, netuid)
        elif op.kind == "register_network":
            self.settle(state, op.block)
        if not self._fund(state, op, window):
            return  # neither the coldkey nor any exchange can pay: the call is never made
        events: list[tuple] = []
        ledger = window.ledger if window is not None else None
        call = self._handlers[op.kind](state, op, events, ledger)
        if op.kind == "register_network":
            self._plan(state, op.block + 1, (op.block // WINDOW) * WINDOW + WINDOW - 1, window)
        if ledger is not None and events:
            if op.kind == "register_network":
                netuid = next(e[2][0] for e in events if e[1] == "NetworkAdded")
            if netuid is not None:
                sn = state.subnets[netuid]
                ledger.pools.append((op.block, netuid, sn.tao_in, sn.alpha_in, sn.alpha_out))
        signer = nonce = None
        fee = tip = 0
        if call is not None:
            fee, tip = self._fee_of(op)
            payer = self._payer(op)
            if payer is None:
                signer = op.args[2] if op.kind == "set_weights" else op.args[1]  # the hotkey
            else:
                signer = self.coldkey(payer)
                nonce = int(state.nonce[payer])
                state.nonce[payer] += 1
                state.free[payer] -= fee + tip
            paid = [("Balances", "Withdraw", {"who": signer, "amount": fee + tip})] if fee + tip else []
            events[:0] = paid
            events.append(
                (
                    "TransactionPayment",
                    "TransactionFeePaid",
                    {"who": signer, "actual_fee": fee + tip, "tip": tip},
                )
            )
        if window is None or not events:
            return
        block_events = window.events.get(op.block)
        if block_events is None:
            block_events = window.events[op.block] = []
        if call is None:  # runs in on_initialize: Phase::Initialization
            block_events.extend([(INIT, *e) for e in events])
            return
        extrinsics = window.extrinsics.get(op.block)
        if extrinsics is None:
            extrinsics = window.extrinsics[op.block] = []
            window.signed[op.block] = []
        index = len(extrinsics) + 1  # extrinsic 0 is the timestamp inherent
        extrinsics.append(call)
        window.signed[op.block].append((nonce, tip))
        block_events.extend([(index, *e) for e in events])
        block_events.append((index, "System", "ExtrinsicSuccess", _SUCCESS[call[0]]))
        pallet, function = _CALLS[call[0]] if call[0] != "transfer" else ("Balances", call[4])
        ledger.extrinsics.append((op.block, index, signer, pallet, function, fee, tip))
        for _pallet, name, args in events:
            if name == "Transfer":
                ledger.transfers.append((op.block, index, args["from"], args["to"], args["amount"]))
            elif name == "NewAccount":
                ledger.created.append((op.block, args["account"]))

    # ------------------------------------------------------------------ accounts and fees
    def _payer(self, op: Op) -> int | None:
        """The coldkey id that signs and pays for `op`'s extrinsic; None for a hotkey's Pays::No call."""
        if op.kind == "transfer":
            return op.args[0]
        if op.kind in ("add_stake", "remove_stake", "burned_register"):
            return op.args[2]
        if op.kind == "register_network":
            return op.args[1]
        return None

    def _fee_of(self, op: Op) -> tuple[int, int]:
        """(inclusion fee, tip) of `op`'s extrinsic, rao: a pure function of the operation. About one
        paid extrinsic in sixteen adds a tip; an exchange's withdrawal never does."""
        fee = FEES[op.kind]
        if not fee or (op.kind == "transfer" and len(op.args) > 3):
            return fee, 0
        h = _hash32(self._chain_id, "tip", op.block, op.kind, *(str(a) for a in op.args))
        return fee, (1 + h[1]) * 10_000 if h[0] < 16 else 0

    def _spends(self, state: ChainState, op: Op) -> int:
        """TAO (rao) `op`'s call takes from its coldkey besides the fee: the stake, the burn."""
        if op.kind == "add_stake":
            return max(0, int(op.args[3]))
        if op.kind == "burned_register":
            return BURN_FULL_RAO
        return 0

    def _fund(self, state: ChainState, op: Op, window: Window | None) -> bool:
        """Before a stake or registration whose coldkey cannot pay: a withdrawal from an exchange to it.

        False when it cannot be paid: the richest exchange would drop below the existential deposit
        (at full scale the exchanges' genesis fifth of the issuance runs out within days). No
        balance ever goes negative; a network registration, whose fee is all it needs, is made
        whenever its coldkey can pay that."""
        if op.kind not in ("add_stake", "remove_stake", "burned_register", "register_network"):
            return True
        payer = self._payer(op)
        fee, tip = self._fee_of(op)
        need = self._spends(state, op) + fee + tip + EXISTENTIAL_DEPOSIT
        have = int(state.free[payer]) if state.exists[payer] else 0
        if have >= need:
            return True
        h = _hash32(self._chain_id, "withdrawal", op.block, payer)
        amount = -(-(need - have) // eco.RAO_PER_TAO) * eco.RAO_PER_TAO + (1 + h[0] % 20) * eco.RAO_PER_TAO
        exchange = self.params.wallets + int(np.argmax(state.free[self.params.wallets :]))  # the richest
        withdrawal = Op(op.block, "transfer", (exchange, payer, amount, "exchange"))
        short = int(state.free[exchange]) - amount - self._fee_of(withdrawal)[0] < EXISTENTIAL_DEPOSIT
        if short and not self._deposit(state, op, exchange, amount, window):
            return op.kind == "register_network" and have >= fee + tip
        self._apply(state, withdrawal, window)
        return True

    def _deposit(self, state: ChainState, op: Op, exchange: int, amount: int, window: Window | None) -> bool:
        """An exchange short of a withdrawal is first paid by the richest wallet (a holder selling
        TAO on it): `EXCHANGE_DEPOSIT_TAO` more than the withdrawal, a transfer it signs and pays the
        fee of. Without it the exchanges, which only pay out, run dry within days at full scale.
        False when even that wallet cannot pay it."""
        whale = int(np.argmax(state.free[: self.params.wallets]))
        deposit = amount + EXCHANGE_DEPOSIT_TAO * eco.RAO_PER_TAO
        fee, _tip = self._fee_of(Op(op.block, "transfer", (whale, exchange, deposit, "deposit")))
        if whale == self._payer(op) or int(state.free[whale]) - deposit - fee < EXISTENTIAL_DEPOSIT:
            return False
        self._apply(state, Op(op.block, "transfer", (whale, exchange, deposit, "deposit")), window)
        return True

    def _credit(self, state: ChainState, account: int, amount: int, events: list) -> None:
        """`amount` rao into an account; a new account first appears (NewAccount, Endowed)."""
        if not state.exists[account]:
            state.exists[account] = True
            who = self.coldkey(account)
            events.append(("System", "NewAccount", {"account": who}))
            events.append(("Balances", "Endowed", {"account": who, "free_balance": amount}))
        state.free[account] += amount

    # Each _op_* mutates the state, appends (pallet, event, args) and returns the extrinsic or None.
    def _op_code_update(self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None) -> None:
        events.append(("System", "CodeUpdated", {}))
        return None

    def _op_transfer(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple | None:
        """A wallet sends at most what it holds above the existential deposit and the fee (an
        exchange's withdrawal, `args[3]`, sends what it was asked for)."""
        a, c, amount = op.args[:3]
        if len(op.args) == 3:
            fee, tip = self._fee_of(op)
            spendable = int(state.free[a]) - fee - tip - EXISTENTIAL_DEPOSIT if state.exists[a] else 0
            amount = min(int(amount), spendable)
            if amount < EXISTENTIAL_DEPOSIT:
                return None
        state.free[a] -= amount
        self._credit(state, c, amount, events)
        events.append(
            ("Balances", "Transfer", {"from": self.coldkey(a), "to": self.coldkey(c), "amount": amount})
        )
        allow_death = len(op.args) == 3 and _hash32(self._chain_id, "xfer", op.block, a, c)[0] < 51
        return ("transfer", a, c, amount, "transfer_allow_death" if allow_death else "transfer_keep_alive")

    def _op_register_network(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple:
        k, owner_cold = op.args
        p = self.params
        state.networks_registered = k + 1
        limit = p.subnets_at_reference  # non-root subnets
        live = [n for n in state.subnets if n != ROOT]
        if len(live) >= limit:
            # Prune the lowest-priced subnet that is past its immunity; its netuid is reused.
            candidates = [n for n in live if op.block - state.subnets[n].registered_at > 7 * 7200] or live
            victim = min(candidates, key=lambda n: (state.subnets[n].price, n))
            del state.subnets[victim]
            events.append(("SubtensorModule", "NetworkRemoved", (victim,)))
            if ledger is not None:
                ledger.pools.append((op.block, victim, -1, -1, -1))
            netuid = victim
        else:
            netuid = next(n for n in range(1, 65536) if n not in state.subnets)
        rng = np.random.default_rng([p.seed, op.block, 0x5B])
        sn = self._new_subnet(netuid, op.block, rng, owner_cold)
        self._place_neuron(sn, 0, sn.owner_hot, owner_cold, 1.0, op.block)
        sn.n = 1
        state.subnets[netuid] = sn
        events.append(("SubtensorModule", "NetworkAdded", (netuid, 1)))
        events.append(("SubtensorModule", "NeuronRegistered", (netuid, 0, sn.owner_hot)))
        return ("register_network", sn.owner_hot, owner_cold)

    def _op_burned_register(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple | None:
        netuid, hot, cold, quality = op.args
        sn = state.subnets.get(netuid)
        if sn is None:
            return None
        full = sn.n >= sn.size
        if not full:
            uid = sn.n
            sn.n += 1
        else:
            # Full: replace the lowest pruning score outside the immunity period (oldest first on ties).
            immune = (op.block - sn.registered_block[: sn.n]) < IMMUNITY_PERIOD
            immune[0] = True  # the owner's hotkey is never pruned
            pruning = sn.scores["pruning"][: sn.n].astype(np.float64)
            pruning = np.where(immune, np.inf, pruning)
            if np.isinf(pruning).all():
                return None
            uid = int(np.lexsort((sn.registered_block[: sn.n], pruning))[0])
        # The registration cost is burned: recycled, it leaves TotalIssuance.
        burn = BURN_FULL_RAO if full else BURN_RAO
        state.recycled += burn
        if ledger is not None:
            ledger.recycled.append((op.block, netuid, burn))
        self._place_neuron(sn, uid, hot, cold, quality, op.block)
        state.free[cold] -= burn
        events.append(("Balances", "Withdraw", {"who": self.coldkey(cold), "amount": burn}))
        events.append(("SubtensorModule", "NeuronRegistered", (netuid, uid, hot)))
        return ("burned_register", netuid, hot, cold)

    def _op_serve_axon(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple | None:
        netuid, hot = op.args
        sn = state.subnets.get(netuid)
        if sn is None or hot not in sn.hotkeys[: sn.n]:
            return None
        sn.axon_block[sn.hotkeys.index(hot)] = op.block
        events.append(("SubtensorModule", "AxonServed", (netuid, hot)))
        return ("serve_axon", netuid, hot)

    @staticmethod
    def _weight_rows(sn: Subnet, validators: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each validator's weights: its noisy view of miner quality, top quarter kept, squared, normalised.

        About one validator in eight is lazy or dishonest and sets random weights; consensus clips it.
        """
        n, v = sn.n, validators.size
        miners = ~sn.permit[:n]
        if not miners.any():
            miners = np.ones(n, dtype=bool)
        score = sn.quality[:n][None, :] * rng.lognormal(0.0, 0.25, (v, n))
        lazy = rng.random(v) < 0.12
        score[lazy] = rng.random((int(lazy.sum()), n))
        score = np.where(miners[None, :], score, 0.0)
        score[np.arange(v), validators] = 0.0
        top = max(4, n // 4)
        if n > top:
            cutoff = np.partition(score, n - top, axis=1)[:, n - top]
            score = np.where(score >= cutoff[:, None], score, 0.0)
        score = score**2
        total = score.sum(axis=1, keepdims=True)
        return np.divide(score, total, out=np.zeros_like(score), where=total > 0).astype(np.float32)

    def _op_set_weights(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple | None:
        netuid, uid, hot, weights = op.args
        sn = state.subnets.get(netuid)
        if sn is None or uid >= sn.n or sn.hotkeys[uid] != hot:
            return None
        row = np.zeros(sn.size, dtype=np.float32)
        row[: weights.size] = weights
        sn.weights[uid] = row
        sn.last_update[uid] = op.block
        events.append(("SubtensorModule", "WeightsSet", (netuid, uid)))
        dests = np.flatnonzero(weights)
        top = float(weights.max()) if dests.size else 1.0
        values = [int(round(float(weights[d]) / top * eco.U16_MAX)) for d in dests]
        return ("set_weights", netuid, hot, [int(d) for d in dests], values)

    def _op_add_stake(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple | None:
        netuid, hot, cold, tao = op.args
        sn = state.subnets.get(netuid)
        if sn is None or tao <= 0:
            return None
        fee = tao * SWAP_FEE_BPS // 10_000
        k = sn.tao_in * sn.alpha_in
        new_tao = sn.tao_in + tao
        alpha = sn.alpha_in - -(-k // (new_tao - fee))
        if alpha <= 0:
            return None
        sn.tao_in, sn.alpha_in, sn.alpha_out = new_tao, sn.alpha_in - alpha, sn.alpha_out + alpha
        sn.volume += tao
        sn.credit(hot, cold, alpha)
        state.free[cold] -= tao
        events.append(("Balances", "Withdraw", {"who": self.coldkey(cold), "amount": tao}))
        events.append(("SubtensorModule", "StakeAdded", (self.coldkey(cold), hot, tao, alpha, netuid, fee)))
        if ledger is not None:
            ledger.stakes.append((op.block, "add_stake", netuid, self.coldkey(cold), hot, tao, alpha, fee))
        return ("add_stake", netuid, hot, cold, tao)

    def _op_remove_stake(
        self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None
    ) -> tuple | None:
        netuid, hot, cold, fraction = op.args
        sn = state.subnets.get(netuid)
        if sn is None:
            return None
        held = sn.positions.get((hot, cold), 0)
        alpha = min(held, int(held * fraction))
        if alpha <= 0:
            return None
        k = sn.tao_in * sn.alpha_in
        tao_out = sn.tao_in - -(-k // (sn.alpha_in + alpha))
        fee = tao_out * SWAP_FEE_BPS // 10_000
        tao = tao_out - fee
        sn.tao_in, sn.alpha_in, sn.alpha_out = sn.tao_in - tao, sn.alpha_in + alpha, sn.alpha_out - alpha
        sn.volume += tao_out
        if held - alpha:
            sn.positions[(hot, cold)] = held - alpha
        else:
            del sn.positions[(hot, cold)]
        sn.hot_stake[hot] -= alpha
        if not sn.hot_stake[hot]:
            del sn.hot_stake[hot]
        self._credit(state, cold, tao, events)
        events.append(("Balances", "Deposit", {"who": self.coldkey(cold), "amount": tao}))
        events.append(("SubtensorModule", "StakeRemoved", (self.coldkey(cold), hot, tao, alpha, netuid, fee)))
        if ledger is not None:
            ledger.stakes.append((op.block, "remove_stake", netuid, self.coldkey(cold), hot, tao, alpha, fee))
        return ("remove_stake", netuid, hot, cold, alpha)

    def _op_epoch(self, state: ChainState, op: Op, events: list, ledger: WindowLedger | None) -> None:
        netuid = op.args[0]
        sn = state.subnets.get(netuid)
        if sn is None or sn.n == 0:
            return None
        p = self.params
        # The TAO of every block since the last step is in the pool already (settled before the op);
        # the alpha emitted to participants meanwhile is paid out now.
        sn.moving_price = 0.9 * sn.moving_price + 0.1 * sn.price
        emission = sn.pending_alpha
        sn.pending_alpha = 0
        sn.last_step = op.block
        n = sn.n
        stake = sn.stake_of_uids()
        # Validator permits: the top stakes (ties broken by UID).
        ranked = np.lexsort((np.arange(n), -stake))
        permit_uids = np.sort(ranked[: p.max_validators][stake[ranked[: p.max_validators]] > 0])
        if permit_uids.size == 0:
            permit_uids = np.array([0])
        sn.permit[:] = False
        sn.permit[permit_uids] = True
        zeros = np.zeros(sn.size, dtype=np.float32)
        w_mat = np.stack([sn.weights.get(int(u), zeros)[:n] for u in permit_uids]).astype(np.float64)
        b_prev = np.stack([sn.bonds.get(int(u), zeros)[:n] for u in permit_uids]).astype(np.float64)
        result = eco.yuma_consensus(stake[permit_uids], w_mat, b_prev)
        split = eco.split_emission(emission, result.incentive, result.dividends)
        per_uid = split.miners.copy()
        per_uid[permit_uids] += split.validators
        for uid in range(n):
            if per_uid[uid]:
                sn.credit(sn.hotkeys[uid], int(sn.coldkeys[uid]), int(per_uid[uid]))
        sn.credit(sn.owner_hot, sn.owner_cold, split.owner)
        sn.alpha_out += emission
        bonds = np.zeros((permit_uids.size, sn.size), dtype=np.float32)
        bonds[:, :n] = result.bonds
        sn.bonds = {int(u): bonds[i] for i, u in enumerate(permit_uids)}
        sn.emission[:] = 0
        sn.emission[:n] = per_uid
        dividends = np.zeros(n)
        dividends[permit_uids] = result.dividends
        vtrust = np.zeros(n)
        vtrust[permit_uids] = result.validator_trust
        for key, values in (
            ("rank", result.rank / max(result.rank.max(), 1e-12)),
            ("incentive", result.incentive),
            ("consensus", result.consensus),
            ("trust", result.trust),
            ("validator_trust", vtrust),
            ("dividends", dividends),
        ):
            sn.scores[key][:] = 0
            sn.scores[key][:n] = eco.to_u16(values)
        top = per_uid.max() if per_uid.size and per_uid.max() > 0 else 1
        sn.scores["pruning"][:] = 0
        sn.scores["pruning"][:n] = eco.to_u16(per_uid / top)
        sn.last_split = (emission, split.owner, split.miner_total, split.validator_total)
        if ledger is not None:
            ledger.epochs.append((op.block, netuid, *sn.last_split, sn.tao_in, sn.alpha_in))
        events.append(
            (
                "SubtensorModule",
                "IncentiveAlphaEmittedToMiners",
                {"netuid": netuid, "emissions": [int(x) for x in split.miners]},
            )
        )
        return None

    # ------------------------------------------------------------------ access with caching
    def window(self, w: int) -> Window:
        with self._lock:
            if w in self._windows:
                self._windows.move_to_end(w)
                return self._windows[w]
            if w < self._frontier:
                ck = max(c for c in self._checkpoints if c <= w)
                state = _clone(self._checkpoints[ck])
                for i in range(ck, w + 1):
                    win = self._simulate_window(state, i)
                    self._remember(win)
                return self._windows[w]
            while self._frontier <= w:
                win = self._simulate_window(self._frontier_state, self._frontier)
                self._remember(win)
                self._frontier += 1
                if self._frontier % self._checkpoint_every == 0:
                    self._checkpoints[self._frontier] = _clone(self._frontier_state)
            return self._windows[w]

    def _remember(self, win: Window) -> None:
        self._windows[win.index] = win
        self._windows.move_to_end(win.index)
        while len(self._windows) > self.CACHE_WINDOWS:
            self._windows.popitem(last=False)

    def state_at(self, block: int) -> ChainState:
        """The chain state after `block` (a private copy callers may read)."""
        with self._lock:
            if block in self._state_cache:
                self._state_cache.move_to_end(block)
                return self._state_cache[block]
            w = block // WINDOW
            self.window(w)  # make sure the window and a checkpoint before it exist
            ck = max(c for c in self._checkpoints if c <= w)
            state = _clone(self._checkpoints[ck])
            for i in range(ck, w):
                self._simulate_window(state, i)
            ops = self._generate_ops(state, w)
            self._begin_window(state, w, None)
            for op in ops:
                if op.block > block:
                    break
                self._apply(state, op, None)
            self.settle(state, block)
            state.block = block
            self._state_cache[block] = state
            while len(self._state_cache) > 32:
                self._state_cache.popitem(last=False)
            return state

    # ------------------------------------------------------------------ the ledger
    TABLE_WINDOWS = 48

    def _table(self, w: int) -> dict:
        """Window w's pools and emission parts at each of its blocks, expanded from its ledger.

        {"first": block, "recycled": cumulative rao recycled after each block (array),
         "subnets": {netuid: (exists bool array, int64 array (7, blocks))}} with the rows subnet_tao,
        subnet_alpha_in, subnet_alpha_out, tao_in_emission, excess_tao, alpha_in_emission,
        alpha_out_emission.
        """
        with self._lock:
            if w in self._tables:
                self._tables.move_to_end(w)
                return self._tables[w]
            ledger = self.window(w).ledger
        first = w * WINDOW
        blocks = np.arange(first, first + WINDOW)
        emission: dict[int, np.ndarray] = {}
        for netuid, a, b, *parts in ledger.spans:
            rows = emission.setdefault(netuid, np.zeros((4, WINDOW), dtype=np.int64))
            rows[:, a - first : b - first + 1] = np.array(parts, dtype=np.int64)[:, None]
        points: dict[int, list[tuple[int, int, int, int]]] = {}
        for block, netuid, *values in ledger.pools:
            points.setdefault(netuid, []).append((block, *values))
        subnets = {}
        for netuid, cps in points.items():
            em = emission.get(netuid, np.zeros((4, WINDOW), dtype=np.int64))
            cum = np.cumsum(em[[0, 2]], axis=1)  # TAO and alpha put into the pool up to each block
            cp = np.array(cps, dtype=np.int64)
            idx = np.searchsorted(cp[:, 0], blocks, side="right") - 1
            exists = idx >= 0
            idx = np.where(exists, idx, 0)
            exists &= cp[idx, 1] >= 0
            since = cp[idx, 0] - first  # the checkpoint's offset (-1: before the window)
            before = np.where(since >= 0, cum[:, np.clip(since, 0, None)], 0)
            values = np.zeros((7, WINDOW), dtype=np.int64)
            values[0] = cp[idx, 1] + cum[0] - before[0]
            values[1] = cp[idx, 2] + cum[1] - before[1]
            values[2] = cp[idx, 3]
            values[3:] = em
            values[:, ~exists] = 0
            subnets[netuid] = (exists, values)
        recycled = np.full(WINDOW, ledger.recycled_before, dtype=np.int64)
        for block, _netuid, rao in ledger.recycled:
            recycled[block - first :] += rao
        table = {"first": first, "recycled": recycled, "subnets": subnets}
        with self._lock:
            self._tables[w] = table
            while len(self._tables) > self.TABLE_WINDOWS:
                self._tables.popitem(last=False)
        return table

    def emission_state(self, block: int) -> dict[int, tuple[int, ...]]:
        """Every subnet existing after `block` (root included), sorted by netuid: (subnet_tao,
        subnet_alpha_in, subnet_alpha_out, tao_in_emission, excess_tao, alpha_in_emission,
        alpha_out_emission), the values of the storage items of those names at that block."""
        table = self._table(block // WINDOW)
        i = block - table["first"]
        return {
            netuid: tuple(int(x) for x in values[:, i])
            for netuid, (exists, values) in sorted(table["subnets"].items())
            if exists[i]
        }

    def subnet_values(self, block: int, netuid: int) -> tuple[int, ...] | None:
        """One subnet's `emission_state` at `block`; None when it does not exist there."""
        table = self._table(block // WINDOW)
        entry = table["subnets"].get(netuid)
        i = block - table["first"]
        if entry is None or not entry[0][i]:
            return None
        return tuple(int(x) for x in entry[1][:, i])

    def recycled_at(self, block: int) -> int:
        """Rao recycled (registration burns) by blocks up to and including `block`."""
        if block < 0:
            return 0
        table = self._table(block // WINDOW)
        return int(table["recycled"][block - table["first"]])

    def total_issuance(self, block: int) -> int:
        """TotalIssuance after `block`: rao minted so far (genesis included) minus rao recycled."""
        return self.issuance.issued_at(block) - self.recycled_at(block)

    def ledger(self, start: int, end: int, *, per_block: bool = False) -> dict:
        """The chain's record of blocks start..end (inclusive), aggregated; amounts are int (rao for
        TAO, base units for alpha). See `ledger_json` for the shape (the same with integer strings)."""
        if start < 0 or end < start:
            raise ValueError(f"ledger range {start}..{end}: need 0 <= start_block <= end_block")
        windows = [self.window(w).ledger for w in range(start // WINDOW, end // WINDOW + 1)]
        names = ("tao_in_emission", "excess_tao", "alpha_in_emission", "alpha_out_emission")
        spans = [
            (netuid, max(a, start), min(b, end), parts)
            for ledger in windows
            for netuid, a, b, *parts in ledger.spans
            if a <= end and b >= start
        ]
        recycled = [(b, n, r) for ledger in windows for b, n, r in ledger.recycled if start <= b <= end]

        def sums(lo: int, hi: int) -> list[dict]:
            totals: dict[int, list[int]] = {}
            for netuid, a, b, parts in spans:
                k = min(b, hi) - max(a, lo) + 1
                if k > 0:
                    row = totals.setdefault(netuid, [0, 0, 0, 0, 0])
                    for j in range(4):
                        row[j] += k * parts[j]
                    row[4] += k
            return [
                {"netuid": n, **dict(zip(names, row[:4], strict=True)), "blocks": row[4]}
                for n, row in sorted(totals.items())
            ]

        def issuance(lo: int, hi: int) -> dict:
            return {
                "minted": self.issuance.issued_at(hi) - self.issuance.issued_at(lo - 1),
                "recycled": sum(r for b, _n, r in recycled if lo <= b <= hi),
                "total_issuance_before": self.total_issuance(lo - 1) if lo > 0 else self.issuance.initial,
                "total_issuance": self.total_issuance(hi),
            }

        days = []
        per_day = 86_400 // BLOCK_SECONDS
        offset = (self.params.genesis % 86_400) // BLOCK_SECONDS  # blocks from midnight to genesis
        day = (start + offset) // per_day
        while day * per_day - offset <= end:
            day_first, day_last = day * per_day - offset, (day + 1) * per_day - offset - 1
            lo, hi = max(start, day_first, 0), min(end, day_last)
            pools = self.emission_state(hi)
            subnets = sums(lo, hi)
            for row in subnets:
                pool = pools.get(row["netuid"])
                row["subnet_tao_at_last_block"] = pool[0] if pool else None
                row["subnet_alpha_in_at_last_block"] = pool[1] if pool else None
            days.append(
                {
                    "day": datetime.fromtimestamp(self.params.genesis + lo * BLOCK_SECONDS, UTC)
                    .date()
                    .isoformat(),
                    "first_block": lo,
                    "last_block": hi,
                    "complete": lo == max(day_first, 0) and hi == day_last,
                    **issuance(lo, hi),
                    "subnets": subnets,
                }
            )
            day += 1
        epochs = [
            dict(
                zip(
                    (
                        "block",
                        "netuid",
                        "alpha_emission",
                        "owner_alpha",
                        "miners_alpha",
                        "validators_alpha",
                        "subnet_tao",
                        "subnet_alpha_in",
                    ),
                    e,
                    strict=True,
                )
            )
            for ledger in windows
            for e in ledger.epochs
            if start <= e[0] <= end
        ]
        out = {
            "start_block": start,
            "end_block": end,
            **issuance(start, end),
            "owner_cut_u16": OWNER_CUT_U16,
            "subnets": sums(start, end),
            "days": days,
            "epochs": epochs,
            "emission_spans": [
                {"netuid": n, "first_block": a, "last_block": b, **dict(zip(names, parts, strict=True))}
                for n, a, b, parts in spans
            ],
            "recycled_by_block": [{"block": b, "netuid": n, "recycled": r} for b, n, r in recycled],
            "stake_operations": [
                dict(zip(STAKE_FIELDS, s, strict=True))
                for ledger in windows
                for s in ledger.stakes
                if start <= s[0] <= end
            ],
        }
        if per_block:
            fields = ("subnet_tao", "subnet_alpha_in", "subnet_alpha_out", *names)
            out["blocks"] = [
                {
                    "block": b,
                    "minted": self.issuance.emission_of_block(b),
                    "recycled": self.recycled_at(b) - self.recycled_at(b - 1),
                    "total_issuance": self.total_issuance(b),
                    "subnets": [
                        {"netuid": n, **dict(zip(fields, values, strict=True))}
                        for n, values in self.emission_state(b).items()
                    ],
                }
                for b in range(start, end + 1)
            ]
        return out

    def ledger_stakes(self, block: int) -> dict:
        """Stake per hotkey at `block`: alpha on each subnet, TAO on root; with each pool, name and owner."""
        state = self.state_at(block)
        subnets = []
        for netuid, sn in sorted(state.subnets.items()):
            subnets.append(
                {
                    "netuid": netuid,
                    "name": sn.name,
                    "owner_coldkey": self.coldkey(sn.owner_cold),
                    "unit": "rao" if netuid == ROOT else "alpha",
                    "subnet_tao": sn.tao_in,
                    "subnet_alpha_in": sn.alpha_in,
                    "subnet_alpha_out": sn.alpha_out,
                    "stakes": [
                        {"hotkey": hot, "stake": amount}
                        for hot, amount in sorted(sn.hot_stake.items())
                        if amount > 0
                    ],
                }
            )
        return {"block": block, "subnets": subnets}

    def activity(self, start: int, end: int) -> dict:
        """The chain's record of blocks start..end (inclusive) about accounts: every signed extrinsic
        (block, index, signer, pallet, call, fee, tip; fee and tip in rao, the fee paid being fee + tip),
        every Balances.Transfer (block, index, from, to, amount) and every account created (block,
        account). Accounts as 0x hex of the 32-byte id. See `activity_json` in rpc.py for the shape."""
        if start < 0 or end < start:
            raise ValueError(f"activity range {start}..{end}: need 0 <= start_block <= end_block")
        windows = [self.window(w).ledger for w in range(start // WINDOW, end // WINDOW + 1)]

        def rows(name: str, fields: tuple[str, ...]) -> list[dict]:
            return [
                dict(zip(fields, row, strict=True))
                for ledger in windows
                for row in getattr(ledger, name)
                if start <= row[0] <= end
            ]

        return {
            "start_block": start,
            "end_block": end,
            "extrinsics": rows("extrinsics", ("block", "index", "signer", "pallet", "call", "fee", "tip")),
            "transfers": rows("transfers", ("block", "index", "from", "to", "amount")),
            "accounts_created": rows("created", ("block", "account")),
        }

    def balances(self, block: int) -> dict:
        """Every account existing after `block` (System.Account): free, reserved, frozen (rao), nonce."""
        state = self.state_at(block)
        return {
            "block": block,
            "accounts": [
                {
                    "account": self.coldkey(i),
                    "free": int(state.free[i]),
                    "reserved": 0,
                    "frozen": 0,
                    "nonce": int(state.nonce[i]),
                }
                for i in np.flatnonzero(state.exists)
            ],
        }

    def account_info(self, block: int, account: int) -> dict | None:
        """The System.Account value of coldkey id `account` after `block`; None when it does not exist."""
        state = self.state_at(block)
        if not state.exists[account]:
            return None
        return {
            "nonce": int(state.nonce[account]),
            "consumers": 0,
            "providers": 1,
            "sufficients": 0,
            "data": {"free": int(state.free[account]), "reserved": 0, "frozen": 0, "flags": 1 << 127},
        }

    def signed(self, block: int) -> list[tuple]:
        """(nonce, tip) of each signed extrinsic of the block, in `extrinsics` order after the inherent
        (nonce None: a hotkey's call, whose nonce the chain does not track)."""
        if block <= 0:
            return []
        return self.window(block // WINDOW).signed.get(block, [])

    def events(self, block: int) -> list[tuple]:
        """The block's events as (phase, pallet, event, args); phase -1 = Initialization, i = extrinsic i."""
        if block <= 0:
            return []
        win = self.window(block // WINDOW)
        ts_event = (0, "System", "ExtrinsicSuccess", _SUCCESS["timestamp"])
        own = win.events.get(block, [])
        init = [e for e in own if e[0] == INIT]
        return init + [ts_event] + [e for e in own if e[0] != INIT]

    def extrinsics(self, block: int) -> list[tuple]:
        if block <= 0:
            return []
        win = self.window(block // WINDOW)
        return [("timestamp", self.timestamp_ms(block))] + win.extrinsics.get(block, [])

    def _encoded_events(self, block: int) -> bytes:
        from devnet.subtensor.metadata import runtime_metadata

        spec = self.spec_executing(block)
        meta = runtime_metadata(spec)
        return meta.encode("EventRecords", [_event_value(e, spec) for e in self.events(block)])


def _clone(state: ChainState) -> ChainState:
    """A deep copy of a state (pickle round trip: several times faster than copy.deepcopy)."""
    return pickle.loads(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


@lru_cache(maxsize=1 << 16)
def _coldkey(chain_id: str, i: int) -> str:
    return hexs(_hash32(chain_id, "cold", i))


def _symbol(netuid: int) -> str:
    letters = "αβγδεζηθικλμνξοπρστυφχψω"
    return letters[netuid % len(letters)]


def _dispatch_info(ref_time: int, proof: int, cls: str, pays: str) -> dict:
    return {
        "dispatch_info": {
            "weight": {"ref_time": ref_time, "proof_size": proof},
            "class": cls,
            "pays_fee": pays,
        }
    }


def _event_value(event: tuple, spec: int) -> dict:
    """One event as the codec's value for EventRecord, in the layout of runtime `spec`."""
    phase, pallet, name, args = event
    if name in ("StakeAdded", "StakeRemoved") and spec < SPEC_NEW:
        args = args[:5]  # before spec 343 the fee was not part of the event
    if isinstance(args, tuple) and len(args) == 1:
        args = args[0]  # the codec takes a one-field variant's value bare
    return {
        "phase": "Initialization" if phase == INIT else {"ApplyExtrinsic": phase},
        "event": {pallet: {name: args}},
        "topics": [],
    }


_SUCCESS = {name: _dispatch_info(*w) for name, w in WEIGHTS.items()}


def _weight_fee(name: str) -> int:
    ref_time, proof, _cls, pays = WEIGHTS[name]
    if pays == "No":
        return 0
    ref = WEIGHTS["transfer"]
    return (ref_time + 1000 * proof) * TRANSFER_FEE // (ref[0] + 1000 * ref[1])


#: The inclusion fee of each call, rao (Pays::No calls pay nothing).
FEES = {name: _weight_fee(name) for name in WEIGHTS}
#: (pallet, call) of each recorded extrinsic kind (a transfer names its own call).
_CALLS = {
    "add_stake": ("SubtensorModule", "add_stake"),
    "remove_stake": ("SubtensorModule", "remove_stake"),
    "burned_register": ("SubtensorModule", "burned_register"),
    "set_weights": ("SubtensorModule", "set_weights"),
    "serve_axon": ("SubtensorModule", "serve_axon"),
    "register_network": ("SubtensorModule", "register_network"),
}
