"""One module per page: a `PAGE` dict and `register_callbacks(app)`, both used by `create_app()`."""

from dashboards.pages import compare, overview, quality

PAGE_MODULES = (overview, compare, quality)
