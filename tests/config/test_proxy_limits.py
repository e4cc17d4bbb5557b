"""Limits keyed on the client's address hold behind a trusted reverse proxy.

The simulated proxy sets REMOTE_ADDR to its own address and appends the address it
saw to X-Forwarded-For; anything further left in that header is the client's own
invention.
"""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from config.client_ip import client_ip
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
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


def test_a_stranger_cannot_lock_a_user_out_from_another_client(
    behind_a_proxy, client, settings
):
    user = UserFactory()
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post(
            reverse("login"),
            {"username": user.username, "password": "wrong"},
            **via_proxy("203.0.113.66", spoof=f"198.51.100.{n}"),
        )
    locked = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        **via_proxy("203.0.113.66"),
    )
    assert locked.status_code == 429
    owner = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        **via_proxy("192.0.2.10"),
    )
    assert owner.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_reset_is_limited_per_email_and_per_address(
    behind_a_proxy, client, settings
):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 3
    UserFactory(email="target@example.com")
    for n in range(6):
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
