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
from tests.commissions.helpers import (
    BESPOKE_METAL,
    S,
    complete,
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


SILVER_123 = {"metal": "silver", "fineness": 123, "weight_grams": Decimal("4.200")}
PLATED_BRASS_925 = {
    "metal": "brass",
    "fineness": 925,
    "construction": "plated",
    "plating_metal": "gold",
    "weight_grams": Decimal("4.200"),
}


def assert_nothing_was_made(commission, listings_before):
    assert refresh(commission).status == S.APPROVED
    assert Listing.objects.count() == listings_before
    assert not Certificate.objects.exists()
    assert not TraceEvent.objects.filter(kind="transformation").exists()


@pytest.mark.parametrize(
    "metal,message",
    [
        (SILVER_123, "123 is not a standard fineness for silver"),
        (PLATED_BRASS_925, "may not claim a solid fineness"),
    ],
)
def test_the_catalogues_metal_rules_refuse_the_finished_piece(
    buyer, artisan, metal, message
):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    listings_before = Listing.objects.count()
    with pytest.raises(ValidationError) as error:
        complete(commission, metals=[metal])
    assert message in " ".join(error.value.message_dict["fineness"])
    assert_nothing_was_made(commission, listings_before)


def test_a_modification_keeps_only_base_materials_the_catalogue_accepts(buyer, artisan):
    base = factories.ListingFactory(artisan=artisan, published=True)
    # Stored without the services (an old import): sterling silver of fineness 123.
    factories.MetalComponentFactory(listing=base, fineness=123)
    commission = walk_to(
        S.APPROVED, buyer=buyer, artisan=artisan, kind="modification", base_listing=base
    )
    listings_before = Listing.objects.count()
    with pytest.raises(ValidationError) as error:
        complete(commission, metals=[])
    assert "fineness" in error.value.message_dict
    assert_nothing_was_made(commission, listings_before)
    # Given its own, valid metal, the piece is made.
    piece = complete(commission, metals=[BESPOKE_METAL])
    assert piece.metals.get().fineness == 925


def test_the_finished_piece_is_made_through_the_catalogue(buyer, artisan):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    piece = complete(commission)
    actions = list(piece.events.values_list("action", flat=True))
    assert actions == ["create", "sell_privately"]
    event = piece.events.get(action="sell_privately")
    assert (event.from_status, event.to_status) == ("draft", "sold")
    assert piece.care_instructions  # the catalogue's care guide for silver


def complete_form(lot, **overrides):
    return {
        "complete-title": "",
        "complete-metal": "silver",
        "complete-fineness": "925",
        "complete-construction": "solid",
        "complete-weight_grams": "4.200",
        "complete-lot_1": lot.pk,
        "complete-grams_1": "4.500",
        "complete-loss_grams": "0.300",
        **{f"complete-{key}": value for key, value in overrides.items()},
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"fineness": "123"},
        {"metal": "brass", "construction": "plated", "plating_metal": "gold"},
    ],
)
def test_complete_in_html_refuses_bad_metal_next_to_its_field(
    client, buyer, artisan, overrides
):
    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, reference="HTML-M")
    listings_before = Listing.objects.count()
    client.force_login(artisan.user)
    url = reverse(
        "marketplace:commission-move",
        kwargs={"pk": commission.pk, "slug": "complete"},
    )
    response = client.post(url, complete_form(lot, **overrides))
    assert response.status_code == 400
    assert "fineness" in response.context["forms"]["complete"].errors
    assert_nothing_was_made(commission, listings_before)


@pytest.mark.parametrize(
    "metal",
    [
        {"metal": "silver", "fineness": 123, "weight_grams": "4.200"},
        {
            "metal": "brass",
            "fineness": 925,
            "construction": "plated",
            "plating_metal": "gold",
            "weight_grams": "4.200",
        },
    ],
)
def test_complete_in_the_api_refuses_bad_metal_with_a_field_error(
    buyer, artisan, metal
):
    from tests.conftest import api_client_for

    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, reference="API-M")
    listings_before = Listing.objects.count()
    response = api_client_for(artisan.user).post(
        f"/api/commissions/{commission.pk}/complete/",
        {
            "metals": [metal],
            "inputs": [{"lot": lot.pk, "grams": "4.500"}],
            "loss_grams": "0.300",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "fineness" in response.json()
    assert_nothing_was_made(commission, listings_before)


def test_a_vermeil_piece_records_its_plating(buyer, artisan):
    from tests.conftest import api_client_for

    commission = walk_to(S.APPROVED, buyer=buyer, artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, reference="API-V")
    response = api_client_for(artisan.user).post(
        f"/api/commissions/{commission.pk}/complete/",
        {
            "metals": [
                {
                    "metal": "silver",
                    "fineness": 925,
                    "construction": "vermeil",
                    "plating_metal": "gold",
                    "plating_thickness_microns": "2.50",
                    "weight_grams": "4.200",
                }
            ],
            "inputs": [{"lot": lot.pk, "grams": "4.500"}],
            "loss_grams": "0.300",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    component = refresh(commission).completed_listing.metals.get()
    assert (component.construction, component.plating_metal) == ("vermeil", "gold")
