"""A modification commission from request to the certificate of the buyer's piece."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from marketplace.catalogue.models import Listing
from marketplace.commissions.models import Commission
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(settings):
    buyer = factories.UserFactory(username="margot", first_name="Margot")
    artisan = factories.ArtisanFactory(
        user=factories.UserFactory(username="sofia"),
        public_name="Sofia Lindqvist",
        commission_status="open",
    )
    piece = factories.ListingFactory(
        artisan=artisan, published=True, title="Forged river ring", category="ring"
    )
    factories.MetalComponentFactory(listing=piece, metal="silver", fineness=925)
    factories.recycled_silver_lot(artisan, reference="RS-2026-07")
    return buyer, artisan, piece


def _context(browser, live_server, username):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, username, factories.PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()
    return context, page


def test_modification_from_request_to_the_buyers_piece(
    browser, live_server, people, tmp_path
):
    buyer, artisan, piece = people
    photo = tmp_path / "sketch.jpg"
    Image.new("RGB", (80, 60), (200, 170, 120)).save(photo, "JPEG")
    buyer_context, b = _context(browser, live_server, "margot")
    artisan_context, a = _context(browser, live_server, "sofia")
    try:
        # The buyer asks for a modification of the piece.
        b.goto(piece.get_absolute_url())
        b.get_by_role("link", name="Commission something similar").click()
        expect(
            b.get_by_role("heading", name="Commission Sofia Lindqvist")
        ).to_be_visible()
        expect(b.get_by_label("Title")).to_have_value("My version of Forged river ring")
        b.get_by_label("Brief").fill("The same ring, one size up and a little wider.")
        b.get_by_label("Ring size").fill("P")
        b.get_by_role("button", name="Send request").click()
        expect(
            b.get_by_text("Your request was sent to Sofia Lindqvist.")
        ).to_be_visible()
        expect(b.get_by_test_id("commission-status")).to_have_text("Submitted")
        commission = Commission.objects.get()
        assert commission.base_listing == piece
        detail = f"/commissions/{commission.pk}/"

        # The artisan finds it in the studio inbox and quotes.
        a.goto("/studio/commissions/")
        a.get_by_role(
            "link", name=re.compile("My version of Forged river ring")
        ).click()
        expect(a.get_by_role("heading", name="Your turn")).to_be_visible()
        today = timezone.localdate()
        a.get_by_label("Price").fill("340.00")
        a.get_by_label("Deposit").fill("0")
        a.get_by_label("Estimated completion date").fill(
            str(today + timedelta(days=30))
        )
        a.get_by_label("Valid until").fill(str(today + timedelta(days=10)))
        a.get_by_label("Materials and sourcing commitments").fill(
            "Recycled sterling silver, hallmarked in Stockholm."
        )
        a.get_by_role("button", name="Send quote").click()
        expect(a.get_by_text("Quote sent.")).to_be_visible()

        # The buyer accepts version 1.
        b.goto(detail)
        expect(b.get_by_test_id("current-quote")).to_contain_text("340.00 GBP")
        b.get_by_role("button", name="Accept quote v1").click()
        expect(b.get_by_test_id("commission-status")).to_have_text("Accepted")

        # The artisan starts and posts an update that needs the buyer's approval.
        a.goto(detail)
        a.get_by_role("button", name="Start work").click()
        expect(a.get_by_test_id("commission-status")).to_have_text("In progress")
        a.get_by_text("Post a progress update").click()
        a.get_by_label("Stage").select_option("design")
        a.get_by_label("Note").fill("Sketch of the wider band: does it look right?")
        a.get_by_label("Ask the buyer to approve this update").check()
        a.locator("#id_post-update-photos").set_input_files(str(photo))
        a.get_by_label("Use these photos as provenance evidence").check()
        a.get_by_role("button", name="Post update").click()
        expect(a.get_by_text("Progress update posted.")).to_be_visible()

        # The buyer sees the photo and approves the update.
        b.goto(detail)
        expect(b.get_by_role("heading", name="Your turn")).to_be_visible()
        expect(b.locator(".progress-update img")).to_have_count(1)
        b.get_by_role("button", name="Approve update").click()
        expect(b.get_by_text("Update approved.")).to_be_visible()

        # The artisan submits for review; the buyer approves the piece.
        a.goto(detail)
        a.get_by_role("button", name="Submit for review").click()
        expect(a.get_by_test_id("commission-status")).to_have_text("Ready for review")
        b.goto(detail)
        b.get_by_role("button", name="Approve the piece").click()
        expect(b.get_by_test_id("commission-status")).to_have_text("Approved")

        # The artisan records the lot it was made from and completes it.
        a.goto(detail)
        a.get_by_label("Name of the finished piece").fill("Margot's river ring")
        lot = artisan.material_lots.get(reference="RS-2026-07")
        a.locator("#id_complete-lot_1").select_option(value=str(lot.pk))
        a.get_by_label("Grams from lot 1").fill("8.900")
        a.get_by_label("Lost at the bench (g)").fill("0.400")
        a.get_by_role("button", name="Complete the commission").click()
        expect(a.get_by_test_id("commission-status")).to_have_text("Completed")

        finished = Listing.objects.get(private_to=buyer)
        assert finished.status == Listing.Status.SOLD
        assert finished.derived_from == piece

        # The buyer finds the piece on "My account" and opens its certificate.
        b.goto("/account/")
        pieces = b.get_by_role("region", name="My pieces")
        expect(pieces.get_by_role("link", name="Margot's river ring")).to_be_visible()
        certificate = finished.certificate
        expect(pieces.get_by_text(certificate.code)).to_be_visible()
        assert certificate.owner == buyer
        b.get_by_role("link", name=f"Certificate {certificate.code}").click()
        expect(b).to_have_url(re.compile(f"/certificates/{certificate.code}/$"))
        expect(b.get_by_role("heading", name="Margot's river ring")).to_be_visible()
        expect(b.get_by_role("heading", name="Chain verified")).to_be_visible()
        b.goto(detail)
        timeline = b.get_by_test_id("timeline")
        for label in (
            "Request sent",
            "Quote sent",
            "Quote accepted",
            "Work started",
            "Update approved",
            "Ready for review",
            "Piece approved",
            "Completed",
        ):
            expect(timeline).to_contain_text(label)
    finally:
        buyer_context.close()
        artisan_context.close()
