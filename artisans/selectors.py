"""Reads of artisans and maker's marks, scoped by who asks."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from artisans.models import Artisan, MakerMark
from provenance.models import Review, VerificationStatus


def artisan_list(*, user=None) -> QuerySet[Artisan]:
    """Public directory: every profile (unverified ones carry a badge), with tags prefetched.

    Profiles that a verifier suspended or revoked leave the directory.
    """
    return (
        Artisan.objects.exclude(
            verification_status__in=(
                VerificationStatus.SUSPENDED,
                VerificationStatus.REVOKED,
            )
        )
        .prefetch_related("traditions", "techniques")
        .order_by("public_name", "id")
    )


def artisan_get(*, slug: str, user=None) -> Artisan:
    """One public artisan page with its photos, links and verified marks."""
    queryset = Artisan.objects.prefetch_related(
        "traditions",
        "techniques",
        "photos",
        "links",
        Prefetch(
            "maker_marks",
            queryset=MakerMark.objects.verified().order_by("text"),
            to_attr="verified_marks",
        ),
    )
    # A suspended or revoked profile leaves the directory but its page stays reachable
    # (certificates and past buyers link to it), with its badge saying so.
    return get_object_or_404(queryset, slug=slug)


def artisan_pieces(*, artisan: Artisan, limit: int = 24):
    """The artisan's published pieces with their photos, for the artisan page."""
    return list(
        artisan.listings.published()
        .with_card_data()
        .order_by("-published_at", "-id")[:limit]
    )


def artisan_for_user(*, user) -> Artisan | None:
    """The asking user's own profile, or None."""
    if not user.is_authenticated:
        return None
    return (
        Artisan.objects.filter(user=user)
        .prefetch_related("traditions", "techniques", "photos", "links")
        .first()
    )


def maker_mark_list(*, user) -> QuerySet[MakerMark]:
    """The asking artisan's own marks (nobody else's)."""
    if not user.is_authenticated:
        return MakerMark.objects.none()
    return (
        MakerMark.objects.filter(artisan__user=user)
        .select_related("artisan")
        .order_by("text", "id")
    )


def maker_mark_get(*, user, pk: int) -> MakerMark:
    """One of the asking artisan's own marks; anyone else's is a 404."""
    return get_object_or_404(maker_mark_list(user=user), pk=pk)


def records_awaiting_review(*, artisan: Artisan) -> QuerySet[Review]:
    """All of an artisan's review cases that are not (yet, or any more) verified."""
    return (
        Review.objects.for_artisan(artisan)
        .exclude(status=VerificationStatus.VERIFIED)
        .select_related("content_type")
        .order_by("submitted_at", "id")
    )


def claim_review(*, record) -> Review | None:
    """A claim's review case with its history (None until first submitted)."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    return (
        Review.objects.filter(content_type=content_type, object_id=record.pk)
        .prefetch_related("events__actor")
        .first()
    )
