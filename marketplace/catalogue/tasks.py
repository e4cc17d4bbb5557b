"""Scheduled catalogue jobs, run by the worker (TOUCHSTONE_SCHEDULE)."""

from django_tasks import task

from marketplace.catalogue.facet_index import changes_prune
from marketplace.catalogue.models import Listing
from marketplace.catalogue.services.listings import listing_search_rebuild


@task()
def catalogue_changes_prune() -> int:
    """Delete the facet index's change log entries past their keep time."""
    return changes_prune()


@task()
def catalogue_search_rebuild(listing_ids: list[int] | None = None) -> int:
    """Recompute the stored search vector of the given listings, or of all of them
    (after a bulk load; the admin enqueues it)."""
    queryset = Listing.objects.all()
    if listing_ids is not None:
        queryset = queryset.filter(pk__in=listing_ids)
    return listing_search_rebuild(queryset=queryset)
