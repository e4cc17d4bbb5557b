"""Marketplace models: listings and the catalogue (listings.py), commissions (commissions.py)."""

from .commissions import (
    Commission,
    CommissionEvent,
    CommissionReferenceImage,
    Message,
    MessageAttachment,
    Notification,
    Payment,
    ProgressPhoto,
    ProgressUpdate,
    Quote,
)
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
    "Commission",
    "CommissionEvent",
    "CommissionReferenceImage",
    "Favourite",
    "Gemstone",
    "HallmarkRecord",
    "Listing",
    "ListingPhoto",
    "Message",
    "MessageAttachment",
    "Metal",
    "MetalComponent",
    "MetalPrice",
    "Notification",
    "Payment",
    "ProgressPhoto",
    "ProgressUpdate",
    "Quote",
]
