"""The move of commission payments onto the payments module loses none of them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("marketplace", "0008_charge_purpose_and_actor")]
AFTER = [("marketplace", "0010_remove_payment")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def historical(transactional_db):
    """The models as they were before the move; the schema is latest again after."""
    apps = _migrate(BEFORE)
    yield apps
    _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _world(apps):
    User = apps.get_model("auth", "User")
    Artisan = apps.get_model("artisans", "Artisan")
    Commission = apps.get_model("marketplace", "Commission")
    buyer = User.objects.create(username="buyer")
    maker = User.objects.create(username="maker")
    artisan = Artisan.objects.create(
        user=maker, public_name="Maker", slug="maker", country="GB"
    )
    return (
        buyer,
        maker,
        [
            Commission.objects.create(
                buyer=buyer,
                artisan=artisan,
                title=f"Ring {n}",
                brief="A ring.",
                status="in_progress",
            )
            for n in range(2)
        ],
    )


def test_every_commission_payment_becomes_a_charge_with_its_history(historical):
    apps = historical
    Payment = apps.get_model("marketplace", "Payment")
    CommissionEvent = apps.get_model("marketplace", "CommissionEvent")
    buyer, maker, (first, second) = _world(apps)
    long_ago = timezone.now() - timedelta(days=40)
    confirmed_at = long_ago + timedelta(days=2)
    rows = [
        {
            "commission": first,
            "kind": "deposit",
            "amount": Decimal("100.00"),
            "currency": "GBP",
            "reference": "BANK-1",
            "status": "confirmed",
            "recorded_by": buyer,
            "confirmed_by": maker,
            "confirmed_at": confirmed_at,
        },
        {
            "commission": first,
            "kind": "balance",
            "amount": Decimal("380.00"),
            "currency": "GBP",
            "reference": "BANK-1-B",
            "status": "pending",
            "recorded_by": buyer,
        },
        {
            "commission": second,
            "kind": "deposit",
            "amount": Decimal("25.50"),
            "currency": "EUR",
            "reference": "RECEIPT 7",
            "status": "pending",
            "recorded_by": buyer,
        },
    ]
    old = {}
    for row in rows:
        payment = Payment.objects.create(method="manual", **row)
        Payment.objects.filter(pk=payment.pk).update(created_at=long_ago)
        old[row["reference"]] = payment.pk
        CommissionEvent.objects.create(
            commission=row["commission"],
            actor=buyer,
            kind="record_payment",
            from_status="in_progress",
            to_status="in_progress",
            payload={"payment": payment.pk},
        )
    Payment.objects.create(  # shifts the ids, so that no charge keeps its payment's
        commission=second, kind="balance", amount=Decimal("1"), reference="GONE"
    ).delete()

    apps = _migrate(AFTER)
    Charge = apps.get_model("marketplace", "Charge")
    ContentType = apps.get_model("contenttypes", "ContentType")
    CommissionEvent = apps.get_model("marketplace", "CommissionEvent")
    commission_type = ContentType.objects.get(
        app_label="marketplace", model="commission"
    )
    charges = {c.reference: c for c in Charge.objects.all()}
    assert sorted(charges) == ["BANK-1", "BANK-1-B", "RECEIPT 7"]
    for row in rows:
        charge = charges[row["reference"]]
        assert charge.payable_type_id == commission_type.pk
        assert charge.payable_id == row["commission"].pk
        assert (charge.purpose, charge.amount, charge.currency, charge.provider) == (
            row["kind"],
            row["amount"],
            row["currency"],
            "manual",
        )
        assert charge.created_at == long_ago
        events = list(charge.events.order_by("id"))
        assert events[0].kind == "created" and events[0].actor_id == buyer.pk
        assert events[0].created_at == long_ago
        if row["status"] == "confirmed":
            assert charge.status == "succeeded" and charge.paid_at == confirmed_at
            assert [e.kind for e in events] == ["created", "paid"]
            assert events[1].actor_id == maker.pk
            assert events[1].created_at == confirmed_at
        else:
            assert charge.status == "pending" and charge.paid_at is None
            assert [e.kind for e in events] == ["created"]
        event = CommissionEvent.objects.get(
            commission_id=row["commission"].pk,
            payload__payment=charge.pk,
        )
        assert event.kind == "record_payment"
    assert {e.payload["payment"] for e in CommissionEvent.objects.all()} == {
        c.pk for c in charges.values()
    }


def test_the_move_can_be_undone(historical):
    apps = historical
    Payment = apps.get_model("marketplace", "Payment")
    buyer, maker, (first, _second) = _world(apps)
    Payment.objects.create(
        commission=first,
        kind="deposit",
        amount=Decimal("100.00"),
        reference="BANK-1",
        status="confirmed",
        recorded_by=buyer,
        confirmed_by=maker,
        confirmed_at=timezone.now(),
    )
    _migrate(AFTER)
    apps = _migrate(BEFORE)
    Payment = apps.get_model("marketplace", "Payment")
    Charge = apps.get_model("marketplace", "Charge")
    payment = Payment.objects.get()
    assert (payment.reference, payment.status, payment.amount) == (
        "BANK-1",
        "confirmed",
        Decimal("100.00"),
    )
    assert payment.recorded_by_id == buyer.pk and payment.confirmed_by_id == maker.pk
    assert not Charge.objects.exists()
