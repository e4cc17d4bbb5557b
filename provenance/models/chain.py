"""The origin chain: parties, material lots, certifications and trace events.

The chain is a graph of append-only events over lots and pieces, in the spirit of GS1
EPCIS 2.0 (what, when, where, why) and W3C PROV (entities, activities, agents). Each
event stores the hash of its canonical content together with the hashes of the events
it follows (``EventLink``), and the version of the hash format it used
(``provenance.hashing``), so a later edit of any stored row is detectable. Events are
written only by ``provenance.services.chain``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries.fields import CountryField

from config.models import TimeStampedModel
from marketplace.materials import Metal
from provenance.pseudonyms import owner_label

from .verification import AssuranceLevel, Verifiable, VerificationStatus

GRAMS = {"max_digits": 12, "decimal_places": 3}


class PartyQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=VerificationStatus.VERIFIED)

    def proposed_by(self, artisan):
        """The outside parties ``artisan`` added, whatever their state."""
        return self.filter(_proposed_by(artisan))

    def available_to(self, artisan):
        """The parties ``artisan`` may name in a record (any signed-in user when None).

        Outside organisations once a verifier has accepted them; the ones the artisan
        proposed, whatever their state, for their own records only; and the artisan's
        own workshop. Another artisan's unverified party is never among them.
        """
        condition = Q(
            artisan__isnull=True, verification_status=VerificationStatus.VERIFIED
        )
        if artisan is not None:
            condition |= _proposed_by(artisan) | Q(artisan=artisan)
        return self.filter(condition)


def _proposed_by(artisan) -> Q:
    return Q(artisan__isnull=True, created_by_id=artisan.user_id)


class Party(TimeStampedModel, Verifiable):
    """Someone who holds, changes or vouches for material: a mine, refiner, workshop...

    An outside organisation is a claim of the artisan who proposed it: it is theirs
    alone to name until a verifier accepts it, then anyone's (``available_to``). An
    artisan's own workshop is not a claim of its own: its standing is the artisan
    profile's, and it is never offered to anyone else.
    """

    class Kind(models.TextChoices):
        MINE = "mine", "Mine (large-scale)"
        ARTISANAL_MINE = "artisanal_mine", "Artisanal mine"
        RECYCLER = "recycler", "Recycler"
        REFINER = "refiner", "Refiner"
        SUPPLIER = "supplier", "Supplier"
        WORKSHOP = "workshop", "Workshop"
        ASSAY_OFFICE = "assay_office", "Assay office"
        GEM_LAB = "gem_lab", "Gem lab"
        CERTIFIER = "certifier", "Certifier"
        BUYER = "buyer", "Buyer"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=160)
    country = CountryField(blank=True)
    place = models.CharField(max_length=160, blank=True)
    registry_identifier = models.CharField(
        max_length=80,
        blank=True,
        help_text="e.g. an LEI, a GLN, an assay-office or company registration number.",
    )
    # A workshop on Touchstone; outside organisations have none.
    artisan = models.ForeignKey(
        "artisans.Artisan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="parties",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = PartyQuerySet.as_manager()

    verification_kind = "party"

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(
                fields=["artisan"],
                condition=Q(kind="workshop", artisan__isnull=False),
                name="one_workshop_party_per_artisan",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def verification_owner(self):
        """The artisan who proposed an outside party (None for one no artisan added)."""
        if self.artisan_id is not None:
            return self.artisan.user
        return self.created_by

    @property
    def verification_artisan(self):
        if self.artisan_id is not None:
            return self.artisan
        return getattr(self.created_by, "artisan_profile", None)

    @property
    def is_workshop(self) -> bool:
        """An artisan's own workshop on Touchstone (not an outside organisation)."""
        return self.artisan_id is not None

    @property
    def assurance_level(self) -> str:
        """An outside party's own; a workshop's is its artisan's (the profile vouches)."""
        if self.is_workshop:
            return self.artisan.assurance_level
        return super().assurance_level

    @property
    def is_assured(self) -> bool:
        """Shown as verified: a verified outside party, or the workshop of a verified
        artisan."""
        return self.assurance_level == AssuranceLevel.VERIFIED

    def verified_neighbours(self):
        """Verified parties of the same kind sharing this one's name, registry number or
        country: what a verifier compares a proposal with (a copy, an impostor)."""
        similar = Q(name__iexact=self.name)
        if self.registry_identifier:
            similar |= Q(registry_identifier__iexact=self.registry_identifier)
        if self.country:
            similar |= Q(country=self.country)
        return (
            Party.objects.verified()
            .filter(similar, kind=self.kind, artisan__isnull=True)
            .exclude(pk=self.pk)
            .order_by("name", "id")[:10]
        )

    @property
    def location(self) -> str:
        return ", ".join(
            p for p in (self.place, self.country.name if self.country else "") if p
        )

    @property
    def gln_uri(self) -> str:
        """A stable identifier for EPCIS exports (a Touchstone URN, not a real GLN)."""
        return f"urn:touchstone:party:{self.pk}"


class OriginType(models.TextChoices):
    MINED = "mined", "Mined (large-scale)"
    ARTISANAL_MINED = "artisanal_mined", "Artisanal-mined"
    RECYCLED_POST_CONSUMER = "recycled_post_consumer", "Recycled (post-consumer)"
    RECYCLED_PRE_CONSUMER = "recycled_pre_consumer", "Recycled (pre-consumer)"
    UNKNOWN = "unknown", "Unknown"


RECYCLED_ORIGINS = (OriginType.RECYCLED_POST_CONSUMER, OriginType.RECYCLED_PRE_CONSUMER)


class Certification(TimeStampedModel, Verifiable):
    """A scheme certificate or lab report held by the artisan, with its evidence file."""

    class Scheme(models.TextChoices):
        RJC_COC = "rjc_coc", "RJC Chain of Custody"
        FAIRMINED = "fairmined", "Fairmined"
        FAIRTRADE_GOLD = "fairtrade_gold", "Fairtrade gold"
        SCS_RECYCLED = "scs_recycled", "SCS recycled content"
        KIMBERLEY = "kimberley", "Kimberley Process"
        LBMA_GOOD_DELIVERY = "lbma_good_delivery", "LBMA Good Delivery"
        LAB_REPORT = "lab_report", "Gem lab report"
        OTHER = "other", "Other"

    artisan = models.ForeignKey(
        "artisans.Artisan", on_delete=models.CASCADE, related_name="certifications"
    )
    scheme = models.CharField(max_length=24, choices=Scheme.choices, db_index=True)
    issuer = models.CharField(max_length=160)
    number = models.CharField(max_length=80)
    issued_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    holder = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certifications",
        help_text="The party the certificate was issued to.",
    )

    verification_kind = "certification"

    class Meta:
        ordering = ["-issued_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("issued_on")),
                name="certification_valid_after_issue",
            )
        ]

    def __str__(self):
        return f"{self.get_scheme_display()} {self.number}"

    def get_absolute_url(self):
        return reverse("provenance:studio-lot-list")

    @property
    def verification_owner(self):
        return self.artisan.user

    @property
    def verification_artisan(self):
        return self.artisan

    def is_valid_on(self, day) -> bool:
        return self.issued_on <= day and (
            self.valid_until is None or day <= self.valid_until
        )


class MaterialLotQuerySet(models.QuerySet):
    def of_artisan(self, artisan):
        return self.filter(artisan=artisan)

    def with_remaining(self):
        """Annotate ``allocated_grams`` and ``remaining_grams`` from the consuming events."""
        grams = models.DecimalField(**GRAMS)
        allocated = models.Sum(
            "items__grams",
            filter=Q(items__role=EventItem.Role.INPUT),
            default=Decimal("0"),
            output_field=grams,
        )
        return self.annotate(allocated_grams=allocated).annotate(
            remaining_grams=models.ExpressionWrapper(
                models.F("mass_grams") - models.F("allocated_grams"), output_field=grams
            )
        )


class MaterialLot(TimeStampedModel, Verifiable):
    """A quantity of metal or stones with one origin, held by one custodian at a time."""

    class Material(models.TextChoices):
        METAL = "metal", "Metal"
        STONE = "stone", "Stones"

    artisan = models.ForeignKey(
        "artisans.Artisan", on_delete=models.CASCADE, related_name="material_lots"
    )
    reference = models.CharField(
        max_length=80, help_text="The supplier's batch or bar number, or your own."
    )
    material = models.CharField(max_length=5, choices=Material.choices)
    metal = models.CharField(max_length=10, choices=Metal.choices, blank=True)
    fineness = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(999)]
    )
    stone_species = models.CharField(max_length=20, blank=True)
    mass_grams = models.DecimalField(
        **GRAMS, validators=[MinValueValidator(Decimal("0.001"))]
    )
    origin_type = models.CharField(max_length=24, choices=OriginType.choices)
    origin_country = CountryField(blank=True)
    origin_place = models.CharField(max_length=160, blank=True)
    origin_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="originated_lots"
    )
    # Changed only by transfer events (services.chain.lot_transfer).
    custodian = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="held_lots", editable=False
    )
    certifications = models.ManyToManyField(
        Certification, blank=True, related_name="lots"
    )

    objects = MaterialLotQuerySet.as_manager()

    verification_kind = "material lot"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mass_grams__gt=0), name="lot_mass_positive"
            ),
            models.CheckConstraint(
                condition=Q(material="stone")
                | (~Q(metal="") & Q(fineness__isnull=False)),
                name="metal_lot_has_metal_and_fineness",
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.describe()}"

    def get_absolute_url(self):
        return reverse("provenance:studio-lot-detail", kwargs={"pk": self.pk})

    @property
    def verification_owner(self):
        return self.artisan.user

    @property
    def verification_artisan(self):
        return self.artisan

    @property
    def is_recycled(self) -> bool:
        return self.origin_type in RECYCLED_ORIGINS

    def describe(self) -> str:
        if self.material == self.Material.METAL:
            return f"{self.get_metal_display()} {self.fineness}, {self.mass_grams} g"
        return f"{self.stone_species or 'stones'}, {self.mass_grams} g"

    def fine_grams(self, grams: Decimal) -> Decimal:
        """Grams of pure metal in ``grams`` of this lot (0 for stones)."""
        if self.material != self.Material.METAL or not self.fineness:
            return Decimal("0")
        return grams * self.fineness / 1000


class TraceEventQuerySet(models.QuerySet):
    def for_chain(self, listing):
        return self.filter(memberships__listing=listing)


class TraceEvent(Verifiable):
    """One append-only event in the origin chain: what, when, where, who and why."""

    class Kind(models.TextChoices):
        ORIGIN = "origin", "Origin"
        TRANSFER = "transfer", "Transfer of custody"
        TRANSFORMATION = "transformation", "Transformation"
        ASSAY = "assay", "Assay and hallmarking"
        CERTIFICATION = "certification", "Certification"
        OWNERSHIP = "ownership", "Sale or change of owner"
        REPAIR = "repair", "Repair"
        CORRECTION = "correction", "Correction"
        CLAIMS = "claims", "Claims on the certificate"

    class BizStep(models.TextChoices):
        # The business step as recorded; provenance.epcis exports each as a CBV 2.0
        # term, or as a URI of Touchstone's own where CBV has none.
        COMMISSIONING = "commissioning", "Commissioning"
        SHIPPING = "shipping", "Shipping"
        RECEIVING = "receiving", "Receiving"
        TRANSFORMING = "transforming", "Transforming"
        INSPECTING = "inspecting", "Inspecting"
        CERTIFYING = "certifying", "Certifying"
        RETAIL_SELLING = "retail_selling", "Retail selling"
        REPAIRING = "repairing", "Repairing"
        OTHER = "other", "Other"

    artisan = models.ForeignKey(
        "artisans.Artisan", on_delete=models.CASCADE, related_name="trace_events"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    biz_step = models.CharField(max_length=16, choices=BizStep.choices)
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Where it happened, and for transfers who handed over to whom.
    location = models.ForeignKey(
        Party, null=True, on_delete=models.PROTECT, related_name="events_here"
    )
    from_party = models.ForeignKey(
        Party, null=True, on_delete=models.PROTECT, related_name="events_from"
    )
    to_party = models.ForeignKey(
        Party, null=True, on_delete=models.PROTECT, related_name="events_to"
    )
    process = models.CharField(max_length=40, blank=True)
    loss_grams = models.DecimalField(**GRAMS, default=Decimal("0"))
    note = models.TextField(blank=True)
    certification = models.ForeignKey(
        Certification,
        null=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    hallmark = models.ForeignKey(
        "marketplace.HallmarkRecord",
        null=True,
        on_delete=models.PROTECT,
        related_name="trace_events",
    )
    corrects = models.ForeignKey(
        "self", null=True, on_delete=models.PROTECT, related_name="corrections"
    )
    # Facts copied from records that may still be edited elsewhere (a hallmark record),
    # as they were when the event was written: the hash covers this copy.
    details = models.JSONField(default=dict, blank=True)
    # The owner after an ownership event (or the making of a piece issued to its
    # buyer): a per-piece owner commitment (provenance.pseudonyms), never a username.
    # Chains recorded before commitments hold an "Owner #a3f9" pseudonym here.
    owner_commitment = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)
    # The format the hash was computed with (provenance.hashing): verification
    # recomputes each event's hash in the format it records.
    hash_version = models.PositiveSmallIntegerField(default=1)

    objects = TraceEventQuerySet.as_manager()

    verification_kind = "trace event"

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(loss_grams__gte=0), name="event_loss_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="correction") | Q(corrects__isnull=False),
                name="correction_references_event",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.occurred_at:%Y-%m-%d} ({self.hash[:8]})"

    def get_absolute_url(self):
        return reverse("provenance:studio-event-detail", kwargs={"pk": self.pk})

    @property
    def verification_owner(self):
        return self.artisan.user

    @property
    def verification_artisan(self):
        return self.artisan

    @property
    def short_hash(self) -> str:
        return self.hash[:12]

    @property
    def owner_label(self) -> str:
        return owner_label(self.owner_commitment)


class EventItem(models.Model):
    """What an event touched: an input consumed, an output made, or the subject observed."""

    class Role(models.TextChoices):
        INPUT = "input", "Input"
        OUTPUT = "output", "Output"
        SUBJECT = "subject", "Subject"

    event = models.ForeignKey(
        TraceEvent, on_delete=models.PROTECT, related_name="items"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    lot = models.ForeignKey(
        MaterialLot, null=True, on_delete=models.PROTECT, related_name="items"
    )
    listing = models.ForeignKey(
        "marketplace.Listing",
        null=True,
        on_delete=models.PROTECT,
        related_name="trace_items",
    )
    grams = models.DecimalField(**GRAMS, null=True)

    class Meta:
        ordering = ["event", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lot__isnull=False, listing__isnull=True)
                | Q(lot__isnull=True, listing__isnull=False),
                name="event_item_lot_or_piece",
            ),
            models.CheckConstraint(
                condition=Q(grams__isnull=True) | Q(grams__gt=0),
                name="event_item_grams_positive",
            ),
        ]

    def __str__(self):
        thing = self.lot or self.listing
        grams = f" {self.grams} g" if self.grams is not None else ""
        return f"{self.get_role_display()}: {thing}{grams}"


class EventLink(models.Model):
    """An edge of the chain: ``event`` follows ``parent`` and its hash covers the parent's."""

    event = models.ForeignKey(
        TraceEvent, on_delete=models.PROTECT, related_name="parent_links"
    )
    parent = models.ForeignKey(
        TraceEvent, on_delete=models.PROTECT, related_name="child_links"
    )

    class Meta:
        ordering = ["event", "parent"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "parent"], name="unique_event_link"
            ),
            models.CheckConstraint(
                condition=~Q(event=models.F("parent")), name="event_link_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.parent_id} → {self.event_id}"


class ChainMembership(models.Model):
    """Which events make up a piece's chain, so it is read in one query at any length."""

    listing = models.ForeignKey(
        "marketplace.Listing",
        on_delete=models.CASCADE,
        related_name="chain_memberships",
    )
    event = models.ForeignKey(
        TraceEvent, on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        ordering = ["listing", "event"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "event"], name="unique_chain_membership"
            )
        ]

    def __str__(self):
        return f"{self.listing_id}: event {self.event_id}"
