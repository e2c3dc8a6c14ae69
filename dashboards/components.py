"""Reusable pieces of the pages: data tables with CSV export, freshness notes, empty states."""

from __future__ import annotations

import pandas as pd
from dash import dash_table, html

from dashboards import glossary


def data_table(
    table_id: str, frame: pd.DataFrame, page_size: int = 15, row_tooltips: dict[str, list[str]] | None = None
) -> dash_table.DataTable:
    """A sortable, filterable table whose CSV export holds exactly the rows behind it. Each header
    shows its column's unit where the name does not say it, and hovering it gives the column's
    definition from the data dictionary (`dashboards.glossary`); `row_tooltips` adds a hover per cell
    of the named columns (one text per row)."""
    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    described = glossary.table_columns(table_id, [str(c) for c in shown.columns])
    extra = {}
    if row_tooltips:
        extra["tooltip_data"] = [
            {col: texts[i] for col, texts in row_tooltips.items() if texts[i]} for i in range(len(shown))
        ]
    return dash_table.DataTable(
        id=table_id,
        data=shown.to_dict("records"),
        columns=[{"name": described.get(c, (c,))[0], "id": c} for c in shown.columns],
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
