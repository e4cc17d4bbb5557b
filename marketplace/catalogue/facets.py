"""The catalogue's facet counts and its filtered, ordered ids for one request.

``ListingFilter`` declares the filters (and the values each listing has); this module
asks a facet backend for the counts and the order — the facet index's snapshot, or the
database itself while a snapshot is being built — so the FilterSet knows nothing of
either.
"""

from marketplace.catalogue import facet_index
from marketplace.catalogue.selectors import listing_search_ids, listing_search_ranks


class CatalogueQuery:
    """One bound ``ListingFilter``, with the search ``q`` if any, answered by one facet
    backend (the facet index's snapshot, or the database while that is being built).
    """

    def __init__(self, filterset, *, q: str = ""):
        self.filterset = filterset
        filterset.is_valid()
        self.active = filterset.active
        self.backend = facet_index.backend()
        self.q = q
        self.total = 0
        self.base = None

    def search_ids(self):
        """The ids of the search's matches (``selectors.listing_search_ids``)."""
        return self._search(listing_search_ids)

    def search_ranks(self):
        """The ids and ranks of the search's matches
        (``selectors.listing_search_ranks``)."""
        return self._search(listing_search_ranks)

    def _search(self, find):
        # Kept with the snapshot for its most recent searches: every write to what a
        # search reads is logged (``changes.WATCHES``) and starts the next snapshot.
        return self.backend.kept(
            "searches",
            (find.__name__, self.q),
            lambda: find(self.q),
            size=facet_index.SEARCHES_KEPT,
            budget=facet_index.SEARCH_BYTES_KEPT,
        )

    def facets(self, queryset, *, searched: bool = False, matches=None) -> list[dict]:
        """Per facet: its values with labels, counts (other filters applied), ticked state.

        ``queryset`` is the base (published, searched) queryset before these filters;
        ``searched`` says a search narrowed it, so only its listings are counted (the
        ids of ``self.q``'s matches may be given as ``matches``, else they are read
        from ``queryset``). The number of listings matching every filter is left in
        ``self.total``.
        """
        active = self.active
        within = within_key = None
        if searched:
            self.base = queryset
            if matches is not None and self.q:
                within_key = ("search", self.q)
            if matches is None:
                matches = (
                    queryset.prefetch_related(None)
                    .order_by()
                    .values_list("pk", flat=True)
                )
            within = matches
        counts, self.total = self.backend.count_facets(
            active, base=self.base, within=within, within_key=within_key
        )
        result = []
        for name, facet_filter in self.filterset.facet_filters().items():
            facet_counts = counts.get(name, {})
            declared = self.backend.kept(
                "facet-choices",
                name,
                facet_filter.declared_choices,
                size=facet_index.FACETS_KEPT,
            )
            values = [
                {
                    "value": value,
                    "label": label,
                    "count": facet_counts.get(value, 0),
                    "selected": value in active.get(name, []),
                }
                for value, label in facet_filter.facet_choices(facet_counts, declared)
            ]
            result.append(
                {"name": name, "label": str(facet_filter.label), "values": values}
            )
        return result

    def ordered(self, ordering: str, *, within=None, base=None):
        """The listings matching these filters in ``ordering``, as an order a page
        is read from (``facet_index.IndexOrder``, or ``ArrayOrder`` from the
        database): a sequence of ids that also gives the listings after a cursor's
        boundary. ``within`` (the search's ids) narrows them; ``base`` is the
        search's queryset when ``facets()`` was not asked first."""
        return self.backend.in_order(
            self.active,
            ordering,
            base=self.base if base is None else base,
            within=within,
        )

    def by_relevance(self, tiers, *, total: int | None = None):
        """The search's matches that pass these filters in relevance order: read tier
        by tier from the search index (``tiered``) when the search matches many
        listings; else (or without tiers) ranked all at once (``ranked``), which the
        snapshot keeps, so that a repeated search reads nothing."""
        if tiers and len(self.search_ids()) > facet_index.RANK_ALL_UP_TO:
            order = self.tiered(tiers, total=total)
            if order is not None:
                return order
        return self.ranked()

    def tiered(self, tiers, *, total: int | None = None):
        """A search's matches that pass these filters in relevance order, read tier
        by tier from the search index (``selectors.listing_search_tiers``); None
        while the database answers for the index (the caller ranks every match)."""
        in_tiers = getattr(self.backend, "in_tiers", None)
        return None if in_tiers is None else in_tiers(self.active, tiers, total=total)

    def ranked(self, ids=None, ranks=None):
        """Of these search matches (by default ``search_ranks()``'s, and then kept
        per filter state as they are), those that pass these filters, best rank
        first (ties: newest id first), as ``sorting.RELEVANCE_FIELDS`` sorts them,
        as an order like ``ordered()``'s keyed by rank. Listings not published are
        left out."""
        key = None
        if ids is None:
            ids, ranks = self.search_ranks()
            key = ("search", self.q)
        ids, ranks = self.backend.ids_by_rank(
            self.active, ids, ranks, base=self.base, key=key
        )
        return facet_index.ArrayOrder(ids, ranks, descending=True)

    def ranked_ids(self, ids=None, ranks=None):
        """The ids of ``ranked()``."""
        return self.ranked(ids, ranks).ids
