"""Listings (pieces) with their materials, photos and hallmark records."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries.fields import CountryField

from config.models import RatedModel, TimeStampedModel, rating_constraints
from config.storage import RandomName, private_storage
from marketplace.materials import HUID_PATTERN, Metal
from provenance.models import Verifiable

# A sensible starting point for the care guide, by the piece's main metal.
DEFAULT_CARE = {
    Metal.GOLD: (
        "Wipe with a soft cloth after wearing. Wash in warm water with a drop of mild "
        "soap, rinse and dry. Take it off for swimming and the gym; store it apart from "
        "other pieces so it does not scratch."
    ),
    Metal.SILVER: (
        "Silver darkens with air: wear it often and polish with a silver cloth. Keep it "
        "dry, away from perfume and chlorine, and store it in the pouch with its "
        "anti-tarnish strip. Oxidised recesses are intended; do not dip-clean them."
    ),
    Metal.PLATINUM: (
        "Platinum keeps its colour; it develops a soft patina that a jeweller can "
        "re-polish. Clean in warm soapy water with a soft brush."
    ),
    Metal.PALLADIUM: (
        "Clean in warm soapy water with a soft brush and dry well. Avoid chlorine and "
        "harsh chemicals; a jeweller can re-polish the surface."
    ),
}
GENERIC_CARE = (
    "Clean gently with a soft, dry cloth. Keep away from water, perfume and chemicals; "
    "store it on its own in a dry pouch."
)


class ListingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Listing.Status.PUBLISHED, private_to__isnull=True)

    def public(self):
        """Listed or once listed pieces that anyone may open: not drafts, not private."""
        return self.filter(Listing.public_q())

    def of_artisan(self, artisan):
        return self.filter(artisan=artisan)

    def with_card_data(self):
        """What a catalogue card shows: the artisan and the main photo, in a fixed set of queries."""
        return self.select_related("artisan").with_card_photos()

    def with_card_photos(self):
        # A Prefetch of its own for each queryset: prefetching writes to its queryset.
        return self.prefetch_related(
            models.Prefetch(
                "photos",
                queryset=ListingPhoto.objects.order_by("position", "id"),
            )
        )


class Listing(TimeStampedModel, RatedModel):
    """A piece offered by an artisan."""

    class Category(models.TextChoices):
        RING = "ring", "Ring"
        EARRINGS = "earrings", "Earrings"
        NECKLACE = "necklace", "Necklace"
        PENDANT = "pendant", "Pendant"
        BRACELET = "bracelet", "Bracelet"
        BROOCH = "brooch", "Brooch"
        CUFFLINKS = "cufflinks", "Cufflinks"
        OTHER = "other", "Other"

    class Kind(models.TextChoices):
        ONE_OF_A_KIND = "one_of_a_kind", "One of a kind"
        LIMITED_EDITION = "limited_edition", "Limited edition"
        MADE_TO_ORDER = "made_to_order", "Made to order"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RESERVED = "reserved", "Reserved"
        SOLD = "sold", "Sold"
        ARCHIVED = "archived", "Archived"

    artisan = models.ForeignKey(
        "artisans.Artisan", on_delete=models.CASCADE, related_name="listings"
    )
    title = models.CharField(max_length=140)
    slug = models.SlugField(max_length=160, unique=True)
    description = models.TextField(help_text="The piece and its story.")
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        max_length=3,
        default="GBP",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as GBP.")],
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.ONE_OF_A_KIND, db_index=True
    )
    edition_size = models.PositiveIntegerField(null=True, blank=True)
    quantity_available = models.PositiveIntegerField(default=1)
    # Units that open orders hold (placed or paid, not yet settled): a held piece's
    # price, currency and kind cannot change. Kept by ``services.stock``.
    quantity_held = models.PositiveIntegerField(default=0, editable=False)
    lead_time_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(730)]
    )
    techniques = models.ManyToManyField(
        "artisans.Technique", blank=True, related_name="listings"
    )
    dimensions = models.CharField(
        max_length=120, blank=True, help_text="e.g. 22 × 8 mm"
    )
    ring_size = models.CharField(max_length=20, blank=True)
    customisation_options = models.TextField(blank=True)
    care_instructions = models.TextField(blank=True)
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        editable=False,
    )
    published_at = models.DateTimeField(
        null=True, blank=True, db_index=True, editable=False
    )
    # A commissioned piece is private to its buyer and may derive from a base listing.
    private_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="private_pieces",
        editable=False,
    )
    derived_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derivatives",
    )
    # Weighted full-text document (PostgreSQL): A title, B artisan and materials,
    # C description; kept by services.listings.listing_search_rebuild.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    # Listed or once listed: anyone may open these (unless the piece is private).
    PUBLIC_STATUSES = (Status.PUBLISHED, Status.RESERVED, Status.SOLD)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gt=0),
                name="listing_price_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="limited_edition")
                | Q(edition_size__isnull=False, edition_size__gte=1),
                name="listing_edition_has_size",
            ),
            models.CheckConstraint(
                condition=Q(edition_size__isnull=True)
                | Q(quantity_available__lte=models.F("edition_size")),
                name="listing_quantity_within_edition",
            ),
            *rating_constraints(),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["status", "price"], name="listing_status_price"),
            models.Index(
                fields=["artisan", "status", "-published_at"],
                name="listing_artisan_status_pub",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("marketplace:listing-detail", kwargs={"slug": self.slug})

    @classmethod
    def public_q(cls, prefix: str = "") -> Q:
        """The pieces anyone may open, as a filter (``prefix`` for a related lookup)."""
        return Q(
            **{
                f"{prefix}status__in": cls.PUBLIC_STATUSES,
                f"{prefix}private_to__isnull": True,
            }
        )

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_public(self) -> bool:
        """Anyone may open this piece: listed or once listed, and not private."""
        return self.status in self.PUBLIC_STATUSES and self.private_to_id is None

    @property
    def main_photo(self):
        """The photo with the main role, else the first; uses prefetched photos."""
        photos = list(self.photos.all())
        for photo in photos:
            if photo.role == ListingPhoto.Role.MAIN:
                return photo
        return photos[0] if photos else None


class ListingEvent(models.Model):
    """An append-only record of one status change of a listing: who, when, from, to."""

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, choices=Listing.Status.choices)
    to_status = models.CharField(max_length=10, choices=Listing.Status.choices)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.listing_id} {self.action}: {self.from_status} → {self.to_status}"


class MetalComponent(models.Model):
    """One metal part of a piece: what it is, how it is built and what it weighs."""

    class Construction(models.TextChoices):
        SOLID = "solid", "Solid"
        HOLLOW = "hollow", "Hollow"
        PLATED = "plated", "Plated"
        GOLD_FILLED = "gold_filled", "Gold-filled"
        VERMEIL = "vermeil", "Vermeil"

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="metals"
    )
    metal = models.CharField(max_length=10, choices=Metal.choices, db_index=True)
    fineness = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(999)],
        help_text="Parts per thousand, e.g. 925 for sterling silver.",
    )
    construction = models.CharField(
        max_length=12, choices=Construction.choices, default=Construction.SOLID
    )
    weight_grams = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    plating_metal = models.CharField(max_length=10, choices=Metal.choices, blank=True)
    plating_thickness_microns = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["listing", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_grams__gt=0), name="metal_component_weight_positive"
            ),
        ]

    def __str__(self):
        fineness = f" {self.fineness}" if self.fineness else ""
        return f"{self.get_construction_display()} {self.get_metal_display().lower()}{fineness}"

    @property
    def fine_weight_grams(self) -> Decimal:
        """Grams of pure precious metal: weight × fineness (solid metal and the
        sterling base of vermeil; plated and filled layers are not counted)."""
        if self.fineness and self.construction in (
            self.Construction.SOLID,
            self.Construction.HOLLOW,
            self.Construction.VERMEIL,
        ):
            return (self.weight_grams * self.fineness / 1000).quantize(Decimal("0.001"))
        return Decimal("0")


class Gemstone(models.Model):
    """A stone set in a piece, disclosed with its nature and treatment."""

    class Nature(models.TextChoices):
        NATURAL = "natural", "Natural"
        LAB_GROWN = "lab_grown", "Lab-grown"
        IMITATION = "imitation", "Imitation"

    class Treatment(models.TextChoices):
        NONE = "none", "None"
        HEAT = "heat", "Heat"
        FRACTURE_FILLING = "fracture_filling", "Fracture filling"
        IRRADIATION = "irradiation", "Irradiation"
        DYE = "dye", "Dye"
        OIL = "oil", "Oil"
        COATING = "coating", "Coating"
        HPHT = "hpht", "HPHT"
        UNKNOWN = "unknown", "Not known"

    class Species(models.TextChoices):
        DIAMOND = "diamond", "Diamond"
        SAPPHIRE = "sapphire", "Sapphire"
        RUBY = "ruby", "Ruby"
        EMERALD = "emerald", "Emerald"
        PEARL = "pearl", "Pearl"
        OPAL = "opal", "Opal"
        GARNET = "garnet", "Garnet"
        AMETHYST = "amethyst", "Amethyst"
        TOPAZ = "topaz", "Topaz"
        TURQUOISE = "turquoise", "Turquoise"
        MOONSTONE = "moonstone", "Moonstone"
        SPINEL = "spinel", "Spinel"
        TOURMALINE = "tourmaline", "Tourmaline"
        AQUAMARINE = "aquamarine", "Aquamarine"
        PERIDOT = "peridot", "Peridot"
        OTHER = "other", "Other"

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="gemstones"
    )
    species = models.CharField(max_length=20, choices=Species.choices)
    nature = models.CharField(max_length=10, choices=Nature.choices, db_index=True)
    treatment = models.CharField(
        max_length=20, choices=Treatment.choices, default=Treatment.NONE
    )
    carat = models.DecimalField(
        max_digits=8, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    count = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)]
    )
    origin_country = CountryField(blank=True)
    lab_report_issuer = models.CharField(max_length=80, blank=True)
    lab_report_number = models.CharField(max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["listing", "position", "id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """Honest name: a lab-grown or imitation stone always says so."""
        species = self.get_species_display().lower()
        if self.nature == self.Nature.NATURAL:
            return f"Natural {species}"
        return f"{self.get_nature_display()} {species}"


class ListingPhoto(TimeStampedModel):
    """A photo of a piece: a metadata-free re-encode with thumbnails in three sizes."""

    class Role(models.TextChoices):
        MAIN = "main", "Main"
        DETAIL = "detail", "Detail"
        HALLMARK = "hallmark", "Hallmark close-up"
        MAKERS_MARK = "makers_mark", "Maker's-mark close-up"
        SCALE = "scale", "On the hand / for scale"

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(
        upload_to=RandomName("pieces"), width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    thumb_small = models.ImageField(
        upload_to=RandomName("pieces/thumbs"), editable=False
    )
    thumb_medium = models.ImageField(
        upload_to=RandomName("pieces/thumbs"), editable=False
    )
    thumb_large = models.ImageField(
        upload_to=RandomName("pieces/thumbs"), editable=False
    )
    alt_text = models.CharField(max_length=200)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.DETAIL)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["listing", "position", "id"]

    def __str__(self):
        return self.alt_text


class HallmarkRecord(TimeStampedModel, Verifiable):
    """A hallmark or quality stamp struck on a piece, verifiable by Touchstone."""

    class System(models.TextChoices):
        UK = "uk", "UK hallmark"
        CCM = "ccm", "Common Control Mark"
        BIS = "bis", "BIS hallmark (HUID)"
        US_STAMP = "us_stamp", "US quality stamp with trademark"
        MAKERS_DECLARATION = "makers_declaration", "Maker's declaration"
        OTHER = "other", "Other"

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="hallmarks"
    )
    system = models.CharField(max_length=20, choices=System.choices)
    metal = models.CharField(max_length=10, choices=Metal.choices)
    fineness_mark = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(999)]
    )
    maker_mark = models.ForeignKey(
        "artisans.MakerMark",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hallmark_records",
    )
    assay_office = models.CharField(max_length=80, blank=True)
    date_letter = models.CharField(max_length=4, blank=True)
    huid = models.CharField(
        "HUID",
        max_length=6,
        blank=True,
        validators=[
            RegexValidator(HUID_PATTERN, "An HUID is 6 capital letters or digits.")
        ],
    )
    photo = models.ImageField(
        upload_to=RandomName("hallmarks"),
        storage=private_storage,
        blank=True,
        db_index=True,
    )

    verification_kind = "hallmark record"

    class Meta:
        ordering = ["listing", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["huid"], condition=~Q(huid=""), name="hallmark_huid_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_system_display()}: {self.fineness_mark} {self.get_metal_display()}"

    @property
    def verification_owner(self):
        return self.listing.artisan.user

    @property
    def verification_artisan(self):
        return self.listing.artisan

    @property
    def is_assay_hallmark(self) -> bool:
        """A maker's own stamp is a declaration, not an independent assay hallmark."""
        return self.system in (self.System.UK, self.System.CCM, self.System.BIS)


class Favourite(TimeStampedModel):
    """A buyer's favourite piece or artisan."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="favourited_by",
    )
    artisan = models.ForeignKey(
        "artisans.Artisan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="favourited_by",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(listing__isnull=False) & Q(artisan__isnull=True))
                | (Q(listing__isnull=True) & Q(artisan__isnull=False)),
                name="favourite_is_a_listing_or_an_artisan",
            ),
            models.UniqueConstraint(
                fields=["user", "listing"],
                condition=Q(listing__isnull=False),
                name="favourite_listing_once",
            ),
            models.UniqueConstraint(
                fields=["user", "artisan"],
                condition=Q(artisan__isnull=False),
                name="favourite_artisan_once",
            ),
        ]

    def __str__(self):
        return f"{self.user} ♥ {self.listing or self.artisan}"


class MetalPriceQuerySet(models.QuerySet):
    def latest_per_metal(self, currency: str | None = None) -> dict:
        """The most recent price of each metal (optionally in one currency), by metal.

        Fetches one row per metal, however long the price history grows."""
        qs = self.filter(currency=currency) if currency else self
        newest = (
            qs.filter(metal=models.OuterRef("metal"))
            .order_by("-as_of", "-id")
            .values("pk")[:1]
        )
        return {
            price.metal: price
            for price in qs.filter(pk=models.Subquery(newest)).order_by("metal")
        }

    def latest_per_currency_and_metal(self) -> dict:
        """The most recent price of each metal in each currency, by (currency, metal)."""
        newest = (
            self.filter(
                metal=models.OuterRef("metal"), currency=models.OuterRef("currency")
            )
            .order_by("-as_of", "-id")
            .values("pk")[:1]
        )
        return {
            (price.currency, price.metal): price
            for price in self.filter(pk=models.Subquery(newest))
        }


class MetalPrice(TimeStampedModel):
    """The platform's reference price of one gram of fine metal, as of a date."""

    metal = models.CharField(max_length=10, choices=Metal.choices)
    price_per_gram = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    currency = models.CharField(max_length=3, default="GBP")
    as_of = models.DateField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = MetalPriceQuerySet.as_manager()

    class Meta:
        ordering = ["metal", "-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["metal", "currency", "as_of"], name="metal_price_once_per_day"
            )
        ]

    def __str__(self):
        return f"{self.get_metal_display()} {self.price_per_gram} {self.currency}/g ({self.as_of})"
