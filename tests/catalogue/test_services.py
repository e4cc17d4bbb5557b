"""Catalogue services: materials, hallmark and publishing rules, the status workflow."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.catalogue.models import (
    HallmarkRecord,
    Listing,
    ListingEvent,
    ListingPhoto,
    MetalPrice,
)
from marketplace.catalogue.selectors import (
    listing_hallmark_status,
    listing_list,
    listing_search,
    listing_value_panel,
)
from marketplace.catalogue.services import listings as services
from marketplace.catalogue.services import stock
from marketplace.catalogue.services.favourites import favourite_toggle
from marketplace.catalogue.services.prices import metal_price_set
from marketplace.demo import images as demo_images
from tests import factories as f

pytestmark = pytest.mark.django_db


def photo_upload(name="piece.jpg", size=64):
    return demo_images.piece_photo(7, size=size)


# --- Materials ------------------------------------------------------------------------


class TestMetalRules:
    def test_solid_sterling_is_accepted_and_sets_a_care_guide(self):
        listing = f.ListingFactory(care_instructions="")
        component = f.add_metal(listing)
        assert component.fine_weight_grams == Decimal("4.625")
        listing.refresh_from_db()
        assert "silver" in listing.care_instructions.lower()

    def test_artisans_own_care_guide_is_kept(self):
        listing = f.ListingFactory(care_instructions="Keep it dry.")
        f.add_metal(listing)
        listing.refresh_from_db()
        assert listing.care_instructions == "Keep it dry."

    @pytest.mark.parametrize(
        ("metal", "fineness"),
        [("silver", 900), ("gold", 925), ("platinum", 750), ("palladium", 585)],
    )
    def test_fineness_must_be_standard_for_the_metal(self, metal, fineness):
        listing = f.ListingFactory()
        with pytest.raises(ValidationError) as error:
            f.add_metal(listing, metal=metal, fineness=fineness)
        assert "fineness" in error.value.message_dict
        assert not listing.metals.exists()

    @pytest.mark.parametrize(
        ("metal", "fineness"),
        [
            ("gold", 375),
            ("gold", 417),
            ("gold", 916),
            ("silver", 958),
            ("platinum", 950),
            ("palladium", 500),
        ],
    )
    def test_standard_fineness_values_are_accepted(self, metal, fineness):
        component = f.add_metal(f.ListingFactory(), metal=metal, fineness=fineness)
        assert component.pk

    def test_solid_precious_metal_needs_a_fineness(self):
        with pytest.raises(ValidationError) as error:
            f.add_metal(f.ListingFactory(), fineness=None)
        assert "fineness" in error.value.message_dict

    @pytest.mark.parametrize("construction", ["plated", "gold_filled"])
    def test_plated_or_filled_may_not_claim_a_solid_fineness(self, construction):
        with pytest.raises(ValidationError) as error:
            f.add_metal(
                f.ListingFactory(),
                metal="brass",
                fineness=925,
                construction=construction,
                plating_metal="gold",
            )
        assert "fineness" in error.value.message_dict

    def test_plated_brass_without_fineness_is_accepted(self):
        component = f.add_metal(
            f.ListingFactory(),
            metal="brass",
            fineness=None,
            construction="plated",
            plating_metal="gold",
            plating_thickness_microns=Decimal("1"),
        )
        assert component.fine_weight_grams == 0

    def test_plated_needs_its_plating_metal(self):
        with pytest.raises(ValidationError) as error:
            f.add_metal(
                f.ListingFactory(), metal="brass", fineness=None, construction="plated"
            )
        assert "plating_metal" in error.value.message_dict

    def test_gold_filled_means_gold(self):
        with pytest.raises(ValidationError) as error:
            f.add_metal(
                f.ListingFactory(),
                metal="brass",
                fineness=None,
                construction="gold_filled",
                plating_metal="silver",
            )
        assert "plating_metal" in error.value.message_dict

    def test_vermeil_is_sterling_under_at_least_2_5_microns_of_gold(self):
        listing = f.ListingFactory()
        with pytest.raises(ValidationError) as error:
            f.add_metal(
                listing,
                construction="vermeil",
                plating_metal="gold",
                plating_thickness_microns=Decimal("1.0"),
            )
        assert "plating_thickness_microns" in error.value.message_dict
        with pytest.raises(ValidationError):
            f.add_metal(
                listing,
                metal="brass",
                fineness=None,
                construction="vermeil",
                plating_metal="gold",
                plating_thickness_microns=Decimal("3"),
            )
        ok = f.add_metal(
            listing,
            construction="vermeil",
            plating_metal="gold",
            plating_thickness_microns=Decimal("2.5"),
        )
        assert ok.pk

    def test_base_metal_carries_no_fineness(self):
        with pytest.raises(ValidationError) as error:
            f.add_metal(f.ListingFactory(), metal="copper", fineness=925)
        assert "fineness" in error.value.message_dict

    def test_solid_metal_has_no_plating(self):
        with pytest.raises(ValidationError) as error:
            f.add_metal(f.ListingFactory(), plating_metal="gold")
        assert "plating_metal" in error.value.message_dict

    def test_update_applies_the_same_rules(self):
        component = f.add_metal(f.ListingFactory())
        with pytest.raises(ValidationError):
            services.metal_component_update(
                component=component, actor=component.listing.artisan.user, fineness=333
            )
        component.refresh_from_db()
        assert component.fineness == 925

    def test_another_artisan_cannot_add_materials(self):
        listing = f.ListingFactory()
        other = f.ArtisanFactory()
        with pytest.raises(PermissionDenied):
            services.metal_component_add(
                listing=listing,
                actor=other.user,
                metal="silver",
                fineness=925,
                weight_grams=Decimal("3"),
            )
        assert not listing.metals.exists()

    def test_a_published_piece_keeps_its_last_metal(self):
        listing = f.catalogue_listing()
        with pytest.raises(ValidationError):
            services.metal_component_remove(
                component=listing.metals.get(), actor=listing.artisan.user
            )
        assert listing.metals.count() == 1


class TestGemstoneRules:
    def add(self, listing, **fields):
        data = {"species": "sapphire", "nature": "natural", "carat": Decimal("0.5")}
        data.update(fields)
        return services.gemstone_add(
            listing=listing, actor=listing.artisan.user, **data
        )

    @pytest.mark.parametrize(
        ("nature", "label"),
        [("lab_grown", "Lab-grown diamond"), ("imitation", "Imitation diamond")],
    )
    def test_lab_grown_and_imitation_stones_are_labelled_as_such(self, nature, label):
        stone = self.add(
            f.ListingFactory(description="A plain piece."),
            species="diamond",
            nature=nature,
        )
        assert stone.label == label
        assert str(stone) == label

    def test_a_natural_stone_says_natural(self):
        assert (
            self.add(f.ListingFactory(description="A plain piece.")).label
            == "Natural sapphire"
        )

    def test_the_text_may_not_call_a_lab_grown_stone_natural(self):
        listing = f.ListingFactory(
            title="Natural diamond ring", description="A bright natural stone."
        )
        with pytest.raises(ValidationError) as error:
            self.add(listing, species="diamond", nature="lab_grown")
        assert "nature" in error.value.message_dict
        assert not listing.gemstones.exists()

    def test_nature_must_be_disclosed(self):
        with pytest.raises(ValidationError) as error:
            self.add(f.ListingFactory(description="A plain piece."), nature="")
        assert "nature" in error.value.message_dict

    def test_a_lab_report_needs_issuer_and_number(self):
        with pytest.raises(ValidationError) as error:
            self.add(
                f.ListingFactory(description="A plain piece."), lab_report_issuer="GIA"
            )
        assert "lab_report_number" in error.value.message_dict
        stone = self.add(
            f.ListingFactory(description="A plain piece."),
            lab_report_issuer="GIA",
            lab_report_number="12345",
        )
        assert stone.lab_report_number == "12345"

    def test_treatment_is_recorded(self):
        stone = self.add(
            f.ListingFactory(description="A plain piece."), treatment="heat"
        )
        assert stone.get_treatment_display() == "Heat"


# --- Photos ---------------------------------------------------------------------------


class TestPhotos:
    def test_photo_is_reencoded_with_thumbnails(
        self, django_capture_on_commit_callbacks
    ):
        listing = f.ListingFactory()
        upload = demo_images.piece_photo(3, size=700)
        # The thumbnails are made by a task once the upload commits.
        with django_capture_on_commit_callbacks(execute=True):
            photo = services.listing_photo_add(
                listing=listing,
                actor=listing.artisan.user,
                image=upload,
                alt_text="Ring",
            )
        photo.refresh_from_db()
        assert photo.role == ListingPhoto.Role.MAIN  # the first photo is the main one
        sizes = {}
        for name in ("small", "medium", "large"):
            field = getattr(photo, f"thumb_{name}")
            with Image.open(field.path) as image:
                sizes[name] = max(image.size)
        assert sizes == {"small": 320, "medium": 640, "large": 700}

    def test_metadata_is_removed(self):
        image = Image.new("RGB", (80, 80), "gold")
        exif = Image.Exif()
        exif[0x010E] = "secret location"
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", exif=exif)
        upload = SimpleUploadedFile("a.jpg", buffer.getvalue(), "image/jpeg")
        listing = f.ListingFactory()
        photo = services.listing_photo_add(
            listing=listing, actor=listing.artisan.user, image=upload, alt_text="A"
        )
        with open(photo.image.path, "rb") as stored:
            assert b"secret location" not in stored.read()

    def test_not_an_image_is_refused_and_nothing_saved(self):
        listing = f.ListingFactory()
        upload = SimpleUploadedFile("a.gif", b"GIF89a....", "image/gif")
        with pytest.raises(ValidationError) as error:
            services.listing_photo_add(
                listing=listing, actor=listing.artisan.user, image=upload, alt_text="A"
            )
        assert "image" in error.value.message_dict
        assert not listing.photos.exists()

    def test_alt_text_is_required(self):
        listing = f.ListingFactory()
        with pytest.raises(ValidationError) as error:
            services.listing_photo_add(
                listing=listing,
                actor=listing.artisan.user,
                image=photo_upload(),
                alt_text=" ",
            )
        assert "alt_text" in error.value.message_dict

    def test_a_new_main_photo_demotes_the_old_one(self):
        listing = f.ListingFactory()
        user = listing.artisan.user
        first = services.listing_photo_add(
            listing=listing, actor=user, image=photo_upload(), alt_text="One"
        )
        second = services.listing_photo_add(
            listing=listing,
            actor=user,
            image=photo_upload(),
            alt_text="Two",
            role="main",
        )
        first.refresh_from_db()
        assert (first.role, second.role) == ("detail", "main")


# --- Hallmarks ------------------------------------------------------------------------


def hallmark(listing, **fields):
    data = {
        "system": "uk",
        "metal": "silver",
        "fineness_mark": 925,
        "assay_office": "London",
        "maker_mark": f.verified(f.MakerMarkFactory(artisan=listing.artisan)),
    }
    data.update(fields)
    return services.hallmark_record_add(
        listing=listing, actor=listing.artisan.user, **data
    )


class TestHallmarkRules:
    def test_a_uk_hallmark_on_solid_sterling_is_recorded_as_a_draft_claim(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        record = hallmark(listing)
        assert record.verification_status == "draft"
        assert record.is_assay_hallmark

    def test_rule_1_a_925_mark_on_plated_brass_is_rejected(self):
        listing = f.ListingFactory()
        f.add_metal(
            listing,
            metal="brass",
            fineness=None,
            construction="plated",
            plating_metal="silver",
        )
        with pytest.raises(ValidationError) as error:
            hallmark(listing)
        assert "fineness_mark" in error.value.message_dict
        assert not HallmarkRecord.objects.exists()

    def test_rule_1_the_mark_needs_the_same_metal(self):
        listing = f.ListingFactory()
        f.add_metal(listing)  # silver
        with pytest.raises(ValidationError) as error:
            hallmark(listing, metal="gold", fineness_mark=750)
        assert "fineness_mark" in error.value.message_dict

    def test_rule_2_the_mark_must_be_a_standard_value(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        with pytest.raises(ValidationError) as error:
            hallmark(listing, fineness_mark=926)
        assert "fineness_mark" in error.value.message_dict

    def test_rule_2_the_mark_may_not_exceed_the_metal(self):
        listing = f.ListingFactory()
        f.add_metal(listing, metal="gold", fineness=585)
        with pytest.raises(ValidationError) as error:
            hallmark(listing, metal="gold", fineness_mark=750)
        assert "exceed" in str(error.value.message_dict["fineness_mark"])
        assert hallmark(listing, metal="gold", fineness_mark=375).pk

    def test_rule_3_the_maker_mark_must_be_the_artisans_own(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        foreign = f.verified(f.MakerMarkFactory())
        with pytest.raises(ValidationError) as error:
            hallmark(listing, maker_mark=foreign)
        assert "maker_mark" in error.value.message_dict

    def test_rule_3_the_maker_mark_must_be_verified(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        unverified = f.MakerMarkFactory(artisan=listing.artisan)
        with pytest.raises(ValidationError) as error:
            hallmark(listing, maker_mark=unverified)
        assert "maker_mark" in error.value.message_dict

    def test_a_uk_hallmark_carries_the_sponsors_mark(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        with pytest.raises(ValidationError) as error:
            hallmark(listing, maker_mark=None)
        assert "maker_mark" in error.value.message_dict

    @pytest.mark.parametrize("huid", ["AB12C", "AB 12C", "AB-12C", "AB12CDE"])
    def test_rule_4_an_huid_is_six_capitals_or_digits(self, huid):
        listing = f.ListingFactory()
        f.add_metal(listing, metal="gold", fineness=916)
        with pytest.raises(ValidationError) as error:
            hallmark(
                listing,
                system="bis",
                metal="gold",
                fineness_mark=916,
                huid=huid,
                maker_mark=None,
                assay_office="",
            )
        assert "huid" in error.value.message_dict

    def test_rule_4_an_huid_is_unique_across_the_platform(self):
        first = f.ListingFactory()
        f.add_metal(first, metal="gold", fineness=916)
        hallmark(
            first,
            system="bis",
            metal="gold",
            fineness_mark=916,
            huid="AB12CD",
            maker_mark=None,
        )
        second = f.ListingFactory()
        f.add_metal(second, metal="gold", fineness=916)
        with pytest.raises(ValidationError) as error:
            hallmark(
                second,
                system="bis",
                metal="gold",
                fineness_mark=916,
                huid="AB12CD",
                maker_mark=None,
            )
        assert "already" in str(error.value.message_dict["huid"])

    def test_a_bis_hallmark_needs_its_huid_and_others_have_none(self):
        listing = f.ListingFactory()
        f.add_metal(listing, metal="gold", fineness=916)
        with pytest.raises(ValidationError) as error:
            hallmark(
                listing, system="bis", metal="gold", fineness_mark=916, maker_mark=None
            )
        assert "huid" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            hallmark(listing, metal="gold", fineness_mark=916, huid="AB12CD")
        assert "huid" in error.value.message_dict

    def test_a_makers_declaration_is_not_an_assay_hallmark(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        record = hallmark(
            listing, system="makers_declaration", maker_mark=None, assay_office=""
        )
        assert not record.is_assay_hallmark

    def test_submit_sends_the_record_to_review(self):
        listing = f.ListingFactory()
        f.add_metal(listing)
        record = hallmark(listing)
        services.hallmark_record_submit(record=record, actor=listing.artisan.user)
        record.refresh_from_db()
        assert record.verification_status == "submitted"
        with pytest.raises(PermissionDenied):
            services.hallmark_record_submit(record=record, actor=f.UserFactory())


class TestRule5NotHallmarked:
    def test_silver_over_7_78_g_without_a_uk_hallmark_is_not_hallmarked(self):
        listing = f.ListingFactory()
        f.add_metal(listing, weight_grams=Decimal("7.79"))
        status = listing_hallmark_status(listing=listing)
        assert status["status"] == "not_hallmarked"
        assert status["missing"] == ["Silver"]

    def test_below_the_exemption_weight_is_exempt(self):
        listing = f.ListingFactory()
        f.add_metal(listing, weight_grams=Decimal("7.78"))
        assert listing_hallmark_status(listing=listing)["status"] == "exempt"

    def test_gold_over_1_g_with_a_uk_hallmark_is_hallmarked(self):
        listing = f.ListingFactory()
        f.add_metal(listing, metal="gold", fineness=750, weight_grams=Decimal("3"))
        hallmark(listing, metal="gold", fineness_mark=750)
        assert listing_hallmark_status(listing=listing)["status"] == "hallmarked"

    def test_a_rejected_hallmark_does_not_count(self):
        listing = f.ListingFactory()
        f.add_metal(
            listing, metal="platinum", fineness=950, weight_grams=Decimal("0.6")
        )
        record = hallmark(listing, metal="platinum", fineness_mark=950)
        HallmarkRecord.objects.filter(pk=record.pk).update(
            verification_status="rejected"
        )
        listing = Listing.objects.get(pk=listing.pk)
        assert listing_hallmark_status(listing=listing)["status"] == "not_hallmarked"


# --- Listing details and publishing -----------------------------------------------------


class TestListingCreate:
    def test_creates_a_draft_with_a_unique_slug_and_an_event(self):
        artisan = f.ArtisanFactory()
        first = services.listing_create(
            artisan=artisan,
            actor=artisan.user,
            title="Silver ring",
            description="x",
            category="ring",
        )
        second = services.listing_create(
            artisan=artisan,
            actor=artisan.user,
            title="Silver ring",
            description="y",
            category="ring",
        )
        assert first.status == "draft"
        assert (first.slug, second.slug) == ("silver-ring", "silver-ring-2")
        assert ListingEvent.objects.filter(listing=first, action="create").exists()

    def test_only_the_artisan_creates_in_their_workshop(self):
        artisan = f.ArtisanFactory()
        with pytest.raises(PermissionDenied):
            services.listing_create(
                artisan=artisan,
                actor=f.UserFactory(),
                title="X",
                description="x",
                category="ring",
            )

    def test_limited_edition_needs_a_size_and_quantity_within_it(self):
        artisan = f.ArtisanFactory()
        with pytest.raises(ValidationError) as error:
            services.listing_create(
                artisan=artisan,
                actor=artisan.user,
                title="E",
                description="x",
                category="ring",
                kind="limited_edition",
            )
        assert "edition_size" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.listing_create(
                artisan=artisan,
                actor=artisan.user,
                title="E",
                description="x",
                category="ring",
                kind="limited_edition",
                edition_size=5,
                quantity_available=6,
            )
        assert "quantity_available" in error.value.message_dict
        listing = services.listing_create(
            artisan=artisan,
            actor=artisan.user,
            title="E",
            description="x",
            category="ring",
            kind="limited_edition",
            edition_size=5,
        )
        assert listing.quantity_available == 5

    def test_made_to_order_needs_a_lead_time(self):
        artisan = f.ArtisanFactory()
        with pytest.raises(ValidationError) as error:
            services.listing_create(
                artisan=artisan,
                actor=artisan.user,
                title="M",
                description="x",
                category="ring",
                kind="made_to_order",
            )
        assert "lead_time_days" in error.value.message_dict

    def test_status_cannot_be_set_as_a_field(self):
        artisan = f.ArtisanFactory()
        with pytest.raises(ValidationError):
            services.listing_create(
                artisan=artisan,
                actor=artisan.user,
                title="M",
                description="x",
                category="ring",
                status="published",
            )
        assert not Listing.objects.exists()


class TestPrivatePieces:
    def draft(self, **fields):
        artisan = f.ArtisanFactory()
        return services.listing_create(
            artisan=artisan,
            actor=artisan.user,
            title="Ring made to order",
            description="x",
            category="ring",
            **fields,
        )

    def test_a_piece_derives_only_from_the_artisans_own_piece(self):
        base = f.ListingFactory(published=True)
        artisan = base.artisan
        piece = services.listing_create(
            artisan=artisan,
            actor=artisan.user,
            title="Wider version",
            description="x",
            category="ring",
            derived_from=base,
        )
        assert piece.derived_from == base
        with pytest.raises(ValidationError) as error:
            self.draft(derived_from=f.ListingFactory(published=True))
        assert "derived_from" in error.value.message_dict

    def test_a_draft_is_sold_privately_to_its_buyer_and_stays_off_the_catalogue(
        self,
    ):
        piece = self.draft()
        buyer = f.UserFactory()
        services.listing_sell_privately(
            listing=piece, actor=piece.artisan.user, buyer=buyer, note="Commission"
        )
        piece.refresh_from_db()
        assert (piece.status, piece.private_to, piece.quantity_available) == (
            "sold",
            buyer,
            0,
        )
        assert not piece.is_public
        assert piece not in listing_list()
        event = ListingEvent.objects.get(listing=piece, action="sell_privately")
        assert (event.from_status, event.to_status) == ("draft", "sold")
        assert "sell_privately" not in services.listing_allowed_actions(piece)

    def test_only_a_draft_is_sold_privately_by_its_maker_to_someone_else(self):
        listed = f.catalogue_listing()
        with pytest.raises(ValidationError):
            services.listing_sell_privately(
                listing=listed, actor=listed.artisan.user, buyer=f.UserFactory()
            )
        piece = self.draft()
        with pytest.raises(PermissionDenied):
            services.listing_sell_privately(
                listing=piece, actor=f.UserFactory(), buyer=f.UserFactory()
            )
        with pytest.raises(ValidationError):
            services.listing_sell_privately(
                listing=piece, actor=piece.artisan.user, buyer=piece.artisan.user
            )
        piece.refresh_from_db()
        assert (piece.status, piece.private_to) == ("draft", None)


class TestPublishing:
    def test_a_complete_draft_is_published_with_an_event(self):
        listing = f.publishable_listing()
        services.listing_publish(listing=listing, actor=listing.artisan.user)
        listing.refresh_from_db()
        assert listing.status == "published"
        assert listing.published_at is not None
        event = ListingEvent.objects.get(listing=listing, action="publish")
        assert (event.from_status, event.to_status) == ("draft", "published")
        assert listing in listing_list()

    def test_publishing_needs_a_price(self):
        listing = f.publishable_listing(price=None)
        with pytest.raises(ValidationError) as error:
            services.listing_publish(listing=listing, actor=listing.artisan.user)
        assert "price" in error.value.message_dict
        listing.refresh_from_db()
        assert listing.status == "draft"

    def test_publishing_needs_a_photo(self):
        listing = f.ListingFactory()
        f.MetalComponentFactory(listing=listing)
        with pytest.raises(ValidationError) as error:
            services.listing_publish(listing=listing, actor=listing.artisan.user)
        assert "photos" in error.value.message_dict

    def test_publishing_needs_complete_materials(self):
        listing = f.ListingFactory()
        f.ListingPhotoFactory(listing=listing)
        with pytest.raises(ValidationError) as error:
            services.listing_publish(listing=listing, actor=listing.artisan.user)
        assert "metals" in error.value.message_dict
        # A component stored without its fineness (e.g. by an import) is incomplete.
        f.MetalComponentFactory(listing=listing, fineness=None)
        with pytest.raises(ValidationError) as error:
            services.listing_publish(listing=listing, actor=listing.artisan.user)
        assert "metals" in error.value.message_dict

    def test_only_the_artisan_publishes(self):
        listing = f.publishable_listing()
        with pytest.raises(PermissionDenied):
            services.listing_publish(listing=listing, actor=f.ArtisanFactory().user)
        listing.refresh_from_db()
        assert listing.status == "draft"

    def test_transition_table_refuses_moves_from_the_wrong_state(self):
        listing = f.catalogue_listing()
        user = listing.artisan.user
        with pytest.raises(ValidationError):
            services.listing_publish(listing=listing, actor=user)
        services.listing_unpublish(listing=listing, actor=user)
        with pytest.raises(ValidationError):
            services.listing_mark_sold(listing=listing, actor=user)
        services.listing_archive(listing=listing, actor=user)
        listing.refresh_from_db()
        assert listing.status == "archived"
        actions = list(
            ListingEvent.objects.filter(listing=listing).values_list(
                "action", flat=True
            )
        )
        assert actions == ["unpublish", "archive"]

    def test_hold_and_sell_a_one_of_a_kind_piece(self):
        listing = f.catalogue_listing()
        buyer = f.UserFactory()
        stock.listing_hold(listing=listing, quantity=1, buyer=buyer)
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_held) == ("reserved", 1)
        with pytest.raises(ValidationError):
            stock.listing_hold(listing=listing, quantity=1, buyer=f.UserFactory())
        stock.listing_sell(listing=listing, quantity=1)
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_held) == ("sold", 0)
        assert list(
            ListingEvent.objects.filter(listing=listing).values_list(
                "action", "to_status"
            )
        ) == [("hold", "reserved"), ("sell", "sold")]

    def test_a_released_hold_puts_the_piece_back_on_sale(self):
        listing = f.catalogue_listing()
        stock.listing_hold(listing=listing, quantity=1, buyer=f.UserFactory())
        stock.listing_release_hold(listing=listing, quantity=1)
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_available) == ("published", 1)
        assert listing.quantity_held == 0

    def test_a_limited_edition_is_reserved_only_when_the_last_one_goes(self):
        listing = f.catalogue_listing(
            kind="limited_edition", edition_size=3, quantity_available=3
        )
        stock.listing_hold(listing=listing, quantity=2, buyer=f.UserFactory())
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_available) == ("published", 1)
        with pytest.raises(ValidationError):
            stock.listing_hold(listing=listing, quantity=2, buyer=f.UserFactory())
        stock.listing_hold(listing=listing, quantity=1, buyer=f.UserFactory())
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_available) == ("reserved", 0)
        # Sold out only once every holding order has paid.
        stock.listing_sell(listing=listing, quantity=2)
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_held) == ("reserved", 1)
        stock.listing_sell(listing=listing, quantity=1)
        listing.refresh_from_db()
        assert listing.status == "sold"

    def test_a_held_piece_keeps_its_terms(self):
        listing = f.catalogue_listing()
        stock.listing_hold(listing=listing, quantity=1, buyer=f.UserFactory())
        with pytest.raises(ValidationError) as caught:
            services.listing_update(
                listing=listing, actor=listing.artisan.user, price=Decimal("9999")
            )
        assert "price" in caught.value.message_dict
        listing.refresh_from_db()
        assert listing.price == Decimal("180.00")
        # Words may still change.
        services.listing_update(
            listing=listing, actor=listing.artisan.user, title="Renamed ring"
        )

    def test_the_maker_cannot_mark_sold_a_piece_an_order_holds(self):
        listing = f.catalogue_listing(
            kind="limited_edition", edition_size=3, quantity_available=3
        )
        stock.listing_hold(listing=listing, quantity=1, buyer=f.UserFactory())
        with pytest.raises(ValidationError):
            services.listing_mark_sold(listing=listing, actor=listing.artisan.user)

    def test_a_sold_one_of_a_kind_piece_never_returns_to_sale(self):
        listing = f.catalogue_listing()
        user = listing.artisan.user
        services.listing_mark_sold(listing=listing, actor=user)
        services.listing_archive(listing=listing, actor=user)
        with pytest.raises(ValidationError) as caught:
            services.listing_publish(listing=listing, actor=user)
        assert "never returns to sale" in str(caught.value)
        listing.refresh_from_db()
        assert listing.status == "archived"

    def test_a_restocked_piece_is_on_sale_again(self):
        listing = f.catalogue_listing()
        stock.listing_hold(listing=listing, quantity=1, buyer=f.UserFactory())
        stock.listing_sell(listing=listing, quantity=1)
        stock.listing_restock(listing=listing, quantity=1, note="returned")
        listing.refresh_from_db()
        assert (listing.status, listing.quantity_available) == ("published", 1)

    def test_a_sold_piece_cannot_be_edited(self):
        listing = f.catalogue_listing(status="sold")
        with pytest.raises(ValidationError):
            services.listing_update(
                listing=listing, actor=listing.artisan.user, title="New"
            )


# --- Search ---------------------------------------------------------------------------


class TestSearch:
    def test_a_title_match_ranks_above_a_description_match(self):
        in_title = f.catalogue_listing(
            title="Sapphire halo ring", description="A ring."
        )
        in_description = f.catalogue_listing(
            title="Halo ring", description="Set with a small sapphire from Sri Lanka."
        )
        f.catalogue_listing(title="Plain band", description="Nothing else.")
        assert services.listing_search_rebuild() == 3
        results = list(
            listing_search(listing_list(), "sapphire").order_by("-rank", "-id")
        )
        assert results == [in_title, in_description]

    def test_artisan_name_and_materials_are_searched(self):
        artisan = f.ArtisanFactory(public_name="Ottoline Quarry")
        by_name = f.catalogue_listing(
            artisan=artisan, title="Band", description="Plain."
        )
        with_stone = f.catalogue_listing(title="Ring", description="Plain.")
        f.GemstoneFactory(listing=with_stone, species="garnet")
        services.listing_search_rebuild()
        assert list(listing_search(listing_list(), "Ottoline")) == [by_name]
        assert list(listing_search(listing_list(), "garnet")) == [with_stone]

    def test_services_keep_a_new_piece_searchable(self):
        artisan = f.ArtisanFactory()
        listing = services.listing_create(
            artisan=artisan,
            actor=artisan.user,
            title="Filigree earrings",
            description="Fine wire.",
            category="earrings",
            price=Decimal("90"),
        )
        f.add_metal(listing)
        f.ListingPhotoFactory(listing=listing)
        services.listing_publish(listing=listing, actor=artisan.user)
        assert list(listing_search(listing_list(), "filigree")) == [listing]
        assert list(listing_search(listing_list(), "silver")) == [listing]

    def test_rebuild_covers_rows_made_with_bulk_create(self):
        artisan = f.ArtisanFactory()
        Listing.objects.bulk_create(
            [
                Listing(
                    artisan=artisan,
                    title=f"Bulk torque {n}",
                    slug=f"bulk-{n}",
                    description="x",
                    category="necklace",
                    price=Decimal("50"),
                    status="published",
                )
                for n in range(5)
            ]
        )
        assert services.listing_search_rebuild(queryset=Listing.objects.all()) == 5
        assert listing_search(listing_list(), "torque").count() == 5


# --- Concurrency: a one-of-a-kind piece is held once -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_hold_a_one_of_a_kind_piece_once():
    import threading

    from django.db import connection

    listing = f.catalogue_listing()
    buyers = [f.UserFactory() for _ in range(6)]
    outcomes = []
    barrier = threading.Barrier(len(buyers))

    def attempt(buyer):
        try:
            barrier.wait()
            stock.listing_hold(
                listing=Listing.objects.get(pk=listing.pk), quantity=1, buyer=buyer
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as error:  # any other error would be a 5xx for a buyer
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    listing.refresh_from_db()
    assert (listing.status, listing.quantity_held) == ("reserved", 1)
    assert ListingEvent.objects.filter(listing=listing, action="hold").count() == 1


# --- Value panel, favourites and metal prices -------------------------------------------


class TestValuePanel:
    def test_fine_metal_and_value_at_the_latest_price(self):
        listing = f.catalogue_listing()  # 8.5 g sterling
        f.MetalPriceFactory(
            metal="silver", price_per_gram=Decimal("0.50"), as_of="2026-01-01"
        )
        latest = f.MetalPriceFactory(
            metal="silver", price_per_gram=Decimal("1.00"), as_of="2026-06-01"
        )
        panel = listing_value_panel(listing=listing)
        assert panel.fine_grams == Decimal("7.862")
        assert panel.rows[0].price == latest
        assert panel.total == Decimal("7.86")

    def test_latest_price_per_metal_in_one_query(self, django_assert_num_queries):
        for day in range(1, 6):
            for metal in ("gold", "silver"):
                f.MetalPriceFactory(
                    metal=metal, price_per_gram=Decimal(day), as_of=f"2026-01-0{day}"
                )
        euro = f.MetalPriceFactory(metal="gold", currency="EUR", as_of="2026-02-01")
        with django_assert_num_queries(1):
            latest = MetalPrice.objects.latest_per_metal(currency="GBP")
        assert {
            metal: (str(price.as_of), price.currency, price.price_per_gram)
            for metal, price in latest.items()
        } == {
            "gold": ("2026-01-05", "GBP", Decimal("5")),
            "silver": ("2026-01-05", "GBP", Decimal("5")),
        }
        assert MetalPrice.objects.latest_per_metal()["gold"].currency == "EUR"
        with django_assert_num_queries(1):
            every = MetalPrice.objects.latest_per_currency_and_metal()
        assert {
            key: (str(price.as_of), price.price_per_gram)
            for key, price in every.items()
        } == {
            ("GBP", "gold"): ("2026-01-05", Decimal("5")),
            ("GBP", "silver"): ("2026-01-05", Decimal("5")),
            ("EUR", "gold"): ("2026-02-01", euro.price_per_gram),
        }

    def test_no_price_says_so(self):
        panel = listing_value_panel(listing=f.catalogue_listing())
        assert panel.total is None
        assert panel.missing_prices == ["Silver"]

    def test_plated_metal_has_no_intrinsic_value(self):
        listing = f.ListingFactory()
        f.MetalComponentFactory(
            listing=listing,
            metal="brass",
            fineness=None,
            construction="plated",
            plating_metal="gold",
        )
        assert listing_value_panel(listing=listing).rows == []


class TestFavouritesAndPrices:
    def test_favourite_toggle(self):
        user = f.UserFactory()
        listing = f.catalogue_listing()
        assert favourite_toggle(user=user, listing=listing) is True
        assert favourite_toggle(user=user, listing=listing) is False
        assert not user.favourites.exists()
        assert favourite_toggle(user=user, artisan=listing.artisan) is True
        assert user.favourites.get().artisan == listing.artisan

    def test_metal_prices_are_set_by_verifiers_only(self):
        import datetime

        verifier = f.VerifierFactory()
        price = metal_price_set(
            actor=verifier,
            metal="gold",
            price_per_gram=Decimal("60"),
            as_of=datetime.date(2026, 5, 1),
        )
        assert price.set_by == verifier
        again = metal_price_set(
            actor=verifier,
            metal="gold",
            price_per_gram=Decimal("61"),
            as_of=datetime.date(2026, 5, 1),
        )
        assert again.pk == price.pk and again.price_per_gram == Decimal("61")
        with pytest.raises(PermissionDenied):
            metal_price_set(
                actor=f.UserFactory(),
                metal="gold",
                price_per_gram=Decimal("1"),
                as_of=datetime.date(2026, 5, 1),
            )
        with pytest.raises(ValidationError) as error:
            metal_price_set(
                actor=verifier,
                metal="brass",
                price_per_gram=Decimal("0"),
                as_of=datetime.date(2026, 5, 1),
            )
        assert {"metal", "price_per_gram"} <= set(error.value.message_dict)
