"""Admin for staff: commissions (imported by admin.py)."""

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied, ValidationError

from config.admin import ReadOnlyInline
from marketplace.accounts.models import Notification
from marketplace.commissions.models import (
    Commission,
    CommissionEvent,
    CommissionPayment,
    Message,
    ProgressUpdate,
    Quote,
)
from marketplace.commissions.services import commission_expire
from marketplace.payments.models import PaymentEvent


class QuoteInline(ReadOnlyInline):
    model = Quote
    fields = ["version", "status", "price", "deposit", "currency", "valid_until"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = CommissionEvent
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields


class PaymentInline(GenericTabularInline):
    model = CommissionPayment
    ct_field = "payable_type"
    ct_fk_field = "payable_id"
    extra = 0
    can_delete = False
    fields = ["purpose", "amount", "currency", "provider", "reference", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "buyer", "artisan", "kind", "status", "updated_at"]
    list_filter = ["status", "kind", "category"]
    search_fields = ["title", "brief", "buyer__username", "artisan__public_name"]
    list_select_related = ["buyer", "artisan"]
    readonly_fields = [
        "buyer",
        "artisan",
        "status",
        "submitted_at",
        "completed_listing",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["base_listing"]
    inlines = [QuoteInline, PaymentInline, EventInline]
    actions = ["expire_selected"]

    @admin.action(description="Expire the selected open requests or quotes")
    def expire_selected(self, request, queryset):
        done = 0
        for commission in queryset:
            try:
                commission_expire(
                    commission=commission, reason=f"Expired by staff ({request.user})."
                )
                done += 1
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    f"#{commission.pk}: {' '.join(error.messages)}",
                    messages.ERROR,
                )
        self.message_user(request, f"{done} commission(s) expired.")


@admin.register(CommissionEvent)
class CommissionEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "commission",
        "kind",
        "actor",
        "from_status",
        "to_status",
    ]
    list_filter = ["kind", "to_status"]
    search_fields = ["commission__title", "reason"]
    list_select_related = ["commission", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    list_display = [
        "commission",
        "stage",
        "needs_approval",
        "approval_status",
        "created_at",
    ]
    list_filter = ["stage", "approval_status"]
    list_select_related = ["commission"]
    readonly_fields = [
        "commission",
        "author",
        "approval_status",
        "buyer_note",
        "decided_at",
        "created_at",
    ]


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ["created_at", "kind", "actor", "data"]
    readonly_fields = fields


@admin.register(CommissionPayment)
class CommissionPaymentAdmin(admin.ModelAdmin):
    """A commission's deposit and balance payments: charges whose payable is a
    commission; who recorded and who confirmed each is on its events."""

    list_display = [
        "reference",
        "commission_id",
        "purpose",
        "amount",
        "currency",
        "status",
        "provider",
        "created_at",
    ]
    list_filter = ["status", "purpose", "provider"]
    search_fields = ["reference", "provider_id"]
    readonly_fields = [field.name for field in CommissionPayment._meta.fields]
    inlines = [PaymentEventInline]

    @admin.display(description="commission", ordering="payable_id")
    def commission_id(self, payment):
        return f"#{payment.payable_id}"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(commission__isnull=False)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["commission", "author", "created_at"]
    search_fields = ["body", "commission__title"]
    list_select_related = ["commission", "author"]
    readonly_fields = ["commission", "author", "event", "body", "created_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "verb", "action_needed", "read_at", "created_at"]
    list_filter = ["action_needed"]
    search_fields = ["user__username", "verb"]
    list_select_related = ["user"]
    readonly_fields = ["user", "verb", "commission", "event", "created_at"]
