"""Limits keyed on the client's address hold behind a trusted reverse proxy.

The simulated proxy sets REMOTE_ADDR to its own address and appends the address it
saw to X-Forwarded-For; anything further left in that header is the client's own
invention.
"""

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from config.client_ip import client_ip
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
OWNER = "192.0.2.10"
TOKEN_URL = "/api/auth/token/"


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def via_proxy(client_address: str, spoof: str = "") -> dict:
    forwarded = f"{spoof}, {client_address}" if spoof else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def test_the_client_address_is_the_one_the_proxy_saw(rf, settings):
    request = rf.get("/", **via_proxy("203.0.113.7", spoof="1.2.3.4, 5.6.7.8"))
    assert client_ip(request) == "10.0.0.2"  # no trusted proxy: the connection's
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"


def test_spoofed_forwarded_for_values_do_not_reset_a_throttle(
    behind_a_proxy, monkeypatch
):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "5/minute")
    api = APIClient()
    statuses = [
        api.post(
            TOKEN_URL,
            {"username": f"nobody{n}", "password": "x"},
            **via_proxy("203.0.113.7", spoof=f"198.51.100.{n}"),
        ).status_code
        for n in range(8)
    ]
    assert statuses.count(429) == 3
    # Another client behind the same proxy is counted on its own.
    other = api.post(
        TOKEN_URL, {"username": "nobody", "password": "x"}, **via_proxy("203.0.113.8")
    )
    assert other.status_code == 400


def log_in_html(client, username: str, password: str, address: str, spoof="") -> int:
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        **via_proxy(address, spoof),
    ).status_code


def log_in_api(client, username: str, password: str, address: str, spoof="") -> int:
    return (
        APIClient()
        .post(
            TOKEN_URL,
            {"username": username, "password": password},
            **via_proxy(address, spoof),
        )
        .status_code
    )


LOG_INS = {"html": log_in_html, "api": log_in_api}
OK = {"html": 302, "api": 200}


def fail_from_many_addresses(client, log_in, username: str, failures: int, limit):
    """Fail ``failures`` times, each address staying under the per-address limit;
    return the last answer."""
    for n in range(failures):
        address = f"198.51.100.{n // (limit - 1)}"
        status = log_in(client, username, "wrong", address)
        if n < failures - 1:
            assert status != 429
    return status


def reset_password_by_email(client, email: str, password: str) -> None:
    """Follow the emailed link and set a new password, as the account's owner."""
    mail.outbox.clear()
    # The email goes out from a task once the request commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("password_reset"), {"email": email}, **via_proxy(OWNER))
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body)[1]
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert done.status_code == 302


@pytest.mark.parametrize("kind", LOG_INS)
def test_a_stranger_cannot_lock_a_user_out_from_another_client(
    behind_a_proxy, client, settings, kind
):
    user = UserFactory()
    log_in = LOG_INS[kind]
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        log_in(client, user.username, "wrong", "203.0.113.66", f"198.51.100.{n}")
    assert log_in(client, user.username, PASSWORD, "203.0.113.66") == 429
    assert log_in(client, user.username, PASSWORD, OWNER) == OK[kind]
    if kind == "html":
        assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("kind", LOG_INS)
def test_failures_from_many_addresses_lock_the_username_everywhere_at_a_higher_limit(
    behind_a_proxy, client, settings, kind
):
    assert settings.LOCKOUT_USERNAME_FAILURE_LIMIT >= 10 * settings.AXES_FAILURE_LIMIT
    user = UserFactory()
    log_in = LOG_INS[kind]
    limit = settings.LOCKOUT_USERNAME_FAILURE_LIMIT
    fail_from_many_addresses(
        client, log_in, user.username, limit - 1, settings.AXES_FAILURE_LIMIT
    )
    assert log_in(client, user.username, PASSWORD, OWNER) == OK[kind]
    client.logout()
    assert log_in(client, user.username, "wrong", "192.0.2.99") == 429
    # Now the owner is refused from their own address, and anywhere else.
    assert log_in(client, user.username, PASSWORD, OWNER) == 429
    assert log_in(client, user.username, PASSWORD, "192.0.2.200") == 429
    # Other users are not affected.
    other = UserFactory()
    assert log_in(client, other.username, PASSWORD, "192.0.2.99") == OK[kind]


def test_the_locked_page_and_api_point_to_the_password_reset(
    behind_a_proxy, client, settings
):
    settings.LOCKOUT_USERNAME_FAILURE_LIMIT = 12
    user = UserFactory()
    last = fail_from_many_addresses(
        client, log_in_html, user.username, 12, settings.AXES_FAILURE_LIMIT
    )
    assert last == 429
    page = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        **via_proxy(OWNER),
    )
    assert page.status_code == 429
    assert b"from many places" in page.content
    assert f'href="{reverse("password_reset")}"'.encode() in page.content
    api = APIClient().post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}, **via_proxy(OWNER)
    )
    assert api.status_code == 429
    body = api.json()
    assert "Reset your password" in body["detail"]
    assert body["password_reset"].endswith(reverse("password_reset"))


def test_a_lock_by_one_address_also_points_to_the_password_reset(client):
    user = UserFactory()
    for _ in range(5):
        page = client.post(
            reverse("login"), {"username": user.username, "password": "wrong"}
        )
    assert page.status_code == 429
    assert b"from your connection" in page.content
    assert f'href="{reverse("password_reset")}"'.encode() in page.content


@pytest.mark.parametrize("kind", LOG_INS)
def test_completing_the_emailed_password_reset_lifts_the_lock(
    behind_a_proxy, client, settings, kind
):
    settings.LOCKOUT_USERNAME_FAILURE_LIMIT = 12
    user = UserFactory(email="owner@example.com")
    log_in = LOG_INS[kind]
    fail_from_many_addresses(
        client, log_in, user.username, 12, settings.AXES_FAILURE_LIMIT
    )
    for _ in range(settings.AXES_FAILURE_LIMIT):  # and locked at the owner's address
        log_in(client, user.username, PASSWORD, OWNER)
    assert log_in(client, user.username, PASSWORD, OWNER) == 429

    reset_password_by_email(client, "owner@example.com", "Brand-new-bangle-77")

    # The old password is now simply wrong; the new one logs in.
    assert (
        log_in(client, user.username, PASSWORD, OWNER)
        == {"html": 200, "api": 400}[kind]
    )
    assert log_in(client, user.username, "Brand-new-bangle-77", OWNER) == OK[kind]


def test_only_a_completed_reset_lifts_the_lock(behind_a_proxy, client, settings):
    settings.LOCKOUT_USERNAME_FAILURE_LIMIT = 12
    user = UserFactory(email="owner@example.com")
    fail_from_many_addresses(
        client, log_in_html, user.username, 12, settings.AXES_FAILURE_LIMIT
    )
    # Asking for the email, or posting to a reset link with a forged token, is not
    # enough: the lock holds until the emailed link is used.
    client.post(
        reverse("password_reset"), {"email": "owner@example.com"}, **via_proxy(OWNER)
    )
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    forged = reverse("password_reset_confirm", args=[uid, "set-password"])
    client.post(
        forged,
        {"new_password1": "Stolen-ring-1234", "new_password2": "Stolen-ring-1234"},
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert log_in_html(client, user.username, PASSWORD, OWNER) == 429


def test_password_reset_is_limited_per_email_and_per_address(
    behind_a_proxy, client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 3
    UserFactory(email="target@example.com")
    for n in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("password_reset"),
                {"email": "target@example.com"},
                **via_proxy(f"203.0.113.{n}"),
            )
        assert response.status_code == 302  # the same answer every time
    assert len(mail.outbox) == 3
    statuses = [
        client.post(
            reverse("password_reset"),
            {"email": f"someone{n}@example.com"},
            **via_proxy("198.51.100.9"),
        ).status_code
        for n in range(10)
    ]
    assert statuses.count(429) == 1
    assert statuses[-1] == 429


def test_sign_up_is_limited_per_address(behind_a_proxy, client, settings):
    settings.SIGNUP_LIMIT_PER_HOUR = 2
    codes = []
    for n in range(3):
        client.logout()
        response = client.post(
            reverse("signup"),
            {
                "username": f"newcomer{n}",
                "email": f"newcomer{n}@example.com",
                "password1": "Quiet-silver-ring-42",
                "password2": "Quiet-silver-ring-42",
            },
            **via_proxy("203.0.113.50"),
        )
        codes.append(response.status_code)
    assert codes == [302, 302, 429]
    assert b"Too many new accounts" in response.content
