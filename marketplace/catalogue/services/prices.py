"""The platform's reference metal prices (a gram of fine metal, per day and currency)."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from marketplace.catalogue.models import MetalPrice
from marketplace.catalogue.permissions import can_set_metal_prices
from marketplace.materials import PRECIOUS_METALS


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
