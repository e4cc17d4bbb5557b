"""Short-lived caching of anonymous catalogue responses.

Entries carry a catalogue version number, bumped when a transaction that changed the
catalogue commits (the listing services, and signals on every model a catalogue page
reads: ``marketplace.catalogue.signals``), so a change is visible on the next request; the TTL
bounds staleness from writes that bypass both. Only anonymous requests are cached:
nobody is ever served another user's page.
"""

import hashlib
import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalogue:version"
TIMEOUT = 60


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A version evicted from the cache starts again above any it could have had,
        # so entries stored under an older number never become valid again.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def catalogue_changed() -> None:
    """Invalidate cached catalogue pages once the current transaction commits."""
    transaction.on_commit(_bump)


def is_cacheable(request) -> bool:
    """GET by an anonymous visitor without credentials or pending messages."""
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and "HTTP_AUTHORIZATION" not in request.META
        and "messages" not in request.COOKIES
    )


class Key(str):
    """A cache key that remembers the catalogue version it was looked up at."""

    version: int | None = None


def cache_key(kind: str, request) -> Key:
    """One key per kind of response and full query string."""
    query = "&".join(sorted(request.GET.urlencode().split("&")))
    digest = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()[:32]
    return Key(f"catalogue:{kind}:{digest}")


def lookup(key: Key) -> tuple[str, str]:
    """The cache keys ``get`` reads for ``key``."""
    return (VERSION_KEY, key)


def get(key: Key, *, found: dict | None = None):
    """The cached value if it was stored at the current catalogue version.

    The version and the entry come back in one round trip (or were read already, as
    ``found``: the values of ``lookup(key)``); entries carry the version they were
    made at, so a bump makes every older entry a miss.
    """
    if found is None:
        found = cache.get_many(lookup(key))
    version = found.get(VERSION_KEY)
    key.version = version if version is not None else catalogue_version()
    entry = found.get(key)
    if entry is not None and entry[0] == key.version:
        return entry[1]
    return None


def put(key: Key, value) -> None:
    """Store under the version ``get`` saw: content made across a bump is then a miss."""
    version = key.version if key.version is not None else catalogue_version()
    cache.set(key, (version, value), TIMEOUT)
