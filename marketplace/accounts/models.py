"""A buyer's address book."""

from django.conf import settings
from django.db import models
from django.db.models import Q
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
