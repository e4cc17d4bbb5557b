"""Shared OpenAPI pieces for drf-spectacular annotations."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Bad input: each field (or `non_field_errors`) maps to a list of messages.",
)
DETAIL_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, description="An error with a human-readable `detail` message."
)
