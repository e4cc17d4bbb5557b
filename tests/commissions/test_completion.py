"""Completion: the finished piece, its provenance chain and its certificate."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from marketplace.catalogue.models import Listing
from marketplace.commissions import services
from provenance.models import Certificate, Evidence, TraceEvent
from provenance.services import provenance_verify
from tests import factories
from tests.commissions.helpers import (  # noqa: F401
    BESPOKE_METAL,
    S,
    complete,
    fast_password_hashing,
    image_upload,
    refresh,
    walk_to,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return factories.UserFactory()


@pytest.fixture
def artisan():
    return factories.ArtisanFactory(commission_status="open")


def test_a_bespoke_piece_gets_its_chain_evidence_and_the_buyers_certificate(
    buyer, artisan
):
    commission = walk_to(
        S.IN_PROGRESS, buyer=buyer, artisan=artisan, category="bracelet"
    )
    services.commission_post_update(
        actor=artisan.user,
        commission=commission,
        stage="fabrication",
        note="Forged and soldered.",
        photos=[image_upload(), image_upload(colour=(10, 10, 10))],
        use_as_evidence=True,
    )
    services.commission_post_update(
        actor=artisan.user,
        commission=commission,
        stage="finishing",
        note="Not evidence.",
        photos=[image_upload()],
    )
    services.commission_submit_for_review(actor=artisan.user, commission=commission)
    services.commission_approve(actor=buyer, commission=commission)
    lot = factories.recycled_silver_lot(artisan, reference="RS-1")
    piece = complete(commission, lot=lot, title="Ben's forged cuff")

    piece.refresh_from_db()
    assert piece.status == Listing.Status.SOLD
    assert piece.private_to == buyer
    assert piece.derived_from is None
    assert piece.category == "bracelet"
    assert piece.title == "Ben's forged cuff"
    assert not Listing.objects.public().filter(pk=piece.pk).exists()

    certificate = Certificate.objects.get(listing=piece)
    assert certificate.owner == buyer
    event = TraceEvent.objects.for_chain(piece).get(kind="transformation")
    assert event.items.filter(lot=lot).exists()
    assert event.loss_grams == Decimal("0.300")
    assert provenance_verify(piece).ok
    # The two photos marked as evidence joined the fabrication event.
    assert Evidence.objects.filter(object_id=event.pk).count() == 2
    commission = refresh(commission)
    assert commission.status == S.COMPLETED
    assert commission.completed_listing == piece
    assert commission.events.last().payload["certificate"] == certificate.code


def test_a_modification_is_derived_from_its_base(buyer, artisan):
    base = factories.ListingFactory(
        artisan=artisan, published=True, category="pendant", dimensions="20 mm"
    )
    factories.MetalComponentFactory(
        listing=base, metal="silver", fineness=925, weight_grams=Decimal("6.000")
    )
    factories.GemstoneFactory(listing=base)
    technique = factories.TechniqueFactory()
    base.techniques.add(technique)
    commission = walk_to(
        S.APPROVED, buyer=buyer, artisan=artisan, kind="modification", base_listing=base
    )
    piece = complete(commission, metals=[], grams="6.400", loss="0.400")
    assert piece.derived_from == base
    assert piece.category == "pendant"
    assert piece.price == Decimal("480.00")
    assert list(piece.techniques.all()) == [technique]
    assert piece.metals.get().weight_grams == Decimal("6.000")
    assert piece.gemstones.count() == 1
    assert base.metals.count() == 1  # the base keeps its own rows
    assert Certificate.objects.get(listing=piece).owner == buyer
    assert not hasattr(base, "certificate") or base.certificate.owner != buyer


def test_a_bespoke_piece_needs_its_metal(buyer, artisan):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    with pytest.raises(ValidationError) as error:
        complete(commission, metals=[])
    assert "weight_grams" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        complete(
            commission,
            metals=[
                {"metal": "silver", "fineness": 925, "weight_grams": Decimal("-1")}
            ],
        )
    assert "weight_grams" in error.value.message_dict
    assert not Listing.objects.filter(private_to=buyer).exists()


@pytest.mark.parametrize(
    "grams,loss,field",
    [("9.000", "0.300", "loss_grams"), ("500", "0.3", "inputs")],
)
def test_a_chain_that_does_not_balance_saves_nothing(
    buyer, artisan, grams, loss, field
):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    with pytest.raises(ValidationError) as error:
        complete(commission, grams=grams, loss=loss)
    assert field in error.value.message_dict
    assert refresh(commission).status == S.APPROVED
    assert not Listing.objects.filter(private_to=buyer).exists()
    assert not Certificate.objects.exists()


def test_completion_needs_lots(buyer, artisan):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    with pytest.raises(ValidationError) as error:
        services.commission_complete(
            actor=artisan.user,
            commission=commission,
            metals=[BESPOKE_METAL],
            inputs=[],
            loss_grams=Decimal("0"),
        )
    assert "inputs" in error.value.message_dict
    assert not Listing.objects.filter(private_to=buyer).exists()


def test_another_artisans_lot_cannot_be_used(buyer, artisan):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    foreign = factories.recycled_silver_lot(factories.ArtisanFactory(), reference="X")
    with pytest.raises(ValidationError):
        complete(commission, lot=foreign)
    assert not Listing.objects.filter(private_to=buyer).exists()


def test_only_the_artisan_completes(buyer, artisan):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    with pytest.raises(PermissionDenied):
        services.commission_complete(actor=buyer, commission=commission)
    assert not Listing.objects.filter(private_to=buyer).exists()


def test_my_account_links_the_certificate(client, buyer, artisan):
    commission = walk_to(S.COMPLETED, buyer=buyer, artisan=artisan, title="Moon ring")
    certificate = commission.completed_listing.certificate
    client.force_login(buyer)
    response = client.get(reverse("marketplace:account"))
    assert certificate.get_absolute_url().encode() in response.content
    page = client.get(certificate.get_absolute_url())
    assert page.status_code == 200
    assert b"Chain verified" in page.content
    detail = client.get(commission.get_absolute_url())
    assert b"Open its certificate" in detail.content


def test_complete_in_html_with_lots(client, buyer, artisan):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, reference="HTML-1")
    client.force_login(artisan.user)
    page = client.get(commission.get_absolute_url())
    assert b"HTML-1" in page.content  # the artisan's lot is offered
    url = reverse(
        "marketplace:commission-move",
        kwargs={"pk": commission.pk, "slug": "complete"},
    )
    data = {
        "complete-title": "",
        "complete-metal": "silver",
        "complete-fineness": "925",
        "complete-construction": "solid",
        "complete-weight_grams": "4.200",
        "complete-lot_1": lot.pk,
        "complete-grams_1": "9.000",
        "complete-loss_grams": "0.300",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "loss_grams" in response.context["forms"]["complete"].errors
    assert refresh(commission).status == S.APPROVED
    response = client.post(url, {**data, "complete-grams_1": "4.500"})
    assert response.status_code == 302
    assert refresh(commission).status == S.COMPLETED


def test_complete_in_the_api(buyer, artisan):
    from tests.conftest import api_client_for

    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, reference="API-1")
    foreign = factories.recycled_silver_lot(factories.ArtisanFactory(), reference="F")
    client = api_client_for(artisan.user)
    url = f"/api/commissions/{commission.pk}/complete/"
    payload = {
        "metals": [{"metal": "silver", "fineness": 925, "weight_grams": "4.200"}],
        "inputs": [{"lot": foreign.pk, "grams": "4.500"}],
        "loss_grams": "0.300",
    }
    response = client.post(url, payload, format="json")
    assert response.status_code == 400 and "inputs" in response.json()
    payload["inputs"] = [{"lot": lot.pk, "grams": "4.500"}]
    response = client.post(url, payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completed"
    assert Certificate.objects.get(listing__private_to=buyer).owner == buyer
