"""Refuse at the edge what no view can hold: NUL characters in a path or query string."""

from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse


class RejectNulMiddleware:
    """A NUL character (``%00``) in the path or the query string is a 400 for every
    route: PostgreSQL text cannot hold one, so no lookup may carry it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query):
            message = "The address may not contain NUL characters."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
