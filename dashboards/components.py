"""Reusable pieces of the pages: data tables with CSV export, freshness notes, empty states."""

from __future__ import annotations

import pandas as pd
from dash import dash_table, html


def data_table(table_id: str, frame: pd.DataFrame, page_size: int = 15) -> dash_table.DataTable:
    """A sortable, filterable table whose CSV export holds exactly the rows behind it."""
    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    return dash_table.DataTable(
        id=table_id,
        data=shown.to_dict("records"),
        columns=[{"name": c, "id": c} for c in shown.columns],
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
