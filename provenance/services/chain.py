"""Writes to the origin chain, and its verification.

Rules enforced here (each has a service test):
- the graph is acyclic: an event only follows events that already exist and did not
  happen after it;
- inputs exist before their event;
- only the current custodian transfers or transforms a lot;
- mass balance per metal, within ``MASS_TOLERANCE``; a lot is never allocated beyond
  its mass;
- a certification must be valid on the date of the event it supports;
- a record names only parties available to its artisan: verified outside parties,
  the ones the artisan proposed, and their own workshop (``Party.objects.available_to``);
- events are append-only: there is no update or delete here; a mistake is answered by a
  ``correction`` event that references the event it corrects.

Each event's hash covers its canonical content including the hashes of the events it
follows, so any later edit of a stored row breaks the recomputed chain from that event
on. The canonical form and the digest live in ``provenance.hashing``, one format per
version; each event records the version it was hashed with. Each event is also a leaf
of the platform's transparency log (``provenance.services.transparency``), written in
the same transaction, so rewriting an event and re-hashing its chain no longer agrees
with the log's published checkpoints.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django_countries import countries

from marketplace.accounts.roles import is_artisan
from marketplace.catalogue.caching import catalogue_changed
from marketplace.catalogue.models import HallmarkRecord
from provenance import hashing
from provenance.claims import first_difference, piece_claims, status_problem
from provenance.hashing import UnknownHashVersion, content_hash, event_content
from provenance.models import (
    RECYCLED_ORIGINS,
    Certificate,
    Certification,
    ChainMembership,
    EventItem,
    EventLink,
    Evidence,
    LogLeaf,
    MaterialLot,
    Party,
    ReviewEvent,
    TraceEvent,
)
from provenance.pseudonyms import owner_commitment, recorded_owner_matches
from provenance.services.transparency import log_event
from provenance.services.verification import claim_submit, evidence_add
from provenance.transparency import leaves
from provenance.validators import check_fineness

Kind = TraceEvent.Kind
Role = EventItem.Role

# Mass balance tolerance: the larger of 0.05 g and 0.5 % of the input mass (scales and
# filings are not exact; anything beyond this is a recording error).
MASS_TOLERANCE_GRAMS = Decimal("0.050")
MASS_TOLERANCE_SHARE = Decimal("0.005")
GRAM = Decimal("0.001")


def mass_tolerance(input_grams: Decimal) -> Decimal:
    """The allowed slack of a mass balance over ``input_grams`` of input."""
    return max(
        MASS_TOLERANCE_GRAMS, (input_grams * MASS_TOLERANCE_SHARE).quantize(GRAM)
    )


# --- Facts copied into events -----------------------------------------------------------


def hallmark_snapshot(hallmark) -> dict:
    """A hallmark record as struck, kept in the event (the record itself may change)."""
    return {
        "id": hallmark.pk,
        "system": hallmark.system,
        "metal": hallmark.metal,
        "fineness_mark": hallmark.fineness_mark,
        "assay_office": hallmark.assay_office,
        "date_letter": hallmark.date_letter,
        "huid": hallmark.huid,
    }


# --- Reads used by the writers ----------------------------------------------------------


def workshop_party_for(artisan) -> Party:
    """The artisan's own workshop as a party of the chain (created on first use)."""
    party, _created = Party.objects.get_or_create(
        artisan=artisan,
        kind=Party.Kind.WORKSHOP,
        defaults={
            "name": artisan.workshop_name or f"{artisan.public_name}'s workshop",
            "country": artisan.country,
            "place": artisan.city,
            "created_by": artisan.user,
        },
    )
    return party


def _artisan_of(actor):
    if actor is None or not is_artisan(actor):
        raise PermissionDenied("Only an artisan can record provenance.")
    return actor.artisan_profile


def _check_party(party: Party | None, artisan, field: str) -> None:
    """A record names only parties available to its artisan (``available_to``): never
    another artisan's party that no verifier has accepted."""
    if party is None:
        return
    if not Party.objects.available_to(artisan).filter(pk=party.pk).exists():
        raise ValidationError(
            {
                field: (
                    "Choose a party Touchstone has verified, or one you added yourself."
                )
            }
        )


def _lot_head(lot: MaterialLot) -> TraceEvent | None:
    """The latest event in a lot's own history (origin, transfers, certifications,
    corrections): the next event on it follows this one. Consumption by a piece is not
    part of the lot's history, so sibling pieces' chains stay independent."""
    return (
        TraceEvent.objects.filter(
            items__lot=lot, items__role__in=(Role.OUTPUT, Role.SUBJECT)
        )
        .order_by("-id")
        .first()
    )


def _piece_head(listing) -> TraceEvent | None:
    return TraceEvent.objects.for_chain(listing).order_by("-id").first()


def _ancestors(events, *, known: frozenset[int] = frozenset()) -> set[int]:
    """Ids of the events and everything upstream of them (a walk up the links).

    The walk does not go above ``known`` events: a chain holds everything upstream of
    each of its events, so what lies above an event already in it is in it too.
    """
    seen = {e.pk for e in events}
    frontier = seen - known
    while frontier:
        parents = set(
            EventLink.objects.filter(event_id__in=frontier).values_list(
                "parent_id", flat=True
            )
        )
        frontier = parents - seen
        seen |= frontier
    return seen


def backdating_limit() -> timedelta:
    """How long before its recording an event may say it happened."""
    return timedelta(days=settings.PROVENANCE_BACKDATE_DAYS)


def _check_not_backdated(occurred_at: datetime) -> None:
    earliest = timezone.now() - backdating_limit()
    if occurred_at < earliest:
        raise ValidationError(
            {
                "occurred_at": (
                    f"An event can be recorded at most {settings.PROVENANCE_BACKDATE_DAYS} "
                    f"days after it happened: {occurred_at:%d %b %Y} is before "
                    f"{earliest:%d %b %Y}."
                )
            }
        )


def _dates_problem(event) -> str:
    """What is wrong with an event's dates (format 2 records when it was written), or ""."""
    if event.hash_version < 2:
        return ""
    if event.occurred_at < event.recorded_at - backdating_limit():
        return (
            f"its date (occurred_at {event.occurred_at:%Y-%m-%d}) is more than "
            f"{settings.PROVENANCE_BACKDATE_DAYS} days before it was recorded "
            f"({event.recorded_at:%Y-%m-%d})"
        )
    certification = event.certification
    if certification is not None and not certification.is_valid_on(
        event.occurred_at.astimezone(UTC).date()
    ):
        return (
            f"its certification {certification} (valid_until) does not cover its date "
            f"(occurred_at {event.occurred_at:%Y-%m-%d})"
        )
    return ""


def _check_follows(occurred_at: datetime, parents) -> None:
    for parent in parents:
        if parent.occurred_at > occurred_at:
            raise ValidationError(
                {
                    "occurred_at": (
                        f"This would happen before “{parent.get_kind_display().lower()}” "
                        f"on {parent.occurred_at:%d %b %Y %H:%M}, which it follows: "
                        "an event's inputs must exist before it."
                    )
                }
            )


def _check_certification(certification, occurred_at: datetime, artisan) -> None:
    if certification is None:
        return
    if certification.artisan_id != artisan.pk:
        raise ValidationError({"certification": "Choose one of your certifications."})
    day = occurred_at.astimezone(UTC).date()
    if not certification.is_valid_on(day):
        until = certification.valid_until
        raise ValidationError(
            {
                "certification": (
                    f"{certification} is valid from {certification.issued_on:%d %b %Y}"
                    + (f" to {until:%d %b %Y}" if until else "")
                    + f"; it does not cover an event on {day:%d %b %Y}."
                )
            }
        )


def _record(
    *,
    artisan,
    actor,
    kind: str,
    biz_step: str,
    occurred_at: datetime,
    items: list[tuple[str, MaterialLot | None, object, Decimal | None]],
    parents: list[TraceEvent],
    pieces=(),
    **fields,
) -> TraceEvent:
    """Write one event with its items and links, hash it, and add it to pieces' chains."""
    parents = list({p.pk: p for p in parents if p is not None}.values())
    _check_not_backdated(occurred_at)
    _check_follows(occurred_at, parents)
    event = TraceEvent.objects.create(
        artisan=artisan,
        recorded_by=actor,
        kind=kind,
        biz_step=biz_step,
        occurred_at=occurred_at,
        hash=f"pending-{uuid.uuid4().hex}",
        hash_version=hashing.CURRENT_VERSION,
        **fields,
    )
    rows = [
        EventItem(event=event, role=role, lot=lot, listing=listing, grams=grams)
        for role, lot, listing, grams in items
    ]
    EventItem.objects.bulk_create(rows)
    EventLink.objects.bulk_create(
        [EventLink(event=event, parent=parent) for parent in parents]
    )
    # A correction joins every chain that holds the event it corrects (a later
    # correction of an upstream lot event, say); other events join the pieces they
    # are about.
    listing_ids = {listing.pk for listing in pieces}
    if kind == Kind.CORRECTION:
        listing_ids |= set(
            ChainMembership.objects.filter(event__in=parents).values_list(
                "listing_id", flat=True
            )
        )
    memberships = []
    for listing_id in listing_ids:
        memberships.append(ChainMembership(listing_id=listing_id, event=event))
    if pieces:
        # A piece's chain also holds everything upstream of its own events. Above the
        # events every piece already holds there is nothing new, so the walk stops
        # there: appending to a long chain costs no more queries than to a short one.
        known = {
            listing.pk: set(
                ChainMembership.objects.filter(listing=listing).values_list(
                    "event_id", flat=True
                )
            )
            for listing in pieces
        }
        upstream = _ancestors(
            parents, known=frozenset(set.intersection(*known.values()))
        )
        for listing in pieces:
            memberships += [
                ChainMembership(listing=listing, event_id=event_id)
                for event_id in upstream - known[listing.pk]
            ]
    ChainMembership.objects.bulk_create(memberships, ignore_conflicts=True)
    content = event_content(event, rows, [p.hash for p in parents])
    event.hash = content_hash(content, version=event.hash_version)
    TraceEvent.objects.filter(pk=event.pk).update(hash=event.hash)
    # The platform's transparency log vouches for the event from now on.
    log_event(event=event, content=content)
    chain_anchor_refresh(listing_ids={m.listing_id for m in memberships})
    # Items are bulk-created, so no signal expires the cached catalogue pages that
    # show these pieces' chains (recycled metal, where it comes from).
    catalogue_changed()
    return event


def chain_anchor_refresh(*, listing_ids) -> None:
    """Store each piece's chain head hash and event count on its certificate.

    Verification compares them with the stored chain, so deleting the newest events
    (or adding some behind the application's back) is detected. Called whenever a
    chain grows and when a certificate is issued.
    """
    listing_ids = set(listing_ids)
    if not listing_ids:
        return
    rows = (
        ChainMembership.objects.filter(listing_id__in=listing_ids)
        .values("listing_id")
        .annotate(length=Count("id"), head_id=Max("event_id"))
    )
    anchors = {row["listing_id"]: row for row in rows}
    hashes = dict(
        TraceEvent.objects.filter(
            pk__in=[row["head_id"] for row in anchors.values()]
        ).values_list("pk", "hash")
    )
    for certificate in Certificate.objects.filter(listing_id__in=anchors).only(
        "pk", "listing_id"
    ):
        anchor = anchors[certificate.listing_id]
        Certificate.objects.filter(pk=certificate.pk).update(
            chain_head=hashes[anchor["head_id"]], chain_length=anchor["length"]
        )


def _now_or(occurred_at):
    moment = occurred_at or timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "An event cannot be in the future."})
    return moment


# --- Parties ----------------------------------------------------------------------------


@transaction.atomic
def party_create(
    *,
    actor,
    kind: str,
    name: str,
    country: str = "",
    place: str = "",
    registry_identifier: str = "",
) -> Party:
    """Propose an outside organisation (mine, refiner, supplier, assay office...).

    It is sent to the verifiers at once: until one accepts it, only the artisan who
    proposed it may name it; once verified, every artisan is offered it.
    """
    _artisan_of(actor)
    if kind == Party.Kind.WORKSHOP:
        raise ValidationError(
            {"kind": "Your own workshop is added for you; add outside parties here."}
        )
    if kind not in Party.Kind.values:
        raise ValidationError({"kind": "Choose a kind of party."})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the party's name."})
    party = Party(
        kind=kind,
        name=name,
        country=country,
        place=place,
        registry_identifier=registry_identifier,
        created_by=actor,
    )
    party.full_clean()
    party.save()
    claim_submit(record=party, actor=actor)
    party.refresh_from_db()
    return party


# --- Lots -------------------------------------------------------------------------------


@transaction.atomic
def lot_purchase(
    *,
    actor,
    supplier: Party,
    reference: str,
    material: str,
    mass_grams: Decimal,
    origin_type: str,
    origin_party: Party | None = None,
    metal: str = "",
    fineness: int | None = None,
    stone_species: str = "",
    origin_country: str = "",
    origin_place: str = "",
    purchased_at: datetime | None = None,
    certification: Certification | None = None,
    note: str = "",
) -> MaterialLot:
    """Record a purchase: the lot's origin, then its transfer from the supplier to you."""
    artisan = _artisan_of(actor)
    occurred_at = _now_or(purchased_at)
    if supplier.kind == Party.Kind.WORKSHOP and supplier.artisan_id == artisan.pk:
        raise ValidationError({"supplier": "Choose who sold you the material."})
    _check_party(supplier, artisan, "supplier")
    _check_party(origin_party, artisan, "origin_party")
    if mass_grams is None or mass_grams <= 0:
        raise ValidationError({"mass_grams": "The mass must be more than 0 g."})
    if material == MaterialLot.Material.METAL:
        check_fineness(metal, fineness)
    elif material == MaterialLot.Material.STONE:
        metal, fineness = "", None
        if not stone_species:
            raise ValidationError({"stone_species": "Name the stones."})
    else:
        raise ValidationError({"material": "Choose metal or stones."})
    _check_certification(certification, occurred_at, artisan)
    workshop = workshop_party_for(artisan)
    lot = MaterialLot(
        artisan=artisan,
        reference=(reference or "").strip(),
        material=material,
        metal=metal,
        fineness=fineness,
        stone_species=stone_species,
        mass_grams=Decimal(mass_grams).quantize(GRAM),
        origin_type=origin_type,
        origin_country=origin_country,
        origin_place=origin_place,
        origin_party=origin_party or supplier,
        custodian=workshop,
    )
    lot.full_clean()
    lot.save()
    if certification is not None:
        lot.certifications.add(certification)
    _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.ORIGIN,
        biz_step=TraceEvent.BizStep.COMMISSIONING,
        occurred_at=occurred_at,
        items=[(Role.OUTPUT, lot, None, lot.mass_grams)],
        parents=[],
        location=lot.origin_party,
        certification=certification,
        note="",
    )
    origin = _lot_head(lot)
    _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.TRANSFER,
        biz_step=TraceEvent.BizStep.RECEIVING,
        occurred_at=occurred_at,
        items=[(Role.SUBJECT, lot, None, lot.mass_grams)],
        parents=[origin],
        location=workshop,
        from_party=supplier,
        to_party=workshop,
        note=note,
    )
    return lot


def _remaining(lot: MaterialLot) -> Decimal:
    allocated = EventItem.objects.filter(lot=lot, role=Role.INPUT).aggregate(
        total=Sum("grams")
    )["total"] or Decimal("0")
    return (lot.mass_grams - Decimal(allocated)).quantize(GRAM)


@transaction.atomic
def lot_transfer(
    *,
    actor,
    lot: MaterialLot,
    to_party: Party,
    occurred_at: datetime | None = None,
    note: str = "",
) -> TraceEvent:
    """Hand a lot to another party (a refiner, a setter...): only its custodian can."""
    artisan = _artisan_of(actor)
    lot = MaterialLot.objects.select_for_update().get(pk=lot.pk)
    _check_custodian(lot, artisan)
    occurred_at = _now_or(occurred_at)
    _check_party(to_party, artisan, "to_party")
    if to_party.pk == lot.custodian_id:
        raise ValidationError({"to_party": "The lot is already held by this party."})
    remaining = _remaining(lot)
    if remaining <= 0:
        raise ValidationError({"lot": "Nothing is left of this lot to transfer."})
    event = _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.TRANSFER,
        biz_step=TraceEvent.BizStep.SHIPPING,
        occurred_at=occurred_at,
        items=[(Role.SUBJECT, lot, None, remaining)],
        parents=[_lot_head(lot)],
        location=lot.custodian,
        from_party=lot.custodian,
        to_party=to_party,
        note=note,
    )
    MaterialLot.objects.filter(pk=lot.pk).update(custodian=to_party)
    return event


def _check_custodian(lot: MaterialLot, artisan) -> None:
    if lot.artisan_id != artisan.pk:
        # Another artisan's lot is not theirs to see; say nothing more.
        raise ValidationError({"lot": "No such lot."})
    if lot.custodian_id != workshop_party_for(artisan).pk:
        raise ValidationError(
            {
                "lot": (
                    f"Lot {lot.reference} is held by {lot.custodian}; only its current "
                    "custodian can move or transform it."
                )
            }
        )


# --- Pieces -----------------------------------------------------------------------------


def _check_mass_balance(listing, inputs, loss_grams: Decimal) -> None:
    """Per metal, fine metal out cannot exceed fine metal in; input = piece + loss."""
    components = list(listing.metals.all())
    if not components:
        raise ValidationError(
            {
                "listing": "Add the piece's metals (with their weights) before recording it."
            }
        )
    fine_in: dict[str, Decimal] = defaultdict(Decimal)
    metal_in = Decimal("0")
    for lot, grams in inputs:
        if lot.material == MaterialLot.Material.METAL:
            fine_in[lot.metal] += lot.fine_grams(grams)
            metal_in += grams
    fine_out: dict[str, Decimal] = defaultdict(Decimal)
    metal_out = Decimal("0")
    for component in components:
        fine_out[component.metal] += component.fine_weight_grams
        metal_out += component.weight_grams
    tolerance = mass_tolerance(metal_in)
    for metal, out in sorted(fine_out.items()):
        if out - fine_in.get(metal, Decimal("0")) > tolerance:
            raise ValidationError(
                {
                    "inputs": (
                        f"The piece holds {out.quantize(GRAM)} g of fine {metal}, but the "
                        f"inputs hold only {fine_in.get(metal, Decimal('0')).quantize(GRAM)} g "
                        f"(tolerance {tolerance} g): the mass balance does not hold."
                    )
                }
            )
    gap = metal_in - metal_out - loss_grams
    if abs(gap) > tolerance:
        raise ValidationError(
            {
                "loss_grams": (
                    f"Inputs of {metal_in.quantize(GRAM)} g of metal should equal the piece's "
                    f"{metal_out.quantize(GRAM)} g plus the loss of {loss_grams} g, within "
                    f"{tolerance} g; they differ by {gap.quantize(GRAM)} g."
                )
            }
        )


@transaction.atomic
def fabrication_record(
    *,
    actor,
    listing,
    inputs: list[tuple[MaterialLot, Decimal]],
    loss_grams: Decimal,
    occurred_at: datetime | None = None,
    process: str = "fabrication",
    note: str = "",
) -> TraceEvent:
    """A melt/cast/fabricate step: grams from your lots become the piece, minus the loss.

    The chain's part of making a piece; ``provenance.services.events.piece_fabricate``
    records it and then issues the piece's certificate.

    Mass balance per metal within ``mass_tolerance`` (0.05 g or 0.5 % of the input, the
    larger); a lot is never allocated beyond its mass; only the lots' custodian can do it.
    """
    artisan = _artisan_of(actor)
    if listing.artisan_id != artisan.pk:
        raise ValidationError({"listing": "Choose one of your pieces."})
    occurred_at = _now_or(occurred_at)
    if not inputs:
        raise ValidationError(
            {"inputs": "Choose at least one lot the piece is made from."}
        )
    loss_grams = Decimal(loss_grams if loss_grams is not None else "-1")
    if loss_grams < 0:
        raise ValidationError({"loss_grams": "The loss cannot be negative."})
    if (
        TraceEvent.objects.for_chain(listing)
        .filter(
            kind=Kind.TRANSFORMATION, items__listing=listing, items__role=Role.OUTPUT
        )
        .exists()
    ):
        raise ValidationError(
            {
                "listing": (
                    "This piece has already been made; record a repair or a correction "
                    "instead of a second fabrication."
                )
            }
        )
    # Lock the lots so two fabrications cannot both take the last grams.
    lot_ids = [lot.pk for lot, _grams in inputs]
    if len(set(lot_ids)) != len(lot_ids):
        raise ValidationError({"inputs": "List each lot once."})
    locked = MaterialLot.objects.select_for_update().in_bulk(lot_ids)
    resolved = []
    for lot, grams in inputs:
        lot = locked.get(lot.pk)
        if lot is None:
            raise ValidationError({"inputs": "No such lot."})
        _check_custodian(lot, artisan)
        grams = Decimal(grams).quantize(GRAM)
        if grams <= 0:
            raise ValidationError({"inputs": "Each input needs more than 0 g."})
        remaining = _remaining(lot)
        if grams > remaining:
            raise ValidationError(
                {
                    "inputs": (
                        f"Lot {lot.reference} has {remaining} g left; {grams} g would "
                        "allocate it beyond its mass."
                    )
                }
            )
        resolved.append((lot, grams))
    _check_mass_balance(listing, resolved, loss_grams)
    # A piece made to order has its certificate issued to the buyer beforehand: the
    # fabrication records that owner, so the owner the certificate shows is hashed.
    issued = Certificate.objects.filter(listing=listing, owner__isnull=False).first()
    parents = [_lot_head(lot) for lot, _grams in resolved]
    head = _piece_head(listing)
    if head is not None:
        parents.append(head)
    return _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.TRANSFORMATION,
        biz_step=TraceEvent.BizStep.TRANSFORMING,
        occurred_at=occurred_at,
        items=[(Role.INPUT, lot, None, grams) for lot, grams in resolved]
        + [(Role.OUTPUT, None, listing, _piece_grams(listing))],
        parents=parents,
        pieces=[listing],
        location=workshop_party_for(artisan),
        process=(process or "fabrication")[:40],
        loss_grams=loss_grams.quantize(GRAM),
        note=note,
        owner_commitment=owner_commitment(issued.owner_id, listing.pk)
        if issued
        else "",
    )


def _piece_grams(listing) -> Decimal:
    return sum((c.weight_grams for c in listing.metals.all()), Decimal("0")) or None


def _require_chain(listing, artisan) -> TraceEvent:
    if listing.artisan_id != artisan.pk:
        raise ValidationError({"listing": "Choose one of your pieces."})
    head = _piece_head(listing)
    if head is None:
        raise ValidationError(
            {"listing": "Record how the piece was made before this step."}
        )
    return head


@transaction.atomic
def piece_hallmark(
    *,
    actor,
    listing,
    assay_office: Party,
    hallmark=None,
    occurred_at: datetime | None = None,
    note: str = "",
) -> TraceEvent:
    """Record that an assay office tested and hallmarked the piece."""
    artisan = _artisan_of(actor)
    head = _require_chain(listing, artisan)
    if assay_office.kind != Party.Kind.ASSAY_OFFICE:
        raise ValidationError({"assay_office": "Choose an assay office."})
    _check_party(assay_office, artisan, "assay_office")
    if hallmark is not None and hallmark.listing_id != listing.pk:
        raise ValidationError({"hallmark": "Choose a hallmark record of this piece."})
    event = _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.ASSAY,
        biz_step=TraceEvent.BizStep.INSPECTING,
        occurred_at=_now_or(occurred_at),
        items=[(Role.SUBJECT, None, listing, None)],
        parents=[head],
        pieces=[listing],
        location=assay_office,
        hallmark=hallmark,
        details={"hallmark": hallmark_snapshot(hallmark)} if hallmark else {},
        note=note,
    )
    piece_claims_record(listing=listing, actor=actor, reason="The piece was assayed.")
    return event


@transaction.atomic
def piece_repair(
    *, actor, listing, occurred_at: datetime | None = None, note: str = ""
) -> TraceEvent:
    """Record a repair of a piece in its chain."""
    artisan = _artisan_of(actor)
    head = _require_chain(listing, artisan)
    if not (note or "").strip():
        raise ValidationError({"note": "Say what was repaired."})
    return _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.REPAIR,
        biz_step=TraceEvent.BizStep.REPAIRING,
        occurred_at=_now_or(occurred_at),
        items=[(Role.SUBJECT, None, listing, None)],
        parents=[head],
        pieces=[listing],
        location=workshop_party_for(artisan),
        note=note,
    )


@transaction.atomic
def ownership_record(
    *, listing, owner, occurred_at: datetime | None = None
) -> TraceEvent:
    """Record that ``owner`` now owns the piece: an ownership event, pseudonymous.

    The chain's part of a hand-over; ``provenance.services.certificates.ownership_claim``
    checks the claim first and moves the certificate with it. The event never precedes
    the end of the piece's chain.
    """
    head = _piece_head(listing)
    moment = occurred_at or timezone.now()
    return _record(
        artisan=listing.artisan,
        actor=owner,
        kind=Kind.OWNERSHIP,
        biz_step=TraceEvent.BizStep.RETAIL_SELLING,
        occurred_at=max(moment, head.occurred_at) if head else moment,
        items=[(Role.SUBJECT, None, listing, None)],
        parents=[head] if head else [],
        pieces=[listing],
        owner_commitment=owner_commitment(owner.pk, listing.pk),
    )


# --- Certifications ---------------------------------------------------------------------


@transaction.atomic
def certification_create(
    *,
    actor,
    scheme: str,
    issuer: str,
    number: str,
    issued_on,
    valid_until=None,
    holder: Party | None = None,
    evidence_file=None,
) -> Certification:
    """Record a scheme certificate or lab report, with its evidence file (SHA-256 kept)."""
    artisan = _artisan_of(actor)
    _check_party(holder, artisan, "holder")
    certification = Certification(
        artisan=artisan,
        scheme=scheme,
        issuer=(issuer or "").strip(),
        number=(number or "").strip(),
        issued_on=issued_on,
        valid_until=valid_until,
        holder=holder,
    )
    if valid_until and issued_on and valid_until < issued_on:
        raise ValidationError(
            {"valid_until": "The end of validity is before the issue date."}
        )
    certification.full_clean()
    certification.save()
    if evidence_file is not None:
        evidence_add(record=certification, actor=actor, uploaded=evidence_file)
    return certification


@transaction.atomic
def certification_attach(
    *,
    actor,
    certification: Certification,
    lot: MaterialLot | None = None,
    listing=None,
    occurred_at: datetime | None = None,
    note: str = "",
) -> TraceEvent:
    """A certification event: the certificate covers a lot or a piece on that date."""
    artisan = _artisan_of(actor)
    occurred_at = _now_or(occurred_at)
    if (lot is None) == (listing is None):
        raise ValidationError(
            {"lot": "Attach the certification to one lot or one piece."}
        )
    _check_certification(certification, occurred_at, artisan)
    if lot is not None:
        if lot.artisan_id != artisan.pk:
            raise ValidationError({"lot": "No such lot."})
        head, items, pieces = _lot_head(lot), [(Role.SUBJECT, lot, None, None)], []
        lot.certifications.add(certification)
    else:
        head = _require_chain(listing, artisan)
        items, pieces = [(Role.SUBJECT, None, listing, None)], [listing]
    return _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.CERTIFICATION,
        biz_step=TraceEvent.BizStep.CERTIFYING,
        occurred_at=occurred_at,
        items=items,
        parents=[head],
        pieces=pieces,
        location=certification.holder,
        certification=certification,
        note=note,
    )


# --- Corrections ------------------------------------------------------------------------


@transaction.atomic
def event_correct(
    *, actor, event: TraceEvent, note: str, occurred_at: datetime | None = None
) -> TraceEvent:
    """Answer a mistake with a correction event that references it; history stays."""
    artisan = _artisan_of(actor)
    if event.artisan_id != artisan.pk:
        raise ValidationError({"event": "No such event."})
    if not (note or "").strip():
        raise ValidationError({"note": "Say what was wrong and what is right."})
    occurred_at = _now_or(occurred_at)
    # The corrected event's lots and pieces, but not lots it consumed: a correction of
    # a piece's making belongs to that piece, not to every piece made from the lot.
    subjects = list(
        event.items.exclude(role=Role.INPUT).select_related("lot", "listing")
    )
    return _record(
        artisan=artisan,
        actor=actor,
        kind=Kind.CORRECTION,
        biz_step=TraceEvent.BizStep.OTHER,
        occurred_at=occurred_at,
        items=[(Role.SUBJECT, i.lot, i.listing, None) for i in subjects],
        # It follows the corrected event and the current end of each history it touches.
        parents=[event]
        + [_lot_head(i.lot) for i in subjects if i.lot_id]
        + [_piece_head(i.listing) for i in subjects if i.listing_id],
        corrects=event,
        location=event.location,
        note=note,
    )


# --- Verification -----------------------------------------------------------------------


@dataclass
class ChainVerification:
    ok: bool
    checked: int
    first_broken: TraceEvent | None
    reason: str


def chain_events(listing) -> list[TraceEvent]:
    """A piece's events in recording order with items, lots and links: three queries."""
    return events_loaded(TraceEvent.objects.for_chain(listing))


def events_loaded(queryset) -> list[TraceEvent]:
    """The events of ``queryset`` in recording order, each with ``loaded_items`` (with
    their lots) and ``loaded_parents`` (id and hash of each event it follows), which
    is what recomputing their hashes needs: three queries."""
    events = list(
        queryset.select_related(
            # A workshop's standing is its artisan's: the certificate shows it.
            "location__artisan",
            "from_party__artisan",
            "to_party__artisan",
            "certification",
        ).order_by("id")
    )
    ids = [e.pk for e in events]
    items = defaultdict(list)
    for item in EventItem.objects.filter(event_id__in=ids).select_related(
        "lot", "lot__origin_party"
    ):
        items[item.event_id].append(item)
    parents = defaultdict(list)
    for event_id, parent_id, parent_hash in EventLink.objects.filter(
        event_id__in=ids
    ).values_list("event_id", "parent_id", "parent__hash"):
        parents[event_id].append((parent_id, parent_hash))
    for event in events:
        event.loaded_items = items[event.pk]
        event.loaded_parents = parents[event.pk]
    return events


def verify_events(events: list[TraceEvent]) -> ChainVerification:
    """Recompute every hash of a loaded chain; name the first link that does not hold."""
    by_id = {e.pk: e for e in events}
    for event in events:
        for parent_id, _parent_hash in event.loaded_parents:
            parent = by_id.get(parent_id)
            if parent is None:
                return ChainVerification(
                    False,
                    len(events),
                    event,
                    "it follows an event missing from the chain",
                )
            if parent_id >= event.pk or parent.occurred_at > event.occurred_at:
                return ChainVerification(
                    False, len(events), event, "it follows an event recorded after it"
                )
        try:
            content = event_content(
                event, event.loaded_items, [h for _pid, h in event.loaded_parents]
            )
            recomputed = content_hash(content, version=event.hash_version)
        except UnknownHashVersion:
            return ChainVerification(
                False,
                len(events),
                event,
                f"it was hashed with format version {event.hash_version}, "
                "which this verifier does not know",
            )
        if recomputed != event.hash:
            return ChainVerification(
                False,
                len(events),
                event,
                "its stored content no longer matches its hash",
            )
        problem = _dates_problem(event)
        if problem:
            return ChainVerification(False, len(events), event, problem)
    return ChainVerification(True, len(events), None, "")


def recorded_owner(events: list[TraceEvent]) -> tuple[TraceEvent | None, str]:
    """The latest event that records an owner (an ownership event, or the making of a
    piece issued to its buyer), and the owner it records; (None, "") when none does."""
    for event in reversed(events):
        if event.owner_commitment:
            return event, event.owner_commitment
    return None, ""


def verify_chain(events: list[TraceEvent], certificate=None) -> ChainVerification:
    """Verify a loaded chain, then what the certificate shows against it: the recorded
    head and length of the chain, and the owner (no further queries)."""
    if not events:
        return ChainVerification(False, 0, None, "the piece has no recorded chain")
    result = verify_events(events)
    if not result.ok or certificate is None:
        return result
    checked = len(events)
    expected = certificate.chain_length
    if expected is None or not certificate.chain_head:
        return ChainVerification(
            False, checked, None, "the certificate has no recorded chain head"
        )
    if checked < expected:
        return ChainVerification(
            False,
            checked,
            None,
            "the chain ends before its recorded head: "
            f"{expected} events expected, {checked} found",
        )
    if checked > expected:
        return ChainVerification(
            False,
            checked,
            events[expected] if expected else events[0],
            "the chain holds events beyond its recorded head: "
            f"{expected} events expected, {checked} found",
        )
    if events[-1].hash != certificate.chain_head:
        return ChainVerification(
            False,
            checked,
            events[-1],
            "the newest event is not the recorded head of the chain",
        )
    link, recorded = recorded_owner(events)
    if recorded or certificate.owner_id is not None:
        matches = recorded_owner_matches(
            recorded, certificate.owner_id, certificate.listing_id
        )
    else:
        matches = True
    if not matches:
        if link is None:
            reason = "the certificate names an owner that no ownership event records"
        else:
            reason = (
                "the certificate's owner is not the owner this ownership link records"
            )
        return ChainVerification(False, checked, link, reason)
    return result


def verify_logged(listing, events: list[TraceEvent]) -> ChainVerification | None:
    """The chain against the transparency log (one query): every event must be the one
    the log recorded under its id (a row rewritten and re-hashed is not), and every
    event the log recorded for this piece must still be in the chain (one deleted,
    with the certificate's head and length rewritten to hide it, is not). None when
    both hold; otherwise the first problem, naming the event and, from the content
    the log kept, the fields that changed."""
    ids = {e.pk for e in events}
    event_type = leaves.OBJECT_TYPES[leaves.EVENT]
    logged = {}
    for object_id, object_hash in (
        LogLeaf.objects.filter(kind=leaves.EVENT, object_type=event_type)
        .filter(Q(object_id__in=ids) | Q(pieces__piece_id=listing.pk))
        .order_by("id")
        .values_list("object_id", "object_hash")
    ):
        logged.setdefault(object_id, object_hash)
    for event in events:
        recorded = logged.get(event.pk)
        if recorded is None:
            return ChainVerification(
                False, len(events), event, "the transparency log never recorded it"
            )
        if recorded != event.hash:
            return ChainVerification(
                False,
                len(events),
                event,
                f"it is not the event the transparency log recorded (hash "
                f"{recorded[:12]}…)" + _logged_changes(event),
            )
    missing = sorted(set(logged) - ids)
    if missing:
        return ChainVerification(
            False,
            len(events),
            None,
            f"the transparency log recorded trace_event/{missing[0]} for this piece, "
            "and the chain no longer holds it (it was deleted)",
        )
    return None


def _logged_changes(event) -> str:
    """``; changed since it was logged: …`` from the content the log kept, once that
    content is checked against the logged hash (one query, only when a chain is
    broken)."""
    leaf = (
        LogLeaf.objects.of_object(leaves.OBJECT_TYPES[leaves.EVENT], [event.pk])
        .order_by("id")
        .values_list("object_hash", "content")
        .first()
    )
    try:
        current = event_content(
            event, event.loaded_items, [h for _p, h in event.loaded_parents]
        )
        if leaf is None or content_hash(leaf[1]) != leaf[0]:
            return ""
    except (UnknownHashVersion, KeyError, TypeError, ValueError):
        return ""
    fields = leaves.changed_fields(leaf[1], current)
    return f"; changed since it was logged: {', '.join(fields)}" if fields else ""


def verify_piece(listing, events, certificate) -> ChainVerification:
    """A certified piece's loaded chain against the transparency log, then its own
    hashes and the certificate's anchor, then what the page claims."""
    if events and certificate is not None:
        # The log first: it names an event rewritten and re-hashed, or deleted, that
        # the certificate's anchor was rewritten to hide.
        logged = verify_logged(listing, events)
        if logged is not None:
            return logged
    result = verify_chain(events, certificate)
    if result.ok and certificate is not None:
        return verify_claims(listing, events) or result
    return result


def provenance_verify(listing) -> ChainVerification:
    """Recompute a piece's whole chain from the stored rows (queries do not grow with it),
    and check its certificate's recorded head, length and owner, the transparency log
    and what its page claims, against it."""
    events = chain_events(listing)
    certificate = Certificate.objects.filter(listing=listing).first()
    return verify_piece(listing, events, certificate)


# --- What the certificate claims --------------------------------------------------------


def _claims_sources(listing, events):
    """The lots and certifications the chain names, and the evidence behind them and
    behind the piece's hallmarks (one query)."""
    lots = {
        item.lot_id: item.lot for e in events for item in e.loaded_items if item.lot_id
    }
    certifications = {
        e.certification_id: e.certification for e in events if e.certification_id
    }
    hallmarks = [h.pk for h in listing.hallmarks.all()]
    types = ContentType.objects.get_for_models(
        MaterialLot, Certification, HallmarkRecord, for_concrete_models=False
    )
    condition = Q(pk__in=[])
    for model, ids in (
        (MaterialLot, list(lots)),
        (Certification, list(certifications)),
        (HallmarkRecord, hallmarks),
    ):
        if ids:
            condition |= Q(content_type=types[model], object_id__in=ids)
    evidence = list(Evidence.objects.filter(condition).select_related("content_type"))
    return list(lots.values()), list(certifications.values()), evidence


def current_claims(listing, events) -> dict:
    """What the certificate page claims now, from the stored rows."""
    lots, certifications, evidence = _claims_sources(listing, events)
    return piece_claims(listing, lots, certifications, evidence)


def recorded_claims(events) -> tuple[TraceEvent | None, dict | None]:
    """The newest ``claims`` event of a chain and its snapshot."""
    for event in reversed(events):
        if event.kind == Kind.CLAIMS:
            return event, (event.details or {}).get("claims")
    return None, None


def piece_claims_record(*, listing, actor=None, reason: str) -> TraceEvent | None:
    """Append what the certificate claims to the piece's chain, when it differs from
    what the chain last recorded (the first time: when the certificate is issued or the
    chain made). Nothing is recorded for a piece without a chain or a certificate."""
    if not Certificate.objects.filter(listing=listing).exists():
        return None
    head = _piece_head(listing)
    if head is None:
        return None
    events = chain_events(listing)
    live = current_claims(listing, events)
    _event, recorded = recorded_claims(events)
    if recorded == live:
        return None
    return _record(
        artisan=listing.artisan,
        actor=actor,
        kind=Kind.CLAIMS,
        biz_step=TraceEvent.BizStep.OTHER,
        # The claims are those of the piece as its chain stands: dated with the chain's
        # head, so that later events may still be dated before today.
        occurred_at=head.occurred_at,
        items=[(Role.SUBJECT, None, listing, None)],
        parents=[head],
        pieces=[listing],
        details={"claims": live, "reason": reason[:200]},
        note=reason[:200],
    )


def _decided_statuses(records) -> dict:
    """The status each record's latest recorded decision gave it (one query)."""
    condition = Q(pk__in=[])
    for record, content_type_id in records:
        condition |= Q(
            review__content_type_id=content_type_id, review__object_id=record.pk
        )
    decided = {}
    for content_type_id, object_id, status in (
        ReviewEvent.objects.filter(condition)
        .order_by("id")
        .values_list("review__content_type_id", "review__object_id", "to_status")
    ):
        decided[(content_type_id, object_id)] = status
    return decided


def verify_claims(listing, events) -> ChainVerification | None:
    """Check the certificate page's claims against the record: the facts against the
    newest ``claims`` event, each verification status against its latest decision.
    None when they hold; a broken verdict naming the event and field otherwise."""
    lots, certifications, evidence = _claims_sources(listing, events)
    event, recorded = recorded_claims(events)
    if recorded is not None:
        live = piece_claims(listing, lots, certifications, evidence)
        # A snapshot is held to the facts it recorded (older ones record fewer).
        live = {key: value for key, value in live.items() if key in recorded}
        found = first_difference(recorded, live)
        if found:
            path, was, now = found
            return ChainVerification(
                False,
                len(events),
                event,
                f"the certificate's {path} is {now!r}, but its record says {was!r}",
            )
    artisan = listing.artisan
    shown = [artisan, *artisan.maker_marks.all(), *lots, *certifications]
    shown += list(listing.hallmarks.all())
    types = ContentType.objects.get_for_models(
        *{type(r) for r in shown}, for_concrete_models=False
    )
    records = [(record, types[type(record)].pk) for record in shown]
    problem = status_problem(records, _decided_statuses(records))
    if problem:
        return ChainVerification(False, len(events), event, problem)
    return None


# --- Derived facts ----------------------------------------------------------------------


@dataclass
class MetalShare:
    metal: str
    fine_grams: Decimal
    recycled_fine_grams: Decimal
    countries: set
    sources: list = field(default_factory=list)  # (lot, grams) the metal came from

    @property
    def recycled_percent(self) -> int:
        if not self.fine_grams:
            return 0
        if self.fully_recycled:
            return 100
        share = int(
            (self.recycled_fine_grams * 100 / self.fine_grams).to_integral_value()
        )
        # Never round up to 100 % unless every input is recycled, nor down to 0 % when
        # some is.
        return max(1, min(99, share)) if self.recycled_fine_grams else 0

    @property
    def country_names(self) -> list[str]:
        return sorted(countries.name(code) or code for code in self.countries)

    @property
    def fully_recycled(self) -> bool:
        return self.fine_grams > 0 and self.recycled_fine_grams == self.fine_grams

    @property
    def verified(self) -> bool:
        """Every lot the share comes from is verified: only then may a page present
        the share as verified; otherwise it is the maker's declaration."""
        return bool(self.sources) and all(lot.is_verified for lot, _ in self.sources)


def chain_parties(events: list[TraceEvent]) -> list[Party]:
    """The parties a loaded chain names (where, from whom, to whom), each once, in the
    order the chain first names them (no further queries)."""
    parties: dict[int, Party] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.pk)):
        for party in (event.location, event.from_party, event.to_party):
            if party is not None:
                parties.setdefault(party.pk, party)
    return list(parties.values())


def recycled_shares(listing, events: list[TraceEvent]) -> dict[str, MetalShare]:
    """Per metal, the fine-mass-weighted recycled share of the piece's inputs.

    Derived from the inputs, never typed: "100 % recycled" only when every input is.
    """
    shares: dict[str, MetalShare] = {}
    for event in events:
        if event.kind != Kind.TRANSFORMATION:
            continue
        for item in event.loaded_items:
            lot = item.lot
            if item.role != Role.INPUT or lot is None or lot.material != "metal":
                continue
            share = shares.setdefault(
                lot.metal, MetalShare(lot.metal, Decimal("0"), Decimal("0"), set())
            )
            fine = lot.fine_grams(item.grams)
            share.sources.append((lot, item.grams))
            share.fine_grams += fine
            if lot.origin_type in RECYCLED_ORIGINS:
                share.recycled_fine_grams += fine
            if lot.origin_country:
                share.countries.add(str(lot.origin_country))
    return shares
