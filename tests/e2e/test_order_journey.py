"""A buyer buys a certified piece: buy now, address, place, the artisan confirms the
bank transfer and ships, the buyer confirms delivery and owns the certificate."""

import pytest
from playwright.sync_api import expect

from provenance.models import Certificate
from provenance.services.certificates import certificate_issue
from tests import factories
from tests.e2e.conftest import log_in

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


def test_buy_now_to_delivery_and_the_certificate(browser, live_server):
    factories.UserFactory(username="margot")
    artisan = factories.ArtisanFactory(
        user=factories.UserFactory(username="sofia"), public_name="Sofia Lindqvist"
    )
    piece, _lot = factories.fabricated_piece(artisan)
    certificate = certificate_issue(listing=piece)
    buyer_context, b = _context(browser, live_server, "margot")
    artisan_context, a = _context(browser, live_server, "sofia")
    try:
        b.goto(piece.get_absolute_url())
        b.get_by_role("button", name="Buy now").click()
        expect(b.get_by_role("heading", name="Checkout")).to_be_visible()
        b.get_by_role("link", name="Add an address").click()
        b.get_by_label("Full name").fill("Margot Buyer")
        b.get_by_label("Address line 1").fill("3 Quay Street")
        b.get_by_label("Town or city").fill("Bristol")
        b.get_by_label("Postcode").fill("BS1 4DJ")
        b.get_by_label("Country").select_option("GB")
        b.get_by_role("button", name="Save address").click()
        expect(b.get_by_role("heading", name="Checkout")).to_be_visible()
        expect(b.get_by_text("Total", exact=True)).to_be_visible()
        b.get_by_role("button", name="Place order").click()
        expect(b.locator("#order-status")).to_have_text("Awaiting payment")
        expect(b.locator("#time-left")).to_contain_text("more minute")
        reference = b.locator("#payment-reference").inner_text()
        assert reference.startswith("TS-")
        order_url = b.url

        # The artisan sees it in the inbox, confirms the transfer and ships.
        a.goto("/studio/orders/")
        a.get_by_role("link", name=order_url.rstrip("/").split("/")[-1]).click()
        expect(a.get_by_text(reference).first).to_be_visible()
        a.get_by_role("button", name="Confirm the payment arrived").click()
        expect(a.locator("#order-status")).to_have_text("Paid")
        a.get_by_label("Carrier").fill("Royal Mail")
        a.get_by_label("Tracking number").fill("RM123456789GB")
        a.get_by_role("button", name="Mark as shipped").click()
        expect(a.locator("#order-status")).to_have_text("Shipped")

        # The buyer confirms delivery; the certificate passes to them.
        b.goto(order_url)
        expect(b.locator("#tracking")).to_have_text("RM123456789GB")
        b.get_by_role("button", name="I have received it").click()
        expect(b.locator("#order-status")).to_have_text("Delivered")
        expect(b.locator("#order-timeline")).to_contain_text(
            "Delivery confirmed by the buyer"
        )
        certificate.refresh_from_db()
        assert certificate.owner.username == "margot"
        b.goto(piece.get_absolute_url())
        expect(b.locator("#sold-badge")).to_contain_text("Sold on")
        b.goto(certificate.get_absolute_url())
        expect(b.get_by_text("Chain verified").first).to_be_visible()
        assert Certificate.objects.get(pk=certificate.pk).chain_verified
    finally:
        buyer_context.close()
        artisan_context.close()
