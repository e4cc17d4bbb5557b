"""Fixed-window limits in the shared cache, for forms that send email or make
accounts: a key may act ``limit`` times per ``window`` seconds."""

import time

from django.core.cache import cache


class RateLimited(Exception):
    """A service refused an attempt because its limit is spent: a 429 in the API and on
    pages, with ``message`` for the person and ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def allow(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt of ``key`` in ``scope``; False once the window is full."""
    bucket = int(time.time() // window)
    name = f"ratelimit:{scope}:{key}:{bucket}"
    cache.add(name, 0, timeout=window + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr: start again
        cache.set(name, 1, timeout=window + 5)
        count = 1
    return count <= limit


def check(scope: str, key: str, *, limit: int, window: int, message: str) -> None:
    """``allow``, raising ``RateLimited`` with ``message`` once the window is full."""
    if not allow(scope, key, limit=limit, window=window):
        raise RateLimited(message, retry_after=window - int(time.time() % window))
