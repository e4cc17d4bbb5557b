"""Several web processes and Redis, as behind a load balancer: state that must be
shared (the catalogue, throttles, the anonymous page cache) is, and a Redis outage
fails /readyz while the pages keep serving from the database.

Each web process is its own gunicorn server, so a test can send the next request to
"the other worker" deliberately; none keeps anything of its own between requests.
"""

import json

import pytest
from rest_framework.authtoken.models import Token

from tests import factories
from tests.processes.conftest import free_port


@pytest.fixture
def two_webs(process_env, redis_url, web, worker):
    env = {**process_env, "REDIS_URL": redis_url, "API_ANON_RATE": "4/minute"}
    worker("worker", env)
    return web("web-a", env), web("web-b", env)


@pytest.fixture
def piece():
    listing = factories.ListingFactory(
        published=True, title="Hammered silver cuff", price="120.00"
    )
    factories.ListingPhotoFactory(listing=listing)
    token = Token.objects.create(user=listing.artisan.user)
    return listing, token.key


def test_both_ready_and_a_catalogue_edit_is_seen_by_both_caches_included(
    two_webs, piece
):
    a, b = two_webs
    listing, token = piece
    detail = f"/pieces/{listing.slug}/"
    for server in (a, b):
        status, body, headers = server.get("/readyz", **{"X-Request-ID": "probe-1"})
        checks = json.loads(body)["checks"]
        assert status == 200, body
        assert checks["cache"]["detail"] == "ResilientRedisCache"
        assert checks["worker"] == {"ok": True, "detail": "1 worker(s) alive"}
        assert headers["X-Request-ID"] == "probe-1"
    # Every page is served, and the anonymous catalogue cached, by both.
    for server in (a, b):
        for path in (detail, "/pieces/", "/api/listings/"):
            status, body, _ = server.get(path)
            assert status == 200
            assert "Hammered silver cuff" in body
    status, body, _ = a.request(
        "PATCH",
        f"/api/listings/{listing.slug}/",
        json.dumps({"title": "Forged silver cuff"}).encode(),
        {"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    assert status == 200, body
    # The next request to either process shows the edit, cached pages included.
    for server in (b, a):
        for path in (detail, "/pieces/", "/api/listings/", "/pieces/?q=forged"):
            status, body, _ = server.get(path)
            assert status == 200
            assert "Forged silver cuff" in body, (server.base, path)
            assert "Hammered silver cuff" not in body, (server.base, path)


def test_a_throttle_counts_requests_to_both(two_webs):
    a, b = two_webs
    # API_ANON_RATE is 4 a minute for the one client address both see.
    statuses = [server.get("/api/artisans/")[0] for server in (a, b, a, b, a, b)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_without_redis_readyz_fails_and_pages_still_serve(process_env, web, piece):
    listing, _ = piece
    closed = f"redis://127.0.0.1:{free_port()}/5"  # nothing listens there
    server = web("web-no-redis", {**process_env, "REDIS_URL": closed})
    status, body, _ = server.get("/readyz")
    assert status == 503
    checks = json.loads(body)["checks"]
    assert checks["cache"]["ok"] is False
    assert checks["database"]["ok"] is True
    for path in (f"/pieces/{listing.slug}/", "/pieces/", "/api/listings/", "/"):
        status, body, _ = server.get(path)
        assert status == 200, path
    assert "Hammered silver cuff" in server.get("/pieces/")[1]
