"""A browser journey against the production-like run: debug off, two gunicorn
workers with Redis, the task worker, plain HTTP on localhost (Secure cookies)."""

import io

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from PIL import Image
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import log_in
from tests.processes.conftest import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def production_page(browser, process_env, redis_url, web, worker):
    env = {**process_env, "REDIS_URL": redis_url, "TOUCHSTONE_SERVE_MEDIA": "1"}
    worker("worker", env)
    server = web("web", env, workers=2)
    context = browser.new_context(
        base_url=server.base.replace("127.0.0.1", "localhost"),
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_an_artisan_uploads_a_photo_and_its_thumbnail_follows_from_the_worker(
    production_page, tmp_path
):
    page = production_page
    listing = factories.ListingFactory(title="Ash-glazed ring")
    photo = tmp_path / "ring.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (900, 700), (190, 170, 140)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    # Logging in works over http://localhost with Secure, HttpOnly cookies.
    user = listing.artisan.user
    # Hashed as production hashes (the tests' own hasher is a fast one it lacks).
    user.password = PBKDF2PasswordHasher().encode(
        factories.PASSWORD, PBKDF2PasswordHasher().salt()
    )
    user.save(update_fields=["password"])

    # Logging in works over http://localhost with Secure, HttpOnly cookies.
    log_in(page, user.username, factories.PASSWORD)
    page.goto(f"/studio/pieces/{listing.slug}/")
    assert {cookie["name"]: cookie["secure"] for cookie in page.context.cookies()} == {
        "csrftoken": True,
        "sessionid": True,
    }
    photos = page.locator("#photos")
    photos.get_by_label("Image").set_input_files(str(photo))
    photos.get_by_label("Describe the photo").fill("The ring on ash")
    photos.get_by_label("Role").select_option("main")
    photos.get_by_role("button", name="Upload photo").click()
    expect(page.locator("#photos img")).to_have_attribute("alt", "The ring on ash")

    def thumbnail_shown():
        page.reload()
        source = page.locator("#photos img").get_attribute("src")
        return "/media/pieces/thumbs/" in source

    wait_for(thumbnail_shown, "the worker's thumbnail to replace the placeholder")
    image = page.locator("#photos img")
    wait_for(
        lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"),
        "the thumbnail to load",
    )
    assert image.evaluate("img => img.naturalWidth") == 320
