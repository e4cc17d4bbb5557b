"""Catalogue API serializers: they check the shape of input; services hold the rules."""

from rest_framework import serializers

from artisans.models import Artisan, MakerMark, Technique
from config.ratings import RatingSummarySerializer
from marketplace.catalogue.models import (
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
    MetalPrice,
)
from marketplace.catalogue.services.listings import EDITABLE_FIELDS
from marketplace.catalogue.summaries import (
    ArtisanSummarySerializer,
    ListingSerializer,
    ListingURLField,
    PhotoThumbsSerializer,
)

__all__ = [
    "ArtisanSummarySerializer",
    "ListingSerializer",
    "ListingURLField",
    "PhotoThumbsSerializer",
]


class ListingPhotoSerializer(PhotoThumbsSerializer):
    """A photo; on upload ``image`` is required, and only thumbnails are ever served."""

    image = serializers.ImageField(write_only=True)

    class Meta(PhotoThumbsSerializer.Meta):
        fields = [*PhotoThumbsSerializer.Meta.fields, "image"]
        read_only_fields = ["id", "small", "medium", "large"]
        extra_kwargs = {"role": {"required": False}, "position": {"required": False}}


class ListingPhotoUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingPhoto
        fields = ["alt_text", "role", "position"]


class MetalComponentSerializer(serializers.ModelSerializer):
    fine_weight_grams = serializers.DecimalField(
        max_digits=10, decimal_places=3, read_only=True
    )

    class Meta:
        model = MetalComponent
        fields = [
            "id",
            "metal",
            "fineness",
            "construction",
            "weight_grams",
            "plating_metal",
            "plating_thickness_microns",
            "position",
            "fine_weight_grams",
        ]
        read_only_fields = ["id", "fine_weight_grams"]
        extra_kwargs = {"position": {"required": False}}


class GemstoneSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    origin_country = serializers.CharField(
        required=False, allow_blank=True, max_length=2
    )

    class Meta:
        model = Gemstone
        fields = [
            "id",
            "species",
            "nature",
            "treatment",
            "carat",
            "count",
            "origin_country",
            "lab_report_issuer",
            "lab_report_number",
            "position",
            "label",
        ]
        read_only_fields = ["id", "label"]
        extra_kwargs = {"position": {"required": False}}

    def validate_origin_country(self, value):
        from django_countries import countries

        value = (value or "").upper()
        if value and value not in dict(countries):
            raise serializers.ValidationError("Use an ISO 3166 country code.")
        return value


class HallmarkRecordSerializer(serializers.ModelSerializer):
    maker_mark = serializers.PrimaryKeyRelatedField(
        queryset=MakerMark.objects.all(), required=False, allow_null=True
    )
    assurance_level = serializers.CharField(read_only=True)
    is_assay_hallmark = serializers.BooleanField(read_only=True)
    photo = serializers.ImageField(required=False, allow_null=True)

    class Meta:
        model = HallmarkRecord
        fields = [
            "id",
            "system",
            "metal",
            "fineness_mark",
            "maker_mark",
            "assay_office",
            "date_letter",
            "huid",
            "photo",
            "verification_status",
            "verified_at",
            "assurance_level",
            "is_assay_hallmark",
        ]
        read_only_fields = [
            "id",
            "verification_status",
            "verified_at",
            "assurance_level",
            "is_assay_hallmark",
        ]
        # The service checks the HUID's format and uniqueness with a clear message.
        extra_kwargs = {"huid": {"validators": []}}


class ListingDetailSerializer(ListingSerializer):
    """A piece with everything about it; status fields are read-only."""

    techniques = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    photos = PhotoThumbsSerializer(many=True, read_only=True)
    metals = MetalComponentSerializer(many=True, read_only=True)
    gemstones = GemstoneSerializer(many=True, read_only=True)
    hallmarks = HallmarkRecordSerializer(many=True, read_only=True)
    rating = RatingSummarySerializer(source="*", read_only=True)

    class Meta(ListingSerializer.Meta):
        fields = [
            *ListingSerializer.Meta.fields,
            "description",
            "edition_size",
            "quantity_available",
            "lead_time_days",
            "techniques",
            "dimensions",
            "ring_size",
            "customisation_options",
            "care_instructions",
            "photos",
            "metals",
            "gemstones",
            "hallmarks",
            "rating",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ListingWriteSerializer(serializers.ModelSerializer):
    """What an artisan may set on a piece. Status, slug and artisan are not here."""

    techniques = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Technique.objects.all(),
        required=False,
    )

    class Meta:
        model = Listing
        fields = [*EDITABLE_FIELDS, "techniques"]
        extra_kwargs = {"quantity_available": {"required": False}}


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    values = FacetValueSerializer(many=True)


class FacetsResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    facets = FacetSerializer(many=True)


class TransitionRequestSerializer(serializers.Serializer):
    """Transitions take no input."""


class FavouriteSerializer(serializers.ModelSerializer):
    listing = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Listing.objects.public(),
        required=False,
        allow_null=True,
    )
    artisan = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Artisan.objects.all(),
        required=False,
        allow_null=True,
    )
    listing_title = serializers.CharField(
        source="listing.title", read_only=True, default=None, allow_null=True
    )
    artisan_name = serializers.CharField(
        source="artisan.public_name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Favourite
        fields = [
            "id",
            "listing",
            "artisan",
            "listing_title",
            "artisan_name",
            "created_at",
        ]
        read_only_fields = ["id", "created_at", "listing_title", "artisan_name"]

    def validate(self, attrs):
        if bool(attrs.get("listing")) == bool(attrs.get("artisan")):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either a piece (listing) or an artisan."]}
            )
        return attrs


class MetalPriceSerializer(serializers.ModelSerializer):
    set_by = serializers.CharField(
        source="set_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = MetalPrice
        fields = ["id", "metal", "price_per_gram", "currency", "as_of", "set_by"]
        read_only_fields = ["id", "set_by"]
        # metal_price_set updates the day's price instead of refusing a duplicate.
        validators = []
