"""Every page of the artisan's workspace is gated the same way."""

import pytest
from django.urls import reverse

from tests import factories as f
from tests.config.test_hostile_input import PATHS

pytestmark = pytest.mark.django_db

STUDIO = [path for path in PATHS if path.startswith("/studio/") and "%00" not in path]


def test_every_studio_page_is_listed():
    assert len(STUDIO) > 30
    assert "/studio/" in STUDIO and "/studio/orders/" in STUDIO


def test_anonymous_visitors_log_in_and_non_artisans_get_404(client):
    login = reverse("login")
    for path in STUDIO:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 302, (method, path)
            assert response["Location"].startswith(login), (method, path)
    client.force_login(f.UserFactory())
    refusals = {
        (method, path): getattr(client, method)(path).status_code
        for path in STUDIO
        for method in ("get", "post")
    }
    assert set(refusals.values()) == {404}, {
        key: code for key, code in refusals.items() if code != 404
    }
