"""/api/verification/: the verifiers' queue and one POST per transition."""

import pytest
from django.urls import reverse

from provenance.models import Review
from provenance.services.verification import evidence_add
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def submitted_mark(**kwargs):
    return factories.submitted(factories.MakerMarkFactory(**kwargs))


def review_of(record):
    return Review.objects.get(
        content_type__model=record._meta.model_name, object_id=record.pk
    )


def action_url(review, action):
    return reverse(f"api:verification-{action}", args=[review.pk])


def test_verifiers_list_with_filters_and_a_flat_query_count(
    verifier, django_assert_max_num_queries
):
    for _ in range(16):
        mark = submitted_mark()
        evidence_add(
            record=mark, actor=mark.artisan.user, uploaded=factories.pdf_upload()
        )
        factories.submitted(factories.ArtisanFactory())
    client = api_client_for(verifier)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api:verification-list"))
    assert response.status_code == 200
    assert response.data["count"] == 32
    first = response.data["results"][0]
    assert first["kind"] in ("maker's mark", "artisan profile")
    assert "verify" in first["allowed_actions"]
    response = client.get(
        reverse("api:verification-list"), {"kind": "makermark", "status": "waiting"}
    )
    assert response.data["count"] == 16
    assert all(row["model"] == "makermark" for row in response.data["results"])
    assert all(len(row["evidence"]) == 1 for row in response.data["results"])


def test_bad_filter_is_a_400(verifier):
    response = api_client_for(verifier).get(
        reverse("api:verification-list"), {"status": "nope"}
    )
    assert response.status_code == 400


def test_detail_has_claim_evidence_and_history(verifier):
    mark = submitted_mark(text="WSX")
    evidence_add(record=mark, actor=mark.artisan.user, uploaded=factories.pdf_upload())
    response = api_client_for(verifier).get(
        reverse("api:verification-detail", args=[review_of(mark).pk])
    )
    assert response.status_code == 200
    assert response.data["claim"]["Mark text or initials"] == "WSX"
    assert response.data["events"][0]["action"] == "submit"
    assert len(response.data["evidence"][0]["sha256"]) == 64


def test_each_transition_endpoint(verifier):
    client = api_client_for(verifier)
    mark = submitted_mark()
    review = review_of(mark)
    response = client.post(action_url(review, "start-review"))
    assert response.status_code == 200 and response.data["status"] == "in_review"
    response = client.post(
        action_url(review, "request-information"), {"reason": "More?"}
    )
    assert response.data["status"] == "needs_information"
    assert response.data["last_message"] == "More?"
    response = client.post(
        action_url(review, "reject"), {"reason": "No registry match."}
    )
    assert response.data["status"] == "rejected"

    mark = submitted_mark()
    review = review_of(mark)
    assert client.post(action_url(review, "verify")).data["status"] == "verified"
    assert (
        client.post(action_url(review, "suspend"), {"reason": "Complaint"}).data[
            "status"
        ]
        == "suspended"
    )
    assert (
        client.post(action_url(review, "reinstate"), {"reason": "Cleared"}).data[
            "status"
        ]
        == "verified"
    )
    response = client.post(action_url(review, "revoke"), {"reason": "Fraud"})
    assert response.data["status"] == "revoked"
    assert [e["action"] for e in response.data["events"]] == [
        "submit",
        "verify",
        "suspend",
        "reinstate",
        "revoke",
    ]
    mark.refresh_from_db()
    assert mark.verification_status == "revoked"


def test_wrong_state_missing_reason_and_submitter_are_refused(verifier):
    client = api_client_for(verifier)
    mark = submitted_mark()
    review = review_of(mark)
    response = client.post(action_url(review, "reinstate"), {"reason": "x"})
    assert response.status_code == 400
    response = client.post(action_url(review, "reject"), {"reason": ""})
    assert response.status_code == 400 and "reason" in response.data
    Review.objects.filter(pk=review.pk).update(submitted_by=verifier)
    response = client.post(action_url(review, "verify"))
    assert response.status_code == 403
    mark.refresh_from_db()
    assert mark.verification_status == "submitted"


def test_non_verifiers_see_nothing(api_client, user):
    mark = submitted_mark()
    review = review_of(mark)
    for client in (api_client_for(user), api_client_for(mark.artisan.user)):
        assert client.get(reverse("api:verification-list")).data["count"] == 0
        assert (
            client.get(reverse("api:verification-detail", args=[review.pk])).status_code
            == 404
        )
        assert client.post(action_url(review, "verify")).status_code == 404
    assert api_client.get(reverse("api:verification-list")).status_code == 401
    assert api_client.post(action_url(review, "verify")).status_code == 401
    mark.refresh_from_db()
    assert mark.verification_status == "submitted"
