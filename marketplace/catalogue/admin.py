"""Admin for staff: the catalogue. Status changes go through the listing services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.catalogue.models import (
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingEvent,
    ListingPhoto,
    MetalComponent,
    MetalPrice,
)
from marketplace.catalogue.services import listings as services
from marketplace.catalogue.services.prices import metal_price_set
from marketplace.catalogue.tasks import catalogue_search_rebuild
from ops.tasks import enqueue_on_commit


class MetalComponentInline(admin.TabularInline):
    model = MetalComponent
    extra = 0
    readonly_fields = [
        "metal",
        "fineness",
        "construction",
        "weight_grams",
        "plating_metal",
        "plating_thickness_microns",
    ]
    can_delete = False


class GemstoneInline(admin.TabularInline):
    model = Gemstone
    extra = 0
    readonly_fields = ["species", "nature", "treatment", "carat", "count"]
    fields = readonly_fields
    can_delete = False


class ListingEventInline(admin.TabularInline):
    model = ListingEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "note",
    ]

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, service, label):
    done = 0
    for listing in queryset.select_related("artisan"):
        try:
            service(listing=listing, actor=listing.artisan.user)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(
                request, f"{listing}: {' '.join(error.messages)}", messages.ERROR
            )
    if done:
        modeladmin.message_user(request, f"{label}: {done} piece(s).", messages.SUCCESS)


@admin.action(description="Unpublish (back to draft, on the artisan's behalf)")
def unpublish(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.listing_unpublish, "Unpublished")


@admin.action(description="Archive (on the artisan's behalf)")
def archive(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.listing_archive, "Archived")


@admin.action(description="Rebuild the search index of the selected pieces")
def rebuild_search(modeladmin, request, queryset):
    count = services.listing_search_rebuild(queryset=queryset)
    modeladmin.message_user(request, f"Search rebuilt for {count} piece(s).")


@admin.action(
    description="Rebuild the whole catalogue's search index, in the background"
)
def rebuild_search_everywhere(modeladmin, request, queryset):
    enqueue_on_commit(catalogue_search_rebuild)
    modeladmin.message_user(
        request, "The search index of every piece will be rebuilt by the worker."
    )


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "artisan",
        "category",
        "kind",
        "price",
        "currency",
        "status",
    ]
    list_filter = ["status", "category", "kind", "artisan__country"]
    search_fields = ["title", "slug", "artisan__public_name"]
    list_select_related = ["artisan"]
    readonly_fields = [
        "status",
        "published_at",
        "created_at",
        "updated_at",
        "private_to",
    ]
    autocomplete_fields = []
    filter_horizontal = ["techniques"]
    inlines = [MetalComponentInline, GemstoneInline, ListingEventInline]
    actions = [unpublish, archive, rebuild_search, rebuild_search_everywhere]


@admin.register(ListingPhoto)
class ListingPhotoAdmin(admin.ModelAdmin):
    list_display = ["alt_text", "listing", "role", "position"]
    list_filter = ["role"]
    search_fields = ["alt_text", "listing__title"]
    list_select_related = ["listing"]
    readonly_fields = [
        "image",
        "thumb_small",
        "thumb_medium",
        "thumb_large",
        "width",
        "height",
        "created_at",
        "updated_at",
    ]


@admin.register(HallmarkRecord)
class HallmarkRecordAdmin(admin.ModelAdmin):
    list_display = [
        "listing",
        "system",
        "metal",
        "fineness_mark",
        "huid",
        "verification_status",
    ]
    list_filter = ["system", "metal", "verification_status"]
    search_fields = ["listing__title", "huid", "assay_office"]
    list_select_related = ["listing", "maker_mark"]
    readonly_fields = [
        "verification_status",
        "verified_at",
        "has_evidence",
        "created_at",
        "updated_at",
    ]


@admin.register(ListingEvent)
class ListingEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "listing",
        "action",
        "from_status",
        "to_status",
        "actor",
    ]
    list_filter = ["action", "to_status"]
    search_fields = ["listing__title", "actor__username"]
    list_select_related = ["listing", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Favourite)
class FavouriteAdmin(admin.ModelAdmin):
    list_display = ["user", "listing", "artisan", "created_at"]
    search_fields = ["user__username", "listing__title", "artisan__public_name"]
    list_select_related = ["user", "listing", "artisan"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(MetalPrice)
class MetalPriceAdmin(admin.ModelAdmin):
    list_display = ["metal", "price_per_gram", "currency", "as_of", "set_by"]
    list_filter = ["metal", "currency"]
    search_fields = ["metal"]
    list_select_related = ["set_by"]
    readonly_fields = ["set_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        # Through the service, so that the same rules and the setter are recorded.
        saved = services_metal_price_set(request.user, form.cleaned_data)
        obj.pk = saved.pk


def services_metal_price_set(actor, data):
    return metal_price_set(
        actor=actor,
        metal=data["metal"],
        price_per_gram=data["price_per_gram"],
        currency=data["currency"],
        as_of=data["as_of"],
    )


# Commissions have their own admin module.
