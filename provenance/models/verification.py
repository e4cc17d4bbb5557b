"""The verification workflow shared by every claim an artisan makes.

An artisan profile, a maker's mark, a hallmark record, a material lot, a trace event, a
certification or an outside party an artisan proposes is a *claim*. Each concrete claim model inherits ``Verifiable``; its review
history lives in one ``Review`` row (the case) with append-only ``ReviewEvent`` rows, and
its supporting documents in ``Evidence`` rows. Status changes only through
``provenance.services.verification``.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from config.models import TimeStampedModel
from config.storage import RandomName, private_storage


class VerificationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    NEEDS_INFORMATION = "needs_information", "Needs information"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


# States in which a claim waits for a verifier.
AWAITING_REVIEW = (VerificationStatus.SUBMITTED, VerificationStatus.IN_REVIEW)
# States in which the owner may still edit the claim: never while a verifier is
# looking at it, so that what is verified is what was reviewed.
EDITABLE = (
    VerificationStatus.DRAFT,
    VerificationStatus.NEEDS_INFORMATION,
    VerificationStatus.REJECTED,
)


class AssuranceLevel(models.TextChoices):
    DECLARED = "declared", "Declared by the artisan"
    DOCUMENTED = "documented", "Documented (evidence attached)"
    VERIFIED = "verified", "Verified by Touchstone"


class Verifiable(models.Model):
    """Abstract base for claims that go through the verification workflow.

    Concrete models implement ``verification_owner`` (the user who answers for the claim)
    and ``verification_artisan`` (the artisan whose records it belongs to, or None).
    """

    verification_status = models.CharField(
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.DRAFT,
        db_index=True,
        editable=False,
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    has_evidence = models.BooleanField(default=False, editable=False)

    reviews = GenericRelation("provenance.Review")
    evidence = GenericRelation("provenance.Evidence")

    # Human name of the kind of claim, shown in the review queue.
    verification_kind = "claim"

    class Meta:
        abstract = True

    @property
    def verification_owner(self):
        raise NotImplementedError

    @property
    def verification_artisan(self):
        raise NotImplementedError

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def is_editable(self) -> bool:
        return self.verification_status in EDITABLE

    @property
    def assurance_level(self) -> str:
        if self.verification_status == VerificationStatus.VERIFIED:
            return AssuranceLevel.VERIFIED
        if self.has_evidence:
            return AssuranceLevel.DOCUMENTED
        return AssuranceLevel.DECLARED

    def get_assurance_level_display(self) -> str:
        return AssuranceLevel(self.assurance_level).label


class ReviewQuerySet(models.QuerySet):
    def awaiting(self):
        return self.filter(status__in=AWAITING_REVIEW)

    def for_artisan(self, artisan):
        return self.filter(artisan=artisan)

    def of_kind(self, model_name: str):
        return self.filter(content_type__model=model_name)


class Review(TimeStampedModel):
    """The verification case of one claim: its current status and who submitted it."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    artisan = models.ForeignKey(
        "artisans.Artisan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    status = models.CharField(
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.DRAFT,
        db_index=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="submitted_reviews",
    )
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews_taken",
    )
    last_message = models.TextField(blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="one_review_per_claim"
            )
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]
        permissions = [("review_claim", "Can review and decide on artisans' claims")]

    def __str__(self):
        return f"Review of {self.content_type.model} #{self.object_id} ({self.get_status_display()})"

    @property
    def kind(self) -> str:
        model = self.content_type.model_class()
        return getattr(model, "verification_kind", self.content_type.name)


class ReviewEvent(models.Model):
    """One decision or answer in a review: append-only, who, when, which move and why."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, choices=VerificationStatus.choices)
    to_status = models.CharField(max_length=20, choices=VerificationStatus.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"


def evidence_upload_to(instance, filename):
    """Where evidence was stored before it moved to private storage (old migrations)."""
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}/{filename}"


class Evidence(TimeStampedModel):
    """A document or photo supporting a claim, stored with the SHA-256 of its stored bytes."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    file = models.FileField(
        upload_to=RandomName("evidence"),
        storage=private_storage,
        max_length=255,
        db_index=True,
    )
    sha256 = models.CharField(max_length=64, db_index=True, editable=False)
    original_name = models.CharField(max_length=255, blank=True)
    content_type_label = models.CharField("media type", max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name_plural = "evidence"

    def __str__(self):
        return self.description or self.original_name or f"Evidence {self.sha256[:12]}"

    @property
    def is_image(self) -> bool:
        return self.content_type_label.startswith("image/")
