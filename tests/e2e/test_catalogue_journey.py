"""An artisan lists a piece; a buyer finds it by search and by facet and favourites it."""

import io

from django.db import transaction
from PIL import Image
from playwright.sync_api import expect

from marketplace.catalogue.models import Favourite, Listing
from tests import factories
from tests.e2e.conftest import log_in


def _photo(tmp_path):
    path = tmp_path / "cuff.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 200, 205)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_artisan_lists_a_piece_and_a_buyer_finds_and_favourites_it(page, tmp_path):
    with transaction.atomic():
        artisan = factories.ArtisanFactory(public_name="Ines Varga", country="PT")
        buyer = factories.UserFactory(username="beatrix")
        factories.TechniqueFactory(name="Hand forging", slug="hand-forging")
        # Another piece, so that search and facets have something to leave out.
        factories.catalogue_listing(title="Plain silver band", category="ring")

    # The artisan creates a draft with materials and a photo, then publishes it.
    log_in(page, artisan.user.username, factories.PASSWORD)
    page.goto("/studio/pieces/new/")
    page.get_by_label("Title").fill("Tidewater cuff")
    page.get_by_label("Description").fill("A heavy cuff forged from recycled gold.")
    page.get_by_label("Category").select_option("bracelet")
    page.get_by_label("Price").fill("1250")
    page.get_by_label("Hand forging").check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#listing-status")).to_have_text("Draft")

    metals = page.locator("#metals")
    metals.get_by_label("Metal:", exact=True).select_option("gold")
    metals.get_by_label("Fineness").fill("750")
    metals.get_by_label("Construction").select_option("solid")
    metals.get_by_label("Weight (grams)").fill("18.5")
    metals.get_by_role("button", name="Add metal").click()
    expect(page.locator("#metals")).to_contain_text("Solid gold 750")

    photos = page.locator("#photos")
    photos.get_by_label("Image").set_input_files(str(_photo(tmp_path)))
    photos.get_by_label("Describe the photo").fill("The cuff on a slate")
    photos.get_by_label("Role").select_option("main")
    photos.get_by_role("button", name="Upload photo").click()
    expect(page.locator("#photos img")).to_have_attribute("alt", "The cuff on a slate")

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#listing-status")).to_have_text("Published")
    assert Listing.objects.get(title="Tidewater cuff").status == "published"

    page.locator("summary", has_text=artisan.user.username).click()
    page.get_by_role("button", name="Log out").click()

    # The buyer finds it by search from the header ...
    log_in(page, buyer.username, factories.PASSWORD)
    page.get_by_label("Search pieces").fill("tidewater")
    page.get_by_role("button", name="Search").click()
    expect(
        page.get_by_role("heading", name="Pieces matching “tidewater”")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Tidewater cuff")).to_be_visible()
    expect(page.get_by_role("link", name="Plain silver band")).to_have_count(0)

    # ... and by facet, whose counts show before clicking.
    page.goto("/pieces/")
    gold = page.locator('a[data-facet="metal"][data-value="gold"]')
    expect(gold.locator("xpath=..").locator(".count")).to_have_text("1")
    gold.click()
    expect(page.locator("#result-count")).to_have_text("1 piece")
    page.get_by_role("link", name="Tidewater cuff").click()

    # The piece page: materials, value and the maker.
    expect(page.get_by_role("heading", name="Tidewater cuff")).to_be_visible()
    expect(page.locator("#materials")).to_contain_text("Gold")
    expect(page.locator("#value")).to_contain_text("13.875 g")
    expect(page.locator(".maker-card")).to_contain_text("Ines Varga")

    page.get_by_role("button", name="Add to favourites").click()
    expect(page.get_by_role("button", name="Remove from favourites")).to_be_visible()
    assert Favourite.objects.filter(
        user=buyer, listing__title="Tidewater cuff"
    ).exists()

    page.goto("/account/")
    favourites = page.locator(".account-favourites")
    expect(favourites.get_by_role("link", name="Tidewater cuff")).to_be_visible()
