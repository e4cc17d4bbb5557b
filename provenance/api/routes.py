"""This app's API viewsets, registered on the project router in ``config/api.py``, and
its API views that are not viewsets (``urlpatterns``, mounted there too)."""

from django.urls import path

from provenance.api.certificates import CertificateViewSet
from provenance.api.chain import (
    CertificationViewSet,
    MaterialLotViewSet,
    PartyViewSet,
    TraceEventViewSet,
)
from provenance.api.log import (
    ConsistencyProofView,
    InclusionProofView,
    LogCheckpointView,
)
from provenance.api.review import VerificationViewSet


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("verification", VerificationViewSet, basename="verification")
    router.register("provenance/parties", PartyViewSet, basename="party")
    router.register("provenance/lots", MaterialLotViewSet, basename="lot")
    router.register("provenance/events", TraceEventViewSet, basename="event")
    router.register(
        "provenance/certifications", CertificationViewSet, basename="certification"
    )
    router.register("certificates", CertificateViewSet, basename="certificate")


# The transparency log, at the paths transparency-log clients expect (no trailing
# slash); the same views serve /log/… outside the API (provenance/urls.py).
urlpatterns = [
    path("log/checkpoint", LogCheckpointView.as_view(), name="log-checkpoint"),
    path(
        "log/proof/inclusion", InclusionProofView.as_view(), name="log-inclusion-proof"
    ),
    path(
        "log/proof/consistency",
        ConsistencyProofView.as_view(),
        name="log-consistency-proof",
    ),
]
