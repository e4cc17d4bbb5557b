"""Charges and refunds: every change is a row and an event, in one transaction."""

import secrets
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.payments.models import Charge, PaymentEvent, Refund
from marketplace.payments.providers import (
    Notification,
    get_provider,
    stripe_provider,
    to_minor_units,
)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _reference() -> str:
    """A payment reference a buyer can type into a bank transfer: TS-XXXX-XXXX."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"TS-{body[:4]}-{body[4:]}"


def charges_of(payable):
    """The charges of one payable record, newest first."""
    return Charge.objects.filter(
        payable_type=ContentType.objects.get_for_model(payable), payable_id=payable.pk
    )


@transaction.atomic
def charge_create(
    *,
    payable,
    amount: Decimal,
    currency: str,
    provider: str | None = None,
    purpose: str = Charge.Purpose.ORDER,
    reference: str = "",
    actor=None,
    success_url: str = "",
    cancel_url: str = "",
) -> Charge:
    """Ask for a payment of ``amount`` for ``payable`` through a provider; the
    reference is ours unless the buyer gives the one of a payment they made."""
    if amount is None or Decimal(amount) <= 0:
        raise ValidationError({"amount": "A payment must be above zero."})
    if purpose not in Charge.Purpose.values:
        raise ValidationError({"purpose": "Unknown purpose of a payment."})
    chosen = get_provider(provider)
    charge = Charge.objects.create(
        payable_type=ContentType.objects.get_for_model(payable),
        payable_id=payable.pk,
        purpose=purpose,
        provider=chosen.name,
        amount=amount,
        currency=currency,
        reference=(reference or "").strip()[:120] or _reference(),
    )
    started = chosen.start(charge, success_url=success_url, cancel_url=cancel_url)
    if started.provider_id or started.checkout_url:
        charge.provider_id = started.provider_id
        charge.checkout_url = started.checkout_url
        charge.save(update_fields=["provider_id", "checkout_url", "updated_at"])
    PaymentEvent.objects.create(
        charge=charge,
        kind="created",
        actor=actor,
        data={"amount": str(amount), "currency": currency, "provider": chosen.name},
    )
    return charge


@transaction.atomic
def charge_mark_paid(
    *,
    charge: Charge,
    provider_event_id: str = "",
    data: dict | None = None,
    actor=None,
) -> bool:
    """Record that a pending charge was paid (by a provider's notification, or by
    ``actor`` confirming receipt); True the first time only.

    A cancelled charge can still be paid (the buyer finished a provider's checkout
    after the order lapsed): the money arrived, so it is recorded, and the payable's
    own service refunds it."""
    now = timezone.now()
    paid = Charge.objects.filter(
        pk=charge.pk, status__in=(Charge.Status.PENDING, Charge.Status.CANCELLED)
    ).update(status=Charge.Status.SUCCEEDED, paid_at=now, updated_at=now)
    PaymentEvent.objects.create(
        charge=charge,
        kind="paid" if paid else "paid_again",
        actor=actor,
        provider_event_id=provider_event_id or "",
        data=data or {},
    )
    charge.refresh_from_db()
    return bool(paid)


@transaction.atomic
def charge_cancel(*, charge: Charge, reason: str) -> None:
    """An unpaid charge will not be paid (its order was cancelled or lapsed)."""
    cancelled = Charge.objects.filter(
        pk=charge.pk, status=Charge.Status.PENDING
    ).update(status=Charge.Status.CANCELLED, updated_at=timezone.now())
    if cancelled:
        PaymentEvent.objects.create(
            charge=charge, kind="cancelled", data={"reason": reason}
        )


@transaction.atomic
def refund_issue(*, charge: Charge, amount: Decimal, reason: str) -> Refund:
    """Give back ``amount`` of a paid charge (never more than is left to refund)."""
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.status != Charge.Status.SUCCEEDED:
        raise ValidationError("Only a paid charge can be refunded.")
    refunded = sum(
        (r.amount for r in charge.refunds.exclude(status=Refund.Status.FAILED)),
        Decimal("0"),
    )
    if amount <= 0 or refunded + amount > charge.amount:
        raise ValidationError({"amount": "That is more than is left to refund."})
    refund = Refund.objects.create(charge=charge, amount=amount, reason=reason[:255])
    provider_id = get_provider(charge.provider).refund(refund)
    refund.provider_id = provider_id
    refund.status = Refund.Status.SUCCEEDED
    refund.save(update_fields=["provider_id", "status", "updated_at"])
    PaymentEvent.objects.create(
        charge=charge,
        kind="refunded",
        data={"amount": str(amount), "reason": reason[:255], "refund": refund.pk},
    )
    return refund


def webhook_verify(*, payload: bytes, signature: str) -> Notification:
    """A Stripe notification whose signature is good, or a ValidationError."""
    provider = stripe_provider()
    if provider is None:
        raise ValidationError("Card payments are not set up on this site.")
    return provider.notification(provider.verify(payload, signature))


@transaction.atomic
def webhook_record(*, notification: Notification) -> tuple[Charge | None, bool, str]:
    """Record a verified notification once (by its event id). Returns the charge it
    is about, whether it newly paid it, and the problem with it, if any: one whose
    amount or currency differs from the charge is recorded, and pays nothing."""
    charge = (
        Charge.objects.select_for_update()
        .filter(reference=notification.reference, provider="stripe")
        .first()
    )
    if charge is None:
        return None, False, ""
    if PaymentEvent.objects.filter(provider_event_id=notification.event_id).exists():
        return charge, False, ""
    if notification.kind == "paid" and (
        notification.currency != charge.currency.upper()
        or notification.amount_minor != to_minor_units(charge.amount, charge.currency)
    ):
        PaymentEvent.objects.create(
            charge=charge,
            kind="mismatch",
            provider_event_id=notification.event_id,
            data={
                "amount_minor": notification.amount_minor,
                "currency": notification.currency,
            },
        )
        return (
            charge,
            False,
            "The notified amount or currency does not match the payment asked for.",
        )
    if notification.kind != "paid":
        try:
            with transaction.atomic():
                PaymentEvent.objects.create(
                    charge=charge,
                    kind=notification.kind[:40],
                    provider_event_id=notification.event_id,
                )
        except IntegrityError:
            pass
        return charge, False, ""
    if notification.data.get("payment_intent"):
        charge.provider_id = notification.data["payment_intent"]
        charge.save(update_fields=["provider_id", "updated_at"])
    newly_paid = charge_mark_paid(
        charge=charge, provider_event_id=notification.event_id, data=notification.data
    )
    return charge, newly_paid, ""
