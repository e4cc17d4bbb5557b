from django.urls import path

from artisans import views

app_name = "artisans"

urlpatterns = [
    path("artisans/", views.ArtisanListView.as_view(), name="list"),
    path("artisans/<slug:slug>/", views.ArtisanDetailView.as_view(), name="detail"),
    path("become-an-artisan/", views.ArtisanOnboardView.as_view(), name="onboard"),
    path("studio/", views.StudioView.as_view(), name="studio"),
    path("studio/profile/", views.StudioProfileView.as_view(), name="studio-profile"),
    path(
        "studio/profile/submit/",
        views.StudioProfileSubmitView.as_view(),
        name="studio-profile-submit",
    ),
    path(
        "studio/profile/resubmit/",
        views.StudioProfileResubmitView.as_view(),
        name="studio-profile-resubmit",
    ),
    path(
        "studio/profile/links/",
        views.StudioLinkAddView.as_view(),
        name="studio-link-add",
    ),
    path(
        "studio/profile/links/<int:pk>/remove/",
        views.StudioLinkRemoveView.as_view(),
        name="studio-link-remove",
    ),
    path("studio/marks/", views.MakerMarkListView.as_view(), name="studio-mark-list"),
    path(
        "studio/marks/new/",
        views.MakerMarkCreateView.as_view(),
        name="studio-mark-create",
    ),
    path(
        "studio/marks/<int:pk>/",
        views.MakerMarkDetailView.as_view(),
        name="studio-mark-detail",
    ),
    path(
        "studio/marks/<int:pk>/edit/",
        views.MakerMarkUpdateView.as_view(),
        name="studio-mark-update",
    ),
    path(
        "studio/marks/<int:pk>/submit/",
        views.MakerMarkSubmitView.as_view(),
        name="studio-mark-submit",
    ),
    path(
        "studio/marks/<int:pk>/evidence/",
        views.MakerMarkEvidenceView.as_view(),
        name="studio-mark-evidence",
    ),
    path(
        "studio/marks/<int:pk>/resubmit/",
        views.MakerMarkResubmitView.as_view(),
        name="studio-mark-resubmit",
    ),
]
