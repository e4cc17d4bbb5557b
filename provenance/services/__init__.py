"""Provenance writes. Verification of claims lives in ``verification``."""

from .verification import (
    TRANSITIONS,
    claim_resubmit,
    claim_submit,
    claim_transition,
    evidence_add,
)

__all__ = [
    "TRANSITIONS",
    "claim_resubmit",
    "claim_submit",
    "claim_transition",
    "evidence_add",
]
