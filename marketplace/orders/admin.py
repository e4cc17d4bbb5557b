"""Admin for staff: orders with their lines and timeline, and the payments behind them.

Staff read everything here; moves (confirming a transfer, cancelling with a refund)
go through the same services as the order page, as admin actions."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from config.admin import ReadOnlyInline
from marketplace.orders import services
from marketplace.orders.models import Order, OrderEvent, OrderLine, ShippingProfile
from marketplace.payments.models import Charge, PaymentEvent, Refund


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["title", "quantity", "unit_price", "line_total", "kind", "returnable"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "action", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields


def _run(modeladmin, request, queryset, label, call):
    done = 0
    for order in queryset.select_related("artisan__user", "buyer"):
        try:
            call(order)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(
                request,
                f"{order.number}: {'; '.join(getattr(error, 'messages', [str(error)]))}",
                messages.ERROR,
            )
    if done:
        modeladmin.message_user(request, f"{label}: {done} order(s).")


@admin.action(description="Confirm the bank transfer arrived")
def confirm_payment(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        "Payment confirmed",
        lambda order: services.order_confirm_payment(actor=request.user, order=order),
    )


@admin.action(description="Cancel (refunding a paid order in full)")
def cancel(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        "Cancelled",
        lambda order: services.order_cancel(
            actor=request.user, order=order, reason="Cancelled by Touchstone staff."
        ),
    )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "buyer",
        "artisan",
        "status",
        "total",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "payment_provider", "currency"]
    search_fields = [
        "number",
        "buyer__username",
        "artisan__public_name",
        "tracking_number",
    ]
    list_select_related = ["buyer", "artisan"]
    readonly_fields = [field.name for field in Order._meta.fields]
    inlines = [OrderLineInline, OrderEventInline]
    actions = [confirm_payment, cancel]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShippingProfile)
class ShippingProfileAdmin(admin.ModelAdmin):
    list_display = [
        "artisan",
        "currency",
        "domestic_price",
        "europe_price",
        "world_price",
        "free_over",
    ]
    list_select_related = ["artisan"]
    search_fields = ["artisan__public_name"]


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ["created_at", "kind", "actor", "provider_event_id", "data"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "amount", "reason", "status", "provider_id"]
    readonly_fields = fields


@admin.register(Charge)
class ChargeAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "purpose",
        "provider",
        "amount",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["purpose", "provider", "status", "currency"]
    search_fields = ["reference", "provider_id"]
    readonly_fields = [field.name for field in Charge._meta.fields]
    inlines = [RefundInline, PaymentEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
