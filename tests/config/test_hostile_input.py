"""Hostile input on every route in the URL conf: never a 5xx, on either database.

The corpus: JSON nested 100,000 deep, NUL characters in JSON strings and keys, in
form fields, in query strings and in paths. Every route is tried anonymously and signed in, with GET
and POST; the routes' parameters are filled with plausible values and with NULs.
"""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests import factories as f

pytestmark = pytest.mark.django_db

NESTED = "[" * 100_000 + "]" * 100_000
NUL_JSON = json.dumps(
    {
        "listing": "\u0000",
        "slug": "a\u0000b",
        "title": "ring\u0000",
        "artisan": "\u0000",
        "\u0000": 1,
        "quantity": 1,
    }
)
NUL_FORM = {"listing": "\x00", "slug": "a\x00b", "title": "ring\x00", "quantity": "1"}
QUERY = "?q=%00&artisan=%00&status=%00&page=%00"
SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "x"}


def _routes(resolver=None, prefix=""):
    """Every route as (pattern, list of its converters' names), recursively."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, pattern)
        elif isinstance(entry, URLPattern):
            yield (
                pattern,
                entry.pattern.converters
                if hasattr(entry.pattern, "converters")
                else {},
            )


def _fill(pattern: str, value_for) -> str | None:
    """A concrete path for a route pattern (``None`` for regex routes we skip)."""
    import re

    path = pattern.lstrip("^").rstrip("$")
    path = re.sub(r"\\Z$", "", path)

    def replace(match):
        converter = match.group(1) or "str"
        return value_for(converter)

    path = re.sub(r"<(?:(\w+):)?\w+>", replace, path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", lambda _m: value_for("str"), path)
    if any(ch in path for ch in "^$()[]?*+\\"):
        return None
    return "/" + path


def _paths():
    seen = set()
    for pattern, _converters in _routes():
        for value_for in (
            lambda c: SAMPLE.get(c, "x"),
            lambda c: "%00" if c != "int" else "1",
        ):
            path = _fill(pattern, value_for)
            if path and path not in seen and not path.startswith("/admin/"):
                seen.add(path)
                yield path


PATHS = sorted(set(_paths()))


def test_the_corpus_reaches_many_routes():
    assert len(PATHS) > 100
    assert any("%00" in path for path in PATHS)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_route_answers_5xx_to_hostile_input(signed_in):
    user = f.UserFactory()
    client = APIClient(raise_request_exception=False)
    if signed_in:
        client.force_login(user)
    failures = []
    for path in PATHS:
        attempts = [
            ("get", path + QUERY, None),
            ("post", path, NESTED),
            ("post", path + QUERY, NUL_JSON),
            ("post", path, NUL_FORM),
        ]
        for method, url, body in attempts:
            kwargs = (
                {"content_type": "application/json"} if isinstance(body, str) else {}
            )
            response = getattr(client, method)(url, data=body, **kwargs)
            if response.status_code >= 500:
                failures.append((method, url[:80], response.status_code))
    assert failures == []


def test_nested_json_and_nul_strings_are_400_with_a_reason():
    client = APIClient()
    client.force_login(f.UserFactory())
    nested = client.post(
        "/api/auth/token/", data=NESTED, content_type="application/json"
    )
    assert nested.status_code == 400
    assert "nested deeper" in nested.json()["detail"]
    nul = client.post(
        "/api/favourites/", data=NUL_JSON, content_type="application/json"
    )
    assert nul.status_code == 400
    assert "NUL" in nul.json()["detail"]
    path = client.get("/api/listings/%00/")
    assert path.status_code == 400
    page = client.get("/pieces/?q=%00")
    assert page.status_code == 400


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_nul_in_a_form_body_is_400_with_a_reason(encoding):
    client = APIClient()
    client.force_login(f.UserFactory())
    listing = f.catalogue_listing()
    if encoding == "multipart":
        response = client.post(
            "/api/favourites/", data={"listing": f"{listing.slug}\x00"}
        )
    else:
        response = client.post(
            "/api/favourites/",
            data=f"listing={listing.slug}%00",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not listing.favourited_by.exists()
