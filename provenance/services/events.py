"""Recording trace events with what follows from them, above the chain and certificates.

Making a piece also issues its certificate (``piece_fabricate``): certificates are
issued here, above the chain, never by it.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from provenance.models import MaterialLot, TraceEvent
from provenance.services.certificates import (
    certificate_issue,
    certificate_record_verification,
)
from provenance.services.chain import fabrication_record, provenance_verify


@transaction.atomic
def piece_fabricate(
    *,
    actor,
    listing,
    inputs: Sequence[tuple[MaterialLot, Decimal]],
    loss_grams: Decimal,
    occurred_at: datetime | None = None,
    process: str = "fabrication",
    note: str = "",
) -> TraceEvent:
    """Record the piece's making in its chain, then issue its certificate and record
    whether the chain verifies (see ``chain.fabrication_record`` for the rules)."""
    event = fabrication_record(
        actor=actor,
        listing=listing,
        inputs=list(inputs or ()),
        loss_grams=loss_grams,
        occurred_at=occurred_at,
        process=process,
        note=note,
    )
    certificate = certificate_issue(listing=listing)
    certificate_record_verification(
        certificate=certificate, ok=provenance_verify(listing).ok
    )
    return event
