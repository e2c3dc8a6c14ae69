"""Reusable pieces of the pages: data tables with CSV export, freshness notes, empty states."""

from __future__ import annotations

import pandas as pd
from dash import dash_table, html

from dashboards import entities, glossary


def data_table(
    table_id: str, frame: pd.DataFrame, page_size: int = 15, row_tooltips: dict[str, list[str]] | None = None
) -> dash_table.DataTable:
    """A sortable, filterable table whose CSV export holds exactly the rows behind it. Each header
    shows its column's unit where the name does not say it, and hovering it gives the column's
    definition from the data dictionary (`dashboards.glossary`); `row_tooltips` adds a hover per cell
    of the named columns (one text per row). Cells naming a subnet, hotkey, Sahara validator or
    contributor (`dashboards.entities.LINK_COLUMNS`) link to its page; the CSV holds the plain id."""
    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    records = shown.to_dict("records")
    linked = entities.link_columns(records, [str(c) for c in shown.columns])
    for record in records:
        for col in linked:
            record[col] = entities.markdown_cell(col, record[col])
    described = glossary.table_columns(table_id, [str(c) for c in shown.columns])
    extra = {}
    if row_tooltips:
        extra["tooltip_data"] = [
            {col: texts[i] for col, texts in row_tooltips.items() if texts[i]} for i in range(len(shown))
        ]
    return dash_table.DataTable(
        id=table_id,
        data=records,
        columns=[{"name": described.get(c, (c,))[0], "id": c, **({"presentation": "markdown"} if c in linked else {})}
                 for c in shown.columns],
        markdown_options={"link_target": "_self"},
        css=[{"selector": ".cell-markdown p", "rule": "margin: 0"}],
        tooltip_header={c: text for c, (_header, text) in described.items()},
        tooltip_delay=300,
        sort_action="native",
        filter_action="native",
        page_size=page_size,
        export_format="csv",
        export_headers="ids",
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "system-ui, sans-serif", "fontSize": "13px", "maxWidth": "420px",
                    "overflow": "hidden", "textOverflow": "ellipsis", "textAlign": "left"},
        style_header={"fontWeight": "600", "backgroundColor": "#f3f4f6"},
        tooltip_duration=None,
        **extra,
    )  # fmt: skip


def empty_state(what: str, element_id: str = "empty-state") -> html.Div:
    return html.Div(
        [
            html.H2("No data yet"),
            html.P(
                f"The warehouse has no {what}. Run `decai backfill --days 7` (or `make demo`) to load some."
            ),
        ],
        id=element_id,
        className="empty-state",
    )
