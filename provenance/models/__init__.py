"""Provenance models: the shared verification workflow, and (chain.py) the origin chain."""

from .verification import (
    AssuranceLevel,
    Evidence,
    Review,
    ReviewEvent,
    Verifiable,
    VerificationStatus,
)

__all__ = [
    "AssuranceLevel",
    "Evidence",
    "Review",
    "ReviewEvent",
    "Verifiable",
    "VerificationStatus",
]
