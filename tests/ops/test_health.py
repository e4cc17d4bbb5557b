"""/healthz and /readyz: each dependency reported, a 503 when one fails."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_healthz_answers_without_touching_any_dependency(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_each_dependency(client, database_tasks):
    factories.WorkerHeartbeatFactory()
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage", "worker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["detail"] == "1 worker(s) alive"


def test_readyz_fails_without_a_live_worker(client, database_tasks, settings):
    factories.WorkerHeartbeatFactory(
        seen_at=timezone.now()
        - timedelta(seconds=settings.TASKS_WORKER_STALE_SECONDS + 5)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_readyz_without_a_worker_when_tasks_run_in_process(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "no worker" in response.json()["checks"]["worker"]["detail"]


def test_readyz_fails_when_the_database_does(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database == {
        "ok": False,
        "detail": "OperationalError: could not connect to server",
    }


class UnreachableCache:
    def set(self, *args, **kwargs):
        raise ConnectionRefusedError("cache down")

    get = set


def test_readyz_fails_when_the_cache_is_unreachable(client, monkeypatch):
    monkeypatch.setattr("ops.health.caches", {"default": UnreachableCache()})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "ok": False,
        "detail": "ConnectionRefusedError: cache down",
    }


def test_readyz_fails_when_storage_is_unusable(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert storage["ok"] is False
    assert "Error" in storage["detail"]


def test_health_endpoints_are_read_only(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
