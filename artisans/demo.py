"""Demo artisans: four workshops from different traditions and countries."""

from django.utils.text import slugify

from artisans.models import Artisan, Technique, Tradition
from artisans.services import artisan_set_images
from config import demo_images

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
