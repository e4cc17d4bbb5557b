"""Review pages, under the ``marketplace:`` namespace (see ``marketplace/urls.py``);
moderation sits under /verification/, beside the verifiers' queue."""

from django.urls import path

from marketplace.reviews import views

urlpatterns = [
    path(
        "reviews/new/<slug:kind>/<int:pk>/",
        views.ReviewCreateView.as_view(),
        name="review-create",
    ),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review-detail"),
    path("reviews/<int:pk>/edit/", views.ReviewEditView.as_view(), name="review-edit"),
    path(
        "reviews/<int:pk>/reply/", views.ReviewReplyView.as_view(), name="review-reply"
    ),
    path(
        "reviews/<int:pk>/report/",
        views.ReviewReportView.as_view(),
        name="review-report",
    ),
    path(
        "verification/reviews/<int:pk>/",
        views.ReviewModerationView.as_view(),
        name="review-moderate",
    ),
    path(
        "verification/reviews/<int:pk>/<slug:action>/",
        views.ReviewModerationActionView.as_view(),
        name="review-moderate-action",
    ),
]
