"""SQL workbench (`/sql`): an analyst writes one read-only statement and sees its rows as a table with
CSV export and, when they hold a time or date column, as a line chart.

The statement runs exactly as `decai sql` runs it, through `warehouse.db.read_sql`: checked by the
engine's own parser (one SELECT, WITH … SELECT, EXPLAIN without ANALYZE, DESCRIBE, SHOW or SUMMARIZE),
read through the reader login in a READ ONLY transaction that is rolled back, cancelled after the read
path's timeout and cut at its row cap (the page says when it cut). A refusal or a database error is
shown as one line, never a stack trace.

The examples are the worked queries of the `v_*` views in the data dictionary (`warehouse.dictionary`).
The statement is kept in the address (`/sql?q=SELECT…`) so a query can be shared; a link opens with the
statement in the editor and its result. As with the other parameters (`dashboards.state`), a `q` that
cannot be used (not text, too long) leaves the editor empty and the page says why.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from urllib.parse import urlencode

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from dashboards import controls, figures
from dashboards import state as url_state
from dashboards.components import data_table
from dashboards.context import warehouse_url
from etl.settings import redact_url_text
from warehouse import db, dictionary
from warehouse.readonly import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_SECONDS,
    READ_KINDS,
    ReaderPrivilegeError,
    ReadOnlyViolation,
)

FEATURES: tuple[str, ...] = ()
PANELS: list = []
PATH = "/sql"
#: The URL parameter holding the statement.
PARAMETER = "q"
#: The same limits as `decai sql` by default.
TIMEOUT_SECONDS = DEFAULT_TIMEOUT_SECONDS
MAX_ROWS = DEFAULT_MAX_ROWS
#: A longer statement is not run, nor read from a link (nor echoed back).
MAX_STATEMENT_LENGTH = 10_000
#: A text column with at most this many distinct values splits the chart's lines (one per chain, say).
MAX_GROUPS = 12
#: Beyond this many points a line is drawn without markers.
MARKER_POINTS = 60
#: JavaScript numbers hold integers exactly only up to 2**53: larger ones are shown as text.
EXACT_INTEGER = 2**53

EDITOR, RUN, RESULT, EXAMPLE, LOCATION = (
    "workbench-editor", "workbench-run", "workbench-result", "workbench-example", "workbench-url",
)  # fmt: skip

PROMPT = "Write one read-only statement, or pick an example."

#: Example name -> its statement: the worked query of each `v_*` view in the data dictionary.
EXAMPLES: dict[str, str] = {
    relation.name: relation.example for relation in dictionary.VIEWS if relation.example
}
#: Example name -> what the dropdown says of it: the view and what it holds.
EXAMPLE_LABELS: dict[str, str] = {
    relation.name: f"{relation.name}: {relation.meaning}" for relation in dictionary.VIEWS if relation.example
}


# ------------------------------------------------------------------------------------- URL state


def parse_statement(raw: object) -> tuple[str | None, list[str]]:
    """The statement a link's `q` holds, and a notice when it cannot be used (never raises). Dash passes
    a repeated parameter as a list: the last one wins, as for the other parameters."""
    notices: list[str] = []
    if isinstance(raw, list | tuple):
        if not raw:
            return None, notices
        if len(raw) > 1:
            notices.append(f"`{PARAMETER}` was given {len(raw)} times; the last value is used.")
        raw = raw[-1]
    if raw is None:
        return None, notices
    if not isinstance(raw, str):
        notices.append(f"`{PARAMETER}` is {url_state._kind(raw)}, not text; the editor starts empty.")
        return None, notices
    if len(raw) > MAX_STATEMENT_LENGTH:
        notices.append(
            f"`{PARAMETER}` is too long ({len(raw):,} characters, at most {MAX_STATEMENT_LENGTH:,}); "
            "the editor starts empty."
        )
        return None, notices
    return (raw if raw.strip() else None), notices


def to_search(statement: str | None) -> str:
    """The query string that keeps `statement` (none for an empty editor)."""
    return "?" + urlencode({PARAMETER: statement}) if statement and statement.strip() else ""


# ------------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Outcome:
    """What one run gave: the rows (at most `MAX_ROWS`, `truncated` when there were more) or a one-line
    message saying why there are none."""

    frame: pd.DataFrame | None = None
    truncated: bool = False
    message: str | None = None
    seconds: float = 0.0


def first_line(exc: BaseException) -> str:
    """The database's own words about a failure, first line only, with any URL's password hidden."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return redact_url_text(line)


def run(url: str, statement: object) -> Outcome:
    """Run `statement` on the warehouse at `url` as `decai sql` does (same guard, reader login, timeout
    and row cap). Never raises: whatever goes wrong comes back as a one-line message."""
    if statement is None:
        return Outcome(message=PROMPT)
    if not isinstance(statement, str):
        return Outcome(message=f"The statement is {url_state._kind(statement)}, not text.")
    if len(statement) > MAX_STATEMENT_LENGTH:
        return Outcome(
            message=f"Refused: the statement is {len(statement):,} characters long; the workbench runs "
            f"at most {MAX_STATEMENT_LENGTH:,}."
        )
    if not statement.strip():
        return Outcome(message=PROMPT)
    started = time.monotonic()
    try:
        frame = db.read_sql(statement, url=url, timeout_seconds=TIMEOUT_SECONDS, max_rows=MAX_ROWS)
    except ReadOnlyViolation as exc:
        return Outcome(message=f"Refused: {' '.join(str(exc).split())}")
    except ReaderPrivilegeError as exc:
        return Outcome(message=f"Refused: {redact_url_text(' '.join(str(exc).split()))}")
    except TimeoutError as exc:
        return Outcome(message=f"Cancelled: {exc}")
    except Exception as exc:  # noqa: BLE001 - the database's words in one line, never a traceback
        return Outcome(message=f"Query failed: {first_line(exc)}")
    return Outcome(frame, bool(frame.attrs.get("truncated")), seconds=time.monotonic() - started)


# ------------------------------------------------------------------------------------- the chart


def _times(series: pd.Series) -> pd.Series | None:
    """The column as datetimes if it holds dates or timestamps (not times of day), else None."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if series.dtype != object:
        return None
    values = series.dropna()
    if values.empty or not all(isinstance(v, date) for v in values):  # datetime is a date too
        return None
    try:
        return pd.to_datetime(series, utc=any(getattr(v, "tzinfo", None) for v in values))
    except (ValueError, TypeError, OverflowError):
        return None


def _numbers(series: pd.Series) -> pd.Series | None:
    """The column as floats if it holds numbers (booleans are not), else None."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_complex_dtype(series):
        return None
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    if series.dtype != object:
        return None
    values = series.dropna()
    if values.empty or not all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values
    ):
        return None
    return pd.to_numeric(series.map(lambda v: None if v is None else float(v)), errors="coerce")


def _groups(frame: pd.DataFrame, skip: str) -> str | None:
    """A text column that names a few series (a chain, a coin), if the rows have one."""
    for column in frame.columns:
        if column == skip:
            continue
        values = frame[column].dropna()
        if values.empty or not all(isinstance(v, str) for v in values):
            continue
        if 2 <= values.nunique() <= MAX_GROUPS:
            return column
    return None


def chart_columns(frame: pd.DataFrame) -> tuple[str | None, list[str]]:
    """The first time or date column of the rows and their numeric columns (the chart's x and y); the
    columns' names must be unique (`with_unique_names`)."""
    x = next((c for c in frame.columns if _times(frame[c]) is not None), None)
    if x is None:
        return None, []
    return x, [c for c in frame.columns if c != x and _numbers(frame[c]) is not None]


def line_figure(frame: pd.DataFrame) -> go.Figure | None:
    """The rows as lines over their first time column, one per numeric column (and per value of a text
    column with a few values, such as `chain`); None when there is no time column or nothing to draw."""
    frame = with_unique_names(frame)
    x, ys = chart_columns(frame)
    if x is None or not ys:
        return None
    group = _groups(frame, x)
    data = pd.DataFrame({"x": _times(frame[x])})
    for i, column in enumerate(ys):
        data[f"y{i}"] = _numbers(frame[column]).to_numpy()
    data["group"] = frame[group].to_numpy() if group else ""
    data = data.dropna(subset=["x"]).sort_values("x", kind="stable")
    figure = go.Figure()
    for i, column in enumerate(ys):
        for name, rows in data.groupby("group", sort=True) if group else [("", data)]:
            figure.add_trace(
                go.Scatter(
                    x=rows["x"],
                    y=rows[f"y{i}"],
                    name=f"{column} · {name}" if group else str(column),
                    mode="lines+markers" if len(rows) <= MARKER_POINTS else "lines",
                )
            )
    figure.update_layout(
        title=f"{', '.join(map(str, ys))} by {x}" + (f", per {group}" if group else ""),
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        xaxis={"title": str(x)},
        legend={"orientation": "h", "y": -0.2},
    )
    return figures.use_template(figure)


# ------------------------------------------------------------------------------------- the table


def _cell(value):
    """A value as the table (and its CSV) shows it: JSON's own types where they hold it exactly, else text."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= EXACT_INTEGER else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else (None if math.isnan(value) else str(value))
    if isinstance(value, Decimal):
        exact = value.is_finite() and len(value.as_tuple().digits) <= 15
        return float(value) if exact else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time_of_day):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    if value is pd.NaT:
        return None
    return str(value)


def _unique_names(columns) -> list[str]:
    """Column names as table ids: text, none empty, no two alike (`SELECT 1, 1` has two columns `1`)."""
    names, seen = [], set()
    for column in columns:
        name = str(column) or "(unnamed)"
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate)
        names.append(candidate)
    return names


def with_unique_names(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_axis(_unique_names(frame.columns), axis=1)


def table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows ready for a data table: unique column names, every value one the browser can hold."""
    shown = with_unique_names(frame).reset_index(drop=True)
    for column in shown.columns:
        if not pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].astype(object).map(_cell)
    return shown


# ------------------------------------------------------------------------------------- the page


def result_view(outcome: Outcome, run_id: int = 0) -> html.Div:
    """What the result area shows for one run; `data-run` tells which run it is (the button's clicks)."""
    attrs = {"data-run": str(run_id)}
    if outcome.message is not None:
        prompt = outcome.message == PROMPT
        return html.Div(
            html.P(
                outcome.message,
                id="workbench-message",
                className="drill-empty" if prompt else "url-notice",
                role="status" if prompt else "alert",
            ),
            className="workbench-output",
            **attrs,
        )
    frame = with_unique_names(outcome.frame)
    rows, columns = len(frame), len(frame.columns)
    parts = [
        html.P(
            f"{rows:,} row{'s' * (rows != 1)} × {columns} column{'s' * (columns != 1)} in {outcome.seconds:.2f} s.",
            id="workbench-summary",
            className="drill-note",
        )
    ]
    if outcome.truncated:
        parts.append(
            html.P(
                f"Only the first {MAX_ROWS:,} rows are shown: the statement returns more. Add a LIMIT, a "
                "WHERE or an aggregate to see the rest.",
                id="workbench-capped",
                className="url-notice",
                role="status",
            )
        )
    figure = line_figure(frame) if rows else None
    if figure is not None:
        parts.append(dcc.Graph(id="workbench-chart", figure=figure, config={"displaylogo": False}))
    else:
        x, _ys = chart_columns(frame) if rows else (None, [])
        if x is not None:
            parts.append(
                html.P(
                    f"No numeric column to draw over {x}.", id="workbench-no-chart", className="drill-note"
                )
            )
    parts.append(data_table("workbench-table", table_frame(frame)))
    return html.Div(parts, className="workbench-output", **attrs)


def layout(**query):
    """The page for a URL: the statement its `q` holds in the editor (run when the page loads)."""
    statement, notices = parse_statement(query.pop(PARAMETER, None))
    _state, other = url_state.parse_query(query)
    notices = [*controls._request_notices(), *notices, *other]
    editor_style = {
        "width": "100%",
        "minHeight": "9rem",
        "fontFamily": "ui-monospace, SFMono-Regular, Menlo, monospace",
        "fontSize": "13px",
        "boxSizing": "border-box",
    }
    return html.Div(
        [
            html.H2("SQL workbench"),
            html.P(
                [
                    f"One read-only statement ({READ_KINDS}) over the warehouse's tables and ",
                    html.Code("v_*"),
                    " views. It runs as ",
                    html.Code("decai sql"),
                    " runs it: checked by the database's own parser, through the reader login, in a read-only "
                    f"transaction, cancelled after {TIMEOUT_SECONDS:g} s and cut at {MAX_ROWS:,} rows. "
                    "Rows with a date or time column are also drawn as lines. The address keeps the "
                    "statement, so a query can be shared by its link; the ",
                    dcc.Link("Data dictionary", href="/dictionary"),
                    " says what every table and column means.",
                ]
            ),
            html.Div(controls.notice_block(notices) if notices else [], id="workbench-notice"),
            dcc.Location(id=LOCATION, refresh=False),
            html.Div(
                [
                    dcc.Dropdown(
                        id=EXAMPLE,
                        options=[{"label": EXAMPLE_LABELS[name], "value": name} for name in EXAMPLES],
                        placeholder="Start from an example query of the v_* views…",
                        clearable=True,
                        style={"marginBottom": "0.5rem"},
                    ),
                    dcc.Textarea(
                        id=EDITOR,
                        value=statement or "",
                        placeholder="SELECT chain, day, participants FROM v_comparison_daily ORDER BY day",
                        spellCheck=False,
                        style=editor_style,
                    ),
                    html.Button("Run", id=RUN, n_clicks=0, className="csv-button", title="Run the statement"),
                ],
                className="card wide",
            ),
            dcc.Loading(html.Div(id=RESULT), type="circle", delay_show=150),
        ]
    )


def fill_example(name: object):
    """The example chosen in the dropdown, into the editor (a name that is no example changes nothing)."""
    if not isinstance(name, str) or name not in EXAMPLES:
        raise dash.exceptions.PreventUpdate
    return EXAMPLES[name]


def run_statement(n_clicks: object, statement: object):
    """Run the editor's statement: when the page loads with one (from the link), and on every click of
    Run, which also writes it into the address. Whatever the browser sends, the answer is a message or rows."""
    run_id = n_clicks if isinstance(n_clicks, int) and not isinstance(n_clicks, bool) else 0
    clicked = dash.ctx.triggered_id == RUN
    if not clicked and not (isinstance(statement, str) and statement.strip()):
        return result_view(Outcome(message=PROMPT), run_id), dash.no_update
    try:
        shown = result_view(run(warehouse_url(), statement), run_id)
    except Exception as exc:  # noqa: BLE001 - rows the page cannot draw still get an answer, not a 500
        shown = result_view(Outcome(message=f"The result cannot be shown: {first_line(exc)}"), run_id)
    # Only a click writes the address: on a page load it already holds the statement.
    usable = isinstance(statement, str) and len(statement) <= MAX_STATEMENT_LENGTH
    return shown, (to_search(statement) if clicked and usable else dash.no_update)


def register_callbacks(app) -> None:
    app.callback(Output(EDITOR, "value"), Input(EXAMPLE, "value"), prevent_initial_call=True)(fill_example)
    app.callback(
        Output(RESULT, "children"),
        Output(LOCATION, "search"),
        Input(RUN, "n_clicks"),
        State(EDITOR, "value"),
    )(run_statement)


PAGE = {
    "path": PATH,
    "name": "SQL workbench",
    "title": "DecAI Compare — SQL workbench",
    "layout": layout,
    "order": 97,
}
