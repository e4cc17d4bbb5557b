"""Admin of the origin chain and the transparency log. Both are append-only: no change
or delete, ever."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from provenance.models import (
    Certificate,
    Certification,
    Checkpoint,
    EventItem,
    EventLink,
    LogLeaf,
    MaterialLot,
    OwnershipHandover,
    Party,
    TraceEvent,
)
from provenance.services.verification import claim_transition


@admin.action(description="Verify the selected claims (submitted or in review)")
def verify_claims(modeladmin, request, queryset):
    done = 0
    for record in queryset:
        try:
            claim_transition(record=record, actor=request.user, action="verify")
        except (ValidationError, PermissionDenied) as error:
            messages.error(
                request,
                f"{record}: {' '.join(getattr(error, 'messages', [str(error)]))}",
            )
        else:
            done += 1
    if done:
        messages.success(request, f"Verified {done} claim(s).")


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by services only: staff can read it, not rewrite it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "country",
        "place",
        "registry_identifier",
        "artisan",
        "created_by",
        "verification_status",
    ]
    list_filter = ["kind", "verification_status", "country"]
    search_fields = ["name", "registry_identifier", "place"]
    list_select_related = ["artisan", "created_by"]
    readonly_fields = [
        "created_by",
        "verification_status",
        "verified_at",
        "created_at",
        "updated_at",
    ]
    actions = [verify_claims]

    def has_add_permission(self, request):
        # Artisans propose parties (``party_create``) and verifiers accept them in the
        # review queue; a party added here would skip both.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Hashed events carry a party's kind, name, country, place and registry number.
        if obj is not None:
            return [
                "kind",
                "name",
                "country",
                "place",
                "registry_identifier",
                "artisan",
                *self.readonly_fields,
            ]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Parties are named in hashed events; removing one would break chains.
        return False


class EventItemInline(admin.TabularInline):
    model = EventItem
    extra = 0
    can_delete = False
    readonly_fields = ["role", "lot", "listing", "grams"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TraceEvent)
class TraceEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "occurred_at",
        "artisan",
        "verification_status",
        "hash",
    ]
    list_filter = ["kind", "verification_status", "biz_step"]
    search_fields = ["hash", "note", "artisan__public_name"]
    list_select_related = ["artisan"]
    date_hierarchy = "occurred_at"
    inlines = [EventItemInline]
    actions = [verify_claims]

    def has_change_permission(self, request, obj=None):
        # Viewing the change page is allowed for actions; saving is not (no fields).
        return False


@admin.register(MaterialLot)
class MaterialLotAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "artisan",
        "material",
        "metal",
        "fineness",
        "mass_grams",
        "origin_type",
        "origin_country",
        "verification_status",
    ]
    list_filter = ["material", "metal", "origin_type", "verification_status"]
    search_fields = ["reference", "artisan__public_name"]
    list_select_related = ["artisan", "custodian"]
    actions = [verify_claims]


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "scheme",
        "issuer",
        "issued_on",
        "valid_until",
        "artisan",
        "verification_status",
    ]
    list_filter = ["scheme", "verification_status"]
    search_fields = ["number", "issuer", "artisan__public_name"]
    list_select_related = ["artisan"]
    actions = [verify_claims]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["code", "listing", "owner", "created_at"]
    search_fields = ["code", "listing__title"]
    list_select_related = ["listing", "owner"]


@admin.register(OwnershipHandover)
class OwnershipHandoverAdmin(ReadOnlyAdmin):
    list_display = [
        "certificate",
        "started_by",
        "created_at",
        "claimed_by",
        "claimed_at",
        "cancelled_at",
    ]
    list_select_related = ["certificate", "started_by", "claimed_by"]
    exclude = ["code_hash"]


@admin.register(EventLink)
class EventLinkAdmin(ReadOnlyAdmin):
    list_display = ["event", "parent"]
    list_select_related = ["event", "parent"]


# --- The transparency log: read only; written by provenance.services.transparency ------


@admin.register(LogLeaf)
class LogLeafAdmin(ReadOnlyAdmin):
    list_display = ["index", "kind", "object_type", "object_id", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["object_hash", "leaf_hash"]
    ordering = ["-id"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["tree_size", "published_at", "root_hash", "key_id"]
    ordering = ["-id"]
