from django.urls import path

from provenance.api import log as log_views
from provenance.views import certificates as certificate_views
from provenance.views import chain as chain_views
from provenance.views import review as review_views

app_name = "provenance"

# The verifiers' queue of claims (/verification/...), the artisan's provenance workspace under
# /studio/provenance/, public certificates (/certificates/<code>/) and the transparency
# log (/log/..., the API's views outside the API schema).
urlpatterns = [
    path(
        "log/checkpoint",
        log_views.LogCheckpointView.as_view(schema=None),
        name="log-checkpoint",
    ),
    path(
        "log/proof/inclusion",
        log_views.InclusionProofView.as_view(schema=None),
        name="log-inclusion-proof",
    ),
    path(
        "log/proof/consistency",
        log_views.ConsistencyProofView.as_view(schema=None),
        name="log-consistency-proof",
    ),
    # Review queue
    path(
        "verification/",
        review_views.ReviewListView.as_view(),
        name="verification-list",
    ),
    path(
        "verification/<int:pk>/",
        review_views.ReviewDetailView.as_view(),
        name="verification-detail",
    ),
    path(
        "verification/<int:pk>/<slug:action>/",
        review_views.ReviewActionView.as_view(),
        name="verification-action",
    ),
    # --- Chain workspace and certificates --------------------------------------------
    path(
        "studio/provenance/",
        chain_views.LotListView.as_view(),
        name="studio-lot-list",
    ),
    path(
        "studio/provenance/lots/<int:pk>/",
        chain_views.LotDetailView.as_view(),
        name="studio-lot-detail",
    ),
    path(
        "studio/provenance/events/<int:pk>/",
        chain_views.EventDetailView.as_view(),
        name="studio-event-detail",
    ),
    path(
        "studio/provenance/events/<int:pk>/correct/",
        chain_views.EventCorrectView.as_view(),
        name="studio-event-correct",
    ),
    path(
        "studio/provenance/purchase/",
        chain_views.PurchaseCreateView.as_view(),
        name="studio-purchase",
    ),
    path(
        "studio/provenance/fabricate/",
        chain_views.FabricateView.as_view(),
        name="studio-fabricate",
    ),
    path(
        "studio/provenance/hallmarking/",
        chain_views.HallmarkingView.as_view(),
        name="studio-hallmarking",
    ),
    path(
        "studio/provenance/certifications/",
        chain_views.CertificationListView.as_view(),
        name="studio-certification-list",
    ),
    path(
        "studio/provenance/certifications/new/",
        chain_views.CertificationCreateView.as_view(),
        name="studio-certification-create",
    ),
    path(
        "studio/provenance/parties/new/",
        chain_views.PartyCreateView.as_view(),
        name="studio-party-create",
    ),
    path(
        "studio/provenance/<str:kind>/<int:pk>/submit/",
        chain_views.ClaimSubmitView.as_view(),
        name="studio-claim-submit",
    ),
    path(
        "studio/provenance/<str:kind>/<int:pk>/evidence/",
        chain_views.ClaimEvidenceView.as_view(),
        name="studio-claim-evidence",
    ),
    path(
        "certificates/claim/",
        certificate_views.OwnershipClaimView.as_view(),
        name="ownership-claim",
    ),
    path(
        "certificates/<str:code>/",
        certificate_views.CertificateDetailView.as_view(),
        name="certificate-detail",
    ),
    path(
        "certificates/<str:code>/qr.svg",
        certificate_views.CertificateQRView.as_view(),
        name="certificate-qr",
    ),
    path(
        "certificates/<str:code>/hand-over/",
        certificate_views.OwnershipHandoverView.as_view(),
        name="ownership-handover",
    ),
]
