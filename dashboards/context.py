"""What every part of the app reads about the request it serves: which warehouse (set by `create_app`)."""

from __future__ import annotations

import dash


def warehouse_url() -> str:
    """The warehouse the app serving this request reads (set by `create_app`). The Flask app of the
    request, not `dash.get_app()`, which is the last app created in the process."""
    import flask

    if flask.has_app_context():
        return flask.current_app.config["WAREHOUSE_URL"]
    return dash.get_app().server.config["WAREHOUSE_URL"]
