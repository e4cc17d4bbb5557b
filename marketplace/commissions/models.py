"""Commissions: a buyer's request to an artisan, its quotes, progress, thread and payments."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, Count, OuterRef, Q, Subquery, When
from django.urls import reverse

from config.models import TimeStampedModel
from config.storage import RandomName, private_storage
from marketplace.catalogue.models import Listing
from marketplace.payments.models import Charge

CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as GBP.")


class CommissionQuerySet(models.QuerySet):
    def for_buyer(self, user):
        return self.filter(buyer=user)

    def for_artisan_user(self, user):
        return self.filter(artisan__user=user)

    def involving(self, user):
        """Commissions in which the user is one of the two parties."""
        return self.filter(Q(buyer=user) | Q(artisan__user=user))

    def waitlisted(self):
        return self.filter(status=Commission.Status.WAITLISTED)

    def in_waitlist_order(self):
        """Waitlisted requests, first come first served: the order they are admitted."""
        return self.waitlisted().order_by("created_at", "id")

    def with_waitlist_position(self):
        """Annotate ``waitlist_position``: 1 for the first request in its artisan's
        queue (``in_waitlist_order``), None when the request is not waitlisted."""
        ahead = (
            Commission.objects.waitlisted()
            .filter(artisan_id=OuterRef("artisan_id"))
            .filter(
                Q(created_at__lt=OuterRef("created_at"))
                | Q(created_at=OuterRef("created_at"), pk__lte=OuterRef("pk"))
            )
            .order_by()
            .values("artisan_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            waitlist_position=Case(
                When(status=Commission.Status.WAITLISTED, then=Subquery(ahead)),
                default=None,
                output_field=models.IntegerField(),
            )
        )

    def open(self):
        return self.filter(status__in=Commission.OPEN_STATUSES)


class Commission(TimeStampedModel):
    """A buyer's request to an artisan for a bespoke piece or a modification."""

    class Kind(models.TextChoices):
        BESPOKE = "bespoke", "Bespoke piece"
        MODIFICATION = "modification", "Modification of an existing piece"

    class Status(models.TextChoices):
        WAITLISTED = "waitlisted", "On the waitlist"
        SUBMITTED = "submitted", "Submitted"
        QUOTED = "quoted", "Quoted"
        DECLINED = "declined", "Declined"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in_progress", "In progress"
        READY_FOR_REVIEW = "ready_for_review", "Ready for review"
        APPROVED = "approved", "Approved"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    OPEN_STATUSES = (
        Status.WAITLISTED,
        Status.SUBMITTED,
        Status.QUOTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
    )
    CLOSED_STATUSES = (
        Status.DECLINED,
        Status.COMPLETED,
        Status.CANCELLED,
        Status.EXPIRED,
    )

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commissions",
        editable=False,
    )
    artisan = models.ForeignKey(
        "artisans.Artisan",
        on_delete=models.CASCADE,
        related_name="commissions",
        editable=False,
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BESPOKE)
    base_listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commissions",
        help_text="The artisan's piece this modification starts from.",
    )
    title = models.CharField(
        max_length=140,
        help_text="A short name, e.g. “Engagement ring in recycled gold”.",
    )
    category = models.CharField(
        max_length=20, choices=Listing.Category.choices, default=Listing.Category.RING
    )
    brief = models.TextField(help_text="What you would like made, in your own words.")
    budget_min = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    budget_max = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        max_length=3, default="GBP", validators=[CURRENCY_VALIDATOR]
    )
    desired_date = models.DateField(null=True, blank=True)
    ring_size = models.CharField(max_length=20, blank=True)
    measurements = models.CharField(
        max_length=200, blank=True, help_text="Wrist, neck or chain length, etc."
    )
    engraving_text = models.CharField(max_length=120, blank=True)
    material_preferences = models.TextField(
        "material and sourcing preferences",
        blank=True,
        help_text="e.g. “recycled silver only”, “natural stones with a lab report”.",
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.SUBMITTED,
        db_index=True,
        editable=False,
    )
    # When the request reached the artisan (on creation, or when admitted from the
    # waitlist): unanswered requests expire counting from here.
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_listing = models.OneToOneField(
        Listing,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commission",
        editable=False,
    )

    # Deposit and balance payments: charges of the payments module, oldest first.
    payments = GenericRelation(
        "CommissionPayment",
        content_type_field="payable_type",
        object_id_field="payable_id",
        related_query_name="commission",
    )

    objects = CommissionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="commission_budget_range_ordered",
                violation_error_message="The maximum budget must not be below the minimum.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="modification") | Q(base_listing__isnull=False),
                name="commission_modification_has_base",
                violation_error_message="A modification needs the piece it starts from.",
            ),
        ]
        indexes = [
            models.Index(fields=["artisan", "status", "created_at"]),
            models.Index(fields=["buyer", "-updated_at"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self):
        return reverse("marketplace:commission-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def paid_towards(self, kind: str, *, confirmed_only: bool = False) -> Decimal:
        """What the buyer recorded paying towards the deposit or the balance; with
        ``confirmed_only``, only what the artisan confirmed. Reads prefetched payments;
        a failed or cancelled charge counts for nothing."""
        counted = (
            (Charge.Status.SUCCEEDED,) if confirmed_only else CommissionPayment.COUNTED
        )
        return sum(
            (
                payment.amount
                for payment in self.payments.all()
                if payment.purpose == kind and payment.status in counted
            ),
            Decimal("0"),
        )

    def deposit_recorded(self, quote: "Quote") -> bool:
        """The buyer recorded paying all of the deposit the quote asks for."""
        return self.paid_towards(CommissionPayment.Kind.DEPOSIT) >= quote.deposit

    def deposit_confirmed(self, quote: "Quote") -> bool:
        """The artisan confirmed payments covering the deposit the quote asks for (true
        when it asks for none): the work may start."""
        confirmed = self.paid_towards(
            CommissionPayment.Kind.DEPOSIT, confirmed_only=True
        )
        return confirmed >= quote.deposit

    @property
    def budget_display(self) -> str:
        if self.budget_min and self.budget_max:
            return f"{self.budget_min}–{self.budget_max} {self.currency}"
        if self.budget_max:
            return f"up to {self.budget_max} {self.currency}"
        if self.budget_min:
            return f"from {self.budget_min} {self.currency}"
        return ""


class CommissionReferenceImage(TimeStampedModel):
    """An image the buyer attaches to a request, re-encoded without metadata."""

    commission = models.ForeignKey(
        Commission, on_delete=models.CASCADE, related_name="reference_images"
    )
    image = models.ImageField(
        upload_to=RandomName("commissions/references"),
        storage=private_storage,
        db_index=True,
    )
    thumbnail = models.ImageField(
        upload_to=RandomName("commissions/references/thumbs"),
        storage=private_storage,
        db_index=True,
    )
    alt_text = models.CharField(max_length=200)

    class Meta:
        ordering = ["commission", "id"]

    def __str__(self):
        return self.alt_text


class QuoteQuerySet(models.QuerySet):
    def current(self):
        return self.filter(status=Quote.Status.CURRENT)


class Quote(TimeStampedModel):
    """One version of the artisan's offer; a new version supersedes the previous one."""

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        SUPERSEDED = "superseded", "Superseded"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    commission = models.ForeignKey(
        Commission, on_delete=models.CASCADE, related_name="quotes", editable=False
    )
    version = models.PositiveSmallIntegerField(editable=False)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    deposit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    currency = models.CharField(
        max_length=3, default="GBP", validators=[CURRENCY_VALIDATOR]
    )
    estimated_completion_date = models.DateField()
    materials_commitments = models.TextField(
        "materials and sourcing commitments",
        help_text="What the piece will be made of and where it comes from.",
    )
    note = models.TextField(blank=True)
    valid_until = models.DateField()
    status = models.CharField(
        max_length=12,
        choices=Status.choices,
        default=Status.CURRENT,
        db_index=True,
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = QuoteQuerySet.as_manager()

    CHECK_FIELDS = {"deposit_above_price": "deposit"}

    class Meta:
        ordering = ["commission", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["commission", "version"], name="quote_version_unique"
            ),
            models.UniqueConstraint(
                fields=["commission"],
                condition=Q(status="current"),
                name="quote_one_current_per_commission",
            ),
            models.CheckConstraint(
                condition=Q(price__gt=0),
                name="quote_price_positive",
                violation_error_message="The price must be more than zero.",
            ),
            # The one home of "the deposit is at most the price": the service checks it
            # through validate_constraints(), and forms and serializers show its error.
            models.CheckConstraint(
                condition=Q(deposit__gte=0) & Q(deposit__lte=models.F("price")),
                name="quote_deposit_within_price",
                violation_error_code="deposit_above_price",
                violation_error_message="The deposit cannot be more than the price.",
            ),
        ]

    def __str__(self):
        return f"Quote v{self.version} for commission #{self.commission_id}"

    def validate_constraints(self, exclude=None):
        """Check the constraints; a violated check is reported on the field it is
        about (``CHECK_FIELDS``, by error code) rather than on the whole quote."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = dict(error.error_dict)
            for item in errors.pop(NON_FIELD_ERRORS, []):
                field = self.CHECK_FIELDS.get(item.code, NON_FIELD_ERRORS)
                errors.setdefault(field, []).append(item)
            raise ValidationError(errors) from None

    @property
    def balance(self) -> Decimal:
        return self.price - self.deposit


class ProgressUpdate(TimeStampedModel):
    """The artisan's report on the work, optionally asking the buyer to approve something."""

    class Stage(models.TextChoices):
        DESIGN = "design", "Design and sketches"
        MATERIALS = "materials", "Materials and stones"
        FABRICATION = "fabrication", "Fabrication"
        SETTING = "setting", "Stone setting"
        FINISHING = "finishing", "Finishing"
        HALLMARKING = "hallmarking", "Hallmarking"
        OTHER = "other", "Other"

    class Approval(models.TextChoices):
        NOT_NEEDED = "", "No approval needed"
        PENDING = "pending", "Awaiting the buyer's approval"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    commission = models.ForeignKey(
        Commission,
        on_delete=models.CASCADE,
        related_name="progress_updates",
        editable=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    stage = models.CharField(max_length=12, choices=Stage.choices)
    note = models.TextField()
    needs_approval = models.BooleanField(
        default=False, help_text="Ask the buyer to approve this (a sketch, a stone)."
    )
    approval_status = models.CharField(
        max_length=20,
        choices=Approval.choices,
        default=Approval.NOT_NEEDED,
        blank=True,
        editable=False,
    )
    buyer_note = models.TextField(blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["commission", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(needs_approval=True) | Q(approval_status=""),
                name="progress_update_approval_only_when_needed",
            ),
        ]

    def __str__(self):
        return f"{self.get_stage_display()} update on commission #{self.commission_id}"

    @property
    def awaits_approval(self) -> bool:
        return self.approval_status == self.Approval.PENDING


class ProgressPhoto(TimeStampedModel):
    """A photo of the work; those marked as evidence join the finished piece's chain."""

    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(
        upload_to=RandomName("commissions/progress"),
        storage=private_storage,
        db_index=True,
    )
    thumbnail = models.ImageField(
        upload_to=RandomName("commissions/progress/thumbs"),
        storage=private_storage,
        db_index=True,
    )
    alt_text = models.CharField(max_length=200)
    use_as_evidence = models.BooleanField(
        "use as provenance evidence",
        default=False,
        help_text="Attach this photo to the finished piece's provenance chain.",
    )

    class Meta:
        ordering = ["update", "id"]

    def __str__(self):
        return self.alt_text


EVENT_LABELS = {
    "request": "Request sent",
    "join_waitlist": "Joined the waitlist",
    "admit": "Admitted from the waitlist",
    "decline": "Request declined",
    "quote": "Quote sent",
    "accept_quote": "Quote accepted",
    "decline_quote": "Quote declined",
    "start": "Work started",
    "post_update": "Progress update",
    "approve_update": "Update approved",
    "request_changes": "Changes requested",
    "submit_for_review": "Ready for review",
    "approve": "Piece approved",
    "send_back": "Sent back",
    "complete": "Completed",
    "cancel": "Cancelled",
    "expire": "Expired",
    "record_payment": "Payment recorded",
    "confirm_payment": "Payment confirmed",
}


class CommissionEvent(models.Model):
    """One move in a commission's life: append-only, who, when, what and why."""

    commission = models.ForeignKey(
        Commission, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system acted (e.g. expiry).",
    )
    kind = models.CharField(max_length=30, db_index=True)
    from_status = models.CharField(
        max_length=20, choices=Commission.Status.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=Commission.Status.choices)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.kind}: {self.from_status or '—'} → {self.to_status}"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def changed_status(self) -> bool:
        return self.from_status != self.to_status


class Message(models.Model):
    """A message in a commission's thread; system messages have no author."""

    commission = models.ForeignKey(
        Commission, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.OneToOneField(
        CommissionEvent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="system_message",
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.body[:60]

    @property
    def is_system(self) -> bool:
        return self.author_id is None


class MessageAttachment(TimeStampedModel):
    """A file attached to a message: an image re-encoded, or a checked PDF."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        upload_to=RandomName("commissions/attachments"),
        storage=private_storage,
        max_length=255,
        db_index=True,
    )
    thumbnail = models.ImageField(
        upload_to=RandomName("commissions/attachments/thumbs"),
        storage=private_storage,
        blank=True,
        db_index=True,
    )
    media_type = models.CharField(max_length=100)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["message", "id"]

    def __str__(self):
        return self.original_name or f"Attachment {self.pk}"

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


class CommissionPayment(Charge):
    """A deposit or balance payment of a commission: a charge of the payments module
    whose payable is the commission. The buyer records a manual one with the
    reference of the transfer they made; the artisan confirms it arrived (the charge
    is paid). Who did each is on the charge's events."""

    class Kind(models.TextChoices):
        DEPOSIT = Charge.Purpose.DEPOSIT.value, Charge.Purpose.DEPOSIT.label
        BALANCE = Charge.Purpose.BALANCE.value, Charge.Purpose.BALANCE.label

    class Method(models.TextChoices):
        MANUAL = "manual", "Manual (bank transfer, cash)"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting the artisan's confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # How the commission names a charge's status (its API and pages keep "confirmed").
    STATUS_OF_CHARGE = {
        Charge.Status.PENDING: Status.PENDING,
        Charge.Status.SUCCEEDED: Status.CONFIRMED,
        Charge.Status.FAILED: Status.FAILED,
        Charge.Status.CANCELLED: Status.CANCELLED,
    }
    # Charges that count towards what the buyer paid: not those failed or cancelled.
    COUNTED = (Charge.Status.PENDING, Charge.Status.SUCCEEDED)

    class Meta:
        proxy = True
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def kind(self) -> str:
        return self.purpose

    def get_kind_display(self) -> str:
        return self.get_purpose_display()

    @property
    def method(self) -> str:
        return self.provider

    @property
    def payment_status(self) -> str:
        return self.STATUS_OF_CHARGE.get(self.status, self.status)

    def get_payment_status_display(self) -> str:
        return self.Status(self.payment_status).label

    @property
    def is_confirmed(self) -> bool:
        return self.status == Charge.Status.SUCCEEDED

    @property
    def is_pending(self) -> bool:
        return self.status == Charge.Status.PENDING

    @property
    def confirmed_at(self):
        return self.paid_at
