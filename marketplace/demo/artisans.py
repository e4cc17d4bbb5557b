"""Demo artisans: four workshops from different traditions and countries."""

from django.utils.text import slugify

from artisans.models import Artisan, MakerMark, Technique, Tradition
from artisans.services import artisan_set_images, maker_mark_create
from marketplace.demo import images as demo_images
from provenance.services.verification import (
    TRANSITIONS,
    claim_transition,
    evidence_add,
)

TECHNIQUES = [
    ("Filigree", "Fine wires twisted and soldered into lace-like patterns."),
    ("Granulation", "Tiny spheres of metal fused to a surface."),
    ("Repoussé", "Metal shaped by hammering from the reverse."),
    ("Chasing", "Detail struck into the front of the metal."),
    ("Hand engraving", "Lines cut by hand with a graver."),
    ("Lost-wax casting", "A carved wax model replaced by molten metal."),
    ("Hand forging", "Metal shaped with hammer and anvil."),
    ("Hand soldering", "Parts joined by hand with solder and flame."),
    ("Bezel setting", "A stone held by a collar of metal."),
    ("Prong setting", "A stone held by claws."),
    ("Oxidation (patina)", "Darkened recesses that bring out texture."),
    ("Cable twist", "Wires twisted together like a rope."),
]

TRADITIONS = [
    "Balinese silversmithing",
    "Moroccan metalsmithing",
    "Scandinavian modernism",
    "Ashanti goldsmithing",
    "English bench jewellery",
]

ARTISANS = {
    "wayan": {
        "public_name": "Wayan Sudarma",
        "story": (
            "Wayan learned granulation at his grandfather's bench in Celuk, the silversmiths' "
            "village of Bali. Every bead is formed and fused by hand; a single cuff can hold "
            "two thousand of them. He works in recycled sterling and fine silver."
        ),
        "traditions": ["Balinese silversmithing"],
        "techniques": [
            "Granulation",
            "Filigree",
            "Hand soldering",
            "Oxidation (patina)",
        ],
        "workshop_name": "Sudarma Silver",
        "city": "Celuk",
        "region": "Gianyar, Bali",
        "country": "ID",
        "years_of_practice": 24,
        "workshop_visits": True,
        "commission_status": Artisan.CommissionStatus.OPEN,
        "commission_lead_time_weeks": 6,
        "tones": ((176, 128, 92), (60, 92, 84)),
    },
    "amina": {
        "public_name": "Amina El Idrissi",
        "story": (
            "Amina's workshop sits in the Fez medina, where she chases and engraves silver "
            "in patterns her mother taught her. She sets Moroccan stones and works with "
            "Fairmined gold for her wedding pieces."
        ),
        "traditions": ["Moroccan metalsmithing"],
        "techniques": ["Chasing", "Hand engraving", "Repoussé", "Bezel setting"],
        "workshop_name": "Atelier Amina",
        "city": "Fez",
        "region": "Fès-Meknès",
        "country": "MA",
        "years_of_practice": 17,
        "workshop_visits": True,
        "commission_status": Artisan.CommissionStatus.WAITLIST,
        "commission_lead_time_weeks": 10,
        "tones": ((190, 142, 104), (120, 52, 48)),
    },
    "sofia": {
        "public_name": "Sofia Lindqvist",
        "story": (
            "Sofia forges clean, heavy forms from recycled gold and silver in a small studio "
            "on Södermalm. Her pieces are hallmarked at the assay office and made to be "
            "worn every day for decades."
        ),
        "traditions": ["Scandinavian modernism"],
        "techniques": ["Hand forging", "Lost-wax casting", "Prong setting"],
        "workshop_name": "Lindqvist Smide",
        "city": "Stockholm",
        "region": "Södermalm",
        "country": "SE",
        "years_of_practice": 11,
        "workshop_visits": False,
        "commission_status": Artisan.CommissionStatus.OPEN,
        "commission_lead_time_weeks": 4,
        "tones": ((232, 196, 168), (52, 70, 96)),
    },
    "kofi": {
        "public_name": "Kofi Mensah",
        "story": (
            "Kofi casts gold in the Ashanti lost-wax tradition in Kumasi, with metal from "
            "artisanal mines he knows by name. Each pendant begins as a beeswax model "
            "drawn by hand."
        ),
        "traditions": ["Ashanti goldsmithing"],
        "techniques": ["Lost-wax casting", "Cable twist", "Hand soldering"],
        "workshop_name": "Mensah Gold",
        "city": "Kumasi",
        "region": "Ashanti",
        "country": "GH",
        "years_of_practice": 30,
        "workshop_visits": True,
        "commission_status": Artisan.CommissionStatus.CLOSED,
        "commission_lead_time_weeks": None,
        "tones": ((120, 80, 56), (150, 110, 40)),
    },
}


def seed_vocabulary() -> None:
    for name, description in TECHNIQUES:
        Technique.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "description": description}
        )
    for name in TRADITIONS:
        Tradition.objects.get_or_create(slug=slugify(name), defaults={"name": name})


def seed(users) -> dict[str, Artisan]:
    """Profiles for the demo artisan users, with Pillow-drawn portraits and workshops."""
    seed_vocabulary()
    artisans = {}
    for index, (username, data) in enumerate(ARTISANS.items()):
        data = dict(data)
        skin, clothing = data.pop("tones")
        traditions = data.pop("traditions")
        techniques = data.pop("techniques")
        artisan, created = Artisan.objects.get_or_create(
            user=users[username],
            defaults={**data, "slug": slugify(data["public_name"])},
        )
        if created:
            artisan.traditions.set(Tradition.objects.filter(name__in=traditions))
            artisan.techniques.set(Technique.objects.filter(name__in=techniques))
            artisan_set_images(
                artisan=artisan,
                portrait=demo_images.portrait(index, skin=skin, clothing=clothing),
                workshop_photos=[
                    (
                        demo_images.workshop(index * 10 + n),
                        f"{data['workshop_name']} bench",
                    )
                    for n in range(2)
                ],
            )
        artisans[username] = artisan
    return artisans


# Maker's marks and their review state. Each step runs through the workflow service, as
# the artisan or the demo verifier would, so the review history exists.
MARKS = {
    "wayan": [
        {
            "text": "WS",
            "registration_system": "other_registry",
            "registry_reference": "DJKI IDM000812345",
            "steps": ["submit", "start_review", "verify"],
        },
    ],
    "amina": [
        {
            "text": "AEI",
            "registration_system": "unregistered",
            "registry_reference": "",
            "steps": ["submit", "request_information"],
            "reason": (
                "Please send a close-up photo of the mark as struck on a finished piece, "
                "next to a ruler."
            ),
        },
    ],
    "sofia": [
        {
            "text": "SL",
            "registration_system": "uk_sponsor",
            "registry_reference": "LON SL 2019-0441",
            "steps": ["submit", "start_review", "verify"],
        },
        {
            "text": "S·L",
            "registration_system": "other_registry",
            "registry_reference": "SE-GULD 1123",
            "steps": [],
        },
    ],
    "kofi": [
        {
            "text": "KM",
            "registration_system": "us_trademark",
            "registry_reference": "USPTO 97/123,456",
            "steps": ["submit"],
        },
    ],
}

# Profile reviews: two verified, one waiting, one being reviewed.
PROFILE_STEPS = {
    "wayan": ["submit", "start_review", "verify"],
    "sofia": ["submit", "verify"],
    "amina": ["submit"],
    "kofi": ["submit", "start_review"],
}


def _run_steps(record, steps, *, owner, verifier, reason="") -> None:
    for action in steps:
        actor = owner if TRANSITIONS[action].by == "owner" else verifier
        claim_transition(
            record=record,
            actor=actor,
            action=action,
            reason=reason if TRANSITIONS[action].reason_required else "",
        )


def seed_marks_and_reviews(artisans: dict[str, Artisan], verifier) -> int:
    """Maker's marks in several states and some reviews waiting; idempotent."""
    created = 0
    for username, marks in MARKS.items():
        artisan = artisans.get(username)
        if artisan is None:
            continue
        owner = artisan.user
        if not artisan.reviews.exists():
            _run_steps(artisan, PROFILE_STEPS[username], owner=owner, verifier=verifier)
        for data in marks:
            data = dict(data)
            steps = data.pop("steps")
            reason = data.pop("reason", "")
            if MakerMark.objects.filter(artisan=artisan, text=data["text"]).exists():
                continue
            mark = maker_mark_create(
                artisan=artisan,
                actor=owner,
                data=data,
                image=demo_images.mark_image(data["text"]),
            )
            if steps:
                evidence_add(
                    record=mark,
                    actor=owner,
                    uploaded=demo_images.mark_image(data["text"], size=600),
                    description=f"Close-up of the “{data['text']}” mark as struck",
                )
            _run_steps(mark, steps, owner=owner, verifier=verifier, reason=reason)
            created += 1
    return created
