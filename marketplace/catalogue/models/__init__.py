"""The catalogue's models: pieces and their materials (listings.py), the change log
that keeps catalogue indexes exact (index.py), the stored cards (cards.py)."""

from .cards import ListingCard
from .index import CatalogueChange
from .listings import (
    DEFAULT_CARE,
    GENERIC_CARE,
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingEvent,
    ListingPhoto,
    MetalComponent,
    MetalPrice,
)

__all__ = [
    "DEFAULT_CARE",
    "GENERIC_CARE",
    "CatalogueChange",
    "Favourite",
    "Gemstone",
    "HallmarkRecord",
    "Listing",
    "ListingCard",
    "ListingEvent",
    "ListingPhoto",
    "MetalComponent",
    "MetalPrice",
]
