import io
import os
import socket
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from marketplace.accounts.roles import VERIFIERS_GROUP

PASSWORD = "a-Strong-passw0rd!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class VerifierFactory(UserFactory):
    username = factory.Sequence(lambda n: f"verifier{n}")

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=VERIFIERS_GROUP)
            obj.groups.add(group)


class TechniqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "artisans.Technique"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Technique {n}")
    slug = factory.Sequence(lambda n: f"technique-{n}")


class TraditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "artisans.Tradition"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tradition {n}")
    slug = factory.Sequence(lambda n: f"tradition-{n}")


class ArtisanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "artisans.Artisan"

    user = factory.SubFactory(UserFactory)
    public_name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"artisan-{n}")
    story = factory.Faker("paragraph")
    workshop_name = factory.LazyAttribute(lambda a: f"{a.public_name} Studio")
    city = factory.Faker("city")
    country = "GB"
    years_of_practice = 12
    commission_status = "open"


class MakerMarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "artisans.MakerMark"

    artisan = factory.SubFactory(ArtisanFactory)
    text = factory.Sequence(lambda n: f"M{n}")
    registration_system = "uk_sponsor"
    registry_reference = factory.Sequence(lambda n: f"LON-{1000 + n}")


def verified(record):
    """A claim submitted by its owner and verified by a verifier, through the services
    (so that its decision is recorded, as a certificate's verification expects)."""
    from provenance.services.verification import claim_transition

    if record.verification_status != "submitted":
        claim_transition(
            record=record, actor=record.verification_owner, action="submit"
        )
    claim_transition(record=record, actor=VerifierFactory(), action="verify")
    record.refresh_from_db()
    return record


class ListingFactory(factory.django.DjangoModelFactory):
    """A draft listing; use ``published=True`` for one that is live in the catalogue."""

    class Meta:
        model = "marketplace.Listing"

    class Params:
        published = factory.Trait(
            status="published",
            published_at=factory.LazyFunction(timezone.now),
        )

    artisan = factory.SubFactory(ArtisanFactory)
    title = factory.Sequence(lambda n: f"Hammered silver ring {n}")
    slug = factory.Sequence(lambda n: f"piece-{n}")
    description = factory.Faker("paragraph")
    category = "ring"
    price = Decimal("180.00")
    currency = "GBP"
    kind = "one_of_a_kind"


class MetalComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.MetalComponent"

    listing = factory.SubFactory(ListingFactory)
    metal = "silver"
    fineness = 925
    construction = "solid"
    weight_grams = Decimal("8.500")


class GemstoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.Gemstone"

    listing = factory.SubFactory(ListingFactory)
    species = "sapphire"
    nature = "natural"
    treatment = "heat"
    carat = Decimal("0.450")
    origin_country = "LK"


class HallmarkRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.HallmarkRecord"

    listing = factory.SubFactory(ListingFactory)
    system = "uk"
    metal = "silver"
    fineness_mark = 925
    assay_office = "London"
    date_letter = "a"


# --- Commissions ------------------------------------------------------------------------


class CommissionFactory(factory.django.DjangoModelFactory):
    """A submitted request; move it on with the services, not by setting ``status``."""

    class Meta:
        model = "marketplace.Commission"

    buyer = factory.SubFactory(UserFactory)
    artisan = factory.SubFactory(ArtisanFactory)
    kind = "bespoke"
    title = factory.Sequence(lambda n: f"Bespoke ring {n}")
    category = "ring"
    brief = "A wide band in recycled silver with a hammered finish."
    budget_min = Decimal("150.00")
    budget_max = Decimal("400.00")
    currency = "GBP"
    ring_size = "N"
    status = "submitted"
    submitted_at = factory.LazyFunction(timezone.now)


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.Quote"

    commission = factory.SubFactory(CommissionFactory)
    version = factory.Sequence(lambda n: n + 1)
    price = Decimal("320.00")
    deposit = Decimal("100.00")
    currency = "GBP"
    estimated_completion_date = factory.LazyFunction(
        lambda: timezone.localdate() + timezone.timedelta(days=42)
    )
    valid_until = factory.LazyFunction(
        lambda: timezone.localdate() + timezone.timedelta(days=14)
    )
    materials_commitments = "Recycled sterling silver from a certified refiner."


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.ProgressUpdate"

    commission = factory.SubFactory(CommissionFactory)
    author = factory.LazyAttribute(lambda u: u.commission.artisan.user)
    stage = "design"
    note = "First sketch of the band."


class CommissionEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.CommissionEvent"

    commission = factory.SubFactory(CommissionFactory)
    actor = factory.LazyAttribute(lambda e: e.commission.buyer)
    kind = "request"
    from_status = ""
    to_status = "submitted"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.Message"

    commission = factory.SubFactory(CommissionFactory)
    author = factory.LazyAttribute(lambda m: m.commission.buyer)
    body = factory.Faker("sentence")


class ChargeFactory(factory.django.DjangoModelFactory):
    """A charge of the payments module; by default a commission's recorded deposit."""

    class Meta:
        model = "marketplace.Charge"
        exclude = ["commission"]

    commission = factory.SubFactory(CommissionFactory)
    payable = factory.SelfAttribute("commission")
    purpose = "deposit"
    provider = "manual"
    amount = Decimal("100.00")
    currency = "GBP"
    reference = factory.Sequence(lambda n: f"TRANSFER-{n}")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.Notification"

    user = factory.SubFactory(UserFactory)
    verb = factory.Faker("sentence")
    commission = factory.SubFactory(
        CommissionFactory, buyer=factory.SelfAttribute("..user")
    )


# --- Artisans and review ------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size=(64, 48), color=(180, 140, 90), **save_kwargs):
    """Bytes of a small real image, optionally with metadata (exif=..., comment=...)."""

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


def image_upload(name: str = "photo.jpg", **kwargs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/jpeg")


def pdf_bytes(*, author: str = "", script: str = "", trailing: bytes = b"") -> bytes:
    """A real one-page PDF; optionally with an author, an open action running
    ``script`` and bytes after its end (as in an HTML/PDF polyglot)."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    if author:
        pdf.docinfo["/Author"] = author
    if script:
        pdf.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String(script)
        )
    buffer = io.BytesIO()
    pdf.save(
        buffer,
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
    )
    return buffer.getvalue() + trailing


def pdf_upload(name: str = "certificate.pdf", **kwargs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf_bytes(**kwargs), "application/pdf")


class ArtisanPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "artisans.ArtisanPhoto"

    artisan = factory.SubFactory(ArtisanFactory)
    image = factory.django.ImageField(width=64, height=48)
    thumbnail = factory.django.ImageField(width=32, height=24)
    alt_text = factory.Sequence(lambda n: f"Workshop bench {n}")


class ArtisanLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "artisans.ArtisanLink"

    artisan = factory.SubFactory(ArtisanFactory)
    label = "Instagram"
    url = factory.Sequence(lambda n: f"https://example.com/maker-{n}")


def submitted(record, actor=None):
    """Submit a claim through the workflow service, as its owner."""
    from provenance.services.verification import claim_submit

    claim_submit(record=record, actor=actor or record.verification_owner)
    record.refresh_from_db()
    return record


# --- Catalogue: photos, favourites, metal prices --------------------------------------


class ListingPhotoFactory(factory.django.DjangoModelFactory):
    """A photo with small generated thumbnails (no service call, so tests stay fast)."""

    class Meta:
        model = "marketplace.ListingPhoto"

    listing = factory.SubFactory(ListingFactory)
    image = factory.django.ImageField(width=40, height=40, color="silver")
    thumb_small = factory.django.ImageField(width=32, height=32, color="silver")
    thumb_medium = factory.django.ImageField(width=32, height=32, color="silver")
    thumb_large = factory.django.ImageField(width=32, height=32, color="silver")
    alt_text = factory.Sequence(lambda n: f"Photo {n} of the piece")
    role = "main"


class FavouriteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.Favourite"

    user = factory.SubFactory(UserFactory)
    listing = factory.SubFactory(ListingFactory, published=True)


class MetalPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.MetalPrice"

    metal = "silver"
    price_per_gram = Decimal("0.7500")
    currency = "GBP"
    as_of = factory.LazyFunction(lambda: timezone.now().date())


def publishable_listing(**kwargs):
    """A draft with a price, a photo and a sterling component: ready to publish."""
    listing = ListingFactory(**kwargs)
    MetalComponentFactory(listing=listing)
    ListingPhotoFactory(listing=listing)
    return listing


def add_metal(listing, **overrides):
    """A metal component added through the listing service, as its artisan (5 g of
    solid sterling unless told otherwise)."""
    from marketplace.catalogue.services.listings import metal_component_add

    fields = {
        "metal": "silver",
        "fineness": 925,
        "construction": "solid",
        "weight_grams": Decimal("5"),
        **overrides,
    }
    return metal_component_add(listing=listing, actor=listing.artisan.user, **fields)


def catalogue_listing(**kwargs):
    """A published listing with a photo and a silver component, as the catalogue shows."""
    kwargs.setdefault("published", True)
    return publishable_listing(**kwargs)


# --- Provenance: parties, lots, certifications --------------------------------------


class PartyFactory(factory.django.DjangoModelFactory):
    """An outside party Touchstone has verified: offered to every artisan. An artisan's
    own proposal goes through ``party_create`` (see ``proposed_party``)."""

    class Meta:
        model = "provenance.Party"

    kind = "supplier"
    name = factory.Sequence(lambda n: f"Bullion Supplier {n}")
    country = "GB"
    place = "Birmingham"
    verification_status = "verified"
    verified_at = factory.LazyFunction(timezone.now)


def proposed_party(artisan, **fields):
    """A party ``artisan`` proposed through the service: submitted, theirs alone."""
    from provenance.services import party_create

    fields.setdefault("kind", "refiner")
    fields.setdefault("name", f"Proposed Refinery {artisan.pk}")
    return party_create(actor=artisan.user, **fields)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "provenance.Certification"

    artisan = factory.SubFactory(ArtisanFactory)
    scheme = "scs_recycled"
    issuer = "SCS Global Services"
    number = factory.Sequence(lambda n: f"SCS-RC-{4000 + n}")
    issued_on = factory.LazyFunction(
        lambda: timezone.now().date() - timezone.timedelta(days=365)
    )
    valid_until = factory.LazyFunction(
        lambda: timezone.now().date() + timezone.timedelta(days=365)
    )


def recycled_silver_lot(artisan, *, grams="100", fineness=925, origin_type=None, **kw):
    """A lot bought through the service, as an artisan would record it."""
    from provenance.services import lot_purchase

    supplier = kw.pop("supplier", None) or PartyFactory()
    return lot_purchase(
        actor=artisan.user,
        supplier=supplier,
        reference=kw.pop("reference", f"BATCH-{supplier.pk}"),
        material="metal",
        metal=kw.pop("metal", "silver"),
        fineness=fineness,
        mass_grams=Decimal(grams),
        origin_type=origin_type or "recycled_post_consumer",
        origin_country=kw.pop("origin_country", "GB"),
        purchased_at=kw.pop(
            "purchased_at", timezone.now() - timezone.timedelta(days=30)
        ),
        **kw,
    )


def fabricated_piece(artisan=None, *, grams="8.500", loss="0.400", lots=None):
    """A published piece with one silver component, made from a recycled lot."""
    from provenance.services import piece_fabricate

    artisan = artisan or ArtisanFactory()
    listing = ListingFactory(artisan=artisan, published=True)
    MetalComponentFactory(listing=listing, weight_grams=Decimal(grams))
    lot = (lots or [None])[0] or recycled_silver_lot(artisan)
    piece_fabricate(
        actor=artisan.user,
        listing=listing,
        inputs=[(lot, Decimal(grams) + Decimal(loss))],
        loss_grams=Decimal(loss),
        occurred_at=timezone.now() - timezone.timedelta(days=10),
    )
    return listing, lot


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    """An email waiting in the outbox."""

    class Meta:
        model = "ops.OutboundEmail"

    key = factory.Sequence(lambda n: f"test-email:{n}")
    to = factory.LazyFunction(lambda: ["someone@example.com"])
    from_email = "Touchstone <hello@touchstone.test>"
    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "Hello."


class WorkerHeartbeatFactory(factory.django.DjangoModelFactory):
    """A live task worker on this machine (this process's id)."""

    class Meta:
        model = "ops.WorkerHeartbeat"

    worker_id = factory.Sequence(lambda n: f"worker-{n}")
    role = "worker"
    hostname = factory.LazyFunction(socket.gethostname)
    pid = factory.LazyFunction(os.getpid)
    started_at = factory.LazyFunction(timezone.now)
    seen_at = factory.LazyFunction(timezone.now)
