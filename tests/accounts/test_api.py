import pytest
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/auth/token/"


def test_token_is_issued_for_good_credentials(api_client):
    user = UserFactory()
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=user).key


def test_token_authenticates_and_can_be_revoked(api_client):
    user = UserFactory()
    key = api_client.post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=user).exists()
    # The revoked token no longer authenticates.
    response = api_client.delete(TOKEN_URL)
    assert response.status_code == 401


def test_wrong_password_is_a_400_with_a_clear_message(api_client):
    user = UserFactory()
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": "wrong"}
    )
    assert response.status_code == 400
    assert "Unable to log in" in response.json()["non_field_errors"][0]
    assert not Token.objects.exists()


def test_missing_fields_get_field_errors(api_client):
    response = api_client.post(TOKEN_URL, {})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_revoking_without_credentials_is_refused(api_client):
    assert api_client.delete(TOKEN_URL).status_code == 401


def test_repeated_failures_lock_out_the_token_endpoint(api_client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = api_client.post(
            TOKEN_URL, {"username": user.username, "password": "bad"}
        )
        assert response.status_code == 400
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": "bad"}
    )
    assert response.status_code == 429
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Try again in" in response.json()["detail"]
    assert not Token.objects.exists()


def test_api_root_lists_resources(api_client):
    response = api_client.get("/api/")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"].endswith("/api/schema/")
    assert body["docs"].endswith("/api/docs/")
    assert body["auth/token"].endswith(TOKEN_URL)


def test_anonymous_reads_are_throttled(api_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    statuses = [api_client.get("/api/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_signed_in_reads_are_throttled_per_user(user, api_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")
    api_client.force_authenticate(user)
    statuses = [api_client.get("/api/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_anonymous_reads_are_counted_once(api_client, monkeypatch):
    # The per-user rate does not apply to anonymous requests: only the anonymous one.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1/minute")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "5/minute")
    statuses = [api_client.get("/api/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
