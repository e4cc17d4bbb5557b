"""Reads of reviews, scoped by who asks: what is not yours to act on is a 404."""

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from marketplace.accounts.roles import is_verifier
from marketplace.commissions.models import Commission
from marketplace.orders.models import OrderLine
from marketplace.reviews.filters import ReviewFilter
from marketplace.reviews.models import Review, ReviewEvent, ReviewPhoto

PHOTOS = Prefetch("photos", queryset=ReviewPhoto.objects.order_by("position", "id"))


def _with_display(queryset: QuerySet[Review]) -> QuerySet[Review]:
    return queryset.select_related("author", "artisan", "listing").prefetch_related(
        PHOTOS
    )


def review_list(
    *, user=None, artisan=None, listing=None, rating: int | None = None
) -> QuerySet[Review]:
    """Visible reviews, newest first, optionally of one artisan, piece or rating."""
    queryset = Review.objects.visible()
    if artisan is not None:
        queryset = queryset.filter(artisan=artisan)
    if listing is not None:
        queryset = queryset.filter(listing=listing)
    if rating:
        queryset = queryset.filter(rating=rating)
    return _with_display(queryset).order_by("-created_at", "-id")


def review_api_list(*, user) -> QuerySet[Review]:
    """What /api/reviews/ lists: visible reviews, plus the asker's own hidden ones and,
    for verifiers, every hidden one."""
    queryset = Review.objects.visible()
    if is_verifier(user):
        queryset = Review.objects.all()
    elif user is not None and user.is_authenticated:
        queryset = Review.objects.filter(
            Q(status__in=Review.VISIBLE_STATUSES) | Q(author=user)
        )
    return _with_display(queryset).order_by("-created_at", "-id")


MAX_KEY = 2**63 - 1


def _key(value) -> int:
    """A primary key from a URL or a form, or a 404 (never an overflow in SQL)."""
    try:
        pk = int(value)
    except (TypeError, ValueError) as error:
        raise Http404("No such record.") from error
    if not 0 < pk <= MAX_KEY:
        raise Http404("No such record.")
    return pk


def review_get(*, user, pk) -> Review:
    """A visible review for anyone; a hidden one for its author and the verifiers."""
    pk = _key(pk)
    review = _with_display(Review.objects.filter(pk=pk)).first()
    if review is None:
        raise Http404("No such review.")
    if not review.is_visible and not (
        user is not None
        and user.is_authenticated
        and (review.author_id == user.pk or is_verifier(user))
    ):
        raise Http404("No such review.")
    return review


def review_for_author(*, user, pk) -> Review:
    """The asking user's own review, to edit; anyone else's is a 404."""
    review = review_get(user=user, pk=pk)
    if not user.is_authenticated or review.author_id != user.pk:
        raise Http404("No such review.")
    return review


def review_for_artisan(*, user, pk) -> Review:
    """A visible review of the asking artisan, to reply to; anything else is a 404."""
    review = review_get(user=user, pk=pk)
    if (
        not user.is_authenticated
        or review.artisan.user_id != user.pk
        or not review.is_visible
    ):
        raise Http404("No such review.")
    return review


def review_for_reader(*, user, pk) -> Review:
    """A visible review a signed-in user may report (the service refuses the author)."""
    review = review_get(user=user, pk=pk)
    if not user.is_authenticated or not review.is_visible:
        raise Http404("No such review.")
    return review


def review_for_verifier(*, user, pk) -> Review:
    """Any review, with its reports and history, for a verifier; a 404 for others."""
    if not is_verifier(user):
        raise Http404("No such review.")
    review = (
        _with_display(Review.objects.filter(pk=_key(pk)))
        .prefetch_related(
            "reports__reporter",
            Prefetch(
                "events",
                queryset=ReviewEvent.objects.select_related("actor").order_by(
                    "created_at", "id"
                ),
            ),
        )
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return review


def moderation_list(*, user, waiting: bool = True) -> QuerySet[Review]:
    """Reported reviews for the verification queue, oldest report first; for anyone
    but verifiers, nothing. Not waiting: every review ever reported or moderated."""
    if not is_verifier(user):
        return Review.objects.none()
    if waiting:
        queryset = Review.objects.filter(status=Review.Status.REPORTED)
    else:
        queryset = Review.objects.filter(events__isnull=False).distinct()
    return (
        _with_display(queryset).prefetch_related("reports").order_by("updated_at", "id")
    )


def reviewable_line_get(*, user, pk) -> OrderLine:
    """An order line of the user's own delivered order; anything else is a 404."""
    if not user.is_authenticated:
        raise Http404("No such purchase.")
    line = (
        OrderLine.objects.select_related("order", "order__artisan", "listing")
        .filter(pk=_key(pk), order__buyer=user, order__delivered_at__isnull=False)
        .first()
    )
    if line is None:
        raise Http404("No such purchase.")
    return line


def reviewable_commission_get(*, user, pk) -> Commission:
    """The user's own completed commission; anything else is a 404."""
    if not user.is_authenticated:
        raise Http404("No such purchase.")
    commission = (
        Commission.objects.select_related("artisan", "completed_listing")
        .filter(pk=_key(pk), buyer=user, status=Commission.Status.COMPLETED)
        .first()
    )
    if commission is None:
        raise Http404("No such purchase.")
    return commission


REVIEWS_PER_PAGE = 10


def artisan_reviews_context(request, *, artisan) -> dict:
    """The artisan page's reviews: a page of the visible ones, newest first, filtered
    by rating. Its figures are the artisan's kept ones; nothing here aggregates."""
    # Only the rating applies here, so the page's count is a kept figure.
    review_filter = ReviewFilter(
        {"rating": request.GET.get("rating", "")},
        queryset=review_list(artisan=artisan),
        request=request,
    )
    rating = (
        review_filter.form.cleaned_data.get("rating")
        if (review_filter.is_valid())
        else None
    )
    queryset = review_filter.qs if rating else review_filter.queryset
    count = getattr(artisan, f"rating_{rating}") if rating else artisan.rating_count
    if not count:
        queryset = queryset.none()  # the kept figures say there is nothing to read
    paginator = Paginator(queryset, REVIEWS_PER_PAGE)
    paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "review_filter": review_filter,
        "review_page": page,
        "review_querystring": query.urlencode(),
    }


def listing_reviews(*, listing, limit: int = 10) -> list[Review]:
    """The newest visible reviews of one piece, for its page (no query when its kept
    figures say it has none)."""
    if not listing.rating_count:
        return []
    return list(review_list(listing=listing)[:limit])


def order_review_rows(*, user, order) -> list[dict]:
    """For the buyer of a delivered order, each line with its review or the link to
    write one (one query); nothing for anyone else or an undelivered order."""
    if (
        not user.is_authenticated
        or order.buyer_id != user.pk
        or order.delivered_at is None
    ):
        return []
    reviews = dict(
        Review.objects.filter(order_line__order=order).values_list(
            "order_line_id", "pk"
        )
    )
    return [
        {
            "title": line.title,
            "review_id": reviews.get(line.pk),
            "kind": "line",
            "pk": line.pk,
        }
        for line in order.lines.all()
    ]


def commission_review_rows(*, user, commission) -> list[dict]:
    """For the buyer of a completed commission, its review or the link to write it."""
    if (
        not user.is_authenticated
        or commission.buyer_id != user.pk
        or commission.status != Commission.Status.COMPLETED
    ):
        return []
    review_id = (
        Review.objects.filter(commission=commission)
        .values_list("pk", flat=True)
        .first()
    )
    return [
        {
            "title": commission.title,
            "review_id": review_id,
            "kind": "commission",
            "pk": commission.pk,
        }
    ]
