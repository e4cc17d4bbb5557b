"""The one place where a claim's verification status changes.

Every move is checked against ``TRANSITIONS`` (from which states, by whom, whether a
reason is required) and recorded as a ``ReviewEvent`` in the same transaction, which
the platform's transparency log records as a decision leaf.
"""

import hashlib
import mimetypes
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from config.documents import sanitise_pdf
from config.images import MAX_UPLOAD_BYTES, process_image_upload
from marketplace.accounts.roles import is_verifier
from provenance.models import Evidence, Review, ReviewEvent, VerificationStatus
from provenance.services.transparency import log_decision
from provenance.signals import piece_claims_changed

S = VerificationStatus


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    by: str  # "verifier" or "owner"
    reason_required: bool = False
    label: str = ""


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(
        (S.DRAFT, S.REJECTED, S.REVOKED),
        S.SUBMITTED,
        "owner",
        label="Submit for review",
    ),
    "start_review": Transition(
        (S.SUBMITTED,), S.IN_REVIEW, "verifier", label="Start review"
    ),
    "request_information": Transition(
        (S.SUBMITTED, S.IN_REVIEW),
        S.NEEDS_INFORMATION,
        "verifier",
        True,
        "Request information",
    ),
    "resubmit": Transition(
        (S.NEEDS_INFORMATION,), S.IN_REVIEW, "owner", label="Send the answer"
    ),
    "verify": Transition(
        (S.SUBMITTED, S.IN_REVIEW), S.VERIFIED, "verifier", label="Verify"
    ),
    "reject": Transition(
        (S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFORMATION),
        S.REJECTED,
        "verifier",
        True,
        "Reject",
    ),
    "suspend": Transition((S.VERIFIED,), S.SUSPENDED, "verifier", True, "Suspend"),
    "reinstate": Transition((S.SUSPENDED,), S.VERIFIED, "verifier", True, "Reinstate"),
    "revoke": Transition(
        (S.VERIFIED, S.SUSPENDED), S.REVOKED, "verifier", True, "Revoke"
    ),
}

VERIFIER_ACTIONS = tuple(name for name, t in TRANSITIONS.items() if t.by == "verifier")


def allowed_actions(record_or_status, *, by: str | None = None) -> list[str]:
    """The transitions possible from a claim's current status, optionally for one role."""
    status = getattr(record_or_status, "verification_status", record_or_status)
    return [
        name
        for name, t in TRANSITIONS.items()
        if status in t.sources and (by is None or t.by == by)
    ]


def _review_for(record) -> Review:
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    review, _created = Review.objects.select_for_update().get_or_create(
        content_type=content_type,
        object_id=record.pk,
        defaults={
            "artisan": record.verification_artisan,
            "status": record.verification_status,
        },
    )
    return review


def _check_actor(record, review: Review, actor, transition: Transition) -> None:
    if transition.by == "owner":
        owner = record.verification_owner
        if actor is None or owner is None or actor.pk != owner.pk:
            raise PermissionDenied("Only the owner of this record can do that.")
        return
    if actor is None or not is_verifier(actor):
        raise PermissionDenied("Only a verifier can review claims.")
    owner = record.verification_owner
    if actor.pk == getattr(owner, "pk", None) or (
        review.submitted_by_id is not None and actor.pk == review.submitted_by_id
    ):
        raise PermissionDenied("A verifier cannot review a claim they submitted.")


@transaction.atomic
def claim_transition(*, record, actor, action: str, reason: str = "") -> Review:
    """Move a claim through the verification workflow, recording who, when and why."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": f"Unknown action “{action}”."})
    # Lock the row so that two verifiers cannot decide the same claim at once.
    record = type(record).objects.select_for_update().get(pk=record.pk)
    review = _review_for(record)
    _check_actor(record, review, actor, transition)
    current = record.verification_status
    if current not in transition.sources:
        raise ValidationError(
            f"Cannot {transition.label.lower() or action} a claim that is "
            f"{S(current).label.lower()}."
        )
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise ValidationError({"reason": "Give a reason: the artisan will see it."})

    now = timezone.now()
    record.verification_status = transition.target
    update_fields = ["verification_status"]
    if transition.target == S.VERIFIED:
        record.verified_at = now
        update_fields.append("verified_at")
    if hasattr(record, "updated_at"):
        update_fields.append("updated_at")
    record.save(update_fields=update_fields)

    review.status = transition.target
    if action in ("submit", "resubmit"):
        review.submitted_by = actor
        review.submitted_at = (
            now if action == "submit" else (review.submitted_at or now)
        )
    elif transition.by == "verifier":
        review.reviewer = actor
    if reason:
        review.last_message = reason
    review.artisan = record.verification_artisan
    review.save()
    decision = ReviewEvent.objects.create(
        review=review,
        actor=actor,
        action=action,
        from_status=current,
        to_status=transition.target,
        reason=reason,
    )
    log_decision(review_event=decision, record=record)
    if current != transition.target:
        # The status a certificate shows changed: the pieces it shows on record it.
        piece_claims_changed.send(
            sender=type(record),
            record=record,
            actor=actor,
            reason=f"{transition.label}: {record}"[:200],
        )
    return review


def claim_submit(*, record, actor) -> Review:
    """The owner submits a claim (new, rejected or revoked) for review."""
    return claim_transition(record=record, actor=actor, action="submit")


@transaction.atomic
def claim_resubmit(*, record, actor, message: str, files=()) -> Review:
    """Answer a verifier's request for information, with new evidence; back into review."""
    if not (message or "").strip() and not files:
        raise ValidationError({"message": "Write an answer or attach new evidence."})
    for uploaded in files:
        evidence_add(record=record, actor=actor, uploaded=uploaded)
    return claim_transition(
        record=record, actor=actor, action="resubmit", reason=message
    )


# --- Evidence ---------------------------------------------------------------------------

EVIDENCE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
EVIDENCE_DOCUMENT_TYPES = {"application/pdf"}


def _read_document(uploaded) -> bytes:
    if uploaded.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": f"The file is too large; the limit is {MAX_UPLOAD_BYTES // 1_048_576} MB."
            }
        )
    uploaded.seek(0)
    data = uploaded.read()
    if not data.startswith(b"%PDF-"):
        raise ValidationError(
            {"file": "Upload a PDF document or a JPEG, PNG or WebP image."}
        )
    try:
        return sanitise_pdf(data)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error


def prepare_evidence_file(uploaded) -> tuple[ContentFile, str, str]:
    """Check an evidence upload; images are re-encoded, PDFs rewritten without metadata
    or script. Returns the file to store, its SHA-256 and its media type."""
    guessed = mimetypes.guess_type(uploaded.name or "")[0] or ""
    if guessed in EVIDENCE_DOCUMENT_TYPES:
        data = _read_document(uploaded)
        media_type = "application/pdf"
        content = ContentFile(data, name="document.pdf")  # stored under a random name
    else:
        try:
            processed = process_image_upload(uploaded)
        except ValidationError as error:
            raise ValidationError({"file": error.messages}) from error
        content = processed.content
        media_type = "image/jpeg" if content.name.endswith(".jpg") else "image/png"
    data = content.read()
    content.seek(0)
    return content, hashlib.sha256(data).hexdigest(), media_type


@transaction.atomic
def evidence_add(*, record, actor, uploaded, description: str = "") -> Evidence:
    """Attach a supporting document to a claim; it becomes at least 'documented'."""
    owner = record.verification_owner
    if actor is None or (
        actor.pk != getattr(owner, "pk", None) and not is_verifier(actor)
    ):
        raise PermissionDenied("Only the owner of this record can add evidence.")
    if record.verification_status in (S.VERIFIED, S.SUSPENDED, S.REVOKED):
        # A decided claim is judged on the evidence it had; new evidence comes with a
        # new submission.
        raise ValidationError(
            {"file": "A verified, suspended or revoked claim takes no new evidence."}
        )
    content, sha256, media_type = prepare_evidence_file(uploaded)
    evidence = Evidence(
        content_type=ContentType.objects.get_for_model(
            record, for_concrete_model=False
        ),
        object_id=record.pk,
        sha256=sha256,
        original_name=(uploaded.name or "")[:255],
        content_type_label=media_type,
        size=content.size,
        description=description[:255],
        uploaded_by=actor,
    )
    evidence.file.save(content.name, content, save=False)
    evidence.save()
    if not record.has_evidence:
        type(record).objects.filter(pk=record.pk).update(has_evidence=True)
        record.has_evidence = True
    piece_claims_changed.send(
        sender=type(record), record=record, actor=actor, reason="Evidence was added."
    )
    return evidence
