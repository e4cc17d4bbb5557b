"""Provenance writes: verification of claims, the origin chain, certificates."""

from .certificates import (
    certificate_issue,
    owner_pseudonym,
    ownership_claim,
    ownership_handover_start,
)
from .chain import (
    ChainVerification,
    certification_attach,
    certification_create,
    event_correct,
    lot_purchase,
    lot_transfer,
    party_create,
    piece_fabricate,
    piece_hallmark,
    piece_repair,
    provenance_verify,
    workshop_party_for,
)
from .verification import (
    TRANSITIONS,
    claim_resubmit,
    claim_submit,
    claim_transition,
    evidence_add,
)

__all__ = [
    "TRANSITIONS",
    "ChainVerification",
    "certificate_issue",
    "certification_attach",
    "certification_create",
    "claim_resubmit",
    "claim_submit",
    "claim_transition",
    "event_correct",
    "evidence_add",
    "lot_purchase",
    "lot_transfer",
    "owner_pseudonym",
    "ownership_claim",
    "ownership_handover_start",
    "party_create",
    "piece_fabricate",
    "piece_hallmark",
    "piece_repair",
    "provenance_verify",
    "workshop_party_for",
]
