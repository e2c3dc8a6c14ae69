"""The entities that have a page of their own: a Bittensor subnet, a Bittensor hotkey, a Sahara validator and
a Sahara contributor. Which text names one, the path of its page, and the link a table cell or a
drill-down shows for it.

An id reaches here from the address bar or from a table cell, so it is parsed as untrusted text and
only a parsed id (canonical form) is ever used: in a path, in a link, or as a bound query parameter.

- subnet: a netuid, a whole number 0–65535 (`/bittensor/subnet/3`);
- hotkey: an SS58 address of prefix 42 with a valid checksum (`/bittensor/hotkey/5F…`);
- Sahara validator: an operator address `saharavaloper1…` with a valid bech32 checksum, or a CometBFT
  consensus address (40 hex digits, shown upper case) for a validator whose operator is not known;
- contributor: an EVM address, `0x` and 40 hex digits (stored and shown lower case).

Data tables (`dashboards.components.data_table`) render the cells of the columns in `LINK_COLUMNS` that
hold such an id as a link to its page; a table's CSV still holds the plain id (see `assets/csv_links.js`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from dashboards.state import MAX_NETUID

_NETUID = re.compile(r"[0-9]{1,5}")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_SS58 = re.compile(f"[{_BASE58}]{{46,48}}")
#: Bittensor's SS58 address format (the generic Substrate prefix).
SS58_PREFIX = 42
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
VALOPER_HRP = "saharavaloper"
_VALOPER = re.compile(f"{VALOPER_HRP}1[{_BECH32}]{{38,64}}")
_CONSENSUS = re.compile(r"[0-9A-Fa-f]{40}")
_EVM = re.compile(r"0x[0-9A-Fa-f]{40}")
#: Longer text is not parsed at all (and a notice quotes only this much of it).
MAX_ID_LENGTH = 96


def parse_netuid(text: object) -> str | None:
    """`'3'` for a subnet id 0–65535 (ASCII digits only), else None."""
    if not isinstance(text, str) or not _NETUID.fullmatch(text) or int(text) > MAX_NETUID:
        return None
    return str(int(text))


def _base58(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _BASE58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def parse_hotkey(text: object) -> str | None:
    """The address itself when it is an SS58 address of prefix 42 (one prefix byte, a 32-byte public
    key and a 2-byte checksum: the first bytes of blake2b-512 over `SS58PRE`, prefix and key), else None."""
    if not isinstance(text, str) or not _SS58.fullmatch(text):
        return None
    raw = _base58(text)
    if len(raw) != 35 or raw[0] != SS58_PREFIX:
        return None
    checksum = hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2]
    return text if checksum == raw[33:] else None


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, g in enumerate(generator):
            check ^= g if (top >> i) & 1 else 0
    return check


def _bech32_valid(text: str) -> bool:
    hrp, _, data = text.rpartition("1")
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    return _bech32_polymod(expanded + [_BECH32.index(c) for c in data]) == 1


def parse_sahara_validator(text: object) -> str | None:
    """An operator address (`saharavaloper1…`, lower case, valid bech32 checksum) as it is, or a
    consensus address (40 hex digits) in upper case; else None."""
    if not isinstance(text, str):
        return None
    if _VALOPER.fullmatch(text):
        return text if _bech32_valid(text) else None
    if _CONSENSUS.fullmatch(text):
        return text.upper()
    return None


def is_operator_address(validator: str) -> bool:
    return validator.startswith(VALOPER_HRP + "1")


def parse_contributor(text: object) -> str | None:
    """An EVM address in lower case (the warehouse stores them so), else None."""
    if not isinstance(text, str) or not _EVM.fullmatch(text):
        return None
    return text.lower()


@dataclass(frozen=True)
class Kind:
    """One kind of entity page."""

    name: str
    #: The page's path without the id: `/bittensor/subnet`.
    prefix: str
    #: What an id of this kind is, for the notice shown when a text is not one.
    expected: str
    parse: Callable[[object], str | None]
    noun: str

    def path(self, entity_id: str) -> str:
        return f"{self.prefix}/{entity_id}"

    @property
    def template(self) -> str:
        return f"{self.prefix}/<{self.variable}>"

    @property
    def variable(self) -> str:
        return VARIABLES[self.name]


SUBNET = Kind("subnet", "/bittensor/subnet", "a subnet id (a whole number 0–65535)", parse_netuid, "subnet")
HOTKEY = Kind(
    "hotkey", "/bittensor/hotkey", "an SS58 address (prefix 42) with a valid checksum", parse_hotkey, "hotkey"
)
SAHARA_VALIDATOR = Kind(
    "sahara_validator",
    "/sahara/validator",
    "a Sahara operator address (saharavaloper1…, valid checksum) or a consensus address (40 hex digits)",
    parse_sahara_validator,
    "Sahara validator",
)
CONTRIBUTOR = Kind("contributor", "/sahara/contributor", "an EVM address (0x and 40 hex digits)",
                   parse_contributor, "contributor")  # fmt: skip
KINDS = (SUBNET, HOTKEY, SAHARA_VALIDATOR, CONTRIBUTOR)
#: The path variable of each kind's page (`/bittensor/subnet/<netuid>`).
VARIABLES = {"subnet": "netuid", "hotkey": "ss58", "sahara_validator": "address", "contributor": "address"}


def parse(kind: Kind, text: object) -> tuple[str | None, str | None]:
    """(the canonical id, None) when `text` names an entity of `kind`, else (None, why not) — a notice
    that quotes the text printable and cut short, never as given."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None, f"The address names no {kind.noun}: add one after {kind.prefix}/."
    if not isinstance(text, str):
        return None, f"The address gives the {kind.noun} as a list or other value, not one text."
    parsed = kind.parse(text) if len(text) <= MAX_ID_LENGTH else None
    if parsed is None:
        shown = "".join(c if c.isprintable() else "?" for c in text)[:MAX_ID_LENGTH]
        cut = "…" if len(text) > MAX_ID_LENGTH else ""
        return None, f"“{shown}{cut}” is not {kind.expected}."
    return parsed, None


# ------------------------------------------------------------------------------------- links in tables


def _validator_id_hotkey(text: object) -> str | None:
    """The hotkey of a Bittensor `validator_id` (`netuid:hotkey`)."""
    if not isinstance(text, str) or ":" not in text:
        return None
    netuid, _, hotkey = text.partition(":")
    return parse_hotkey(hotkey) if parse_netuid(netuid) is not None else None


#: Column name -> the kinds a value of it may name, tried in order (with the parser that finds the id in
#: the value). Columns of the same name mean the same entity in every table of the dashboard.
LINK_COLUMNS: dict[str, tuple[tuple[Kind, Callable[[object], str | None]], ...]] = {
    "netuid": ((SUBNET, parse_netuid),),
    "hotkey": ((HOTKEY, parse_hotkey),),
    # Bittensor rows: the hotkey; Sahara rows: the operator address.
    "address": ((HOTKEY, parse_hotkey), (SAHARA_VALIDATOR, parse_sahara_validator)),
    # Bittensor: `netuid:hotkey`; Sahara: the operator (or consensus) address.
    "validator_id": ((SAHARA_VALIDATOR, parse_sahara_validator), (HOTKEY, _validator_id_hotkey)),
    "validator": ((SAHARA_VALIDATOR, parse_sahara_validator),),
    "contributor": ((CONTRIBUTOR, parse_contributor),),
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _cell_text(value: object) -> str | None:
    """A cell as the text an id would be: whole floats (a netuid column with a gap reads as floats) lose
    their `.0`; missing values are None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return None
    return str(value) if isinstance(value, str | int) else None


def cell_link(column: str, value: object) -> str | None:
    """The path of the page the cell's value names, if the column is a link column and it names one."""
    text = _cell_text(value)
    if text is None:
        return None
    for kind, find in LINK_COLUMNS.get(column, ()):
        found = find(text)
        if found is not None:
            return kind.path(found)
    return None


def markdown_cell(column: str, value: object) -> object:
    """The value as a markdown cell: `[text](path)` when it names an entity, else its text escaped (so
    a stray `*` shows as itself); missing values stay missing."""
    text = _cell_text(value)
    if text is None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    path = cell_link(column, value)
    if path is not None:
        return f"[{text}]({path})"  # ids are plain: digits, base58, bech32, hex
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def link_columns(records: list[dict], columns: list[str]) -> list[str]:
    """The columns of the rows that hold at least one entity id (the ones a table renders as links)."""
    return [c for c in columns if c in LINK_COLUMNS and any(cell_link(c, r.get(c)) for r in records)]
