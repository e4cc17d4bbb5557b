"""What ``/readyz`` checks: each dependency a web process needs to serve everything.

Each check answers ``(ok, detail)`` and never raises: a failing dependency is a 503
with its reason, not a 500.
"""

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

from ops.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def check_database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, connection.vendor


def check_cache() -> tuple[bool, str]:
    cache = caches["default"]
    backend = type(cache).__name__
    if hasattr(cache, "ping"):
        cache.ping()  # the Redis cache: asks the server, errors not swallowed
        return True, backend
    cache.set("readyz:probe", "ok", timeout=5)
    if cache.get("readyz:probe") != "ok":
        return False, f"{backend}: a value set could not be read back"
    return True, backend


def _check_storage(alias: str) -> tuple[bool, str]:
    storage = storages[alias]
    if isinstance(storage, FileSystemStorage):
        location = storage.location
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK):
            return False, f"{location} is not writable"
        return True, "file system"
    storage.exists("readyz-probe")  # object storage: one HEAD request
    return True, type(storage).__name__


def check_storage() -> tuple[bool, str]:
    details = []
    for alias in ("default", "private"):
        ok, detail = _check_storage(alias)
        if not ok:
            return False, f"{alias}: {detail}"
        details.append(f"{alias}: {detail}")
    return True, "; ".join(details)


def check_worker() -> tuple[bool, str]:
    if not isinstance(task_backends["default"], DatabaseBackend):
        return True, "tasks run in the web process (no worker)"
    since = timezone.now() - timedelta(seconds=settings.TASKS_WORKER_STALE_SECONDS)
    alive = WorkerHeartbeat.objects.filter(role=WorkerHeartbeat.Role.WORKER).fresh(
        since=since
    )
    count = alive.count()
    if not count:
        return False, (
            f"no worker heartbeat in the last {settings.TASKS_WORKER_STALE_SECONDS:g} s"
        )
    return True, f"{count} worker(s) alive"


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "worker": check_worker,
}


def readiness() -> tuple[bool, dict[str, dict]]:
    """Run every check; returns whether all passed and each one's answer."""
    results = {}
    for name, check in CHECKS.items():
        try:
            ok, detail = check()
        except Exception as error:  # a dependency down is an answer, not an error
            logger.warning(
                "readiness check failed", extra={"check": name, "error": str(error)}
            )
            ok, detail = False, f"{type(error).__name__}: {error}"
        results[name] = {"ok": ok, "detail": detail}
    return all(result["ok"] for result in results.values()), results
