"""This app's API viewsets, registered on the project router in ``config/api.py``."""

from artisans.api.views import ArtisanViewSet, MakerMarkViewSet


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("artisans", ArtisanViewSet, basename="artisan")
    router.register("maker-marks", MakerMarkViewSet, basename="maker-mark")
