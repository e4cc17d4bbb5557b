"""Health endpoints for load balancers and orchestrators."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ops.health import readiness


@never_cache
@require_safe
def healthz(request):
    """The process is up and answering (touches no dependency)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Database, cache, storage and the task worker are reachable: 200 with each
    check, or 503 naming the one that failed."""
    ok, checks = readiness()
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks},
        status=200 if ok else 503,
    )
