"""Demo commissions: every state of the workflow across the demo artisans and buyers.

Everything goes through the services (so every commission has its real timeline,
thread and notifications); emails are suppressed while seeding. Idempotent: a
commission that already exists (same buyer, artisan and title) is left alone.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from artisans.models import Artisan
from config.mail import emails_suppressed
from marketplace.catalogue.models import Listing
from marketplace.commissions import services
from marketplace.commissions.models import Commission, ProgressUpdate
from marketplace.demo import images as demo_images
from provenance.models import MaterialLot, Party
from provenance.selectors.chain import lot_list, party_list
from provenance.services.chain import lot_purchase, party_create

S = Commission.Status
LOSS_SHARE = Decimal("0.05")  # filings and casting loss, as a share of the piece

# (key, buyer, artisan, target status, request details)
PLAN = [
    (
        "wayan-wedding-band",
        "buyer",
        "wayan",
        S.COMPLETED,
        {
            "title": "Granulated wedding band",
            "category": "ring",
            "brief": (
                "A 5 mm wedding band in recycled sterling silver with a single line of "
                "granulation around the middle, like the cuffs in your shop."
            ),
            "budget_min": Decimal("220"),
            "budget_max": Decimal("380"),
            "ring_size": "T",
            "engraving_text": "B & M 2026",
            "material_preferences": "Recycled silver only.",
        },
    ),
    (
        "wayan-filigree-earrings",
        "buyer2",
        "wayan",
        S.IN_PROGRESS,
        {
            "title": "Filigree drop earrings",
            "category": "earrings",
            "brief": "Light filigree drops, about 3 cm long, for a summer wedding.",
            "budget_max": Decimal("260"),
            "material_preferences": "Fine silver wire, no plating.",
        },
    ),
    (
        "wayan-signet",
        "buyer",
        "wayan",
        S.QUOTED,
        {
            "title": "Signet ring with a turtle",
            "category": "ring",
            "brief": "An oval signet with a small granulated turtle on the face.",
            "budget_min": Decimal("300"),
            "budget_max": Decimal("500"),
            "ring_size": "R",
        },
    ),
    (
        "wayan-anklet",
        "buyer2",
        "wayan",
        S.SUBMITTED,
        {
            "title": "Beaded anklet",
            "category": "bracelet",
            "brief": "A fine anklet with granulated beads every few centimetres.",
            "measurements": "Ankle 23 cm",
        },
    ),
    (
        "amina-gold-band",
        "buyer2",
        "amina",
        S.ACCEPTED,
        {
            "title": "Fairmined gold band",
            "category": "ring",
            "brief": "A plain, heavy band in Fairmined 18K gold.",
            "ring_size": "L",
            "material_preferences": "Fairmined gold, please.",
        },
    ),
    (
        "amina-brooch",
        "buyer",
        "amina",
        S.DECLINED,
        {
            "title": "Enamel brooch",
            "category": "brooch",
            "brief": "A brooch with blue enamel and a chased border.",
        },
    ),
    (
        "amina-wedding-cuff",
        "buyer2",
        "amina",
        S.WAITLISTED,
        {
            "title": "Chased wedding cuff",
            "category": "bracelet",
            "brief": "A wide cuff chased with the pattern of my grandmother's door.",
            "budget_min": Decimal("600"),
            "budget_max": Decimal("900"),
            "measurements": "Wrist 16 cm",
        },
    ),
    (
        "amina-engraved-pendant",
        "buyer",
        "amina",
        S.WAITLISTED,
        {
            "title": "Engraved hand pendant",
            "category": "pendant",
            "brief": "A small khamsa pendant, hand engraved, on a fine chain.",
            "engraving_text": "Lina",
        },
    ),
    (
        "sofia-modified-ring",
        "buyer",
        "sofia",
        S.COMPLETED,
        {
            "kind": Commission.Kind.MODIFICATION,
            "title": "My version of your forged ring",
            "brief": "The same piece, one size up and a little wider, in recycled gold.",
            "ring_size": "P",
            "material_preferences": "Recycled gold.",
        },
    ),
    (
        "sofia-chain",
        "buyer2",
        "sofia",
        S.READY_FOR_REVIEW,
        {
            "title": "Heavy link chain",
            "category": "necklace",
            "brief": "A forged oval-link chain, 50 cm, with a toggle clasp.",
            "measurements": "Length 50 cm",
        },
    ),
    (
        "sofia-pendant",
        "buyer",
        "sofia",
        S.APPROVED,
        {
            "title": "Pebble pendant",
            "category": "pendant",
            "brief": "A smooth forged pebble on a short chain.",
        },
    ),
    (
        "sofia-studs",
        "buyer",
        "sofia",
        S.CANCELLED,
        {
            "title": "Tiny stud earrings",
            "category": "earrings",
            "brief": "Two tiny forged studs.",
        },
    ),
    (
        "sofia-cufflinks",
        "buyer2",
        "sofia",
        S.EXPIRED,
        {
            "title": "Cufflinks for my father",
            "category": "cufflinks",
            "brief": "Simple forged cufflinks with his initials.",
            "engraving_text": "J.N.",
        },
    ),
    (
        "kofi-pendant",
        "buyer",
        "kofi",
        S.IN_PROGRESS,
        {
            "title": "Adinkra pendant",
            "category": "pendant",
            "brief": "A cast Sankofa pendant in artisanal-mined gold.",
            "material_preferences": "Gold from the mines you work with.",
        },
    ),
]

PHOTO_STAGES = {
    "design": (
        "Design and sketches",
        "Two first sketches: which proportion do you prefer?",
    ),
    "fabrication": ("Fabrication", "The band is forged and soldered."),
    "finishing": ("Finishing", "Polished and ready; photos in daylight."),
}


def _photos(seed: int, metal: str, shape: str, count: int = 2):
    return [
        demo_images.piece_photo(seed + n, metal=metal, shape=shape, size=600)
        for n in range(count)
    ]


def _shape(category: str) -> str:
    return "ring" if category in ("ring", "bracelet") else "pendant"


def _quote(commission, *, price, deposit, days=14):
    today = timezone.localdate()
    return services.commission_quote(
        actor=commission.artisan.user,
        commission=commission,
        price=Decimal(price),
        deposit=Decimal(deposit),
        estimated_completion_date=today + timedelta(days=42),
        valid_until=today + timedelta(days=days),
        materials_commitments=(
            "Recycled sterling silver from a certified refiner; every gram recorded "
            "in the piece's provenance chain."
        ),
        note="Includes hallmarking and insured shipping.",
    )


def _walk(commission: Commission, target: str, seed: int) -> None:
    """Move a fresh commission along the main path until it reaches ``target``."""
    a, b = commission.artisan.user, commission.buyer
    metal = "gold" if "gold" in commission.title.lower() else "silver"
    shape = _shape(commission.category)
    services.message_post(
        actor=b,
        commission=commission,
        body="Thank you for looking at this. Happy to answer any questions.",
    )
    if target == S.SUBMITTED:
        return
    if target == S.DECLINED:
        services.commission_decline(
            actor=a,
            commission=commission,
            reason="Enamel is not something I do well; I would rather you find a specialist.",
        )
        return
    services.message_post(
        actor=a,
        commission=commission,
        body="Lovely idea. A quote follows; tell me if the date works for you.",
    )
    if target == S.QUOTED:
        _quote(commission, price="420.00", deposit="120.00")
        _quote(commission, price="395.00", deposit="100.00")  # v2 supersedes v1
        return
    if target == S.EXPIRED:
        _quote(commission, price="180.00", deposit="0.00")
        services.commission_expire(
            commission=commission, reason="Quote v1 was not accepted in time."
        )
        return
    deposit = "100.00" if target != S.CANCELLED else "0.00"
    _quote(commission, price="480.00", deposit=deposit)
    services.commission_accept_quote(actor=b, commission=commission, version=1)
    if target == S.ACCEPTED:
        return
    if target == S.CANCELLED:
        services.commission_cancel(
            actor=b,
            commission=commission,
            reason="We found a pair in the family after all. Sorry!",
        )
        return
    payment = services.payment_record(
        actor=b,
        commission=commission,
        kind="deposit",
        amount=Decimal(deposit),
        reference=f"BANK-{commission.pk:05d}",
    )
    services.payment_confirm(actor=a, commission=commission, payment_id=payment.pk)
    services.commission_start(actor=a, commission=commission)
    _stage, note = PHOTO_STAGES["design"]
    sketch = services.commission_post_update(
        actor=a,
        commission=commission,
        stage=ProgressUpdate.Stage.DESIGN,
        note=note,
        needs_approval=True,
        photos=_photos(seed, metal, shape),
    )
    if commission.artisan.user.username == "kofi":
        services.commission_request_changes(
            actor=b,
            commission=commission,
            update_id=sketch.pk,
            note="Could the bird's head turn a little more to the back?",
        )
        return
    if target == S.IN_PROGRESS:
        return  # the sketch awaits the buyer's approval
    services.commission_approve_update(
        actor=b, commission=commission, update_id=sketch.pk, note="The second one!"
    )
    _stage, note = PHOTO_STAGES["fabrication"]
    services.commission_post_update(
        actor=a,
        commission=commission,
        stage=ProgressUpdate.Stage.FABRICATION,
        note=note,
        photos=_photos(seed + 10, metal, shape, 1),
        use_as_evidence=True,
    )
    _stage, note = PHOTO_STAGES["finishing"]
    services.commission_post_update(
        actor=a,
        commission=commission,
        stage=ProgressUpdate.Stage.FINISHING,
        note=note,
        photos=_photos(seed + 20, metal, shape, 1),
        use_as_evidence=True,
    )
    services.commission_submit_for_review(actor=a, commission=commission)
    if target == S.READY_FOR_REVIEW:
        return
    services.commission_approve(actor=b, commission=commission)
    if target == S.APPROVED:
        return
    balance = services.payment_record(
        actor=b,
        commission=commission,
        kind="balance",
        amount=Decimal("380.00"),
        reference=f"BANK-{commission.pk:05d}-B",
    )
    services.payment_confirm(actor=a, commission=commission, payment_id=balance.pk)
    if commission.base_listing_id:
        metals = []
        components = [
            (c.metal, c.fineness, c.weight_grams)
            for c in commission.base_listing.metals.all()
        ]
    else:
        metals = [
            {"metal": "silver", "fineness": 925, "weight_grams": Decimal("6.400")}
        ]
        components = [("silver", 925, Decimal("6.400"))]
    inputs, loss = [], Decimal("0")
    for metal_name, fineness, grams in components:
        part_loss = (grams * LOSS_SHARE).quantize(Decimal("0.001"))
        inputs.append(
            (_lot(a, metal_name, fineness, grams + part_loss), grams + part_loss)
        )
        loss += part_loss
    services.commission_complete(
        actor=a, commission=commission, metals=metals, inputs=inputs, loss_grams=loss
    )


def _lot(user, metal: str, fineness: int | None, grams: Decimal):
    """One of the artisan's lots with enough left, or a new purchase of recycled metal."""
    for lot in lot_list(user=user).filter(
        material=MaterialLot.Material.METAL, metal=metal, fineness=fineness
    ):
        if lot.remaining_grams >= grams:
            return lot
    supplier = (
        party_list(user=user).filter(kind=Party.Kind.SUPPLIER, artisan=None).first()
    )
    if supplier is None:
        supplier = party_create(
            actor=user,
            kind=Party.Kind.SUPPLIER,
            name="Hallam Recycled Bullion",
            country="GB",
            place="Sheffield",
        )
    return lot_purchase(
        actor=user,
        supplier=supplier,
        reference=f"CM-{metal[:2].upper()}{fineness or 0}-{user.pk:03d}",
        material=MaterialLot.Material.METAL,
        metal=metal,
        fineness=fineness,
        mass_grams=max(Decimal("50"), (grams * 4).quantize(Decimal("1"))),
        origin_type="recycled_post_consumer",
        origin_country="GB",
        purchased_at=timezone.now() - timedelta(days=60),
        note="Recycled casting grain for commissions.",
    )


def seed(users, artisans: dict[str, Artisan]) -> dict[str, int]:
    """Seed the plan; returns how many commissions were created and skipped."""
    created = skipped = 0
    with emails_suppressed():
        for index, (_key, buyer_key, artisan_key, target, details) in enumerate(PLAN):
            artisan = artisans.get(artisan_key)
            buyer = users.get(buyer_key)
            if artisan is None or buyer is None:
                continue
            if Commission.objects.filter(
                buyer=buyer, artisan=artisan, title=details["title"]
            ).exists():
                continue
            details = dict(details)
            if details.get("kind") == Commission.Kind.MODIFICATION:
                base = (
                    Listing.objects.published()
                    .filter(artisan=artisan)
                    .order_by("published_at", "id")
                    .first()
                )
                if base is None:
                    skipped += 1  # no published piece to modify yet
                    continue
                details["base_listing"] = base
                details["category"] = base.category
            created += _seed_one(buyer, artisan, target, details, seed=100 + index * 7)
    return {"created": created, "skipped": skipped}


def _seed_one(buyer, artisan: Artisan, target: str, details: dict, *, seed: int) -> int:
    status = artisan.commission_status
    closed = status == Artisan.CommissionStatus.CLOSED
    if closed:
        # Kofi took these requests before closing his books; reopen briefly to replay.
        Artisan.objects.filter(pk=artisan.pk).update(
            commission_status=Artisan.CommissionStatus.OPEN
        )
        artisan.refresh_from_db()
    try:
        commission = services.commission_request(
            buyer=buyer,
            artisan=artisan,
            kind=details.pop("kind", Commission.Kind.BESPOKE),
            reference_images=[demo_images.piece_photo(seed, size=500)],
            **details,
        )
        if target == S.WAITLISTED:
            return 1
        if commission.status == S.WAITLISTED:
            commission = services.commission_admit(
                actor=artisan.user, commission=commission
            )
        _walk(commission, target, seed)
    finally:
        if closed:
            Artisan.objects.filter(pk=artisan.pk).update(commission_status=status)
    return 1
