"""API throttles.

DRF's throttles keep each client's request times as one list in the cache, read and
written back on every request: two round trips to Redis. With the Redis cache the
same sliding window is kept as a sorted set and counted in one round trip
(``config.cache.ResilientRedisCache.count_in_window``); other caches keep DRF's way.
"""

from rest_framework.throttling import (
    AnonRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

# Where a request's counts are kept, by throttle key, once counted (``count_with``).
COUNTED = "_touchstone_window_counts"


class OneTripThrottle(SimpleRateThrottle):
    """DRF's sliding window, counted in one round trip where the cache can."""

    oldest: float | None = None

    def allow_request(self, request, view):
        count = getattr(self.cache, "count_in_window", None)
        if count is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        counted = getattr(request, COUNTED, {}).get(self.key)
        if counted is None:
            self.now = self.timer()
            counted = (
                self.now,
                count(
                    self.key,
                    now=self.now,
                    window=self.duration,
                    limit=self.num_requests,
                ),
            )
        self.now, outcome = counted
        self.oldest = outcome.oldest
        return outcome.allowed

    def wait(self):
        if self.oldest is None:
            return super().wait()
        return max(0.0, self.duration - (self.now - self.oldest))


class AnonymousRateThrottle(OneTripThrottle, AnonRateThrottle):
    """The anonymous rate, per client address."""


class SignedInRateThrottle(OneTripThrottle, UserRateThrottle):
    """The per-user rate, for signed-in users only.

    DRF's ``UserRateThrottle`` falls back to the client's address for anonymous
    requests, which ``AnonymousRateThrottle`` already limits: counting them twice
    only costs more round trips per request.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


def count_with(throttles, request, view, *, also_get: tuple[str, ...]) -> dict | None:
    """Count ``request`` against ``throttles`` and read the cache keys ``also_get``
    in the same round trip, where one throttle counts it and the cache can; else
    None (the caller reads the keys, and DRF counts). The count is kept on the
    request: DRF's own pass over these throttles answers from it, not counting the
    request twice."""
    keyed = [
        (throttle, key)
        for throttle in throttles
        if throttle.rate is not None
        and (key := throttle.get_cache_key(request, view)) is not None
    ]
    if len(keyed) != 1 or not isinstance(keyed[0][0], OneTripThrottle):
        return None
    throttle, key = keyed[0]
    count = getattr(throttle.cache, "count_in_window", None)
    if count is None:
        return None
    now = throttle.timer()
    outcome = count(
        key,
        now=now,
        window=throttle.duration,
        limit=throttle.num_requests,
        also_get=also_get,
    )
    request.__dict__.setdefault(COUNTED, {})[key] = (now, outcome)
    return outcome.found if outcome.allowed else None
