"""One place where domain errors become API responses."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from config.ratelimit import RateLimited


def api_exception_handler(exc, context):
    """Turn Django's ValidationError into a 400 with field errors, PermissionDenied into
    a 403 and a spent rate limit into a 429.

    Services raise Django exceptions so that HTML views, admin actions and the API share
    one rule; this handler gives API clients the same shape DRF uses for serializer errors.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=exc.message)
    return exception_handler(exc, context)
