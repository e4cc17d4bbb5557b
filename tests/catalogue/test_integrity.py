"""Rules that keep a piece's record honest after it was first written."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from artisans.services import maker_mark_update
from marketplace.catalogue.services import listings as services
from provenance.services.verification import claim_transition, evidence_add
from tests import factories as f

pytestmark = pytest.mark.django_db


def _uk_hallmark(listing):
    return services.hallmark_record_add(
        listing=listing,
        actor=listing.artisan.user,
        system="uk",
        metal="silver",
        fineness_mark=925,
        assay_office="London",
        maker_mark=f.verified(f.MakerMarkFactory(artisan=listing.artisan)),
    )


class TestMetalsStayConsistentWithHallmarks:
    def test_lowering_the_fineness_below_the_hallmark_is_refused(self):
        listing = f.ListingFactory()
        component = f.add_metal(listing)
        _uk_hallmark(listing)
        with pytest.raises(ValidationError, match="contradicts the hallmark"):
            services.metal_component_update(
                component=component, actor=listing.artisan.user, fineness=800
            )
        component.refresh_from_db()
        assert component.fineness == 925

    def test_turning_the_metal_into_plated_brass_is_refused(self):
        listing = f.ListingFactory()
        component = f.add_metal(listing)
        _uk_hallmark(listing)
        with pytest.raises(ValidationError):
            services.metal_component_update(
                component=component,
                actor=listing.artisan.user,
                metal="brass",
                fineness=None,
                construction="plated",
                plating_metal="silver",
                plating_thickness_microns=Decimal("1"),
            )
        component.refresh_from_db()
        assert (component.metal, component.construction) == ("silver", "solid")

    def test_removing_the_hallmarked_metal_is_refused(self):
        listing = f.ListingFactory()
        silver = f.add_metal(listing)
        f.add_metal(listing, metal="gold", fineness=750, weight_grams=Decimal("1"))
        _uk_hallmark(listing)
        silver_pk = silver.pk
        with pytest.raises(ValidationError, match="contradicts the hallmark"):
            services.metal_component_remove(
                component=silver, actor=listing.artisan.user
            )
        assert listing.metals.filter(pk=silver_pk).exists()

    def test_a_change_that_keeps_the_hallmark_true_is_accepted(self):
        listing = f.ListingFactory()
        component = f.add_metal(listing)
        _uk_hallmark(listing)
        services.metal_component_update(
            component=component, actor=listing.artisan.user, weight_grams=Decimal("6")
        )
        component.refresh_from_db()
        assert component.weight_grams == Decimal("6.000")


class TestMaterialsOfATracedPiece:
    def test_metals_of_a_piece_in_a_provenance_chain_cannot_be_edited(self):
        listing, _lot = f.fabricated_piece()
        component = listing.metals.get()
        with pytest.raises(ValidationError, match="provenance chain"):
            services.metal_component_update(
                component=component,
                actor=listing.artisan.user,
                weight_grams=Decimal("63"),
            )
        component.refresh_from_db()
        assert component.weight_grams == Decimal("8.500")

    def test_stones_cannot_be_added_to_a_traced_piece(self):
        listing, _lot = f.fabricated_piece()
        with pytest.raises(ValidationError, match="provenance chain"):
            services.gemstone_add(
                listing=listing,
                actor=listing.artisan.user,
                species="garnet",
                nature="natural",
                treatment="none",
                carat=Decimal("0.5"),
            )
        assert not listing.gemstones.exists()


class TestLabGrownLabelling:
    def _stone(self, listing, nature="lab_grown"):
        return services.gemstone_add(
            listing=listing,
            actor=listing.artisan.user,
            species="sapphire",
            nature=nature,
            treatment="none",
            carat=Decimal("0.5"),
        )

    def test_a_word_containing_lab_does_not_count_as_a_disclosure(self):
        listing = f.ListingFactory(description="An elaborate natural sapphire pendant.")
        with pytest.raises(ValidationError, match="calls the piece natural"):
            self._stone(listing)
        assert not listing.gemstones.exists()

    def test_a_disclosed_lab_grown_stone_is_accepted(self):
        listing = f.ListingFactory(description="A natural-looking lab-grown sapphire.")
        assert self._stone(listing).nature == "lab_grown"

    def test_rewriting_the_text_to_hide_a_lab_grown_stone_is_refused(self):
        listing = f.ListingFactory(description="A lab-grown sapphire pendant.")
        self._stone(listing)
        with pytest.raises(ValidationError) as error:
            services.listing_update(
                listing=listing,
                actor=listing.artisan.user,
                description="A natural sapphire pendant.",
            )
        assert "description" in error.value.message_dict
        listing.refresh_from_db()
        assert listing.description == "A lab-grown sapphire pendant."


class TestClaimsUnderReview:
    def test_a_mark_cannot_be_edited_while_a_verifier_reviews_it(self):
        mark = f.submitted(f.MakerMarkFactory(text="KM"))
        with pytest.raises(ValidationError):
            maker_mark_update(
                mark=mark,
                actor=mark.artisan.user,
                data={"text": "ZZ", "registration_system": mark.registration_system},
            )
        mark.refresh_from_db()
        assert mark.text == "KM"

    def test_a_verified_claim_takes_no_new_evidence(self, verifier):
        mark = f.submitted(f.MakerMarkFactory())
        claim_transition(record=mark, actor=verifier, action="verify")
        mark.refresh_from_db()
        with pytest.raises(ValidationError, match="takes no new evidence"):
            evidence_add(record=mark, actor=mark.artisan.user, uploaded=f.pdf_upload())
        assert not mark.evidence.exists()


def test_a_non_ascii_digit_as_notification_id_is_a_404_not_a_500(client, user):
    client.force_login(user)
    response = client.post(
        reverse("marketplace:notification-mark-read"), {"notification": "²"}
    )
    assert response.status_code == 404
