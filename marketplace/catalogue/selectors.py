"""Catalogue reads, scoped by who is asking, with their relations fetched once."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.http import Http404

from artisans.models import MakerMark
from marketplace.catalogue import hallmarking
from marketplace.catalogue.models import (
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
    MetalPrice,
)
from marketplace.catalogue.sorting import ordering_fields
from marketplace.materials import PRECIOUS_METALS, Metal

MAX_SEARCH_TERMS = 8


def listing_list(*, user=None) -> QuerySet[Listing]:
    """Published pieces in the catalogue, with what a card shows."""
    return Listing.objects.published().with_card_data()


def _sqlite_search(queryset: QuerySet, terms: list[str]) -> QuerySet:
    """Every term must match the title, description, artisan or materials; title first."""
    rank = Value(0)
    for term in terms:
        materials = Q(
            pk__in=MetalComponent.objects.filter(metal__icontains=term).values(
                "listing_id"
            )
        ) | Q(
            pk__in=Gemstone.objects.filter(species__icontains=term).values("listing_id")
        )
        queryset = queryset.filter(
            Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(artisan__public_name__icontains=term)
            | materials
        )
        rank = rank + Case(
            When(title__icontains=term, then=Value(100)),
            When(Q(artisan__public_name__icontains=term) | materials, then=Value(40)),
            default=Value(20),
            output_field=IntegerField(),
        )
    return queryset.annotate(rank=rank)


def listing_search(queryset: QuerySet, q: str) -> QuerySet:
    """Full-text search; annotates ``rank`` (an integer, higher is better)."""
    terms = (q or "").split()[:MAX_SEARCH_TERMS]
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(" ".join(terms), search_type="websearch", config="english")
        # An integer rank keeps API cursors exact (a float would not round-trip).
        return queryset.filter(search_vector=query).annotate(
            rank=Cast(SearchRank(F("search_vector"), query) * 1_000_000, IntegerField())
        )
    return _sqlite_search(queryset, terms)


def listing_order(queryset: QuerySet, ordering: str | None, *, searching: bool):
    """Apply one of ``sorting.SORT_ORDERS``; a search defaults to relevance."""
    return queryset.order_by(*ordering_fields(ordering, searching=searching))


def listing_detail_queryset() -> QuerySet[Listing]:
    """Everything the piece page shows, in a fixed number of queries."""
    return (
        Listing.objects.select_related("artisan", "artisan__user", "certificate")
        .annotate(**hallmarking.hallmark_annotations())
        .prefetch_related(
            Prefetch(
                "photos", queryset=ListingPhoto.objects.order_by("position", "id")
            ),
            Prefetch(
                "metals", queryset=MetalComponent.objects.order_by("position", "id")
            ),
            Prefetch("gemstones", queryset=Gemstone.objects.order_by("position", "id")),
            Prefetch(
                "hallmarks",
                queryset=HallmarkRecord.objects.select_related("maker_mark").order_by(
                    "id"
                ),
            ),
            "techniques",
            Prefetch(
                "artisan__maker_marks",
                queryset=MakerMark.objects.order_by("text"),
            ),
        )
    )


def listing_get(*, user, slug: str) -> Listing:
    """A piece anyone may open (published, reserved, sold), or the maker's own: else 404."""
    visible = Listing.public_q()
    if user is not None and user.is_authenticated:
        visible |= Q(artisan__user=user) | Q(private_to=user)
    listing = listing_detail_queryset().filter(visible, slug=slug).first()
    if listing is None:
        raise Http404("No such piece.")
    return listing


def studio_listing_list(*, user) -> QuerySet[Listing]:
    """An artisan's own pieces in every state, for their workspace."""
    return (
        Listing.objects.filter(artisan__user=user)
        .select_related("artisan")
        .prefetch_related(
            Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id"))
        )
        .order_by("-updated_at", "-id")
    )


def studio_listing_get(*, user, slug: str) -> Listing:
    """One of the artisan's own pieces; anyone else's is a 404."""
    listing = listing_detail_queryset().filter(artisan__user=user, slug=slug).first()
    if listing is None:
        raise Http404("No such piece in your workshop.")
    return listing


def artisan_other_listings(*, listing: Listing, limit: int = 4) -> list[Listing]:
    """A few more published pieces by the same artisan."""
    # Through the artisan's own manager, each piece shares the artisan already loaded
    # instead of joining and building it again per card.
    return list(
        listing.artisan.listings.published()
        .exclude(pk=listing.pk)
        .prefetch_related(
            Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id"))
        )
        .order_by("-published_at", "-id")[:limit]
    )


def favourite_list(*, user) -> QuerySet[Favourite]:
    """The user's favourite pieces (still visible) and artisans, newest first."""
    return (
        Favourite.objects.filter(user=user)
        .filter(
            Q(artisan__isnull=False) | Q(listing__status__in=Listing.PUBLIC_STATUSES)
        )
        .select_related("listing", "listing__artisan", "artisan")
        .prefetch_related(
            Prefetch(
                "listing__photos",
                queryset=ListingPhoto.objects.order_by("position", "id"),
            )
        )
        .order_by("-created_at", "-id")
    )


def favourite_listing_ids(*, user, listings) -> set[int]:
    """Which of these pieces the user has favourited (one query)."""
    if not user.is_authenticated:
        return set()
    return set(
        Favourite.objects.filter(
            user=user, listing_id__in=[listing.pk for listing in listings]
        ).values_list("listing_id", flat=True)
    )


def metal_price_list() -> QuerySet[MetalPrice]:
    return MetalPrice.objects.order_by("metal", "-as_of", "-id")


# --- The value panel --------------------------------------------------------------------


@dataclass
class MetalValue:
    metal: str
    label: str
    fine_grams: Decimal
    price: MetalPrice | None

    @property
    def value(self) -> Decimal | None:
        if self.price is None:
            return None
        return (self.fine_grams * self.price.price_per_gram).quantize(Decimal("0.01"))


@dataclass
class ValuePanel:
    rows: list[MetalValue]
    currency: str

    @property
    def fine_grams(self) -> Decimal:
        return sum((row.fine_grams for row in self.rows), Decimal("0"))

    @property
    def total(self) -> Decimal | None:
        values = [row.value for row in self.rows]
        if not values or any(value is None for value in values):
            return None
        return sum(values, Decimal("0"))

    @property
    def missing_prices(self) -> list[str]:
        return [row.label for row in self.rows if row.price is None]


def listing_value_panel(*, listing: Listing) -> ValuePanel:
    """Fine metal per precious metal and its value at the latest reference prices."""
    fine: dict[str, Decimal] = {}
    for component in listing.metals.all():
        if component.metal in PRECIOUS_METALS and component.fine_weight_grams > 0:
            fine[component.metal] = (
                fine.get(component.metal, Decimal("0")) + component.fine_weight_grams
            )
    prices = (
        MetalPrice.objects.filter(
            currency=listing.currency, metal__in=list(fine)
        ).latest_per_metal()
        if fine
        else {}
    )
    rows = [
        MetalValue(
            metal=metal,
            label=component_label(metal),
            fine_grams=grams,
            price=prices.get(metal),
        )
        for metal, grams in fine.items()
    ]
    return ValuePanel(rows=rows, currency=listing.currency)


def component_label(metal: str) -> str:
    return Metal(metal).label


def listing_hallmark_status(*, listing: Listing) -> dict:
    """Rule 5 (``marketplace.catalogue.hallmarking``): a piece over the UK exemption weight
    without a UK/CCM hallmark is shown as "not hallmarked" (never hidden). Reads the
    annotations of ``listing_detail_queryset``, else asks the database once."""
    flags = hallmarking.hallmark_annotations()
    if all(hasattr(listing, name) for name in flags):
        values = {name: getattr(listing, name) for name in flags}
    else:
        values = (
            Listing.objects.filter(pk=listing.pk).annotate(**flags).values(*flags).get()
        )
    status, missing = hallmarking.status_from_flags(values)
    return {
        "status": status,
        "missing": [component_label(metal) for metal in missing],
        "label": hallmarking.LABELS[status],
    }
