"""Buyers' reviews of a delivered order line or a completed commission.

A review is bound to one purchase (``order_line`` or ``commission``, exactly one, each
reviewed once), so every review is a verified purchase. Its content changes only through
``marketplace.reviews.services``: each version is kept as a ``ReviewRevision``, reports
as ``ReviewReport`` rows, and every change of status (reported, hidden, restored) as an
append-only ``ReviewEvent``. The artisan's and the piece's rating figures are kept on
their rows (``config.models.RatedModel``) by the same services.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from config.models import TimeStampedModel
from config.storage import RandomName

TITLE_MAX = 120
TEXT_MAX = 5000
REPLY_MAX = 3000
REASON_MAX = 2000
MAX_PHOTOS = 3


class ReviewQuerySet(models.QuerySet):
    def visible(self):
        """Reviews that show on pages and count in the rating figures."""
        return self.filter(status__in=Review.VISIBLE_STATUSES)

    def of_rating(self, rating: int):
        return self.filter(rating=rating)


class Review(TimeStampedModel):
    """One buyer's rating and words about one purchase from an artisan."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        REPORTED = "reported", "Reported, awaiting a verifier"
        HIDDEN = "hidden", "Hidden by a verifier"

    # A reported review stays up until a verifier decides.
    VISIBLE_STATUSES = (Status.PUBLISHED, Status.REPORTED)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviews_written",
        editable=False,
    )
    artisan = models.ForeignKey(
        "artisans.Artisan",
        on_delete=models.CASCADE,
        related_name="buyer_reviews",
        editable=False,
    )
    listing = models.ForeignKey(
        "marketplace.Listing",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buyer_reviews",
        editable=False,
        help_text="The piece reviewed (a commission may have none).",
    )
    order_line = models.OneToOneField(
        "marketplace.OrderLine",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review",
        editable=False,
    )
    commission = models.OneToOneField(
        "marketplace.Commission",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review",
        editable=False,
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(max_length=TITLE_MAX)
    text = models.TextField(max_length=TEXT_MAX)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=12,
        choices=Status.choices,
        default=Status.PUBLISHED,
        db_index=True,
        editable=False,
    )
    # The latest moderation decision's reason: the author sees why it was hidden.
    status_reason = models.TextField(blank=True, editable=False)
    reply = models.TextField(blank=True, max_length=REPLY_MAX, editable=False)
    replied_at = models.DateTimeField(null=True, blank=True, editable=False)
    reply_edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5),
                name="review_rating_one_to_five",
                violation_error_message="Give a rating from 1 to 5 stars.",
            ),
            models.CheckConstraint(
                condition=Q(order_line__isnull=False, commission__isnull=True)
                | Q(order_line__isnull=True, commission__isnull=False),
                name="review_of_one_purchase",
            ),
        ]
        indexes = [
            models.Index(
                fields=["artisan", "status", "-created_at"],
                name="review_artisan_recent",
            ),
            models.Index(
                fields=["listing", "status", "-created_at"],
                name="review_listing_recent",
            ),
        ]

    def __str__(self):
        return f"{self.rating}★ “{self.title}”"

    def get_absolute_url(self):
        return reverse("marketplace:review-detail", kwargs={"pk": self.pk})

    @property
    def is_visible(self) -> bool:
        return self.status in self.VISIBLE_STATUSES

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None

    @property
    def stars(self) -> str:
        return "★" * self.rating + "☆" * (5 - self.rating)


class ReviewRevision(models.Model):
    """One version of a review's content: the first as written, then one per edit."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveSmallIntegerField()
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"], name="review_revision_number_unique"
            )
        ]

    def __str__(self):
        return f"Revision {self.number} of review {self.review_id}"


class ReviewPhoto(TimeStampedModel):
    """A buyer's photo of the piece: a metadata-free re-encode with thumbnails."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(
        upload_to=RandomName("reviews"), width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    thumb_small = models.ImageField(
        upload_to=RandomName("reviews/thumbs"), editable=False
    )
    thumb_medium = models.ImageField(
        upload_to=RandomName("reviews/thumbs"), editable=False
    )
    thumb_large = models.ImageField(
        upload_to=RandomName("reviews/thumbs"), editable=False
    )
    alt_text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["review", "position", "id"]

    def __str__(self):
        return self.alt_text


class ReviewReport(models.Model):
    """Someone other than the author tells the verifiers what is wrong with a review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField(max_length=REASON_MAX)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "reporter"], name="review_reported_once_per_user"
            )
        ]

    def __str__(self):
        return f"Report of review {self.review_id}"


class ReviewEvent(models.Model):
    """An append-only record of one change of a review's status: who, when, why."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, choices=Review.Status.choices)
    to_status = models.CharField(max_length=12, choices=Review.Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"
