"""The commissions API: one POST action per move, each calling the same service as HTML."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from marketplace.commissions import selectors, services
from marketplace.commissions.api.serializers import (
    CommissionCreateSerializer,
    CommissionDetailSerializer,
    CommissionSerializer,
    CompleteSerializer,
    EventSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    NoteSerializer,
    NotificationSerializer,
    OptionalReasonSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    ProgressUpdateCreateSerializer,
    ProgressUpdateSerializer,
    QuoteCreateSerializer,
    QuoteSerializer,
    ReasonSerializer,
    RequiredNoteSerializer,
)
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    Message,
    Notification,
    Quote,
)
from marketplace.commissions.notifications import notification_mark_read
from provenance.selectors.chain import lot_list

ERRORS = {
    400: VALIDATION_ERROR,
    401: DETAIL_ERROR,
    403: DETAIL_ERROR,
    404: DETAIL_ERROR,
}
READ_ERRORS = {401: DETAIL_ERROR, 404: DETAIL_ERROR}
PARSERS = [JSONParser, MultiPartParser, FormParser]

VERSION = OpenApiParameter("version", OpenApiTypes.INT, OpenApiParameter.PATH)
UPDATE_ID = OpenApiParameter("update_id", OpenApiTypes.INT, OpenApiParameter.PATH)
PAYMENT_ID = OpenApiParameter("payment_id", OpenApiTypes.INT, OpenApiParameter.PATH)
COMMISSION_PK = OpenApiParameter(
    "commission_pk", OpenApiTypes.INT, OpenApiParameter.PATH
)
ROLE = OpenApiParameter(
    "role",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["buyer", "artisan"],
    description="Only the commissions you asked for (buyer) or received (artisan).",
)


def _move(request_serializer, response, description: str, **kwargs):
    return extend_schema(
        request=request_serializer,
        responses={response[0]: response[1], **ERRORS},
        description=description,
        **kwargs,
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[ROLE], responses={200: CommissionSerializer, 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(responses={200: CommissionDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=CommissionCreateSerializer,
        responses={201: CommissionSerializer, **ERRORS},
    ),
)
class CommissionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Commissions you asked for or received. Anyone else's are 404."""

    serializer_class = CommissionSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = PARSERS
    lookup_value_regex = r"[^/]+"
    queryset = Commission.objects.none()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CommissionDetailSerializer
        return CommissionSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action == "retrieve":
            return selectors.commission_visible(user=user).prefetch_related(
                "reference_images",
                Prefetch("quotes", queryset=Quote.objects.order_by("-version")),
            )
        role = self.request.query_params.get("role")
        if role == "buyer":
            return selectors.commission_list(user=user)
        if role == "artisan":
            return selectors.commission_inbox(user=user)
        return selectors.commission_visible(user=user)

    def _respond(self, commission, code=status.HTTP_200_OK):
        commission = get_object_or_404(self.get_queryset(), pk=commission.pk)
        return Response(
            CommissionSerializer(
                commission, context=self.get_serializer_context()
            ).data,
            status=code,
        )

    def _data(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def create(self, request, *args, **kwargs):
        data = self._data(CommissionCreateSerializer)
        commission = services.commission_request(
            buyer=request.user,
            artisan=data["artisan"],
            kind=data["kind"],
            base_listing=data.get("base_listing"),
            title=data["title"],
            category=data["category"],
            brief=data["brief"],
            budget_min=data.get("budget_min"),
            budget_max=data.get("budget_max"),
            currency=data["currency"],
            desired_date=data.get("desired_date"),
            ring_size=data.get("ring_size", ""),
            measurements=data.get("measurements", ""),
            engraving_text=data.get("engraving_text", ""),
            material_preferences=data.get("material_preferences", ""),
            reference_images=data.get("reference_images", []),
        )
        return self._respond(commission, status.HTTP_201_CREATED)

    # --- Moves ---

    @_move(
        None,
        (200, CommissionSerializer),
        "The artisan admits this request from the waitlist.",
    )
    @action(detail=True, methods=["post"])
    def admit(self, request, pk=None):
        commission = self.get_object()
        services.commission_admit(actor=request.user, commission=commission)
        return self._respond(commission)

    @_move(
        ReasonSerializer,
        (200, CommissionSerializer),
        "The artisan declines the request.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        commission = self.get_object()
        data = self._data(ReasonSerializer)
        services.commission_decline(
            actor=request.user, commission=commission, reason=data["reason"]
        )
        return self._respond(commission)

    @_move(
        QuoteCreateSerializer,
        (201, QuoteSerializer),
        "The artisan sends a quote; it supersedes the current version.",
    )
    @action(detail=True, methods=["post"])
    def quotes(self, request, pk=None):
        commission = self.get_object()
        data = self._data(QuoteCreateSerializer)
        quote = services.commission_quote(
            actor=request.user,
            commission=commission,
            price=data["price"],
            deposit=data["deposit"],
            currency=data.get("currency"),
            estimated_completion_date=data["estimated_completion_date"],
            valid_until=data["valid_until"],
            materials_commitments=data["materials_commitments"],
            note=data.get("note", ""),
        )
        return Response(QuoteSerializer(quote).data, status=status.HTTP_201_CREATED)

    @_move(
        None,
        (200, CommissionSerializer),
        "The buyer accepts this version of the quote (current and unexpired only).",
        parameters=[VERSION],
    )
    @action(detail=True, methods=["post"], url_path=r"quotes/(?P<version>[^/]+)/accept")
    def accept_quote(self, request, pk=None, version=None):
        commission = self.get_object()
        services.commission_accept_quote(
            actor=request.user, commission=commission, version=version
        )
        return self._respond(commission)

    @_move(
        OptionalReasonSerializer,
        (200, CommissionSerializer),
        "The buyer declines this version of the quote.",
        parameters=[VERSION],
    )
    @action(
        detail=True, methods=["post"], url_path=r"quotes/(?P<version>[^/]+)/decline"
    )
    def decline_quote(self, request, pk=None, version=None):
        commission = self.get_object()
        data = self._data(OptionalReasonSerializer)
        services.commission_decline_quote(
            actor=request.user,
            commission=commission,
            version=version,
            reason=data.get("reason", ""),
        )
        return self._respond(commission)

    @_move(None, (200, CommissionSerializer), "The artisan starts the work.")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        commission = self.get_object()
        services.commission_start(actor=request.user, commission=commission)
        return self._respond(commission)

    @_move(
        ProgressUpdateCreateSerializer,
        (201, ProgressUpdateSerializer),
        "The artisan posts a progress update (multipart for photos).",
    )
    @action(detail=True, methods=["post"], url_path="progress-updates")
    def progress_updates(self, request, pk=None):
        commission = self.get_object()
        data = self._data(ProgressUpdateCreateSerializer)
        update = services.commission_post_update(
            actor=request.user,
            commission=commission,
            stage=data["stage"],
            note=data["note"],
            needs_approval=data["needs_approval"],
            use_as_evidence=data["use_as_evidence"],
            photos=data.get("photos", []),
        )
        return Response(
            ProgressUpdateSerializer(
                update, context=self.get_serializer_context()
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @_move(
        NoteSerializer,
        (200, CommissionSerializer),
        "The buyer approves a progress update that asked for approval.",
        parameters=[UPDATE_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"progress-updates/(?P<update_id>[^/]+)/approve",
    )
    def approve_update(self, request, pk=None, update_id=None):
        commission = self.get_object()
        data = self._data(NoteSerializer)
        services.commission_approve_update(
            actor=request.user,
            commission=commission,
            update_id=update_id,
            note=data.get("note", ""),
        )
        return self._respond(commission)

    @_move(
        RequiredNoteSerializer,
        (200, CommissionSerializer),
        "The buyer requests changes to a progress update.",
        parameters=[UPDATE_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"progress-updates/(?P<update_id>[^/]+)/request-changes",
    )
    def request_changes(self, request, pk=None, update_id=None):
        commission = self.get_object()
        data = self._data(RequiredNoteSerializer)
        services.commission_request_changes(
            actor=request.user,
            commission=commission,
            update_id=update_id,
            note=data["note"],
        )
        return self._respond(commission)

    @_move(
        None, (200, CommissionSerializer), "The artisan submits the piece for review."
    )
    @action(detail=True, methods=["post"], url_path="submit-for-review")
    def submit_for_review(self, request, pk=None):
        commission = self.get_object()
        services.commission_submit_for_review(actor=request.user, commission=commission)
        return self._respond(commission)

    @_move(None, (200, CommissionSerializer), "The buyer approves the finished piece.")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        commission = self.get_object()
        services.commission_approve(actor=request.user, commission=commission)
        return self._respond(commission)

    @_move(
        ReasonSerializer, (200, CommissionSerializer), "The buyer sends the piece back."
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        commission = self.get_object()
        data = self._data(ReasonSerializer)
        services.commission_send_back(
            actor=request.user, commission=commission, reason=data["reason"]
        )
        return self._respond(commission)

    @_move(
        CompleteSerializer,
        (200, CommissionSerializer),
        "The artisan completes an approved commission; the piece becomes the buyer's.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        commission = self.get_object()
        data = self._data(CompleteSerializer)
        services.commission_complete(
            actor=request.user,
            commission=commission,
            title=data.get("title", ""),
            description=data.get("description", ""),
            metals=[dict(metal) for metal in data.get("metals", [])],
            inputs=self._lots(data["inputs"]),
            loss_grams=data["loss_grams"],
        )
        return self._respond(commission)

    def _lots(self, inputs):
        """Resolve lot ids among the artisan's own lots; others do not exist for them."""
        lots = lot_list(user=self.request.user).in_bulk(
            [item["lot"] for item in inputs]
        )
        missing = [item["lot"] for item in inputs if item["lot"] not in lots]
        if missing:
            raise serializers.ValidationError(
                {"inputs": [f"No such lot: {', '.join(map(str, missing))}."]}
            )
        return [(lots[item["lot"]], item["grams"]) for item in inputs]

    @_move(ReasonSerializer, (200, CommissionSerializer), "Either party cancels.")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        commission = self.get_object()
        data = self._data(ReasonSerializer)
        services.commission_cancel(
            actor=request.user, commission=commission, reason=data["reason"]
        )
        return self._respond(commission)

    @_move(
        PaymentCreateSerializer,
        (201, PaymentSerializer),
        "The buyer records a deposit or balance payment.",
    )
    @action(detail=True, methods=["post"])
    def payments(self, request, pk=None):
        commission = self.get_object()
        data = self._data(PaymentCreateSerializer)
        payment = services.payment_record(
            actor=request.user,
            commission=commission,
            kind=data["kind"],
            amount=data["amount"],
            reference=data["reference"],
            method=data["method"],
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @_move(
        None,
        (200, PaymentSerializer),
        "The artisan confirms a recorded payment.",
        parameters=[PAYMENT_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"payments/(?P<payment_id>[^/]+)/confirm",
    )
    def confirm_payment(self, request, pk=None, payment_id=None):
        commission = self.get_object()
        payment = services.payment_confirm(
            actor=request.user, commission=commission, payment_id=payment_id
        )
        return Response(PaymentSerializer(payment).data)


class _CommissionChildMixin:
    permission_classes = [permissions.IsAuthenticated]

    def get_commission(self) -> Commission:
        return get_object_or_404(
            selectors.commission_visible(user=self.request.user),
            pk=self.kwargs["commission_pk"],
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[COMMISSION_PK], responses={200: EventSerializer, **READ_ERRORS}
    )
)
class CommissionEventViewSet(
    _CommissionChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """A commission's timeline, oldest first."""

    serializer_class = EventSerializer
    queryset = CommissionEvent.objects.none()

    def get_queryset(self):
        return selectors.commission_events(commission=self.get_commission())


@extend_schema_view(
    list=extend_schema(
        parameters=[COMMISSION_PK], responses={200: MessageSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        parameters=[COMMISSION_PK],
        request=MessageCreateSerializer,
        responses={201: MessageSerializer, **ERRORS},
    ),
)
class CommissionMessageViewSet(
    _CommissionChildMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A commission's thread; either party writes (multipart for attachments)."""

    serializer_class = MessageSerializer
    parser_classes = PARSERS
    queryset = Message.objects.none()

    def get_queryset(self):
        return selectors.commission_messages(commission=self.get_commission())

    def create(self, request, *args, **kwargs):
        commission = self.get_commission()
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_post(
            actor=request.user,
            commission=commission,
            body=data.validated_data["body"],
            attachments=data.validated_data.get("attachments", []),
        )
        message = selectors.commission_messages(commission=commission).get(
            pk=message.pk
        )
        return Response(
            MessageSerializer(message, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(responses={200: NotificationSerializer, 401: DETAIL_ERROR}),
    retrieve=extend_schema(responses={200: NotificationSerializer, **READ_ERRORS}),
)
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your notifications, newest first; mark one or all read."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = r"[^/]+"
    queryset = Notification.objects.none()

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer, **READ_ERRORS})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification=notification)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "NotificationsMarkedRead", {"marked_read": serializers.IntegerField()}
            ),
            401: DETAIL_ERROR,
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        count = notification_mark_read(user=request.user)
        return Response({"marked_read": count})


def register(router) -> None:
    router.register("commissions", CommissionViewSet, basename="commission")
    router.register(
        r"commissions/(?P<commission_pk>[^/]+)/events",
        CommissionEventViewSet,
        basename="commission-event",
    )
    router.register(
        r"commissions/(?P<commission_pk>[^/]+)/messages",
        CommissionMessageViewSet,
        basename="commission-message",
    )
    router.register("notifications", NotificationViewSet, basename="notification")
