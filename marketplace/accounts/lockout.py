"""The response shown when django-axes locks a log-in: a page for people, JSON for the API."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

LOCKOUT_STATUS = 429


def _retry_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    minutes = _retry_minutes()
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed log-in attempts. Try again in {minutes} {unit}."


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=LOCKOUT_STATUS)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "retry_minutes": _retry_minutes(),
    }
    return render(request, "registration/lockout.html", context, status=LOCKOUT_STATUS)
