from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries.fields import CountryField

from config.models import RatedModel, TimeStampedModel, rating_constraints
from config.storage import RandomName, private_storage
from provenance.models import Verifiable, VerificationStatus


class Technique(models.Model):
    """The shared vocabulary of techniques, used by artisans and listings alike."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tradition(models.Model):
    """A craft tradition, e.g. Balinese silversmithing."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ArtisanQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=VerificationStatus.VERIFIED)

    def accepting_commissions(self):
        return self.exclude(commission_status=Artisan.CommissionStatus.CLOSED)


class Artisan(TimeStampedModel, RatedModel, Verifiable):
    """An artisan's public profile. A user with one is an artisan."""

    class CommissionStatus(models.TextChoices):
        OPEN = "open", "Open for commissions"
        WAITLIST = "waitlist", "Waitlist"
        CLOSED = "closed", "Not taking commissions"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="artisan_profile",
    )
    public_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    story = models.TextField(
        blank=True, help_text="Who you are, how you learned your craft, what you make."
    )
    traditions = models.ManyToManyField(Tradition, blank=True, related_name="artisans")
    techniques = models.ManyToManyField(Technique, blank=True, related_name="artisans")
    workshop_name = models.CharField(max_length=120, blank=True)
    city = models.CharField("village or city", max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    country = CountryField(db_index=True)
    years_of_practice = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(90)]
    )
    portrait = models.ImageField(upload_to=RandomName("artisans/portraits"), blank=True)
    portrait_thumbnail = models.ImageField(
        upload_to=RandomName("artisans/portraits/thumbs"), blank=True
    )
    workshop_visits = models.BooleanField("workshop visits possible", default=False)
    commission_status = models.CharField(
        max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.CLOSED
    )
    commission_lead_time_weeks = models.PositiveSmallIntegerField(
        "typical lead time (weeks)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(104)],
    )

    objects = ArtisanQuerySet.as_manager()

    verification_kind = "artisan profile"

    class Meta:
        ordering = ["public_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(years_of_practice__isnull=True)
                | Q(years_of_practice__lte=90),
                name="artisan_years_of_practice_plausible",
            ),
            *rating_constraints(),
        ]

    def __str__(self):
        return self.public_name

    def get_absolute_url(self):
        return reverse("artisans:detail", kwargs={"slug": self.slug})

    @property
    def verification_owner(self):
        return self.user

    @property
    def verification_artisan(self):
        return self

    @property
    def verification_badge(self) -> str:
        """Public badge: verified, suspended, or unverified for anything else."""
        if self.verification_status == VerificationStatus.VERIFIED:
            return "verified"
        if self.verification_status in (
            VerificationStatus.SUSPENDED,
            VerificationStatus.REVOKED,
        ):
            return "suspended"
        return "unverified"

    @property
    def location(self) -> str:
        parts = [self.city, self.region, self.country.name if self.country else ""]
        return ", ".join(part for part in parts if part)


class ArtisanPhoto(TimeStampedModel):
    """Workshop photos on the artisan page, re-encoded without metadata."""

    artisan = models.ForeignKey(
        Artisan, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(upload_to=RandomName("artisans/workshop"))
    thumbnail = models.ImageField(upload_to=RandomName("artisans/workshop/thumbs"))
    alt_text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["artisan", "position", "id"]

    def __str__(self):
        return self.alt_text


class ArtisanLink(models.Model):
    artisan = models.ForeignKey(Artisan, on_delete=models.CASCADE, related_name="links")
    label = models.CharField(max_length=60)
    url = models.URLField(max_length=300)

    class Meta:
        ordering = ["artisan", "id"]

    def __str__(self):
        return self.label


class MakerMarkQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=VerificationStatus.VERIFIED)


class MakerMark(TimeStampedModel, Verifiable):
    """A maker's (sponsor's) mark registered by an artisan."""

    class RegistrationSystem(models.TextChoices):
        UK_SPONSOR = "uk_sponsor", "UK assay office sponsor's mark"
        BIS = "bis", "BIS (India)"
        US_TRADEMARK = "us_trademark", "US trademark"
        OTHER_REGISTRY = "other_registry", "Other registry"
        UNREGISTERED = "unregistered", "Unregistered"

    artisan = models.ForeignKey(
        Artisan, on_delete=models.CASCADE, related_name="maker_marks"
    )
    text = models.CharField(
        "mark text or initials",
        max_length=20,
        help_text="As struck, e.g. “WS” in a shield.",
    )
    # Private storage: served by the checked view to anyone once verified, before that
    # to the owner and verifiers only.
    image = models.ImageField(
        upload_to=RandomName("marks"),
        storage=private_storage,
        blank=True,
        db_index=True,
    )
    registration_system = models.CharField(
        max_length=20, choices=RegistrationSystem.choices
    )
    registry_reference = models.CharField(max_length=80, blank=True)
    registered_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)

    objects = MakerMarkQuerySet.as_manager()

    verification_kind = "maker's mark"

    class Meta:
        ordering = ["artisan", "text"]
        constraints = [
            models.UniqueConstraint(
                fields=["artisan", "text", "registration_system"],
                name="maker_mark_unique_per_artisan_and_system",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(registered_on__isnull=True)
                | Q(expires_on__gt=models.F("registered_on")),
                name="maker_mark_expires_after_registration",
            ),
        ]

    def __str__(self):
        return f"{self.text} ({self.get_registration_system_display()})"

    @property
    def verification_owner(self):
        return self.artisan.user

    @property
    def verification_artisan(self):
        return self.artisan

    @property
    def display_status(self) -> str:
        """Public wording: a mark that is not verified is 'declared'."""
        return "verified" if self.is_verified else "declared"
