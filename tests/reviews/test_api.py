"""/api/reviews/: list with filters, create from a purchase, edit, reply, report and
moderate; rating summaries in the artisan's and the piece's representations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.reviews import services
from marketplace.reviews.models import Review
from tests import factories as f
from tests.commissions.helpers import walk_to
from tests.conftest import api_client_for
from tests.reviews.helpers import assert_kept_figures_match, delivered_line, review_of

pytestmark = pytest.mark.django_db

LIST = reverse("api:review-list")


def _url(name, review):
    return reverse(f"api:review-{name}", args=[review.pk])


def test_a_buyer_creates_a_review_of_a_line_and_of_a_commission():
    line = delivered_line()
    client = api_client_for(line.order.buyer)
    response = client.post(
        LIST, {"order_line": line.pk, "rating": 5, "title": "Superb", "text": "Yes"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["purchase"] == "order" and body["listing"] == line.listing.slug
    assert "edit" in body["allowed_actions"] and "report" not in body["allowed_actions"]
    assert_kept_figures_match()

    commission = walk_to("completed")
    client = api_client_for(commission.buyer)
    response = client.post(
        LIST,
        {"commission": commission.pk, "rating": 4, "title": "Bespoke", "text": "Ok"},
    )
    assert response.status_code == 201
    assert response.json()["purchase"] == "commission"
    assert_kept_figures_match()


def test_a_buyer_creates_a_review_with_photos_in_multipart():
    line = delivered_line()
    client = api_client_for(line.order.buyer)
    response = client.post(
        LIST,
        {
            "order_line": line.pk,
            "rating": 5,
            "title": "With photos",
            "text": "Look",
            "photos": [f.image_upload("a.jpg"), f.image_upload("b.png", fmt="PNG")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()["photos"]) == 2


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"title": ""}, "title"),
        ({"order_line": None}, "non_field_errors"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(payload, field):
    line = delivered_line()
    data = {"order_line": line.pk, "rating": 5, "title": "t", "text": "x", **payload}
    data = {key: value for key, value in data.items() if value is not None}
    response = api_client_for(line.order.buyer).post(LIST, data)
    assert response.status_code == 400
    assert field in response.json()
    assert not Review.objects.exists()


def test_a_second_review_of_a_line_is_a_400_and_a_strangers_line_a_404():
    line = delivered_line()
    review_of(line)
    again = api_client_for(line.order.buyer).post(
        LIST, {"order_line": line.pk, "rating": 1, "title": "t", "text": "x"}
    )
    assert again.status_code == 400 and "order_line" in again.json()
    stranger = api_client_for(f.UserFactory()).post(
        LIST, {"order_line": line.pk, "rating": 1, "title": "t", "text": "x"}
    )
    assert stranger.status_code == 404
    assert Review.objects.count() == 1


def test_list_filters_by_artisan_rating_and_listing():
    first = review_of(rating=5)
    review_of(rating=2)
    client = api_client_for(f.UserFactory())
    by_artisan = client.get(LIST, {"artisan": first.artisan.slug}).json()
    assert [r["id"] for r in by_artisan["results"]] == [first.pk]
    by_rating = client.get(LIST, {"rating": "2"}).json()
    assert [r["rating"] for r in by_rating["results"]] == [2]
    by_piece = client.get(LIST, {"listing": first.listing.slug}).json()
    assert [r["id"] for r in by_piece["results"]] == [first.pk]
    assert client.get(LIST, {"rating": "9"}).status_code == 400


def test_edit_window_and_revisions_over_the_api(settings):
    review = review_of(rating=5)
    client = api_client_for(review.author)
    response = client.patch(_url("detail", review), {"rating": 3})
    assert response.status_code == 200 and response.json()["edited"] is True
    assert review.revisions.count() == 2
    assert_kept_figures_match()
    Review.objects.filter(pk=review.pk).update(
        created_at=timezone.now() - timedelta(days=settings.REVIEW_EDIT_DAYS + 1)
    )
    late = client.patch(_url("detail", review), {"rating": 1})
    assert late.status_code == 400
    review.refresh_from_db()
    assert review.rating == 3
    assert_kept_figures_match()


def test_reply_once_then_edit_and_report_then_moderate():
    review = review_of(rating=2)
    artisan = api_client_for(review.artisan.user)
    assert artisan.post(_url("reply", review), {"text": "Sorry"}).status_code == 201
    second = artisan.post(_url("reply", review), {"text": "Again"})
    assert second.status_code == 400
    edited = artisan.patch(_url("reply", review), {"text": "Sorry to hear"})
    assert edited.status_code == 200
    assert edited.json()["reply"]["text"] == "Sorry to hear"

    own = api_client_for(review.author).post(_url("report", review), {"reason": "x"})
    assert own.status_code == 400
    reader = api_client_for(f.UserFactory())
    assert reader.post(_url("report", review), {"reason": "Spam"}).status_code == 201

    verifier = api_client_for(f.VerifierFactory())
    reported = verifier.get(LIST, {"status": "reported"}).json()
    assert [r["id"] for r in reported["results"]] == [review.pk]
    assert verifier.post(_url("hide", review), {"reason": ""}).status_code == 400
    hidden = verifier.post(_url("hide", review), {"reason": "Off topic"})
    assert hidden.status_code == 200 and hidden.json()["status"] == "hidden"
    assert_kept_figures_match()
    assert reader.get(_url("detail", review)).status_code == 404
    mine = api_client_for(review.author).get(_url("detail", review)).json()
    assert mine["status_reason"] == "Off topic"
    assert verifier.post(_url("restore", review), {"reason": "Ok"}).status_code == 200
    assert_kept_figures_match()


def test_rating_summaries_in_the_artisan_and_piece_representations():
    review = review_of(rating=4)
    client = api_client_for(f.UserFactory())
    artisan = client.get(reverse("api:artisan-detail", args=[review.artisan.slug]))
    assert artisan.json()["rating"]["count"] == 1
    assert artisan.json()["rating"]["average"] == "4.00"
    stars = {
        row["stars"]: row["count"] for row in artisan.json()["rating"]["distribution"]
    }
    assert stars == {5: 0, 4: 1, 3: 0, 2: 0, 1: 0}
    piece = client.get(reverse("api:listing-detail", args=[review.listing.slug]))
    assert piece.json()["rating"]["count"] == 1


@pytest.mark.parametrize("who", ["anonymous", "buyer", "verifier"])
def test_the_list_costs_the_same_queries_for_one_review_or_many(who):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = {
        "anonymous": None,
        "buyer": f.UserFactory(),
        "verifier": f.VerifierFactory(),
    }[who]
    client = api_client_for(user) if user else APIClient()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    first = review_of(rating=5)
    services.review_reply(review=first, actor=first.artisan.user, text="Thanks")
    one, count_one = queries()
    for rating in (1, 2, 3, 4):
        review = review_of(rating=rating, photos=[f.image_upload()])
        services.review_reply(review=review, actor=review.artisan.user, text="Thanks")
    many, count_many = queries()
    assert (count_one, count_many) == (1, 5)
    assert many == one


def test_the_author_adds_and_removes_photos_within_the_limit():
    review = review_of(photos=[f.image_upload("a.jpg")])
    client = api_client_for(review.author)
    url = _url("detail", review)
    added = client.patch(
        url,
        {"photos": [f.image_upload("b.jpg"), f.image_upload("c.jpg")]},
        format="multipart",
    )
    assert added.status_code == 200 and len(added.json()["photos"]) == 3
    too_many = client.patch(
        url, {"photos": [f.image_upload("d.jpg")]}, format="multipart"
    )
    assert too_many.status_code == 400 and "photos" in too_many.json()
    first = added.json()["photos"][0]["id"]
    removed = client.patch(url, {"remove_photos": [first]}, format="json")
    assert removed.status_code == 200
    assert [p["id"] for p in removed.json()["photos"]] == [
        p["id"] for p in added.json()["photos"][1:]
    ]
    assert review.revisions.count() == 3


def test_a_photo_id_past_any_row_is_a_field_error():
    review = review_of(photos=[f.image_upload("a.jpg")])
    client = api_client_for(review.author)
    response = client.patch(
        _url("detail", review), {"remove_photos": [2**70]}, format="json"
    )
    assert response.status_code == 400
    assert "remove_photos" in response.json()
    assert review.photos.count() == 1
