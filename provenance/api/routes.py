"""This app's API viewsets, registered on the project router in ``config/api.py``."""

from provenance.api.review import ReviewViewSet


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("reviews", ReviewViewSet, basename="review")
