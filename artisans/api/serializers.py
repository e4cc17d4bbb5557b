"""API shapes for artisans and maker's marks: they validate shape only."""

from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from artisans.models import Artisan, ArtisanPhoto, MakerMark, Technique, Tradition
from config.ratings import RatingSummarySerializer
from provenance.models import Evidence
from provenance.services.verification import allowed_actions


class ArtisanPhotoSerializer(serializers.ModelSerializer):
    thumbnail = serializers.ImageField(read_only=True, allow_null=True)

    class Meta:
        model = ArtisanPhoto
        fields = ["thumbnail", "alt_text"]


class PublicMarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = MakerMark
        fields = ["text", "registration_system", "registry_reference"]


class ArtisanSerializer(serializers.ModelSerializer):
    """A public profile; the owner may change the profile fields, never the status."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api:artisan-detail", lookup_field="slug"
    )
    page = serializers.SerializerMethodField()
    traditions = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Tradition.objects.all(), required=False
    )
    techniques = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Technique.objects.all(), required=False
    )
    country = CountryField()
    portrait = serializers.ImageField(
        source="portrait_thumbnail", read_only=True, allow_null=True
    )
    photos = ArtisanPhotoSerializer(many=True, read_only=True)
    verification_status = serializers.CharField(read_only=True)
    verification_badge = serializers.CharField(read_only=True)
    verified_marks = serializers.SerializerMethodField()
    rating = RatingSummarySerializer(source="*", read_only=True)

    class Meta:
        model = Artisan
        fields = [
            "url",
            "page",
            "slug",
            "public_name",
            "story",
            "traditions",
            "techniques",
            "workshop_name",
            "city",
            "region",
            "country",
            "years_of_practice",
            "workshop_visits",
            "commission_status",
            "commission_lead_time_weeks",
            "portrait",
            "photos",
            "verification_status",
            "verification_badge",
            "verified_at",
            "verified_marks",
            "rating",
        ]
        read_only_fields = ["slug", "verified_at"]

    def get_page(self, artisan) -> str:
        return artisan.get_absolute_url()

    @extend_schema_field(PublicMarkSerializer(many=True))
    def get_verified_marks(self, artisan):
        marks = [m for m in artisan.maker_marks.all() if m.is_verified]
        return PublicMarkSerializer(marks, many=True).data


class EvidenceSerializer(serializers.ModelSerializer):
    file = serializers.FileField(read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "file",
            "sha256",
            "original_name",
            "content_type_label",
            "size",
            "description",
            "created_at",
        ]
        read_only_fields = fields


class MakerMarkSerializer(serializers.ModelSerializer):
    """One of my marks; its status moves only through the submit/resubmit actions."""

    image = serializers.ImageField(read_only=True)
    image_upload = serializers.FileField(
        write_only=True,
        required=False,
        help_text="JPEG, PNG or WebP image of the mark (multipart).",
    )
    verification_status = serializers.CharField(read_only=True)
    display_status = serializers.CharField(read_only=True)
    assurance_level = serializers.CharField(read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = MakerMark
        fields = [
            "id",
            "text",
            "registration_system",
            "registry_reference",
            "registered_on",
            "expires_on",
            "image",
            "image_upload",
            "verification_status",
            "display_status",
            "assurance_level",
            "has_evidence",
            "verified_at",
            "evidence",
            "allowed_actions",
        ]
        read_only_fields = ["has_evidence", "verified_at"]
        # Uniqueness is the service's rule, reported on "text".
        validators = []

    def get_allowed_actions(self, mark) -> list[str]:
        return allowed_actions(mark, by="owner")

    def mark_data(self) -> dict:
        data = dict(self.validated_data)
        data.pop("image_upload", None)
        return data


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG, PNG or WebP.")
    description = serializers.CharField(max_length=255, required=False, default="")


class ResubmitSerializer(serializers.Serializer):
    message = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list
    )
