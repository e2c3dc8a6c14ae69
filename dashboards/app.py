"""The Dash app factory: `create_app()` builds the multi-page comparison dashboard (read-only)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path, PurePosixPath

import dash
from dash import Dash, html

from warehouse.db import resolve_url


def create_app(warehouse_url: str | None = None) -> Dash:
    app = Dash(
        __name__,
        use_pages=True,
        # Pages are imported as `dashboards.pages.*` below, not discovered from a folder.
        pages_folder="",
        title="DecAI Compare",
        suppress_callback_exceptions=True,
    )
    app.server.config["WAREHOUSE_URL"] = resolve_url(warehouse_url)
    from dashboards import controls
    from dashboards.pages import ENTITY_MODULES, PAGE_MODULES

    controls.register_callbacks(app)
    for module in (*PAGE_MODULES, *ENTITY_MODULES):
        if module.__name__ not in dash.page_registry:
            dash.register_page(module.__name__, **module.PAGE)
        # Callbacks belong to this app, not to Dash's global list (which only the first app would get).
        module.register_callbacks(app)
    features = {module.__name__: module.FEATURES for module in (*PAGE_MODULES, *ENTITY_MODULES)}
    controls.register_nav(
        app,
        {
            page["path"]: (page["relative_path"], controls.parameters(features[page["module"]]))
            for page in dash.page_registry.values()
        },
    )
    app.layout = html.Div(
        [
            html.Header(
                [
                    html.H1("DecAI Compare", className="brand"),
                    html.Span("Bittensor and Sahara AI, side by side", className="tagline"),
                    # Entity pages (a path template: one subnet, hotkey, …) are reached by links, not the menu.
                    html.Nav(
                        [
                            controls.nav_link(page)
                            for page in dash.page_registry.values()
                            if not page.get("path_template")
                        ]
                    ),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container),
        ]
    )
    _serve_data_docs(app)
    _coerce_router_values(app)
    return app


#: Dash's page router: its callback reads the browser's location (`_pages_location`).
ROUTER_OUTPUT, ROUTER_LOCATION = "_pages_content.children", "_pages_location"


def _coerce_router_values(app: Dash) -> None:
    """The page router is Dash's own callback and expects the location's pathname and search as
    text; a request sending anything else gets the default page with the bad-link notice instead
    of a server error. The values are replaced in the request's parsed body, which Dash reads next."""
    from flask import abort, g, request

    from dashboards.state import _kind

    @app.server.before_request
    def coerce_location():
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400, description="A callback request is a JSON object.")
        callback = app.callback_map.get(body.get("output")) if isinstance(body.get("output"), str) else None
        if callback is None or "callback" not in callback:  # unknown, or run in the browser only
            abort(400, description="No server callback has this output.")
        if ROUTER_OUTPUT not in body["output"]:
            return
        for entry in body.get("inputs") or []:
            if not isinstance(entry, dict) or entry.get("id") != ROUTER_LOCATION:
                continue
            value, prop = entry.get("value"), entry.get("property")
            prefix = app.config.requests_pathname_prefix
            if prop == "pathname" and isinstance(value, str) and not value.startswith(prefix):
                entry["value"] = prefix
                g.setdefault("url_notices", []).append(
                    "The address's path is not a page of this dashboard; the overview is shown."
                )
            elif value is not None and not isinstance(value, str):
                entry["value"] = prefix if prop == "pathname" else ""
                g.setdefault("url_notices", []).append(
                    f"The address's {prop} is {_kind(value)}, not text; the default view is used."
                )


def _serve_data_docs(app: Dash) -> None:
    """Serve the Great Expectations Data Docs site (built by `decai docs` or the warehouse DAG).

    The requested path is resolved inside the site before the filesystem is asked anything: a path
    that leaves the site (`..`, an absolute path, a symlink pointing out) gets the same 404 as a page
    that does not exist, so nothing can be learned about files outside it."""
    from flask import abort, send_file

    from etl.settings import gx_dir

    missing = "No such Data Docs page. Build the site with `decai docs` or the warehouse_projections DAG."

    @app.server.route("/data-docs/")
    @app.server.route("/data-docs/<path:path>")
    def data_docs(path: str = "index.html"):
        site = (gx_dir() / "gx" / "uncommitted" / "data_docs" / "local_site").resolve()
        page = data_docs_page(site, path)
        if page is None:
            abort(404, description=missing)
        return send_file(page)


def data_docs_page(site: Path, path: str) -> Path | None:
    """The file of the site that `path` names, or None when it names nothing inside the site.

    Checked as text first (no absolute paths, no `..`, no backslashes or NUL), then after resolving
    symlinks, so no filesystem call is made for a path that points outside."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if any(part in ("..", ".") or ":" in part for part in parts):
        return None
    target = site.joinpath(*parts)
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(site) or not resolved.is_file():
        return None
    return resolved


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def settle_heap() -> None:
    """Exempt every object alive now from the garbage collector's full collections: the modules, the
    app and its callbacks live as long as the process. A full collection otherwise walks them all
    (about 150k objects: 60-250 ms, as the machine is loaded) and pauses whichever callback is
    running; after this it walks only what requests left behind. Also keeps the pages of forked
    workers shared (a collection writes to every object it walks)."""
    gc.collect()
    gc.freeze()


def serve(dash_app: Dash, *, host: str, port: int, workers: int = 1, threads: int = 8) -> None:
    """Serve the app on waitress, a production WSGI server: `workers` processes (forked after the
    socket is bound, so they share it and the kernel spreads connections), each with `threads`
    threads. Runs until interrupted."""
    import multiprocessing
    import signal
    import socket

    if workers < 1 or threads < 1:
        raise ValueError("--workers and --threads must be at least 1")
    settle_heap()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=1024)
    if workers == 1:
        _serve_socket(dash_app.server, listener, threads)
        return
    context = multiprocessing.get_context("fork")
    # A stop request (SIGTERM from a service manager) unwinds the parent, which then stops its workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    children = [
        context.Process(target=_serve_socket, args=(dash_app.server, listener, threads), daemon=True)
        for _ in range(workers)
    ]
    for child in children:
        child.start()
    listener.close()  # the workers hold it now
    try:
        for child in children:
            child.join()
    finally:
        for child in children:
            if child.is_alive():
                os.kill(child.pid, signal.SIGTERM)
        for child in children:
            child.join(timeout=5)


def _serve_socket(server, listener, threads: int) -> None:
    import signal

    from waitress import serve as waitress_serve

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a worker stops when told, whatever the parent set
    waitress_serve(server, sockets=[listener], threads=threads, ident="decai-dashboard")
