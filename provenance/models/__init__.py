"""Provenance models: the shared verification workflow, the origin chain, certificates,
the transparency log."""

from .certificates import Certificate, OwnershipHandover
from .chain import (
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
from .keys import SigningKey
from .transparency import Checkpoint, LogHead, LogLeaf, LogLeafPiece, LogNode
from .verification import (
    AssuranceLevel,
    Evidence,
    Review,
    ReviewEvent,
    Verifiable,
    VerificationStatus,
)

__all__ = [
    "RECYCLED_ORIGINS",
    "AssuranceLevel",
    "Certificate",
    "Certification",
    "ChainMembership",
    "Checkpoint",
    "EventItem",
    "EventLink",
    "Evidence",
    "LogHead",
    "LogLeaf",
    "LogLeafPiece",
    "LogNode",
    "MaterialLot",
    "OriginType",
    "OwnershipHandover",
    "Party",
    "Review",
    "ReviewEvent",
    "SigningKey",
    "TraceEvent",
    "Verifiable",
    "VerificationStatus",
]
