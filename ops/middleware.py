"""Request-scoped middleware of the operations app."""

from django.core.signals import request_finished

from ops.logs import accepted_request_id, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give every request an id, taken from ``X-Request-ID`` when the proxy in front
    sent a plain one, else fresh; every log line of the request carries it and the
    response returns it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        # Cleared when the response is closed (request_finished), not here: Django logs
        # a 4xx or 5xx ("Not Found: …") after the middleware has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _clear_request_id(**kwargs):
    request_id_var.set("-")


request_finished.connect(_clear_request_id, dispatch_uid="ops-clear-request-id")
