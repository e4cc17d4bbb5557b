"""A buyer with a delivered order writes a review with a photo, the artisan replies,
and the review shows on the artisan's page with the right average."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from marketplace.reviews.models import Review
from tests import factories
from tests.e2e.conftest import log_in
from tests.reviews.helpers import delivered_line, review_of

pytestmark = pytest.mark.django_db(transaction=True)


def _context(browser, live_server, username):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, username, factories.PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()
    return context, page


def test_review_with_a_photo_the_artisans_reply_and_the_average(
    browser, live_server, tmp_path
):
    artisan = factories.ArtisanFactory(
        user=factories.UserFactory(username="amina"), public_name="Amina Haddad"
    )
    # An earlier buyer gave 3 stars; the new 5-star review brings the average to 4.0.
    review_of(
        delivered_line(listing=factories.catalogue_listing(artisan=artisan)),
        rating=3,
        title="Fine",
    )
    line = delivered_line(
        buyer=factories.UserFactory(username="margot"),
        listing=factories.catalogue_listing(artisan=artisan, title="Filigree earrings"),
    )
    photo = tmp_path / "earrings.png"
    Image.new("RGB", (120, 90), (190, 150, 80)).save(photo)

    buyer_context, b = _context(browser, live_server, "margot")
    artisan_context, a = _context(browser, live_server, "amina")
    try:
        b.goto(line.order.get_absolute_url())
        b.get_by_role("link", name="Write a review").click()
        expect(b.get_by_role("heading", level=1)).to_contain_text("Filigree earrings")
        b.get_by_label("5 stars").check()
        b.get_by_label("Title").fill("Light as air")
        b.get_by_label("Your review").fill(
            "Delicate filigree, <b>beautifully</b> made."
        )
        b.get_by_label("Photos:", exact=True).set_input_files(str(photo))
        b.get_by_label("Describe the photos").fill("The earrings on a linen cloth")
        b.get_by_role("button", name="Publish review").click()
        expect(b.get_by_role("heading", name="Light as air")).to_be_visible()
        expect(
            b.get_by_role("img", name="The earrings on a linen cloth")
        ).to_be_visible()
        expect(b.get_by_text("<b>beautifully</b>", exact=False)).to_be_visible()

        a.goto(artisan.get_absolute_url())
        a.get_by_role("link", name="Light as air").click()
        a.get_by_label("Your reply").fill("Thank you, Margot!")
        a.get_by_role("button", name="Publish reply").click()
        expect(a.locator(".review__reply")).to_contain_text("Thank you, Margot!")

        b.goto(artisan.get_absolute_url())
        expect(b.locator(".rating-summary__average")).to_contain_text("4.0")
        expect(b.locator(".rating-summary__average")).to_contain_text("2 reviews")
        newest = b.locator("#reviews ~ .review, .reviews .review").first
        expect(newest).to_contain_text("Light as air")
        expect(newest.locator(".review__reply")).to_contain_text("Thank you, Margot!")
        review = Review.objects.get(title="Light as air")
        assert review.photos.count() == 1 and review.reply == "Thank you, Margot!"
    finally:
        buyer_context.close()
        artisan_context.close()
