"""Claiming a piece with a hand-over code is limited per account and per client
address, so that codes cannot be found by guessing; a spent limit is a 429."""

import pytest
from django.urls import reverse

from provenance import services
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture
def limited(settings):
    settings.CLAIM_LIMIT_PER_HOUR = 3
    settings.TRUSTED_PROXY_COUNT = 1


def via_proxy(address: str, spoof: str = "") -> dict:
    forwarded = f"{spoof}, {address}" if spoof else address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def test_an_account_gets_a_few_guesses_then_a_429_even_with_the_right_code(
    limited, artisan, piece
):
    listing, _lot = piece
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    guesser = factories.UserFactory()
    api = api_client_for(guesser)
    url = reverse("api:certificate-claim")
    statuses = [
        api.post(
            url,
            {"code": f"WRONGCODE{n:03}"},
            format="json",
            **via_proxy(f"203.0.113.{n}"),
        ).status_code
        for n in range(3)
    ]
    assert statuses == [400, 400, 400]
    refused = api.post(url, {"code": code}, format="json", **via_proxy("203.0.113.9"))
    assert refused.status_code == 429
    assert "Too many claim attempts" in refused.json()["detail"]
    listing.certificate.refresh_from_db()
    assert listing.certificate.owner_id != guesser.pk


def test_one_address_is_limited_across_accounts_whatever_it_forwards(limited, client):
    url = reverse("provenance:ownership-claim")
    statuses = []
    for n in range(10):
        client.force_login(factories.UserFactory())
        response = client.post(
            url,
            {"code": "WRONGCODE000"},
            **via_proxy("203.0.113.7", spoof=f"198.51.100.{n}"),
        )
        statuses.append(response.status_code)
    # 3 per account, 9 per address: the tenth account's first try is refused.
    assert statuses.count(429) == 1 and statuses[-1] == 429
    assert b"Too many claim attempts" in response.content
    # Another client behind the same proxy is counted on its own.
    client.force_login(factories.UserFactory())
    other = client.post(url, {"code": "WRONGCODE000"}, **via_proxy("203.0.113.8"))
    assert other.status_code == 200
    assert b"not valid" in other.content
