"""One module per page: a `PAGE` dict and `register_callbacks(app)`, both used by `create_app()`."""

from dashboards.pages import bittensor, compare, data_dictionary, overview, quality, sahara, workbench

PAGE_MODULES = (overview, bittensor, sahara, compare, quality, data_dictionary, workbench)
