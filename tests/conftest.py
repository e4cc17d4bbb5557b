import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test.signals import storages_changed
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.signals import task_finished
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories

# --- The browser: one Chromium for the session, shared by every browser journey ------

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# tests themselves (factories, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        message = "Chromium is not installed (apt-get install -y chromium)."
        if os.environ.get("TOUCHSTONE_REQUIRE_BROWSER"):
            pytest.fail(message + " Browser journeys are required here.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Tests make many users: a fast password hasher keeps the suite quick. Production keeps
# Django's default (PBKDF2); nothing here tests the strength of the hash itself.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests use plain static storage: the hashed manifest exists only after collectstatic.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Models built their private storage from the settings as loaded: start again from these.
storages_changed(setting="STORAGES")


@pytest.fixture(autouse=True)
def _tasks_never_fail_silently():
    """Tasks run at once in tests (ImmediateBackend), which records a failure instead
    of raising it: fail the test instead, so a broken email or thumbnail shows."""
    failures = []

    def finished(sender, task_result, **kwargs):
        if sender is ImmediateBackend and task_result.status == "FAILED":
            failures.append(task_result)

    task_finished.connect(finished, dispatch_uid="tests-task-failures")
    yield
    task_finished.disconnect(dispatch_uid="tests-task-failures")
    assert not failures, [
        (result.task.name, result.errors[0].traceback) for result in failures
    ]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets an empty cache (throttles, lock-outs), its own media folders,
    its own file of published log checkpoints and no facet index left from a test whose
    database was rolled back."""
    from marketplace.catalogue import facet_index

    facet_index.forget()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    settings.TOUCHSTONE_CHECKPOINT_FILE = tmp_path / "checkpoints.log"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return factories.UserFactory()


@pytest.fixture
def other_user(db):
    return factories.UserFactory()


@pytest.fixture
def verifier(db):
    return factories.VerifierFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def auth_api_client(user):
    """An API client authenticated with the `user` fixture's token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client
