"""Review serializers: they validate shape only; the services hold the rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.models import MAX_ID
from config.serializers import ThumbnailsSerializer
from marketplace.accounts.roles import is_verifier
from marketplace.reviews import services
from marketplace.reviews.models import (
    MAX_PHOTOS,
    REASON_MAX,
    REPLY_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Review,
    ReviewPhoto,
)


class ReviewPhotoSerializer(ThumbnailsSerializer):
    class Meta:
        model = ReviewPhoto
        fields = ["id", "alt_text", "position", "small", "medium", "large"]
        read_only_fields = fields


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(read_only=True, source="reply")
    replied_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(
        read_only=True, source="reply_edited_at", allow_null=True
    )


class ReviewSerializer(serializers.ModelSerializer):
    """A review as anyone sees it; the author and verifiers also see why it is hidden."""

    author = serializers.CharField(source="author.username", read_only=True)
    artisan = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    listing = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    purchase = serializers.SerializerMethodField()
    edited = serializers.BooleanField(source="is_edited", read_only=True)
    photos = ReviewPhotoSerializer(many=True, read_only=True)
    reply = serializers.SerializerMethodField()
    status_reason = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "rating",
            "title",
            "text",
            "author",
            "artisan",
            "listing",
            "purchase",
            "status",
            "status_reason",
            "edited",
            "edited_at",
            "created_at",
            "photos",
            "reply",
            "allowed_actions",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _is_verifier(self) -> bool:
        # Asked once per response, not once per review (it reads the user's groups).
        if "is_verifier" not in self.context:
            user = self._user()
            self.context["is_verifier"] = user is not None and is_verifier(user)
        return self.context["is_verifier"]

    def get_purchase(self, review) -> str:
        """What was bought: a delivered "order" line or a completed "commission"."""
        return "order" if review.order_line_id else "commission"

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply(self, review):
        if review.replied_at is None:
            return None
        return ReplySerializer(review).data

    def get_status_reason(self, review) -> str:
        user = self._user()
        if user is not None and (review.author_id == user.pk or self._is_verifier()):
            return review.status_reason
        return ""

    def get_allowed_actions(self, review) -> list[str]:
        """What the asking user may do now: edit, reply, edit-reply, report, and for
        verifiers hide, dismiss, restore."""
        user = self._user()
        if user is None or not user.is_authenticated:
            return []
        actions = []
        if services.can_edit(review, user):
            actions.append("edit")
        if services.can_reply(review, user):
            actions.append("reply")
        elif services.can_edit_reply(review, user):
            actions.append("edit-reply")
        if services.can_report(review, user):
            actions.append("report")
        if self._is_verifier():
            actions += services.allowed_actions(review, by="verifier")
        return actions


class ReviewCreateSerializer(serializers.Serializer):
    """Review one delivered order line or one completed commission of yours."""

    order_line = serializers.IntegerField(
        required=False, min_value=1, help_text="The id of a line of a delivered order."
    )
    commission = serializers.IntegerField(
        required=False, min_value=1, help_text="The id of a completed commission."
    )
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=TITLE_MAX)
    text = serializers.CharField(max_length=TEXT_MAX)
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text=f"Up to {MAX_PHOTOS} JPEG, PNG or WebP photos (multipart).",
    )
    photo_alt = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )

    def validate(self, attrs):
        if ("order_line" in attrs) == ("commission" in attrs):
            raise serializers.ValidationError(
                "Give either order_line or commission, not both."
            )
        return attrs


class ReviewUpdateSerializer(serializers.Serializer):
    """What the author may change; photos are added (multipart) or removed by id."""

    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    text = serializers.CharField(max_length=TEXT_MAX, required=False)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS
    )
    photo_alt = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    remove_photos = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_PHOTOS,
        help_text="Ids of this review's photos to remove.",
    )


class ReplyWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=REPLY_MAX)


class ReviewReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)
