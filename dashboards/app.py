"""The Dash app factory: `create_app()` builds the multi-page comparison dashboard (read-only)."""

from __future__ import annotations

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
    from dashboards.pages import PAGE_MODULES

    controls.register_callbacks(app)
    for module in PAGE_MODULES:
        if module.__name__ not in dash.page_registry:
            dash.register_page(module.__name__, **module.PAGE)
        # Callbacks belong to this app, not to Dash's global list (which only the first app would get).
        module.register_callbacks(app)
    features = {module.__name__: module.FEATURES for module in PAGE_MODULES}
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
                    html.Nav([controls.nav_link(page) for page in dash.page_registry.values()]),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container),
        ]
    )
    _serve_data_docs(app)
    return app


def _serve_data_docs(app: Dash) -> None:
    """Serve the Great Expectations Data Docs site (built by `decai docs` or the warehouse DAG)."""
    from flask import abort, send_from_directory

    from etl.validate.gx import gx_dir

    @app.server.route("/data-docs/")
    @app.server.route("/data-docs/<path:path>")
    def data_docs(path: str = "index.html"):
        site = gx_dir() / "gx" / "uncommitted" / "data_docs" / "local_site"
        if not (site / path).is_file():
            abort(404, description="No Data Docs yet: run `decai docs` or the warehouse_projections DAG.")
        return send_from_directory(site, path)


def warehouse_url() -> str:
    """The warehouse the app serving this request reads (set by `create_app`). The Flask app of the
    request, not `dash.get_app()`, which is the last app created in the process."""
    import flask

    if flask.has_app_context():
        return flask.current_app.config["WAREHOUSE_URL"]
    return dash.get_app().server.config["WAREHOUSE_URL"]
