"""Money taken and given back: charges, refunds and their append-only events.

A charge belongs to one payable record (an order, or a commission for its deposit and
balance) through a generic reference, so that the payments context sits below the
contexts that take money and never imports them.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from config.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}


class Charge(TimeStampedModel):
    """One payment asked of a buyer through one provider."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Purpose(models.TextChoices):
        ORDER = "order", "Order"
        DEPOSIT = "deposit", "Deposit"
        BALANCE = "balance", "Balance"

    payable_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+"
    )
    payable_id = models.PositiveBigIntegerField()
    payable = GenericForeignKey("payable_type", "payable_id")
    purpose = models.CharField(
        max_length=10, choices=Purpose.choices, default=Purpose.ORDER
    )
    provider = models.CharField(max_length=20)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # The reference the buyer quotes on a bank transfer (ours, or the one the buyer
    # gives for a payment they made), or the provider's session.
    reference = models.CharField(max_length=120, db_index=True)
    provider_id = models.CharField(max_length=120, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["payable_type", "payable_id"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_positive"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} via {self.provider} ({self.status})"


class Refund(TimeStampedModel):
    """Money given back on a charge, in full or in part."""

    class Status(models.TextChoices):
        PENDING = "pending", "To be sent"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    provider_id = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive"),
        ]

    def __str__(self):
        return f"Refund of {self.amount} {self.charge.currency}"


class PaymentEvent(models.Model):
    """An append-only record of what happened to a charge, including every provider
    notification; ``provider_event_id`` makes each notification count once."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    # Who did it (the buyer recording a transfer, the receiver confirming it); empty
    # when a provider or Touchstone itself did.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provider_event_id = models.CharField(max_length=120, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_event_id"],
                condition=~Q(provider_event_id=""),
                name="payment_event_provider_event_once",
            )
        ]

    def __str__(self):
        return f"{self.kind} on charge {self.charge_id}"
