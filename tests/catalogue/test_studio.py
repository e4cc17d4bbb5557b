"""The artisan's workspace for pieces: /studio/pieces/."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.catalogue.models import HallmarkRecord, Listing
from marketplace.demo import images as demo_images
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def artisan():
    return f.ArtisanFactory()


@pytest.fixture
def studio(client, artisan):
    client.force_login(artisan.user)
    return client


def edit_url(listing):
    return reverse("marketplace:studio-listing-update", args=[listing.slug])


def details(**overrides):
    data = {
        "title": "Hammered cuff",
        "description": "Forged from one bar.",
        "category": "bracelet",
        "price": "240.00",
        "currency": "GBP",
        "kind": "one_of_a_kind",
    }
    data.update(overrides)
    return data


class TestCreateAndEdit:
    def test_create_a_draft(self, studio, artisan):
        response = studio.post(reverse("marketplace:studio-listing-create"), details())
        listing = Listing.objects.get()
        assert response.status_code == 302 and response["Location"] == edit_url(listing)
        assert (listing.artisan, listing.status) == (artisan, "draft")

    def test_bad_input_shows_errors_next_to_fields_and_saves_nothing(self, studio):
        response = studio.post(
            reverse("marketplace:studio-listing-create"),
            details(kind="limited_edition", price="-3"),
        )
        assert response.status_code == 400
        assert "price" in response.context["form"].errors
        assert not Listing.objects.exists()

    def test_service_errors_land_on_their_fields(self, studio):
        response = studio.post(
            reverse("marketplace:studio-listing-create"),
            details(kind="limited_edition"),
        )
        assert response.status_code == 400
        assert "edition_size" in response.context["form"].errors

    def test_edit_details(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        response = studio.post(edit_url(listing), details(title="Renamed cuff"))
        assert response.status_code == 302
        listing.refresh_from_db()
        assert listing.title == "Renamed cuff"

    def test_a_status_field_in_the_form_is_ignored(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        studio.post(edit_url(listing), details(status="published"))
        listing.refresh_from_db()
        assert listing.status == "draft"

    def test_list_shows_only_my_pieces(self, studio, artisan):
        mine = f.ListingFactory(artisan=artisan, title="Mine")
        f.ListingFactory(title="Someone else's")
        html = studio.get(reverse("marketplace:studio-listing-list")).content.decode()
        assert mine.title in html and "Someone else" not in html


class TestAccess:
    def test_another_artisans_piece_is_404_on_every_studio_url(self, studio):
        other = f.ListingFactory()
        f.MetalComponentFactory(listing=other)
        assert studio.get(edit_url(other)).status_code == 404
        assert studio.post(edit_url(other), details()).status_code == 404
        for name in ("studio-metal-add", "studio-photo-add", "studio-hallmark-add"):
            assert (
                studio.post(
                    reverse(f"marketplace:{name}", args=[other.slug]), {}
                ).status_code
                == 404
            )
        url = reverse(
            "marketplace:studio-listing-transition", args=[other.slug, "publish"]
        )
        assert studio.post(url).status_code == 404
        remove = reverse(
            "marketplace:studio-metal-remove", args=[other.slug, other.metals.get().pk]
        )
        assert studio.post(remove).status_code == 404
        assert other.metals.count() == 1

    def test_a_buyer_has_no_studio(self, client):
        client.force_login(f.UserFactory())
        assert client.get(reverse("marketplace:studio-listing-list")).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get(reverse("marketplace:studio-listing-list"))
        assert (
            response.status_code == 302 and "/accounts/login/" in response["Location"]
        )


class TestSections:
    def test_add_metal_gemstone_photo_and_publish(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan, description="Plain.")
        slug = listing.slug
        r = studio.post(
            reverse("marketplace:studio-metal-add", args=[slug]),
            {
                "metal": "silver",
                "fineness": "925",
                "construction": "solid",
                "weight_grams": "12.5",
            },
        )
        assert r.status_code == 302 and r["Location"].endswith("#metals")
        r = studio.post(
            reverse("marketplace:studio-gemstone-add", args=[slug]),
            {
                "species": "garnet",
                "nature": "natural",
                "treatment": "none",
                "carat": "1.2",
                "count": "1",
            },
        )
        assert r.status_code == 302
        r = studio.post(
            reverse("marketplace:studio-photo-add", args=[slug]),
            {
                "image": demo_images.piece_photo(1, size=80),
                "alt_text": "Cuff",
                "role": "main",
            },
        )
        assert r.status_code == 302
        r = studio.post(
            reverse("marketplace:studio-listing-transition", args=[slug, "publish"])
        )
        listing.refresh_from_db()
        assert listing.status == "published"
        assert (
            listing.metals.count(),
            listing.gemstones.count(),
            listing.photos.count(),
        ) == (1, 1, 1)

    def test_metal_rule_errors_appear_next_to_the_field(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        response = studio.post(
            reverse("marketplace:studio-metal-add", args=[listing.slug]),
            {
                "metal": "brass",
                "fineness": "925",
                "construction": "plated",
                "weight_grams": "3",
                "plating_metal": "silver",
            },
        )
        assert response.status_code == 400
        assert "fineness" in response.context["metal_form"].errors
        assert not listing.metals.exists()

    def test_bad_photo_is_refused_with_a_message(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        response = studio.post(
            reverse("marketplace:studio-photo-add", args=[listing.slug]),
            {
                "image": SimpleUploadedFile("x.png", b"not a png", "image/png"),
                "alt_text": "X",
                "role": "main",
            },
        )
        assert response.status_code == 400
        assert response.context["photo_form"].errors["image"]
        assert not listing.photos.exists()

    def test_publishing_an_incomplete_draft_explains_why(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        response = studio.post(
            reverse(
                "marketplace:studio-listing-transition", args=[listing.slug, "publish"]
            ),
            follow=True,
        )
        listing.refresh_from_db()
        assert listing.status == "draft"
        assert "Add at least one photo." in response.content.decode()

    def test_unknown_action_is_404(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        url = reverse(
            "marketplace:studio-listing-transition", args=[listing.slug, "explode"]
        )
        assert studio.post(url).status_code == 404

    def test_record_and_submit_a_hallmark(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        f.MetalComponentFactory(listing=listing)
        mark = f.verified(f.MakerMarkFactory(artisan=artisan))
        response = studio.post(
            reverse("marketplace:studio-hallmark-add", args=[listing.slug]),
            {
                "system": "uk",
                "metal": "silver",
                "fineness_mark": "925",
                "maker_mark": mark.pk,
                "assay_office": "Sheffield",
            },
        )
        assert response.status_code == 302
        record = HallmarkRecord.objects.get()
        studio.post(
            reverse(
                "marketplace:studio-hallmark-submit", args=[listing.slug, record.pk]
            )
        )
        record.refresh_from_db()
        assert record.verification_status == "submitted"

    def test_hallmark_with_another_artisans_mark_is_refused(self, studio, artisan):
        listing = f.ListingFactory(artisan=artisan)
        f.MetalComponentFactory(listing=listing)
        foreign = f.verified(f.MakerMarkFactory())
        response = studio.post(
            reverse("marketplace:studio-hallmark-add", args=[listing.slug]),
            {
                "system": "uk",
                "metal": "silver",
                "fineness_mark": "925",
                "maker_mark": foreign.pk,
                "assay_office": "London",
            },
        )
        assert response.status_code == 400
        assert "maker_mark" in response.context["hallmark_form"].errors
        assert not HallmarkRecord.objects.exists()

    def test_edit_page_query_budget(
        self, studio, artisan, django_assert_max_num_queries
    ):
        listing = f.catalogue_listing(artisan=artisan, price=Decimal("90"))
        for _ in range(30):
            f.MetalComponentFactory(listing=listing)
            f.GemstoneFactory(listing=listing)
            f.HallmarkRecordFactory(listing=listing)
        with django_assert_max_num_queries(20):
            assert studio.get(edit_url(listing)).status_code == 200
