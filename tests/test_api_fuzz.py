"""Fuzz every API operation in-process from the live OpenAPI schema.

No operation may answer with a server error, and every documented response must match
the schema. Requests are made both anonymously and with a token, so that write
operations are exercised past authentication.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests import factories

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application()
)


@pytest.fixture
def in_process_requests():
    """Keep the test's connection open across WSGI requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db, monkeypatch, in_process_requests):
    # Fuzzing sends many requests; throttling is tested elsewhere.
    for scope in ("anon", "user", "auth"):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, None)
    user = factories.UserFactory(username="fuzzer")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_errors_and_matches_its_schema(case, fuzz_token):
    case.call_and_validate(checks=CHECKS)
    case.call_and_validate(
        checks=CHECKS, headers={"Authorization": f"Token {fuzz_token}"}
    )
