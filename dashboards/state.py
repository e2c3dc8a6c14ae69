"""The view a URL asks for: date range, as-of date, chain, subnet and scale, parsed and validated.

Every page reads its state from the query string (`?start=2026-01-01&end=2026-01-15&as_of=2026-01-10
&chain=bittensor&netuid=3&scale=linear`) and writes it back there when a control changes, so a view
can be shared by its URL. Parsing never raises: a value that is not what the parameter takes falls
back to the default and adds a notice that the page shows. Values reach SQL only after parsing, as
`date`, `int` or one of a fixed set of strings, and then only as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode

#: The chain filter's values; "both" shows both networks.
CHAINS = ("both", "bittensor", "sahara")
SCALES = ("log", "linear")
#: Every parameter a page may take, in the order they are written into a URL.
PARAMETERS = ("start", "end", "as_of", "chain", "netuid", "scale")
#: The range shown when the URL names none: this many days up to the last day with data.
DEFAULT_DAYS = 30
#: Dates outside these years are typos, not history (and would only make empty charts).
FIRST_YEAR, LAST_YEAR = 2009, 2100
#: A subnet id is a u16 on chain.
MAX_NETUID = 65_535
#: Longer values are not parsed at all (nor echoed back in full).
MAX_VALUE_LENGTH = 40
#: A query string longer than every parameter at its longest is not parsed at all.
MAX_SEARCH_LENGTH = 2_000

# ASCII digits only (`\d` matches other scripts' digits too); used with fullmatch (`$` allows a "\n").
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NETUID = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True)
class ViewState:
    """What the URL asked for, validated; `None` means "the default" (resolved against the data)."""

    start: date | None = None
    end: date | None = None  # inclusive: the last day shown
    as_of: date | None = None  # inclusive: state at the end of this day; None = the latest data
    chain: str = "both"
    netuid: int | None = None
    scale: str = "log"


@dataclass(frozen=True)
class View:
    """A state resolved against the data: concrete bounds for queries (naive UTC, end exclusive)."""

    start: date
    end: date  # inclusive
    as_of: date | None
    chain: str = "both"
    netuid: int | None = None
    scale: str = "log"

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time())

    @property
    def end_at(self) -> datetime:
        """The first moment after the range (the range is [start_at, end_at))."""
        return datetime.combine(self.end, time()) + timedelta(days=1)

    @property
    def as_of_at(self) -> datetime | None:
        """The first moment after the as-of day (state counts events strictly before it)."""
        return None if self.as_of is None else datetime.combine(self.as_of, time()) + timedelta(days=1)

    def chains(self) -> tuple[str, ...]:
        return ("bittensor", "sahara") if self.chain == "both" else (self.chain,)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _single(name: str, raw, notices: list[str]) -> str | None:
    """One string from a query value (Dash passes repeated parameters as a list: the last one wins)."""
    if isinstance(raw, list | tuple):
        if not raw:
            return None
        if len(raw) > 1:
            notices.append(f"`{name}` was given {len(raw)} times; the last value is used.")
        raw = raw[-1]
    if raw is None:
        return None
    text = str(raw).strip()
    if len(text) > MAX_VALUE_LENGTH:
        notices.append(f"`{name}` is too long ({len(text)} characters); the default is used.")
        return None
    return text or None


def _shown(text: str) -> str:
    """A rejected value as the notice quotes it: printable and short."""
    return "".join(c if c.isprintable() else "?" for c in text)[:MAX_VALUE_LENGTH]


def parse_date(name: str, text: str | None, notices: list[str]) -> date | None:
    if text is None:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        value = date.fromisoformat(text)
    except ValueError:
        notices.append(f"`{name}={_shown(text)}` is not a date (YYYY-MM-DD); the default is used.")
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        notices.append(f"`{name}={text}` is outside {FIRST_YEAR}–{LAST_YEAR}; the default is used.")
        return None
    return value


def parse_netuid(text: str | None, notices: list[str]) -> int | None:
    if text is None:
        return None
    if not _NETUID.fullmatch(text) or int(text) > MAX_NETUID:
        notices.append(
            f"`netuid={_shown(text)}` is not a subnet id (a whole number 0–{MAX_NETUID}); "
            "the default subnet is used."
        )
        return None
    return int(text)


def _choice(name: str, text: str | None, choices: tuple[str, ...], notices: list[str]) -> str:
    if text is None:
        return choices[0]
    if text.lower() in choices:
        return text.lower()
    notices.append(f"`{name}={_shown(text)}` is not one of {', '.join(choices)}; `{choices[0]}` is used.")
    return choices[0]


def parse_query(query: Mapping[str, object]) -> tuple[ViewState, list[str]]:
    """The state a query asks for, and a notice for every value that was not usable (never raises)."""
    notices: list[str] = []
    values = {}
    for name, raw in query.items():
        if name not in PARAMETERS:
            notices.append(f"`{_shown(str(name))}` is not a parameter of this dashboard; it is ignored.")
            continue
        values[name] = _single(name, raw, notices)
    start = parse_date("start", values.get("start"), notices)
    end = parse_date("end", values.get("end"), notices)
    if start and end and start > end:
        notices.append(f"`start={start}` is after `end={end}`; the default range is used.")
        start = end = None
    state = ViewState(
        start=start,
        end=end,
        as_of=parse_date("as_of", values.get("as_of"), notices),
        chain=_choice("chain", values.get("chain"), CHAINS, notices),
        netuid=parse_netuid(values.get("netuid"), notices),
        scale=_choice("scale", values.get("scale"), SCALES, notices),
    )
    return state, notices


def parse_search(search: object) -> tuple[ViewState, list[str]]:
    """`parse_query` of a `?a=1&b=2` string, as the browser's location holds it (anything that is
    not such a string is the default view, with a notice)."""
    if search is not None and not isinstance(search, str):
        state, notices = parse_query({})
        return state, [
            f"The address's query is {_kind(search)}, not text; the default view is used.",
            *notices,
        ]
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        return ViewState(), [
            f"The address's query is too long ({len(search)} characters); the default view is used."
        ]
    text = (search or "").lstrip("?")
    return parse_query(parse_qs(text, keep_blank_values=True)) if text else parse_query({})


def resolve(state: ViewState, first_day: date | None, last_day: date | None) -> View:
    """Concrete dates for a state: the URL's where given, else the last `DEFAULT_DAYS` up to the
    last day with data (today when there is none). An as-of date after the range's end is kept:
    state charts show it and range charts do not depend on it."""
    last = last_day or date.today()
    end = state.end or (max(state.start, last) if state.start else last)
    earliest = end - timedelta(days=DEFAULT_DAYS - 1)
    start = state.start or (max(earliest, first_day) if first_day else earliest)
    if start > end:
        start = end
    return View(
        start=start, end=end, as_of=state.as_of, chain=state.chain, netuid=state.netuid, scale=state.scale
    )


def to_search(view: View | ViewState, parameters: tuple[str, ...]) -> str:
    """The query string of a view, with only the `parameters` the page uses; defaults are left out."""
    pairs = []
    for name in PARAMETERS:
        if name not in parameters:
            continue
        value = getattr(view, name)
        if value is None or (name == "chain" and value == "both") or (name == "scale" and value == "log"):
            continue
        pairs.append((name, value.isoformat() if isinstance(value, date) else str(value)))
    return "?" + urlencode(pairs) if pairs else ""


def _kind(value: object) -> str:
    """What a value that is not the expected text is, for a notice (never the value itself)."""
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _control_text(name: str, value: object, notices: list[str]) -> str | None:
    """A control's value as the text the URL would hold; anything but text (or None) adds a notice."""
    if value is None or isinstance(value, str):
        if isinstance(value, str) and name in ("start", "end", "as_of") and len(value) <= MAX_VALUE_LENGTH:
            return value[:10]  # date pickers may send a time too: "2026-01-01T00:00:00"
        return value
    if name == "netuid" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # the subnet dropdown's values are numbers
    notices.append(f"`{name}` is {_kind(value)}, not what the control holds; the default is used.")
    return None


def from_controls(
    start: object,
    end: object,
    as_of: object,
    chain: object,
    netuid: object,
    scale: object,
) -> tuple[ViewState, list[str]]:
    """The state the controls show. Their values come from the browser, so anything may arrive: a
    value of the wrong type (a list, a number, an object) falls back to the default with a notice,
    like a bad value in the URL, and the rest is parsed as the URL is."""
    notices: list[str] = []
    values = {"start": start, "end": end, "as_of": as_of, "chain": chain, "netuid": netuid, "scale": scale}
    query = {name: _control_text(name, value, notices) for name, value in values.items()}
    state, parsed = parse_query(query)
    return state, notices + parsed
