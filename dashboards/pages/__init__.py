"""One module per page, each with a `PAGE` dict that `create_app()` registers with Dash."""

from dashboards.pages import overview, quality

PAGE_MODULES = (overview, quality)
