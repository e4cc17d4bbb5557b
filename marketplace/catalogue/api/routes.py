"""The catalogue's API viewsets, registered on the project router in ``config/api.py``."""

from marketplace.catalogue.api import views as catalogue


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
    # Sub-resources first: their prefixes are longer than the listing detail route.
    router.register(
        r"listings/(?P<listing_slug>[^/]+)/photos",
        catalogue.ListingPhotoViewSet,
        basename="listing-photo",
    )
    router.register(
        r"listings/(?P<listing_slug>[^/]+)/metals",
        catalogue.MetalComponentViewSet,
        basename="listing-metal",
    )
    router.register(
        r"listings/(?P<listing_slug>[^/]+)/gemstones",
        catalogue.GemstoneViewSet,
        basename="listing-gemstone",
    )
    router.register(
        r"listings/(?P<listing_slug>[^/]+)/hallmarks",
        catalogue.HallmarkRecordViewSet,
        basename="listing-hallmark",
    )
    router.register(r"listings", catalogue.ListingViewSet, basename="listing")
    router.register(r"favourites", catalogue.FavouriteViewSet, basename="favourite")
    router.register(
        r"metal-prices", catalogue.MetalPriceViewSet, basename="metal-price"
    )
