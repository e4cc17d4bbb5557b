"""Provenance models: the shared verification workflow, the origin chain, certificates."""

from .verification import (  # isort: skip (loaded first: the catalogue builds on it)
    AssuranceLevel,
    Evidence,
    Review,
    ReviewEvent,
    Verifiable,
    VerificationStatus,
)
from .chain import (  # noqa: I001
    RECYCLED_ORIGINS,
    Certification,
    ChainMembership,
    EventItem,
    EventLink,
    MaterialLot,
    OriginType,
    Party,
    TraceEvent,
)
from .certificates import Certificate, OwnershipHandover

__all__ = [
    "RECYCLED_ORIGINS",
    "AssuranceLevel",
    "Certificate",
    "Certification",
    "ChainMembership",
    "EventItem",
    "EventLink",
    "Evidence",
    "MaterialLot",
    "OriginType",
    "OwnershipHandover",
    "Party",
    "Review",
    "ReviewEvent",
    "TraceEvent",
    "Verifiable",
    "VerificationStatus",
]
