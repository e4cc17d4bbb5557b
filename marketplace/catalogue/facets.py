"""The catalogue's facet counts and its filtered, ordered ids for one request.

``ListingFilter`` declares the filters (and the values each listing has); this module
asks the facet index for the counts and the order, so the FilterSet knows nothing of
the index.
"""

import numpy as np

from marketplace.catalogue import facet_index


class CatalogueQuery:
    """One bound ``ListingFilter`` answered from one snapshot of the facet index."""

    def __init__(self, filterset):
        self.filterset = filterset
        filterset.is_valid()
        self.active = filterset.active
        self.snapshot = facet_index.current()
        self.total = 0

    def facets(self, queryset, *, searched: bool = False, matches=None) -> list[dict]:
        """Per facet: its values with labels, counts (other filters applied), ticked state.

        ``queryset`` is the base (published, searched) queryset before these filters;
        ``searched`` says a search narrowed it, so only its listings are counted (their
        ids may be given as ``matches``, else they are read from ``queryset``). The
        number of listings matching every filter is left in ``self.total``.
        """
        active = self.active
        snapshot = self.snapshot
        base = None
        if searched:
            if matches is None:
                matches = (
                    queryset.prefetch_related(None)
                    .order_by()
                    .values_list("pk", flat=True)
                )
            base = snapshot.rows_of(matches)
        counts, self.total = snapshot.facet_counts(active, base)
        result = []
        for name, facet_filter in self.filterset.facet_filters().items():
            facet_counts = counts.get(name, {})
            values = [
                {
                    "value": value,
                    "label": label,
                    "count": facet_counts.get(value, 0),
                    "selected": value in active.get(name, []),
                }
                for value, label in facet_filter.facet_choices(facet_counts)
            ]
            result.append(
                {"name": name, "label": str(facet_filter.label), "values": values}
            )
        return result

    def ordered_ids(self, ordering: str, *, within=None):
        """The ids of every listing matching these filters, in ``ordering``, from the
        facet index read by ``facets()``; ``within`` (ids) narrows them (a search)."""
        mask = self.snapshot.match(self.active)
        if within is not None:
            mask = mask & self.snapshot.rows_of(within)
        return self.snapshot.ordered_ids(mask, ordering)

    def ranked(self, ids, ranks) -> tuple[np.ndarray, np.ndarray]:
        """Of these search matches, the ids that pass these filters and their ranks,
        best rank first (ties: newest id first), as ``sorting.RELEVANCE_FIELDS`` sorts
        them. Listings the index does not hold (not published) are left out."""
        ids = np.asarray(ids, dtype=np.int64)
        ranks = np.asarray(ranks, dtype=np.int64)
        rows = self.snapshot.row_positions(ids)
        indexed = rows >= 0
        keep = np.zeros(len(ids), dtype=bool)
        keep[indexed] = self.snapshot.match(self.active)[rows[indexed]]
        ids, ranks = ids[keep], ranks[keep]
        order = np.lexsort((-ids, -ranks))
        return ids[order], ranks[order]

    def ranked_ids(self, ids, ranks):
        """The ids of ``ranked()``."""
        return self.ranked(ids, ranks)[0]
