import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from config.exceptions import api_exception_handler

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env_values):
    """``manage.py`` in a subprocess, with none of this run's Django settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))
    }
    env.update(env_values)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_values():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="x" * 20 + "production-like-secret-key-value-0123456789",
        DJANGO_ALLOWED_HOSTS="touchstone.example",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://touchstone.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    result = _manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_migrations_can_be_checked_on_a_fresh_clone_without_configuration():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.django_db
def test_migrations_are_committed():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_openapi_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )
    assert "openapi: 3" in (tmp_path / "schema.yaml").read_text()


def test_exception_handler_turns_validation_errors_into_field_errors():
    response = api_exception_handler(
        ValidationError({"price": ["Enter a price above zero."]}), {}
    )
    assert response.status_code == 400
    assert response.data == {"price": ["Enter a price above zero."]}
    response = api_exception_handler(ValidationError("Not in this state."), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Not in this state."]}


def test_exception_handler_turns_permission_denied_into_403():
    response = api_exception_handler(PermissionDenied("Only the buyer can accept."), {})
    assert response.status_code == 403
    assert response.data == {"detail": "Only the buyer can accept."}


@pytest.mark.django_db
class TestPages:
    def test_home_page(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert b"Touchstone" in response.content
        assert b'role="search"' in response.content

    def test_security_headers(self, client):
        response = client.get("/")
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_friendly_404(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert b"We couldn't find that page" in response.content

    def test_friendly_500_page_renders_without_a_request_context(self):
        from django.views.defaults import server_error

        response = server_error(RequestFactory().get("/"))
        assert response.status_code == 500
        assert b"Something went wrong on our side" in response.content

    def test_api_docs_are_served_offline(self, client):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "swagger-ui" in html
        assert "cdn" not in html.lower()
        script = client.get("/api/docs/?script=")
        assert script.status_code == 200

    def test_schema_is_served(self, client):
        response = client.get(
            "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
        assert response.status_code == 200
        assert response.json()["info"]["title"] == "Touchstone API"

    @override_settings(DEBUG=False)
    def test_admin_login_page(self, client):
        assert client.get("/admin/login/").status_code == 200
