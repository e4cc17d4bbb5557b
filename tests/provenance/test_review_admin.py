"""Admin actions decide claims through the same workflow service."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from provenance.models import Review, ReviewEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_verifier(verifier):
    verifier.is_staff = True
    verifier.is_superuser = True
    verifier.save()
    return verifier


def test_verify_from_the_review_admin(client, staff_verifier):
    mark = factories.submitted(factories.MakerMarkFactory())
    review = Review.objects.get(object_id=mark.pk)
    client.force_login(staff_verifier)
    response = client.post(
        reverse("admin:provenance_review_changelist"),
        {"action": "claim_verify", ACTION_CHECKBOX_NAME: [review.pk]},
    )
    assert response.status_code == 302
    mark.refresh_from_db()
    assert mark.verification_status == "verified"
    assert ReviewEvent.objects.filter(action="verify", actor=staff_verifier).exists()


def test_reject_asks_for_a_reason_first(client, staff_verifier):
    mark = factories.submitted(factories.MakerMarkFactory())
    client.force_login(staff_verifier)
    url = reverse("admin:artisans_makermark_changelist")
    response = client.post(
        url, {"action": "claim_reject", ACTION_CHECKBOX_NAME: [mark.pk]}
    )
    assert response.status_code == 200
    assert "give a reason" in response.content.decode()
    mark.refresh_from_db()
    assert mark.verification_status == "submitted"
    response = client.post(
        url,
        {
            "action": "claim_reject",
            ACTION_CHECKBOX_NAME: [mark.pk],
            "apply": "1",
            "reason": "No such registry entry.",
        },
    )
    assert response.status_code == 302
    mark.refresh_from_db()
    assert mark.verification_status == "rejected"
    assert ReviewEvent.objects.get(action="reject").reason == "No such registry entry."


def test_a_refused_move_is_reported_not_applied(client, staff_verifier):
    artisan = factories.ArtisanFactory()  # a draft: nothing to verify yet
    client.force_login(staff_verifier)
    response = client.post(
        reverse("admin:artisans_artisan_changelist"),
        {"action": "claim_verify", ACTION_CHECKBOX_NAME: [artisan.pk]},
        follow=True,
    )
    assert "Cannot verify" in response.content.decode()
    artisan.refresh_from_db()
    assert artisan.verification_status == "draft"


def test_admin_lists_render(client, staff_verifier):
    factories.submitted(factories.MakerMarkFactory())
    client.force_login(staff_verifier)
    for name in (
        "admin:provenance_review_changelist",
        "admin:provenance_reviewevent_changelist",
        "admin:provenance_evidence_changelist",
        "admin:artisans_artisan_changelist",
        "admin:artisans_makermark_changelist",
    ):
        assert client.get(reverse(name)).status_code == 200
    review = Review.objects.get()
    assert (
        client.get(
            reverse("admin:provenance_review_change", args=[review.pk])
        ).status_code
        == 200
    )
