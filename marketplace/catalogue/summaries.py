"""A catalogue card's fields: how the API shows a listing in a list, and what the stored
cards (``marketplace.catalogue.cards``) keep of it. The API's serializers build on these."""

import re

from django.urls import reverse
from rest_framework import serializers

from artisans.models import Artisan
from config.serializers import ThumbnailsSerializer
from marketplace.catalogue.models import Listing, ListingPhoto


class ArtisanSummarySerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Artisan
        fields = [
            "slug",
            "public_name",
            "country",
            "verification_status",
            "rating_average",
            "rating_count",
        ]
        read_only_fields = fields


class PhotoThumbsSerializer(ThumbnailsSerializer):
    """A photo's thumbnails: null until the task that makes them has run."""

    class Meta:
        model = ListingPhoto
        fields = ["id", "alt_text", "role", "position", "small", "medium", "large"]
        read_only_fields = fields


class ListingURLField(serializers.CharField):
    """The piece page's path, exactly as ``Listing.get_absolute_url`` gives it.

    The route is reversed once per serializer and each row's slug put into it:
    reversing row by row cost more than all the other fields of a card together.
    """

    # Slugs that the route's <slug:...> converter accepts and reverse() leaves as is.
    PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
    STAND_IN = "slug"

    def __init__(self, **kwargs):
        super().__init__(source="slug", read_only=True, **kwargs)
        self._around = None

    def to_representation(self, slug):
        if not self.PLAIN_SLUG.fullmatch(slug):
            return reverse("marketplace:listing-detail", kwargs={"slug": slug})
        if self._around is None:
            path = reverse("marketplace:listing-detail", kwargs={"slug": self.STAND_IN})
            head, _, tail = path.rpartition(self.STAND_IN)
            self._around = (head, tail)
        head, tail = self._around
        return f"{head}{slug}{tail}"


class ListingSerializer(serializers.ModelSerializer):
    """A catalogue entry, as a card shows it."""

    artisan = ArtisanSummarySerializer(read_only=True)
    # Declared once: a serializer built per row would copy its fields for every card.
    main_photo = PhotoThumbsSerializer(read_only=True, allow_null=True)
    url = ListingURLField()

    class Meta:
        model = Listing
        fields = [
            "slug",
            "title",
            "category",
            "kind",
            "price",
            "currency",
            "status",
            "published_at",
            "artisan",
            "main_photo",
            "url",
        ]
        read_only_fields = fields
