"""A maker joins, registers a mark, answers a verifier's question and gets it verified."""

import pytest
from playwright.sync_api import expect

from artisans.models import MakerMark
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def log_out(page):
    page.locator("summary.account-menu, details.account-menu summary").first.click()
    page.get_by_role("button", name="Log out").click()


def test_become_an_artisan_register_a_mark_and_get_it_verified(page, tmp_path):
    maker = factories.UserFactory(username="nia")
    factories.VerifierFactory(username="vera")
    factories.TechniqueFactory(name="Filigree", slug="filigree")
    mark_png = tmp_path / "mark.png"
    mark_png.write_bytes(factories.image_bytes("PNG", size=(120, 120)))
    close_up = tmp_path / "close-up.jpg"
    close_up.write_bytes(factories.image_bytes("JPEG", size=(200, 150)))

    # The user becomes an artisan.
    log_in(page, "nia", factories.PASSWORD)
    page.goto("/account/")
    page.get_by_role("link", name="Become an artisan").first.click()
    page.get_by_label("Public name").fill("Nia Okafor")
    page.get_by_label("Story").fill("I twist fine silver wire into filigree in Lagos.")
    page.get_by_label("Filigree").check()
    page.get_by_label("Workshop name").fill("Okafor Filigree")
    page.get_by_label("Village or city").fill("Lagos")
    page.get_by_label("Country").select_option("NG")
    page.get_by_role("button", name="Create my artisan page").click()
    expect(page.get_by_role("heading", name="Nia Okafor")).to_be_visible()

    # ... and registers a maker's mark, then submits it.
    page.get_by_role("link", name="Register a maker's mark").click()
    page.get_by_label("Mark text or initials").fill("NO")
    page.get_by_label("Registration system").select_option("unregistered")
    page.get_by_label("Image of the mark").set_input_files(str(mark_png))
    page.get_by_role("button", name="Register mark").click()
    expect(page.get_by_role("heading", name="Mark “NO”")).to_contain_text("Declared")
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.locator(".claim-review")).to_contain_text("Submitted")
    log_out(page)

    # The verifier asks for more information.
    log_in(page, "vera", factories.PASSWORD)
    page.goto("/account/")
    page.get_by_role("main").get_by_role("link", name="Verification queue").click()
    page.get_by_role("link", name="NO (Unregistered)").click()
    page.get_by_label("Reason (required; the artisan will see it)").first.fill(
        "Please send a close-up of the mark as struck."
    )
    page.get_by_role("button", name="Request information").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Needs information")
    log_out(page)

    # The artisan answers with new evidence.
    log_in(page, "nia", factories.PASSWORD)
    page.goto("/studio/")
    expect(page.locator("main")).to_contain_text("Please send a close-up")
    page.get_by_role("link", name="Maker's marks").first.click()
    page.get_by_role("link", name="NO", exact=True).click()
    page.get_by_label("Your answer to the verifier").fill(
        "Here is a close-up on a ring."
    )
    page.get_by_label("New evidence").set_input_files(str(close_up))
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator(".claim-review")).to_contain_text("In review")
    log_out(page)

    # The verifier sees the evidence and verifies the mark.
    log_in(page, "vera", factories.PASSWORD)
    page.goto("/verification/")
    page.get_by_role("link", name="NO (Unregistered)").click()
    expect(page.locator(".evidence-list")).to_contain_text("SHA-256")
    expect(page.locator(".review-history")).to_contain_text("Here is a close-up")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verified")
    assert MakerMark.objects.get(text="NO").verification_status == "verified"

    # The artisan page shows the verified mark.
    page.goto("/artisans/")
    page.get_by_role("link", name="Nia Okafor").click()
    marks = page.locator(".mark-list")
    expect(marks).to_contain_text("NO")
    expect(marks).to_contain_text("Verified")
    assert maker.artisan_profile.slug in page.url
