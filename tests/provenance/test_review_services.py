"""The shared verification workflow: every move, who may make it, and what it records."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from provenance.models import Evidence, Review, ReviewEvent
from provenance.services.verification import (
    TRANSITIONS,
    allowed_actions,
    claim_resubmit,
    claim_submit,
    claim_transition,
    evidence_add,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def mark():
    return factories.MakerMarkFactory()


def move(record, actor, action, reason=""):
    review = claim_transition(record=record, actor=actor, action=action, reason=reason)
    record.refresh_from_db()
    return review


def test_submit_opens_a_review_case_and_records_who(mark):
    owner = mark.artisan.user
    review = claim_submit(record=mark, actor=owner)
    mark.refresh_from_db()
    assert mark.verification_status == "submitted"
    assert review.status == "submitted"
    assert review.submitted_by == owner
    assert review.artisan == mark.artisan
    event = ReviewEvent.objects.get(review=review)
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "submit",
        "draft",
        "submitted",
        owner,
    )


def test_the_full_path_with_a_request_for_information(mark, verifier):
    owner = mark.artisan.user
    claim_submit(record=mark, actor=owner)
    move(mark, verifier, "start_review")
    assert mark.verification_status == "in_review"
    move(mark, verifier, "request_information", "Send the registry extract.")
    assert mark.verification_status == "needs_information"
    review = claim_resubmit(
        record=mark,
        actor=owner,
        message="Attached.",
        files=[factories.pdf_upload()],
    )
    mark.refresh_from_db()
    assert mark.verification_status == "in_review"
    assert mark.has_evidence
    assert Evidence.objects.filter(object_id=mark.pk).count() == 1
    move(mark, verifier, "verify")
    assert mark.verification_status == "verified"
    assert mark.verified_at is not None
    assert mark.assurance_level == "verified"
    actions = list(review.events.values_list("action", flat=True))
    assert actions == [
        "submit",
        "start_review",
        "request_information",
        "resubmit",
        "verify",
    ]
    assert review.events.get(action="request_information").reason == (
        "Send the registry extract."
    )


@pytest.mark.parametrize(
    "path, final",
    [
        (["verify"], "verified"),
        (["start_review", "verify"], "verified"),
        (["reject"], "rejected"),
        (["start_review", "reject"], "rejected"),
        (["request_information", "reject"], "rejected"),
        (["verify", "suspend"], "suspended"),
        (["verify", "suspend", "reinstate"], "verified"),
        (["verify", "revoke"], "revoked"),
        (["verify", "suspend", "revoke"], "revoked"),
    ],
)
def test_each_verifier_move(mark, verifier, path, final):
    claim_submit(record=mark, actor=mark.artisan.user)
    for action in path:
        move(mark, verifier, action, reason="Checked against the registry.")
    assert mark.verification_status == final
    assert Review.objects.get(object_id=mark.pk).status == final
    assert (
        ReviewEvent.objects.filter(review__object_id=mark.pk).count() == len(path) + 1
    )


@pytest.mark.parametrize("status", ["rejected", "revoked"])
def test_a_rejected_or_revoked_claim_can_be_submitted_again(mark, verifier, status):
    claim_submit(record=mark, actor=mark.artisan.user)
    if status == "revoked":
        move(mark, verifier, "verify")
    move(mark, verifier, "reject" if status == "rejected" else "revoke", "No.")
    claim_submit(record=mark, actor=mark.artisan.user)
    mark.refresh_from_db()
    assert mark.verification_status == "submitted"


def test_the_reviewer_can_never_be_the_submitter(mark):
    owner = mark.artisan.user
    from django.contrib.auth.models import Group

    owner.groups.add(Group.objects.get_or_create(name="Verifiers")[0])
    claim_submit(record=mark, actor=owner)
    for action in ("start_review", "verify", "reject"):
        with pytest.raises(PermissionDenied):
            claim_transition(record=mark, actor=owner, action=action, reason="x")
    mark.refresh_from_db()
    assert mark.verification_status == "submitted"


def test_a_verifier_who_submitted_on_anothers_behalf_cannot_decide(mark, verifier):
    claim_submit(record=mark, actor=mark.artisan.user)
    Review.objects.filter(object_id=mark.pk).update(submitted_by=verifier)
    with pytest.raises(PermissionDenied):
        claim_transition(record=mark, actor=verifier, action="verify")


@pytest.mark.parametrize(
    "setup, action",
    [
        ([], "verify"),  # a draft was never submitted
        ([], "start_review"),
        (["submit", "verify"], "verify"),  # already verified
        (["submit", "verify"], "start_review"),
        (["submit"], "reinstate"),
        (["submit"], "suspend"),
        (["submit", "reject"], "verify"),
    ],
)
def test_moves_from_the_wrong_state_are_refused(mark, verifier, setup, action):
    for step in setup:
        actor = mark.artisan.user if step == "submit" else verifier
        move(mark, actor, step, reason="Because.")
    before = mark.verification_status
    events = ReviewEvent.objects.count()
    with pytest.raises(ValidationError):
        claim_transition(record=mark, actor=verifier, action=action, reason="Because.")
    mark.refresh_from_db()
    assert mark.verification_status == before
    assert ReviewEvent.objects.count() == events


def test_the_owner_cannot_submit_twice(mark):
    claim_submit(record=mark, actor=mark.artisan.user)
    with pytest.raises(ValidationError):
        claim_submit(record=mark, actor=mark.artisan.user)


@pytest.mark.parametrize(
    "action", [name for name, t in TRANSITIONS.items() if t.reason_required]
)
def test_a_reason_is_required_for_adverse_moves(mark, verifier, action):
    claim_submit(record=mark, actor=mark.artisan.user)
    source = TRANSITIONS[action].sources[0]
    type(mark).objects.filter(pk=mark.pk).update(verification_status=source)
    mark.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        claim_transition(record=mark, actor=verifier, action=action, reason="   ")
    assert "reason" in caught.value.message_dict
    mark.refresh_from_db()
    assert mark.verification_status == source


def test_only_verifiers_decide_and_only_owners_submit(mark, other_user, verifier):
    with pytest.raises(PermissionDenied):
        claim_submit(record=mark, actor=other_user)
    with pytest.raises(PermissionDenied):
        claim_submit(record=mark, actor=verifier)
    claim_submit(record=mark, actor=mark.artisan.user)
    with pytest.raises(PermissionDenied):
        claim_transition(record=mark, actor=other_user, action="verify")
    with pytest.raises(PermissionDenied):
        claim_transition(record=mark, actor=None, action="verify")
    with pytest.raises(ValidationError):
        claim_transition(record=mark, actor=verifier, action="approve")


def test_resubmit_needs_an_answer_and_the_right_state(mark, verifier):
    owner = mark.artisan.user
    claim_submit(record=mark, actor=owner)
    with pytest.raises(ValidationError):
        claim_resubmit(record=mark, actor=owner, message="Here it is.")
    move(mark, verifier, "request_information", "More, please.")
    with pytest.raises(ValidationError) as caught:
        claim_resubmit(record=mark, actor=owner, message="  ")
    assert "message" in caught.value.message_dict


def test_a_bad_file_in_a_resubmission_saves_nothing(mark, verifier):
    from django.core.files.uploadedfile import SimpleUploadedFile

    owner = mark.artisan.user
    claim_submit(record=mark, actor=owner)
    move(mark, verifier, "request_information", "More, please.")
    bad = SimpleUploadedFile("extract.jpg", b"not an image at all", "image/jpeg")
    with pytest.raises(ValidationError):
        claim_resubmit(
            record=mark, actor=owner, message="x", files=[factories.pdf_upload(), bad]
        )
    mark.refresh_from_db()
    assert mark.verification_status == "needs_information"
    assert not Evidence.objects.exists()


def test_evidence_is_stored_with_its_sha256(mark):
    import hashlib

    item = evidence_add(
        record=mark, actor=mark.artisan.user, uploaded=factories.pdf_upload()
    )
    item.file.open("rb")
    assert hashlib.sha256(item.file.read()).hexdigest() == item.sha256
    mark.refresh_from_db()
    assert mark.has_evidence and mark.assurance_level == "documented"


def test_another_user_cannot_add_evidence(mark, other_user):
    with pytest.raises(PermissionDenied):
        evidence_add(record=mark, actor=other_user, uploaded=factories.pdf_upload())
    assert not Evidence.objects.exists()


def test_allowed_actions_follow_the_table(mark):
    assert allowed_actions("draft", by="owner") == ["submit"]
    assert set(allowed_actions("submitted", by="verifier")) == {
        "start_review",
        "request_information",
        "verify",
        "reject",
    }
    assert set(allowed_actions("verified", by="verifier")) == {"suspend", "revoke"}
    assert allowed_actions("needs_information", by="owner") == ["resubmit"]


def test_the_artisan_profile_goes_through_the_same_workflow(verifier):
    artisan = factories.ArtisanFactory()
    claim_submit(record=artisan, actor=artisan.user)
    move(artisan, verifier, "verify")
    assert artisan.verification_badge == "verified"
    move(artisan, verifier, "suspend", "Complaint under investigation.")
    assert artisan.verification_badge == "suspended"
