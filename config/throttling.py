"""API throttles."""

from rest_framework.throttling import UserRateThrottle


class SignedInRateThrottle(UserRateThrottle):
    """The per-user rate, for signed-in users only.

    DRF's ``UserRateThrottle`` falls back to the client's address for anonymous
    requests, which ``AnonRateThrottle`` already limits: counting them twice only
    costs two more cache round trips per request.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
