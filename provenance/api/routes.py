"""This app's API viewsets, registered on the project router in ``config/api.py``."""

from provenance.api.certificates import CertificateViewSet
from provenance.api.chain import (
    CertificationViewSet,
    MaterialLotViewSet,
    PartyViewSet,
    TraceEventViewSet,
)
from provenance.api.review import ReviewViewSet


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("provenance/parties", PartyViewSet, basename="party")
    router.register("provenance/lots", MaterialLotViewSet, basename="lot")
    router.register("provenance/events", TraceEventViewSet, basename="event")
    router.register(
        "provenance/certifications", CertificationViewSet, basename="certification"
    )
    router.register("certificates", CertificateViewSet, basename="certificate")
