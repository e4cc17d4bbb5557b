"""JSON logs with the request id on every line, and the slow-query log."""

import io
import json
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Every log line written while the test runs, as the console handler formats it
    (JSON, with the request id filter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = django_settings.LOGGING["formatters"]["json"]
    handler.setFormatter(
        import_string(formatter["()"])(
            formatter["format"], rename_fields=formatter["rename_fields"]
        )
    )
    handler.addFilter(import_string("ops.logs.RequestIdFilter")())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_gets_a_fresh_id_returned_in_the_response(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_the_proxys_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"


@pytest.mark.parametrize("sent", ["", "a" * 129, "id with spaces", "<script>"])
def test_an_unusable_request_id_is_replaced(client, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_line_of_a_request_is_json_with_its_id(client, json_lines, settings):
    settings.SLOW_QUERY_MS = 0  # every query logs a line, so the request logs several
    response = client.get("/pieces/no-such-piece/", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 404
    lines = json_lines()
    assert {line["name"] for line in lines} >= {
        "touchstone.slow_query",
        "django.request",
    }
    assert {line["request_id"] for line in lines} == {"req-1"}
    not_found = next(line for line in lines if line["name"] == "django.request")
    assert not_found["level"] == "WARNING"
    assert "time" in not_found and "message" in not_found


def test_outside_a_request_lines_carry_a_dash(json_lines):
    logging.getLogger("touchstone.test").warning("background")
    assert json_lines() == [
        {
            "time": json_lines()[0]["time"],
            "level": "WARNING",
            "name": "touchstone.test",
            "message": "background",
            "request_id": "-",
        }
    ]


def test_a_query_over_the_threshold_is_logged_with_its_sql(json_lines, settings):
    from marketplace.catalogue.models import Listing

    settings.SLOW_QUERY_MS = 0
    list(Listing.objects.filter(title="Ring"))
    slow = [line for line in json_lines() if line["name"] == "touchstone.slow_query"]
    assert len(slow) == 1
    assert slow[0]["message"] == "slow query"
    assert "marketplace_listing" in slow[0]["sql"]
    assert slow[0]["threshold_ms"] == 0
    assert slow[0]["duration_ms"] >= 0
    assert slow[0]["database"] == "default"


def test_queries_under_the_threshold_are_not_logged(json_lines, settings):
    from marketplace.catalogue.models import Listing

    settings.SLOW_QUERY_MS = 60_000
    list(Listing.objects.all())
    assert [
        line for line in json_lines() if line["name"] == "touchstone.slow_query"
    ] == []
