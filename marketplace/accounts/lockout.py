"""Log-in lock-outs (django-axes): when a username is locked, how the lock is lifted,
and the response that shows it (a page for people, JSON for the API).

Failures are counted over the cool-off window (``AXES_COOLOFF_TIME``) in two ways:

- a username from one client address: ``AXES_FAILURE_LIMIT`` (axes' own count, by
  ``AXES_LOCKOUT_PARAMETERS``), so a stranger failing elsewhere never locks the owner
  out of their own connection;
- a username from every address together: ``LOCKOUT_USERNAME_FAILURE_LIMIT``, much
  higher, against guessing spread over many addresses. Anyone can run this count up,
  so the lock it sets has a way out that only the owner has: completing the emailed
  password reset clears every failure of the username (``lockout_clear``).
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

LOCKOUT_STATUS = 429


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler plus the lock by username alone, at its higher limit.

    Sets ``request.lockout_everywhere`` when that lock is the one that holds, so the
    response can say that waiting at another address will not help."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self._locked_everywhere(
            request, credentials
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or self.is_whitelisted(request, credentials):
            return
        if not self._locked_everywhere(request, credentials):
            return
        request.lockout_everywhere = True
        if not request.axes_locked_out:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def _locked_everywhere(self, request, credentials) -> bool:
        username = get_client_username(request, credentials)
        if not username:
            return False
        attempts = AccessAttempt.objects.filter(username=username)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(
                attempt_time__gte=get_cool_off_threshold(request)
            )
        failures = attempts.aggregate(total=Sum("failures_since_start"))["total"]
        return (failures or 0) >= settings.LOCKOUT_USERNAME_FAILURE_LIMIT


def lockout_clear(*, username: str) -> int:
    """Forget every failed log-in of ``username``, from every address, lifting its
    lock-outs; returns how many records were removed. Only a completed password reset
    (which needs the emailed token) calls it."""
    return AxesProxyHandler.reset_attempts(username=username)


def _retry_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message(*, everywhere: bool = False) -> str:
    minutes = _retry_minutes()
    unit = "minute" if minutes == 1 else "minutes"
    if everywhere:
        return (
            "Too many failed log-in attempts on this account, from many places. "
            "Reset your password by email to log in again now, "
            f"or try again in {minutes} {unit}."
        )
    return (
        f"Too many failed log-in attempts. Try again in {minutes} {unit}, "
        "or reset your password by email to log in now."
    )


def lockout_body(request) -> dict:
    """The API's answer to a locked log-in: what happened and where to reset."""
    everywhere = getattr(request, "lockout_everywhere", False)
    return {
        "detail": lockout_message(everywhere=everywhere),
        "password_reset": request.build_absolute_uri(reverse("password_reset")),
    }


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        return JsonResponse(lockout_body(request), status=LOCKOUT_STATUS)
    context = {
        "everywhere": getattr(request, "lockout_everywhere", False),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "retry_minutes": _retry_minutes(),
    }
    return render(request, "registration/lockout.html", context, status=LOCKOUT_STATUS)
