"""Overview (`/`): both networks side by side — KPIs, the head-to-head table, and their growth rebased.

Controls: date range (the rebased charts), as-of date (KPIs and head-to-head: the last data on or
before that day), chain, and log or linear scale; all kept in the URL.
"""

from __future__ import annotations

import re

import pandas as pd
from dash import html

from dashboards import charts, controls, drill, figures, glossary, queries, series
from dashboards.charts import Panel
from dashboards.components import data_table, empty_state
from dashboards.state import View
from warehouse import metrics

FEATURES = ("range", "as_of", "chain", "scale")
CHAIN_OF_COIN = {coin: chain for chain, coin in queries.COINS.items()}
TOKENS = {"bittensor": "TAO", "sahara": "SAHARA"}
PARTICIPANTS = {"bittensor": "UIDs in the metagraph", "sahara": "contributors active"}
#: What a participant count counts, shown after the number.
PARTICIPANT_UNITS = {"bittensor": "UIDs", "sahara": "contributors"}


# ------------------------------------------------------------------------------------------- KPIs


def kpi_frame(url: str, view: View) -> pd.DataFrame:
    """One row per chain: the market as of the as-of day (last hour) and the `ecosystem_daily` row of
    its last complete day before it (a partial day would show a fraction of a day as "per day")."""
    coins = [queries.COINS[c] for c in view.chains()]
    market = queries.latest_quotes(queries.quotes_as_of(url, view.as_of_at, coins))
    daily = queries.ecosystem_complete_as_of(url, view.as_of_at)
    rows = []
    for chain in view.chains():
        quote = market[market["coin_id"] == queries.COINS[chain]] if not market.empty else market
        day = daily[daily["chain"] == chain] if not daily.empty else daily
        if quote.empty and day.empty:
            continue
        row = {"chain": chain}
        if not quote.empty:
            q = quote.iloc[0]
            row.update(
                market_hour=q["hour"], market_cap_usd=q["market_cap_usd"], price_usd=q["price_usd"],
                volume_24h_usd=q["total_volume_usd"], market_cap_change_24h=q["market_cap_change_24h"],
            )  # fmt: skip
        if not day.empty:
            d = day.iloc[0]
            price = d.get("price_usd")
            row.update(
                day=d["day"], supply_native=d["supply_native"], supply_cap_share=d["supply_cap_share"],
                staking_ratio=d["staking_ratio"], emission_native=d["emission_native"],
                emission_usd=d["emission_native"] * price if pd.notna(price) else None,
                rewards_native=d["rewards_native"], rewards_usd=d["rewards_usd"],
                participants=d["participants"], share_earning=d["share_earning"], validators=d["validators"],
                rewards_per_participant_usd=d["rewards_per_participant_usd"], gini=d["gini"], nakamoto=d["nakamoto"],
            )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or pd.isna(value)


def _money(value) -> str:
    if _missing(value):
        return "–"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:,.2f}{unit}"
    return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"


def _fmt(value, pattern: str) -> str:
    return "–" if _missing(value) else pattern.format(value)


def _kpi(label: str, value: str, kpi: str, unit: str = "") -> html.Div:
    """One figure of a card: its label, its value with the unit where the value does not show one,
    and its definition from the data dictionary as the hover (`title`)."""
    shown = [value, html.Span(f" {unit}", className="kpi-unit")] if unit and value != "–" else value
    return html.Div(
        [html.Span(label), html.Strong(shown)], className="kpi", title=glossary.hover(glossary.KPIS[kpi]),
        **{"data-kpi": kpi},
    )  # fmt: skip


def kpi_cards(frame: pd.DataFrame, view: View) -> list:
    if frame.empty:
        return [html.P("No market or chain data on or before this date.", className="no-data", id="as-of")]
    hours = frame["market_hour"].dropna() if "market_hour" in frame else pd.Series(dtype="datetime64[ns]")
    as_of = f"As of {hours.max():%Y-%m-%d %H:%M} UTC" if not hours.empty else "As of –"
    if view.as_of is not None:
        as_of += f" (as-of date {view.as_of})"
    cards = []
    for row in frame.to_dict("records"):
        chain, token = row["chain"], TOKENS[row["chain"]]
        change = row.get("market_cap_change_24h")
        cards.append(
            html.Div(
                [
                    html.H3(queries.COIN_LABELS[queries.COINS[chain]]),
                    _kpi("Market cap", _money(row.get("market_cap_usd")), "market_cap"),
                    _kpi("24h change", _fmt(change, "{:+.1%}"), "change_24h"),
                    _kpi("Price", _money(row.get("price_usd")), "price", f"per {token}"),
                    _kpi("24h volume", _money(row.get("volume_24h_usd")), "volume_24h"),
                    _kpi(
                        "Supply (share of cap)",
                        f"{_fmt(row.get('supply_native'), '{:,.0f}')} {token} ({_fmt(row.get('supply_cap_share'), '{:.1%}')})",
                        "supply",
                    ),
                    _kpi("Staked", _fmt(row.get("staking_ratio"), "{:.1%}"), "staked", "of supply"),
                    _kpi(
                        "Emission per day",
                        f"{_fmt(row.get('emission_native'), '{:,.0f}')} {token} · {_money(row.get('emission_usd'))}",
                        "emission",
                    ),
                    _kpi(
                        "Rewards paid per day",
                        f"{_fmt(row.get('rewards_native'), '{:,.0f}')} {token} · {_money(row.get('rewards_usd'))}",
                        "rewards",
                    ),
                    _kpi(f"Participants ({PARTICIPANTS[chain]})", _fmt(row.get("participants"), "{:,.0f}"), "participants",
                         PARTICIPANT_UNITS[chain]),
                    _kpi("Share earning anything", _fmt(row.get("share_earning"), "{:.1%}"), "share_earning"),
                    _kpi("Validators", _fmt(row.get("validators"), "{:,.0f}"), "validators", "validators"),
                    _kpi("Rewards per participant", _money(row.get("rewards_per_participant_usd")), "rewards_per_participant",
                         "per day"),
                    _kpi("Gini of rewards", _fmt(row.get("gini"), "{:.3f}"), "gini", "(0–1)"),
                    _kpi("Nakamoto coefficient", _fmt(row.get("nakamoto"), "{:,.0f}"), "nakamoto", "validators"),
                    html.Div(
                        f"per-day figures of {row['day']:%Y-%m-%d}, the last complete day"
                        if not _missing(row.get("day")) else "no complete day stored yet",
                        className="kpi-day",
                    ),
                ],
                className="kpi-card",
                id=f"kpi-{queries.COINS[chain]}",
            )
        )  # fmt: skip
    return [html.P(as_of, id="as-of"), html.Div(cards, className="kpi-row")]


# ------------------------------------------------------------------------------------ head to head


#: Where a measured row of the head-to-head comes from.
MEASURED_SOURCE = "ecosystem_daily (measured from the chain's events in the warehouse)"
NETWORK_SOURCE = "network_daily (measured from the chain's events in the warehouse)"
#: Joins the dates, titles and addresses of a cell's facts when they have more than one source.
SOURCES_SEPARATOR = " | "


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def head_to_head_frame(url: str, view: View) -> pd.DataFrame:
    """The comparison table of `warehouse.metrics.head_to_head`: its rows of off-chain facts from
    `reference_facts`, each side with its as-of date and source, then the measured rows from both
    chains' `ecosystem_daily` rows of the latest day before the as-of day that is complete on both
    (their date is that day, their source the mart), then that day."""
    daily = queries.ecosystem_complete_on_both(url, view.as_of_at)
    latest = queries.latest_by_chain(daily)
    facts = {row["fact_id"]: row for row in queries.reference_facts(url).to_dict("records")}
    days = {chain: f"{row['day']:%Y-%m-%d}" for chain, row in latest.items()}
    networks = queries.network_on_days(url, {chain: row["day"] for chain, row in latest.items()})
    records = []
    for row in [*metrics.head_to_head(latest, facts), *metrics.network_rows(networks)]:
        record = {"aspect": row["aspect"], "bittensor": row["bittensor"], "sahara": row["sahara"]}
        for chain in ("bittensor", "sahara"):
            found = row[f"{chain}_facts"]
            as_of = source = address = None
            if found:
                as_of = SOURCES_SEPARATOR.join(_unique(f"{pd.Timestamp(f['as_of']):%Y-%m-%d}" for f in found))
                source = SOURCES_SEPARATOR.join(_unique(f["source_title"] for f in found))
                address = SOURCES_SEPARATOR.join(_unique(f["source_url"] for f in found))
            elif row["measured"] and row[chain] is not None:
                as_of = days.get(chain)
                source = NETWORK_SOURCE if row.get("network") else MEASURED_SOURCE
            record.update(
                {f"{chain}_as_of": as_of, f"{chain}_source": source, f"{chain}_source_url": address}
            )
        records.append({**record, "definition": row["definition"]})
    as_of = {
        "aspect": "Figures as of", "bittensor": days.get("bittensor"), "sahara": days.get("sahara"),
        "definition": "The UTC day the measured rows are from: the latest day complete on both chains.",
    }  # fmt: skip
    return pd.DataFrame([*records, as_of]).reindex(columns=HEAD_TO_HEAD_COLUMNS)


HEAD_TO_HEAD_COLUMNS = [
    "aspect", "bittensor", "sahara", "bittensor_as_of", "bittensor_source", "bittensor_source_url",
    "sahara_as_of", "sahara_source", "sahara_source_url", "definition",
]  # fmt: skip

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _markdown_text(text: str) -> str:
    """Text shown as it is in a markdown cell (every markdown character escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _link(address: str) -> str:
    """A source's address as a markdown link target: the characters that would end it percent-encoded."""
    return (
        address.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def _with_source(value, as_of, source, address) -> str:
    """A fact row's cell: the value, then on its own line its as-of date and its source's title linked
    to the source (each source, when the cell's facts have several)."""
    if _missing(value):
        return "–"
    shown = _markdown_text(str(value))
    if _missing(source):
        return shown
    if _missing(address):
        return f"{shown}  \n_{_markdown_text(f'as of {as_of} · {source}')}_"
    links = [
        f"[{_markdown_text(title)}]({_link(link)})"
        for title, link in zip(
            source.split(SOURCES_SEPARATOR), address.split(SOURCES_SEPARATOR), strict=False
        )
    ]
    return f"{shown}  \n_as of {_markdown_text(str(as_of))} · {' · '.join(links)}_"


def head_to_head_table(frame: pd.DataFrame, view: View) -> list:
    as_of = frame[frame["aspect"] == "Figures as of"].iloc[0]
    days = sorted({d for d in (as_of["bittensor"], as_of["sahara"]) if not _missing(d)})
    title = (
        f"Head to head, as of {' / '.join(days)}"
        if days
        else "Head to head (no day complete on both chains yet)"
    )
    shown = frame[["aspect"]].copy()
    for chain in ("bittensor", "sahara"):
        shown[chain] = [
            _with_source(row[chain], row[f"{chain}_as_of"], row[f"{chain}_source"], row[f"{chain}_source_url"])
            if row["aspect"] != "Figures as of" else ("–" if _missing(row[chain]) else _markdown_text(str(row[chain])))
            for row in frame.to_dict("records")
        ]  # fmt: skip
    # Each row's definition is the hover of its aspect, not a column of its own.
    table = data_table(
        "head-to-head-table", shown, page_size=60,
        row_tooltips={"aspect": frame["definition"].fillna("").tolist()},
    )  # fmt: skip
    for column in table.columns:
        if column["id"] in ("bittensor", "sahara"):
            column["presentation"] = "markdown"
    table.markdown_options = {"link_target": "_blank"}
    table.style_cell_conditional = [
        {"if": {"column_id": c}, "whiteSpace": "normal", "minWidth": "240px"} for c in ("bittensor", "sahara")
    ]
    return [html.H3(title, id="head-to-head-title"), table]


# ---------------------------------------------------------------------------------- rebased charts


def market_cap_frame(url: str, view: View) -> pd.DataFrame:
    """Market caps in the range rebased to 100: hourly when the quotes stored in the range cover less
    than three days, else daily (`market_caps_daily`, whose `complete` marks a day with fewer than its
    24 quotes as partial)."""
    coins = [queries.COINS[c] for c in view.chains()]
    daily = series.chart_grain(url, view, coins=coins) == "day"
    frame = queries.market_caps(url, view.start_at, view.end_at, daily=daily, coins=coins)
    frame = queries.rebased(frame, "coin_id", "hour", "market_cap_usd")
    step = pd.Timedelta(days=1) if daily else pd.Timedelta(hours=1)
    frame["period_end"] = frame["hour"] + step
    columns = ["coin_id", "hour", "period_end", "market_cap_usd", "price_usd", "total_volume_usd", "index"]
    return frame[columns + (["complete"] if daily and "complete" in frame else [])]


def market_cap_figure(frame: pd.DataFrame, view: View):
    title = "Market cap, rebased to 100"
    if frame.empty:
        return figures.no_data_figure(title, "No market data in the selected range")
    shown = frame.assign(
        start_iso=frame["hour"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        end_iso=frame["period_end"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        cap_text=frame["market_cap_usd"].map("{:,.0f}".format),
    )
    daily = bool((frame["period_end"] - frame["hour"] == pd.Timedelta(days=1)).all())
    return figures.rebased_figure(
        shown, "coin_id", "hour", f"{title} on {frame['hour'].min():%Y-%m-%d} ({'daily' if daily else 'hourly'})",
        queries.COIN_LABELS, figures.COLORS, log_scale=view.scale == "log",
        hover_value="<br>$%{customdata[3]}", customdata=("coin_id", "start_iso", "end_iso", "cap_text"),
        step="day" if daily else "hour",
    )  # fmt: skip


def participants_frame(url: str, view: View) -> pd.DataFrame:
    """Participants per chain and period (a day from `ecosystem_daily`, or an hour from staging: see
    `dashboards.series`), rebased to 100 at each chain's first period."""
    measures = series.comparison(url, view)
    period = series.period_column(measures)
    if measures.empty:
        return pd.DataFrame(columns=["chain", period, "participants", "complete", "index"])
    # `complete` rides along: a partial period is drawn as partial (dashed, hollow), not as a drop.
    return queries.rebased(
        measures[["chain", period, "participants", "complete"]], "chain", period, "participants"
    )


def participants_figure(frame: pd.DataFrame, view: View):
    period = series.period_column(frame)
    title = f"Participants per {period}, rebased to 100"
    if frame.empty:
        return figures.no_data_figure(title, "No participants in the selected range")
    start = pd.to_datetime(frame[period])
    shown = frame.assign(
        start_iso=start.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        end_iso=(start + figures.PERIOD_STEP[period]).dt.strftime("%Y-%m-%dT%H:%M:%S"),
        count=frame["participants"].map("{:,.0f}".format),
    )
    figure = figures.rebased_figure(
        shown, "chain", period, f"{title} on {start.min():%Y-%m-%d}",
        figures.CHAIN_LABELS, figures.CHAIN_COLORS, log_scale=view.scale == "log",
        hover_value="<br>%{customdata[3]} participants", customdata=("chain", "start_iso", "end_iso", "count"),
    )  # fmt: skip
    figure.update_xaxes(**figures.period_axis(frame[period], period))
    return figure


#: The time series of the page mark both chains' milestones (of the chains the view shows).
BOTH = ("bittensor", "sahara")
PANELS = [
    Panel("kpi-cards", "Key figures", kpi_frame, kpi_cards, ("coingecko", "subtensor", "evm"),
          inputs=("as_of", "chain"), kind="html"),
    Panel("head-to-head", "Head to head", head_to_head_frame, head_to_head_table,
          ("coingecko", "subtensor", "evm"), inputs=("as_of",), kind="html"),
    Panel("market-cap-chart", "Market cap rebased", market_cap_frame, market_cap_figure, ("coingecko",),
          inputs=("start", "end", "chain", "scale"), drill=drill.market_window, milestones=BOTH),
    Panel("participants-chart", "Participants rebased", participants_frame, participants_figure,
          ("subtensor", "evm"), inputs=("start", "end", "chain", "scale"), drill=drill.chain_day,
          milestones=BOTH),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def _layout(url: str, query: dict) -> html.Div:
    view, notices, extent = controls.page_view(url, query)
    if extent[1] is None:
        return empty_state("market data")
    fresh = queries.cached_freshness(url)
    return html.Div(
        [
            html.H2("Overview"),
            controls.bar("/", view, notices, FEATURES, extent),
            charts.card(PANEL["kpi-cards"], fresh, wide=True),
            html.Div(
                [
                    charts.card(PANEL["market-cap-chart"], fresh),
                    charts.card(PANEL["participants-chart"], fresh),
                ],
                className="chart-grid",
            ),
            charts.card(PANEL["head-to-head"], fresh, wide=True),
        ]
    )


layout = charts.page_layout(_layout)


def register_callbacks(app) -> None:
    charts.register(app, PANELS)


PAGE = {"path": "/", "name": "Overview", "title": "DecAI Compare — Overview", "layout": layout, "order": 0}
