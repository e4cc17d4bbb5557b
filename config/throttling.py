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
        self.now = self.timer()
        allowed, self.oldest = count(
            self.key, now=self.now, window=self.duration, limit=self.num_requests
        )
        return allowed

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
