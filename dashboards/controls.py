"""The controls bar every page carries, and the callback that keeps it and the URL in step.

Every page renders the same controls (date range, as-of date, chain, subnet, scale), showing only
those it uses, so that one callback can write the view into the URL (`?start=…&end=…`) whenever a
control changes, and set the controls from the URL when the browser goes back or forward. The URL
is written with a `dcc.Location(refresh=False)`, which changes the address without re-rendering the
page; opening that address later renders the same view, because pages build their layout from it.
"""

from __future__ import annotations

from datetime import date

import dash
from dash import ALL, Input, Output, State, dcc, html

from dashboards import state as url_state

#: Control name -> (component id, property) of the value it holds.
CONTROLS = {
    "start": ("date-range", "start_date"),
    "end": ("date-range", "end_date"),
    "as_of": ("as-of-date", "date"),
    "chain": ("chain-filter", "value"),
    "netuid": ("netuid-filter", "value"),
    "scale": ("scale-toggle", "value"),
}
#: The controls a page can show, by the URL parameters they write.
FEATURES = {
    "range": ("start", "end"),
    "as_of": ("as_of",),
    "chain": ("chain",),
    "netuid": ("netuid",),
    "scale": ("scale",),
}
URL_ID, PAGE_STORE_ID, NOTICE_ID = "url-state", "controls-page", "url-notice"
#: The `type` of the navigation links' ids (`{"type": NAV_LINK, "page": <page path>}`).
NAV_LINK = "nav-link"
CHAIN_OPTIONS = [
    {"label": "Both", "value": "both"},
    {"label": "Bittensor", "value": "bittensor"},
    {"label": "Sahara", "value": "sahara"},
]


def parameters(features: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for feature in features for p in FEATURES[feature])


def _shown(visible: bool, **style) -> dict:
    return {**style, "display": "flex" if visible else "none"}


NOTICE_HEADING = "Some of the URL's settings were not used: "


def _notice_children(notices: list[str]) -> list:
    return [html.Strong(NOTICE_HEADING), html.Ul([html.Li(n) for n in notices])] if notices else []


def notice(notices: list[str]) -> html.Div:
    """The warning shown when the URL asked for something it cannot have."""
    return html.Div(_notice_children(notices), id=NOTICE_ID, className="url-notice", role="alert")


def notice_block(notices: list[str]) -> html.Div:
    """The same warning inside a panel, where the controls sent values it cannot use."""
    return html.Div(_notice_children(notices), className="url-notice", role="alert")


def bar(
    path: str,
    view: url_state.View,
    notices: list[str],
    features: tuple[str, ...],
    extent: tuple[date | None, date | None],
    subnets: list[int] | None = None,
    subnet_names: dict[int, str] | None = None,
) -> html.Div:
    """The controls of one page, set to `view`; the ones not in `features` are rendered hidden. The
    subnet filter offers `subnets`, each labelled with its name from `subnet_names` when it has one."""
    names = subnet_names or {}
    defaults = url_state.resolve(url_state.ViewState(), *extent)
    first, last = extent
    bounds = {
        "min_date_allowed": date(url_state.FIRST_YEAR, 1, 1),
        "max_date_allowed": date(url_state.LAST_YEAR, 12, 31),
    }
    return html.Div(
        [
            # Changes the address without re-rendering the page (refresh=False), see `sync_url`.
            dcc.Location(id=URL_ID, refresh=False),
            dcc.Store(
                id=PAGE_STORE_ID,
                data={
                    "path": path,
                    "parameters": list(parameters(features)),
                    "defaults": {"start": defaults.start.isoformat(), "end": defaults.end.isoformat()},
                },
            ),
            html.Div(
                [
                    html.Label("Dates", htmlFor="date-range"),
                    dcc.DatePickerRange(
                        id="date-range",
                        start_date=view.start,
                        end_date=view.end,
                        display_format="YYYY-MM-DD",
                        updatemode="bothdates",
                        minimum_nights=0,
                        initial_visible_month=view.end,
                        **bounds,
                    ),
                    html.Span(
                        f"data from {first:%Y-%m-%d} to {last:%Y-%m-%d}" if first and last else "no data yet",
                        className="extent",
                    ),
                ],
                className="control",
                style=_shown("range" in features),
            ),
            html.Div(
                [
                    html.Label("As of", htmlFor="as-of-date"),
                    dcc.DatePickerSingle(
                        id="as-of-date",
                        date=view.as_of,
                        placeholder="latest",
                        display_format="YYYY-MM-DD",
                        clearable=True,
                        initial_visible_month=view.as_of or view.end,
                        **bounds,
                    ),
                ],
                className="control",
                style=_shown("as_of" in features),
            ),
            html.Div(
                [
                    html.Label("Chain", htmlFor="chain-filter"),
                    dcc.RadioItems(id="chain-filter", options=CHAIN_OPTIONS, value=view.chain, inline=True),
                ],
                className="control",
                style=_shown("chain" in features),
            ),
            html.Div(
                [
                    html.Label("Subnet", htmlFor="netuid-filter"),
                    dcc.Dropdown(
                        id="netuid-filter",
                        options=[
                            {
                                "label": f"{names[n]} (subnet {n})" if names.get(n) else f"subnet {n}",
                                "value": n,
                            }
                            for n in (subnets or [])
                        ],
                        value=view.netuid,
                        placeholder="all subnets",
                        clearable=True,
                        style={"minWidth": "10rem"},
                    ),
                ],
                className="control",
                style=_shown("netuid" in features),
            ),
            html.Div(
                [
                    html.Label("Scale", htmlFor="scale-toggle"),
                    dcc.RadioItems(
                        id="scale-toggle",
                        options=[{"label": "log", "value": "log"}, {"label": "linear", "value": "linear"}],
                        value=view.scale,
                        inline=True,
                    ),
                ],
                className="control",
                style=_shown("scale" in features),
            ),
            notice(notices),
        ],
        className="controls",
        id="controls",
    )


def page_view(url: str, query: dict) -> tuple[url_state.View, list[str], tuple[date | None, date | None]]:
    """The view a page's URL asks for, resolved against the warehouse's first and last day of data,
    with the notices about what it could not use, and those two days."""
    from dashboards import queries

    wanted, notices = url_state.parse_query(query)
    notices = [*_request_notices(), *notices]
    first, last = (d.date() if d is not None else None for d in queries.data_extent(url))
    return url_state.resolve(wanted, first, last), notices, (first, last)


def _request_notices() -> list[str]:
    """Notices about the request itself (a location that was not text, see `dashboards.app`)."""
    import flask

    return list(flask.g.get("url_notices", [])) if flask.has_app_context() else []


def view_from_values(*values) -> url_state.View:
    """The view the controls hold (values in `CONTROLS` order); bad values fall back to defaults."""
    view_state, _ = url_state.from_controls(*values)
    return url_state.resolve(view_state, None, None)


def _canonical(wanted: url_state.ViewState, page: dict) -> str:
    """The query string of a state with the page's default dates filled in, for comparing states."""
    defaults = {k: date.fromisoformat(v) for k, v in (page.get("defaults") or {}).items() if v}
    view = url_state.resolve(
        url_state.ViewState(
            start=wanted.start or (None if wanted.end else defaults.get("start")),
            end=wanted.end or defaults.get("end"),
            as_of=wanted.as_of, chain=wanted.chain, netuid=wanted.netuid, scale=wanted.scale,
        ),
        None,
        None,
    )  # fmt: skip
    return url_state.to_search(view, tuple(page.get("parameters", ())))


def _page_store(page: object) -> dict | None:
    """The page's own store (path, parameters, default dates) as the browser sent it back, checked:
    None when it is not the shape `bar` wrote."""
    if not isinstance(page, dict) or not isinstance(page.get("path"), str):
        return None
    parameters = page.get("parameters")
    if not isinstance(parameters, list) or not all(p in url_state.PARAMETERS for p in parameters):
        return None
    defaults = page.get("defaults") or {}
    if not isinstance(defaults, dict):
        return None
    checked = {}
    for name in ("start", "end"):
        value = defaults.get(name)
        if value is None:
            continue
        parsed = url_state.parse_date(name, value if isinstance(value, str) else None, [])
        if parsed is None:
            return None
        checked[name] = parsed.isoformat()
    return {"path": page["path"], "parameters": parameters, "defaults": checked}


def sync_url(start, end, as_of, chain, netuid, scale, search, pathname, page):
    """Controls changed: write them into the URL. The URL changed (back, forward): set the controls.
    Nothing happens while both already say the same (as when a page has just been rendered).
    Values of the wrong type from the browser fall back to the defaults and show the notice."""
    page = _page_store(page)
    if not page or pathname != page.get("path"):
        raise dash.exceptions.PreventUpdate  # another page is being rendered from the URL
    in_url, notices = url_state.parse_search(search)
    in_controls, control_notices = url_state.from_controls(start, end, as_of, chain, netuid, scale)
    if _canonical(in_url, page) == _canonical(in_controls, page) and not control_notices:
        raise dash.exceptions.PreventUpdate
    if dash.ctx.triggered_id == URL_ID:
        view, _ = url_state.parse_search(_canonical(in_url, page))
        values = [view.start, view.end, view.as_of, view.chain, view.netuid, view.scale]
        return [dash.no_update, *values, notice(notices).children]
    if control_notices:
        # Controls never hold such values by themselves: show why, and write the view that is used.
        return [_canonical(in_controls, page), *[dash.no_update] * 6, notice(control_notices).children]
    # The notice about the URL the page was opened with stays: a control can also fire when it mounts
    # (a date picker settling its value), and that must not hide what was wrong with the link.
    return [_canonical(in_controls, page), *[dash.no_update] * 7]


def nav_link(page: dict) -> dcc.Link:
    """The navigation link to a registered page; `register_nav` keeps it carrying the current view."""
    return dcc.Link(page["name"], href=page["relative_path"], id={"type": NAV_LINK, "page": page["path"]})


def carried_search(search: object, parameters: tuple[str, ...]) -> str:
    """The query string a link to a page taking `parameters` carries from the current URL: those
    parameters' values as parsed (a value this page could not use is left behind, not passed on, so the
    next page has nothing to warn about), defaults left out."""
    wanted, _ = url_state.parse_search(search)
    return url_state.to_search(wanted, parameters)


def register_nav(app, targets: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    """Keep the navigation links carrying the view when the URL changes (a page opened, a control
    changed, back or forward). `targets`: page path -> (its path as linked, the parameters it takes)."""

    def hrefs(search, ids):
        # The ids come back from the browser: one that names no page links to the overview.
        out = []
        for link in ids if isinstance(ids, list) else []:
            page = link.get("page") if isinstance(link, dict) else None
            path, takes = targets.get(page, ("/", ())) if isinstance(page, str) else ("/", ())
            out.append(path + carried_search(search, takes))
        return out

    app.callback(
        Output({"type": NAV_LINK, "page": ALL}, "href"),
        Input(URL_ID, "search"),
        State({"type": NAV_LINK, "page": ALL}, "id"),
    )(hrefs)


def register_callbacks(app) -> None:
    app.callback(
        Output(URL_ID, "search"),
        *[Output(*CONTROLS[name]) for name in CONTROLS],
        Output(NOTICE_ID, "children"),
        *[Input(*CONTROLS[name]) for name in CONTROLS],
        Input(URL_ID, "search"),
        State(URL_ID, "pathname"),
        State(PAGE_STORE_ID, "data"),
        prevent_initial_call=True,
    )(sync_url)
