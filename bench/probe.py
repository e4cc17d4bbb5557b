"""Queries per request, measured in-process against a benchmark database.

    .venv/bin/python bench/probe.py [--database-url URL] [--size S]

Run by bench/run.py before the load test. It picks the pages to load (a rich published
piece, its artisan, a certificate), requests each one through Django's test Client with
the cache switched off (so every request is a cache miss), and counts its queries with
``CaptureQueriesContext``. List endpoints are counted at two page sizes; a count that
changes with the page size is an N+1. Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SMALL_PAGE, LARGE_PAGE = 12, 48


def _signing_key() -> str:
    """An Ed25519 key for signed certificate exports, made once per benchmark run."""
    if "TOUCHSTONE_SIGNING_KEY" not in os.environ:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        os.environ["TOUCHSTONE_SIGNING_KEY"] = (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode("ascii")
        )
    return os.environ["TOUCHSTONE_SIGNING_KEY"]


def bench_environment(database_url: str) -> dict[str, str]:
    """The environment the benchmark server runs with (debug off, production settings)."""
    return {
        "TOUCHSTONE_SIGNING_KEY": _signing_key(),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_MEDIA_ROOT": str(BENCH_DIR / "media"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "TOUCHSTONE_BENCH": "1",
        # The anonymous API throttle (120/minute) would turn a load test into 429s.
        "API_ANON_RATE": "100000000/minute",
        "API_USER_RATE": "100000000/minute",
    }


def endpoints(targets: dict) -> list[dict]:
    """Every endpoint under test, with the path to load; absent targets are skipped."""
    items = [
        {"name": "floor", "path": "/bench/floor/", "group": "floor"},
        {"name": "api list", "path": "/api/listings/", "group": "api", "list": True},
        {
            "name": "api filtered",
            "path": "/api/listings/?category=ring&metal=silver",
            "group": "api",
            "list": True,
        },
        {
            "name": "api search",
            "path": "/api/listings/?q=silver",
            "group": "api",
            "list": True,
            "search": "common",
        },
        {
            "name": "api search selective",
            "path": "/api/listings/?q=spinel",
            "group": "api",
            "list": True,
            "search": "selective",
        },
        {"name": "pieces page", "path": "/pieces/", "group": "html", "list": True},
        {
            "name": "pieces filtered",
            "path": "/pieces/?category=ring&metal=silver",
            "group": "html",
            "list": True,
        },
        {
            "name": "pieces search",
            "path": "/pieces/?q=silver",
            "group": "html",
            "list": True,
            "search": "common",
        },
        {
            "name": "pieces search selective",
            "path": "/pieces/?q=spinel",
            "group": "html",
            "list": True,
            "search": "selective",
        },
    ]
    if targets.get("piece"):
        items.append({"name": "piece page", "path": targets["piece"], "group": "html"})
        items.append(
            {
                "name": "api piece",
                "path": f"/api/listings/{targets['piece_slug']}/",
                "group": "api",
                "detail": True,
            }
        )
    if targets.get("artisan"):
        items.append(
            {"name": "artisan page", "path": targets["artisan"], "group": "other"}
        )
    if targets.get("commission_create"):
        items.append(
            {
                "name": "commission form",
                "path": targets["commission_create"],
                "group": "other",
                "auth": True,
            }
        )
    if targets.get("certificate"):
        items.append(
            {
                "name": "certificate page",
                "path": targets["certificate"],
                "group": "certificate",
            }
        )
        if targets.get("certificate_long"):
            items.append(
                {
                    "name": "certificate 1k events",
                    "path": targets["certificate_long"],
                    "group": "certificate",
                }
            )
        items.append(
            {
                "name": "certificate api",
                "path": targets["certificate_api"],
                "group": "certificate",
            }
        )
    return items


def pick_targets() -> dict:
    """A published piece with photos, gemstones and hallmarks, its artisan, its certificate."""
    from django.urls import NoReverseMatch, reverse

    from artisans.models import Artisan
    from marketplace.catalogue.models import Listing

    published = Listing.objects.published()
    piece = (
        published.filter(hallmarks__isnull=False, gemstones__isnull=False)
        .order_by("id")
        .select_related("artisan")
        .first()
    ) or published.order_by("id").select_related("artisan").first()
    targets: dict = {}
    if piece is None:
        return targets
    targets["piece_slug"] = piece.slug
    try:
        targets["piece"] = piece.get_absolute_url()
    except NoReverseMatch:
        targets["piece"] = f"/pieces/{piece.slug}/"
    with contextlib.suppress(NoReverseMatch):
        targets["artisan"] = piece.artisan.get_absolute_url()
    with contextlib.suppress(NoReverseMatch):
        # The commission request form for an artisan who takes commissions.
        open_artisan = (
            Artisan.objects.exclude(commission_status="closed").order_by("id").first()
        )
        if open_artisan is not None:
            targets["commission_create"] = (
                reverse("marketplace:commission-create")
                + f"?artisan={open_artisan.slug}"
            )
    targets.update(_certificate_targets())
    return targets


def _certificate_targets() -> dict:
    try:
        from bench import chains
    except ImportError:
        return {}
    return chains.certificate_targets()


def _view_class(path: str):
    from django.urls import resolve

    match = resolve(path.split("?", 1)[0])
    return getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)


class _PageSize:
    """Temporarily force the page size behind a path.

    Django's Paginator (used by HTML views and DRF's page-number pagination) is wrapped
    so that every paginator built during the request gets ``size`` per page; a DRF
    pagination class with its own ``page_size`` (cursor pagination) is patched too.
    ``used`` tells afterwards whether anything was actually paginated.
    """

    def __init__(self, path: str, size: int):
        self.path, self.size = path, size
        self.restore = []
        self.used = False

    def __enter__(self):
        from django.core import paginator

        original = paginator.Paginator.__init__
        probe = self

        def forced(self, object_list, per_page, *args, **kwargs):
            probe.used = True
            original(self, object_list, probe.size, *args, **kwargs)

        self.restore.append((paginator.Paginator, "__init__", original))
        paginator.Paginator.__init__ = forced
        view = _view_class(self.path)
        pagination = getattr(view, "pagination_class", None)
        if pagination is not None and getattr(pagination, "page_size", None):
            self.restore.append((pagination, "page_size", pagination.page_size))
            pagination.page_size = self.size
            self.used = True
        return self

    def __exit__(self, *exc):
        for target, attribute, value in reversed(self.restore):
            setattr(target, attribute, value)


def count_queries(client, path: str, *, warm: bool = True) -> dict:
    """Queries of one GET, after a warm-up GET; redirects are not followed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404

    try:
        _view_class(path)
    except Resolver404:
        return {"status": 404, "queries": None, "available": False}
    if warm:
        client.get(path)  # warm up per-process caches (content types, settings)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    return {
        "status": response.status_code,
        "queries": len(captured),
        "in_process_ms": round(elapsed * 1000, 1),
        "bytes": len(response.content),
        "available": response.status_code == 200,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    env = bench_environment(args.database_url)
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from marketplace.catalogue import facet_index

    facet_index.current()  # built before the first request, as gunicorn's config does
    from django.test import Client
    from django.test.utils import override_settings

    # Every request a cache miss: the count is what the database does for one page.
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    results = {}
    with override_settings(CACHES=dummy):
        targets = pick_targets()
        # A page that fails is reported as its status code, not as a crashed probe.
        anonymous = Client(raise_request_exception=False)
        signed_in = Client(raise_request_exception=False)
        targets["session"] = _sign_in(signed_in)
        for endpoint in endpoints(targets):
            client = signed_in if endpoint.get("auth") else anonymous
            result = count_queries(client, endpoint["path"])
            if endpoint.get("list") and result["available"]:
                sizes = {}
                for size in (SMALL_PAGE, LARGE_PAGE):
                    with _PageSize(endpoint["path"], size) as forced:
                        # Warmed at that size too: its cards are stored, as for
                        # the page counted above.
                        counted = count_queries(client, endpoint["path"])["queries"]
                    if forced.used:
                        sizes[size] = counted
                if len(sizes) == 2:
                    result["queries_by_page_size"] = sizes
                    result["grows_with_page_size"] = (
                        sizes[LARGE_PAGE] > sizes[SMALL_PAGE]
                    )
            results[endpoint["name"]] = {**endpoint, **result}
        verify = _verify_benchmark()
    print(json.dumps({"targets": targets, "endpoints": results, "verify": verify}))


def _sign_in(client) -> str:
    """Sign the bench buyer in; the load test reuses this session for signed-in pages."""
    from django.contrib.auth import get_user_model

    buyer, _ = get_user_model().objects.get_or_create(username="bench-buyer")
    client.force_login(buyer)
    return client.cookies["sessionid"].value


def _verify_benchmark():
    try:
        from bench import chains
    except ImportError:
        return None
    return chains.verify_benchmark()


if __name__ == "__main__":
    main()
