"""Marketplace models: listings and the catalogue (listings.py), commissions (commissions.py)."""

from .listings import (
    ALL_STANDARD_FINENESS,
    PRECIOUS_METALS,
    STANDARD_FINENESS,
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingEvent,
    ListingPhoto,
    Metal,
    MetalComponent,
    MetalPrice,
)

__all__ = [
    "ALL_STANDARD_FINENESS",
    "PRECIOUS_METALS",
    "STANDARD_FINENESS",
    "Favourite",
    "Gemstone",
    "HallmarkRecord",
    "Listing",
    "ListingEvent",
    "ListingPhoto",
    "Metal",
    "MetalComponent",
    "MetalPrice",
]
