"""The catalogue's sort orders, defined once.

The SQL ordering (``selectors.listing_order`` and the API's cursor pages) and the facet
index's in-memory ordering both read these definitions. Each order ends in the unique
``id`` so that pages and API cursors are stable.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SortOrder:
    name: str
    label: str
    key: str  # the listing column sorted on (or its artisan's, through ``__``)
    descending: bool

    @property
    def fields(self) -> tuple[str, str]:
        """The ``order_by`` fields: the key, then the id, both in this direction."""
        sign = "-" if self.descending else ""
        return (f"{sign}{self.key}", f"{sign}id")


SORT_ORDERS: dict[str, SortOrder] = {
    order.name: order
    for order in (
        SortOrder("newest", "Newest", "published_at", descending=True),
        SortOrder("price", "Price, low to high", "price", descending=False),
        SortOrder("-price", "Price, high to low", "price", descending=True),
        # The artisan's kept average (0 without reviews), best first.
        SortOrder(
            "rating", "Artisan's rating", "artisan__rating_average", descending=True
        ),
    )
}
DEFAULT_ORDER = SORT_ORDERS["newest"]

# A search with no chosen order ranks by relevance: best rank first, newest id first.
RELEVANCE = "relevance"
RELEVANCE_FIELDS = ("-rank", "-id")

# ordering name -> order_by fields (the form and the API's documented enum use these).
ORDERINGS: dict[str, tuple[str, str]] = {
    name: order.fields for name, order in SORT_ORDERS.items()
}
SORT_CHOICES = [
    ("", "Best match / newest"),
    *((order.name, order.label) for order in SORT_ORDERS.values()),
]


def ordering_fields(name: str | None, *, searching: bool) -> tuple[str, str]:
    """The ``order_by`` fields for a requested order; a search defaults to relevance."""
    if name in SORT_ORDERS:
        return SORT_ORDERS[name].fields
    if searching:
        return RELEVANCE_FIELDS
    return DEFAULT_ORDER.fields
