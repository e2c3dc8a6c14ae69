"""Bittensor's economics as the devnet computes them: TAO emission with halvings, Yuma Consensus, the split.

Everything here is a pure function (numpy in, numpy out) so the chain simulation and the property
tests share one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RAO_PER_TAO = 1_000_000_000
TAO_CAP = 21_000_000 * RAO_PER_TAO
BLOCK_EMISSION = RAO_PER_TAO  # 1 TAO per block before the first halving
KAPPA = 0.5
BONDS_MOVING_AVERAGE = 900_000 / 1_000_000
U16_MAX = 65_535
#: SubnetOwnerCut, the chain's u16 share of each epoch's alpha that goes to the subnet owner:
#: 11796 / 65535 (about 18%). The owner gets floor(emission x 11796 / 65535), as the runtime computes it.
OWNER_CUT_U16 = 11_796


def halvings_at(issued: int) -> int:
    """How many halving thresholds (10.5M, 15.75M, 18.375M, ...) the issuance has reached."""
    k = 0
    while k < 63 and issued >= TAO_CAP - (TAO_CAP >> (k + 1)):
        k += 1
    return k


def block_emission(issued: int) -> int:
    """Rao minted by the next block when `issued` rao exist: 1 TAO halved per threshold, never past the cap."""
    return max(0, min(BLOCK_EMISSION >> halvings_at(issued), TAO_CAP - issued))


class IssuanceSchedule:
    """Issuance after every block in closed form: piecewise linear between halvings.

    `issued_at(n)` is the issuance after block n has been executed (block 0 is genesis).
    """

    def __init__(self, initial: int) -> None:
        if not 0 <= initial <= TAO_CAP:
            raise ValueError("initial issuance outside [0, 21M TAO]")
        self.initial = initial
        # Segments: (first block, issuance before that block, emission per block in the segment).
        self.segments: list[tuple[int, int, int]] = []
        block, issued = 1, initial
        while True:
            per_block = block_emission(issued)
            self.segments.append((block, issued, per_block))
            if per_block == 0:
                break
            next_threshold = TAO_CAP - (TAO_CAP >> (halvings_at(issued) + 1))
            if per_block < BLOCK_EMISSION >> halvings_at(issued):  # the cap clips the very last block
                next_threshold = TAO_CAP
            blocks = -(-(next_threshold - issued) // per_block)
            block, issued = block + blocks, min(issued + blocks * per_block, TAO_CAP)
            if len(self.segments) > 80:
                break

    def _segment(self, n: int) -> tuple[int, int, int]:
        lo = self.segments[0]
        for seg in self.segments:
            if seg[0] > n:
                break
            lo = seg
        return lo

    def issued_at(self, n: int) -> int:
        if n <= 0:
            return self.initial
        first, issued, per_block = self._segment(n)
        return min(issued + (n - first + 1) * per_block, TAO_CAP)

    def emission_of_block(self, n: int) -> int:
        """Rao minted by block n."""
        if n <= 0:
            return 0
        return self.issued_at(n) - self.issued_at(n - 1)

    def first_block_with_halvings(self, k: int) -> int | None:
        for first, issued, _per_block in self.segments:
            if halvings_at(issued) >= k:
                return first
        return None


@dataclass
class YumaResult:
    consensus: np.ndarray  # (n,) C_j
    trust: np.ndarray  # (n,) R_j / (S @ W)_j
    validator_trust: np.ndarray  # (v,) sum_j Wc_ij
    rank: np.ndarray  # (n,) R_j
    incentive: np.ndarray  # (n,) I_j, sums to 1
    bonds: np.ndarray  # (v, n) EMA bonds, column-normalised
    dividends: np.ndarray  # (v,) D_i, sums to 1


def _normalize(x: np.ndarray, axis=None) -> np.ndarray:
    total = x.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, x / np.where(total > 0, total, 1.0), 0.0)
    return out


def yuma_consensus(
    stake: np.ndarray, weights: np.ndarray, bonds_prev: np.ndarray | None = None, kappa: float = KAPPA
) -> YumaResult:
    """Original Yuma Consensus of one subnet epoch, vectorised.

    stake: (v,) stake of the validator-permit holders; weights: (v, n) weights from validator i to UID j.
    """
    stake = np.asarray(stake, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    v, n = weights.shape
    s = _normalize(stake)
    w = _normalize(weights, axis=1)
    # 1. Consensus: the largest c such that validators holding >= kappa of the stake set W_ij >= c.
    if v:
        order = np.argsort(-w, axis=0, kind="stable")
        w_sorted = np.take_along_axis(w, order, axis=0)
        cum_stake = np.cumsum(s[order], axis=0)
        reached = cum_stake >= kappa - 1e-12
        idx = np.where(reached.any(axis=0), reached.argmax(axis=0), v - 1)
        consensus = w_sorted[idx, np.arange(n)]
        if s.sum() == 0:
            consensus = np.zeros(n)
    else:
        consensus = np.zeros(n)
    # 2. Clipping and validator trust.
    clipped = np.minimum(w, consensus[None, :])
    validator_trust = clipped.sum(axis=1)
    # 3. Rank and incentive.
    rank = s @ clipped
    pre_rank = s @ w
    trust = np.divide(rank, pre_rank, out=np.zeros(n), where=pre_rank > 0)
    incentive = _normalize(rank) if rank.sum() > 0 else np.full(n, 1.0 / n) if n else rank
    # 4. Bonds: EMA of the column-normalised bond deltas.
    delta = _normalize(s[:, None] * clipped, axis=0)
    if bonds_prev is None or bonds_prev.shape != delta.shape:
        bonds_prev = np.zeros_like(delta)
    bonds = _normalize((1.0 - BONDS_MOVING_AVERAGE) * delta + BONDS_MOVING_AVERAGE * bonds_prev, axis=0)
    # 5. Dividends.
    dividends = bonds @ incentive
    dividends = _normalize(dividends) if dividends.sum() > 0 else (s if v else dividends)
    return YumaResult(consensus, trust, validator_trust, rank, incentive, bonds, dividends)


def split_integer(total: int, shares: np.ndarray) -> np.ndarray:
    """Distribute `total` integer units over `shares` (largest remainder): the parts sum to `total` exactly."""
    shares = np.asarray(shares, dtype=np.float64)
    if total <= 0 or shares.size == 0:
        return np.zeros(shares.size, dtype=np.int64)
    weights = _normalize(np.clip(shares, 0.0, None))
    if weights.sum() == 0:
        weights = np.full(shares.size, 1.0 / shares.size)
    exact = weights * total
    parts = np.floor(exact).astype(np.int64)
    missing = int(total - parts.sum())
    if missing > 0:
        order = np.argsort(-(exact - parts), kind="stable")[:missing]
        parts[order] += 1
    elif missing < 0:
        order = np.argsort(-parts, kind="stable")[:-missing]
        parts[order] -= 1
    return parts


@dataclass
class EpochSplit:
    owner: int
    miners: np.ndarray  # (n,) alpha rao per UID from incentive
    validators: np.ndarray  # (v,) alpha rao per validator from dividends

    @property
    def miner_total(self) -> int:
        return int(self.miners.sum())

    @property
    def validator_total(self) -> int:
        return int(self.validators.sum())


def split_emission(emission: int, incentive: np.ndarray, dividends: np.ndarray) -> EpochSplit:
    """SubnetOwnerCut / 65535 (about 18%) to the subnet owner; the rest halved between UIDs by incentive
    and validators by dividends (about 41% each); exact integers that add up to `emission`."""
    owner = emission * OWNER_CUT_U16 // U16_MAX
    miner_pool = (emission - owner) // 2
    validator_pool = emission - owner - miner_pool
    return EpochSplit(owner, split_integer(miner_pool, incentive), split_integer(validator_pool, dividends))


def to_u16(x: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] as the chain stores them (u16, 65535 = 1.0)."""
    return np.clip(np.round(np.asarray(x, dtype=np.float64) * U16_MAX), 0, U16_MAX).astype(np.int64)
