"""The client's address, read one way for every address-keyed limit.

``TRUSTED_PROXY_COUNT`` says how many reverse proxies stand in front of the site, each
appending the address it saw to ``X-Forwarded-For``. With none, the address is the
connection's own; with N, it is the Nth entry from the right, the one the outermost
trusted proxy saw. Entries further left are whatever the client chose to send, so they
never count. DRF's throttles (``NUM_PROXIES``), django-axes and the site's own limits
all read the address through here or through the same setting.
"""


def client_ip(request) -> str:
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    # As DRF's throttles read it with NUM_PROXIES.
    return forwarded[-min(proxies, len(forwarded))]
