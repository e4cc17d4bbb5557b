"""Demo orders in every state, placed and moved through the order services.

The buyer ``buyer`` has: an order held awaiting payment, a paid one, a shipped one, a
delivered one whose certificate passed to them, and one the artisan cancelled and
refunded. ``collector`` has a completed order and a return in progress. Seeding again
adds nothing.
"""

from datetime import timedelta

from django.utils import timezone

from config.mail import emails_suppressed
from marketplace.catalogue.models import Listing
from marketplace.orders import services
from marketplace.orders.models import Order, ShippingProfile

ADDRESSES = {
    "buyer": {
        "name": "Ben Hale",
        "line1": "14 Cathedral Close",
        "city": "Exeter",
        "postcode": "EX1 1HB",
        "country": "GB",
    },
    "buyer2": {
        "name": "Chloe Ng",
        "line1": "Keizersgracht 221",
        "city": "Amsterdam",
        "postcode": "1016 DV",
        "country": "NL",
    },
}
# (buyer key, the state to reach), in the order the pieces are taken.
PLAN = [
    ("buyer", "delivered"),
    ("buyer", "shipped"),
    ("buyer", "paid"),
    ("buyer", "cancelled"),
    ("buyer", "pending_payment"),
    ("buyer2", "completed"),
    ("buyer2", "return_requested"),
]


def _pieces(count: int) -> list[Listing]:
    """Published one-of-a-kind pieces whose chains verify, from different artisans
    where possible, that no commission was made from."""
    candidates = list(
        Listing.objects.published()
        .filter(
            kind=Listing.Kind.ONE_OF_A_KIND,
            certificate__chain_verified=True,
            derivatives__isnull=True,
            price__isnull=False,
        )
        .select_related("artisan")
        .order_by("artisan_id", "-price", "id")
    )
    by_artisan: dict[int, list[Listing]] = {}
    for listing in candidates:
        by_artisan.setdefault(listing.artisan_id, []).append(listing)
    chosen: list[Listing] = []
    while len(chosen) < count and any(by_artisan.values()):
        for queue in by_artisan.values():
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def _advance(order: Order, target: str) -> None:
    artisan, buyer = order.artisan.user, order.buyer
    if target == "pending_payment":
        return
    if target == "cancelled":
        order = services.order_confirm_payment(actor=artisan, order=order)
        services.order_cancel(
            actor=artisan,
            order=order,
            reason="A stone chipped while polishing; refunded in full.",
        )
        return
    order = services.order_confirm_payment(actor=artisan, order=order)
    if target == "paid":
        return
    order = services.order_ship(
        actor=artisan,
        order=order,
        carrier="Royal Mail Special Delivery",
        tracking_number=f"RM{order.pk:06d}GB",
    )
    if target == "shipped":
        return
    order = services.order_confirm_delivery(actor=buyer, order=order)
    if target == "completed":
        Order.objects.filter(pk=order.pk).update(
            delivered_at=timezone.now() - timedelta(days=30)
        )
        services.order_deliver_due()
    elif target == "return_requested":
        services.order_request_return(
            actor=buyer, order=order, reason="The ring is half a size too small."
        )


def seed(users, artisans) -> int:
    """Seed the plan once; returns how many orders were created."""
    if Order.objects.filter(buyer__in=[users["buyer"], users["buyer2"]]).exists():
        return 0
    for artisan in artisans.values():
        for currency in ("GBP", "EUR"):
            ShippingProfile.objects.get_or_create(
                artisan=artisan, currency=currency, defaults={"free_over": 400}
            )
    pieces = _pieces(len(PLAN))
    created = 0
    with emails_suppressed():
        for (buyer_key, target), listing in zip(PLAN, pieces, strict=False):
            buyer = users[buyer_key]
            address = buyer.addresses.first() or services.address_save(
                user=buyer, **ADDRESSES[buyer_key]
            )
            services.basket_add(user=buyer, listing=listing)
            (order,) = services.checkout_place(user=buyer, address=address)
            _advance(order, target)
            created += 1
    return created
