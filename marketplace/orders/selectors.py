"""Reads of baskets and orders, scoped to who asks: another buyer's order is a 404."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404

from marketplace.accounts.models import Address
from marketplace.catalogue.models import Listing, ListingPhoto
from marketplace.orders.models import Basket, BasketLine, Order, OrderEvent, OrderLine
from marketplace.payments.models import Charge
from marketplace.payments.services import charges_of


def basket_lines(*, user) -> list[BasketLine]:
    """The buyer's basket lines with their pieces and a photo, in a fixed number of
    queries however many lines there are."""
    if not user.is_authenticated:
        return []
    return list(
        BasketLine.objects.filter(basket__user=user)
        .select_related("listing__artisan")
        .prefetch_related(
            Prefetch(
                "listing__photos",
                queryset=ListingPhoto.objects.order_by("position", "id"),
            )
        )
        .order_by("listing__artisan__public_name", "id")
    )


def basket_count(*, user) -> int:
    """Pieces in the buyer's basket (for the header)."""
    if not user.is_authenticated:
        return 0
    return (
        BasketLine.objects.filter(basket__user=user).aggregate(n=Sum("quantity"))["n"]
        or 0
    )


def basket_get(*, user) -> Basket | None:
    return Basket.objects.filter(user=user).first() if user.is_authenticated else None


def address_list(*, user) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by(
        "-is_default", "-updated_at", "-id"
    )


def address_get(*, user, pk) -> Address:
    address = Address.objects.filter(user=user, pk=pk).first()
    if address is None:
        raise Http404("No such address.")
    return address


def _with_lines(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.select_related("artisan", "buyer").prefetch_related(
        Prefetch(
            "lines", queryset=OrderLine.objects.select_related("listing").order_by("id")
        )
    )


def order_list(*, user, status: str | None = None) -> QuerySet[Order]:
    """The buyer's orders, newest first, with their lines."""
    queryset = Order.objects.filter(buyer=user)
    if status:
        queryset = queryset.filter(status=status)
    return _with_lines(queryset).order_by("-created_at", "-id")


def order_inbox(*, user, status: str | None = None) -> QuerySet[Order]:
    """The orders an artisan received, what needs action first."""
    queryset = Order.objects.filter(artisan__user=user)
    if status:
        queryset = queryset.filter(status=status)
    return _with_lines(queryset).order_by("-updated_at", "-id")


def order_visible(*, user) -> QuerySet[Order]:
    """Orders the user is a party to (staff see every order)."""
    if not user.is_authenticated:
        return Order.objects.none()
    if user.is_staff:
        return Order.objects.all()
    return Order.objects.filter(buyer=user) | Order.objects.filter(artisan__user=user)


def order_get(*, user, number: str) -> Order:
    """One of the user's orders (as buyer or artisan), else a 404."""
    order = _with_lines(order_visible(user=user)).filter(number=number).first()
    if order is None:
        raise Http404("No such order.")
    return order


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor").order_by("created_at", "id")


def order_charge(*, order: Order) -> Charge | None:
    return charges_of(order).prefetch_related("refunds").first()


def order_charges(*, orders) -> dict[int, Charge]:
    """The newest charge of each order, with its refunds, in two queries."""
    ids = [order.pk for order in orders]
    if not ids:
        return {}
    charges = {}
    for charge in (
        Charge.objects.filter(
            payable_type=ContentType.objects.get_for_model(Order), payable_id__in=ids
        )
        .prefetch_related("refunds")
        .order_by("payable_id", "-created_at", "-id")
    ):
        charges.setdefault(charge.payable_id, charge)
    return charges


def buyer_state(*, user, listing: Listing) -> Order | None:
    """The buyer's own open order of this piece, if they have one."""
    if not user.is_authenticated:
        return None
    return (
        Order.objects.filter(buyer=user, lines__listing=listing)
        .exclude(
            status__in=(
                Order.Status.CANCELLED,
                Order.Status.EXPIRED,
                Order.Status.REFUNDED,
            )
        )
        .order_by("-created_at")
        .first()
    )


def listing_sold_on(*, listing: Listing):
    """When the piece was sold (its last sale), or None."""
    event = (
        listing.events.filter(to_status=Listing.Status.SOLD)
        .order_by("-created_at", "-id")
        .first()
    )
    return event.created_at if event else None
