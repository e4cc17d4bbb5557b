from django.conf import settings


def site(request):
    """Site-wide template values: the site name and the search query in the header."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "header_query": request.GET.get("q", "")
        if request.path.startswith("/pieces")
        else "",
    }
