"""Fixed-window limits in the shared cache, for forms that send email or make
accounts: a key may act ``limit`` times per ``window`` seconds."""

import time

from django.core.cache import cache


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
