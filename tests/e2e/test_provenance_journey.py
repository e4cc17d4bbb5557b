"""An artisan records a purchase and a casting, a verifier verifies the lot, and a
visitor without an account opens the piece's certificate and sees the chain verified."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from provenance.models import MaterialLot, TraceEvent
from tests import factories
from tests.e2e.conftest import log_in


def _log_out(page):
    page.context.clear_cookies()


def test_purchase_casting_verification_and_public_certificate(page, live_server):
    artisan = factories.ArtisanFactory(user__username="ines")
    piece = factories.ListingFactory(
        artisan=artisan, published=True, title="Cast sterling signet"
    )
    factories.MetalComponentFactory(listing=piece, weight_grams=Decimal("8.500"))
    factories.VerifierFactory(username="vera")

    # The artisan records a purchase of recycled silver.
    log_in(page, "ines", factories.PASSWORD)
    page.goto("/studio/provenance/")
    page.get_by_role("link", name="Record a purchase").click()
    page.get_by_label("…or a new supplier").fill("Cookson Precious Metals")
    page.get_by_label("Reference").fill("CK-2291")
    page.get_by_label("Material").select_option("metal")
    page.locator("#id_metal").select_option("silver")
    page.get_by_label("Fineness").fill("925")
    page.get_by_label("Mass (g)").fill("100")
    page.get_by_label("Origin type").select_option("recycled_post_consumer")
    page.get_by_role("button", name="Record purchase").click()
    expect(page.get_by_role("heading", name="CK-2291")).to_be_visible()
    expect(page.get_by_text("100.000 g remaining")).to_be_visible()
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_text("Sent for review")).to_be_visible()

    # ...and the casting of the piece from that lot, with its loss.
    page.goto("/studio/provenance/")
    page.get_by_role("link", name="Record a casting or fabrication").click()
    page.locator("#id_listing").select_option(label="Cast sterling signet")
    page.locator("#id_process").select_option("casting")
    page.locator("#id_lot_1").select_option(index=1)
    page.locator("#id_grams_1").fill("9.100")
    page.get_by_label("Loss (g)").fill("0.600")
    page.get_by_role("button", name="Record making").click()
    expect(page.get_by_role("heading", name="Transformation")).to_be_visible()
    assert TraceEvent.objects.filter(kind="transformation").count() == 1
    page.goto("/studio/provenance/")
    expect(page.get_by_role("cell", name="90.900 g")).to_be_visible()
    _log_out(page)

    # A verifier verifies the lot from the review queue, with its facts beside it.
    log_in(page, "vera", factories.PASSWORD)
    page.goto("/verification/")
    page.get_by_role("link", name=re.compile("CK-2291")).click()
    expect(page.get_by_role("main")).to_contain_text("Recycled (post-consumer)")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verified")
    assert MaterialLot.objects.get().verification_status == "verified"
    _log_out(page)

    # A visitor with no account opens the certificate and sees the chain verified.
    page.goto(piece.get_absolute_url())
    page.get_by_role(
        "link", name="Certificate of authenticity and origin chain"
    ).click()
    expect(page).to_have_url(re.compile(piece.certificate.get_absolute_url() + "$"))
    expect(page.get_by_role("heading", name="Chain verified")).to_be_visible()
    expect(page.get_by_text("100% recycled")).to_be_visible()
    expect(page.get_by_text("Verified by Touchstone").first).to_be_visible()
    expect(
        page.get_by_role("img", name="QR code linking to this certificate")
    ).to_be_visible()
