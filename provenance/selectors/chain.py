"""Reads of the origin chain, scoped by who asks."""

from django.db.models import Prefetch, QuerySet

from marketplace.accounts.roles import is_artisan
from marketplace.catalogue.models import Listing
from provenance.models import (
    Certificate,
    Certification,
    EventItem,
    MaterialLot,
    Party,
    TraceEvent,
)


def _artisan(user):
    return user.artisan_profile if is_artisan(user) else None


def lot_list(*, user) -> QuerySet[MaterialLot]:
    """The artisan's own lots with ``allocated_grams`` and ``remaining_grams`` annotated."""
    artisan = _artisan(user)
    if artisan is None:
        return MaterialLot.objects.none()
    return (
        MaterialLot.objects.of_artisan(artisan)
        .with_remaining()
        .select_related("custodian__artisan", "origin_party")
        .prefetch_related("certifications")
        # Meta.ordering does not apply to aggregating queries: order explicitly.
        .order_by("-created_at", "-id")
    )


def lot_get(*, user, pk) -> MaterialLot:
    """One of the artisan's lots (another artisan's lot does not exist for them)."""
    return lot_list(user=user).get(pk=pk)


def event_list(*, user) -> QuerySet[TraceEvent]:
    """The events the artisan recorded, with what they touched."""
    artisan = _artisan(user)
    if artisan is None:
        return TraceEvent.objects.none()
    return (
        TraceEvent.objects.filter(artisan=artisan)
        .select_related(
            "location", "from_party", "to_party", "certification", "corrects"
        )
        .prefetch_related(
            Prefetch(
                "items", queryset=EventItem.objects.select_related("lot", "listing")
            )
        )
        .order_by("-occurred_at", "-id")
    )


def certification_list(*, user) -> QuerySet[Certification]:
    """The artisan's certifications."""
    artisan = _artisan(user)
    if artisan is None:
        return Certification.objects.none()
    return Certification.objects.filter(artisan=artisan).select_related("holder")


def party_list(*, user) -> QuerySet[Party]:
    """The parties the user may name: verified outside organisations, the ones this
    artisan proposed (in any state) and their own workshop; nobody else's proposal."""
    return Party.objects.available_to(_artisan(user)).select_related("artisan")


def party_proposed_list(*, user) -> QuerySet[Party]:
    """The outside parties this artisan proposed, newest first, with their review case
    (its state and the verifier's last message)."""
    artisan = _artisan(user)
    if artisan is None:
        return Party.objects.none()
    return (
        Party.objects.proposed_by(artisan)
        .prefetch_related("reviews")
        .order_by("-created_at", "-id")
    )


def piece_choices(*, user):
    """The artisan's pieces, for the fabrication and hallmarking forms."""
    artisan = _artisan(user)
    if artisan is None:
        return Listing.objects.none()
    return Listing.objects.filter(artisan=artisan).order_by("title")


def certificate_get(*, code: str) -> Certificate:
    """A public certificate with everything its page shows, in a fixed number of queries."""
    return (
        Certificate.objects.select_related("listing__artisan")
        .prefetch_related(
            "listing__metals",
            "listing__gemstones",
            "listing__hallmarks__maker_mark",
            "listing__artisan__maker_marks",
        )
        .exclude(listing__status="draft")
        .get(code=code.upper())
    )


def certificates_owned(*, user) -> QuerySet[Certificate]:
    """The certificates of the pieces this account owns, the latest change first."""
    if not user.is_authenticated:
        return Certificate.objects.none()
    return (
        Certificate.objects.filter(owner=user)
        .select_related("listing__artisan")
        .order_by("-updated_at", "-id")
    )
