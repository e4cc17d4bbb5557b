"""Public certificates of authenticity and the hand-over of a piece's ownership."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from config.models import TimeStampedModel

# No 0/O, 1/I/L: a code that is read aloud or typed from a card must not be ambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


class Certificate(TimeStampedModel):
    """A piece's certificate: a short public code, and who owns the piece now."""

    listing = models.OneToOneField(
        "marketplace.Listing", on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(max_length=16, unique=True, editable=False)
    # Changed only by services.certificates.ownership_claim (with an ownership event).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_certificates",
        editable=False,
    )
    # The last verification's verdict, for catalogue filters; refreshed whenever the chain
    # is recomputed (certificate page, export, ``manage.py verify_chains``).
    chain_verified = models.BooleanField(default=False, editable=False, db_index=True)
    chain_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The anchor of the chain's end: the newest event's hash and the number of events,
    # stored whenever the chain grows (``services.chain.chain_anchor_refresh``), so a
    # chain cut short or extended behind the application's back no longer verifies.
    chain_head = models.CharField(max_length=64, blank=True, editable=False)
    chain_length = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Certificate {self.code}"

    def get_absolute_url(self):
        return reverse("provenance:certificate-detail", kwargs={"code": self.code})


class OwnershipHandoverQuerySet(models.QuerySet):
    def open(self):
        return self.filter(claimed_at__isnull=True, cancelled_at__isnull=True)


class OwnershipHandover(TimeStampedModel):
    """A one-time claim code the owner gives to the next owner. Only its hash is kept."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="handovers"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = OwnershipHandoverQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(claimed_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_handover_per_certificate",
            )
        ]

    def __str__(self):
        return f"Hand-over of {self.certificate.code}"
