"""The commissions API: one POST action per move of ``moves.MOVES``, each calling the
same service as the HTML page."""

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
from rest_framework.response import Response

from config.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from marketplace.accounts.models import Notification
from marketplace.commissions import selectors, services
from marketplace.commissions.api.serializers import (
    MOVE_INPUTS,
    RESULT_SERIALIZERS,
    CommissionCreateSerializer,
    CommissionDetailSerializer,
    CommissionSerializer,
    EventSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    NotificationSerializer,
)
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    Message,
    Quote,
)
from marketplace.commissions.moves import MOVES, CommissionMove
from marketplace.commissions.notifications import notification_mark_read

ERRORS = {
    400: VALIDATION_ERROR,
    401: DETAIL_ERROR,
    403: DETAIL_ERROR,
    404: DETAIL_ERROR,
}
READ_ERRORS = {401: DETAIL_ERROR, 404: DETAIL_ERROR}
PARSERS = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

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
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context()
        )
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


def _move_action(move: CommissionMove):
    """The API's action for one move: ``POST /api/commissions/<pk>/<slug>/``."""
    body = MOVE_INPUTS[move.name]
    answer = RESULT_SERIALIZERS.get(move.result, CommissionSerializer)
    answer_status = status.HTTP_201_CREATED if move.creates else status.HTTP_200_OK

    def make(self, request, pk=None):
        commission = self.get_object()
        data = self._data(body) if body else {}
        result = move.run(user=request.user, commission=commission, data=data)
        if move.result is None:
            return self._respond(commission, answer_status)
        context = self.get_serializer_context()
        return Response(answer(result, context=context).data, status=answer_status)

    make.__name__ = move.name
    make.__doc__ = move.description
    make = action(detail=True, methods=["post"], url_path=move.slug)(make)
    return extend_schema(
        request=body,
        responses={answer_status: answer, **ERRORS},
        description=move.description,
    )(make)


for _move in MOVES.values():
    setattr(CommissionViewSet, _move.name, _move_action(_move))


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
