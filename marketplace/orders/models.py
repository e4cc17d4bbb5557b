"""Baskets, orders with their lines and append-only events, and artisans' shipping."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries.fields import CountryField

from config.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}


class ShippingProfile(TimeStampedModel):
    """An artisan's flat shipping rates by region for orders in one currency, and an
    optional free-shipping threshold. Jewellery ships insured unless the artisan
    says otherwise. Without a profile in an order's currency, the defaults below
    apply in that currency."""

    class Region(models.TextChoices):
        DOMESTIC = "domestic", "Within the artisan's country"
        EUROPE = "europe", "Europe"
        WORLD = "world", "Rest of the world"

    artisan = models.ForeignKey(
        "artisans.Artisan", on_delete=models.CASCADE, related_name="shipping_profiles"
    )
    currency = models.CharField(max_length=3, default="GBP")
    domestic_price = models.DecimalField(
        **MONEY, default=Decimal("5.00"), validators=[MinValueValidator(0)]
    )
    europe_price = models.DecimalField(
        **MONEY, default=Decimal("15.00"), validators=[MinValueValidator(0)]
    )
    world_price = models.DecimalField(
        **MONEY, default=Decimal("25.00"), validators=[MinValueValidator(0)]
    )
    free_over = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Orders of at least this amount ship free (leave empty for never).",
    )
    insured = models.BooleanField(
        default=True, help_text="Ship insured for the full value (recommended)."
    )

    class Meta:
        ordering = ["artisan", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["artisan", "currency"], name="shipping_profile_per_currency"
            )
        ]

    def __str__(self):
        return f"Shipping of {self.artisan} in {self.currency}"


class Basket(TimeStampedModel):
    """A signed-in buyer's basket: one per buyer, kept until checkout."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="basket"
    )

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"Basket of {self.user}"


class BasketLine(TimeStampedModel):
    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(
        "marketplace.Listing", on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["basket", "listing"], name="basket_line_once_per_piece"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="basket_line_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.listing_id}"


class OrderQuerySet(models.QuerySet):
    def open_holds(self):
        """Placed and awaiting payment: their pieces are held for the buyer."""
        return self.filter(status=Order.Status.PENDING_PAYMENT)


class Order(TimeStampedModel):
    """One buyer's order from one artisan in one currency.

    Status changes only through ``orders.services`` (checked against ``TRANSITIONS``,
    each with an ``OrderEvent``). Lines keep a snapshot of what was bought, so later
    edits of a listing never change an order.
    """

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Awaiting payment"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        RETURN_REQUESTED = "return_requested", "Return requested"
        RETURN_ACCEPTED = "return_accepted", "Return accepted"
        REFUNDED = "refunded", "Returned and refunded"

    number = models.CharField(max_length=12, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        editable=False,
    )
    artisan = models.ForeignKey(
        "artisans.Artisan",
        on_delete=models.PROTECT,
        related_name="orders",
        editable=False,
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING_PAYMENT,
        db_index=True,
        editable=False,
    )
    currency = models.CharField(max_length=3, editable=False)
    subtotal = models.DecimalField(**MONEY, editable=False)
    shipping = models.DecimalField(**MONEY, editable=False)
    total = models.DecimalField(**MONEY, editable=False)
    insured = models.BooleanField(default=True, editable=False)
    # The address as it was when the order was placed.
    ship_name = models.CharField(max_length=120, editable=False)
    ship_line1 = models.CharField(max_length=120, editable=False)
    ship_line2 = models.CharField(max_length=120, blank=True, editable=False)
    ship_city = models.CharField(max_length=80, editable=False)
    ship_region = models.CharField(max_length=80, blank=True, editable=False)
    ship_postcode = models.CharField(max_length=20, editable=False)
    ship_country = CountryField(editable=False)
    shipping_region = models.CharField(
        max_length=10, choices=ShippingProfile.Region.choices, editable=False
    )
    payment_provider = models.CharField(max_length=20, editable=False)
    hold_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    carrier = models.CharField(max_length=60, blank=True, editable=False)
    tracking_number = models.CharField(max_length=60, blank=True, editable=False)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="order_buyer_recent"),
            models.Index(
                fields=["artisan", "status", "-created_at"], name="order_artisan_status"
            ),
            models.Index(fields=["status", "hold_expires_at"], name="order_holds"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("shipping")),
                name="order_total_is_lines_plus_shipping",
            ),
        ]

    def __str__(self):
        return f"Order {self.number}"

    def get_absolute_url(self):
        return reverse("marketplace:order-detail", kwargs={"number": self.number})

    @property
    def ship_lines(self) -> list[str]:
        return [
            part
            for part in (
                self.ship_name,
                self.ship_line1,
                self.ship_line2,
                " ".join(p for p in (self.ship_city, self.ship_postcode) if p),
                self.ship_region,
                self.ship_country.name if self.ship_country else "",
            )
            if part
        ]

    @property
    def is_open(self) -> bool:
        return self.status not in (
            self.Status.COMPLETED,
            self.Status.CANCELLED,
            self.Status.EXPIRED,
            self.Status.REFUNDED,
        )


class OrderLine(models.Model):
    """One piece of an order, with what the buyer saw when they placed it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(
        "marketplace.Listing",
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY)
    title = models.CharField(max_length=140)
    kind = models.CharField(max_length=20)
    materials = models.TextField(blank=True)
    hallmark_status = models.CharField(max_length=40, blank=True)
    certificate_code = models.CharField(max_length=20, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(730)]
    )
    returnable = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line_total=models.F("unit_price") * models.F("quantity")),
                name="order_line_total_is_price_times_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.title}"


class OrderEvent(models.Model):
    """An append-only record of one move of an order: who, when, from, to, why."""

    # How the order page's timeline names each move.
    LABELS = {
        "placed": "Order placed",
        "confirm_payment": "Payment confirmed by the artisan",
        "pay": "Payment received",
        "ship": "Shipped",
        "confirm_delivery": "Delivery confirmed by the buyer",
        "deliver": "Delivered",
        "complete": "Completed",
        "cancel": "Cancelled",
        "expire": "Hold expired unpaid",
        "request_return": "Return requested",
        "accept_return": "Return accepted",
        "refuse_return": "Return refused",
        "receive_return": "Returned piece received and refunded",
        "late_payment_refunded": "Late payment refunded",
    }

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(
        max_length=20, blank=True, choices=Order.Status.choices
    )
    to_status = models.CharField(max_length=20, choices=Order.Status.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.order_id} {self.action}: {self.from_status} → {self.to_status}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.action, self.action.replace("_", " ").capitalize())
