from django.urls import path

from provenance.views import review as review_views

app_name = "provenance"

# The verifiers' review queue (/review/...), the artisan's provenance workspace under
# /studio/provenance/, and public certificates (/certificates/<code>/).
urlpatterns = [
    # Review queue
    path("review/", review_views.ReviewListView.as_view(), name="review-list"),
    path(
        "review/<int:pk>/",
        review_views.ReviewDetailView.as_view(),
        name="review-detail",
    ),
    path(
        "review/<int:pk>/<slug:action>/",
        review_views.ReviewActionView.as_view(),
        name="review-action",
    ),
]
