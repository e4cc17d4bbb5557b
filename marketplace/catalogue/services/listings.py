"""Every write to a listing, its materials, photos and hallmark records.

Status changes go through ``LISTING_TRANSITIONS`` and write a ``ListingEvent`` in the
same transaction. The move itself is a conditional UPDATE (``WHERE status IN sources``),
so two concurrent requests can never both move the same piece: a one-of-a-kind piece
is reserved or sold exactly once.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from artisans.models import Artisan
from config.images import PHOTO_THUMBNAILS, process_image_upload, store_photo
from config.slugs import unique_slug
from marketplace.catalogue.caching import catalogue_changed
from marketplace.catalogue.models import (
    DEFAULT_CARE,
    GENERIC_CARE,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingEvent,
    ListingPhoto,
    MetalComponent,
)
from marketplace.catalogue.permissions import can_edit_listing
from marketplace.materials import (
    HUID_PATTERN,
    PRECIOUS_METALS,
    STANDARD_FINENESS,
    Metal,
    nonstandard_fineness,
)
from ops.services import thumbnails_after_commit
from provenance.models import VerificationStatus
from provenance.services.verification import claim_submit
from provenance.signals import piece_claims_changed

S = Listing.Status
C = MetalComponent.Construction


# --- Status workflow --------------------------------------------------------------------


@dataclass(frozen=True)
class ListingTransition:
    sources: tuple[str, ...]
    target: str
    # "owner" (the listing's artisan), "buyer" (anyone else signed in) or
    # "commission" (the owner, handing over a piece made to a commission)
    by: str
    label: str


LISTING_TRANSITIONS: dict[str, ListingTransition] = {
    "publish": ListingTransition(
        (S.DRAFT, S.ARCHIVED), S.PUBLISHED, "owner", "Publish"
    ),
    "unpublish": ListingTransition((S.PUBLISHED,), S.DRAFT, "owner", "Unpublish"),
    "archive": ListingTransition(
        (S.DRAFT, S.PUBLISHED, S.SOLD), S.ARCHIVED, "owner", "Archive"
    ),
    # A sale made away from Touchstone; a piece an order holds is sold by the order.
    "mark_sold": ListingTransition((S.PUBLISHED,), S.SOLD, "owner", "Mark as sold"),
    "sell_privately": ListingTransition(
        (S.DRAFT,), S.SOLD, "commission", "Sell privately"
    ),
}


def listing_allowed_actions(listing: Listing, *, by: str = "owner") -> list[str]:
    """The transitions possible from the listing's status for one role."""
    return [
        name
        for name, t in LISTING_TRANSITIONS.items()
        if listing.status in t.sources and t.by == by
    ]


def _check_owner(actor, listing: Listing) -> None:
    if not can_edit_listing(actor, listing):
        raise PermissionDenied("Only the artisan who makes this piece can change it.")
    if transaction.get_connection().in_atomic_block:
        # Lock the piece before anything else: two writers of one piece then take
        # its row first and never wait on each other's children in opposite orders.
        Listing.objects.select_for_update().filter(pk=listing.pk).values("pk").first()


def listing_event_record(listing, actor, action, from_status, to_status, note=""):
    """Append one status change of a piece to its event log."""
    ListingEvent.objects.create(
        listing=listing,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note[:255],
    )


def _transition(
    *, listing: Listing, actor, action: str, extra: dict | None = None, note=""
) -> Listing:
    transition = LISTING_TRANSITIONS[action]
    current = Listing.objects.filter(pk=listing.pk).values_list("status", flat=True)
    current = current.first()
    changes = {
        "status": transition.target,
        "updated_at": timezone.now(),
        **(extra or {}),
    }
    # The conditional UPDATE is the guard: of two concurrent moves only one matches.
    moved = Listing.objects.filter(pk=listing.pk, status__in=transition.sources).update(
        **changes
    )
    if not moved:
        raise ValidationError(
            f"Cannot {transition.label.lower()} a piece that is "
            f"{S(current).label.lower() if current else 'gone'}."
        )
    listing_event_record(listing, actor, action, current, transition.target, note)
    listing.refresh_from_db()
    catalogue_changed()
    return listing


def listing_was_sold(listing: Listing) -> bool:
    """The piece's last sale stands: it was sold and not since returned."""
    last = (
        listing.events.filter(Q(to_status=S.SOLD) | Q(action="restock"))
        .order_by("-created_at", "-id")
        .first()
    )
    return last is not None and last.to_status == S.SOLD


def publish_problems(listing: Listing) -> dict[str, list[str]]:
    """What stops a listing from being published, by field."""
    problems: dict[str, list[str]] = {}
    if listing.price is None:
        problems.setdefault("price", []).append("Set a price before publishing.")
    if not listing.photos.exists():
        problems.setdefault("photos", []).append("Add at least one photo.")
    metals = list(listing.metals.all())
    if not metals:
        problems.setdefault("metals", []).append(
            "Describe the metal the piece is made of."
        )
    for component in metals:
        try:
            _validate_metal(
                metal=component.metal,
                fineness=component.fineness,
                construction=component.construction,
                weight_grams=component.weight_grams,
                plating_metal=component.plating_metal,
                plating_thickness_microns=component.plating_thickness_microns,
            )
        except ValidationError:
            problems.setdefault("metals", []).append(
                f"Complete the details of “{component}”."
            )
    for stone in listing.gemstones.all():
        if not stone.nature or not stone.treatment:
            problems.setdefault("gemstones", []).append(
                f"Disclose the nature and treatment of “{stone}”."
            )
    if listing.kind == Listing.Kind.MADE_TO_ORDER and not listing.lead_time_days:
        problems.setdefault("lead_time_days", []).append(
            "Give the lead time of a made-to-order piece."
        )
    if listing.kind == Listing.Kind.LIMITED_EDITION and listing.quantity_available < 1:
        problems.setdefault("quantity_available", []).append(
            "No pieces of this edition are left to sell."
        )
    return problems


@transaction.atomic
def listing_publish(*, listing: Listing, actor) -> Listing:
    """Put a draft (or archived) piece in the catalogue: needs price, a photo, materials."""
    _check_owner(actor, listing)
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.kind == Listing.Kind.ONE_OF_A_KIND and listing_was_sold(listing):
        raise ValidationError(
            "A sold one-of-a-kind piece never returns to sale; a returned piece comes "
            "back through its order's return."
        )
    problems = publish_problems(listing)
    if problems:
        raise ValidationError(problems)
    return _transition(
        listing=listing,
        actor=actor,
        action="publish",
        extra={"published_at": listing.published_at or timezone.now()},
    )


@transaction.atomic
def listing_unpublish(*, listing: Listing, actor) -> Listing:
    """Take a published piece back to draft: it disappears from the catalogue."""
    _check_owner(actor, listing)
    return _transition(listing=listing, actor=actor, action="unpublish")


@transaction.atomic
def listing_archive(*, listing: Listing, actor) -> Listing:
    """Retire a piece from the artisan's active listings."""
    _check_owner(actor, listing)
    return _transition(listing=listing, actor=actor, action="archive")


@transaction.atomic
def listing_mark_sold(*, listing: Listing, actor) -> Listing:
    """The artisan records a sale made away from Touchstone (once only)."""
    _check_owner(actor, listing)
    if Listing.objects.filter(pk=listing.pk, quantity_held__gt=0).exists():
        raise ValidationError(
            "A buyer's order holds this piece: it is sold when the order is paid."
        )
    return _transition(
        listing=listing,
        actor=actor,
        action="mark_sold",
        extra={"quantity_available": 0},
    )


@transaction.atomic
def listing_sell_privately(
    *, listing: Listing, actor, buyer, note: str = ""
) -> Listing:
    """Hand a draft piece made for one buyer (a commission) over to them: it is sold
    without ever joining the catalogue, and only they may open it."""
    _check_owner(actor, listing)
    if not getattr(buyer, "is_authenticated", False) or buyer.pk == actor.pk:
        raise ValidationError("A piece is sold privately to a buyer, not to its maker.")
    return _transition(
        listing=listing,
        actor=actor,
        action="sell_privately",
        extra={"private_to": buyer, "quantity_available": 0},
        note=note,
    )


LISTING_ACTIONS = {
    "publish": listing_publish,
    "unpublish": listing_unpublish,
    "archive": listing_archive,
    "mark_sold": listing_mark_sold,
}


# --- Listing details --------------------------------------------------------------------

# The terms of sale a buyer's order was placed on: frozen while any order holds the piece.
HELD_TERMS = ("price", "currency", "kind", "edition_size", "quantity_available")

# What an artisan may set on a piece; forms and serializers take their fields from here.
EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "price",
    "currency",
    "kind",
    "edition_size",
    "quantity_available",
    "lead_time_days",
    "dimensions",
    "ring_size",
    "customisation_options",
    "care_instructions",
)


def _apply_kind_rules(listing: Listing) -> None:
    errors: dict[str, str] = {}
    if listing.kind == Listing.Kind.ONE_OF_A_KIND:
        listing.edition_size = None
        if listing.status in (S.DRAFT, S.PUBLISHED):
            listing.quantity_available = 1
    elif listing.kind == Listing.Kind.LIMITED_EDITION:
        if not listing.edition_size:
            errors["edition_size"] = "Give the size of the edition."
        elif listing.quantity_available is None:
            listing.quantity_available = listing.edition_size
        elif listing.quantity_available > listing.edition_size:
            errors["quantity_available"] = (
                "There cannot be more pieces available than the edition holds."
            )
    elif listing.kind == Listing.Kind.MADE_TO_ORDER:
        listing.edition_size = None
        listing.quantity_available = 1
        if not listing.lead_time_days:
            errors["lead_time_days"] = "Give the lead time in days."
    if listing.kind != Listing.Kind.MADE_TO_ORDER:
        listing.lead_time_days = None
    if errors:
        raise ValidationError(errors)


def _save_listing(listing: Listing, techniques) -> Listing:
    _apply_kind_rules(listing)
    if listing.currency:
        listing.currency = listing.currency.upper()
    listing.full_clean(exclude=["artisan", "techniques", "slug", "search_vector"])
    listing.save()
    if techniques is not None:
        listing.techniques.set(techniques)
    listing_search_rebuild(queryset=Listing.objects.filter(pk=listing.pk))
    catalogue_changed()
    return listing


@transaction.atomic
def listing_create(
    *,
    artisan,
    actor,
    techniques=None,
    derived_from: Listing | None = None,
    **fields: Any,
) -> Listing:
    """A new draft piece for the artisan; the actor must be that artisan.

    ``derived_from`` is one of the artisan's pieces this one is a version of.
    """
    if actor is None or artisan.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("You can only create pieces in your own workshop.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    if derived_from is not None and derived_from.artisan_id != artisan.pk:
        raise ValidationError(
            {"derived_from": "A piece can only derive from one of your own pieces."}
        )
    if fields.get("quantity_available") is None:
        fields.pop("quantity_available", None)
    listing = Listing(artisan=artisan, derived_from=derived_from, **fields)
    if (
        listing.kind == Listing.Kind.LIMITED_EDITION
        and "quantity_available" not in fields
    ):
        listing.quantity_available = listing.edition_size or 1
    listing.slug = unique_slug(Listing, listing.title, fallback="piece")
    _save_listing(listing, techniques)
    listing_event_record(listing, actor, "create", S.DRAFT, S.DRAFT)
    return listing


@transaction.atomic
def listing_update(
    *, listing: Listing, actor, techniques=None, **fields: Any
) -> Listing:
    """Change a piece's details; status and ownership are not fields one can set."""
    _check_owner(actor, listing)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status in (S.SOLD, S.ARCHIVED):
        raise ValidationError("A sold or archived piece can no longer be edited.")
    held = listing.status == S.RESERVED or listing.quantity_held > 0
    frozen = {
        name: "A buyer holds or has ordered this piece: its terms cannot change "
        "until the order is settled."
        for name in HELD_TERMS
        if held and name in fields and fields[name] != getattr(listing, name)
    }
    if frozen:
        raise ValidationError(frozen)
    for name, value in fields.items():
        setattr(listing, name, value)
    if listing.status == S.PUBLISHED and listing.price is None:
        raise ValidationError({"price": "A published piece must keep its price."})
    if "title" in fields or "description" in fields:
        message = _unlabelled_stone_message(
            title=listing.title,
            description=listing.description,
            natures=listing.gemstones.values_list("nature", flat=True),
        )
        if message:
            raise ValidationError({"description": message})
    return _save_listing(listing, techniques)


# --- Materials --------------------------------------------------------------------------


def _validate_metal(
    *,
    metal: str,
    fineness: int | None,
    construction: str,
    weight_grams,
    plating_metal: str = "",
    plating_thickness_microns=None,
) -> None:
    """DOMAIN.md materials rules for one metal component."""
    errors: dict[str, str] = {}
    if metal not in Metal.values:
        errors["metal"] = "Choose a metal."
    if weight_grams is None or Decimal(weight_grams) <= 0:
        errors["weight_grams"] = "Give the weight in grams."
    precious = metal in PRECIOUS_METALS
    if construction in (C.SOLID, C.HOLLOW):
        if precious and not fineness:
            errors["fineness"] = "Give the fineness of solid precious metal."
        if plating_metal or plating_thickness_microns:
            errors["plating_metal"] = (
                "Solid or hollow metal has no plating; choose “plated” or “vermeil”."
            )
    elif construction in (C.PLATED, C.GOLD_FILLED):
        if fineness:
            errors["fineness"] = (
                "A plated or filled piece may not claim a solid fineness: "
                "leave the fineness empty."
            )
        if not plating_metal:
            errors["plating_metal"] = "Say which metal the surface layer is."
        elif construction == C.GOLD_FILLED and plating_metal != Metal.GOLD:
            errors["plating_metal"] = "Gold-filled means a layer of gold."
        elif plating_metal == metal:
            errors["plating_metal"] = "The layer must differ from the base metal."
    elif construction == C.VERMEIL:
        if metal != Metal.SILVER or (fineness or 0) < 925:
            errors["metal"] = "Vermeil is sterling silver (925 or finer) under gold."
        if plating_metal != Metal.GOLD:
            errors["plating_metal"] = "Vermeil is plated with gold."
        if plating_thickness_microns is None or Decimal(
            plating_thickness_microns
        ) < Decimal("2.5"):
            errors["plating_thickness_microns"] = (
                "Vermeil needs a gold layer at least 2.5 microns thick."
            )
    else:
        errors["construction"] = "Choose a construction."
    if (
        plating_thickness_microns is not None
        and Decimal(plating_thickness_microns) <= 0
    ):
        errors["plating_thickness_microns"] = "The thickness must be above zero."
    if fineness and "fineness" not in errors:
        if not precious:
            errors["fineness"] = "Base metals carry no fineness."
        elif problem := nonstandard_fineness(metal, fineness):
            errors["fineness"] = problem
    if errors:
        raise ValidationError(errors)


def _check_editable_materials(listing: Listing) -> None:
    if listing.status in (S.SOLD, S.ARCHIVED):
        raise ValidationError("A sold or archived piece can no longer be edited.")
    if listing.trace_items.exists():
        # The provenance chain records what the piece was made of; from then on a
        # change of materials is a repair or correction event, not an edit.
        raise ValidationError(
            "This piece's materials are recorded in its provenance chain; record a "
            "repair or a correction there instead of editing them."
        )


def _revalidate_hallmarks(listing: Listing) -> None:
    """Hallmark rules 1 and 2 must still hold after the metals change."""
    records = listing.hallmarks.exclude(
        verification_status__in=(
            VerificationStatus.REJECTED,
            VerificationStatus.REVOKED,
        )
    ).select_related("maker_mark")
    for record in records:
        try:
            _validate_hallmark(listing=listing, record=record)
        except ValidationError as error:
            messages = "; ".join(error.messages)
            raise ValidationError(
                f"This change contradicts the hallmark “{record}”: {messages}"
            ) from error


def _set_default_care(listing: Listing, metal: str) -> None:
    if not listing.care_instructions.strip():
        care = DEFAULT_CARE.get(metal, GENERIC_CARE)
        Listing.objects.filter(pk=listing.pk).update(care_instructions=care)
        listing.care_instructions = care


def _materials_changed(listing: Listing) -> None:
    listing_search_rebuild(queryset=Listing.objects.filter(pk=listing.pk))
    catalogue_changed()


@transaction.atomic
def metal_component_add(
    *,
    listing: Listing,
    actor,
    metal: str,
    construction: str = C.SOLID,
    weight_grams,
    fineness: int | None = None,
    plating_metal: str = "",
    plating_thickness_microns=None,
) -> MetalComponent:
    """Add a metal part to a piece, checked against the fineness and plating rules."""
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    _validate_metal(
        metal=metal,
        fineness=fineness,
        construction=construction,
        weight_grams=weight_grams,
        plating_metal=plating_metal,
        plating_thickness_microns=plating_thickness_microns,
    )
    component = MetalComponent(
        listing=listing,
        metal=metal,
        fineness=fineness or None,
        construction=construction,
        weight_grams=weight_grams,
        plating_metal=plating_metal or "",
        plating_thickness_microns=plating_thickness_microns,
        position=listing.metals.count(),
    )
    component.full_clean()
    component.save()
    _set_default_care(listing, metal)
    _materials_changed(listing)
    return component


@transaction.atomic
def metal_component_update(
    *, component: MetalComponent, actor, **fields: Any
) -> MetalComponent:
    """Change a metal part; the same rules apply as when adding it."""
    _check_owner(actor, component.listing)
    _check_editable_materials(component.listing)
    allowed = {
        "metal",
        "fineness",
        "construction",
        "weight_grams",
        "plating_metal",
        "plating_thickness_microns",
        "position",
    }
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError({name: "This field cannot be set."})
        setattr(component, name, value)
    _validate_metal(
        metal=component.metal,
        fineness=component.fineness,
        construction=component.construction,
        weight_grams=component.weight_grams,
        plating_metal=component.plating_metal,
        plating_thickness_microns=component.plating_thickness_microns,
    )
    component.plating_metal = component.plating_metal or ""
    component.full_clean()
    component.save()
    _revalidate_hallmarks(component.listing)
    _materials_changed(component.listing)
    return component


@transaction.atomic
def metal_component_remove(*, component: MetalComponent, actor) -> None:
    """Remove a metal part; a published piece keeps at least one."""
    listing = component.listing
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    if listing.status == S.PUBLISHED and listing.metals.count() <= 1:
        raise ValidationError(
            "A published piece must keep its materials; unpublish it first."
        )
    component.delete()
    _revalidate_hallmarks(listing)
    _materials_changed(listing)


def _validate_gemstone(listing: Listing, fields: dict) -> None:
    errors: dict[str, str] = {}
    nature = fields.get("nature")
    if nature not in Gemstone.Nature.values:
        errors["nature"] = "Say whether the stone is natural, lab-grown or imitation."
    if fields.get("treatment") not in Gemstone.Treatment.values:
        errors["treatment"] = "Disclose the treatment (or “none”)."
    if fields.get("carat") is None or Decimal(fields["carat"]) <= 0:
        errors["carat"] = "Give the carat weight."
    issuer = (fields.get("lab_report_issuer") or "").strip()
    number = (fields.get("lab_report_number") or "").strip()
    if bool(issuer) != bool(number):
        errors["lab_report_number"] = "A lab report needs both its issuer and number."
    if nature in (Gemstone.Nature.LAB_GROWN, Gemstone.Nature.IMITATION):
        message = _unlabelled_stone_message(
            title=listing.title, description=listing.description, natures={nature}
        )
        if message:
            errors["nature"] = message
    if errors:
        raise ValidationError(errors)


_NATURAL_WORD = re.compile(r"\bnatural\b", re.IGNORECASE)
_DISCLOSED_WORDS = re.compile(
    r"\b(lab[- ]?grown|lab[- ]?created|synthetic|imitation|simulated)\b", re.IGNORECASE
)


def _unlabelled_stone_message(*, title: str, description: str, natures) -> str:
    """A lab-grown or imitation stone is always labelled: the text may not call the
    piece natural without saying so."""
    natures = set(natures) & {Gemstone.Nature.LAB_GROWN, Gemstone.Nature.IMITATION}
    if not natures:
        return ""
    text = f"{title} {description}"
    if _NATURAL_WORD.search(text) and not _DISCLOSED_WORDS.search(text):
        labels = " and ".join(sorted(Gemstone.Nature(n).label.lower() for n in natures))
        return (
            "The title or description calls the piece natural, but it has "
            f"{labels} stones: say so in the text."
        )
    return ""


GEMSTONE_FIELDS = (
    "species",
    "nature",
    "treatment",
    "carat",
    "count",
    "origin_country",
    "lab_report_issuer",
    "lab_report_number",
    "position",
)


@transaction.atomic
def gemstone_add(*, listing: Listing, actor, **fields: Any) -> Gemstone:
    """Add a stone, disclosed with its nature, treatment and any lab report."""
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    unknown = set(fields) - set(GEMSTONE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    fields.setdefault("treatment", Gemstone.Treatment.NONE)
    _validate_gemstone(listing, fields)
    fields.setdefault("position", listing.gemstones.count())
    stone = Gemstone(listing=listing, **fields)
    stone.full_clean()
    stone.save()
    _materials_changed(listing)
    return stone


@transaction.atomic
def gemstone_update(*, gemstone: Gemstone, actor, **fields: Any) -> Gemstone:
    """Change a stone's description; the disclosure rules apply again."""
    listing = gemstone.listing
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    for name, value in fields.items():
        if name not in GEMSTONE_FIELDS:
            raise ValidationError({name: "This field cannot be set."})
        setattr(gemstone, name, value)
    _validate_gemstone(
        listing, {name: getattr(gemstone, name) for name in GEMSTONE_FIELDS}
    )
    gemstone.full_clean()
    gemstone.save()
    _materials_changed(listing)
    return gemstone


@transaction.atomic
def gemstone_remove(*, gemstone: Gemstone, actor) -> None:
    """Remove a stone from a piece."""
    listing = gemstone.listing
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    gemstone.delete()
    _materials_changed(listing)


# --- Photos -----------------------------------------------------------------------------


@transaction.atomic
def listing_photo_add(
    *,
    listing: Listing,
    actor,
    image,
    alt_text: str,
    role: str = ListingPhoto.Role.DETAIL,
) -> ListingPhoto:
    """Store a checked, metadata-free re-encode of a photo; its thumbnails follow
    from a task once the transaction commits."""
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    alt_text = (alt_text or "").strip()
    errors = {}
    if not alt_text:
        errors["alt_text"] = "Describe the photo for people who cannot see it."
    if role not in ListingPhoto.Role.values:
        errors["role"] = "Choose what the photo shows."
    if errors:
        raise ValidationError(errors)
    photo = ListingPhoto(listing=listing, alt_text=alt_text[:200])
    try:
        store_photo(photo, image)
    except ValidationError as error:
        raise ValidationError({"image": error.messages}) from error
    photos = listing.photos.all()
    if role == ListingPhoto.Role.MAIN or not photos.exists():
        photos.filter(role=ListingPhoto.Role.MAIN).update(role=ListingPhoto.Role.DETAIL)
        role = ListingPhoto.Role.MAIN
    photo.role = role
    photo.position = photos.count()
    photo.save()
    # Thumbnails are made by a task after the commit; pages show a placeholder until.
    thumbnails_after_commit(photo, source="image", sizes=PHOTO_THUMBNAILS)
    catalogue_changed()
    return photo


@transaction.atomic
def listing_photo_update(*, photo: ListingPhoto, actor, **fields: Any) -> ListingPhoto:
    """Change a photo's alt text, role or position."""
    _check_owner(actor, photo.listing)
    if photo.listing.status in (S.SOLD, S.ARCHIVED):
        raise ValidationError("A sold or archived piece can no longer be edited.")
    for name, value in fields.items():
        if name not in ("alt_text", "role", "position"):
            raise ValidationError({name: "This field cannot be set."})
        setattr(photo, name, value)
    if not (photo.alt_text or "").strip():
        raise ValidationError(
            {"alt_text": "Describe the photo for people who cannot see it."}
        )
    photo.full_clean(exclude=["image", "thumb_small", "thumb_medium", "thumb_large"])
    if photo.role == ListingPhoto.Role.MAIN:
        photo.listing.photos.exclude(pk=photo.pk).filter(
            role=ListingPhoto.Role.MAIN
        ).update(role=ListingPhoto.Role.DETAIL)
    photo.save()
    catalogue_changed()
    return photo


@transaction.atomic
def listing_photo_remove(*, photo: ListingPhoto, actor) -> None:
    """Remove a photo; a published piece keeps at least one."""
    listing = photo.listing
    _check_owner(actor, listing)
    if listing.status == S.PUBLISHED and listing.photos.count() <= 1:
        raise ValidationError("A published piece must keep at least one photo.")
    photo.delete()
    catalogue_changed()


# --- Hallmark records -------------------------------------------------------------------

# Assay systems that accept more than the common standards (India's BIS grades).
SYSTEM_FINENESS = {
    (HallmarkRecord.System.BIS, Metal.GOLD): (375, 585, 750, 833, 916, 958, 995, 999),
    (HallmarkRecord.System.BIS, Metal.SILVER): (800, 835, 900, 925, 970, 990, 999),
}
MARK_REQUIRED = (HallmarkRecord.System.UK, HallmarkRecord.System.US_STAMP)
ASSAY_OFFICE_REQUIRED = (HallmarkRecord.System.UK, HallmarkRecord.System.CCM)


def _validate_hallmark(*, listing: Listing, record: HallmarkRecord) -> None:
    """DOMAIN.md hallmark rules 1-4 for one record on one listing."""
    errors: dict[str, str] = {}
    metal, mark = record.metal, record.fineness_mark
    if metal not in PRECIOUS_METALS:
        errors["metal"] = "Only gold, silver, platinum and palladium are hallmarked."
    else:
        # Rule 1: a fineness mark needs solid construction in the same metal.
        solid = [
            c
            for c in listing.metals.all()
            if c.metal == metal
            and (
                c.construction in (C.SOLID, C.HOLLOW)
                or (c.construction == C.VERMEIL and metal == Metal.SILVER)
            )
        ]
        if not solid:
            errors["fineness_mark"] = (
                f"A {mark} mark needs solid {metal} in the piece; plated or filled "
                "metal cannot carry a fineness mark."
            )
        # Rule 2: a standard value for the metal and system, not above the assay.
        standard = SYSTEM_FINENESS.get(
            (record.system, metal), STANDARD_FINENESS.get(metal, ())
        )
        if mark not in standard:
            errors["fineness_mark"] = (
                f"{mark} is not a standard fineness for {metal}: use one of "
                f"{', '.join(str(v) for v in standard)}."
            )
        elif solid and mark > max(c.fineness or 0 for c in solid):
            errors["fineness_mark"] = (
                f"The mark ({mark}) may not exceed the fineness of the metal "
                f"({max(c.fineness or 0 for c in solid)})."
            )
    # Rule 3: the sponsor's/maker's mark is a verified mark of the selling artisan.
    if record.maker_mark_id is not None:
        maker_mark = record.maker_mark
        if maker_mark.artisan_id != listing.artisan_id:
            errors["maker_mark"] = "The maker's mark must be one of your own marks."
        elif maker_mark.verification_status != VerificationStatus.VERIFIED:
            errors["maker_mark"] = (
                "This maker's mark is not verified yet; it cannot stand on a hallmark."
            )
    elif record.system in MARK_REQUIRED:
        errors["maker_mark"] = (
            "A UK hallmark carries the sponsor's mark and a US quality stamp needs the "
            "maker's registered trademark: choose your mark."
        )
    # Rule 4: an HUID is six capitals or digits, unique across the platform.
    huid = (record.huid or "").strip().upper()
    record.huid = huid
    if record.system == HallmarkRecord.System.BIS:
        if not huid:
            errors["huid"] = "A BIS hallmark carries its 6-character HUID."
        elif not re.fullmatch(HUID_PATTERN, huid):
            errors["huid"] = "An HUID is 6 capital letters or digits."
        elif HallmarkRecord.objects.filter(huid=huid).exclude(pk=record.pk).exists():
            errors["huid"] = "This HUID is already recorded on another piece."
    elif huid:
        errors["huid"] = "Only a BIS hallmark carries an HUID."
    if record.system in ASSAY_OFFICE_REQUIRED and not record.assay_office.strip():
        errors["assay_office"] = "Name the assay office that struck the mark."
    if errors:
        raise ValidationError(errors)


HALLMARK_FIELDS = (
    "system",
    "metal",
    "fineness_mark",
    "maker_mark",
    "assay_office",
    "date_letter",
    "huid",
)


def _store_hallmark_photo(record: HallmarkRecord, photo) -> None:
    try:
        processed = process_image_upload(photo)
    except ValidationError as error:
        raise ValidationError({"photo": error.messages}) from error
    record.photo.save(processed.content.name, processed.content, save=False)


@transaction.atomic
def hallmark_record_add(
    *, listing: Listing, actor, photo=None, **fields: Any
) -> HallmarkRecord:
    """Record a hallmark or stamp struck on a piece, checked against the hallmark rules."""
    _check_owner(actor, listing)
    _check_editable_materials(listing)
    unknown = set(fields) - set(HALLMARK_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    record = HallmarkRecord(listing=listing, **fields)
    _validate_hallmark(listing=listing, record=record)
    if photo is not None:
        _store_hallmark_photo(record, photo)
    record.full_clean(exclude=["photo"])
    record.save()
    catalogue_changed()
    _hallmarks_changed(listing, actor, "A hallmark record was added.")
    return record


def _hallmarks_changed(listing: Listing, actor, reason: str) -> None:
    """A certified piece's page shows its hallmarks: its chain records the change."""
    piece_claims_changed.send(
        sender=HallmarkRecord, listing_ids=[listing.pk], actor=actor, reason=reason
    )


def _check_not_assayed(record: HallmarkRecord) -> None:
    if record.trace_events.exists():
        raise ValidationError(
            "This hallmark is recorded in the piece's assay event; a change needs a new "
            "assay recorded in its provenance chain."
        )


@transaction.atomic
def hallmark_record_update(
    *, record: HallmarkRecord, actor, photo=None, **fields: Any
) -> HallmarkRecord:
    """Correct a hallmark record that is not yet verified nor assayed."""
    _check_owner(actor, record.listing)
    if not record.is_editable:
        raise ValidationError(
            "A verified hallmark record cannot be edited; ask a verifier to revoke it."
        )
    _check_not_assayed(record)
    for name, value in fields.items():
        if name not in HALLMARK_FIELDS:
            raise ValidationError({name: "This field cannot be set."})
        setattr(record, name, value)
    _validate_hallmark(listing=record.listing, record=record)
    if photo is not None:
        _store_hallmark_photo(record, photo)
    record.full_clean(exclude=["photo"])
    record.save()
    catalogue_changed()
    _hallmarks_changed(record.listing, actor, "A hallmark record was corrected.")
    return record


@transaction.atomic
def hallmark_record_remove(*, record: HallmarkRecord, actor) -> None:
    """Withdraw a hallmark record that has not been verified nor assayed."""
    _check_owner(actor, record.listing)
    _check_not_assayed(record)
    if record.verification_status not in (
        VerificationStatus.DRAFT,
        VerificationStatus.REJECTED,
    ):
        raise ValidationError(
            "Only a draft or rejected hallmark record can be removed."
        )
    listing = record.listing
    record.delete()
    catalogue_changed()
    _hallmarks_changed(listing, actor, "A hallmark record was withdrawn.")


def hallmark_record_submit(*, record: HallmarkRecord, actor):
    """Send a hallmark record to the verifiers' queue."""
    _check_owner(actor, record.listing)
    review = claim_submit(record=record, actor=actor)
    catalogue_changed()
    return review


# --- Search -----------------------------------------------------------------------------


def search_vector():
    """A listing's weighted search document (PostgreSQL): title, then its artisan's
    name and its materials, then its description. The one definition, used by
    :func:`listing_search_rebuild` and by the change log's trigger that keeps it."""
    artisan_name = Subquery(
        Artisan.objects.filter(pk=OuterRef("artisan_id")).values("public_name")[:1]
    )
    metals = Subquery(
        MetalComponent.objects.filter(listing=OuterRef("pk"))
        .order_by()
        .values("listing")
        .annotate(words=StringAgg("metal", " "))
        .values("words")[:1]
    )
    stones = Subquery(
        Gemstone.objects.filter(listing=OuterRef("pk"))
        .order_by()
        .values("listing")
        .annotate(words=StringAgg("species", " "))
        .values("words")[:1]
    )
    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector(
            Coalesce(artisan_name, Value(""), output_field=TextField()),
            weight="B",
            config="english",
        )
        + SearchVector(
            Coalesce(metals, Value(""), output_field=TextField()),
            weight="B",
            config="english",
        )
        + SearchVector(
            Coalesce(stones, Value(""), output_field=TextField()),
            weight="B",
            config="english",
        )
        + SearchVector("description", weight="C", config="english")
    )


def listing_search_rebuild(*, queryset=None) -> int:
    """Recompute the stored search vector of many listings in one UPDATE.

    On PostgreSQL the weighted document is built in SQL from the listing, its artisan
    and its materials; the change log's triggers keep it for every write
    (``marketplace.catalogue.changes``), so this is for rows loaded around them. SQLite's
    FTS5 index is kept by its own triggers and needs nothing here.
    """
    queryset = Listing.objects.all() if queryset is None else queryset
    if connection.vendor != "postgresql":
        return queryset.count()
    return Listing.objects.filter(pk__in=queryset.values("pk")).update(
        search_vector=search_vector()
    )
