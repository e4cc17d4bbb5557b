import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import log_in


def test_sign_up_log_out_log_in_and_see_my_account(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("margot")
    page.get_by_label("Email").fill("margot@example.com")
    page.get_by_label("Password:", exact=True).fill("Garnet-brooch-2026")
    page.get_by_label("Password confirmation").fill("Garnet-brooch-2026")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Hello, margot")).to_be_visible()
    assert get_user_model().objects.filter(username="margot").exists()

    page.locator("summary", has_text="margot").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="You have logged out")).to_be_visible()

    log_in(page, "margot", "Garnet-brooch-2026")
    expect(page).to_have_url("/account/")
    expect(page).to_have_title(re.compile("^My account"))
    expect(page.get_by_role("heading", name="Hello, margot")).to_be_visible()


def test_sign_up_errors_are_shown_next_to_the_fields(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("pearl")
    page.get_by_label("Email").fill("pearl@example.com")
    page.get_by_label("Password:", exact=True).fill("Garnet-brooch-2026")
    page.get_by_label("Password confirmation").fill("different-one-2026")
    page.get_by_role("button", name="Create account").click()
    error = page.locator(".field--error").filter(has_text="Password confirmation")
    expect(error).to_contain_text("The two password fields didn")
    assert not get_user_model().objects.filter(username="pearl").exists()
