"""What belongs to a user's account: their address book and their notifications."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries.fields import CountryField

from config.models import TimeStampedModel


class Address(TimeStampedModel):
    """A delivery address the buyer keeps for checkout."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="addresses",
        editable=False,
    )
    name = models.CharField("full name", max_length=120)
    line1 = models.CharField("address line 1", max_length=120)
    line2 = models.CharField("address line 2", max_length=120, blank=True)
    city = models.CharField("town or city", max_length=80)
    region = models.CharField("county, state or region", max_length=80, blank=True)
    postcode = models.CharField(max_length=20)
    country = CountryField()
    phone = models.CharField(
        max_length=30, blank=True, help_text="For the courier, if they need it."
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="address_one_default_per_user",
            )
        ]

    def __str__(self):
        return ", ".join(self.lines)

    @property
    def lines(self) -> list[str]:
        """The address as printed on a parcel, one line each."""
        return [
            part
            for part in (
                self.name,
                self.line1,
                self.line2,
                " ".join(p for p in (self.city, self.postcode) if p),
                self.region,
                self.country.name if self.country else "",
            )
            if part
        ]


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice to one user about a move in one of their commissions or
    orders; ``link`` is the page it leads to when it is about something else than a
    commission."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(max_length=200)
    link = models.CharField(max_length=200, blank=True)
    commission = models.ForeignKey(
        "marketplace.Commission",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        "marketplace.CommissionEvent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    action_needed = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.verb

    def get_absolute_url(self):
        return reverse("marketplace:notification-open", kwargs={"pk": self.pk})

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
