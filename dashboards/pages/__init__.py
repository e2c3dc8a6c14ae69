"""One module per page: a `PAGE` dict and `register_callbacks(app)`, both used by `create_app()`."""

from dashboards.pages import (
    bittensor,
    compare,
    contributor,
    data_dictionary,
    hotkey,
    overview,
    quality,
    sahara,
    sahara_validator,
    subnet,
    workbench,
)

#: The menu's pages.
PAGE_MODULES = (overview, bittensor, sahara, compare, quality, data_dictionary, workbench)
#: One page per entity (a path template: one subnet, hotkey, …), opened by the links in tables and
#: drill-downs, not from the menu.
ENTITY_MODULES = (subnet, hotkey, sahara_validator, contributor)
