# ruff: noqa: C408  (the demo pieces read best as dict(...) rows)
"""Demo catalogue: pieces by the four demo artisans, covering every facet value.

Everything goes through the services (materials rules, photos, hallmark verification by
the demo verifier), so the demo shows what the product enforces. Idempotent: a piece
whose slug exists is left alone.
"""

import datetime
from decimal import Decimal

from django.utils.text import slugify

from artisans.models import MakerMark, Technique
from marketplace.catalogue.models import Listing
from marketplace.catalogue.services import listings as services
from marketplace.catalogue.services.favourites import favourite_add
from marketplace.catalogue.services.prices import metal_price_set
from marketplace.demo import images as demo_images
from provenance.models import VerificationStatus
from provenance.services.verification import claim_submit, claim_transition

STONE_COLOURS = {
    "sapphire": (40, 70, 160),
    "ruby": (170, 20, 50),
    "emerald": (20, 130, 80),
    "garnet": (120, 20, 30),
    "diamond": (235, 240, 250),
    "opal": (200, 210, 230),
    "amethyst": (130, 70, 160),
    "turquoise": (60, 180, 170),
    "moonstone": (220, 225, 235),
    "spinel": (190, 40, 90),
}

# (mark text, registration system, verify it?)
MARKS = {
    "wayan": ("WS", MakerMark.RegistrationSystem.OTHER_REGISTRY, True),
    "amina": ("AEI", MakerMark.RegistrationSystem.UK_SPONSOR, True),
    "sofia": ("SL", MakerMark.RegistrationSystem.UK_SPONSOR, True),
    "kofi": ("KM", MakerMark.RegistrationSystem.UNREGISTERED, False),
}

SOLID = "solid"


def _m(metal, fineness, grams, construction=SOLID, plating="", microns=None):
    return {
        "metal": metal,
        "fineness": fineness,
        "weight_grams": Decimal(str(grams)),
        "construction": construction,
        "plating_metal": plating,
        "plating_thickness_microns": Decimal(str(microns)) if microns else None,
    }


def _g(species, nature="natural", treatment="none", carat="0.5", country="", lab=None):
    stone = {
        "species": species,
        "nature": nature,
        "treatment": treatment,
        "carat": Decimal(carat),
        "origin_country": country,
    }
    if lab:
        stone["lab_report_issuer"], stone["lab_report_number"] = lab
    return stone


# Hallmark specs: (system, metal, fineness mark, state, extra fields)
PIECES = [
    # --- Wayan (Indonesia): granulated silver ---
    dict(
        artisan="wayan",
        title="Granulated sterling cuff",
        category="bracelet",
        price="420",
        metals=[_m("silver", 925, 38)],
        techniques=["granulation", "hand-soldering"],
        hallmark=("ccm", "silver", 925, "verified", {"assay_office": "Jakarta"}),
    ),
    dict(
        artisan="wayan",
        title="Bali dot stud earrings",
        category="earrings",
        price="85",
        metals=[_m("silver", 925, 3.2)],
        techniques=["granulation"],
    ),
    dict(
        artisan="wayan",
        title="Filigree frangipani pendant",
        category="pendant",
        price="160",
        metals=[_m("silver", 958, 6.4)],
        techniques=["filigree"],
        hallmark=("makers_declaration", "silver", 958, "declared", {}),
    ),
    dict(
        artisan="wayan",
        title="Oxidised granule ring",
        category="ring",
        price="130",
        metals=[_m("silver", 925, 7.1)],
        techniques=["granulation", "oxidation-patina"],
        ring_size="N",
    ),
    dict(
        artisan="wayan",
        title="Fine silver rain necklace",
        category="necklace",
        price="290",
        kind="limited_edition",
        edition_size=12,
        metals=[_m("silver", 999, 19)],
        techniques=["hand-soldering"],
        hallmark=("ccm", "silver", 999, "submitted", {"assay_office": "Jakarta"}),
    ),
    dict(
        artisan="wayan",
        title="Moonstone temple ring",
        category="ring",
        price="210",
        metals=[_m("silver", 925, 6.8)],
        stones=[_g("moonstone", country="LK", carat="1.8")],
        techniques=["bezel-setting", "granulation"],
    ),
    dict(
        artisan="wayan",
        title="Granulated cufflinks",
        category="cufflinks",
        price="175",
        metals=[_m("silver", 925, 11.5)],
        techniques=["granulation"],
        kind="made_to_order",
        lead_time_days=21,
    ),
    dict(
        artisan="wayan",
        title="Silver lotus brooch",
        category="brooch",
        price="145",
        metals=[_m("silver", 925, 9.2)],
        techniques=["filigree", "hand-soldering"],
    ),
    # --- Amina (Morocco): chased silver, Fairmined gold ---
    dict(
        artisan="amina",
        title="Chased silver hand of Fatima pendant",
        category="pendant",
        price="190",
        metals=[_m("silver", 925, 8.8)],
        techniques=["chasing", "hand-engraving"],
        hallmark=(
            "uk",
            "silver",
            925,
            "verified",
            {"assay_office": "London", "date_letter": "z"},
        ),
    ),
    dict(
        artisan="amina",
        title="Engraved wedding band in 18K gold",
        category="ring",
        price="1150",
        metals=[_m("gold", 750, 5.6)],
        techniques=["hand-engraving"],
        hallmark=(
            "uk",
            "gold",
            750,
            "verified",
            {"assay_office": "London", "date_letter": "z"},
        ),
        ring_size="L",
    ),
    dict(
        artisan="amina",
        title="Fez garnet drop earrings",
        category="earrings",
        price="240",
        metals=[_m("silver", 925, 5.4)],
        stones=[_g("garnet", country="MA", carat="2.1")],
        techniques=["bezel-setting"],
    ),
    dict(
        artisan="amina",
        title="Repoussé silver collar",
        category="necklace",
        price="680",
        metals=[_m("silver", 925, 46)],
        techniques=["repousse", "chasing"],
        hallmark=("uk", "silver", 925, "rejected", {"assay_office": "Birmingham"}),
    ),
    dict(
        artisan="amina",
        title="Lab-grown emerald cocktail ring",
        category="ring",
        price="520",
        metals=[_m("gold", 585, 4.9)],
        stones=[
            _g("emerald", nature="lab_grown", carat="1.2", lab=("IGI", "LG5512093"))
        ],
        techniques=["bezel-setting"],
        hallmark=("uk", "gold", 585, "submitted", {"assay_office": "London"}),
    ),
    dict(
        artisan="amina",
        title="Vermeil crescent brooch",
        category="brooch",
        price="155",
        metals=[_m("silver", 925, 6.2, "vermeil", "gold", 3)],
        techniques=["chasing"],
    ),
    dict(
        artisan="amina",
        title="Gold-plated brass bangle",
        category="bracelet",
        price="65",
        metals=[_m("brass", None, 22, "plated", "gold", 1)],
        techniques=["repousse"],
    ),
    dict(
        artisan="amina",
        title="Turquoise cuff links",
        category="cufflinks",
        price="210",
        metals=[_m("silver", 925, 12)],
        stones=[_g("turquoise", treatment="oil", country="IR", carat="3.0")],
        techniques=["bezel-setting"],
    ),
    # --- Sofia (Sweden): forged recycled gold and silver ---
    dict(
        artisan="sofia",
        title="Forged 18K gold signet ring",
        category="ring",
        price="1480",
        metals=[_m("gold", 750, 9.5)],
        techniques=["hand-forging"],
        hallmark=(
            "uk",
            "gold",
            750,
            "verified",
            {"assay_office": "Edinburgh", "date_letter": "z"},
        ),
        ring_size="P",
    ),
    dict(
        artisan="sofia",
        title="Heavy sterling chain bracelet",
        category="bracelet",
        price="340",
        metals=[_m("silver", 925, 31)],
        techniques=["hand-forging"],
        hallmark=("uk", "silver", 925, "verified", {"assay_office": "Edinburgh"}),
    ),
    dict(
        artisan="sofia",
        title="Platinum solitaire ring",
        category="ring",
        price="3200",
        metals=[_m("platinum", 950, 6.1)],
        stones=[_g("diamond", carat="0.7", country="CA", lab=("GIA", "2215897744"))],
        techniques=["prong-setting", "lost-wax-casting"],
        hallmark=("uk", "platinum", 950, "verified", {"assay_office": "London"}),
    ),
    dict(
        artisan="sofia",
        title="Palladium hoop earrings",
        category="earrings",
        price="560",
        metals=[_m("palladium", 950, 4.4)],
        techniques=["hand-forging"],
        hallmark=("uk", "palladium", 950, "submitted", {"assay_office": "London"}),
    ),
    dict(
        artisan="sofia",
        title="Cast sapphire pendant",
        category="pendant",
        price="890",
        metals=[_m("gold", 585, 3.8)],
        stones=[_g("sapphire", treatment="heat", country="LK", carat="0.9")],
        techniques=["lost-wax-casting", "prong-setting"],
        hallmark=("uk", "gold", 585, "verified", {"assay_office": "London"}),
    ),
    dict(
        artisan="sofia",
        title="Sterling bar necklace",
        category="necklace",
        price="120",
        metals=[_m("silver", 925, 9.8)],
        techniques=["hand-forging"],
    ),
    dict(
        artisan="sofia",
        title="Lab-grown diamond studs",
        category="earrings",
        price="780",
        metals=[_m("gold", 750, 1.6)],
        stones=[
            _g("diamond", nature="lab_grown", carat="0.5", lab=("IGI", "LG6120055"))
        ],
        techniques=["prong-setting"],
        kind="limited_edition",
        edition_size=20,
    ),
    dict(
        artisan="sofia",
        title="Forged gold cufflinks",
        category="cufflinks",
        price="2100",
        metals=[_m("gold", 585, 12.5)],
        techniques=["hand-forging"],
        kind="made_to_order",
        lead_time_days=35,
    ),
    dict(
        artisan="sofia",
        title="Knot brooch in sterling",
        category="brooch",
        price="95",
        metals=[_m("silver", 925, 5.1)],
        techniques=["hand-forging"],
    ),
    # --- Kofi (Ghana): Ashanti lost-wax gold ---
    dict(
        artisan="kofi",
        title="Ashanti lost-wax gold pendant",
        category="pendant",
        price="1350",
        metals=[_m("gold", 916, 7.2)],
        techniques=["lost-wax-casting"],
        hallmark=("makers_declaration", "gold", 916, "declared", {}),
    ),
    dict(
        artisan="kofi",
        title="Adinkra cable twist bracelet",
        category="bracelet",
        price="990",
        metals=[_m("gold", 750, 10.4)],
        techniques=["cable-twist", "hand-soldering"],
    ),
    dict(
        artisan="kofi",
        title="Gye Nyame ring in 22K gold",
        category="ring",
        price="760",
        metals=[_m("gold", 916, 4.6)],
        techniques=["lost-wax-casting"],
        ring_size="R",
    ),
    dict(
        artisan="kofi",
        title="Brass Akan goldweight",
        category="other",
        price="45",
        metals=[_m("brass", None, 28)],
        techniques=["lost-wax-casting"],
    ),
    dict(
        artisan="kofi",
        title="Imitation pearl drop earrings",
        category="earrings",
        price="70",
        metals=[_m("silver", 925, 2.8)],
        stones=[_g("pearl", nature="imitation", treatment="coating", carat="4.0")],
        techniques=["hand-soldering"],
    ),
    dict(
        artisan="kofi",
        title="Gold-filled kente chain",
        category="necklace",
        price="230",
        metals=[_m("brass", None, 14, "gold_filled", "gold")],
        techniques=["cable-twist"],
        kind="limited_edition",
        edition_size=30,
    ),
    dict(
        artisan="kofi",
        title="Sankofa bird brooch",
        category="brooch",
        price="480",
        metals=[_m("gold", 375, 6.3)],
        techniques=["lost-wax-casting"],
        kind="made_to_order",
        lead_time_days=28,
    ),
    dict(
        artisan="kofi",
        title="Ruby stool ring",
        category="ring",
        price="1620",
        metals=[_m("gold", 750, 6.0)],
        stones=[_g("ruby", treatment="heat", country="MZ", carat="0.8")],
        techniques=["prong-setting", "lost-wax-casting"],
        currency="EUR",
    ),
]

DRAFTS = [
    dict(
        artisan="wayan",
        title="Unfinished granulated choker",
        category="necklace",
        price=None,
        metals=[_m("silver", 925, 24)],
    ),
    dict(
        artisan="sofia",
        title="Prototype platinum band",
        category="ring",
        price="1900",
        metals=[_m("platinum", 950, 7)],
    ),
    dict(
        artisan="amina",
        title="Engraved locket (in progress)",
        category="pendant",
        price="310",
        metals=[],
    ),
]

SHAPES = {
    "ring": "ring",
    "bracelet": "bracelet",
    "cufflinks": "ring",
}


def _mark(artisan, username, verifier) -> MakerMark:
    text, system, verify = MARKS[username]
    verified = artisan.maker_marks.filter(
        verification_status=VerificationStatus.VERIFIED
    ).first()
    if verified:
        return verified
    # The artisans' demo may already have registered this mark (in review, say):
    # use it as it stands rather than registering it twice.
    existing = artisan.maker_marks.filter(text=text).first()
    if existing:
        return existing
    mark, _ = MakerMark.objects.get_or_create(
        artisan=artisan,
        text=text,
        registration_system=system,
        defaults={"registry_reference": f"{text}-{artisan.pk:04d}"},
    )
    if verify and mark.verification_status == VerificationStatus.DRAFT:
        claim_submit(record=mark, actor=artisan.user)
        claim_transition(record=mark, actor=verifier, action="verify")
        mark.refresh_from_db()
    return mark


def _hallmark(listing, spec, mark, verifier):
    system, metal, fineness, state, extra = spec
    if system in ("uk", "us_stamp") and not (mark and mark.is_verified):
        # No verified mark to strike yet (it is still in review): until then the
        # maker can only declare the fineness themselves.
        system, extra = "makers_declaration", {}
    needs_mark = system in ("uk", "us_stamp") or (mark and mark.is_verified)
    record = services.hallmark_record_add(
        listing=listing,
        actor=listing.artisan.user,
        system=system,
        metal=metal,
        fineness_mark=fineness,
        maker_mark=mark if needs_mark and mark.is_verified else None,
        **extra,
    )
    user = listing.artisan.user
    if state in ("submitted", "verified", "rejected"):
        services.hallmark_record_submit(record=record, actor=user)
    if state == "verified":
        claim_transition(record=record, actor=verifier, action="verify")
    elif state == "rejected":
        claim_transition(
            record=record,
            actor=verifier,
            action="reject",
            reason="The assay office's register has no such date letter for this sponsor.",
        )


def _piece(spec, *, artisans, verifier, marks, index, publish=True):
    spec = dict(spec)
    username = spec.pop("artisan")
    artisan = artisans[username]
    slug = slugify(spec["title"])
    if Listing.objects.filter(slug=slug).exists():
        return None
    user = artisan.user
    metals = spec.pop("metals", [])
    stones = spec.pop("stones", [])
    hallmark = spec.pop("hallmark", None)
    technique_slugs = spec.pop("techniques", [])
    price = spec.pop("price")
    listing = services.listing_create(
        artisan=artisan,
        actor=user,
        techniques=Technique.objects.filter(slug__in=technique_slugs),
        price=Decimal(price) if price else None,
        description=spec.pop("description", None)
        or (
            f"{spec['title']}, made by hand in the workshop of {artisan.public_name}. "
            f"{artisan.story.split('.')[0]}."
        ),
        dimensions=spec.pop("dimensions", ""),
        **spec,
    )
    for metal in metals:
        services.metal_component_add(listing=listing, actor=user, **metal)
    for stone in stones:
        services.gemstone_add(listing=listing, actor=user, **stone)
    main_metal = metals[0]["metal"] if metals else "silver"
    if main_metal not in demo_images.METAL_TONES:
        main_metal = "gold"
    colour = STONE_COLOURS.get(stones[0]["species"]) if stones else None
    shape = SHAPES.get(listing.category, "pendant")
    services.listing_photo_add(
        listing=listing,
        actor=user,
        image=demo_images.piece_photo(
            1000 + index, metal=main_metal, stone=colour, shape=shape, size=360
        ),
        alt_text=f"{listing.title} on a linen backdrop",
        role="main",
    )
    if hallmark:
        _hallmark(listing, hallmark, marks[username], verifier)
    if publish and price and metals:
        services.listing_publish(listing=listing, actor=user)
    return listing


def seed(users, artisans) -> list[Listing]:
    """Published pieces, a few drafts, reference metal prices and a buyer's favourites."""
    verifier = users["verifier"]
    marks = {name: _mark(artisans[name], name, verifier) for name in artisans}
    today = datetime.date.today()
    for metal, price in (
        ("gold", "62.40"),
        ("silver", "0.78"),
        ("platinum", "25.10"),
        ("palladium", "27.30"),
    ):
        metal_price_set(
            actor=verifier,
            metal=metal,
            price_per_gram=Decimal(price),
            as_of=today - datetime.timedelta(days=1),
        )
    created = []
    for index, spec in enumerate(PIECES):
        listing = _piece(
            spec, artisans=artisans, verifier=verifier, marks=marks, index=index
        )
        if listing:
            created.append(listing)
    for index, spec in enumerate(DRAFTS):
        _piece(
            spec,
            artisans=artisans,
            verifier=verifier,
            marks=marks,
            index=500 + index,
            publish=False,
        )
    buyer = users["buyer"]
    for slug in ("granulated-sterling-cuff", "forged-18k-gold-signet-ring"):
        listing = Listing.objects.filter(slug=slug).first()
        if listing:
            favourite_add(user=buyer, listing=listing)
    favourite_add(user=buyer, artisan=artisans["kofi"])
    return created
