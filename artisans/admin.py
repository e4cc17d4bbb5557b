"""Admin for staff. Verification moves go through the workflow service (admin actions)."""

from django.contrib import admin

from artisans.models import (
    Artisan,
    ArtisanLink,
    ArtisanPhoto,
    MakerMark,
    Technique,
    Tradition,
)
from provenance.admin import VERIFIER_ADMIN_ACTIONS, ReviewPermissionMixin

VERIFICATION_FIELDS = ["verification_status", "verified_at", "has_evidence"]


@admin.register(Technique)
class TechniqueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tradition)
class TraditionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ArtisanPhotoInline(admin.TabularInline):
    model = ArtisanPhoto
    extra = 0
    fields = ["thumbnail", "alt_text", "position"]
    readonly_fields = ["thumbnail"]

    def has_add_permission(self, request, obj=None):
        # Uploads go through the studio, which re-encodes them without metadata.
        return False


class ArtisanLinkInline(admin.TabularInline):
    model = ArtisanLink
    extra = 0


@admin.register(Artisan)
class ArtisanAdmin(ReviewPermissionMixin, admin.ModelAdmin):
    list_display = [
        "public_name",
        "user",
        "country",
        "verification_status",
        "commission_status",
        "created_at",
    ]
    list_filter = ["verification_status", "commission_status", "country", "traditions"]
    search_fields = [
        "public_name",
        "slug",
        "workshop_name",
        "user__username",
        "user__email",
    ]
    list_select_related = ["user"]
    readonly_fields = [
        *VERIFICATION_FIELDS,
        "portrait",
        "portrait_thumbnail",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["user"]
    filter_horizontal = ["traditions", "techniques"]
    inlines = [ArtisanPhotoInline, ArtisanLinkInline]
    actions = VERIFIER_ADMIN_ACTIONS


@admin.register(MakerMark)
class MakerMarkAdmin(ReviewPermissionMixin, admin.ModelAdmin):
    list_display = [
        "text",
        "artisan",
        "registration_system",
        "registry_reference",
        "verification_status",
        "has_evidence",
    ]
    list_filter = ["verification_status", "registration_system"]
    search_fields = ["text", "registry_reference", "artisan__public_name"]
    list_select_related = ["artisan"]
    readonly_fields = [*VERIFICATION_FIELDS, "image", "created_at", "updated_at"]
    raw_id_fields = ["artisan"]
    actions = VERIFIER_ADMIN_ACTIONS
