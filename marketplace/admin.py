"""Django's admin discovers this module; each context registers its own admin."""

from marketplace.catalogue import admin as catalogue_admin  # noqa: F401
from marketplace.commissions import admin as commissions_admin  # noqa: F401
from marketplace.orders import admin as orders_admin  # noqa: F401
from marketplace.reviews import admin as reviews_admin  # noqa: F401
