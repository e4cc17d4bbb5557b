"""Every review endpoint, for the wrong user: a 404, and nothing changes.

Roles: the author, the artisan reviewed, another buyer, another artisan, a verifier
and an anonymous visitor. Each endpoint lists the roles it serves; every other role
is refused with a 404 (HTML pages send an anonymous visitor to log in, as every
signed-in page does)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.reviews import services
from marketplace.reviews.models import Review
from tests import factories as f
from tests.conftest import api_client_for
from tests.reviews.helpers import delivered_line, review_of

pytestmark = pytest.mark.django_db

ROLES = ["author", "artisan", "buyer", "other_artisan", "verifier", "anonymous"]


@pytest.fixture
def world():
    line = delivered_line()
    review = review_of(line)
    hidden = review_of(rating=1)
    services.review_moderate(
        review=hidden, actor=f.VerifierFactory(), action="hide", reason="Abuse"
    )
    return {
        "line": line,
        "review": review,
        "hidden": hidden,
        "users": {
            "author": review.author,
            "artisan": review.artisan.user,
            "buyer": f.UserFactory(),
            "other_artisan": f.ArtisanFactory().user,
            "verifier": f.VerifierFactory(),
            "anonymous": None,
        },
    }


def _snapshot():
    return list(
        Review.objects.order_by("pk").values_list(
            "pk", "rating", "title", "status", "reply"
        )
    )


def _api(user):
    return api_client_for(user) if user is not None else APIClient()


# (method, url name, uses the hidden review, payload, roles allowed)
API = [
    ("patch", "detail", False, {"title": "Mine now"}, {"author"}),
    ("post", "reply", False, {"text": "Hi"}, {"artisan"}),
    ("patch", "reply", False, {"text": "Hi"}, {"artisan"}),
    ("post", "hide", False, {"reason": "x"}, {"verifier"}),
    ("post", "dismiss", False, {"reason": "x"}, {"verifier"}),
    ("post", "restore", True, {"reason": "x"}, {"verifier"}),
    ("get", "detail", True, None, {"author", "verifier"}),
    ("post", "report", True, {"reason": "x"}, set()),
]


@pytest.mark.parametrize("role", ROLES)
def test_api_endpoints_answer_404_to_the_wrong_user(world, role):
    user = world["users"][role]
    client = _api(user)
    before = _snapshot()
    checked = 0
    for method, name, use_hidden, payload, allowed in API:
        if role in allowed:
            continue
        review = world["hidden" if use_hidden else "review"]
        url = reverse(f"api:review-{name}", args=[review.pk])
        response = getattr(client, method)(url, payload or {}, format="json")
        assert response.status_code == 404, (role, method, name, response.status_code)
        checked += 1
    assert checked >= 4
    assert _snapshot() == before


@pytest.mark.parametrize("role", [r for r in ROLES if r != "author"])
def test_creating_from_someone_elses_purchase_is_a_404(world, role):
    client = _api(world["users"][role])
    response = client.post(
        reverse("api:review-list"),
        {"order_line": world["line"].pk, "rating": 5, "title": "t", "text": "x"},
        format="json",
    )
    assert response.status_code == 404
    commission_line = client.post(
        reverse("api:review-list"),
        {"commission": 999999, "rating": 5, "title": "t", "text": "x"},
        format="json",
    )
    assert commission_line.status_code == 404
    assert Review.objects.count() == 2


# (method, url name, args from the world, roles allowed)
HTML = [
    ("get", "review-edit", "review", {"author"}),
    ("post", "review-edit", "review", {"author"}),
    ("post", "review-reply", "review", {"artisan"}),
    ("post", "review-report", "hidden", set()),
    ("get", "review-detail", "hidden", {"author", "verifier"}),
    ("get", "review-moderate", "review", {"verifier"}),
    ("post", "review-moderate-action", "review", {"verifier"}),
]


@pytest.mark.parametrize("role", ROLES)
def test_html_pages_answer_404_to_the_wrong_user(world, role, client):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    before = _snapshot()
    checked = 0
    for method, name, which, allowed in HTML:
        if role in allowed:
            continue
        args = [world[which].pk]
        if name == "review-moderate-action":
            args.append("hide")
        url = reverse(f"marketplace:{name}", args=args)
        response = getattr(client, method)(url, {"text": "x", "reason": "x"})
        if user is None and name != "review-detail":
            assert response.status_code == 302, (role, name)
            assert response["Location"].startswith(reverse("login"))
        else:
            assert response.status_code == 404, (role, method, name)
        checked += 1
    create = reverse("marketplace:review-create", args=["line", world["line"].pk])
    if role != "author":
        response = client.post(create, {"rating": "5", "title": "t", "text": "x"})
        assert response.status_code == (302 if user is None else 404)
        checked += 1
    assert checked >= 3
    assert _snapshot() == before
