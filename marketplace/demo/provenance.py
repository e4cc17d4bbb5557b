"""Demo provenance: a full origin chain for every published piece, recorded via services.

Runs after the catalogue's demo and works over whatever pieces exist. Idempotent: a
piece that already has a chain is left alone, parties and certifications are reused.
Shows recycled silver with an SCS recycled-content certificate, Fairmined gold, natural
stones with lab reports, hallmarking at an assay office, one piece that changed owner,
claims waiting in the review queue (among them a refiner one artisan proposed, which no
other artisan is offered until it is verified), and one chain deliberately altered
behind the application's back so that its certificate warns. The outside parties of
the chains are proposed by an artisan and accepted by the verifier, like any party.
"""

import io
import logging
from datetime import timedelta
from decimal import Decimal

import pikepdf
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from artisans.models import Artisan
from marketplace.catalogue.models import Listing, MetalComponent
from provenance.models import (
    Certificate,
    Certification,
    ChainMembership,
    MaterialLot,
    Party,
    TraceEvent,
    VerificationStatus,
)
from provenance.models.verification import AWAITING_REVIEW
from provenance.selectors.chain import lot_list
from provenance.services.certificates import (
    certificate_issue,
    certificate_record_verification,
    ownership_claim,
    ownership_handover_start,
)
from provenance.services.chain import (
    certification_create,
    lot_purchase,
    party_create,
    provenance_verify,
)
from provenance.services.events import event_record
from provenance.services.verification import claim_submit, claim_transition
from provenance.validators import STANDARD_FINENESS

logger = logging.getLogger(__name__)

TAMPER_NOTE = "Cast by hand in the workshop. [altered outside Touchstone]"
LOSS_SHARE = Decimal("0.06")  # sprue, filings and melt loss of a typical casting
GRAM = Decimal("0.001")

PARTIES = {
    "refiner": {
        "kind": Party.Kind.REFINER,
        "name": "Umicore Precious Metals Refining",
        "country": "BE",
        "place": "Hoboken",
        "registry_identifier": "LBMA-GD-UMI",
    },
    "recycler": {
        "kind": Party.Kind.RECYCLER,
        "name": "Jewellers' Scrap Recovery Ltd",
        "country": "GB",
        "place": "Birmingham",
    },
    "supplier": {
        "kind": Party.Kind.SUPPLIER,
        "name": "Cookson Precious Metals",
        "country": "GB",
        "place": "Birmingham",
        "registry_identifier": "GB-CH-00185765",
    },
    "mine": {
        "kind": Party.Kind.ARTISANAL_MINE,
        "name": "Cooperativa Minera Iquira",
        "country": "CO",
        "place": "Iquira, Huila",
        "registry_identifier": "FAIRMINED-CO-0019",
    },
    "gold_supplier": {
        "kind": Party.Kind.SUPPLIER,
        "name": "Fairmined Gold Traders",
        "country": "GB",
        "place": "London",
    },
    "gem_supplier": {
        "kind": Party.Kind.SUPPLIER,
        "name": "Ratnapura Gem Traders",
        "country": "LK",
        "place": "Ratnapura",
    },
    "gem_lab": {
        "kind": Party.Kind.GEM_LAB,
        "name": "Gemmological Institute of Colombo",
        "country": "LK",
        "place": "Colombo",
    },
    "assay": {
        "kind": Party.Kind.ASSAY_OFFICE,
        "name": "The London Assay Office",
        "country": "GB",
        "place": "Goldsmiths' Hall, London",
        "registry_identifier": "UK-AO-LON",
    },
}

# Proposed by an artisan near it and left for the verifier to decide: only that artisan
# is offered it meanwhile.
PROPOSED_PARTY = (
    "kofi",
    {
        "kind": Party.Kind.REFINER,
        "name": "Ashanti Bullion Refiners",
        "country": "GH",
        "place": "Kumasi",
    },
)

# Per metal: (origin type, origin party, seller, certification scheme, issuer).
ORIGINS = {
    "silver": (
        "recycled_post_consumer",
        "refiner",
        "supplier",
        "scs_recycled",
        "SCS Global Services",
    ),
    "gold": (
        "artisanal_mined",
        "mine",
        "gold_supplier",
        "fairmined",
        "Alliance for Responsible Mining",
    ),
    "platinum": ("recycled_pre_consumer", "recycler", "supplier", None, None),
    "palladium": ("recycled_pre_consumer", "recycler", "supplier", None, None),
}


def _pdf(title: str) -> SimpleUploadedFile:
    """A one-page PDF document that says what it stands for."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
        )
    )
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    content = f"BT /F1 16 Tf 40 760 Td (Demo document: {text}) Tj ET".encode()
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(content),
    )
    pdf.pages.append(pikepdf.Page(page))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return SimpleUploadedFile(
        f"{title.lower().replace(' ', '-')}.pdf", buffer.getvalue(), "application/pdf"
    )


def _verified(party: Party, verifier) -> Party:
    """Take a party through the queue: submitted by its proposer, verified by the
    verifier. A party already decided (or with no verifier to decide it) stays."""
    status = party.verification_status
    if verifier is None or status == VerificationStatus.VERIFIED:
        return party
    if status == VerificationStatus.DRAFT and party.verification_owner is not None:
        claim_submit(record=party, actor=party.verification_owner)
        status = VerificationStatus.SUBMITTED
    if status in AWAITING_REVIEW:
        claim_transition(record=party, actor=verifier, action="verify")
    party.refresh_from_db()
    return party


def _parties(artisans, verifier) -> dict[str, Party]:
    """The outside parties of the demo chains, proposed by the first artisan and
    verified, so that every artisan is offered them."""
    proposer = next(iter(artisans.values()), None) or (
        Artisan.objects.select_related("user").order_by("id").first()
    )
    parties = {}
    for key, fields in PARTIES.items():
        party = (
            Party.objects.filter(name=fields["name"], artisan=None)
            .order_by("id")
            .first()
        )
        if party is None:
            if proposer is None:
                return {}  # no artisan, so no piece to chain either
            party = party_create(actor=proposer.user, **fields)
        parties[key] = _verified(party, verifier)
    username, fields = PROPOSED_PARTY
    if username in artisans and not Party.objects.filter(name=fields["name"]).exists():
        party_create(actor=artisans[username].user, **fields)
    return parties


def _certification(artisan, scheme, issuer, days_ago) -> Certification:
    number = f"{scheme.upper().replace('_', '-')}-{artisan.pk:04d}"
    existing = Certification.objects.filter(artisan=artisan, number=number).first()
    if existing is not None:
        return existing
    today = timezone.now().date()
    return certification_create(
        actor=artisan.user,
        scheme=scheme,
        issuer=issuer,
        number=number,
        issued_on=today - timedelta(days=days_ago),
        valid_until=today + timedelta(days=730),
        evidence_file=_pdf(f"{scheme} certificate {number}"),
    )


def _standard_fineness(metal: str, fineness: int | None) -> int:
    allowed = STANDARD_FINENESS.get(metal, (999,))
    return next((f for f in allowed if fineness and f >= fineness), allowed[-1])


def _demo_listings(artisans) -> None:
    """Only for a database without a catalogue: a few pieces to hang chains on."""
    if Listing.objects.exists() or not artisans:
        return
    makers = list(artisans.values())
    specs = [
        ("Recycled silver hammered band", "ring", [("silver", 925, "6.800")], False),
        ("Fairmined gold leaf pendant", "pendant", [("gold", 750, "3.200")], False),
        ("Sapphire ring in recycled silver", "ring", [("silver", 925, "5.400")], True),
    ]
    for n, (title, category, metals, sapphire) in enumerate(specs):
        listing = Listing.objects.create(
            artisan=makers[n % len(makers)],
            title=title,
            slug=f"demo-provenance-{n}",
            description=f"{title}, made by hand.",
            category=category,
            price=Decimal("240.00"),
            status=Listing.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=20),
        )
        for metal, fineness, grams in metals:
            MetalComponent.objects.create(
                listing=listing,
                metal=metal,
                fineness=fineness,
                weight_grams=Decimal(grams),
            )
        if sapphire:
            listing.gemstones.create(
                species="sapphire",
                nature="natural",
                treatment="heat",
                carat=Decimal("0.620"),
                origin_country="LK",
                lab_report_issuer="GIC",
                lab_report_number="GIC-24-1187",
            )


def _lot_for(artisan, component_metal, fineness, grams, parties, when) -> MaterialLot:
    """A lot of the artisan's with enough left, or a new purchase of one."""
    for lot in lot_list(user=artisan.user).filter(
        material="metal", metal=component_metal, fineness=fineness
    ):
        if lot.remaining_grams >= grams and lot.custodian.artisan_id == artisan.pk:
            return lot
    origin_type, origin_key, seller_key, scheme, issuer = ORIGINS.get(
        component_metal, ("unknown", "supplier", "supplier", None, None)
    )
    certification = _certification(artisan, scheme, issuer, 1000) if scheme else None
    mass = max(Decimal("100"), (grams * 4).quantize(Decimal("1")))
    return lot_purchase(
        actor=artisan.user,
        supplier=parties[seller_key],
        reference=f"{component_metal[:2].upper()}{fineness}-{artisan.pk:03d}-{MaterialLot.objects.count() + 1:04d}",
        material="metal",
        metal=component_metal,
        fineness=fineness,
        mass_grams=mass,
        origin_type=origin_type,
        origin_party=parties[origin_key],
        origin_country=parties[origin_key].country.code,
        origin_place=parties[origin_key].place,
        purchased_at=when,
        certification=certification,
        note="Casting grain, delivered by courier.",
    )


def _stone_lot(artisan, stone, parties, when) -> MaterialLot:
    grams = (stone.carat * stone.count * Decimal("0.2")).quantize(GRAM)
    certification = None
    if stone.lab_report_number:
        number = stone.lab_report_number
        certification = Certification.objects.filter(
            artisan=artisan, number=number
        ).first()
        if certification is None:
            certification = certification_create(
                actor=artisan.user,
                scheme=Certification.Scheme.LAB_REPORT,
                issuer=stone.lab_report_issuer or parties["gem_lab"].name,
                number=number,
                issued_on=(when - timedelta(days=10)).date(),
                valid_until=None,
                holder=parties["gem_lab"],
                evidence_file=_pdf(f"Lab report {number}"),
            )
    return lot_purchase(
        actor=artisan.user,
        supplier=parties["gem_supplier"],
        reference=f"GEM-{stone.pk:05d}",
        material="stone",
        stone_species=stone.species,
        mass_grams=grams,
        origin_type="mined",
        origin_country=str(stone.origin_country or ""),
        origin_place=parties["gem_supplier"].place
        if str(stone.origin_country) == "LK"
        else "",
        purchased_at=when,
        certification=certification,
    )


def _chain_for(listing, parties) -> bool:
    artisan = listing.artisan
    components = list(listing.metals.all())
    if not components:
        return False
    made = (listing.published_at or timezone.now()) - timedelta(days=14)
    made = min(made, timezone.now() - timedelta(days=2))
    bought = made - timedelta(days=45)
    need: dict[tuple[str, int], Decimal] = {}
    for c in components:
        fineness = _standard_fineness(c.metal, c.fineness)
        need[(c.metal, fineness)] = (
            need.get((c.metal, fineness), Decimal("0")) + c.weight_grams
        )
    inputs, loss = [], Decimal("0")
    for (metal, fineness), grams in need.items():
        part_loss = (grams * LOSS_SHARE).quantize(GRAM)
        lot = _lot_for(artisan, metal, fineness, grams + part_loss, parties, bought)
        inputs.append((lot, grams + part_loss))
        loss += part_loss
    for stone in listing.gemstones.filter(nature="natural"):
        lot = _stone_lot(artisan, stone, parties, bought)
        inputs.append((lot, lot.mass_grams))
    event_record(
        actor=artisan.user,
        kind=TraceEvent.Kind.TRANSFORMATION,
        listing=listing,
        inputs=inputs,
        loss_grams=loss,
        occurred_at=made,
        process="casting",
        note="Lost-wax cast, then sawn, filed and polished by hand.",
    )
    hallmark = listing.hallmarks.filter(system__in=("uk", "ccm")).first()
    heavy = any(
        c.metal == "silver" and c.weight_grams > Decimal("7.78") for c in components
    )
    if hallmark is not None or heavy or any(c.metal == "gold" for c in components):
        event_record(
            actor=artisan.user,
            kind=TraceEvent.Kind.ASSAY,
            listing=listing,
            assay_office=parties["assay"],
            hallmark=hallmark,
            occurred_at=made + timedelta(days=6),
            note="Tested by XRF and hallmarked.",
        )
    return True


def _reviews(artisans, verifier) -> None:
    """Verify some claims, leave others waiting in the queue."""
    lots = MaterialLot.objects.filter(verification_status="draft").order_by("id")
    for n, lot in enumerate(lots):
        claim_submit(record=lot, actor=lot.artisan.user)
        if verifier is not None and n % 3 != 2:
            claim_transition(record=lot, actor=verifier, action="verify")
    for n, certification in enumerate(
        Certification.objects.filter(verification_status="draft").order_by("id")
    ):
        claim_submit(record=certification, actor=certification.artisan.user)
        if verifier is not None and n % 2 == 0:
            claim_transition(record=certification, actor=verifier, action="verify")
    # A couple of fabrication events wait for a verifier too.
    for event in TraceEvent.objects.filter(
        kind="transformation", verification_status="draft"
    ).order_by("id")[:2]:
        claim_submit(record=event, actor=event.artisan.user)


def _change_owner(collector) -> None:
    if collector is None or Certificate.objects.filter(owner__isnull=False).exists():
        return
    certificate = (
        Certificate.objects.filter(listing__chain_memberships__isnull=False)
        .select_related("listing__artisan__user")
        .order_by("id")
        .first()
    )
    if certificate is None:
        return
    code = ownership_handover_start(
        actor=certificate.listing.artisan.user, certificate=certificate
    )
    ownership_claim(actor=collector, code=code)


def _tamper_one() -> None:
    """Alter one stored event with raw SQL, as an intruder would: its certificate warns."""
    if TraceEvent.objects.filter(note=TAMPER_NOTE).exists():
        return
    event = TraceEvent.objects.filter(kind="transformation").order_by("-id").first()
    if event is None:
        return
    table = connection.ops.quote_name(TraceEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET note = %s, loss_grams = %s WHERE id = %s",  # noqa: S608
            [TAMPER_NOTE, "0.010", event.pk],
        )
    for listing in Listing.objects.filter(chain_memberships__event=event):
        certificate_record_verification(
            certificate=certificate_issue(listing=listing),
            ok=provenance_verify(listing).ok,
        )


def seed(users, artisans=None) -> dict[str, int]:
    """Give every published piece its chain; returns a few counts for the command."""
    artisans = artisans or {}
    _demo_listings(artisans)
    parties = _parties(artisans, users.get("verifier"))
    made = 0
    done = set(ChainMembership.objects.values_list("listing_id", flat=True))
    for listing in (
        Listing.objects.public().select_related("artisan__user").order_by("id")
    ):
        if listing.pk in done:
            certificate_issue(listing=listing)
            continue
        try:
            with transaction.atomic():
                made += _chain_for(listing, parties)
        except ValidationError as error:
            # A catalogue piece whose materials cannot balance is shown without a chain.
            logger.warning("No demo chain for %s: %s", listing, error)
    _reviews(artisans, users.get("verifier"))
    _change_owner(users.get("buyer2"))
    _tamper_one()
    return {"chains": made, "certificates": Certificate.objects.count()}
