"""Drill-down: from a clicked point to the on-chain events behind it.

Charts put the point's key in plotly's `customdata` (a coin and an hour, a chain and a day, a
subnet…). The browser sends it back in `clickData`, so it is parsed here as untrusted input: a key
that does not parse lists nothing. Rows of marts with lineage go through
`warehouse.provenance.events_behind`; windows of time go through `queries.events_in_window`, a
bounded query with a LIMIT. A drill-down about one subnet, hotkey or Sahara validator links its page
(`dashboards.entities`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from dashboards import entities, queries
from dashboards.charts import Drill
from dashboards.state import View, parse_netuid

#: The events an `ecosystem_daily` row of each chain is computed from.
CHAIN_DAY_EVENTS = {
    "bittensor": ("SubtensorModule.NeuronObserved",),
    "sahara": ("DataServices.AnnotationSubmitted", "DataServices.RewardPaid"),
}
CHAIN_NAMES = {"bittensor": "Bittensor", "sahara": "Sahara"}
#: The longest window one point may stand for (a day of the daily charts; an hour of the hourly ones).
MAX_WINDOW = timedelta(days=1)


def _custom(point: dict, size: int) -> list[str] | None:
    data = point.get("customdata") if isinstance(point, dict) else None
    if not isinstance(data, list | tuple) or len(data) < size:
        return None
    if not all(isinstance(v, str | int | float) for v in data[:size]):
        return None
    return [str(v) for v in data[:size]]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=None)


def _netuid(text: str) -> int | None:
    return parse_netuid(text, [])


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _period(start_text: str, end_text: str) -> tuple[datetime, datetime] | None:
    """A clicked point's period [start, end): an hour or a day of a time series (at most a day)."""
    start, end = _moment(start_text), _moment(end_text)
    if start is None or end is None or not timedelta(0) < end - start <= MAX_WINDOW:
        return None
    return start, end


def _when(start: datetime, end: datetime) -> str:
    """A period as a drill-down's title says it: `on 2026-01-14`, or `2026-01-14 05:00–06:00 UTC`."""
    if end - start == MAX_WINDOW and start.time() == datetime.min.time():
        return f"on {start:%Y-%m-%d}"
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC"


def _subnet_link(netuid: int) -> tuple[str, str]:
    return (f"subnet {netuid}", entities.SUBNET.path(str(netuid)))


def market_window(url: str, view: View, point: dict) -> Drill | None:
    """A point of the market cap chart: the quotes of that coin in that hour (or day)."""
    custom = _custom(point, 3)
    if custom is None or custom[0] not in queries.COINS.values():
        return None
    coin, start, end = custom[0], _moment(custom[1]), _moment(custom[2])
    if start is None or end is None or not timedelta(0) < end - start <= MAX_WINDOW:
        return None
    events, truncated = queries.events_in_window(
        url, "market", ("market.Quote",), start, end, {"coin_id": coin}
    )
    label = queries.COIN_LABELS.get(coin, coin)
    return Drill(f"Quotes of {label}, {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC", events, truncated)


def chain_day(url: str, view: View, point: dict) -> Drill | None:
    """A chain's day (or hour) of the comparison charts: the events its figures are computed from.
    Its `customdata`: chain, the period's start and end."""
    custom = _custom(point, 3)
    if custom is None or custom[0] not in CHAIN_DAY_EVENTS:
        return None
    period = _period(custom[1], custom[2])
    if period is None:
        return None
    chain, types = custom[0], CHAIN_DAY_EVENTS[custom[0]]
    events, truncated = queries.events_in_window(url, chain, types, *period)
    return Drill(f"{CHAIN_NAMES[chain]} {_when(*period)}: {', '.join(types)}", events, truncated)


def day_of(chain: str, event_types: tuple[str, ...], what: str) -> Callable[[str, View, dict], Drill | None]:
    """Drill for a per-day (or per-hour) chart of one chain: the period's events of `event_types`.
    Its `customdata`: the period's start and end."""

    def drill(url: str, view: View, point: dict) -> Drill | None:
        custom = _custom(point, 2)
        period = _period(custom[0], custom[1]) if custom else None
        if period is None:
            return None
        events, truncated = queries.events_in_window(url, chain, event_types, *period)
        return Drill(f"{what} {_when(*period)}: {', '.join(event_types)}", events, truncated)

    return drill


def registrations(url: str, view: View, point: dict) -> Drill | None:
    """A period and subnet of the registrations chart: its `NeuronRegistered` events. Its
    `customdata`: the period's start and end, the subnet."""
    custom = _custom(point, 3)
    if custom is None:
        return None
    period, netuid = _period(custom[0], custom[1]), _netuid(custom[2])
    if period is None or netuid is None:
        return None
    events, truncated = queries.events_in_window(
        url, "bittensor", ("SubtensorModule.NeuronRegistered",), *period, {"netuid": str(netuid)}
    )
    title = f"Registrations in subnet {netuid} {_when(*period)}"
    return Drill(title, events, truncated, (_subnet_link(netuid),))


def stake_flows(url: str, view: View, point: dict) -> Drill | None:
    """A period and subnet of the stake-flow chart: the stake events with a leg on that subnet in it,
    from the lineage of the day's `bittensor_stake_flows_daily` row (kept to the hour for an hourly
    point). Its `customdata`: the period's start and end, the subnet."""
    custom = _custom(point, 3)
    if custom is None:
        return None
    period, netuid = _period(custom[0], custom[1]), _netuid(custom[2])
    if period is None or netuid is None or period[0].date() != (period[1] - timedelta(microseconds=1)).date():
        return None
    events, truncated = queries.rows_behind(
        url, "bittensor_stake_flows_daily", {"netuid": netuid, "day": period[0].date()}, window=period
    )
    title = f"Stake added, removed and moved in subnet {netuid} {_when(*period)}"
    return Drill(title, events, truncated, (_subnet_link(netuid),))


def subnet(url: str, netuid) -> Drill | None:
    """A subnet of the leaderboard: the observations and registration events behind its row."""
    netuid = _netuid(str(netuid))
    if netuid is None:
        return None
    events, truncated = queries.rows_behind(url, "subnets", {"netuid": netuid})
    return Drill(f"Events behind subnet {netuid}", events, truncated, (_subnet_link(netuid),))


def bittensor_validator(url: str, view: View, point: dict) -> Drill | None:
    """A validator of the stake chart: the metagraph observations behind its stake."""
    custom = _custom(point, 3)
    if custom is None:
        return None
    validator_id, netuid, hotkey = custom[0], _netuid(custom[1]), custom[2]
    if netuid is None or not hotkey.isalnum():
        return None
    if view.as_of_at is None:
        events, truncated = queries.rows_behind(url, "validators", {"validator_id": validator_id})
    else:
        events, truncated = queries.events_in_window(
            url, "bittensor", ("SubtensorModule.NeuronObserved",), view.as_of_at - queries.METAGRAPH_LOOKBACK,
            view.as_of_at, {"netuid": str(netuid), "hotkey": hotkey},
        )  # fmt: skip
    links = [_subnet_link(netuid)]
    if entities.parse_hotkey(hotkey) is not None:
        links.insert(0, (f"hotkey {hotkey}", entities.HOTKEY.path(hotkey)))
    return Drill(f"Observations of validator {hotkey} in subnet {netuid}", events, truncated, tuple(links))


def sahara_validator(url: str, view: View, point: dict) -> Drill | None:
    """A validator of the voting-power chart: the events behind its `validators` row, where the
    warehouse has lineage for Sahara validators."""
    custom = _custom(point, 1)
    if custom is None or not custom[0].isalnum():
        return None
    try:
        events, truncated = queries.rows_behind(url, "validators", {"validator_id": custom[0]})
    except ValueError:  # no lineage for this table in this warehouse version
        return None
    if events.empty:
        return None
    validator = entities.parse_sahara_validator(custom[0])
    links = ((f"validator {validator}", entities.SAHARA_VALIDATOR.path(validator)),) if validator else ()
    return Drill(f"Events behind validator {custom[0]}", events, truncated, links)
