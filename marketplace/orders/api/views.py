"""The orders API: basket, checkout, address book, orders with one POST per move, and
Stripe's webhook. Each write calls the same service as the HTML views."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import SafeJSONParser
from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from marketplace.accounts.models import Address
from marketplace.catalogue.models import ListingPhoto
from marketplace.orders import selectors, services
from marketplace.orders.api import serializers as s
from marketplace.orders.models import BasketLine, Order
from marketplace.orders.moves import MOVES, OrderMove
from marketplace.payments import services as payments

# Any segment reaches the view, so that a malformed id or number is a JSON 404.
LOOKUP = r"[^/]+"
ERRORS = {
    400: VALIDATION_ERROR,
    401: DETAIL_ERROR,
    403: DETAIL_ERROR,
    404: DETAIL_ERROR,
}
READ_ERRORS = {401: DETAIL_ERROR, 404: DETAIL_ERROR}
PARTIES = {
    services.BUYER: "the buyer",
    services.ARTISAN: "the artisan (or staff)",
    services.EITHER: "either party",
}

ORDER_EXAMPLE = {
    "number": "K7QX2M4P",
    "status": "pending_payment",
    "status_label": "Awaiting payment",
    "artisan": {
        "slug": "mara-silver",
        "public_name": "Mara Silver",
        "country": "GB",
        "verification_status": "verified",
    },
    "buyer": "ada",
    "currency": "GBP",
    "subtotal": "180.00",
    "shipping": "5.00",
    "total": "185.00",
    "payment_provider": "manual",
    "hold_expires_at": "2025-06-01T10:15:00Z",
    "lines": [
        {
            "id": 41,
            "listing": "hammered-silver-ring",
            "title": "Hammered silver ring",
            "kind": "one_of_a_kind",
            "quantity": 1,
            "unit_price": "180.00",
            "line_total": "180.00",
            "materials": "Sterling silver (925), 6.2 g",
            "returnable": True,
        }
    ],
    "payment": {
        "provider": "manual",
        "reference": "TS-7KQ2-M4PX",
        "status": "pending",
        "amount": "185.00",
        "currency": "GBP",
        "checkout_url": "",
        "paid_at": None,
        "refunds": [],
    },
    "allowed_moves": ["cancel"],
}
MOVE_EXAMPLES = {
    "ship": [
        OpenApiExample(
            "Tracked parcel",
            value={"carrier": "Royal Mail", "tracking_number": "RM123456789GB"},
            request_only=True,
        ),
        OpenApiExample(
            "Shipped",
            value={
                **ORDER_EXAMPLE,
                "status": "shipped",
                "status_label": "Shipped",
                "carrier": "Royal Mail",
                "tracking_number": "RM123456789GB",
                "allowed_moves": [],
            },
            response_only=True,
            status_codes=["200"],
        ),
        OpenApiExample(
            "From the wrong state",
            value={
                "non_field_errors": ["Cannot ship the order: the order is shipped."]
            },
            response_only=True,
            status_codes=["400"],
        ),
    ],
}


def _orders_out(request, orders, *, many=False, serializer_class=None):
    """Orders as the API shows them, their charges read once for all of them."""
    rows = list(orders) if many else [orders]
    context = {
        "request": request,
        "charges": selectors.order_charges(orders=rows),
    }
    serializer_class = serializer_class or s.OrderDetailSerializer
    return serializer_class(orders, many=many, context=context).data


# --- Basket -------------------------------------------------------------------------


class BasketView(APIView):
    """The signed-in buyer's basket, grouped as checkout will split it."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="basket_retrieve",
        responses={200: s.BasketSerializer, 401: DETAIL_ERROR},
    )
    def get(self, request):
        lines = selectors.basket_lines(user=request.user)
        return Response(
            s.BasketSerializer(s.basket_data(lines), context={"request": request}).data
        )


class CheckoutView(APIView):
    """Place the basket: one order per artisan and currency, each holding its pieces
    while the buyer pays. Amounts come from the pieces, never from the request."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="basket_checkout",
        request=s.CheckoutSerializer,
        responses={
            201: s.OrderDetailSerializer(many=True),
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
        },
        examples=[
            OpenApiExample(
                "Deliver to an address of yours",
                value={"address": 12},
                request_only=True,
            ),
            OpenApiExample(
                "One order placed",
                value=[ORDER_EXAMPLE],
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Empty basket",
                value={"non_field_errors": ["Your basket is empty."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        data = s.CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        address = (
            selectors.address_list(user=request.user)
            .filter(pk=data.validated_data["address"])
            .first()
        )
        if address is None:
            raise ValidationError({"address": "Choose one of your addresses."})
        orders = services.checkout_place(user=request.user, address=address)
        placed = selectors.order_list(user=request.user).filter(
            pk__in=[order.pk for order in orders]
        )
        return Response(
            _orders_out(request, placed, many=True), status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    create=extend_schema(
        request=s.BasketLineCreateSerializer,
        responses={
            201: s.BasketLineSerializer,
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
        },
        description="Put a piece in the basket, or set its quantity if it is there.",
    ),
    partial_update=extend_schema(
        request=s.BasketLineUpdateSerializer,
        responses={200: s.BasketLineSerializer, **ERRORS},
    ),
    destroy=extend_schema(responses={204: None, **READ_ERRORS}),
)
class BasketLineViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Lines of your basket; anyone else's are 404."""

    serializer_class = s.BasketLineSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = LOOKUP
    queryset = BasketLine.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BasketLine.objects.none()
        return (
            BasketLine.objects.filter(basket__user=self.request.user)
            .select_related("basket", "listing__artisan")
            .prefetch_related(
                Prefetch(
                    "listing__photos",
                    queryset=ListingPhoto.objects.order_by("position", "id"),
                )
            )
        )

    def _respond(self, line, code=status.HTTP_200_OK):
        line = self.get_queryset().get(pk=line.pk)
        return Response(
            s.BasketLineSerializer(line, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        data = s.BasketLineCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.basket_add(
            user=request.user,
            listing=data.validated_data["listing"],
            quantity=data.validated_data["quantity"],
        )
        return self._respond(line, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        line = self.get_object()
        data = s.BasketLineUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.basket_update(
            user=request.user, line=line, quantity=data.validated_data["quantity"]
        )
        return self._respond(line)

    def perform_destroy(self, instance):
        services.basket_remove(user=self.request.user, line=instance)


# --- Addresses ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        responses={200: s.AddressSerializer(many=True), 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(responses={200: s.AddressSerializer, **READ_ERRORS}),
    create=extend_schema(
        responses={201: s.AddressSerializer, 400: VALIDATION_ERROR, 401: DETAIL_ERROR}
    ),
    update=extend_schema(responses={200: s.AddressSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.AddressSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **READ_ERRORS}),
)
class AddressViewSet(viewsets.ModelViewSet):
    """Your address book for checkout; anyone else's addresses are 404. Orders keep
    their own copy, so changing or removing an address never changes an order."""

    serializer_class = s.AddressSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    lookup_value_regex = LOOKUP
    queryset = Address.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Address.objects.none()
        return selectors.address_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.address_save(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.address_save(
            user=self.request.user,
            address=serializer.instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.address_delete(user=self.request.user, address=instance)


# --- Orders -------------------------------------------------------------------------


class OrderQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["buyer", "artisan"], default="buyer")
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)


def _move_action(move: OrderMove):
    """One POST action for a move of the registry, with its request body and schema."""
    transition = services.TRANSITIONS[move.name]
    sources = ", ".join(str(status_) for status_ in transition.sources)
    body = s.move_input_serializer(move)

    def run(self, request, number=None):
        return self.run_move(request, move)

    run.__name__ = move.name
    run.__doc__ = f"{move.button}."
    run = action(detail=True, methods=["post"], url_path=move.slug, url_name=move.slug)(
        run
    )
    return extend_schema(
        operation_id=f"orders_{move.name}",
        summary=move.button,
        description=(
            f"Made by {PARTIES[transition.by]} on an order that is {sources}; "
            f"it becomes {transition.target}. Answers the order. "
            "A move from another state is a 400 and changes nothing."
        ),
        request=body,
        responses={200: s.OrderDetailSerializer, **ERRORS},
        examples=MOVE_EXAMPLES.get(move.slug, []),
    )(run)


def _with_move_actions(viewset):
    """Give the viewset one action per move in ``MOVES``."""
    for move in MOVES.values():
        if hasattr(viewset, move.name):
            raise TypeError(f"The move {move.name} would hide {viewset.__name__}'s own")
        setattr(viewset, move.name, _move_action(move))
    return viewset


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "role",
                OpenApiTypes.STR,
                enum=["buyer", "artisan"],
                description="The orders you placed (buyer, the default) "
                "or received (artisan).",
            ),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=Order.Status.values,
                description="Only the orders in this status.",
            ),
        ],
        responses={
            200: s.OrderSerializer(many=True),
            400: VALIDATION_ERROR,
            401: DETAIL_ERROR,
        },
    ),
    retrieve=extend_schema(responses={200: s.OrderDetailSerializer, **READ_ERRORS}),
)
@_with_move_actions
class OrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Orders you placed or received, by number; anyone else's are 404. Each move of
    the workflow is its own POST action; ``allowed_moves`` says which you may make."""

    serializer_class = s.OrderSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "number"
    lookup_value_regex = LOOKUP
    filter_backends = []
    queryset = Order.objects.none()

    def get_serializer_class(self):
        if self.action == "list":
            return s.OrderSerializer
        return s.OrderDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        query = OrderQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        chosen = (
            selectors.order_inbox
            if query.validated_data["role"] == "artisan"
            else selectors.order_list
        )
        return chosen(user=self.request.user, status=query.validated_data.get("status"))

    def get_object(self):
        return selectors.order_get(user=self.request.user, number=self.kwargs["number"])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = _orders_out(request, page, many=True, serializer_class=s.OrderSerializer)
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return Response(_orders_out(request, self.get_object()))

    def run_move(self, request, move: OrderMove):
        """Validate the move's inputs and dispatch it through the registry."""
        order = self.get_object()
        body = s.move_input_serializer(move)
        data = {}
        if body is not None:
            inputs = body(data=request.data)
            inputs.is_valid(raise_exception=True)
            data = inputs.validated_data
        MOVES[move.slug].run(actor=request.user, order=order, data=data)
        return Response(_orders_out(request, self.get_object()))


# --- Payments -----------------------------------------------------------------------


class StripeWebhookView(APIView):
    """Stripe's signed notifications. Signed by Stripe, not by a user: no session,
    no token, no CSRF, no throttle (Stripe retries what we refuse)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []
    # Only for the schema: the body is verified as the raw bytes Stripe signed.
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="payments_stripe_webhook",
        description=(
            "A Stripe event, signed in the `Stripe-Signature` header. A good event "
            "is recorded once by its id (a replay answers 200 and does nothing); a "
            "bad or stale signature, or an amount or currency that differs from the "
            "payment asked for, is a 400 and marks nothing paid."
        ),
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="t=<unix time>,v1=<HMAC-SHA256 of 't.body'>",
            )
        ],
        responses={
            200: inline_serializer(
                "StripeWebhookReceived", {"received": serializers.BooleanField()}
            ),
            400: VALIDATION_ERROR,
        },
        auth=[],
    )
    def post(self, request):
        with transaction.atomic():
            notification = payments.webhook_verify(
                payload=request.body,
                signature=request.headers.get("Stripe-Signature", ""),
            )
            charge, newly_paid, problem = payments.webhook_record(
                notification=notification
            )
            if newly_paid and charge.payable_type_id == (
                ContentType.objects.get_for_model(Order).pk
            ):
                order = Order.objects.filter(pk=charge.payable_id).first()
                if order is not None:
                    services.order_payment_received(order=order, charge=charge)
        if problem:
            # Recorded above (committed), and refused so that the sender sees it.
            raise ValidationError(problem)
        return Response({"received": True})


urlpatterns = [
    path("basket/", BasketView.as_view(), name="basket"),
    path("basket/checkout/", CheckoutView.as_view(), name="basket-checkout"),
    path(
        "payments/stripe/webhook/",
        StripeWebhookView.as_view(),
        name="stripe-webhook",
    ),
]


def register(router) -> None:
    router.register("basket/lines", BasketLineViewSet, basename="basket-line")
    router.register("addresses", AddressViewSet, basename="address")
    router.register("orders", OrderViewSet, basename="order")
