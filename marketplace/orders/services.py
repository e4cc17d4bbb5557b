"""Buying pieces: basket, checkout, payment, shipping, delivery, cancellation, returns.

Every move of an order is checked against ``TRANSITIONS`` and applied as one
conditional UPDATE (``WHERE status IN sources``), so two concurrent moves of one order
can never both happen; each writes an append-only ``OrderEvent`` in the same
transaction. Stock moves go through ``catalogue.services.stock``, so a one-of-a-kind
piece is held and sold exactly once however many buyers race for it. Every amount is
computed here, in ``Decimal``, from our own records.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from config.mail import emails_allowed
from marketplace.accounts.models import Address
from marketplace.accounts.services import notification_create
from marketplace.catalogue.hallmarking import hallmark_status_of
from marketplace.catalogue.models import Listing
from marketplace.catalogue.services import stock
from marketplace.orders.models import (
    Basket,
    BasketLine,
    Order,
    OrderEvent,
    OrderLine,
    ShippingProfile,
)
from marketplace.payments import services as payments
from marketplace.payments.models import Charge
from ops.services import email_queue
from provenance.services.certificates import certificate_pass_on_sale

S = Order.Status
BUYER, ARTISAN, EITHER, SYSTEM = "buyer", "artisan", "either", "system"
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_MADE_TO_ORDER = 5
MAX_BASKET_LINES = 30
# European countries for the "Europe" shipping rate (ISO 3166-1 alpha-2).
EUROPE = frozenset(
    "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GI GR HR HU IE IS IT LI LT "  # noqa: SIM905
    "LU LV MC MD ME MK MT NL NO PL PT RO RS SE SI SK SM UA VA XK".split()
)


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    by: str  # BUYER, ARTISAN, EITHER or SYSTEM
    label: str
    reason_required: bool = False


TRANSITIONS: dict[str, Move] = {
    "confirm_payment": Move((S.PENDING_PAYMENT,), S.PAID, ARTISAN, "confirm payment"),
    "pay": Move((S.PENDING_PAYMENT,), S.PAID, SYSTEM, "record the payment"),
    "ship": Move((S.PAID,), S.SHIPPED, ARTISAN, "ship the order"),
    "confirm_delivery": Move((S.SHIPPED,), S.DELIVERED, BUYER, "confirm delivery"),
    "deliver": Move((S.SHIPPED,), S.DELIVERED, SYSTEM, "mark delivered"),
    "complete": Move((S.DELIVERED,), S.COMPLETED, SYSTEM, "complete the order"),
    "cancel": Move(
        (S.PENDING_PAYMENT, S.PAID), S.CANCELLED, EITHER, "cancel the order", True
    ),
    "expire": Move((S.PENDING_PAYMENT,), S.EXPIRED, SYSTEM, "expire the hold"),
    "request_return": Move(
        (S.DELIVERED,), S.RETURN_REQUESTED, BUYER, "request a return", True
    ),
    "accept_return": Move(
        (S.RETURN_REQUESTED,), S.RETURN_ACCEPTED, ARTISAN, "accept the return"
    ),
    "refuse_return": Move(
        (S.RETURN_REQUESTED,), S.DELIVERED, ARTISAN, "refuse the return", True
    ),
    "receive_return": Move(
        (S.RETURN_ACCEPTED,), S.REFUNDED, ARTISAN, "receive the return and refund"
    ),
}

# Emails that ask someone to act, or tell the buyer what happened to their money.
EMAILS = {
    "placed": (ARTISAN, "New order {number}", "Confirm the payment when it arrives."),
    "confirm_payment": (BUYER, "Order {number} is paid", ""),
    "pay": (BUYER, "Order {number} is paid", ""),
    "ship": (
        BUYER,
        "Order {number} is on its way",
        "Confirm delivery when it arrives.",
    ),
    "deliver": (BUYER, "Order {number} was delivered", ""),
    "confirm_delivery": (ARTISAN, "Order {number} was delivered", ""),
    "cancel": (EITHER, "Order {number} was cancelled", ""),
    "request_return": (ARTISAN, "Return requested on {number}", "Accept or refuse it."),
    "accept_return": (BUYER, "Return of {number} accepted", "Send the piece back."),
    "refuse_return": (BUYER, "Return of {number} refused", ""),
    "receive_return": (BUYER, "Order {number} refunded", ""),
}


# --- Who may do what --------------------------------------------------------------------


def party_of(user, order: Order) -> str | None:
    """BUYER or ARTISAN when the user is one of the order's parties (staff count as
    the artisan's side for confirming payments and refunds)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.pk == order.buyer_id:
        return BUYER
    if user.pk == order.artisan.user_id or user.is_staff:
        return ARTISAN
    return None


def allowed_moves(user, order: Order) -> list[str]:
    """The moves this user may make on the order in its current state."""
    party = party_of(user, order)
    if party is None:
        return []
    moves = [
        name
        for name, move in TRANSITIONS.items()
        if order.status in move.sources and move.by in (party, EITHER)
    ]
    if "confirm_payment" in moves and order.payment_provider != "manual":
        moves.remove("confirm_payment")
    if "request_return" in moves and not _return_open(order):
        moves.remove("request_return")
    return moves


def _return_open(order: Order) -> bool:
    return bool(
        order.delivered_at
        and timezone.now()
        <= order.delivered_at + timedelta(days=settings.ORDER_RETURN_DAYS)
        and any(line.returnable for line in order.lines.all())
    )


# --- Basket -----------------------------------------------------------------------------


def _check_buyable(user, listing: Listing, quantity: int) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to buy a piece.")
    if listing.artisan.user_id == user.pk:
        raise ValidationError({"listing": "You cannot buy your own piece."})
    if not listing.is_live or listing.private_to_id is not None:
        raise ValidationError({"listing": f"“{listing.title}” is not on sale."})
    if listing.price is None:
        raise ValidationError({"listing": f"“{listing.title}” has no price."})
    if quantity < 1:
        raise ValidationError({"quantity": "Order at least one piece."})
    if listing.kind == Listing.Kind.ONE_OF_A_KIND and quantity != 1:
        raise ValidationError({"quantity": "A one-of-a-kind piece is sold singly."})
    if (
        listing.kind == Listing.Kind.LIMITED_EDITION
        and quantity > listing.quantity_available
    ):
        left = listing.quantity_available
        raise ValidationError(
            {
                "quantity": f"Only {left} of this edition {'is' if left == 1 else 'are'} left."
            }
        )
    if listing.kind == Listing.Kind.MADE_TO_ORDER and quantity > MAX_MADE_TO_ORDER:
        raise ValidationError(
            {"quantity": f"Order at most {MAX_MADE_TO_ORDER} of a made-to-order piece."}
        )


def basket_for(user) -> Basket:
    basket, _ = Basket.objects.get_or_create(user=user)
    return basket


@transaction.atomic
def basket_add(*, user, listing: Listing, quantity: int = 1) -> BasketLine:
    """Put a piece in the buyer's basket (or set its quantity if it is there)."""
    listing = Listing.objects.select_related("artisan").get(pk=listing.pk)
    _check_buyable(user, listing, quantity)
    basket = basket_for(user)
    if (
        basket.lines.count() >= MAX_BASKET_LINES
        and not basket.lines.filter(listing=listing).exists()
    ):
        raise ValidationError({"listing": "Your basket is full."})
    line, _ = BasketLine.objects.update_or_create(
        basket=basket, listing=listing, defaults={"quantity": quantity}
    )
    basket.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def basket_update(*, user, line: BasketLine, quantity: int) -> BasketLine:
    """Change how many of a basket line's piece the buyer wants."""
    if line.basket.user_id != getattr(user, "pk", None):
        raise PermissionDenied("That is not your basket.")
    _check_buyable(user, line.listing, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    return line


@transaction.atomic
def basket_remove(*, user, line: BasketLine) -> None:
    """Take a piece out of the basket."""
    if line.basket.user_id != getattr(user, "pk", None):
        raise PermissionDenied("That is not your basket.")
    line.delete()


# --- Shipping ---------------------------------------------------------------------------


def shipping_region(artisan, country: str) -> str:
    """Which of the artisan's rates applies to a delivery to ``country``."""
    if str(artisan.country) == str(country):
        return ShippingProfile.Region.DOMESTIC
    if str(country) in EUROPE:
        return ShippingProfile.Region.EUROPE
    return ShippingProfile.Region.WORLD


def shipping_quote(*, artisan, country: str, subtotal: Decimal, currency: str):
    """(region, price, insured) of shipping one order of ``subtotal`` to ``country``.

    Rates are the artisan's profile in the order's currency; an artisan without one
    in that currency ships at the default rates, in that currency."""
    profile = ShippingProfile.objects.filter(
        artisan=artisan, currency=currency
    ).first() or ShippingProfile(artisan=artisan, currency=currency)
    region = shipping_region(artisan, country)
    price = {
        ShippingProfile.Region.DOMESTIC: profile.domestic_price,
        ShippingProfile.Region.EUROPE: profile.europe_price,
        ShippingProfile.Region.WORLD: profile.world_price,
    }[region]
    free = profile.free_over
    if free is not None and subtotal >= free:
        price = Decimal("0.00")
    return region, Decimal(price).quantize(Decimal("0.01")), profile.insured


@transaction.atomic
def shipping_profile_set(*, actor, artisan, **fields) -> ShippingProfile:
    """The artisan sets their flat rates per region and a free-shipping threshold."""
    if artisan.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the artisan sets their shipping rates.")
    allowed = {
        "currency",
        "domestic_price",
        "europe_price",
        "world_price",
        "free_over",
        "insured",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    currency = str(fields.pop("currency", "") or "GBP").upper()
    profile = ShippingProfile.objects.filter(artisan=artisan, currency=currency).first()
    profile = profile or ShippingProfile(artisan=artisan, currency=currency)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["artisan"])
    profile.save()
    return profile


# --- Addresses ------------------------------------------------------------------------

ADDRESS_FIELDS = (
    "name",
    "line1",
    "line2",
    "city",
    "region",
    "postcode",
    "country",
    "phone",
    "is_default",
)


@transaction.atomic
def address_save(*, user, address: Address | None = None, **fields) -> Address:
    """Add an address to the buyer's book, or change one of theirs."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to keep addresses.")
    if address is not None and address.user_id != user.pk:
        raise PermissionDenied("That is not your address.")
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    address = address or Address(user=user)
    for name, value in fields.items():
        setattr(address, name, value.strip() if isinstance(value, str) else value)
    if address.postcode:
        address.postcode = address.postcode.upper()
    others = Address.objects.filter(user=user).exclude(pk=address.pk)
    if not others.filter(is_default=True).exists():
        address.is_default = True  # the book always has one default address
    address.full_clean(exclude=["user"])
    if address.is_default:
        Address.objects.filter(user=user, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
    address.save()
    return address


@transaction.atomic
def address_delete(*, user, address: Address) -> None:
    """Remove an address from the book (orders keep their own copy)."""
    if address.user_id != getattr(user, "pk", None):
        raise PermissionDenied("That is not your address.")
    address.delete()


# --- Checkout -------------------------------------------------------------------------


def _number() -> str:
    while True:
        number = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
        if not Order.objects.filter(number=number).exists():
            return number


def _materials(listing: Listing) -> str:
    parts = [str(component) for component in listing.metals.all()]
    parts += [stone.label for stone in listing.gemstones.all()]
    return "; ".join(parts)


def _event(order: Order, actor, action: str, before: str, after: str, note=""):
    event = OrderEvent.objects.create(
        order=order,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_status=before,
        to_status=after,
        note=note,
    )
    _email_after_commit(order, action, note, event=event)


def _email_after_commit(
    order: Order, action: str, note: str, *, event: OrderEvent
) -> None:
    """Tell the party a move concerns: in the app at once, by email after commit."""
    if action not in EMAILS:
        return
    to, subject, call = EMAILS[action]
    recipients = {
        BUYER: [order.buyer],
        ARTISAN: [order.artisan.user],
        EITHER: [order.buyer, order.artisan.user],
    }[to]
    for recipient in recipients:
        notification_create(
            recipient=recipient,
            verb=subject.format(number=order.number) + (f": {call}" if call else "."),
            link=order.get_absolute_url(),
            action_needed=bool(call),
        )
    context = {
        "order": order,
        "subject": subject.format(number=order.number),
        "call_to_action": call,
        "note": note,
        "url": f"{settings.SITE_URL.rstrip('/')}{order.get_absolute_url()}",
        "site_name": settings.SITE_NAME,
    }
    body = render_to_string("emails/orders/order_moved.txt", context)
    if not emails_allowed():
        return
    # The outbox row commits with the event; a task sends it after the commit.
    email_queue(
        key=f"order-event:{event.pk}",
        to=[user.email for user in recipients],
        subject=context["subject"],
        body=body,
    )


def _held_units(user) -> int:
    return (
        OrderLine.objects.filter(
            order__buyer=user, order__status=S.PENDING_PAYMENT
        ).aggregate(total=Sum("quantity"))["total"]
        or 0
    )


@transaction.atomic
def checkout_place(
    *, user, address: Address, provider: str | None = None
) -> list[Order]:
    """Place the buyer's basket: one order per artisan and currency, each holding its
    pieces for ``ORDER_HOLD_MINUTES`` while the buyer pays."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to check out.")
    if address.user_id != user.pk:
        raise ValidationError({"address": "Choose one of your addresses."})
    # The basket row lock serializes two tabs placing the same basket.
    basket = Basket.objects.select_for_update().filter(user=user).first()
    lines = (
        list(
            basket.lines.select_related("listing__artisan")
            .prefetch_related("listing__metals", "listing__gemstones")
            .order_by("listing__artisan_id", "listing__currency", "id")
        )
        if basket
        else []
    )
    if not lines:
        raise ValidationError("Your basket is empty.")
    units = sum(line.quantity for line in lines)
    if _held_units(user) + units > settings.ORDER_MAX_HELD_PIECES:
        raise ValidationError(
            f"You can hold at most {settings.ORDER_MAX_HELD_PIECES} pieces awaiting "
            "payment at once: pay for or cancel an open order first."
        )
    for line in lines:
        _check_buyable(user, line.listing, line.quantity)
    listing_ids = [line.listing_id for line in lines]
    statuses = dict(hallmark_status_of(Listing.objects.filter(pk__in=listing_ids)))
    certificates = dict(
        Listing.objects.filter(
            pk__in=listing_ids, certificate__isnull=False
        ).values_list("pk", "certificate__code")
    )
    groups: dict[tuple[int, str], list[BasketLine]] = defaultdict(list)
    for line in lines:
        groups[(line.listing.artisan_id, line.listing.currency)].append(line)
    expires = timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES)
    orders = []
    for (_artisan_id, currency), group in groups.items():
        artisan = group[0].listing.artisan
        subtotal = sum(
            (line.listing.price * line.quantity for line in group), Decimal("0.00")
        )
        region, shipping, insured = shipping_quote(
            artisan=artisan,
            country=address.country,
            subtotal=subtotal,
            currency=currency,
        )
        chosen = provider or payments.get_provider().name
        order = Order.objects.create(
            number=_number(),
            buyer=user,
            artisan=artisan,
            currency=currency,
            subtotal=subtotal,
            shipping=shipping,
            total=subtotal + shipping,
            insured=insured,
            ship_name=address.name,
            ship_line1=address.line1,
            ship_line2=address.line2,
            ship_city=address.city,
            ship_region=address.region,
            ship_postcode=address.postcode,
            ship_country=address.country,
            shipping_region=region,
            payment_provider=chosen,
            hold_expires_at=expires,
        )
        for line in group:
            listing = line.listing
            stock.listing_hold(
                listing=listing,
                quantity=line.quantity,
                buyer=user,
                note=f"order {order.number}",
            )
            OrderLine.objects.create(
                order=order,
                listing=listing,
                quantity=line.quantity,
                unit_price=listing.price,
                line_total=listing.price * line.quantity,
                title=listing.title,
                kind=listing.kind,
                materials=_materials(listing),
                hallmark_status=statuses.get(listing.pk, ""),
                certificate_code=certificates.get(listing.pk, ""),
                lead_time_days=listing.lead_time_days,
                returnable=listing.kind != Listing.Kind.MADE_TO_ORDER
                and not listing.customisation_options.strip(),
            )
        payments.charge_create(
            payable=order,
            amount=order.total,
            currency=currency,
            provider=chosen,
            success_url=f"{settings.SITE_URL.rstrip('/')}{order.get_absolute_url()}",
            cancel_url=f"{settings.SITE_URL.rstrip('/')}{order.get_absolute_url()}",
        )
        _event(order, user, "placed", "", order.status)
        orders.append(order)
    basket.lines.all().delete()
    return orders


# --- Moves ----------------------------------------------------------------------------


def _move(order: Order, actor, action: str, *, reason: str = "", **changes) -> Order:
    """Check and apply one move: the conditional UPDATE is the guard."""
    move = TRANSITIONS[action]
    if move.by != SYSTEM:
        party = party_of(actor, order)
        if party is None:
            raise PermissionDenied("That is not your order.")
        if action not in allowed_moves(actor, order) and order.status in move.sources:
            raise PermissionDenied(f"You cannot {move.label} on this order.")
    reason = (reason or "").strip()
    if move.reason_required and not reason:
        raise ValidationError({"reason": "Give a reason."})
    before = order.status
    moved = Order.objects.filter(pk=order.pk, status__in=move.sources).update(
        status=move.target, updated_at=timezone.now(), **changes
    )
    if not moved:
        current = Order.objects.filter(pk=order.pk).values_list("status", flat=True)
        label = S(current.first()).label.lower() if current.exists() else "gone"
        raise ValidationError(f"Cannot {move.label}: the order is {label}.")
    order.refresh_from_db()
    _event(order, actor, action, before, order.status, reason)
    return order


def _charge(order: Order) -> Charge | None:
    return payments.charges_of(order).first()


def _lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("listing"))


@transaction.atomic
def order_confirm_payment(*, actor, order: Order) -> Order:
    """The artisan (or an admin) confirms a bank transfer arrived."""
    if order.payment_provider != "manual":
        raise ValidationError("Card payments are confirmed by the payment provider.")
    order = _move(order, actor, "confirm_payment", paid_at=timezone.now())
    charge = _charge(order)
    if charge is not None:
        payments.charge_mark_paid(charge=charge, data={"confirmed_by": actor.pk})
    for line in _lines(order):
        stock.listing_sell(
            listing=line.listing, quantity=line.quantity, note=f"order {order.number}"
        )
    return order


@transaction.atomic
def order_payment_received(*, order: Order, charge: Charge) -> Order:
    """A provider says the order's charge was paid. A payment that arrives after the
    hold lapsed (or after a cancellation) is refunded in full at once."""
    order = Order.objects.select_related("artisan").get(pk=order.pk)
    if order.status != S.PENDING_PAYMENT:
        payments.refund_issue(
            charge=charge,
            amount=charge.amount,
            reason=f"Paid after the order was {order.get_status_display().lower()}.",
        )
        _event(order, None, "late_payment_refunded", order.status, order.status)
        return order
    order = _move(order, None, "pay", paid_at=timezone.now())
    for line in _lines(order):
        stock.listing_sell(
            listing=line.listing, quantity=line.quantity, note=f"order {order.number}"
        )
    return order


@transaction.atomic
def order_ship(*, actor, order: Order, carrier: str, tracking_number: str) -> Order:
    """The artisan sends the order, with the carrier and tracking number."""
    errors = {}
    if not (carrier or "").strip():
        errors["carrier"] = "Name the carrier."
    if not (tracking_number or "").strip():
        errors["tracking_number"] = (
            "Give the tracking number (jewellery ships tracked)."
        )
    if errors:
        raise ValidationError(errors)
    return _move(
        order,
        actor,
        "ship",
        carrier=carrier.strip()[:60],
        tracking_number=tracking_number.strip()[:60],
        shipped_at=timezone.now(),
    )


def _delivered(order: Order, actor, action: str) -> Order:
    order = _move(order, actor, action, delivered_at=timezone.now())
    for line in _lines(order):
        if line.kind == Listing.Kind.ONE_OF_A_KIND:
            certificate_pass_on_sale(listing=line.listing, buyer=order.buyer)
    return order


@transaction.atomic
def order_confirm_delivery(*, actor, order: Order) -> Order:
    """The buyer confirms the parcel arrived; the piece's certificate passes to them."""
    return _delivered(order, actor, "confirm_delivery")


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str) -> Order:
    """Buyer or artisan cancels before shipping: the pieces go back on sale and a
    paid order is refunded in full."""
    was_paid = order.status == S.PAID
    order = _move(order, actor, "cancel", reason=reason, closed_at=timezone.now())
    _unwind(order, was_paid=was_paid, reason=f"Cancelled: {reason}")
    return order


def _unwind(order: Order, *, was_paid: bool, reason: str) -> None:
    charge = _charge(order)
    for line in _lines(order):
        if was_paid:
            stock.listing_restock(
                listing=line.listing, quantity=line.quantity, note=reason[:200]
            )
        else:
            stock.listing_release_hold(
                listing=line.listing, quantity=line.quantity, note=reason[:200]
            )
    if charge is None:
        return
    if was_paid and charge.status == Charge.Status.SUCCEEDED:
        payments.refund_issue(charge=charge, amount=charge.amount, reason=reason)
    else:
        payments.charge_cancel(charge=charge, reason=reason)


@transaction.atomic
def order_request_return(*, actor, order: Order, reason: str) -> Order:
    """Within the return window, the buyer asks to send back pieces that were not
    made or personalised for them."""
    buyer_asks = party_of(actor, order) == BUYER and order.status == S.DELIVERED
    if buyer_asks:
        if not any(line.returnable for line in order.lines.all()):
            raise ValidationError(
                "Made-to-order and personalised pieces cannot be returned."
            )
        if not _return_open(order):
            raise ValidationError(
                f"Returns close {settings.ORDER_RETURN_DAYS} days after delivery."
            )
    return _move(order, actor, "request_return", reason=reason)


@transaction.atomic
def order_accept_return(*, actor, order: Order) -> Order:
    """The artisan accepts the return; the buyer sends the piece back."""
    return _move(order, actor, "accept_return")


@transaction.atomic
def order_refuse_return(*, actor, order: Order, reason: str) -> Order:
    """The artisan refuses the return, with a reason the buyer sees."""
    return _move(order, actor, "refuse_return", reason=reason)


@transaction.atomic
def order_receive_return(*, actor, order: Order) -> Order:
    """The returned piece arrived: refund in full, and the piece is on sale again."""
    order = _move(order, actor, "receive_return", closed_at=timezone.now())
    charge = _charge(order)
    for line in _lines(order):
        if not line.returnable:
            continue
        stock.listing_restock(
            listing=line.listing,
            quantity=line.quantity,
            note=f"returned {order.number}",
        )
        if line.kind == Listing.Kind.ONE_OF_A_KIND:
            certificate_pass_on_sale(listing=line.listing, buyer=order.artisan.user)
    if charge is not None and charge.status == Charge.Status.SUCCEEDED:
        payments.refund_issue(
            charge=charge, amount=charge.amount, reason=f"Returned {order.number}"
        )
    return order


ORDER_ACTIONS = {
    "confirm_payment": order_confirm_payment,
    "ship": order_ship,
    "confirm_delivery": order_confirm_delivery,
    "cancel": order_cancel,
    "request_return": order_request_return,
    "accept_return": order_accept_return,
    "refuse_return": order_refuse_return,
    "receive_return": order_receive_return,
}


# --- Scheduled ------------------------------------------------------------------------


def order_expire_holds(*, now=None) -> list[Order]:
    """Lapse the holds of unpaid orders past their time: the pieces go back on sale,
    exactly once (the conditional UPDATE lets one caller win)."""
    now = now or timezone.now()
    expired = []
    due = Order.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lt=now)
    for order in due.select_related("artisan").order_by("hold_expires_at", "id")[:500]:
        try:
            with transaction.atomic():
                order = _move(order, None, "expire", closed_at=now)
                _unwind(order, was_paid=False, reason="The hold expired unpaid.")
        except ValidationError:
            continue  # paid or cancelled meanwhile
        expired.append(order)
    return expired


def order_deliver_due(*, now=None) -> tuple[list[Order], list[Order]]:
    """Mark delivered the orders shipped ``ORDER_AUTO_DELIVER_DAYS`` ago, and complete
    the delivered ones whose return window has closed."""
    now = now or timezone.now()
    delivered, completed = [], []
    shipped_before = now - timedelta(days=settings.ORDER_AUTO_DELIVER_DAYS)
    for order in Order.objects.filter(
        status=S.SHIPPED, shipped_at__lt=shipped_before
    ).select_related("artisan", "buyer")[:500]:
        try:
            with transaction.atomic():
                delivered.append(_delivered(order, None, "deliver"))
        except ValidationError:
            continue
    window_closed = now - timedelta(days=settings.ORDER_RETURN_DAYS)
    for order in Order.objects.filter(
        status=S.DELIVERED, delivered_at__lt=window_closed
    )[:500]:
        try:
            with transaction.atomic():
                completed.append(_move(order, None, "complete", closed_at=now))
        except ValidationError:
            continue
    return delivered, completed
