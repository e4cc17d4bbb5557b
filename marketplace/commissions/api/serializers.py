"""Commission API serializers: they validate shape; the services hold the rules."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from artisans.models import Artisan
from marketplace.accounts.models import Notification
from marketplace.catalogue.models import Listing, MetalComponent
from marketplace.commissions import selectors, services
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    CommissionPayment,
    CommissionReferenceImage,
    Message,
    MessageAttachment,
    ProgressPhoto,
    ProgressUpdate,
    Quote,
)
from marketplace.materials import Metal
from provenance.models import MaterialLot
from provenance.selectors.chain import lot_list


class QuoteSerializer(serializers.ModelSerializer):
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "version",
            "status",
            "price",
            "deposit",
            "balance",
            "currency",
            "estimated_completion_date",
            "materials_commitments",
            "note",
            "valid_until",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class QuoteCreateSerializer(serializers.Serializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    deposit = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, default=0
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    estimated_completion_date = serializers.DateField()
    valid_until = serializers.DateField()
    materials_commitments = serializers.CharField(max_length=5000)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class NextStepSerializer(serializers.Serializer):
    party = serializers.ChoiceField(choices=["buyer", "artisan", ""])
    text = serializers.CharField()


class CommissionSerializer(serializers.ModelSerializer):
    artisan = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    artisan_name = serializers.CharField(source="artisan.public_name", read_only=True)
    buyer = serializers.CharField(source="buyer.username", read_only=True)
    base_listing = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    completed_listing = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    waitlist_position = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="1 for the first request on the artisan's waitlist; null when the "
        "request is not waitlisted.",
    )
    current_quote = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Commission
        fields = [
            "id",
            "kind",
            "status",
            "title",
            "category",
            "brief",
            "budget_min",
            "budget_max",
            "currency",
            "desired_date",
            "ring_size",
            "measurements",
            "engraving_text",
            "material_preferences",
            "artisan",
            "artisan_name",
            "buyer",
            "base_listing",
            "completed_listing",
            "waitlist_position",
            "current_quote",
            "next_step",
            "allowed_actions",
            "submitted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(QuoteSerializer(allow_null=True))
    def get_current_quote(self, commission):
        quotes = getattr(commission, "live_quotes", None)
        if quotes is None:
            quotes = list(
                commission.quotes.filter(
                    status__in=(Quote.Status.CURRENT, Quote.Status.ACCEPTED)
                ).order_by("-version")
            )
        return QuoteSerializer(quotes[0]).data if quotes else None

    @extend_schema_field(NextStepSerializer)
    def get_next_step(self, commission):
        step = selectors.commission_next_step(commission)
        return {"party": step.party, "text": step.text}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, commission) -> list[str]:
        return services.allowed_moves(self.context["request"].user, commission)


class ReferenceImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommissionReferenceImage
        fields = ["id", "image", "thumbnail", "alt_text"]
        read_only_fields = fields
        # Null until the task that makes the thumbnail has run.
        extra_kwargs = {"thumbnail": {"allow_null": True}}


class CommissionDetailSerializer(CommissionSerializer):
    """One commission with its quotes, progress, payments and reference images."""

    quotes = QuoteSerializer(many=True, read_only=True)
    progress_updates = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()
    reference_images = ReferenceImageSerializer(many=True, read_only=True)

    class Meta(CommissionSerializer.Meta):
        fields = [
            *CommissionSerializer.Meta.fields,
            "quotes",
            "progress_updates",
            "payments",
            "reference_images",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_progress_updates(self, commission):
        return ProgressUpdateSerializer(
            commission.progress_updates.all(), many=True, context=self.context
        ).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_payments(self, commission):
        return PaymentSerializer(commission.payments.all(), many=True).data


class CommissionCreateSerializer(serializers.Serializer):
    artisan = serializers.SlugRelatedField(
        slug_field="slug", queryset=Artisan.objects.all()
    )
    kind = serializers.ChoiceField(choices=Commission.Kind.choices)
    base_listing = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Listing.objects.public(),
        required=False,
        allow_null=True,
    )
    title = serializers.CharField(max_length=140)
    category = serializers.ChoiceField(
        choices=Listing.Category.choices, default=Listing.Category.RING
    )
    brief = serializers.CharField(max_length=10000)
    budget_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    budget_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="GBP")
    desired_date = serializers.DateField(required=False, allow_null=True)
    ring_size = serializers.CharField(max_length=20, required=False, allow_blank=True)
    measurements = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    engraving_text = serializers.CharField(
        max_length=120, required=False, allow_blank=True
    )
    material_preferences = serializers.CharField(
        max_length=5000, required=False, allow_blank=True
    )
    reference_images = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=8
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class QuoteVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version of the quote, as shown on it."
    )


class DeclineQuoteSerializer(QuoteVersionSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class UpdateDecisionSerializer(serializers.Serializer):
    update = serializers.IntegerField(
        min_value=1, help_text="The id of a progress update awaiting approval."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RequestChangesSerializer(UpdateDecisionSerializer):
    note = serializers.CharField(max_length=2000, help_text="What should change.")


class ProgressPhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressPhoto
        fields = ["id", "image", "thumbnail", "alt_text", "use_as_evidence"]
        read_only_fields = fields
        # Null until the task that makes the thumbnail has run.
        extra_kwargs = {"thumbnail": {"allow_null": True}}


class ProgressUpdateSerializer(serializers.ModelSerializer):
    photos = ProgressPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "stage",
            "note",
            "needs_approval",
            "approval_status",
            "buyer_note",
            "decided_at",
            "photos",
            "created_at",
        ]
        read_only_fields = fields


class ProgressUpdateCreateSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=ProgressUpdate.Stage.choices)
    note = serializers.CharField(max_length=5000)
    needs_approval = serializers.BooleanField(default=False)
    use_as_evidence = serializers.BooleanField(default=False)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=8
    )


class PaymentSerializer(serializers.ModelSerializer):
    """A commission's payment: a charge of the payments module, in the commission's
    words ("confirmed" once the artisan confirmed it, i.e. the charge is paid)."""

    kind = serializers.ChoiceField(
        choices=CommissionPayment.Kind.choices, source="purpose", read_only=True
    )
    method = serializers.ChoiceField(
        choices=CommissionPayment.Method.choices, source="provider", read_only=True
    )
    status = serializers.ChoiceField(
        choices=CommissionPayment.Status.choices,
        source="payment_status",
        read_only=True,
    )
    provider_reference = serializers.CharField(source="provider_id", read_only=True)
    confirmed_at = serializers.DateTimeField(
        source="paid_at", read_only=True, allow_null=True
    )

    class Meta:
        model = CommissionPayment
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "method",
            "reference",
            "status",
            "provider",
            "provider_reference",
            "confirmed_at",
            "created_at",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommissionPayment.Kind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reference = serializers.CharField(max_length=120)
    method = serializers.ChoiceField(
        choices=CommissionPayment.Method.choices,
        default=CommissionPayment.Method.MANUAL,
    )


class PaymentConfirmSerializer(serializers.Serializer):
    payment = serializers.IntegerField(
        min_value=1, help_text="The id of a payment awaiting confirmation."
    )


class MetalInputSerializer(serializers.Serializer):
    metal = serializers.ChoiceField(choices=Metal.choices)
    fineness = serializers.IntegerField(
        min_value=1, max_value=999, required=False, allow_null=True
    )
    construction = serializers.ChoiceField(
        choices=MetalComponent.Construction.choices, default="solid"
    )
    weight_grams = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=Decimal("0.001")
    )
    plating_metal = serializers.ChoiceField(
        choices=Metal.choices, required=False, allow_blank=True
    )
    plating_thickness_microns = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True
    )


class OwnLotField(serializers.PrimaryKeyRelatedField):
    """One of the requesting artisan's lots; anyone else's do not exist for them."""

    def get_queryset(self):
        return lot_list(user=self.context["request"].user)


class LotInputSerializer(serializers.Serializer):
    lot = OwnLotField(
        queryset=MaterialLot.objects.none(), help_text="One of your lots' ids."
    )
    grams = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=Decimal("0.001")
    )


class CompleteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=140, required=False, allow_blank=True)
    description = serializers.CharField(
        max_length=10000, required=False, allow_blank=True
    )
    metals = MetalInputSerializer(many=True, required=False)
    inputs = LotInputSerializer(many=True)
    loss_grams = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=Decimal("0")
    )

    def validate_metals(self, metals):
        return [dict(metal) for metal in metals]

    def validate_inputs(self, inputs):
        """The service takes (lot, grams) pairs."""
        return [(item["lot"], item["grams"]) for item in inputs]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    label = serializers.CharField(read_only=True)
    payload = serializers.DictField(read_only=True)
    # Read-only model fields lose ``allow_blank``: said here, so the schema allows "".
    from_status = serializers.ChoiceField(
        choices=Commission.Status.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank on the event that opened the request.",
    )

    class Meta:
        model = CommissionEvent
        fields = [
            "id",
            "kind",
            "label",
            "actor",
            "from_status",
            "to_status",
            "reason",
            "payload",
            "created_at",
        ]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageAttachment
        fields = ["id", "file", "thumbnail", "media_type", "original_name", "size"]
        read_only_fields = fields
        # Null until the task that makes the thumbnail has run.
        extra_kwargs = {"thumbnail": {"allow_null": True}}


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.username", read_only=True, allow_null=True, default=None
    )
    is_system = serializers.BooleanField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "is_system", "body", "attachments", "created_at"]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=5
    )


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "verb", "commission", "action_needed", "read_at", "created_at"]
        read_only_fields = fields


# The request body of each move of ``moves.MOVES`` (None: the move takes no body).
MOVE_INPUTS: dict[str, type[serializers.Serializer] | None] = {
    "admit": None,
    "decline": ReasonSerializer,
    "quote": QuoteCreateSerializer,
    "accept_quote": QuoteVersionSerializer,
    "decline_quote": DeclineQuoteSerializer,
    "start": None,
    "post_update": ProgressUpdateCreateSerializer,
    "approve_update": UpdateDecisionSerializer,
    "request_changes": RequestChangesSerializer,
    "submit_for_review": None,
    "approve": None,
    "send_back": ReasonSerializer,
    "complete": CompleteSerializer,
    "cancel": ReasonSerializer,
    "record_payment": PaymentCreateSerializer,
    "confirm_payment": PaymentConfirmSerializer,
}

# What a move's answer shows: the row it made or changed, else the commission.
RESULT_SERIALIZERS: dict[type, type[serializers.Serializer]] = {
    Quote: QuoteSerializer,
    ProgressUpdate: ProgressUpdateSerializer,
    CommissionPayment: PaymentSerializer,
}
