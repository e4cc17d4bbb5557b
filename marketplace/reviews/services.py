"""Every write of a review: writing, editing, replying, reporting and moderating.

A status changes only through ``review_transition``, checked against ``TRANSITIONS``
and recorded as a ``ReviewEvent`` in the same transaction. Every write that changes
which ratings count (a new review, a new rating, hiding, restoring) updates the kept
figures of the artisan and the piece (``config.models.RatedModel``) in its transaction
and tells the catalogue, whose rating facet and sort read the artisan's average.
``ratings_rebuild`` recomputes the kept figures from the reviews.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from artisans.models import Artisan
from config.images import PHOTO_THUMBNAILS, store_photo
from config.models import RATING_STARS
from marketplace.accounts.roles import is_verifier
from marketplace.catalogue.caching import catalogue_changed
from marketplace.catalogue.models import Listing
from marketplace.commissions.models import Commission
from marketplace.orders.models import OrderLine
from marketplace.reviews.models import (
    MAX_PHOTOS,
    REASON_MAX,
    REPLY_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Review,
    ReviewEvent,
    ReviewPhoto,
    ReviewReport,
    ReviewRevision,
)
from ops.services import thumbnails_after_commit

S = Review.Status


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    by: str  # "reader" (anyone signed in but the author) or "verifier"
    label: str
    done: str


TRANSITIONS: dict[str, Transition] = {
    "report": Transition(
        (S.PUBLISHED, S.REPORTED),
        S.REPORTED,
        "reader",
        "Report",
        "Thank you: a verifier will look at this review.",
    ),
    "hide": Transition(
        (S.PUBLISHED, S.REPORTED), S.HIDDEN, "verifier", "Hide", "Review hidden."
    ),
    "dismiss": Transition(
        (S.REPORTED,),
        S.PUBLISHED,
        "verifier",
        "Keep it up",
        "Review kept up; its reports are answered.",
    ),
    "restore": Transition((S.HIDDEN,), S.PUBLISHED, "verifier", "Restore", "Restored."),
}
VERIFIER_ACTIONS = tuple(name for name, t in TRANSITIONS.items() if t.by == "verifier")


def allowed_actions(review: Review, *, by: str) -> list[str]:
    """The moves possible from a review's status for one role."""
    return [
        name
        for name, t in TRANSITIONS.items()
        if review.status in t.sources and t.by == by
    ]


def edit_deadline(review: Review):
    """Until when the author may edit the review."""
    return review.created_at + timedelta(days=settings.REVIEW_EDIT_DAYS)


def reply_deadline(review: Review):
    """Until when the artisan may edit their reply (None before they reply)."""
    if review.replied_at is None:
        return None
    return review.replied_at + timedelta(days=settings.REVIEW_REPLY_EDIT_DAYS)


def can_edit(review: Review, user) -> bool:
    return (
        user.is_authenticated
        and review.author_id == user.pk
        and review.status != S.HIDDEN
        and timezone.now() <= edit_deadline(review)
    )


def can_reply(review: Review, user) -> bool:
    return (
        user.is_authenticated
        and review.artisan.user_id == user.pk
        and review.is_visible
        and review.replied_at is None
    )


def can_edit_reply(review: Review, user) -> bool:
    deadline = reply_deadline(review)
    return (
        user.is_authenticated
        and review.artisan.user_id == user.pk
        and review.is_visible
        and deadline is not None
        and timezone.now() <= deadline
    )


def can_report(review: Review, user) -> bool:
    return user.is_authenticated and review.author_id != user.pk and review.is_visible


# --- Kept figures -------------------------------------------------------------------


def _average(total: int, count: int) -> Decimal:
    if not count:
        return Decimal("0")
    return (Decimal(total) / Decimal(count)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _shift_figures(model, pk, *, add: int | None, remove: int | None) -> None:
    """Add and/or remove one rating from a rated row's kept figures, under its lock."""
    row = (
        model.objects.select_for_update()
        .only("rating_count", "rating_total", *(f"rating_{n}" for n in RATING_STARS))
        .get(pk=pk)
    )
    stars = {n: getattr(row, f"rating_{n}") for n in RATING_STARS}
    count, total = row.rating_count, row.rating_total
    if remove is not None:
        stars[remove] -= 1
        count -= 1
        total -= remove
    if add is not None:
        stars[add] += 1
        count += 1
        total += add
    model.objects.filter(pk=pk).update(
        rating_count=count,
        rating_total=total,
        rating_average=_average(total, count),
        **{f"rating_{n}": stars[n] for n in RATING_STARS},
    )


def _rating_changed(review: Review, *, add: int | None, remove: int | None) -> None:
    """The review's rating starts or stops counting (or changes): keep the figures."""
    if add == remove:
        return
    _shift_figures(Artisan, review.artisan_id, add=add, remove=remove)
    if review.listing_id is not None:
        _shift_figures(Listing, review.listing_id, add=add, remove=remove)
    # Cached catalogue pages show the artisan's average (updated in bulk).
    catalogue_changed()


def rating_figures(reviews) -> dict:
    """Fresh figures of a queryset of reviews: count, total, average and per star."""
    figures = reviews.aggregate(
        count=Count("id"),
        total=Sum("rating", default=0),
        **{f"stars_{n}": Count("id", filter=Q(rating=n)) for n in RATING_STARS},
    )
    return {
        "rating_count": figures["count"],
        "rating_total": figures["total"],
        "rating_average": _average(figures["total"], figures["count"]),
        **{f"rating_{n}": figures[f"stars_{n}"] for n in RATING_STARS},
    }


@transaction.atomic
def ratings_rebuild() -> int:
    """Recompute every artisan's and piece's kept figures from the visible reviews;
    returns how many rows were corrected."""
    corrected = 0
    visible = Review.objects.visible()
    for model, key in ((Artisan, "artisan"), (Listing, "listing")):
        rated = set(visible.values_list(f"{key}_id", flat=True).distinct()) - {None}
        stale = set(
            model.objects.filter(rating_count__gt=0).values_list("pk", flat=True)
        )
        for pk in sorted(rated | stale):
            figures = rating_figures(visible.filter(**{f"{key}_id": pk}))
            if model.objects.filter(pk=pk).exclude(**figures).update(**figures):
                corrected += 1
    if corrected:
        catalogue_changed()
    return corrected


# --- Writing and editing ------------------------------------------------------------


def _clean_content(*, rating, title: str, text: str) -> dict:
    errors = {}
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = None
    if rating is None or not 1 <= rating <= 5:
        errors["rating"] = "Give a rating from 1 to 5 stars."
    title = (title or "").strip()
    text = (text or "").strip()
    if not title:
        errors["title"] = "Give your review a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title within {TITLE_MAX} characters."
    if not text:
        errors["text"] = "Say what you thought of the piece and the artisan."
    elif len(text) > TEXT_MAX:
        errors["text"] = f"Keep the review within {TEXT_MAX} characters."
    if errors:
        raise ValidationError(errors)
    return {"rating": rating, "title": title, "text": text}


def _add_photos(review: Review, photos, *, alt_text: str = "") -> None:
    photos = [photo for photo in photos or () if photo]
    if not photos:
        return
    existing = review.photos.count()
    if existing + len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": f"A review has at most {MAX_PHOTOS} photos."})
    alt = (alt_text or "").strip()[:200] or f"Buyer's photo: {review.title}"[:200]
    for position, upload in enumerate(photos, start=existing):
        photo = ReviewPhoto(review=review, alt_text=alt, position=position)
        try:
            store_photo(photo, upload)
        except ValidationError as error:
            raise ValidationError({"photos": error.messages}) from error
        photo.save()
        thumbnails_after_commit(photo, source="image", sizes=PHOTO_THUMBNAILS)


def _record_revision(review: Review) -> None:
    number = review.revisions.count() + 1
    ReviewRevision.objects.create(
        review=review,
        number=number,
        rating=review.rating,
        title=review.title,
        text=review.text,
    )


def _purchase(*, author, order_line, commission) -> dict:
    if (order_line is None) == (commission is None):
        raise ValidationError("Review one delivered piece or one completed commission.")
    if order_line is not None:
        order = order_line.order
        if order.buyer_id != author.pk or order.delivered_at is None:
            raise PermissionDenied("Only the buyer of a delivered order reviews it.")
        if Review.objects.filter(order_line=order_line).exists():
            raise ValidationError(
                {"order_line": "You have already reviewed this piece."}
            )
        return {
            "order_line": order_line,
            "artisan_id": order.artisan_id,
            "listing_id": order_line.listing_id,
        }
    if (
        commission.buyer_id != author.pk
        or commission.status != Commission.Status.COMPLETED
    ):
        raise PermissionDenied("Only the buyer of a completed commission reviews it.")
    if Review.objects.filter(commission=commission).exists():
        raise ValidationError(
            {"commission": "You have already reviewed this commission."}
        )
    return {
        "commission": commission,
        "artisan_id": commission.artisan_id,
        "listing_id": commission.completed_listing_id,
    }


@transaction.atomic
def review_create(
    *,
    author,
    rating,
    title: str,
    text: str,
    order_line: OrderLine | None = None,
    commission: Commission | None = None,
    photos=(),
    photo_alt: str = "",
) -> Review:
    """The buyer reviews a delivered order line or a completed commission, once."""
    content = _clean_content(rating=rating, title=title, text=text)
    purchase = _purchase(author=author, order_line=order_line, commission=commission)
    if len([p for p in photos or () if p]) > MAX_PHOTOS:
        raise ValidationError({"photos": f"A review has at most {MAX_PHOTOS} photos."})
    try:
        with transaction.atomic():
            review = Review.objects.create(author=author, **purchase, **content)
    except IntegrityError as error:
        # Two submissions of the same purchase at once: the second one loses.
        raise ValidationError("You have already reviewed this purchase.") from error
    _record_revision(review)
    _add_photos(review, photos, alt_text=photo_alt)
    _rating_changed(review, add=review.rating, remove=None)
    return review


def _locked(review: Review) -> Review:
    return (
        Review.objects.select_for_update().select_related("artisan").get(pk=review.pk)
    )


@transaction.atomic
def review_update(
    *,
    review: Review,
    actor,
    rating,
    title: str,
    text: str,
    photos=(),
    photo_alt: str = "",
    remove_photos=(),
) -> Review:
    """The author edits their review within the edit window; the edit is a revision."""
    review = _locked(review)
    if actor is None or review.author_id != actor.pk:
        raise PermissionDenied("Only the author edits a review.")
    if review.status == S.HIDDEN:
        raise ValidationError("A hidden review can no longer be edited.")
    if timezone.now() > edit_deadline(review):
        raise ValidationError(
            f"A review can be edited for {settings.REVIEW_EDIT_DAYS} days after it "
            "was written; this one no longer can."
        )
    content = _clean_content(rating=rating, title=title, text=text)
    remove_ids = {int(pk) for pk in remove_photos or ()}
    photos_changed = bool(remove_ids) or any(photos or ())
    if (
        all(getattr(review, name) == value for name, value in content.items())
        and not photos_changed
    ):
        raise ValidationError("Nothing changed.")
    old_rating = review.rating
    if remove_ids:
        review.photos.filter(pk__in=remove_ids).delete()
    _add_photos(review, photos, alt_text=photo_alt)
    for name, value in content.items():
        setattr(review, name, value)
    review.edited_at = timezone.now()
    review.save()
    _record_revision(review)
    if review.is_visible:
        _rating_changed(review, add=review.rating, remove=old_rating)
    return review


# --- The artisan's reply ------------------------------------------------------------


def _clean_reply(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write your reply."})
    if len(text) > REPLY_MAX:
        raise ValidationError(
            {"text": f"Keep the reply within {REPLY_MAX} characters."}
        )
    return text


def _check_artisan(review: Review, actor) -> None:
    if actor is None or review.artisan.user_id != actor.pk:
        raise PermissionDenied("Only the artisan reviewed replies.")
    if not review.is_visible:
        raise ValidationError("A hidden review takes no reply.")


@transaction.atomic
def review_reply(*, review: Review, actor, text: str) -> Review:
    """The reviewed artisan replies publicly, once."""
    review = _locked(review)
    _check_artisan(review, actor)
    if review.replied_at is not None:
        raise ValidationError("You have already replied; edit your reply instead.")
    review.reply = _clean_reply(text)
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_at", "updated_at"])
    return review


@transaction.atomic
def review_reply_update(*, review: Review, actor, text: str) -> Review:
    """The artisan edits their reply within the reply's edit window."""
    review = _locked(review)
    _check_artisan(review, actor)
    if review.replied_at is None:
        raise ValidationError("There is no reply to edit yet.")
    if timezone.now() > reply_deadline(review):
        raise ValidationError(
            f"A reply can be edited for {settings.REVIEW_REPLY_EDIT_DAYS} days; "
            "this one no longer can."
        )
    text = _clean_reply(text)
    if text == review.reply:
        raise ValidationError({"text": "Nothing changed."})
    review.reply = text
    review.reply_edited_at = timezone.now()
    review.save(update_fields=["reply", "reply_edited_at", "updated_at"])
    return review


# --- Reports and moderation ---------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": f"Keep the reason within {REASON_MAX} characters."}
        )
    return reason


@transaction.atomic
def review_transition(*, review: Review, actor, action: str, reason: str) -> Review:
    """Move a review through ``TRANSITIONS``, recording who, when and why."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": f"Unknown action “{action}”."})
    review = _locked(review)
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Log in first.")
    if transition.by == "verifier" and not is_verifier(actor):
        raise PermissionDenied("Only a verifier moderates reviews.")
    if transition.by == "reader" and review.author_id == actor.pk:
        raise ValidationError("You cannot report your own review.")
    current = review.status
    if current not in transition.sources:
        raise ValidationError(
            f"Cannot {transition.label.lower()} a review that is "
            f"{S(current).label.lower()}."
        )
    reason = _clean_reason(reason)
    review.status = transition.target
    update_fields = ["status", "updated_at"]
    if transition.by == "verifier":
        review.status_reason = reason
        update_fields.append("status_reason")
    review.save(update_fields=update_fields)
    ReviewEvent.objects.create(
        review=review,
        actor=actor,
        action=action,
        from_status=current,
        to_status=transition.target,
        reason=reason,
    )
    was_visible = current in Review.VISIBLE_STATUSES
    if was_visible != review.is_visible:
        rating = review.rating
        _rating_changed(
            review,
            add=rating if review.is_visible else None,
            remove=rating if was_visible else None,
        )
    return review


@transaction.atomic
def review_report(*, review: Review, actor, reason: str) -> ReviewReport:
    """Anyone signed in but the author reports a review to the verifiers, once."""
    reason = _clean_reason(reason)
    if actor is not None and review.author_id == actor.pk:
        raise ValidationError("You cannot report your own review.")
    if ReviewReport.objects.filter(review=review, reporter=actor).exists():
        raise ValidationError("You have already reported this review.")
    review_transition(review=review, actor=actor, action="report", reason=reason)
    return ReviewReport.objects.create(review=review, reporter=actor, reason=reason)


def review_moderate(*, review: Review, actor, action: str, reason: str) -> Review:
    """A verifier hides, restores or keeps up a review, with a recorded reason."""
    if action not in VERIFIER_ACTIONS:
        raise ValidationError({"action": f"Unknown action “{action}”."})
    return review_transition(review=review, actor=actor, action=action, reason=reason)
