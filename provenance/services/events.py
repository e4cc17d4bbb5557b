"""Recording trace events: the one way in for the studio, the API and the demo.

``event_record`` checks that an event has the fields its kind needs, then calls the
chain's service for that kind, which enforces the rest (custody, mass balance, dates,
certification validity). Making a piece also issues its certificate
(``piece_fabricate``): certificates are issued here, above the chain, never by it.

Origins are recorded by a purchase (``chain.lot_purchase``) and changes of owner by a
claim (``certificates.ownership_claim``), not here.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from marketplace.catalogue.models import HallmarkRecord, Listing
from provenance.models import (
    Certification,
    ChainMembership,
    EventItem,
    MaterialLot,
    Party,
    TraceEvent,
)
from provenance.services.certificates import (
    certificate_issue,
    certificate_record_verification,
)
from provenance.services.chain import (
    certification_attach,
    event_correct,
    fabrication_record,
    lot_transfer,
    piece_claims_record,
    piece_hallmark,
    piece_repair,
    provenance_verify,
)

Kind = TraceEvent.Kind

# The fields each kind of event needs; the kind's service checks what they hold.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    Kind.TRANSFORMATION: ("listing", "inputs", "loss_grams"),
    Kind.ASSAY: ("listing", "assay_office"),
    Kind.CERTIFICATION: ("certification",),
    Kind.TRANSFER: ("lot", "to_party"),
    Kind.REPAIR: ("listing",),
    Kind.CORRECTION: ("corrects",),
}

MISSING = {
    "listing": "Choose the piece.",
    "inputs": "Choose at least one lot the piece is made from.",
    "loss_grams": "Give the loss in grams (0 if none).",
    "assay_office": "Choose the assay office.",
    "certification": "Choose the certification.",
    "lot": "Choose the lot.",
    "to_party": "Choose the party the lot goes to.",
    "corrects": "Choose the event this corrects.",
}


def _is_missing(value) -> bool:
    # 0 g of loss is an answer; an empty text or list is not.
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _check_required(kind: str, fields: dict) -> None:
    """Raise a field error for each field this kind of event needs and lacks."""
    required = REQUIRED_FIELDS.get(kind)
    if required is None:
        raise ValidationError({"kind": "Choose a kind of event to record."})
    missing = {
        name: MISSING[name] for name in required if _is_missing(fields.get(name))
    }
    if missing:
        raise ValidationError(missing)


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
    piece_claims_record(listing=listing, actor=actor, reason="The piece was made.")
    certificate_record_verification(
        certificate=certificate, ok=provenance_verify(listing).ok
    )
    return event


def listings_showing(record) -> set[int]:
    """The pieces whose certificate pages show facts of this record."""
    if isinstance(record, HallmarkRecord):
        return {record.listing_id}
    if isinstance(record, MaterialLot):
        events = EventItem.objects.filter(lot=record).values("event_id")
    elif isinstance(record, Certification):
        events = TraceEvent.objects.filter(certification=record).values("pk")
    else:
        return set()
    return set(
        ChainMembership.objects.filter(event_id__in=events).values_list(
            "listing_id", flat=True
        )
    )


def on_piece_claims_changed(
    sender, *, listing_ids=(), record=None, actor=None, reason="", **kwargs
):
    """Record the new claims of every certified piece a change shows on."""
    ids = set(listing_ids)
    if record is not None:
        ids |= listings_showing(record)
    for listing in Listing.objects.filter(pk__in=ids, certificate__isnull=False):
        piece_claims_record(listing=listing, actor=actor, reason=reason)


@transaction.atomic
def event_record(
    *,
    actor,
    kind: str,
    occurred_at: datetime | None = None,
    note: str = "",
    listing=None,
    lot: MaterialLot | None = None,
    inputs: Sequence[tuple[MaterialLot, Decimal]] | None = None,
    loss_grams: Decimal | None = None,
    process: str = "",
    assay_office: Party | None = None,
    hallmark=None,
    certification: Certification | None = None,
    to_party: Party | None = None,
    corrects: TraceEvent | None = None,
) -> TraceEvent:
    """Record one event of ``kind`` with the service for that kind.

    Each kind needs the fields ``REQUIRED_FIELDS`` names; a missing one is a field
    error, whoever calls.
    """
    _check_required(
        kind,
        {
            "listing": listing,
            "lot": lot,
            "inputs": inputs,
            "loss_grams": loss_grams,
            "assay_office": assay_office,
            "certification": certification,
            "to_party": to_party,
            "corrects": corrects,
        },
    )
    if kind == Kind.TRANSFORMATION:
        return piece_fabricate(
            actor=actor,
            listing=listing,
            inputs=inputs,
            loss_grams=loss_grams,
            occurred_at=occurred_at,
            process=process or "fabrication",
            note=note,
        )
    if kind == Kind.ASSAY:
        return piece_hallmark(
            actor=actor,
            listing=listing,
            assay_office=assay_office,
            hallmark=hallmark,
            occurred_at=occurred_at,
            note=note,
        )
    if kind == Kind.CERTIFICATION:
        return certification_attach(
            actor=actor,
            certification=certification,
            lot=lot,
            listing=listing,
            occurred_at=occurred_at,
            note=note,
        )
    if kind == Kind.TRANSFER:
        return lot_transfer(
            actor=actor,
            lot=lot,
            to_party=to_party,
            occurred_at=occurred_at,
            note=note,
        )
    if kind == Kind.REPAIR:
        return piece_repair(
            actor=actor, listing=listing, occurred_at=occurred_at, note=note
        )
    return event_correct(
        actor=actor, event=corrects, note=note, occurred_at=occurred_at
    )
