"""The Redis cache degrades to a miss while Redis is unreachable: pages serve from
the database, /readyz reports the outage."""

import socket

import pytest
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

pytestmark = pytest.mark.django_db

REDIS = ("127.0.0.1", 6379)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe closes


def redis_cache(settings, url: str):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "touchstone-test-ops",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return caches["default"]


@pytest.fixture
def unreachable(settings):
    return redis_cache(settings, f"redis://127.0.0.1:{closed_port()}/5")


@pytest.fixture
def reachable(settings):
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache = redis_cache(settings, "redis://127.0.0.1:6379/5")
    cache.clear()
    yield cache
    cache.clear()


def test_an_unreachable_redis_is_a_miss_for_every_call(unreachable):
    assert unreachable.get("k", "default") == "default"
    assert unreachable.add("k", 1) is False
    assert unreachable.set("k", 1) is None
    assert unreachable.get_many(["a", "b"]) == {}
    assert unreachable.set_many({"a": 1}) == ["a"]
    assert unreachable.has_key("k") is False
    assert unreachable.delete("k") is False
    with pytest.raises(ValueError):
        unreachable.incr("k")
    assert unreachable.get_or_set("k", 5) == 5
    with pytest.raises(RedisConnectionError):
        unreachable.ping()


def test_pages_serve_and_readyz_fails_while_redis_is_down(unreachable, client):
    from tests import factories

    listing = factories.ListingFactory(published=True, title="Granulated hoops")
    factories.ListingPhotoFactory(listing=listing)
    catalogue = client.get("/pieces/")
    assert catalogue.status_code == 200
    assert "Granulated hoops" in catalogue.content.decode()
    assert client.get("/api/listings/").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["cache"]["ok"] is False
    assert ready.json()["checks"]["database"]["ok"] is True


def test_a_reachable_redis_caches(reachable, client):
    reachable.set("k", {"v": 1})
    assert reachable.get("k") == {"v": 1}
    assert reachable.add("n", 1) is True
    assert reachable.incr("n") == 2
    assert reachable.ping() is True
    ready = client.get("/readyz")
    assert ready.json()["checks"]["cache"] == {
        "ok": True,
        "detail": "ResilientRedisCache",
    }


def test_one_redis_client_is_kept_per_pool_and_shared_by_threads(reachable):
    import threading

    client = reachable._cache.get_client(write=True)
    assert reachable._cache.get_client(write=False) is client  # one server: one pool
    results = []

    def worker(n):
        for i in range(50):
            reachable.set(f"thread-{n}-{i}", i)
            results.append(reachable.get(f"thread-{n}-{i}") == i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 200 and all(results)
    assert reachable._cache.get_client() is client


def test_the_api_throttle_counts_a_sliding_window_in_one_round_trip(
    reachable, monkeypatch, rf
):
    from rest_framework.request import Request

    from config.throttling import AnonymousRateThrottle

    monkeypatch.setitem(AnonymousRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    clock = [1_000.0]
    monkeypatch.setattr(AnonymousRateThrottle, "timer", lambda self: clock[0])
    client = reachable._cache.get_client(write=True)
    trips = []
    execute = type(client).execute_command

    def counted(redis, *args, **kwargs):
        trips.append(args[0])
        return execute(redis, *args, **kwargs)

    monkeypatch.setattr(type(client), "execute_command", counted)

    def ask(address="203.0.113.9"):
        throttle = AnonymousRateThrottle()
        request = Request(rf.get("/api/listings/", REMOTE_ADDR=address))
        return throttle.allow_request(request, None), throttle

    for step in range(3):
        clock[0] = 1_000.0 + step * 10
        trips.clear()
        assert ask()[0]
        if step:  # one round trip per request, once the script is loaded
            assert trips == ["EVALSHA"]
    clock[0] = 1_030.0
    allowed, throttle = ask()
    assert not allowed
    assert throttle.wait() == pytest.approx(30.0)  # until the first one leaves
    # A refused request is not counted: the first leaves the window at 1,060.
    clock[0] = 1_060.5
    assert ask()[0]
    assert not ask()[0]
    # Another client has a window of its own.
    assert ask("198.51.100.4")[0]


def test_the_api_throttle_lets_requests_through_while_redis_is_down(
    unreachable, monkeypatch, rf
):
    from rest_framework.request import Request

    from config.throttling import AnonymousRateThrottle

    monkeypatch.setitem(AnonymousRateThrottle.THROTTLE_RATES, "anon", "1/minute")
    for _ in range(3):
        request = Request(rf.get("/api/listings/", REMOTE_ADDR="203.0.113.9"))
        assert AnonymousRateThrottle().allow_request(request, None)


def test_a_cached_api_page_and_its_throttle_take_one_round_trip(
    reachable, monkeypatch, client
):
    from rest_framework.throttling import SimpleRateThrottle

    from tests import factories as f

    f.catalogue_listing()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    redis = reachable._cache.get_client(write=True)
    trips = []
    execute = type(redis).execute_command

    def counted(self, *args, **kwargs):
        trips.append(args[0])
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(type(redis), "execute_command", counted)
    assert client.get("/api/listings/").status_code == 200  # a miss, counted once
    trips.clear()
    hit = client.get("/api/listings/")
    assert hit.status_code == 200 and hit.json()["results"]
    assert trips == ["EVALSHA"]
    # The miss and the hit each counted once: the third request is the last allowed.
    assert client.get("/api/listings/").status_code == 200
    refused = client.get("/api/listings/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
