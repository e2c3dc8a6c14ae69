"""Small shared pieces of the Sahara devnet: seeded hashing, bech32, clock, number formatting.

Everything random in the simulation comes from `digest(seed, ...)`: a keyed hash of the seed and a
path of labels, so any item (a block, a task, a delegation) can be generated on its own, in any order,
and always comes out the same.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

#: Sahara's native denomination: 1 SAHARA = 10**18 usah.
DENOM = "usah"
USAH_PER_SAHARA = 10**18
MAX_SUPPLY_USAH = 10_000_000_000 * USAH_PER_SAHARA

BLOCK_SECONDS = 5
BLOCKS_PER_DAY = 86_400 // BLOCK_SECONDS  # 17,280
#: The mint module's `blocks_per_year` for 5 s blocks (365.25 days).
BLOCKS_PER_YEAR = 6_311_520
UNBONDING_SECONDS = 21 * 86_400
UNBONDING_BLOCKS = UNBONDING_SECONDS // BLOCK_SECONDS

#: Default genesis: the SAHARA token generation event (2025-06-26).
DEFAULT_GENESIS = int(datetime(2025, 6, 26, tzinfo=UTC).timestamp())

ACCOUNT_HRP = "sahara"
VALOPER_HRP = "saharavaloper"
VALCONS_HRP = "saharavalcons"


def digest(*parts: object, size: int = 32) -> bytes:
    """A deterministic hash of the labels (blake2b); the seed is always the first part."""
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=size).digest()


def dint(*parts: object) -> int:
    """A deterministic 64-bit integer from the labels."""
    return int.from_bytes(digest(*parts, size=8), "big")


def drng(*parts: object) -> random.Random:
    """A `random.Random` seeded from the labels: one independent stream per item."""
    return random.Random(dint(*parts))


def module_address(name: str) -> bytes:
    """A Cosmos SDK module account address: the first 20 bytes of sha256(name)."""
    return hashlib.sha256(name.encode()).digest()[:20]


# --- bech32 (BIP-173) -------------------------------------------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


#: XOR of the generator terms selected by the top five bits of the checksum state.
_GEN_TABLE = tuple(
    _xor
    for _top in range(32)
    for _xor in [
        (_GEN[0] if _top & 1 else 0)
        ^ (_GEN[1] if _top & 2 else 0)
        ^ (_GEN[2] if _top & 4 else 0)
        ^ (_GEN[3] if _top & 8 else 0)
        ^ (_GEN[4] if _top & 16 else 0)
    ]
)


def _polymod(values: list[int], chk: int = 1) -> int:
    table = _GEN_TABLE
    for value in values:
        chk = ((chk & 0x1FFFFFF) << 5) ^ value ^ table[chk >> 25]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _regroup(data: bytes | list[int], src: int, dst: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    mask = (1 << dst) - 1
    for value in data:
        acc = (acc << src) | value
        bits += src
        while bits >= dst:
            bits -= dst
            out.append((acc >> bits) & mask)
    if pad and bits:
        out.append((acc << (dst - bits)) & mask)
    elif not pad and (bits >= src or (acc << (dst - bits)) & mask):
        raise ValueError("invalid bech32 padding")
    return out


def bech32_encode(hrp: str, payload: bytes) -> str:
    data = _regroup(payload, 8, 5, True)
    polymod = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    """(hrp, payload) of a bech32 string; raises ValueError when the checksum is wrong."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed-case bech32")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise ValueError("no bech32 separator")
    hrp, rest = text[:pos], text[pos + 1 :]
    data = [_CHARSET.index(c) for c in rest]
    if _polymod(_hrp_expand(hrp) + data) != 1:
        raise ValueError("bad bech32 checksum")
    return hrp, bytes(_regroup(data[:-6], 5, 8, False))


@lru_cache(maxsize=1 << 17)
def account(addr: bytes) -> str:
    return bech32_encode(ACCOUNT_HRP, addr)


@lru_cache(maxsize=1024)
def valoper(addr: bytes) -> str:
    return bech32_encode(VALOPER_HRP, addr)


# --- number and time formatting ---------------------------------------------------------------


def coin(amount: int) -> str:
    """A Cosmos coin string: `1000usah`."""
    return f"{amount}{DENOM}"


def legacy_dec(atto: int) -> str:
    """A Cosmos LegacyDec from an integer in units of 1e-18: `12.500000000000000000`."""
    sign = "-" if atto < 0 else ""
    whole, frac = divmod(abs(atto), 10**18)
    return f"{sign}{whole}.{frac:018d}"


def dec_coin(atto: int) -> str:
    """A Cosmos DecCoin string (`12.500000000000000000usah`); empty for zero, as the SDK prints it."""
    return legacy_dec(atto) + DENOM if atto else ""


def rfc3339_nano(ns: int) -> str:
    """Go's RFC3339Nano (trailing zeros of the fraction trimmed), as CometBFT prints times."""
    seconds, nanos = divmod(ns, 1_000_000_000)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hexq(value: int) -> str:
    """An Ethereum JSON-RPC quantity: `0x0`, `0x1f`, never leading zeros."""
    return hex(value)


def hexd(data: bytes) -> str:
    """Ethereum JSON-RPC unformatted data: `0x` and two hex digits a byte."""
    return "0x" + data.hex()


# --- a small thread-safe LRU cache ------------------------------------------------------------


class LRU:
    """Memoises `factory(key)` for the last `size` keys; the simulation's lazy generation rests on it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, factory: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            value = factory()
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
