"""Favourites (pieces and artisans) and the platform's reference metal prices."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from marketplace.catalogue.models import Favourite, Listing, MetalPrice
from marketplace.catalogue.permissions import can_set_metal_prices
from marketplace.materials import PRECIOUS_METALS


@transaction.atomic
def favourite_toggle(*, user, listing: Listing | None = None, artisan=None) -> bool:
    """Favourite a piece or an artisan, or un-favourite it; returns the new state."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to keep favourites.")
    if (listing is None) == (artisan is None):
        raise ValidationError("Favourite either a piece or an artisan.")
    lookup = {"listing": listing} if listing is not None else {"artisan": artisan}
    deleted, _ = Favourite.objects.filter(user=user, **lookup).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Favourite.objects.create(user=user, **lookup)
    except IntegrityError:
        pass  # a concurrent request favourited it first: the end state is the same
    return True


@transaction.atomic
def favourite_add(*, user, listing: Listing | None = None, artisan=None) -> Favourite:
    """Favourite a piece or an artisan (idempotent)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to keep favourites.")
    if (listing is None) == (artisan is None):
        raise ValidationError("Favourite either a piece or an artisan.")
    lookup = {"listing": listing} if listing is not None else {"artisan": artisan}
    favourite, _ = Favourite.objects.get_or_create(user=user, **lookup)
    return favourite


@transaction.atomic
def favourite_remove(*, favourite: Favourite, user) -> None:
    """Remove one of the user's favourites."""
    if favourite.user_id != getattr(user, "pk", None):
        raise PermissionDenied("That is not your favourite.")
    favourite.delete()


@transaction.atomic
def metal_price_set(
    *,
    actor,
    metal: str,
    price_per_gram: Decimal,
    as_of: datetime.date,
    currency: str = "GBP",
) -> MetalPrice:
    """Set the reference price of a gram of fine metal for a day (verifiers, admins)."""
    if not can_set_metal_prices(actor):
        raise PermissionDenied("Only verifiers and administrators set metal prices.")
    errors = {}
    if metal not in PRECIOUS_METALS:
        errors["metal"] = "Reference prices are kept for precious metals only."
    if price_per_gram is None or Decimal(price_per_gram) <= 0:
        errors["price_per_gram"] = "The price must be above zero."
    currency = (currency or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = "Use an ISO 4217 code such as GBP."
    if as_of and as_of > datetime.date.today() + datetime.timedelta(days=1):
        errors["as_of"] = "A reference price cannot be dated in the future."
    if errors:
        raise ValidationError(errors)
    price, _ = MetalPrice.objects.update_or_create(
        metal=metal,
        currency=currency,
        as_of=as_of,
        defaults={"price_per_gram": price_per_gram, "set_by": actor},
    )
    return price
