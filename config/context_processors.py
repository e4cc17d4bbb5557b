from django.conf import settings
from django.utils.functional import SimpleLazyObject

from marketplace.accounts.roles import is_verifier


def site(request):
    """Site-wide template values: the site name, the header's search query and roles."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "header_query": request.GET.get("q", "")
        if request.path.startswith("/pieces")
        else "",
        # Evaluated only when a template asks, with the same rule the review views use.
        "user_is_verifier": SimpleLazyObject(
            lambda: bool(user is not None and is_verifier(user))
        ),
    }
