"""Marketplace models: listings and the catalogue (listings.py), commissions (commissions.py)."""

from .listings import (
    PRECIOUS_METALS,
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    Metal,
    MetalComponent,
    MetalPrice,
)

__all__ = [
    "PRECIOUS_METALS",
    "Favourite",
    "Gemstone",
    "HallmarkRecord",
    "Listing",
    "ListingPhoto",
    "Metal",
    "MetalComponent",
    "MetalPrice",
]
