"""The stock of pieces on sale: held while a buyer pays, sold, released, restocked.

``quantity_available`` is what a new buyer may still take; ``quantity_held`` is what
open orders hold (placed, not yet paid, or paid and not yet settled into a sale). Each
move is one conditional UPDATE, so concurrent buyers never take more than there is:
a one-of-a-kind piece is held, and sold, exactly once. A made-to-order piece has no
stock: it is made for each order.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from marketplace.catalogue.caching import catalogue_changed
from marketplace.catalogue.models import Listing
from marketplace.catalogue.services.listings import listing_event_record

S = Listing.Status
MADE_TO_ORDER = Listing.Kind.MADE_TO_ORDER


def _event(listing: Listing, actor, action: str, before: str, after: str, note: str):
    if before != after:
        listing_event_record(listing, actor, action, before, after, note)


def _status(listing_id: int) -> str:
    return Listing.objects.filter(pk=listing_id).values_list("status", flat=True)[0]


@transaction.atomic
def listing_hold(*, listing: Listing, quantity: int, buyer, note: str = "") -> None:
    """Hold ``quantity`` of a published piece for a buyer's order, or refuse."""
    if quantity < 1:
        raise ValidationError({"quantity": "Order at least one piece."})
    before = _status(listing.pk)
    published = Listing.objects.filter(
        pk=listing.pk, status=S.PUBLISHED, private_to__isnull=True
    )
    if listing.kind == MADE_TO_ORDER:
        taken = published.update(
            quantity_held=F("quantity_held") + quantity, updated_at=timezone.now()
        )
    else:
        taken = published.filter(quantity_available__gte=quantity).update(
            quantity_available=F("quantity_available") - quantity,
            quantity_held=F("quantity_held") + quantity,
            status=Case(
                When(quantity_available=quantity, then=Value(S.RESERVED)),
                default=F("status"),
            ),
            updated_at=timezone.now(),
        )
    if not taken:
        raise ValidationError(
            {"quantity": f"“{listing.title}” is no longer available in that quantity."}
        )
    _event(listing, buyer, "hold", before, _status(listing.pk), note)
    catalogue_changed()


@transaction.atomic
def listing_release_hold(*, listing: Listing, quantity: int, note: str = "") -> None:
    """An unpaid order lapsed or was cancelled: its pieces are back on sale."""
    before = _status(listing.pk)
    held = Listing.objects.filter(pk=listing.pk, quantity_held__gte=quantity)
    if listing.kind == MADE_TO_ORDER:
        held.update(quantity_held=F("quantity_held") - quantity)
    else:
        held.update(
            quantity_available=F("quantity_available") + quantity,
            quantity_held=F("quantity_held") - quantity,
            status=Case(
                When(status=S.RESERVED, then=Value(S.PUBLISHED)), default=F("status")
            ),
            updated_at=timezone.now(),
        )
    _event(listing, None, "release", before, _status(listing.pk), note)
    catalogue_changed()


@transaction.atomic
def listing_sell(*, listing: Listing, quantity: int, note: str = "") -> None:
    """An order was paid: its held pieces are sold. The listing is sold out when
    nothing is left to sell and no other order still holds any."""
    before = _status(listing.pk)
    Listing.objects.filter(pk=listing.pk, quantity_held__gte=quantity).update(
        quantity_held=F("quantity_held") - quantity,
        status=Case(
            When(
                quantity_available=0,
                quantity_held=quantity,
                kind__in=(Listing.Kind.ONE_OF_A_KIND, Listing.Kind.LIMITED_EDITION),
                then=Value(S.SOLD),
            ),
            default=F("status"),
        ),
        updated_at=timezone.now(),
    )
    _event(listing, None, "sell", before, _status(listing.pk), note)
    catalogue_changed()


@transaction.atomic
def listing_restock(*, listing: Listing, quantity: int, note: str = "") -> None:
    """A paid order was cancelled before delivery, or a returned piece was received:
    the pieces are on sale again (a made-to-order piece has nothing to restock)."""
    if listing.kind == MADE_TO_ORDER:
        return
    before = _status(listing.pk)
    Listing.objects.filter(pk=listing.pk).update(
        quantity_available=F("quantity_available") + quantity,
        status=Case(
            When(status__in=(S.RESERVED, S.SOLD), then=Value(S.PUBLISHED)),
            default=F("status"),
        ),
        updated_at=timezone.now(),
    )
    _event(listing, None, "restock", before, _status(listing.pk), note)
    catalogue_changed()
