"""Generate a benchmark dataset of artisans and pieces with bulk inserts.

    .venv/bin/python bench/dataset.py --size S|M|L [--database-url URL]

Sizes: XS 20 listings / 4 artisans (tests), S 1k / 50, M 100k / 2k, L 1M / 20k
(PostgreSQL only). Without --database-url the dataset goes into its own SQLite file,
bench/bench-<size>.sqlite3; with a postgres:// URL into that database. The database is
emptied and migrated first, then filled in batches with ``bulk_create``.

Distributions aim at a plausible shop: mostly sterling silver and gold at standard
finenesses, gemstones on about 40% of pieces, hallmark records on about half with a mix
of verification states, one to four photos per piece (all pointing at a handful of real
thumbnails drawn once with Pillow), and about 90% of pieces published.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


@dataclass(frozen=True)
class Size:
    name: str
    listings: int
    artisans: int
    postgres_only: bool = False
    long_chain_events: int = 1_000  # the chain that provenance_verify is timed on


SIZES = {
    "XS": Size("XS", 20, 4, long_chain_events=50),
    "S": Size("S", 1_000, 50),
    "M": Size("M", 100_000, 2_000),
    "L": Size("L", 1_000_000, 20_000, postgres_only=True),
}

BATCH = 5_000  # listings per transaction; children are inserted with their batch
PHOTO_FILES = 6  # distinct images on disk, shared by every photo row

# --- Distributions --------------------------------------------------------------------
# (value, weight) pairs; weights need not sum to anything in particular.
CATEGORIES = [
    ("ring", 30),
    ("earrings", 20),
    ("necklace", 14),
    ("pendant", 12),
    ("bracelet", 10),
    ("brooch", 5),
    ("cufflinks", 4),
    ("other", 5),
]
METALS = [
    ("silver", 55),
    ("gold", 28),
    ("platinum", 4),
    ("palladium", 2),
    ("brass", 6),
    ("copper", 3),
    ("steel", 2),
]
# Standard fineness values (DOMAIN.md), weighted by how common they are in practice.
FINENESS = {
    "silver": [(925, 75), (999, 10), (958, 8), (800, 7)],
    "gold": [(375, 25), (585, 30), (750, 35), (916, 7), (999, 3)],
    "platinum": [(950, 70), (900, 15), (850, 10), (999, 5)],
    "palladium": [(950, 60), (500, 30), (999, 10)],
}
PRECIOUS = set(FINENESS)
# Price of a typical piece by metal (GBP): the median of a log-normal spread.
PRICE_MEDIAN = {
    "silver": 120,
    "gold": 900,
    "platinum": 1800,
    "palladium": 1100,
    "brass": 45,
    "copper": 40,
    "steel": 60,
}
WEIGHT_RANGE = {  # grams, by category
    "ring": (2, 12),
    "earrings": (1, 8),
    "necklace": (5, 40),
    "pendant": (2, 15),
    "bracelet": (8, 60),
    "brooch": (4, 20),
    "cufflinks": (8, 20),
    "other": (2, 30),
}
KINDS = [("one_of_a_kind", 70), ("limited_edition", 20), ("made_to_order", 10)]
STATUSES = [
    ("published", 90),
    ("draft", 7),
    ("reserved", 1),
    ("sold", 1.5),
    ("archived", 0.5),
]
CURRENCIES = [("GBP", 80), ("EUR", 12), ("USD", 8)]
GEM_SPECIES = [
    ("diamond", 18),
    ("sapphire", 12),
    ("garnet", 10),
    ("amethyst", 10),
    ("pearl", 9),
    ("emerald", 6),
    ("ruby", 6),
    ("opal", 6),
    ("topaz", 5),
    ("turquoise", 5),
    ("moonstone", 5),
    ("peridot", 3),
    ("aquamarine", 2),
    ("tourmaline", 2),
    ("spinel", 1),
]
GEM_NATURE = [("natural", 65), ("lab_grown", 25), ("imitation", 10)]
GEM_TREATMENT = [("none", 60), ("heat", 25), ("oil", 5), ("unknown", 10)]
GEM_ORIGINS = ["LK", "MM", "CO", "BR", "MG", "TZ", "AU", "IN", "TH", "MZ"]
# Artisan countries with the hallmarking system an artisan there would use.
COUNTRIES = [
    ("GB", 14),
    ("IN", 12),
    ("ID", 8),
    ("MA", 6),
    ("IT", 8),
    ("US", 10),
    ("MX", 6),
    ("SE", 4),
    ("GH", 4),
    ("PE", 4),
    ("TH", 5),
    ("FR", 5),
    ("DE", 4),
    ("NP", 3),
    ("KE", 3),
    ("TR", 4),
]
HALLMARK_SYSTEM = {"GB": "uk", "IN": "bis", "US": "us_stamp"}
CCM_COUNTRIES = {"SE", "FR", "IT", "DE"}
ASSAY_OFFICES = {
    "uk": ["London", "Birmingham", "Sheffield", "Edinburgh"],
    "ccm": ["Swedish Assay Office", "Paris Garantie", "Italian Assay Office"],
    "bis": ["BIS Assaying and Hallmarking Centre, Jaipur", "BIS AHC, Mumbai"],
}
VERIFICATION_MIX = [
    ("verified", 50),
    ("submitted", 15),
    ("in_review", 5),
    ("draft", 18),
    ("needs_information", 5),
    ("rejected", 5),
    ("suspended", 2),
]
ARTISAN_VERIFICATION = [
    ("verified", 70),
    ("submitted", 10),
    ("draft", 15),
    ("needs_information", 5),
]
ADJECTIVES = [
    "Granulated",
    "Hammered",
    "Twisted",
    "Engraved",
    "Chased",
    "Oxidised",
    "Forged",
    "Filigree",
    "Brushed",
    "Textured",
    "Riveted",
    "Domed",
    "Scalloped",
    "Woven",
    "Carved",
]
MOTIFS = [
    "Tide",
    "Lotus",
    "Fern",
    "Harbour",
    "Medina",
    "Ember",
    "Moss",
    "Dune",
    "Cedar",
    "Comet",
    "Willow",
    "Basalt",
    "Kestrel",
    "Saffron",
    "Glacier",
    "Orchard",
]
FIRST_NAMES = [
    "Wayan",
    "Amina",
    "Sofia",
    "Kofi",
    "Priya",
    "Lucía",
    "Mateo",
    "Ingrid",
    "Aiko",
    "Tomasz",
    "Nia",
    "Ravi",
    "Elif",
    "Joon",
    "Chiara",
    "Omar",
    "Hana",
    "Pablo",
    "Freya",
    "Kwame",
]
LAST_NAMES = [
    "Sudarma",
    "El Idrissi",
    "Lindqvist",
    "Mensah",
    "Sharma",
    "Quispe",
    "Rossi",
    "Okafor",
    "Yilmaz",
    "Dubois",
    "Tanaka",
    "Novak",
    "Hughes",
    "Kariuki",
    "Gurung",
    "Moreau",
    "Silva",
    "Becker",
    "Park",
    "Thorne",
]
CARE = {
    "silver": "Store in an anti-tarnish pouch; polish with a silver cloth.",
    "gold": "Wash in warm soapy water and dry with a soft cloth.",
    "platinum": "Clean with mild soap; a jeweller can restore the polish.",
    "palladium": "Clean with mild soap and a soft brush.",
}
CARE_BASE = "Keep dry and away from perfume; wipe with a soft cloth after wear."


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _setup_django(database_url: str) -> None:
    """Point Django at the benchmark database before it reads its settings."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_MEDIA_ROOT", str(BENCH_DIR / "media"))
    os.environ.pop("DJANGO_DEBUG", None)  # debug off: no query log kept in memory
    import django

    django.setup()


def default_database_url(size: str) -> str:
    return f"sqlite:///{BENCH_DIR / f'bench-{size}.sqlite3'}"


def _reset_database(database_url: str) -> None:
    """Start from an empty database: remove the SQLite file or recreate the PostgreSQL one."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    name = urlsplit(database_url).path.lstrip("/")
    if not name.startswith(("ts_bench", "bench")):
        raise SystemExit(
            f"Refusing to recreate {name!r}: benchmark databases are named ts_bench_*."
        )
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- Media ----------------------------------------------------------------------------
def ensure_photo_files() -> list[dict]:
    """Draw PHOTO_FILES piece photos and their thumbnails once; return, for each, the
    ``ListingPhoto`` columns that point at them (image, thumbnails, width, height)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from config.images import THUMBNAIL_SIZES
    from marketplace.demo import images as demo_images

    shapes = ["ring", "pendant", "earrings", "bracelet", "ring", "pendant"]
    metals = ["silver", "gold", "silver", "platinum", "gold", "silver"]
    files = []
    for index in range(PHOTO_FILES):
        base = f"bench/piece-{index}"
        names = {"image": f"{base}.jpg"}
        names.update(
            {f"thumb_{size}": f"{base}-{size}.jpg" for size in THUMBNAIL_SIZES}
        )
        if not all(default_storage.exists(name) for name in names.values()):
            upload = demo_images.piece_photo(
                index, metal=metals[index], shape=shapes[index], size=900
            )
            original = Image.open(upload)
            for field, name in names.items():
                image = original.copy()
                if field != "image":
                    side = THUMBNAIL_SIZES[field.removeprefix("thumb_")]
                    image.thumbnail((side, side))
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=84)
                if default_storage.exists(name):
                    default_storage.delete(name)
                default_storage.save(name, ContentFile(buffer.getvalue()))
        with default_storage.open(names["image"]) as handle:
            width, height = Image.open(handle).size
        files.append({**names, "width": width, "height": height})
    return files


# --- Generation -----------------------------------------------------------------------
class Generator:
    def __init__(self, size: Size, *, seed: int = 7, log=print):
        self.size = size
        self.rng = random.Random(f"{seed}-{size.name}")
        self.log = log
        self.counts: dict[str, int] = {}

    def _count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def run(self) -> dict[str, int]:
        from django.db import connection, transaction

        from marketplace.catalogue import changes, facet_index
        from marketplace.catalogue.models import CatalogueChange

        started = time.monotonic()
        with transaction.atomic():
            self._vocabulary()
            self._accounts_and_artisans()
            self._metal_prices()
        self.photo_files = ensure_photo_files()
        # Loaded around the change log's triggers, as a restore would be; one
        # recorded change to everything then tells every process to build afresh.
        changes.uninstall(connection)
        try:
            done = 0
            while done < self.size.listings:
                n = min(BATCH, self.size.listings - done)
                with transaction.atomic():
                    self._listing_batch(done, n)
                done += n
                self.log(
                    f"  {done:>9,} listings  ({time.monotonic() - started:5.1f} s)",
                )
            self._after_bulk_inserts()
        finally:
            changes.install(connection)
        CatalogueChange.objects.all().delete()
        facet_index.record_everything()
        self._recorded_decisions()
        self._provenance_chains()
        self._analyze()
        self.counts["seconds"] = round(time.monotonic() - started, 1)
        return self.counts

    def add_chains(self) -> dict | None:
        """Origin chains for a dataset generated before the provenance models existed."""
        from artisans.models import Artisan

        self.artisans = list(Artisan.objects.select_related("user").order_by("id"))
        self.photo_files = ensure_photo_files()
        self._provenance_chains()
        return self.counts

    def _vocabulary(self) -> None:
        from django.utils.text import slugify

        from artisans.models import Technique, Tradition
        from marketplace.demo.artisans import TECHNIQUES, TRADITIONS

        Technique.objects.bulk_create(
            [
                Technique(name=name, slug=slugify(name), description=text)
                for name, text in TECHNIQUES
            ],
            ignore_conflicts=True,
        )
        Tradition.objects.bulk_create(
            [Tradition(name=name, slug=slugify(name)) for name in TRADITIONS],
            ignore_conflicts=True,
        )
        self.technique_ids = list(Technique.objects.values_list("id", flat=True))

    def _accounts_and_artisans(self) -> None:
        from django.contrib.auth import get_user_model
        from django.utils import timezone
        from django.utils.text import slugify

        from artisans.models import Artisan, MakerMark

        User = get_user_model()
        rng = self.rng
        unusable = "!bench-unusable-password"
        users = [
            User(
                username=f"artisan{i:05d}",
                email=f"artisan{i:05d}@bench.test",
                password=unusable,
            )
            for i in range(self.size.artisans)
        ]
        users.append(User(username="bench-buyer", password=unusable))
        User.objects.bulk_create(users, batch_size=2_000)
        self._count("users", len(users))
        self.buyer = users[-1]
        now = timezone.now()
        artisans = []
        for i, user in enumerate(users[:-1]):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            status = weighted(rng, ARTISAN_VERIFICATION)
            artisans.append(
                Artisan(
                    user=user,
                    public_name=name,
                    slug=f"{slugify(name)}-{i}",
                    story=f"{name} works at a small bench, making pieces by hand.",
                    workshop_name=f"{name.split()[-1]} Atelier",
                    city=rng.choice(["Old Town", "Harbour", "Market Quarter", ""]),
                    country=weighted(rng, COUNTRIES),
                    years_of_practice=rng.randint(2, 40),
                    commission_status=rng.choice(["open", "waitlist", "closed"]),
                    verification_status=status,
                    verified_at=now if status == "verified" else None,
                )
            )
        Artisan.objects.bulk_create(artisans, batch_size=2_000)
        self._count("artisans", len(artisans))
        through = Artisan.techniques.through
        links = [
            through(artisan_id=a.id, technique_id=t)
            for a in artisans
            for t in rng.sample(self.technique_ids, rng.randint(1, 4))
        ]
        through.objects.bulk_create(links, batch_size=10_000)
        marks = []
        for a in artisans:
            status = (
                "verified"
                if rng.random() < 0.75
                else rng.choice(["draft", "submitted"])
            )
            marks.append(
                MakerMark(
                    artisan=a,
                    text=f"{a.public_name.split()[0][:1]}{a.public_name.split()[-1][:1]}{a.id}",
                    registration_system=rng.choice(
                        ["uk_sponsor", "bis", "us_trademark", "other_registry"]
                    ),
                    registry_reference=f"REG-{a.id:06d}",
                    verification_status=status,
                    verified_at=now if status == "verified" else None,
                )
            )
        MakerMark.objects.bulk_create(marks, batch_size=2_000)
        self._count("maker_marks", len(marks))
        self.artisans = artisans
        self.mark_of = {m.artisan_id: m.id for m in marks}

    def _metal_prices(self) -> None:
        from django.utils import timezone

        from marketplace.catalogue.models import MetalPrice

        today = timezone.localdate()
        prices = {"gold": "62.10", "silver": "0.78", "platinum": "24.40"}
        MetalPrice.objects.bulk_create(
            [
                MetalPrice(metal=m, price_per_gram=Decimal(p), as_of=today)
                for m, p in prices.items()
            ]
        )

    def _listing_batch(self, offset: int, n: int) -> None:
        from django.utils import timezone

        from marketplace.catalogue.models import (
            Gemstone,
            HallmarkRecord,
            Listing,
            ListingPhoto,
            MetalComponent,
        )

        rng = self.rng
        now = timezone.now()
        listings, plans = [], []
        for i in range(offset, offset + n):
            artisan = self.artisans[
                min(int(rng.paretovariate(1.2)) - 1, len(self.artisans) - 1)
                if rng.random() < 0.3
                else rng.randrange(len(self.artisans))
            ]
            category = weighted(rng, CATEGORIES)
            metal = weighted(rng, METALS)
            kind = weighted(rng, KINDS)
            status = weighted(rng, STATUSES)
            currency = weighted(rng, CURRENCIES)
            price = Decimal(
                str(round(PRICE_MEDIAN[metal] * rng.lognormvariate(0, 0.6), 2))
            ).max(Decimal("5.00"))
            motif = rng.choice(MOTIFS)
            adjective = rng.choice(ADJECTIVES)
            noun = {"earrings": "earrings", "other": "piece"}.get(category, category)
            title = f"{motif} {adjective.lower()} {metal} {noun}"
            edition = rng.randint(5, 50) if kind == "limited_edition" else None
            published_at = (
                now - timedelta(minutes=rng.randint(1, 2 * 365 * 24 * 60))
                if status != "draft"
                else None
            )
            listings.append(
                Listing(
                    artisan_id=artisan.id,
                    title=title,
                    slug=f"{motif}-{adjective}-{metal}-{category}-{i}".lower(),
                    description=(
                        f"A {adjective.lower()} {metal} {noun} inspired by {motif.lower()}, "
                        f"made by hand in {artisan.country}. Each one is finished at the "
                        f"bench and varies slightly from the last."
                    ),
                    category=category,
                    price=price,
                    currency=currency,
                    kind=kind,
                    edition_size=edition,
                    quantity_available=rng.randint(1, edition) if edition else 1,
                    lead_time_days=rng.randint(14, 90)
                    if kind == "made_to_order"
                    else None,
                    dimensions=f"{rng.randint(5, 60)} × {rng.randint(2, 30)} mm",
                    ring_size=rng.choice(["J", "L", "N", "P", "R"])
                    if category == "ring"
                    else "",
                    care_instructions=CARE.get(metal, CARE_BASE),
                    status=status,
                    published_at=published_at,
                )
            )
            plans.append((artisan, category, metal))
        Listing.objects.bulk_create(listings)
        self._count("listings", len(listings))
        self._count(
            "published", sum(1 for item in listings if item.status == "published")
        )

        components, gems, photos, hallmarks, technique_links = [], [], [], [], []
        through = Listing.techniques.through
        for listing, (artisan, category, metal) in zip(listings, plans, strict=True):
            low, high = WEIGHT_RANGE[category]
            weight = Decimal(str(round(rng.uniform(low, high), 3)))
            fineness, construction, plating, microns = None, "solid", "", None
            if metal in PRECIOUS:
                fineness = weighted(rng, FINENESS[metal])
                roll = rng.random()
                if metal == "silver" and roll < 0.05:
                    construction, plating, microns = "vermeil", "gold", Decimal("2.50")
                    fineness = 925
                elif metal == "gold" and roll < 0.06:
                    construction, fineness = "gold_filled", None
                elif roll < 0.10:
                    construction = "hollow"
            elif rng.random() < 0.5:
                construction, plating = "plated", rng.choice(["gold", "silver"])
                microns = Decimal(str(round(rng.uniform(0.5, 2.0), 2)))
            components.append(
                MetalComponent(
                    listing_id=listing.id,
                    metal=metal,
                    fineness=fineness,
                    construction=construction,
                    weight_grams=weight,
                    plating_metal=plating,
                    plating_thickness_microns=microns,
                )
            )
            if metal == "silver" and rng.random() < 0.12:  # a gold accent
                components.append(
                    MetalComponent(
                        listing_id=listing.id,
                        metal="gold",
                        fineness=weighted(rng, FINENESS["gold"]),
                        weight_grams=Decimal(str(round(rng.uniform(0.2, 2), 3))),
                        position=1,
                    )
                )
            if rng.random() < 0.4:
                for position in range(1 if rng.random() < 0.8 else rng.randint(2, 5)):
                    nature = weighted(rng, GEM_NATURE)
                    lab = nature == "natural" and rng.random() < 0.2
                    gems.append(
                        Gemstone(
                            listing_id=listing.id,
                            species=weighted(rng, GEM_SPECIES),
                            nature=nature,
                            treatment=weighted(rng, GEM_TREATMENT)
                            if nature == "natural"
                            else "none",
                            carat=Decimal(str(round(rng.uniform(0.02, 3), 3))),
                            origin_country=rng.choice(GEM_ORIGINS)
                            if nature == "natural"
                            else "",
                            lab_report_issuer="GIA" if lab else "",
                            lab_report_number=f"GIA-{listing.id:08d}" if lab else "",
                            position=position,
                        )
                    )
            for technique in rng.sample(self.technique_ids, rng.randint(1, 3)):
                technique_links.append(
                    through(listing_id=listing.id, technique_id=technique)
                )
            for position in range(rng.choice([1, 2, 2, 3, 3, 4])):
                file = self.photo_files[rng.randrange(len(self.photo_files))]
                role = "main" if position == 0 else rng.choice(["detail", "scale"])
                photos.append(
                    ListingPhoto(
                        listing_id=listing.id,
                        **file,
                        alt_text=f"{listing.title}, {role} view",
                        role=role,
                        position=position,
                    )
                )
            if fineness and construction in ("solid", "hollow") and rng.random() < 0.6:
                hallmarks.append(self._hallmark(listing, artisan, metal, fineness))

        MetalComponent.objects.bulk_create(components)
        Gemstone.objects.bulk_create(gems)
        through.objects.bulk_create(technique_links)
        ListingPhoto.objects.bulk_create(photos)
        HallmarkRecord.objects.bulk_create(hallmarks)
        self._count("metal_components", len(components))
        self._count("gemstones", len(gems))
        self._count("listings_with_gemstones", len({g.listing_id for g in gems}))
        self._count("technique_links", len(technique_links))
        self._count("photos", len(photos))
        self._count("hallmarks", len(hallmarks))

    def _hallmark(self, listing, artisan, metal, fineness):
        from django.utils import timezone

        from marketplace.catalogue.models import HallmarkRecord

        rng = self.rng
        country = str(artisan.country)
        system = HALLMARK_SYSTEM.get(country) or (
            "ccm" if country in CCM_COUNTRIES else "makers_declaration"
        )
        status = weighted(rng, VERIFICATION_MIX)
        return HallmarkRecord(
            listing_id=listing.id,
            system=system,
            metal=metal,
            fineness_mark=fineness,
            maker_mark_id=self.mark_of[artisan.id],
            assay_office=rng.choice(ASSAY_OFFICES[system])
            if system in ASSAY_OFFICES
            else "",
            date_letter=rng.choice("abcdefghjklmnopqrstuvwxyz")
            if system == "uk"
            else "",
            huid=_huid(listing.id) if system == "bis" else "",
            verification_status=status,
            verified_at=timezone.now() if status == "verified" else None,
            has_evidence=rng.random() < 0.6,
        )

    def _recorded_decisions(self) -> None:
        """Every status the bulk inserts set other than draft gets the recorded decision
        that would have set it (set-based), as certificates' verification expects."""
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection, transaction
        from django.utils import timezone

        from artisans.models import Artisan, MakerMark
        from marketplace.catalogue.models import HallmarkRecord

        now = timezone.now()
        owners = [
            (Artisan, "artisans_artisan", "t.id"),
            (MakerMark, "artisans_makermark", "t.artisan_id"),
            (
                HallmarkRecord,
                "marketplace_hallmarkrecord",
                "(SELECT l.artisan_id FROM marketplace_listing l WHERE l.id = t.listing_id)",
            ),
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for model, table, artisan in owners:
                content_type = ContentType.objects.get_for_model(model).pk
                cursor.execute(
                    "INSERT INTO provenance_review (created_at, updated_at, "  # noqa: S608
                    "content_type_id, object_id, artisan_id, status, last_message) "
                    f"SELECT %s, %s, %s, t.id, {artisan}, t.verification_status, '' "
                    f"FROM {table} t WHERE t.verification_status <> 'draft'",
                    [now, now, content_type],
                )
            cursor.execute(
                "INSERT INTO provenance_reviewevent (review_id, action, from_status, "
                "to_status, reason, created_at) SELECT r.id, 'benchmark', 'draft', "
                "r.status, 'Benchmark data.', %s FROM provenance_review r WHERE NOT "
                "EXISTS (SELECT 1 FROM provenance_reviewevent e WHERE e.review_id = r.id)",
                [now],
            )

    def _after_bulk_inserts(self) -> None:
        """Derived columns (the search vector) are rebuilt once, set-based, after inserting."""
        try:
            from marketplace.catalogue.services.listings import listing_search_rebuild
        except ImportError:
            return
        started = time.monotonic()
        listing_search_rebuild()
        self.log(f"  search rebuilt ({time.monotonic() - started:.1f} s)")

    def _analyze(self) -> None:
        """Planner statistics and dead rows cleared now, as autovacuum would do soon
        after a load (the search vector's rebuild leaves a dead version of every
        listing's row)."""
        from django.db import connection

        if connection.vendor == "postgresql":
            # VACUUM runs outside a transaction only (a test's data is in one).
            statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                cursor.execute(statement)

    def _provenance_chains(self) -> None:
        """Chains for a share of pieces, once the provenance models exist."""
        try:
            from bench import chains
        except ImportError:
            return
        built = chains.build_for_dataset(self)
        if built:
            self.counts.update(built)


def _huid(number: int) -> str:
    """A unique 6-character HUID derived from the listing id (base 36)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(6):
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument(
        "--database-url",
        help="postgres://... or sqlite:///path (default: bench/bench-<size>.sqlite3)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--add-chains",
        action="store_true",
        help="keep an existing dataset: migrate it and add the origin chains only",
    )
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    url = args.database_url or default_database_url(size.name)
    if size.postgres_only and not url.startswith("postgres"):
        parser.error(f"size {size.name} is PostgreSQL only: pass --database-url")
    if args.add_chains:
        _setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        generator = Generator(size, seed=args.seed)
        counts = generator.add_chains()
        generator._analyze()
        print("added:", ", ".join(f"{k}={v:,}" for k, v in (counts or {}).items()))
        return
    _reset_database(url)
    _setup_django(url)
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated {url} ({time.monotonic() - started:.1f} s)")
    counts = Generator(size, seed=args.seed).run()
    print("generated:", ", ".join(f"{k}={v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
