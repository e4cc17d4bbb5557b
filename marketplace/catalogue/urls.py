from django.urls import path

from marketplace.catalogue.views import public as catalogue
from marketplace.catalogue.views import studio

urlpatterns = [
    # The catalogue
    path("pieces/", catalogue.ListingListView.as_view(), name="listing-list"),
    path(
        "pieces/<slug:slug>/",
        catalogue.ListingDetailView.as_view(),
        name="listing-detail",
    ),
    # Favourites
    path("favourites/", catalogue.FavouriteListView.as_view(), name="favourite-list"),
    path(
        "favourites/pieces/<slug:slug>/",
        catalogue.FavouriteListingToggleView.as_view(),
        name="favourite-toggle-listing",
    ),
    path(
        "favourites/artisans/<slug:slug>/",
        catalogue.FavouriteArtisanToggleView.as_view(),
        name="favourite-toggle-artisan",
    ),
    # The artisan's pieces in the studio
    path(
        "studio/pieces/",
        studio.StudioListingListView.as_view(),
        name="studio-listing-list",
    ),
    path(
        "studio/pieces/new/",
        studio.StudioListingCreateView.as_view(),
        name="studio-listing-create",
    ),
    path(
        "studio/pieces/<slug:slug>/",
        studio.StudioListingUpdateView.as_view(),
        name="studio-listing-update",
    ),
    path(
        "studio/pieces/<slug:slug>/metals/",
        studio.StudioMetalAddView.as_view(),
        name="studio-metal-add",
    ),
    path(
        "studio/pieces/<slug:slug>/metals/<int:pk>/remove/",
        studio.StudioMetalRemoveView.as_view(),
        name="studio-metal-remove",
    ),
    path(
        "studio/pieces/<slug:slug>/gemstones/",
        studio.StudioGemstoneAddView.as_view(),
        name="studio-gemstone-add",
    ),
    path(
        "studio/pieces/<slug:slug>/gemstones/<int:pk>/remove/",
        studio.StudioGemstoneRemoveView.as_view(),
        name="studio-gemstone-remove",
    ),
    path(
        "studio/pieces/<slug:slug>/photos/",
        studio.StudioPhotoAddView.as_view(),
        name="studio-photo-add",
    ),
    path(
        "studio/pieces/<slug:slug>/photos/<int:pk>/remove/",
        studio.StudioPhotoRemoveView.as_view(),
        name="studio-photo-remove",
    ),
    path(
        "studio/pieces/<slug:slug>/hallmarks/",
        studio.StudioHallmarkAddView.as_view(),
        name="studio-hallmark-add",
    ),
    path(
        "studio/pieces/<slug:slug>/hallmarks/<int:pk>/submit/",
        studio.StudioHallmarkSubmitView.as_view(),
        name="studio-hallmark-submit",
    ),
    path(
        "studio/pieces/<slug:slug>/hallmarks/<int:pk>/remove/",
        studio.StudioHallmarkRemoveView.as_view(),
        name="studio-hallmark-remove",
    ),
    path(
        "studio/pieces/<slug:slug>/<slug:action>/",
        studio.StudioListingTransitionView.as_view(),
        name="studio-listing-transition",
    ),
]
