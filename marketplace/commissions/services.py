"""The commission workflow: every move is checked against ``TRANSITIONS``.

A move names the states it starts from, the status it leads to (``None`` when the
status stays, e.g. a progress update), and the party allowed to make it. Each move
writes an append-only ``CommissionEvent``, a system message in the thread, and a
notification to the other party, who is also emailed when the move asks them to act.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from artisans.models import Artisan
from config.images import process_image_upload
from marketplace.catalogue.models import Listing, MetalComponent
from marketplace.catalogue.services.listings import (
    GEMSTONE_FIELDS,
    gemstone_add,
    listing_create,
    listing_sell_privately,
    metal_component_add,
)
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    CommissionPayment,
    CommissionReferenceImage,
    Message,
    MessageAttachment,
    ProgressPhoto,
    ProgressUpdate,
    Quote,
)
from marketplace.commissions.notifications import notification_notify
from marketplace.payments import services as payments
from ops.services import thumbnails_after_commit
from provenance.models import MaterialLot
from provenance.services.certificates import certificate_issue
from provenance.services.events import piece_fabricate
from provenance.services.verification import evidence_add, prepare_evidence_file

S = Commission.Status
BUYER, ARTISAN, EITHER, SYSTEM = "buyer", "artisan", "either", "system"
PAYMENT_STATES = (
    S.ACCEPTED,
    S.IN_PROGRESS,
    S.READY_FOR_REVIEW,
    S.APPROVED,
    S.COMPLETED,
)
MAX_REFERENCE_IMAGES = 8
MAX_PHOTOS = 8
MAX_ATTACHMENTS = 5


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays as it is
    by: str  # BUYER, ARTISAN, EITHER or SYSTEM
    label: str
    reason_required: bool = False


TRANSITIONS: dict[str, Move] = {
    "request": Move(("",), S.SUBMITTED, BUYER, "request a commission"),
    "join_waitlist": Move(("",), S.WAITLISTED, BUYER, "join the waitlist"),
    "admit": Move((S.WAITLISTED,), S.SUBMITTED, ARTISAN, "admit from the waitlist"),
    "decline": Move((S.WAITLISTED, S.SUBMITTED), S.DECLINED, ARTISAN, "decline", True),
    "quote": Move((S.SUBMITTED, S.QUOTED), S.QUOTED, ARTISAN, "send a quote"),
    "accept_quote": Move((S.QUOTED,), S.ACCEPTED, BUYER, "accept a quote"),
    "decline_quote": Move((S.QUOTED,), S.SUBMITTED, BUYER, "decline a quote"),
    "start": Move((S.ACCEPTED,), S.IN_PROGRESS, ARTISAN, "start the work"),
    "post_update": Move((S.IN_PROGRESS,), None, ARTISAN, "post a progress update"),
    "approve_update": Move((S.IN_PROGRESS,), None, BUYER, "approve an update"),
    "request_changes": Move(
        (S.IN_PROGRESS,), None, BUYER, "request changes to an update", True
    ),
    "submit_for_review": Move(
        (S.IN_PROGRESS,), S.READY_FOR_REVIEW, ARTISAN, "submit the piece for review"
    ),
    "approve": Move((S.READY_FOR_REVIEW,), S.APPROVED, BUYER, "approve the piece"),
    "send_back": Move(
        (S.READY_FOR_REVIEW,), S.IN_PROGRESS, BUYER, "send the piece back", True
    ),
    "complete": Move((S.APPROVED,), S.COMPLETED, ARTISAN, "complete the commission"),
    "cancel": Move(Commission.OPEN_STATUSES, S.CANCELLED, EITHER, "cancel", True),
    "expire": Move((S.SUBMITTED, S.QUOTED), S.EXPIRED, SYSTEM, "expire"),
    "record_payment": Move(PAYMENT_STATES, None, BUYER, "record a payment"),
    "confirm_payment": Move(PAYMENT_STATES, None, ARTISAN, "confirm a payment"),
}

# What the other party is asked to do after a move (the email's call to action).
ACTION_NEEDED: dict[str, str] = {
    "request": "Reply with a quote, or decline the request.",
    "admit": "",
    "quote": "Accept or decline the quote.",
    "accept_quote": "Start the work (once any deposit is confirmed).",
    "decline_quote": "Send a new quote, or decline the request.",
    "request_changes": "Post a revised progress update.",
    "submit_for_review": "Approve the finished piece, or send it back with a reason.",
    "send_back": "Make the changes and submit the piece for review again.",
    "approve": "Record the materials used and complete the commission.",
    "record_payment": "Confirm the payment once you have received it.",
}


def party_of(user, commission: Commission) -> str | None:
    """BUYER or ARTISAN when the user is one of the commission's two parties."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.pk == commission.buyer_id:
        return BUYER
    if user.pk == commission.artisan.user_id:
        return ARTISAN
    return None


def allowed_moves(user, commission: Commission) -> list[str]:
    """The moves this user may attempt on the commission in its current state."""
    party = party_of(user, commission)
    if party is None:
        return []
    return [
        name
        for name, move in TRANSITIONS.items()
        if commission.status in move.sources and move.by in (party, EITHER)
    ]


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else "Touchstone"


def _locked(commission: Commission) -> Commission:
    return (
        Commission.objects.select_for_update(of=("self",))
        .select_related("artisan__user", "buyer")
        .get(pk=commission.pk)
    )


def _check(commission: Commission, actor, action: str, reason: str = "") -> Move:
    move = TRANSITIONS[action]
    if move.by == SYSTEM:
        if actor is not None:
            raise PermissionDenied("Only Touchstone itself can do that.")
    else:
        party = party_of(actor, commission)
        if party is None:
            raise PermissionDenied("Only the buyer and the artisan can act on this.")
        if move.by not in (party, EITHER):
            raise PermissionDenied(f"Only the {move.by} can {move.label}.")
    if commission.status not in move.sources:
        raise ValidationError(
            f"You cannot {move.label} while the commission is "
            f"{S(commission.status).label.lower()}.",
            code="invalid_state",
        )
    if move.reason_required and not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason: the other party will see it."})
    return move


def _record(
    commission: Commission,
    actor,
    action: str,
    *,
    text: str,
    reason: str = "",
    payload: dict | None = None,
    extra_fields: Sequence[str] = (),
    notify_action: str | None = None,
) -> CommissionEvent:
    """Apply a checked move: status, event, system message and notifications."""
    move = TRANSITIONS[action]
    from_status = "" if action in ("request", "join_waitlist") else commission.status
    if move.target is not None:
        commission.status = move.target
    commission.save(update_fields=["status", "updated_at", *extra_fields])
    reason = (reason or "").strip()
    event = CommissionEvent.objects.create(
        commission=commission,
        actor=actor,
        kind=action,
        from_status=from_status,
        to_status=commission.status,
        reason=reason,
        payload=payload or {},
    )
    body = f"{text} Reason: {reason}" if reason else text
    Message.objects.create(commission=commission, author=None, event=event, body=body)
    action_text = (
        ACTION_NEEDED.get(action, "") if notify_action is None else notify_action
    )
    party = party_of(actor, commission)
    recipients = []
    if party != BUYER:
        recipients.append(commission.buyer)
    if party != ARTISAN:
        recipients.append(commission.artisan.user)
    for recipient in recipients:
        # A system move (expiry) informs both; only the other party is asked to act.
        notification_notify(
            recipient=recipient,
            commission=commission,
            event=event,
            verb=f"#{commission.pk} {commission.title}: {body}",
            action=action_text if party is not None else "",
        )
    return event


def _process_images(files, field: str, limit: int):
    files = list(files or ())
    if len(files) > limit:
        raise ValidationError({field: f"Attach at most {limit} images."})
    processed = []
    for uploaded in files:
        try:
            processed.append(process_image_upload(uploaded))
        except ValidationError as error:
            name = getattr(uploaded, "name", "") or "image"
            raise ValidationError(
                {field: [f"{name}: {message}" for message in error.messages]}
            ) from error
    return processed


def _store_image(instance, processed, *, thumb_size: int = 480) -> None:
    instance.image.save(processed.content.name, processed.content, save=False)
    instance.save()
    thumbnails_after_commit(instance, source="image", sizes={"thumbnail": thumb_size})


def waitlist_position(commission: Commission) -> int | None:
    """1 for the first request in the artisan's queue; None when not waitlisted."""
    return (
        Commission.objects.with_waitlist_position()
        .values_list("waitlist_position", flat=True)
        .get(pk=commission.pk)
    )


# --- Requests ---------------------------------------------------------------------------


@transaction.atomic
def commission_request(
    *,
    buyer,
    artisan: Artisan,
    kind: str,
    title: str,
    brief: str,
    category: str = Listing.Category.RING,
    base_listing: Listing | None = None,
    budget_min: Decimal | None = None,
    budget_max: Decimal | None = None,
    currency: str = "GBP",
    desired_date: date | None = None,
    ring_size: str = "",
    measurements: str = "",
    engraving_text: str = "",
    material_preferences: str = "",
    reference_images: Sequence = (),
) -> Commission:
    """A buyer asks an artisan for a bespoke piece or a modification of one of theirs.

    Open artisans receive it at once; waitlisted artisans queue it (first come, first
    served); closed artisans refuse it.
    """
    if buyer is None or not buyer.is_authenticated:
        raise PermissionDenied("Log in to request a commission.")
    artisan = (
        Artisan.objects.select_for_update().select_related("user").get(pk=artisan.pk)
    )
    if artisan.user_id == buyer.pk:
        raise ValidationError("You cannot commission a piece from yourself.")
    if artisan.commission_status == Artisan.CommissionStatus.CLOSED:
        raise ValidationError(
            f"{artisan.public_name} is not taking commissions at the moment. "
            "Follow their page to hear when they open again.",
            code="closed",
        )
    errors: dict[str, list[str]] = {}
    if kind == Commission.Kind.MODIFICATION:
        if base_listing is None:
            errors["base_listing"] = ["Choose the piece you would like modified."]
        elif not (
            Listing.objects.public()
            .filter(pk=base_listing.pk, artisan_id=artisan.pk)
            .exists()
        ):
            errors["base_listing"] = [
                f"Choose one of {artisan.public_name}'s own published pieces."
            ]
    elif base_listing is not None:
        errors["base_listing"] = ["Only a modification starts from an existing piece."]
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        errors["budget_max"] = ["The maximum must not be below the minimum."]
    if desired_date is not None and desired_date < timezone.localdate():
        errors["desired_date"] = ["The desired date cannot be in the past."]
    commission = Commission(
        buyer=buyer,
        artisan=artisan,
        kind=kind,
        base_listing=base_listing,
        title=(title or "").strip(),
        category=category,
        brief=(brief or "").strip(),
        budget_min=budget_min,
        budget_max=budget_max,
        currency=(currency or "").upper(),
        desired_date=desired_date,
        ring_size=ring_size.strip(),
        measurements=measurements.strip(),
        engraving_text=engraving_text.strip(),
        material_preferences=material_preferences.strip(),
    )
    try:
        commission.full_clean(exclude=["base_listing"], validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    processed = _process_images(
        reference_images, "reference_images", MAX_REFERENCE_IMAGES
    )

    waitlisted = artisan.commission_status == Artisan.CommissionStatus.WAITLIST
    commission.status = S.WAITLISTED if waitlisted else S.SUBMITTED
    commission.submitted_at = None if waitlisted else timezone.now()
    commission.save()
    for number, image in enumerate(processed, start=1):
        _store_image(
            CommissionReferenceImage(
                commission=commission,
                alt_text=f"Reference image {number} for “{commission.title}”"[:200],
            ),
            image,
        )
    what = (
        f"a modification of “{base_listing.title}”"
        if base_listing
        else f"a bespoke {commission.get_category_display().lower()}"
    )
    if waitlisted:
        position = waitlist_position(commission)
        _record(
            commission,
            buyer,
            "join_waitlist",
            text=(
                f"{_name(buyer)} asked {artisan.public_name} for {what}. "
                f"The request joined the waitlist at position {position}."
            ),
            payload={"position": position},
            notify_action="",
        )
    else:
        _record(
            commission,
            buyer,
            "request",
            text=f"{_name(buyer)} asked {artisan.public_name} for {what}.",
            extra_fields=["submitted_at"],
        )
    return commission


@transaction.atomic
def commission_admit(*, actor, commission: Commission) -> Commission:
    """The artisan takes the first request off their waitlist; it is now submitted."""
    commission = _locked(commission)
    _check(commission, actor, "admit")
    first = (
        Commission.objects.filter(artisan_id=commission.artisan_id)
        .in_waitlist_order()
        .first()
    )
    if first is not None and first.pk != commission.pk:
        raise ValidationError(
            f"Admit requests in the order they arrived: #{first.pk} is first in line.",
            code="not_first",
        )
    commission.submitted_at = timezone.now()
    _record(
        commission,
        actor,
        "admit",
        text=f"{commission.artisan.public_name} admitted the request from the waitlist.",
        extra_fields=["submitted_at"],
        notify_action="",
    )
    return commission


@transaction.atomic
def commission_admit_next(*, actor, artisan: Artisan) -> Commission:
    """Admit whichever request has waited longest on the artisan's waitlist."""
    first = Commission.objects.filter(artisan_id=artisan.pk).in_waitlist_order().first()
    if first is None:
        raise ValidationError("Nobody is waiting on your waitlist.", code="empty")
    return commission_admit(actor=actor, commission=first)


@transaction.atomic
def commission_decline(*, actor, commission: Commission, reason: str) -> Commission:
    """The artisan declines a request, saying why."""
    commission = _locked(commission)
    _check(commission, actor, "decline", reason)
    _record(
        commission,
        actor,
        "decline",
        text=f"{commission.artisan.public_name} declined the request.",
        reason=reason,
        notify_action="",
    )
    return commission


# --- Quotes -----------------------------------------------------------------------------


@transaction.atomic
def commission_quote(
    *,
    actor,
    commission: Commission,
    price: Decimal,
    deposit: Decimal,
    estimated_completion_date: date,
    materials_commitments: str,
    valid_until: date,
    note: str = "",
    currency: str | None = None,
) -> Quote:
    """The artisan sends a quote; a new version supersedes the current one."""
    commission = _locked(commission)
    _check(commission, actor, "quote")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if price is None or price <= 0:
        errors["price"] = ["The price must be more than zero."]
    if valid_until is None or valid_until < today:
        errors["valid_until"] = ["The quote must be valid until today or later."]
    if estimated_completion_date is None or estimated_completion_date < today:
        errors["estimated_completion_date"] = [
            "The completion date cannot be in the past."
        ]
    if not (materials_commitments or "").strip():
        errors["materials_commitments"] = [
            "Say what the piece will be made of and where the materials come from."
        ]
    quote = Quote(
        commission=commission,
        price=price,
        deposit=deposit,
        currency=(currency or commission.currency).upper(),
        estimated_completion_date=estimated_completion_date,
        materials_commitments=(materials_commitments or "").strip(),
        note=(note or "").strip(),
        valid_until=valid_until,
        created_by=actor,
    )
    try:
        # The model's constraints hold the deposit's rule (at most the price).
        quote.full_clean(exclude=["commission", "version", "created_by"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    previous = commission.quotes.select_for_update().filter(status=Quote.Status.CURRENT)
    superseded = list(previous.values_list("version", flat=True))
    previous.update(status=Quote.Status.SUPERSEDED, updated_at=timezone.now())
    quote.version = (commission.quotes.aggregate(v=Max("version"))["v"] or 0) + 1
    quote.save()
    version = quote.version
    replaced = f" It replaces v{superseded[0]}." if superseded else ""
    _record(
        commission,
        actor,
        "quote",
        text=(
            f"{commission.artisan.public_name} sent quote v{version}: {price} "
            f"{quote.currency}, deposit {deposit} {quote.currency}, ready by "
            f"{estimated_completion_date:%d %b %Y}, valid until {valid_until:%d %b %Y}."
            f"{replaced}"
        ),
        payload={"version": version, "superseded": superseded},
    )
    return quote


def _quote_for(commission: Commission, version) -> Quote:
    try:
        return commission.quotes.select_for_update().get(version=int(version))
    except (Quote.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"version": f"This commission has no quote version {version}."}
        ) from None


@transaction.atomic
def commission_accept_quote(*, actor, commission: Commission, version: int) -> Quote:
    """The buyer accepts one specific, current and unexpired version of the quote."""
    commission = _locked(commission)
    _check(commission, actor, "accept_quote")
    quote = _quote_for(commission, version)
    if quote.status == Quote.Status.SUPERSEDED:
        current = commission.quotes.filter(status=Quote.Status.CURRENT).first()
        newer = f" by v{current.version}" if current else ""
        raise ValidationError(
            f"Quote v{quote.version} has been replaced{newer}; accept the current version.",
            code="superseded",
        )
    if quote.status == Quote.Status.EXPIRED or quote.valid_until < timezone.localdate():
        raise ValidationError(
            f"Quote v{quote.version} expired on {quote.valid_until:%d %b %Y} and can no "
            "longer be accepted. Ask the artisan for a new quote.",
            code="expired",
        )
    if quote.status != Quote.Status.CURRENT:
        raise ValidationError(
            f"Quote v{quote.version} is {quote.get_status_display().lower()}.",
            code="not_current",
        )
    quote.status = Quote.Status.ACCEPTED
    quote.decided_at = timezone.now()
    quote.save(update_fields=["status", "decided_at", "updated_at"])
    deposit = (
        f" The deposit of {quote.deposit} {quote.currency} is due before work starts."
        if quote.deposit
        else ""
    )
    _record(
        commission,
        actor,
        "accept_quote",
        text=f"{_name(actor)} accepted quote v{quote.version}.{deposit}",
        payload={"version": quote.version},
    )
    return quote


@transaction.atomic
def commission_decline_quote(
    *, actor, commission: Commission, version: int, reason: str = ""
) -> Quote:
    """The buyer declines the current quote; the artisan may send a new one."""
    commission = _locked(commission)
    _check(commission, actor, "decline_quote", reason)
    quote = _quote_for(commission, version)
    if quote.status != Quote.Status.CURRENT:
        raise ValidationError(
            f"Quote v{quote.version} is {quote.get_status_display().lower()}; only the "
            "current quote can be declined.",
            code="not_current",
        )
    quote.status = Quote.Status.DECLINED
    quote.decided_at = timezone.now()
    quote.save(update_fields=["status", "decided_at", "updated_at"])
    commission.submitted_at = timezone.now()
    _record(
        commission,
        actor,
        "decline_quote",
        text=f"{_name(actor)} declined quote v{quote.version}.",
        reason=reason,
        payload={"version": quote.version},
        extra_fields=["submitted_at"],
    )
    return quote


def accepted_quote(commission: Commission) -> Quote | None:
    return commission.quotes.filter(status=Quote.Status.ACCEPTED).first()


# --- Work -------------------------------------------------------------------------------


@transaction.atomic
def commission_start(*, actor, commission: Commission) -> Commission:
    """The artisan starts work, once any deposit asked for is confirmed."""
    commission = _locked(commission)
    _check(commission, actor, "start")
    quote = accepted_quote(commission)
    if quote and not commission.deposit_confirmed(quote):
        raise ValidationError(
            f"Start once the deposit of {quote.deposit} {quote.currency} is confirmed.",
            code="deposit_due",
        )
    _record(
        commission,
        actor,
        "start",
        text=f"{commission.artisan.public_name} started work on the piece.",
    )
    return commission


@transaction.atomic
def commission_post_update(
    *,
    actor,
    commission: Commission,
    stage: str,
    note: str,
    needs_approval: bool = False,
    photos: Sequence = (),
    use_as_evidence: bool = False,
) -> ProgressUpdate:
    """The artisan reports progress, with photos, optionally asking for approval."""
    commission = _locked(commission)
    _check(commission, actor, "post_update")
    update = ProgressUpdate(
        commission=commission,
        author=actor,
        stage=stage,
        note=(note or "").strip(),
        needs_approval=bool(needs_approval),
        approval_status=(
            ProgressUpdate.Approval.PENDING
            if needs_approval
            else ProgressUpdate.Approval.NOT_NEEDED
        ),
    )
    update.full_clean(exclude=["commission", "author"])
    processed = _process_images(photos, "photos", MAX_PHOTOS)
    update.save()
    for number, image in enumerate(processed, start=1):
        _store_image(
            ProgressPhoto(
                update=update,
                alt_text=(
                    f"{update.get_stage_display()} of “{commission.title}”, photo {number}"
                )[:200],
                use_as_evidence=bool(use_as_evidence),
            ),
            image,
            thumb_size=640,
        )
    asks = " It asks for your approval." if needs_approval else ""
    photos_text = f" ({len(processed)} photo{'s' if len(processed) != 1 else ''})"
    _record(
        commission,
        actor,
        "post_update",
        text=(
            f"{commission.artisan.public_name} posted a progress update: "
            f"{update.get_stage_display()}{photos_text if processed else ''}.{asks}"
        ),
        payload={"update": update.pk, "needs_approval": update.needs_approval},
        notify_action=(
            "Approve the progress update or request changes." if needs_approval else ""
        ),
    )
    return update


def _pending_update(commission: Commission, update_id) -> ProgressUpdate:
    try:
        update = commission.progress_updates.select_for_update().get(pk=int(update_id))
    except (ProgressUpdate.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"update": "This commission has no such progress update."}
        ) from None
    if not update.awaits_approval:
        raise ValidationError(
            "This progress update is not awaiting your approval.", code="not_pending"
        )
    return update


@transaction.atomic
def commission_approve_update(
    *, actor, commission: Commission, update_id: int, note: str = ""
) -> ProgressUpdate:
    """The buyer approves a progress update that asked for approval."""
    commission = _locked(commission)
    _check(commission, actor, "approve_update")
    update = _pending_update(commission, update_id)
    update.approval_status = ProgressUpdate.Approval.APPROVED
    update.buyer_note = (note or "").strip()
    update.decided_at = timezone.now()
    update.save(
        update_fields=["approval_status", "buyer_note", "decided_at", "updated_at"]
    )
    _record(
        commission,
        actor,
        "approve_update",
        text=f"{_name(actor)} approved the {update.get_stage_display().lower()} update.",
        reason=note,
        payload={"update": update.pk},
    )
    return update


@transaction.atomic
def commission_request_changes(
    *, actor, commission: Commission, update_id: int, note: str
) -> ProgressUpdate:
    """The buyer asks for changes to a progress update, saying what to change."""
    commission = _locked(commission)
    _check(commission, actor, "request_changes", note)
    update = _pending_update(commission, update_id)
    update.approval_status = ProgressUpdate.Approval.CHANGES_REQUESTED
    update.buyer_note = note.strip()
    update.decided_at = timezone.now()
    update.save(
        update_fields=["approval_status", "buyer_note", "decided_at", "updated_at"]
    )
    _record(
        commission,
        actor,
        "request_changes",
        text=(
            f"{_name(actor)} asked for changes to the "
            f"{update.get_stage_display().lower()} update."
        ),
        reason=note,
        payload={"update": update.pk},
    )
    return update


@transaction.atomic
def commission_submit_for_review(*, actor, commission: Commission) -> Commission:
    """The artisan says the piece is finished and asks the buyer to review it."""
    commission = _locked(commission)
    _check(commission, actor, "submit_for_review")
    if not commission.progress_updates.exists():
        raise ValidationError(
            "Post at least one progress update showing the piece before asking for "
            "review.",
            code="no_updates",
        )
    if commission.progress_updates.filter(
        approval_status=ProgressUpdate.Approval.PENDING
    ).exists():
        raise ValidationError(
            "A progress update still awaits the buyer's approval.", code="pending"
        )
    _record(
        commission,
        actor,
        "submit_for_review",
        text=f"{commission.artisan.public_name} marked the piece ready for review.",
    )
    return commission


@transaction.atomic
def commission_approve(*, actor, commission: Commission) -> Commission:
    """The buyer approves the finished piece."""
    commission = _locked(commission)
    _check(commission, actor, "approve")
    _record(
        commission,
        actor,
        "approve",
        text=f"{_name(actor)} approved the finished piece.",
    )
    return commission


@transaction.atomic
def commission_send_back(*, actor, commission: Commission, reason: str) -> Commission:
    """The buyer sends the piece back to the bench, saying what is wrong."""
    commission = _locked(commission)
    _check(commission, actor, "send_back", reason)
    _record(
        commission,
        actor,
        "send_back",
        text=f"{_name(actor)} sent the piece back for more work.",
        reason=reason,
    )
    return commission


def _piece_create(commission: Commission, *, actor, title: str, description: str):
    """The finished piece, a draft of the artisan's derived from any base piece."""
    base = commission.base_listing
    quote = accepted_quote(commission)
    return listing_create(
        artisan=commission.artisan,
        actor=actor,
        techniques=base.techniques.all() if base else None,
        derived_from=base,
        title=title or commission.title,
        description=description
        or (base.description if base else "")
        or commission.brief,
        category=base.category if base else commission.category,
        price=quote.price if quote else None,
        currency=quote.currency if quote else commission.currency,
        kind=Listing.Kind.ONE_OF_A_KIND,
        dimensions=base.dimensions if base else commission.measurements[:120],
        ring_size=commission.ring_size or (base.ring_size if base else ""),
        care_instructions=base.care_instructions if base else "",
    )


METAL_FIELDS = (
    "metal",
    "fineness",
    "construction",
    "weight_grams",
    "plating_metal",
    "plating_thickness_microns",
)


def _piece_materials(listing: Listing, *, actor, metals: Sequence[dict], base) -> None:
    """The piece's metals (those given, else its base piece's) and its base piece's
    stones, each added through the catalogue and so checked by its rules."""
    if not metals and base is not None:
        metals = [
            {name: getattr(component, name) for name in METAL_FIELDS}
            for component in base.metals.all()
        ]
    for data in metals:
        metal_component_add(
            listing=listing,
            actor=actor,
            metal=data.get("metal") or "",
            fineness=data.get("fineness"),
            construction=data.get("construction") or MetalComponent.Construction.SOLID,
            weight_grams=data.get("weight_grams"),
            plating_metal=data.get("plating_metal") or "",
            plating_thickness_microns=data.get("plating_thickness_microns"),
        )
    if base is not None:
        for stone in base.gemstones.all():
            gemstone_add(
                listing=listing,
                actor=actor,
                **{name: getattr(stone, name) for name in GEMSTONE_FIELDS},
            )


@transaction.atomic
def commission_complete(
    *,
    actor,
    commission: Commission,
    title: str = "",
    description: str = "",
    metals: Sequence[dict] = (),
    inputs: Sequence[tuple[MaterialLot, Decimal]] = (),
    loss_grams: Decimal | None = None,
) -> Listing:
    """The artisan completes an approved commission: the piece becomes the buyer's.

    It is created through the catalogue's services, so its materials meet the
    catalogue's rules, and sold privately to the buyer; for a modification it derives
    from the base listing (whose category, techniques and materials it copies).
    ``metals`` (``METAL_FIELDS``: metal, fineness, construction, weight_grams and any
    plating) describe the finished piece; a bespoke piece needs them, a modification
    may keep its base's. Nothing is created when any of it is refused.
    Its provenance chain starts with a fabrication from the artisan's lots
    (``inputs``: lot and grams, ``loss_grams`` lost at the bench); progress photos
    marked as evidence are attached to that event; its certificate is owned by the
    buyer.
    """
    commission = _locked(commission)
    _check(commission, actor, "complete")
    metals = list(metals or ())
    if not metals and commission.base_listing_id is None:
        raise ValidationError(
            {"weight_grams": "Give the finished piece's metal, fineness and weight."}
        )
    listing = _piece_create(
        commission,
        actor=actor,
        title=(title or "").strip(),
        description=(description or "").strip(),
    )
    _piece_materials(listing, actor=actor, metals=metals, base=commission.base_listing)
    listing = listing_sell_privately(
        listing=listing,
        actor=actor,
        buyer=commission.buyer,
        note=f"Made to commission #{commission.pk} for its buyer.",
    )
    # The certificate first, so that it is issued to the buyer, not left unowned.
    certificate = certificate_issue(listing=listing, owner=commission.buyer)
    event = piece_fabricate(
        actor=actor,
        listing=listing,
        inputs=list(inputs),
        loss_grams=loss_grams,
        process="fabrication",
        note=f"Made to commission #{commission.pk}.",
    )
    evidence = ProgressPhoto.objects.filter(
        update__commission=commission, use_as_evidence=True
    ).order_by("id")
    for photo in evidence:
        photo.image.open("rb")
        try:
            evidence_add(
                record=event,
                actor=actor,
                uploaded=photo.image,
                description=photo.alt_text,
            )
        finally:
            photo.image.close()
    commission.completed_listing = listing
    _record(
        commission,
        actor,
        "complete",
        text=(
            f"{commission.artisan.public_name} completed the commission: "
            f"“{listing.title}” now belongs to {_name(commission.buyer)}."
        ),
        payload={
            "listing": listing.pk,
            "certificate": certificate.code,
            "trace_event": event.pk,
        },
        extra_fields=["completed_listing"],
    )
    return listing


# --- Leaving the path -------------------------------------------------------------------


@transaction.atomic
def commission_cancel(*, actor, commission: Commission, reason: str) -> Commission:
    """Either party cancels an open commission, saying why."""
    commission = _locked(commission)
    _check(commission, actor, "cancel", reason)
    commission.quotes.filter(status=Quote.Status.CURRENT).update(
        status=Quote.Status.SUPERSEDED, updated_at=timezone.now()
    )
    _record(
        commission,
        actor,
        "cancel",
        text=f"{_name(actor)} cancelled the commission.",
        reason=reason,
        notify_action="",
    )
    return commission


@transaction.atomic
def commission_expire(*, commission: Commission, reason: str) -> Commission:
    """Touchstone expires an unanswered request or a quote past its date."""
    commission = _locked(commission)
    _check(commission, None, "expire")
    expired = list(
        commission.quotes.filter(status=Quote.Status.CURRENT).values_list(
            "version", flat=True
        )
    )
    commission.quotes.filter(status=Quote.Status.CURRENT).update(
        status=Quote.Status.EXPIRED, updated_at=timezone.now()
    )
    _record(
        commission,
        None,
        "expire",
        text="The commission expired.",
        reason=reason,
        payload={"expired_quotes": expired},
    )
    return commission


def commission_expire_due(*, now=None) -> list[Commission]:
    """Expire requests unanswered for ``COMMISSION_REQUEST_EXPIRY_DAYS`` and quotes
    past their valid-until date. Each commission expires in its own transaction."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = settings.COMMISSION_REQUEST_EXPIRY_DAYS
    unanswered = Commission.objects.filter(
        status=S.SUBMITTED, submitted_at__lt=now - timedelta(days=days)
    ).order_by("id")
    stale_quotes = Commission.objects.filter(
        status=S.QUOTED,
        quotes__status=Quote.Status.CURRENT,
        quotes__valid_until__lt=today,
    ).order_by("id")
    expired = []
    for commission in unanswered:
        expired.append(
            commission_expire(
                commission=commission,
                reason=f"The artisan did not answer the request within {days} days.",
            )
        )
    for commission in stale_quotes:
        quote = commission.quotes.get(status=Quote.Status.CURRENT)
        expired.append(
            commission_expire(
                commission=commission,
                reason=(
                    f"Quote v{quote.version} was not accepted by "
                    f"{quote.valid_until:%d %b %Y}."
                ),
            )
        )
    return expired


# --- Payments ---------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    actor,
    commission: Commission,
    kind: str,
    amount: Decimal,
    reference: str,
    method: str = CommissionPayment.Method.MANUAL,
) -> CommissionPayment:
    """The buyer records a deposit or balance payment; the artisan confirms it later.

    It is a manual charge of the payments module, awaiting payment, whose payable is
    the commission and whose reference is the buyer's."""
    commission = _locked(commission)
    _check(commission, actor, "record_payment")
    quote = accepted_quote(commission)
    if kind not in CommissionPayment.Kind.values:
        raise ValidationError({"kind": "Choose deposit or balance."})
    if method not in CommissionPayment.Method.values:
        raise ValidationError({"method": "Only manual payments can be recorded."})
    if not (reference or "").strip():
        raise ValidationError({"reference": "Give the transfer reference or receipt."})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": "The amount must be more than zero."})
    due = quote.deposit if kind == CommissionPayment.Kind.DEPOSIT else quote.balance
    if due <= 0:
        raise ValidationError({"kind": f"This quote asks for no {kind}."})
    recorded = commission.paid_towards(kind)
    if recorded + amount > due:
        raise ValidationError(
            {
                "amount": (
                    f"The {kind} is {due} {quote.currency} and {recorded} "
                    f"{quote.currency} is already recorded."
                )
            }
        )
    charge = payments.charge_create(
        payable=commission,
        amount=amount,
        currency=quote.currency,
        provider=method,
        purpose=kind,
        reference=reference,
        actor=actor,
    )
    payment = CommissionPayment.objects.get(pk=charge.pk)
    _record(
        commission,
        actor,
        "record_payment",
        text=(
            f"{_name(actor)} recorded a {payment.get_kind_display().lower()} payment "
            f"of {amount} {payment.currency} (reference {payment.reference})."
        ),
        payload={"payment": payment.pk},
    )
    return payment


@transaction.atomic
def payment_confirm(
    *, actor, commission: Commission, payment_id: int
) -> CommissionPayment:
    """The artisan confirms that a recorded payment arrived: its charge is paid."""
    commission = _locked(commission)
    _check(commission, actor, "confirm_payment")
    try:
        payment = commission.payments.select_for_update().get(pk=int(payment_id))
    except (CommissionPayment.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"payment": "This commission has no such payment."}
        ) from None
    if not payment.is_pending:
        raise ValidationError(
            f"This payment is already {payment.get_payment_status_display().lower()}.",
            code=payment.payment_status,
        )
    payments.charge_mark_paid(
        charge=payment, actor=actor, data={"confirmed_by": actor.pk}
    )
    _record(
        commission,
        actor,
        "confirm_payment",
        text=(
            f"{commission.artisan.public_name} confirmed the "
            f"{payment.get_kind_display().lower()} payment of {payment.amount} "
            f"{payment.currency}."
        ),
        payload={"payment": payment.pk},
    )
    return payment


# --- Conversation -----------------------------------------------------------------------


def _prepare_attachments(files):
    files = list(files or ())
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": f"Attach at most {MAX_ATTACHMENTS} files."}
        )
    prepared = []
    for uploaded in files:
        try:
            content, sha256, media_type = prepare_evidence_file(uploaded)
        except ValidationError as error:
            name = getattr(uploaded, "name", "") or "file"
            raise ValidationError(
                {"attachments": [f"{name}: {message}" for message in error.messages]}
            ) from error
        prepared.append((uploaded, content, sha256, media_type))
    return prepared


@transaction.atomic
def message_post(
    *, actor, commission: Commission, body: str, attachments: Sequence = ()
) -> Message:
    """Either party writes in the commission's thread, optionally attaching files."""
    commission = (
        Commission.objects.select_related("artisan__user", "buyer")
        .select_for_update(of=("self",))
        .get(pk=commission.pk)
    )
    party = party_of(actor, commission)
    if party is None:
        raise PermissionDenied("Only the buyer and the artisan can write here.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    if len(body) > 5000:
        raise ValidationError({"body": "Keep a message under 5,000 characters."})
    prepared = _prepare_attachments(attachments)
    message = Message.objects.create(commission=commission, author=actor, body=body)
    for uploaded, content, sha256, media_type in prepared:
        attachment = MessageAttachment(
            message=message,
            media_type=media_type,
            original_name=(uploaded.name or "")[:255],
            size=content.size,
            sha256=sha256,
        )
        attachment.file.save(content.name, content, save=False)
        attachment.save()
        if media_type.startswith("image/"):
            thumbnails_after_commit(attachment, source="file", sizes={"thumbnail": 320})
    commission.save(update_fields=["updated_at"])
    recipient = commission.artisan.user if party == BUYER else commission.buyer
    notification_notify(
        recipient=recipient,
        commission=commission,
        verb=f"#{commission.pk} {commission.title}: {_name(actor)} wrote: {body[:120]}",
    )
    return message
