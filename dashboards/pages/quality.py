"""Data quality (`/quality`): freshness per source, latest suite results, event types by runtime,
unmodelled EVM contract logs, quarantined rows, Data Docs.

Controls: chain (Bittensor: subtensor and TAO quotes; Sahara: CometBFT, EVM and SAHARA quotes),
kept in the URL; quarantined market rows are shown with either chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd
from dash import Input, Output, dcc, html

from dashboards import charts, controls, queries
from dashboards import state as url_state
from dashboards.charts import Panel
from dashboards.components import data_table, empty_state
from dashboards.context import warehouse_url
from dashboards.state import View
from etl.catalog import FAMILIES

FEATURES = ("chain",)
#: chain -> (its ingest sources, its coin's stream at CoinGecko)
CHAIN_SOURCES = {"bittensor": (("subtensor",), "bittensor"), "sahara": (("cometbft", "evm"), "sahara-ai")}
ALL_SOURCES = ("subtensor", "cometbft", "evm", "coingecko")
CHAIN_ONLY_SOURCES = ("subtensor", "cometbft", "evm")
#: The suites that validate decoded chain events (one per event family, `etl.validate.chain_events`).
CHAIN_SUITES = tuple(f"{family}_events" for family in FAMILIES)
RUNTIME_COLUMNS = [
    "suite", "source", "runtime", "batches", "events", "unknown_events", "unknown_share", "unknown_types",
]  # fmt: skip


def for_chain(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    """The rows of source/stream-keyed results that belong to the chosen chain."""
    if view.chain == "both" or frame.empty:
        return frame
    sources, coin = CHAIN_SOURCES[view.chain]
    keep = frame["source"].isin(sources) | ((frame["source"] == "coingecko") & (frame["stream"] == coin))
    return frame[keep].reset_index(drop=True)


def quarantine_for_chain(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    if view.chain == "both" or frame.empty:
        return frame
    sources, _ = CHAIN_SOURCES[view.chain]
    return frame[frame["source"].isin((*sources, "coingecko"))].reset_index(drop=True)


def freshness_frame(url: str, view: View) -> pd.DataFrame:
    fresh = for_chain(queries.cached_freshness(url), view)
    return fresh.reindex(columns=["source", "stream", "position", "last_data_at", "lag_hours"])


def results_frame(url: str, view: View) -> pd.DataFrame:
    return for_chain(queries.latest_dq_results(url), view)


def rules_frame(url: str, view: View) -> pd.DataFrame:
    return quarantine_for_chain(queries.quarantine_by_rule(url), view)


def _natural(text: str) -> list:
    """A sort key that puts `spec 99` before `spec 342` (strings and numbers alternate in the key)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _count(value) -> int:
    """A count from the JSON, 0 where it is not a non-negative integer (bools are not counts)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def aggregate_runtime_types(batches: Iterable[tuple[str, str, Mapping]]) -> tuple[pd.DataFrame, dict]:
    """One row per (suite, source, runtime) over the `details` of chain batches given as
    (suite, source, details): events seen (`events_by_runtime`), events of types unknown to that
    runtime (`unknown_event_types_by_runtime`), their share, and the unknown types with their counts,
    most frequent first. Batches validated before per-runtime counts were kept have no
    `events_by_runtime`; those with unknown types (the older `unknown_event_types` only) are counted
    in the notes, not in the rows."""
    rows: dict[tuple[str, str, str], dict] = {}
    older = {"batches": 0, "unknown_events": 0}
    for suite, source, details in batches:
        per_runtime = details.get("events_by_runtime")
        if not isinstance(per_runtime, Mapping):
            summary = details.get("unknown_event_types")
            if isinstance(summary, Mapping) and _count(summary.get("events")):
                older["batches"] += 1
                older["unknown_events"] += _count(summary.get("events"))
            continue
        unknown = details.get("unknown_event_types_by_runtime")
        unknown = unknown if isinstance(unknown, Mapping) else {}
        for runtime in {*per_runtime, *unknown}:
            row = rows.setdefault(
                (suite, source, str(runtime)), {"batches": 0, "events": 0, "unknown_events": 0, "types": {}}
            )
            row["batches"] += 1
            row["events"] += _count(per_runtime.get(runtime))
            entry = unknown.get(runtime)
            if not isinstance(entry, Mapping):
                continue
            row["unknown_events"] += _count(entry.get("events"))
            types = entry.get("types")
            for signature, n in types.items() if isinstance(types, Mapping) else ():
                row["types"][str(signature)] = row["types"].get(str(signature), 0) + _count(n)
    records = []
    for (suite, source, runtime), row in sorted(
        rows.items(), key=lambda kv: (kv[0][0], kv[0][1], _natural(kv[0][2]))
    ):
        listed = sorted(row["types"].items(), key=lambda kv: (-kv[1], kv[0]))
        records.append(
            {
                "suite": suite,
                "source": source,
                "runtime": runtime,
                "batches": row["batches"],
                "events": row["events"],
                "unknown_events": row["unknown_events"],
                "unknown_share": round(row["unknown_events"] / row["events"], 4) if row["events"] else None,
                "unknown_types": "; ".join(f"{signature}: {n}" for signature, n in listed),
            }
        )
    return pd.DataFrame(records, columns=RUNTIME_COLUMNS), older


def runtime_types_frame(url: str, view: View) -> pd.DataFrame:
    """Event types by runtime over the newest `queries.DQ_DETAILS_LIMIT` chain batches of the chosen
    chain. A block range validated more than once (a re-run) counts once, with its latest run. What
    the rows leave out is said in `frame.attrs["notes"]`."""
    sources = None if view.chain == "both" else CHAIN_SOURCES[view.chain][0]
    batches, truncated = queries.dq_batch_details(url, CHAIN_SUITES, sources, limit=queries.DQ_DETAILS_LIMIT)
    seen: set[tuple] = set()
    latest = []
    for row in batches.itertuples(index=False):  # newest first
        key = (row.suite, row.source, row.stream, int(row.range_start), int(row.range_end))
        if key not in seen:
            seen.add(key)
            latest.append((row.suite, row.source, row.details))
    frame, older = aggregate_runtime_types(latest)
    notes = []
    if truncated:
        notes.append(
            f"Counted over the newest {queries.DQ_DETAILS_LIMIT:,} validated batches; older ones are left out."
        )
    if older["batches"]:
        notes.append(
            f"{older['batches']:,} batches validated before events were counted per runtime had "
            f"{older['unknown_events']:,} events of unknown types; they are not in the table."
        )
    frame.attrs["notes"] = notes
    return frame


def runtime_types_table(frame: pd.DataFrame, view: View):
    notes = [html.P(note, className="drill-note") for note in frame.attrs.get("notes", [])]
    if frame.empty:
        which = "" if view.chain == "both" else f" of {view.chain.capitalize()}"
        return html.Div(
            [
                html.P(
                    f"No chain batch{which} in the warehouse has event counts per runtime yet.",
                    id="runtime-types-empty",
                    className="drill-empty",
                ),
                *notes,
            ]
        )
    return html.Div([data_table("runtime-types-table", frame), *notes])


def unmodelled_logs_section(url: str, view: View) -> html.Div:
    """Logs of registered EVM contracts that no registered ABI matches (an ERC-721 Transfer, an event
    the ABIs lack), counted per network and contract: kept as evm.RawLog, never quarantined."""
    if view.chain == "bittensor":
        return html.Div()
    frame = queries.unmodelled_logs(url)
    table = (
        data_table("unmodelled-logs-table", frame)
        if not frame.empty
        else html.P("Every stored log of a registered contract was decoded.", id="unmodelled-logs-empty")
    )
    return html.Div(
        [
            html.H3("Unmodelled contract logs"),
            html.P(
                "Logs of the contracts in the registry that no registered ABI decodes by address, topic 0 "
                "and topic count (an ERC-721 Transfer, an event the ABIs lack). They are stored as "
                "evm.RawLog, not quarantined; a contract listed here may need its ABI registered.",
                className="drill-note",
            ),
            table,
        ],
        id="unmodelled-logs",
    )


def _table(table_id: str):
    return lambda frame, view: data_table(table_id, frame)


PANELS = [
    Panel("freshness", "Freshness", freshness_frame, _table("freshness-table"), ALL_SOURCES,
          inputs=("chain",), kind="html"),
    Panel("dq-results", "Latest result per suite", results_frame, _table("dq-results-table"), ALL_SOURCES,
          inputs=("chain",), kind="html"),
    Panel("runtime-types", "Event types by runtime", runtime_types_frame, runtime_types_table,
          CHAIN_ONLY_SOURCES, inputs=("chain",), kind="html"),
    Panel("quarantine-rules", "Quarantined rows by rule", rules_frame, _table("quarantine-rules-table"),
          ALL_SOURCES, inputs=("chain",), kind="html"),
]  # fmt: skip
PANEL = {panel.id: panel for panel in PANELS}


def _layout(url: str, query: dict) -> html.Div:
    fresh = queries.cached_freshness(url)
    if fresh.empty:
        return empty_state("ingested data, so nothing has been validated")
    view, notices, extent = controls.page_view(url, query)
    sources = sorted(queries.quarantine_by_rule(url)["source"].unique())
    return html.Div(
        [
            html.H2("Data quality"),
            html.P(
                [
                    "Every batch is validated by a Great Expectations suite before it is stored; rows that fail "
                    "are set aside with the reason. ",
                    html.A("Open the Data Docs", href="/data-docs/", target="_blank", id="data-docs-link"),
                    " for every expectation and every run.",
                ]
            ),
            controls.bar("/quality", view, notices, FEATURES, extent),
            html.H3("Freshness"),
            charts.card(PANEL["freshness"], fresh, wide=True),
            html.H3("Latest result per suite"),
            charts.card(PANEL["dq-results"], fresh, wide=True),
            html.H3("Event types by runtime"),
            html.P(
                "Each chain event is checked against the runtime that produced it (a subtensor spec, the "
                "Cosmos SDK application, the contract ABI set). Events of a type, or with fields, that "
                "runtime does not have are kept and counted here, per runtime, over the batches stored.",
                className="drill-note",
            ),
            charts.card(PANEL["runtime-types"], fresh, wide=True),
            unmodelled_logs_section(url, view),
            html.H3("Quarantined rows by rule"),
            charts.card(PANEL["quarantine-rules"], fresh, wide=True),
            html.H3("Quarantined rows"),
            dcc.Dropdown(
                id="quarantine-source",
                options=[{"label": s, "value": s} for s in sources],
                placeholder="all sources",
                clearable=True,
            ),
            dcc.Loading(html.Div(id="quarantine-rows")),
        ]
    )


layout = charts.page_layout(_layout)


def quarantined_rows_frame(url: str, source: str | None, chain: str | None) -> pd.DataFrame:
    view = controls.view_from_values(None, None, None, chain, None, None)
    return quarantine_for_chain(queries.quarantined_rows(url, source), view)


def quarantined_table(frame: pd.DataFrame):
    if frame.empty:
        return html.P("Nothing quarantined.", id="no-quarantine")
    return data_table("quarantine-table", frame)


def show_quarantined_rows(source: object, chain: object = None):
    # Both values come from the browser: a source that is not a short text, or a chain of the wrong
    # type, gets the bad-link notice instead of a query.
    notices = []
    if source is not None and not (isinstance(source, str) and len(source) <= 40 and source.isprintable()):
        notices.append("`source` is not the name of a source; pick one from the list.")
    _state, chain_notices = url_state.from_controls(None, None, None, chain, None, None)
    if notices or chain_notices:
        return controls.notice_block(notices + chain_notices)
    return quarantined_table(quarantined_rows_frame(warehouse_url(), source, chain))


def register_callbacks(app) -> None:
    charts.register(app, PANELS)
    app.callback(
        Output("quarantine-rows", "children"),
        Input("quarantine-source", "value"),
        Input("chain-filter", "value"),
    )(show_quarantined_rows)


PAGE = {
    "path": "/quality",
    "name": "Data quality",
    "title": "DecAI Compare — Data quality",
    "layout": layout,
    "order": 90,
}
