"""Shared set-up for the commission tests: walk a commission through the services."""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from marketplace.commissions import services
from marketplace.commissions.models import Commission, Quote
from tests import factories

S = Commission.Status
BESPOKE_METAL = {"metal": "silver", "fineness": 925, "weight_grams": Decimal("4.200")}


def image_upload(name="photo.jpg", colour=(180, 140, 90), size=(64, 48), fmt="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def pdf_upload(name="report.pdf"):
    return factories.pdf_upload(name)


def request(buyer, artisan, **overrides):
    data = {
        "buyer": buyer,
        "artisan": artisan,
        "kind": "bespoke",
        "title": "Wedding band",
        "brief": "A 4 mm band in recycled gold, softly hammered.",
        "budget_min": Decimal("300.00"),
        "budget_max": Decimal("600.00"),
        "ring_size": "M",
        **overrides,
    }
    return services.commission_request(**data)


def quote(commission, **overrides):
    today = timezone.localdate()
    data = {
        "actor": commission.artisan.user,
        "commission": commission,
        "price": Decimal("480.00"),
        "deposit": Decimal("0.00"),
        "estimated_completion_date": today + timedelta(days=40),
        "valid_until": today + timedelta(days=14),
        "materials_commitments": "18K recycled gold from a certified refiner.",
        **overrides,
    }
    return services.commission_quote(**data)


def walk_to(status: str, *, buyer=None, artisan=None, deposit=Decimal("0.00"), **kw):
    """A commission brought to ``status`` through the real services."""
    buyer = buyer or factories.UserFactory()
    artisan = artisan or factories.ArtisanFactory(commission_status="open")
    commission = request(buyer, artisan, **kw)
    a = artisan.user
    if status == S.SUBMITTED:
        return refresh(commission)
    if status == S.DECLINED:
        services.commission_decline(actor=a, commission=commission, reason="Too busy.")
        return refresh(commission)
    quote(commission, deposit=deposit)
    if status == S.QUOTED:
        return refresh(commission)
    if status == S.EXPIRED:
        services.commission_expire(commission=commission, reason="Test expiry.")
        return refresh(commission)
    services.commission_accept_quote(actor=buyer, commission=commission, version=1)
    if status == S.ACCEPTED:
        return refresh(commission)
    if status == S.CANCELLED:
        services.commission_cancel(actor=buyer, commission=commission, reason="Moved.")
        return refresh(commission)
    if deposit:
        payment = services.payment_record(
            actor=buyer,
            commission=commission,
            kind="deposit",
            amount=deposit,
            reference="BANK-1",
        )
        services.payment_confirm(actor=a, commission=commission, payment_id=payment.pk)
    services.commission_start(actor=a, commission=commission)
    if status == S.IN_PROGRESS:
        return refresh(commission)
    services.commission_post_update(
        actor=a, commission=commission, stage="fabrication", note="Band forged."
    )
    services.commission_submit_for_review(actor=a, commission=commission)
    if status == S.READY_FOR_REVIEW:
        return refresh(commission)
    services.commission_approve(actor=buyer, commission=commission)
    if status == S.APPROVED:
        return refresh(commission)
    complete(commission)
    return refresh(commission)


def complete(commission, *, metals=None, lot=None, grams="4.500", loss="0.300", **kw):
    """Complete with one recycled-silver lot: 4.5 g in = 4.2 g of piece + 0.3 g lost."""
    artisan = commission.artisan
    lot = lot or factories.recycled_silver_lot(
        artisan, reference=f"LOT-{commission.pk}-{artisan.pk}"
    )
    return services.commission_complete(
        actor=artisan.user,
        commission=commission,
        metals=[BESPOKE_METAL] if metals is None else metals,
        inputs=[(lot, Decimal(grams))],
        loss_grams=Decimal(loss),
        **kw,
    )


def refresh(commission) -> Commission:
    return Commission.objects.select_related("artisan__user", "buyer").get(
        pk=commission.pk
    )


def force_status(commission, status: str) -> Commission:
    """Test set-up only: put a commission in a state without its history."""
    Commission.objects.filter(pk=commission.pk).update(status=status)
    return refresh(commission)


def current_quote(commission) -> Quote:
    return commission.quotes.get(status=Quote.Status.CURRENT)
