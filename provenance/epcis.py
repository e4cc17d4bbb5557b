"""A piece's chain as a GS1 EPCIS 2.0 JSON-LD document that validates against GS1's
EPCIS 2.0 JSON schema.

Lots are EPC classes (quantities in grams, uom ``GRM``; a quantity the chain does not
record is left out, never written as 0); a piece is an instance EPC. A lot's origin is
an ObjectEvent ADD, the making of a piece a TransformationEvent, everything else an
ObjectEvent OBSERVE. Business steps and dispositions are CBV 2.0 terms, or URIs of our
own (``BIZ_STEPS``) for what CBV has no term for.

Each event's ``eventID`` is its CBV 2.0 event hash ID (``provenance.epcis_hash``), so
anyone can recompute it from the event as exported; Touchstone's own chain hash and the
hashes of the events it follows ride along as ``touchstone:`` extensions, and are
covered by the event hash ID. Only what an event recorded once is in it: assurance
levels, which change with verification, are listed at document level, as is whether
the chain verified when it was exported. A corrected event carries an
``errorDeclaration`` naming its corrections (left out of the hash, by the standard).
"""

from django.utils import timezone

from provenance.epcis_hash import canonical_time, event_hash_id
from provenance.models import EventItem, TraceEvent

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# The namespace of Touchstone's extension fields and vocabulary, declared in @context.
TOUCHSTONE_NS = "https://touchstone.example/epcis/"
NAMESPACES = {"touchstone": TOUCHSTONE_NS}
UOM_GRAMS = "GRM"

Kind = TraceEvent.Kind
Role = EventItem.Role
BizStep = TraceEvent.BizStep

EVENT_TYPES = {
    Kind.ORIGIN: "ObjectEvent",
    Kind.TRANSFER: "ObjectEvent",
    Kind.TRANSFORMATION: "TransformationEvent",
    Kind.ASSAY: "ObjectEvent",
    Kind.CERTIFICATION: "ObjectEvent",
    Kind.OWNERSHIP: "ObjectEvent",
    Kind.REPAIR: "ObjectEvent",
    Kind.CORRECTION: "ObjectEvent",
    Kind.CLAIMS: "ObjectEvent",
}

# CBV 2.0 business steps (bare terms), or ours where CBV has none.
BIZ_STEPS = {
    BizStep.COMMISSIONING: "commissioning",
    BizStep.SHIPPING: "shipping",
    BizStep.RECEIVING: "receiving",
    # CBV's "assembling": objects combined into a new finished product.
    BizStep.TRANSFORMING: "assembling",
    BizStep.INSPECTING: "inspecting",
    BizStep.CERTIFYING: f"{TOUCHSTONE_NS}bizstep/certifying",
    BizStep.RETAIL_SELLING: "retail_selling",
    BizStep.REPAIRING: "repairing",
    BizStep.OTHER: "other",
}
# Kinds of event CBV 2.0 has no business step for: steps of our own.
OWN_BIZ_STEPS = {
    Kind.CORRECTION: f"{TOUCHSTONE_NS}bizstep/correcting",
    # What the certificate claims (metals, stones, hallmarks, evidence), recorded.
    Kind.CLAIMS: f"{TOUCHSTONE_NS}bizstep/recording_claims",
}

# The CBV 2.0 disposition of the objects after each kind of event (a repair, a
# correction or a record of claims says nothing about it).
DISPOSITIONS = {
    Kind.ORIGIN: "active",
    Kind.TRANSFORMATION: "active",
    Kind.ASSAY: "conformant",
    Kind.CERTIFICATION: "conformant",
    Kind.OWNERSHIP: "retail_sold",
}
TRANSFER_DISPOSITIONS = {
    BizStep.SHIPPING: "in_transit",
    BizStep.RECEIVING: "in_progress",
}


def lot_class(lot) -> str:
    return f"urn:touchstone:lot:{lot.pk}"


def piece_epc(listing_id) -> str:
    return f"urn:touchstone:piece:{listing_id}"


def party_id(party) -> str:
    return f"urn:touchstone:party:{party.pk}"


def location_id(party) -> str:
    """The place a party works at (a mine, a workshop, an assay office) as a URI."""
    return f"{TOUCHSTONE_NS}locations/{party.pk}"


def _quantity(item) -> dict:
    element = {"epcClass": lot_class(item.lot)}
    if item.grams is not None:
        element["quantity"] = float(item.grams)
        element["uom"] = UOM_GRAMS
    return element


def _biz_step(event: TraceEvent) -> str:
    if event.kind in OWN_BIZ_STEPS:
        return OWN_BIZ_STEPS[event.kind]
    return BIZ_STEPS.get(event.biz_step, f"{TOUCHSTONE_NS}bizstep/{event.biz_step}")


def _disposition(event: TraceEvent) -> str | None:
    if event.kind == Kind.TRANSFER:
        return TRANSFER_DISPOSITIONS.get(event.biz_step)
    return DISPOSITIONS.get(event.kind)


def _parties(event: TraceEvent) -> dict:
    """Who handed over to whom: custody always; ownership too when bought."""
    types = ["possessing_party"]
    if event.biz_step == BizStep.RECEIVING:
        types.append("owning_party")
    data = {}
    if event.from_party is not None:
        data["sourceList"] = [
            {"type": t, "source": party_id(event.from_party)} for t in types
        ]
    if event.to_party is not None:
        data["destinationList"] = [
            {"type": t, "destination": party_id(event.to_party)} for t in types
        ]
    return data


def _event(event: TraceEvent, hashes: dict[int, str]) -> dict:
    """The event's EPCIS fields (all but its eventID)."""
    kind = event.kind
    lots = [i for i in event.loaded_items if i.lot_id]
    pieces = [i for i in event.loaded_items if i.listing_id]
    data = {
        "type": EVENT_TYPES.get(kind, "ObjectEvent"),
        "eventTime": canonical_time(event.occurred_at),
        "eventTimeZoneOffset": "+00:00",
        "recordTime": canonical_time(event.recorded_at),
    }
    if kind == Kind.TRANSFORMATION:
        data["inputQuantityList"] = [_quantity(i) for i in lots if i.role == Role.INPUT]
        data["outputEPCList"] = [
            piece_epc(i.listing_id) for i in pieces if i.role == Role.OUTPUT
        ]
    else:
        if pieces or not lots:
            data["epcList"] = [piece_epc(i.listing_id) for i in pieces]
        if lots:
            data["quantityList"] = [_quantity(i) for i in lots]
        data["action"] = "ADD" if kind == Kind.ORIGIN else "OBSERVE"
    data["bizStep"] = _biz_step(event)
    disposition = _disposition(event)
    if disposition:
        data["disposition"] = disposition
    if event.location is not None:
        data["readPoint"] = {"id": location_id(event.location)}
        # Shipped material is in transit: it is at no business location.
        if event.biz_step != BizStep.SHIPPING:
            data["bizLocation"] = {"id": location_id(event.location)}
    data.update(_parties(event))
    if event.certification_id:
        data["certificationInfo"] = (
            f"urn:touchstone:certification:{event.certification_id}"
        )
    data["touchstone:kind"] = kind
    data["touchstone:chainHash"] = event.hash
    # The Touchstone hash format (provenance.hashing) the chain hash was computed with.
    data["touchstone:hashVersion"] = event.hash_version
    previous = sorted(h for _pid, h in event.loaded_parents)
    if previous:
        data["touchstone:previous"] = previous
    if kind == Kind.TRANSFORMATION:
        data["touchstone:lossGrams"] = float(event.loss_grams)
        if event.process:
            data["touchstone:process"] = event.process
    if kind == Kind.OWNERSHIP and event.owner_commitment:
        data["touchstone:newOwner"] = event.owner_commitment
    if event.corrects_id and event.corrects_id in hashes:
        data["touchstone:corrects"] = hashes[event.corrects_id]
    return data


def epcis_events(events: list[TraceEvent]) -> list[dict]:
    """A loaded chain's events (see ``chain_events``) as EPCIS events with their IDs."""
    hashes = {event.pk: event.hash for event in events}
    exported = []
    for event in events:
        data = _event(event, hashes)
        head = {"type": data["type"], "eventID": event_hash_id(data, NAMESPACES)}
        exported.append(head | data)
    by_pk = {event.pk: data for event, data in zip(events, exported, strict=True)}
    for event, data in zip(events, exported, strict=True):
        if event.kind == Kind.CORRECTION and event.corrects_id in by_pk:
            declared = by_pk[event.corrects_id].setdefault(
                "errorDeclaration",
                {
                    "declarationTime": data["recordTime"],
                    "reason": "incorrect_data",
                    "correctiveEventIDs": [],
                },
            )
            declared["correctiveEventIDs"].append(data["eventID"])
    return exported


def epcis_document(events: list[TraceEvent], verification=None) -> dict:
    """The EPCISDocument for a loaded chain, saying whether the chain verified.

    ``verification`` is the chain's ``ChainVerification``; without one the document
    makes no claim either way.
    """
    exported = epcis_events(events)
    document = {
        "@context": [EPCIS_CONTEXT, dict(NAMESPACES)],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": canonical_time(timezone.now()),
    }
    if verification is not None:
        document["touchstone:chainVerified"] = verification.ok
        if not verification.ok:
            document["touchstone:chainProblem"] = verification.reason
            broken = verification.first_broken
            if broken is not None and broken in events:
                position = events.index(broken)
                document["touchstone:firstBrokenEvent"] = exported[position]["eventID"]
    document["touchstone:assurance"] = [
        {
            "touchstone:event": data["eventID"],
            "touchstone:assuranceLevel": event.assurance_level,
        }
        for event, data in zip(events, exported, strict=True)
    ]
    document["epcisBody"] = {"eventList": exported}
    return document
