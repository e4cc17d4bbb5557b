"""Admin for staff: reviews with their versions, reports and moderation history.

Content and status are read-only here: hiding and restoring go through the same
service as the verification queue, as admin actions that ask for no reason but record
the admin's own."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from config.admin import ReadOnlyInline
from marketplace.reviews import services
from marketplace.reviews.models import (
    Review,
    ReviewEvent,
    ReviewPhoto,
    ReviewReport,
    ReviewRevision,
)


class ReviewRevisionInline(ReadOnlyInline):
    model = ReviewRevision
    fields = ["number", "rating", "title", "text", "created_at"]
    readonly_fields = fields


class ReviewPhotoInline(ReadOnlyInline):
    model = ReviewPhoto
    fields = ["image", "alt_text", "position"]
    readonly_fields = fields


class ReviewReportInline(ReadOnlyInline):
    model = ReviewReport
    fields = ["created_at", "reporter", "reason"]
    readonly_fields = fields


class ReviewEventInline(ReadOnlyInline):
    model = ReviewEvent
    fields = ["created_at", "action", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields


def _moderate(action: str, reason: str):
    def run(modeladmin, request, queryset):
        done = 0
        for review in queryset:
            try:
                services.review_moderate(
                    review=review, actor=request.user, action=action, reason=reason
                )
                done += 1
            except (ValidationError, PermissionDenied) as error:
                modeladmin.message_user(
                    request,
                    f"Review {review.pk}: "
                    f"{'; '.join(getattr(error, 'messages', [str(error)]))}",
                    messages.ERROR,
                )
        if done:
            modeladmin.message_user(
                request, f"{action.capitalize()}: {done} review(s)."
            )

    run.__name__ = action
    return admin.action(description=f"{services.TRANSITIONS[action].label} (by staff)")(
        run
    )


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["__str__", "artisan", "author", "status", "created_at", "edited_at"]
    list_filter = ["status", "rating"]
    list_select_related = ["artisan", "author"]
    search_fields = ["title", "text", "artisan__public_name", "author__username"]
    readonly_fields = [
        "author",
        "artisan",
        "listing",
        "order_line",
        "commission",
        "rating",
        "title",
        "text",
        "status",
        "status_reason",
        "edited_at",
        "reply",
        "replied_at",
        "reply_edited_at",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [
        ReviewPhotoInline,
        ReviewRevisionInline,
        ReviewReportInline,
        ReviewEventInline,
    ]
    actions = [
        _moderate("hide", "Hidden by staff from the admin."),
        _moderate("restore", "Restored by staff from the admin."),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
