"""A piece's chain as a GS1 EPCIS 2.0 JSON-LD document.

Lots are EPC classes (quantities in grams, uom "GRM"); a piece is an instance EPC.
Origins and observations are ObjectEvents, melt/cast/fabricate steps TransformationEvents,
transfers of custody and changes of owner TransactionEvents. Each event's ID is its
chain hash as an RFC 6920 ``ni:`` URI, the form EPCIS 2.0 uses for event hashes, and
``touchstone:hashVersion`` names the hash format it was computed with.
"""

from datetime import UTC

from django.utils import timezone

from provenance.models import EventItem, TraceEvent

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
TOUCHSTONE_NS = "https://touchstone.example/epcis/"
UOM_GRAMS = "GRM"

Kind = TraceEvent.Kind
Role = EventItem.Role

EVENT_TYPES = {
    Kind.ORIGIN: "ObjectEvent",
    Kind.TRANSFER: "TransactionEvent",
    Kind.TRANSFORMATION: "TransformationEvent",
    Kind.ASSAY: "ObjectEvent",
    Kind.CERTIFICATION: "ObjectEvent",
    Kind.OWNERSHIP: "TransactionEvent",
    Kind.REPAIR: "ObjectEvent",
    Kind.CORRECTION: "ObjectEvent",
    Kind.CLAIMS: "ObjectEvent",
}


def lot_class(lot) -> str:
    return f"urn:touchstone:lot:{lot.pk}"


def piece_epc(listing_id) -> str:
    return f"urn:touchstone:piece:{listing_id}"


def party_id(party) -> str:
    return f"urn:touchstone:party:{party.pk}"


def _quantity(item) -> dict:
    return {
        "epcClass": lot_class(item.lot),
        "quantity": float(item.grams) if item.grams is not None else 0.0,
        "uom": UOM_GRAMS,
    }


def _event(event: TraceEvent) -> dict:
    items = event.loaded_items
    kind = event.kind
    data = {
        "type": EVENT_TYPES[kind],
        "eventID": f"ni:///sha-256;{event.hash}?ver=CBV2.0",
        "eventTime": event.occurred_at.astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "bizStep": event.biz_step,
        "touchstone:kind": kind,
        "touchstone:assuranceLevel": event.assurance_level,
        # The Touchstone hash format (provenance.hashing) the event ID was computed with.
        "touchstone:hashVersion": event.hash_version,
    }
    if event.location is not None:
        data["readPoint"] = {"id": party_id(event.location)}
        data["bizLocation"] = {"id": party_id(event.location)}
    lots = [i for i in items if i.lot_id]
    pieces = [i for i in items if i.listing_id]
    if kind == Kind.TRANSFORMATION:
        data["inputQuantityList"] = [_quantity(i) for i in lots if i.role == Role.INPUT]
        data["outputEPCList"] = [
            piece_epc(i.listing_id) for i in pieces if i.role == Role.OUTPUT
        ]
        data["touchstone:lossQuantity"] = {
            "quantity": float(event.loss_grams),
            "uom": UOM_GRAMS,
        }
        if event.process:
            data["touchstone:process"] = event.process
    else:
        data["action"] = (
            "ADD" if kind in (Kind.ORIGIN, Kind.TRANSFER, Kind.OWNERSHIP) else "OBSERVE"
        )
        if pieces:
            data["epcList"] = [piece_epc(i.listing_id) for i in pieces]
        if lots:
            data["quantityList"] = [_quantity(i) for i in lots]
    if kind in (Kind.TRANSFER, Kind.OWNERSHIP):
        data["bizTransactionList"] = [
            {
                "type": "desadv" if kind == Kind.TRANSFER else "inv",
                "bizTransaction": f"urn:touchstone:event:{event.pk}",
            }
        ]
    if event.from_party is not None:
        data["sourceList"] = [
            {"type": "owning_party", "source": party_id(event.from_party)}
        ]
    if event.to_party is not None:
        data["destinationList"] = [
            {"type": "owning_party", "destination": party_id(event.to_party)}
        ]
    if kind == Kind.OWNERSHIP and event.owner_commitment:
        data["touchstone:newOwner"] = event.owner_commitment
    if event.certification is not None:
        data["certificationInfo"] = (
            f"urn:touchstone:certification:{event.certification_id}"
        )
    if event.corrects_id:
        data["touchstone:corrects"] = f"urn:touchstone:event:{event.corrects_id}"
    data["touchstone:previous"] = sorted(
        f"ni:///sha-256;{h}?ver=CBV2.0" for _pid, h in event.loaded_parents
    )
    return data


def epcis_document(events: list[TraceEvent]) -> dict:
    """The EPCISDocument for a loaded chain (see ``chain_events``)."""
    return {
        "@context": [EPCIS_CONTEXT, {"touchstone": TOUCHSTONE_NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now()
        .astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "epcisBody": {"eventList": [_event(event) for event in events]},
    }
