"""Django's Redis cache, degraded to a miss while Redis is unreachable.

A cache is an optimisation: when Redis stops, pages are served from the database
(slower, uncached) instead of failing, throttles and rate limits stop counting
(they fail open) until it is back, and ``/readyz`` reports the outage. One warning
is logged per process every ``WARN_EVERY`` seconds, not one per call.
"""

import logging
import math
import time
import uuid
from functools import wraps
from typing import NamedTuple

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("touchstone.cache")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY = 10.0
_last_warning = 0.0


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning(
            "cache unreachable, serving without it", extra={"error": str(error)}
        )


def _degrading(fallback):
    """Run a cache call; while Redis is unreachable, answer ``fallback(*args)``."""

    def decorator(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as error:
                _warn(error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorator


def _missing_key(key, *args, **kwargs):
    # incr() of a key that is not there: callers already handle this by setting it.
    raise ValueError(f"Key {key!r} not found (cache unreachable).")


class KeptRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with one ``redis.Redis`` kept per connection pool
    rather than one made for every call (connections come from the pool, which starts
    afresh in a forked process). Making one sets up some 170
    response callbacks: as long as the round trip to Redis on a cached page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptRedisCacheClient
        self._scripts: dict[int, object] = {}

    add = _degrading(lambda *a, **k: False)(RedisCache.add)
    get = _degrading(lambda key, default=None, *a, **k: default)(RedisCache.get)
    set = _degrading(lambda *a, **k: None)(RedisCache.set)
    touch = _degrading(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrading(lambda *a, **k: False)(RedisCache.delete)
    get_many = _degrading(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _degrading(lambda *a, **k: False)(RedisCache.has_key)
    incr = _degrading(_missing_key)(RedisCache.incr)
    set_many = _degrading(lambda data, *a, **k: list(data))(RedisCache.set_many)
    delete_many = _degrading(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _degrading(lambda *a, **k: False)(RedisCache.clear)

    def ping(self) -> bool:
        """Ask Redis directly (no degrading): raises while it is unreachable."""
        return self._cache.get_client(write=True).ping()

    def count_in_window(
        self,
        key: str,
        *,
        now: float,
        window: float,
        limit: int,
        also_get: tuple[str, ...] = (),
    ) -> "WindowCount":
        """Count one event at ``now`` among the events of the last ``window`` seconds
        under ``key`` (a sorted set of their times), in one round trip: whether it is
        within ``limit`` (an event over it is not counted), the time of the oldest
        event counted, and the values of the keys ``also_get`` (read in the same trip,
        as ``get_many`` would). While Redis is unreachable every event is within it
        and nothing is found."""
        name = self.make_and_validate_key(key)
        names = [self.make_and_validate_key(other) for other in also_get]
        try:
            client = self._cache.get_client(name, write=True)
            script = self._scripts.get(id(client))
            if script is None:
                script = self._scripts[id(client)] = client.register_script(
                    _COUNT_IN_WINDOW
                )
            allowed, oldest, *values = script(
                keys=[name, *names],
                args=[
                    repr(now),
                    repr(now - window),
                    limit,
                    f"{now!r}:{uuid.uuid4().hex}",
                    math.ceil(window),
                ],
            )
        except UNREACHABLE as error:
            _warn(error)
            return WindowCount(True, now, {})
        loads = self._cache._serializer.loads
        found = {
            other: loads(value)
            for other, value in zip(also_get, values, strict=True)
            if value is not None
        }
        return WindowCount(bool(allowed), float(oldest), found)


class WindowCount(NamedTuple):
    allowed: bool
    oldest: float
    found: dict


# Drop the events that left the window; count the event unless the window is full;
# answer whether it was counted, the oldest event's time (as a string: Redis would
# truncate a Lua number to an integer) and the values of the other keys.
_COUNT_IN_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
local allowed = 0
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  allowed = 1
end
local answer = {allowed, oldest}
for n = 2, #KEYS do
  answer[n + 1] = redis.call('GET', KEYS[n])
end
return answer
"""
