"""Provenance writes: verification of claims, the origin chain, certificates.

The names below are gathered for scripts and tests. The application imports each one
from its module (``provenance.services.chain``, ``.certificates``, ``.events``,
``.verification``), so that the import rules in ``pyproject.toml`` see which layer it
depends on.
"""

from provenance.pseudonyms import owner_commitment, owner_label

from .certificates import (
    certificate_issue,
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
    piece_claims_record,
    piece_hallmark,
    piece_repair,
    provenance_verify,
    workshop_party_for,
)
from .events import piece_fabricate
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
    "owner_commitment",
    "owner_label",
    "ownership_claim",
    "ownership_handover_start",
    "party_create",
    "piece_claims_record",
    "piece_fabricate",
    "piece_hallmark",
    "piece_repair",
    "provenance_verify",
    "workshop_party_for",
]
