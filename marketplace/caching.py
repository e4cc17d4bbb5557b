"""Short-lived caching of anonymous catalogue responses.

Keys carry a catalogue version number, bumped when a transaction that changed the
catalogue commits (the listing services, and signals on every model a catalogue page
reads: ``marketplace.signals``), so a change is visible on the next request; the TTL
bounds staleness from writes that bypass both. Only anonymous requests are cached:
nobody is ever served another user's page.
"""

import hashlib
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalogue:version"
TIMEOUT = 60


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def catalogue_changed(
    *, listings: Iterable[int] | None = None, artisans: Iterable[int] | None = None
) -> None:
    """Invalidate cached catalogue pages once the current transaction commits.

    Given the listings (or artisans) whose facet values may have changed, also records
    that for the facet index, in this transaction.
    """
    listings, artisans = list(listings or ()), list(artisans or ())
    if listings or artisans:
        from marketplace import facet_index

        facet_index.record_change(listings=listings, artisans=artisans)
    transaction.on_commit(_bump)


def is_cacheable(request) -> bool:
    """GET by an anonymous visitor without credentials or pending messages."""
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and "HTTP_AUTHORIZATION" not in request.META
        and "messages" not in request.COOKIES
    )


def cache_key(kind: str, request) -> str:
    """One key per kind of response, catalogue version and full query string."""
    query = "&".join(sorted(request.GET.urlencode().split("&")))
    digest = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()[:32]
    return f"catalogue:{kind}:v{catalogue_version()}:{digest}"


def get(key: str):
    return cache.get(key)


def put(key: str, value) -> None:
    cache.set(key, value, TIMEOUT)
