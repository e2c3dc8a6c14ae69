"""Data dictionary (`/dictionary`): every table and view with what it means, its columns with type, unit and
meaning, the `v_*` views with a worked example query each, and the event types the product models.

Tables, views and columns are read from the warehouse's own catalogue (the comments `COMMENT ON` stored
there, as `decai catalog` prints them), so the page shows what the database really holds; the example
queries and the event catalog come from `warehouse.dictionary`. No controls.
"""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, dcc, html

from dashboards import charts, queries
from dashboards.components import data_table
from dashboards.context import warehouse_url
from warehouse import db, dictionary

FEATURES: tuple[str, ...] = ()
PANELS: list = []
DEFAULT_TABLE = "ecosystem_daily"


def relations(url: str) -> pd.DataFrame:
    """Every table and view of the warehouse (not PostgreSQL's partitions) with its stored comment."""
    sql = dictionary.catalogue_sql(db.dialect_of(db.resolve_url(url)), "relations")
    frame = queries._read_or_empty(url, sql, ["name", "kind", "comment", "root", "bound"])
    return frame[frame["root"].isna()][["name", "kind", "comment"]].reset_index(drop=True)


def columns(url: str, relation: str) -> pd.DataFrame:
    """The columns of one table or view as the catalogue stores them: name, type, comment."""
    sql = dictionary.catalogue_sql(db.dialect_of(db.resolve_url(url)), "columns")
    frame = queries._read_or_empty(url, sql, ["relation", "name", "type", "comment", "position"])
    frame = frame[frame["relation"] == relation]
    return frame.rename(columns={"name": "column"})[["column", "type", "comment"]].reset_index(drop=True)


def _wrapped(table):
    """A dictionary table shows whole sentences: its cells wrap instead of cutting the text short."""
    table.style_cell = {**table.style_cell, "whiteSpace": "normal", "height": "auto", "maxWidth": "640px"}
    return table


def event_types() -> pd.DataFrame:
    """The event catalog, one row per event type, its fields as `name (unit): meaning` lines."""
    return pd.DataFrame(
        [
            {
                "event_type": e.event_type,
                "chain": e.chain,
                "source": e.source,
                "runtimes": e.runtimes,
                "meaning": e.meaning,
                "fields": "; ".join(f"{k} ({f.unit}): {f.meaning}" for k, f in e.fields.items()),
            }
            for e in dictionary.EVENTS
        ]
    )


def columns_table(url: str, relation: object):
    """The columns of the chosen table, or a note when the choice names none (it comes from the browser)."""
    if not isinstance(relation, str) or not relation:
        return html.P("Choose a table or view.", className="drill-empty")
    frame = columns(url, relation)
    if frame.empty:
        return html.P("The warehouse has no table or view of that name.", className="drill-empty")
    return _wrapped(data_table("dictionary-columns-table", frame, page_size=40))


def view_examples(frame: pd.DataFrame) -> list:
    """Each `v_*` view: its stored comment and a worked example query to start from."""
    parts = []
    for row in frame[frame["kind"] == "view"].itertuples(index=False):
        entry = dictionary.RELATIONS.get(row.name)
        parts.append(
            html.Div(
                [
                    html.H4(row.name),
                    html.P(row.comment or "(no comment stored)", className="drill-note"),
                    html.Pre(entry.example if entry and entry.example else "", className="example-sql"),
                ],
                id=f"example-{row.name}",
            )
        )
    return parts


def _layout(url: str, query: dict) -> html.Div:
    frame = relations(url)
    names = frame["name"].tolist()
    chosen = DEFAULT_TABLE if DEFAULT_TABLE in names else (names[0] if names else None)
    return html.Div(
        [
            html.H2("Data dictionary"),
            html.P(
                [
                    "What every table, view and column of the warehouse means, in which unit and at which "
                    "grain, as the database itself stores it (",
                    html.Code("COMMENT ON"),
                    "): any SQL client shows the same, and ",
                    html.Code("decai catalog"),
                    " prints it. Hover a column header for its definition.",
                ]
            ),
            html.H3("Tables and views"),
            html.Div(
                _wrapped(data_table("dictionary-relations-table", frame, page_size=80)), className="card wide"
            ),
            html.H3("Columns"),
            html.Div(
                [
                    dcc.Dropdown(
                        id="dictionary-table",
                        options=[{"label": n, "value": n} for n in names],
                        value=chosen,
                        clearable=False,
                    ),
                    html.Div(columns_table(url, chosen), id="dictionary-columns"),
                ],
                className="card wide",
            ),
            html.H3("Views for analysts, with a worked example"),
            html.Div(view_examples(frame), className="card wide"),
            html.H3("Event types"),
            html.P(dictionary.OTHER_COSMOS_TYPES_NOTE, className="drill-note"),
            html.Div(
                _wrapped(data_table("dictionary-events-table", event_types(), page_size=60)),
                className="card wide",
            ),
        ]
    )


layout = charts.page_layout(_layout)


def show_columns(relation: object):
    with queries.session(warehouse_url()):
        return columns_table(warehouse_url(), relation)


def register_callbacks(app) -> None:
    app.callback(Output("dictionary-columns", "children"), Input("dictionary-table", "value"),
                 prevent_initial_call=True)(show_columns)  # fmt: skip


PAGE = {
    "path": "/dictionary",
    "name": "Data dictionary",
    "title": "DecAI Compare — Data dictionary",
    "layout": layout,
    "order": 95,
}
