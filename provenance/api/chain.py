"""REST API of the origin chain: parties, lots, events, certifications.

Create and read only: there is no update or delete route for any of them. Every write
calls the same service as the studio pages. An artisan sees only their own lots, events
and certifications; anything else is a 404.
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.schema import DETAIL_ERROR, VALIDATION_ERROR
from marketplace.catalogue.models import HallmarkRecord, Listing
from marketplace.materials import Metal
from provenance.models import (
    Certification,
    EventItem,
    MaterialLot,
    OriginType,
    Party,
    TraceEvent,
)
from provenance.selectors import chain as selectors
from provenance.services import chain as services
from provenance.services.events import REQUIRED_FIELDS, event_record
from provenance.services.verification import claim_submit

# --- Fields scoped to the user asking ----------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A primary key that must name one of the requesting user's own records."""

    def __init__(self, selector, model, **kwargs):
        self.selector = selector
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.selector(user=request.user)


def _pieces(*, user):
    return selectors.piece_choices(user=user)


def _hallmarks(*, user):
    return HallmarkRecord.objects.filter(listing__in=selectors.piece_choices(user=user))


# --- Read serializers -----------------------------------------------------------------


class ClaimFieldsMixin(serializers.Serializer):
    verification_status = serializers.CharField(read_only=True)
    assurance_level = serializers.CharField(read_only=True)
    has_evidence = serializers.BooleanField(read_only=True)


class PartySerializer(ClaimFieldsMixin, serializers.ModelSerializer):
    """A party; ``verification_status`` is read-only (a new party is sent for review).

    A workshop's ``assurance_level`` is its artisan profile's."""

    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    workshop = serializers.BooleanField(source="is_workshop", read_only=True)

    class Meta:
        model = Party
        fields = [
            "id",
            "kind",
            "name",
            "country",
            "place",
            "registry_identifier",
            "workshop",
            "verification_status",
            "assurance_level",
            "has_evidence",
        ]
        read_only_fields = ["id"]


class CertificationSerializer(ClaimFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Certification
        fields = [
            "id",
            "scheme",
            "issuer",
            "number",
            "issued_on",
            "valid_until",
            "verification_status",
            "assurance_level",
            "has_evidence",
        ]
        read_only_fields = ["id"]


class MaterialLotSerializer(ClaimFieldsMixin, serializers.ModelSerializer):
    remaining_grams = serializers.DecimalField(
        max_digits=12, decimal_places=3, read_only=True
    )
    custodian = PartySerializer(read_only=True)
    origin_country = serializers.CharField(read_only=True)
    certifications = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = MaterialLot
        fields = [
            "id",
            "reference",
            "material",
            "metal",
            "fineness",
            "stone_species",
            "mass_grams",
            "remaining_grams",
            "origin_type",
            "origin_country",
            "origin_place",
            "origin_party",
            "custodian",
            "certifications",
            "verification_status",
            "assurance_level",
            "has_evidence",
        ]
        read_only_fields = fields


class LotPurchaseSerializer(serializers.Serializer):
    """A purchase: the lot's origin and its transfer from the supplier to the workshop."""

    supplier = ScopedPrimaryKeyField(selectors.party_list, Party)
    origin_party = ScopedPrimaryKeyField(
        selectors.party_list, Party, required=False, allow_null=True
    )
    reference = serializers.CharField(max_length=80)
    material = serializers.ChoiceField(choices=MaterialLot.Material.choices)
    metal = serializers.ChoiceField(
        choices=Metal.choices, required=False, allow_blank=True
    )
    fineness = serializers.IntegerField(
        min_value=1, max_value=999, required=False, allow_null=True
    )
    stone_species = serializers.CharField(
        max_length=20, required=False, allow_blank=True
    )
    mass_grams = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    origin_type = serializers.ChoiceField(choices=OriginType.choices)
    origin_country = serializers.CharField(
        max_length=2, required=False, allow_blank=True
    )
    origin_place = serializers.CharField(
        max_length=160, required=False, allow_blank=True
    )
    purchased_at = serializers.DateTimeField(required=False, allow_null=True)
    certification = ScopedPrimaryKeyField(
        selectors.certification_list, Certification, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class EventItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventItem
        fields = ["role", "lot", "listing", "grams"]
        read_only_fields = fields


class TraceEventSerializer(ClaimFieldsMixin, serializers.ModelSerializer):
    items = EventItemSerializer(many=True, read_only=True)

    class Meta:
        model = TraceEvent
        fields = [
            "id",
            "kind",
            "biz_step",
            "occurred_at",
            "location",
            "from_party",
            "to_party",
            "process",
            "loss_grams",
            "note",
            "certification",
            "hallmark",
            "corrects",
            "hash",
            "hash_version",
            "items",
            "verification_status",
            "assurance_level",
            "has_evidence",
        ]
        read_only_fields = fields


class InputSerializer(serializers.Serializer):
    lot = ScopedPrimaryKeyField(selectors.lot_list, MaterialLot)
    grams = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )


EVENT_KIND_LABELS = {
    "transformation": "Transformation of lots into a piece",
    "assay": "Assay and hallmarking of a piece",
    "certification": "Certification of a lot or a piece",
    "transfer": "Transfer of a lot to another party",
    "repair": "Repair of a piece",
    "correction": "Correction of an earlier event",
}
# The kinds the service records, in its order.
EVENT_CREATE_KINDS = [(str(kind), EVENT_KIND_LABELS[kind]) for kind in REQUIRED_FIELDS]


class TraceEventCreateSerializer(serializers.Serializer):
    """One event; which fields are needed depends on ``kind``: ``event_record`` says
    which (``provenance.services.events.REQUIRED_FIELDS``)."""

    kind = serializers.ChoiceField(choices=EVENT_CREATE_KINDS)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    listing = ScopedPrimaryKeyField(_pieces, Listing, required=False, allow_null=True)
    lot = ScopedPrimaryKeyField(
        selectors.lot_list, MaterialLot, required=False, allow_null=True
    )
    inputs = InputSerializer(many=True, required=False)
    loss_grams = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0"), required=False
    )
    process = serializers.CharField(max_length=40, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    assay_office = ScopedPrimaryKeyField(
        selectors.party_list, Party, required=False, allow_null=True
    )
    hallmark = ScopedPrimaryKeyField(
        _hallmarks, HallmarkRecord, required=False, allow_null=True
    )
    certification = ScopedPrimaryKeyField(
        selectors.certification_list, Certification, required=False, allow_null=True
    )
    to_party = ScopedPrimaryKeyField(
        selectors.party_list, Party, required=False, allow_null=True
    )
    corrects = ScopedPrimaryKeyField(
        selectors.event_list, TraceEvent, required=False, allow_null=True
    )


# --- Viewsets -----------------------------------------------------------------------

ID_PARAM = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The record's id."
)
READ_ERRORS = {401: DETAIL_ERROR, 404: DETAIL_ERROR}
WRITE_ERRORS = {400: VALIDATION_ERROR, 401: DETAIL_ERROR, 403: DETAIL_ERROR}
SUBMIT_ERRORS = {**WRITE_ERRORS, 404: DETAIL_ERROR}


class CreateReadViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "head", "options"]
    # Any path segment reaches the view, so a malformed id is a JSON 404, not a page.
    lookup_value_regex = "[^/]+"
    read_serializer = None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.perform(serializer.validated_data)
        record = self.get_queryset().get(pk=record.pk)
        return Response(
            self.read_serializer(record, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class SubmitMixin:
    @extend_schema(
        request=None,
        parameters=[ID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **SUBMIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the claim to Touchstone's verifiers."""
        record = self.get_object()
        claim_submit(record=record, actor=request.user)
        record = self.get_queryset().get(pk=record.pk)
        return Response(self.read_serializer(record).data)


@extend_schema_view(
    list=extend_schema(responses={200: PartySerializer(many=True), 401: DETAIL_ERROR}),
    retrieve=extend_schema(
        parameters=[ID_PARAM], responses={200: PartySerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        request=PartySerializer, responses={201: PartySerializer, **WRITE_ERRORS}
    ),
)
class PartyViewSet(CreateReadViewSet):
    """The parties you may name: verified outside organisations, the ones you added
    (yours alone until verified) and your own workshop. POST proposes one."""

    queryset = Party.objects.none()  # the model, for the schema; see get_queryset

    serializer_class = PartySerializer
    read_serializer = PartySerializer

    def get_queryset(self):
        return selectors.party_list(user=self.request.user)

    def perform(self, data):
        return services.party_create(actor=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(
        responses={200: MaterialLotSerializer(many=True), 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAM], responses={200: MaterialLotSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        request=LotPurchaseSerializer,
        responses={201: MaterialLotSerializer, **WRITE_ERRORS},
    ),
)
class MaterialLotViewSet(SubmitMixin, CreateReadViewSet):
    """Your lots with their remaining mass; POST records a purchase."""

    queryset = MaterialLot.objects.none()  # the model, for the schema; see get_queryset

    serializer_class = LotPurchaseSerializer
    read_serializer = MaterialLotSerializer

    def get_serializer_class(self):
        if self.action in ("list", "retrieve", "submit"):
            return MaterialLotSerializer
        return LotPurchaseSerializer

    def get_queryset(self):
        return selectors.lot_list(user=self.request.user)

    def perform(self, data):
        return services.lot_purchase(actor=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(
        responses={200: TraceEventSerializer(many=True), 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAM], responses={200: TraceEventSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        request=TraceEventCreateSerializer,
        responses={201: TraceEventSerializer, **WRITE_ERRORS},
    ),
)
class TraceEventViewSet(SubmitMixin, CreateReadViewSet):
    """Your events; POST appends one (there is no update or delete: correct instead)."""

    queryset = TraceEvent.objects.none()  # the model, for the schema; see get_queryset

    serializer_class = TraceEventCreateSerializer
    read_serializer = TraceEventSerializer

    def get_serializer_class(self):
        if self.action in ("list", "retrieve", "submit"):
            return TraceEventSerializer
        return TraceEventCreateSerializer

    def get_queryset(self):
        return selectors.event_list(user=self.request.user)

    def perform(self, data):
        fields = dict(data)
        if "inputs" in fields:
            fields["inputs"] = [(i["lot"], i["grams"]) for i in fields["inputs"]]
        return event_record(actor=self.request.user, **fields)


@extend_schema_view(
    list=extend_schema(
        responses={200: CertificationSerializer(many=True), 401: DETAIL_ERROR}
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAM], responses={200: CertificationSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        request=CertificationSerializer,
        responses={201: CertificationSerializer, **WRITE_ERRORS},
    ),
)
class CertificationViewSet(SubmitMixin, CreateReadViewSet):
    """Your certifications and lab reports."""

    queryset = (
        Certification.objects.none()
    )  # the model, for the schema; see get_queryset

    serializer_class = CertificationSerializer
    read_serializer = CertificationSerializer

    def get_queryset(self):
        return selectors.certification_list(user=self.request.user)

    def perform(self, data):
        return services.certification_create(actor=self.request.user, **data)
