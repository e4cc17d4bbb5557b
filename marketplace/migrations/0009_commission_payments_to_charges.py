"""Every commission payment becomes a charge of the payments module whose payable is
its commission, with an event for its recording and one for its confirmation; the
commission's own events then name the charge instead of the payment."""

from django.db import migrations

STATUS_TO_CHARGE = {"pending": "pending", "confirmed": "succeeded"}
STATUS_FROM_CHARGE = {"pending": "pending", "succeeded": "confirmed"}
PAYMENT_MOVES = ("record_payment", "confirm_payment")


def _renumber_events(CommissionEvent, commission_id, ids: dict) -> None:
    """Point the commission's payment events at the rows that now hold them."""
    events = CommissionEvent.objects.filter(
        commission_id=commission_id, kind__in=PAYMENT_MOVES
    )
    for event in events:
        payload = dict(event.payload or {})
        if payload.get("payment") in ids:
            payload["payment"] = ids[payload["payment"]]
            CommissionEvent.objects.filter(pk=event.pk).update(payload=payload)


def payments_to_charges(apps, schema_editor):
    Payment = apps.get_model("marketplace", "Payment")
    Charge = apps.get_model("marketplace", "Charge")
    PaymentEvent = apps.get_model("marketplace", "PaymentEvent")
    CommissionEvent = apps.get_model("marketplace", "CommissionEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not Payment.objects.exists():
        return
    commission_type, _ = ContentType.objects.get_or_create(
        app_label="marketplace", model="commission"
    )
    moved: dict[int, dict[int, int]] = {}
    for payment in Payment.objects.order_by("created_at", "id").iterator():
        provider = payment.provider or payment.method
        charge = Charge.objects.create(
            payable_type=commission_type,
            payable_id=payment.commission_id,
            purpose=payment.kind,
            provider=provider,
            amount=payment.amount,
            currency=payment.currency,
            status=STATUS_TO_CHARGE[payment.status],
            reference=payment.reference,
            provider_id=payment.provider_reference,
            paid_at=payment.confirmed_at if payment.status == "confirmed" else None,
        )
        # auto_now_add / auto_now stamp the copy; the history keeps the original times.
        Charge.objects.filter(pk=charge.pk).update(
            created_at=payment.created_at, updated_at=payment.updated_at
        )
        recorded = PaymentEvent.objects.create(
            charge=charge,
            kind="created",
            actor_id=payment.recorded_by_id,
            data={
                "amount": str(payment.amount),
                "currency": payment.currency,
                "provider": provider,
                "commission_payment": payment.pk,
            },
        )
        PaymentEvent.objects.filter(pk=recorded.pk).update(
            created_at=payment.created_at
        )
        if payment.status == "confirmed":
            confirmed = PaymentEvent.objects.create(
                charge=charge,
                kind="paid",
                actor_id=payment.confirmed_by_id,
                data={"confirmed_by": payment.confirmed_by_id},
            )
            PaymentEvent.objects.filter(pk=confirmed.pk).update(
                created_at=payment.confirmed_at or payment.updated_at
            )
        moved.setdefault(payment.commission_id, {})[payment.pk] = charge.pk
    for commission_id, ids in moved.items():
        _renumber_events(CommissionEvent, commission_id, ids)


def charges_to_payments(apps, schema_editor):
    Payment = apps.get_model("marketplace", "Payment")
    Charge = apps.get_model("marketplace", "Charge")
    CommissionEvent = apps.get_model("marketplace", "CommissionEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    commission_type = ContentType.objects.filter(
        app_label="marketplace", model="commission"
    ).first()
    if commission_type is None:
        return
    charges = Charge.objects.filter(
        payable_type=commission_type, status__in=STATUS_FROM_CHARGE
    ).order_by("created_at", "id")
    moved: dict[int, dict[int, int]] = {}
    for charge in charges.iterator():
        events = {event.kind: event for event in charge.events.order_by("id")}
        created, paid = events.get("created"), events.get("paid")
        payment = Payment.objects.create(
            commission_id=charge.payable_id,
            kind=charge.purpose,
            amount=charge.amount,
            currency=charge.currency,
            method="manual",
            reference=charge.reference,
            status=STATUS_FROM_CHARGE[charge.status],
            provider="" if charge.provider == "manual" else charge.provider,
            provider_reference=charge.provider_id,
            recorded_by_id=created.actor_id if created else None,
            confirmed_by_id=paid.actor_id if paid else None,
            confirmed_at=charge.paid_at,
        )
        Payment.objects.filter(pk=payment.pk).update(
            created_at=charge.created_at, updated_at=charge.updated_at
        )
        moved.setdefault(charge.payable_id, {})[charge.pk] = payment.pk
    for commission_id, ids in moved.items():
        _renumber_events(CommissionEvent, commission_id, ids)
    Charge.objects.filter(payable_type=commission_type).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("marketplace", "0008_charge_purpose_and_actor"),
    ]

    operations = [
        migrations.RunPython(payments_to_charges, charges_to_payments),
    ]
