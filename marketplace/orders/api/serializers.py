"""Orders API shapes: they check the shape of input; the services hold every rule.

Amounts are never read from a client: a basket line's price is the piece's, and an
order's totals are the ones checkout computed.
"""

from decimal import Decimal

from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.models import MAX_ID
from marketplace.accounts.models import Address
from marketplace.catalogue.api.serializers import (
    ArtisanSummarySerializer,
    ListingSerializer,
)
from marketplace.catalogue.models import Listing
from marketplace.orders import selectors, services
from marketplace.orders.models import BasketLine, Order, OrderEvent, OrderLine
from marketplace.orders.moves import MOVES, moves_for
from marketplace.payments.models import Charge, Refund

MONEY = {"max_digits": 12, "decimal_places": 2}

# --- Basket -------------------------------------------------------------------------


class BasketLineSerializer(serializers.ModelSerializer):
    listing = ListingSerializer(read_only=True)
    unit_price = serializers.DecimalField(
        source="listing.price", read_only=True, **MONEY
    )
    currency = serializers.CharField(source="listing.currency", read_only=True)
    line_total = serializers.SerializerMethodField()

    class Meta:
        model = BasketLine
        fields = [
            "id",
            "listing",
            "quantity",
            "unit_price",
            "currency",
            "line_total",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_line_total(self, line) -> str:
        return _money(line.listing.price * line.quantity)


class BasketGroupSerializer(serializers.Serializer):
    """The lines that checkout will place as one order: one artisan, one currency."""

    artisan = ArtisanSummarySerializer()
    currency = serializers.CharField()
    lines = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the group's lines."
    )
    quantity = serializers.IntegerField()
    subtotal = serializers.DecimalField(**MONEY)


class BasketSerializer(serializers.Serializer):
    lines = BasketLineSerializer(many=True)
    groups = BasketGroupSerializer(many=True)
    quantity = serializers.IntegerField(help_text="Pieces in the basket.")


def basket_data(lines: list[BasketLine]) -> dict:
    """The basket as the API shows it, with its lines grouped as checkout splits them."""
    groups: dict[tuple[int, str], dict] = {}
    for line in lines:
        listing = line.listing
        group = groups.setdefault(
            (listing.artisan_id, listing.currency),
            {
                "artisan": listing.artisan,
                "currency": listing.currency,
                "lines": [],
                "quantity": 0,
                "subtotal": Decimal("0.00"),
            },
        )
        group["lines"].append(line.pk)
        group["quantity"] += line.quantity
        group["subtotal"] += listing.price * line.quantity
    return {
        "lines": lines,
        "groups": list(groups.values()),
        "quantity": sum(line.quantity for line in lines),
    }


class BasketLineCreateSerializer(serializers.Serializer):
    listing = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Listing.objects.filter(Listing.public_q()),
        error_messages={"does_not_exist": "No such piece."},
    )
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class BasketLineUpdateSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class CheckoutSerializer(serializers.Serializer):
    address = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of one of your addresses."
    )


# --- Addresses ----------------------------------------------------------------------


class AddressSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = Address
        fields = ["id", *services.ADDRESS_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


# --- Orders -------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    """A piece as it was when the order was placed."""

    listing = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "listing",
            "title",
            "kind",
            "quantity",
            "unit_price",
            "line_total",
            "materials",
            "hallmark_status",
            "certificate_code",
            "lead_time_days",
            "returnable",
        ]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["amount", "reason", "status", "created_at"]
        read_only_fields = fields


class ChargeSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True, read_only=True)
    checkout_url = serializers.CharField(
        read_only=True,
        help_text="The provider's payment page to send the buyer to; blank when "
        "payment is arranged directly with the artisan.",
    )

    class Meta:
        model = Charge
        fields = [
            "provider",
            "reference",
            "status",
            "amount",
            "currency",
            "checkout_url",
            "paid_at",
            "refunds",
        ]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    from_status = serializers.ChoiceField(
        choices=Order.Status.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank on the event that placed the order.",
    )

    class Meta:
        model = OrderEvent
        fields = ["action", "actor", "from_status", "to_status", "note", "created_at"]
        read_only_fields = fields


class ShipToSerializer(serializers.Serializer):
    name = serializers.CharField(source="ship_name")
    line1 = serializers.CharField(source="ship_line1")
    line2 = serializers.CharField(source="ship_line2")
    city = serializers.CharField(source="ship_city")
    region = serializers.CharField(source="ship_region")
    postcode = serializers.CharField(source="ship_postcode")
    country = serializers.CharField(source="ship_country.code")


class OrderSerializer(serializers.ModelSerializer):
    """An order with its lines, its payment and the moves you may make on it.

    The view passes the orders' charges in the context (``charges``, by order id), so
    that a page of orders reads them in one query."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    artisan = ArtisanSummarySerializer(read_only=True)
    buyer = serializers.CharField(source="buyer.username", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    payment = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "status_label",
            "artisan",
            "buyer",
            "currency",
            "subtotal",
            "shipping",
            "total",
            "insured",
            "shipping_region",
            "payment_provider",
            "hold_expires_at",
            "paid_at",
            "carrier",
            "tracking_number",
            "shipped_at",
            "delivered_at",
            "closed_at",
            "created_at",
            "updated_at",
            "lines",
            "payment",
            "allowed_moves",
        ]
        read_only_fields = fields

    @extend_schema_field(ChargeSerializer(allow_null=True))
    def get_payment(self, order):
        charge = self.context.get("charges", {}).get(order.pk)
        return ChargeSerializer(charge).data if charge is not None else None

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=list(MOVES)),
            help_text="The moves you may make now: POST /api/orders/{number}/{move}/.",
        )
    )
    def get_allowed_moves(self, order) -> list[str]:
        return [move.slug for move in moves_for(self.context["request"].user, order)]


class OrderDetailSerializer(OrderSerializer):
    """One order with where it ships and its timeline."""

    ship_to = ShipToSerializer(source="*", read_only=True)
    events = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "ship_to", "events"]
        read_only_fields = fields

    @extend_schema_field(OrderEventSerializer(many=True))
    def get_events(self, order):
        """The order's timeline, oldest first."""
        return OrderEventSerializer(selectors.order_events(order=order), many=True).data


# --- Moves --------------------------------------------------------------------------

# The inputs a move may take (``OrderMove.inputs``), as the API accepts them.
MOVE_INPUTS = {
    "reason": lambda required: serializers.CharField(
        max_length=1000, required=required, allow_blank=not required
    ),
    "carrier": lambda required: serializers.CharField(max_length=60),
    "tracking_number": lambda required: serializers.CharField(max_length=60),
}
_move_serializers: dict[tuple, type[serializers.Serializer]] = {}


def move_input_serializer(move) -> type[serializers.Serializer] | None:
    """The request body of one move: only its inputs (None for a move without any).

    Moves taking the same inputs share one serializer, so the schema names each shape
    once."""
    if not move.inputs:
        return None
    reason_required = services.TRANSITIONS[move.name].reason_required
    key = (move.inputs, reason_required)
    if key not in _move_serializers:
        fields = {name: MOVE_INPUTS[name](reason_required) for name in move.inputs}
        words = "".join(
            part.title() for name in move.inputs for part in name.split("_")
        )
        optional = "" if reason_required or "reason" not in move.inputs else "Optional"
        _move_serializers[key] = type(
            f"Move{optional}{words}Serializer", (serializers.Serializer,), fields
        )
    return _move_serializers[key]


def _money(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))
