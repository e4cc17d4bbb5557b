"""Writes for artisans' profiles and maker's marks.

Verification status never changes here: that is ``provenance.services.verification``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from artisans.models import Artisan, ArtisanLink, ArtisanPhoto, MakerMark
from artisans.permissions import can_become_artisan, can_edit_artisan
from config.images import process_image_upload
from config.slugs import unique_slug
from ops.services import thumbnails_after_commit
from provenance.services.verification import evidence_add, prepare_evidence_file

MAX_WORKSHOP_PHOTOS = 12
MAX_LINKS = 8

PROFILE_FIELDS = (
    "public_name",
    "story",
    "workshop_name",
    "city",
    "region",
    "country",
    "years_of_practice",
    "workshop_visits",
    "commission_status",
    "commission_lead_time_weeks",
)
MARK_FIELDS = (
    "text",
    "registration_system",
    "registry_reference",
    "registered_on",
    "expires_on",
)


def _store_image(field_file, uploaded):
    """Check, re-encode and store an upload (raises ValidationError before any write)."""
    processed = process_image_upload(uploaded)
    field_file.save(processed.content.name, processed.content, save=False)


def _check_images(*, portrait=None, workshop_photos=()) -> None:
    """Validate every upload first, so that one bad file saves nothing at all."""
    errors = {}
    if portrait is not None:
        try:
            process_image_upload(portrait)
        except ValidationError as error:
            errors["portrait"] = error.messages
    for uploaded, _alt in workshop_photos:
        try:
            process_image_upload(uploaded)
        except ValidationError as error:
            errors.setdefault("workshop_photos", []).extend(
                f"{uploaded.name}: {message}" for message in error.messages
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def artisan_set_images(
    *, artisan: Artisan, portrait=None, workshop_photos=()
) -> Artisan:
    """Store a portrait and workshop photos as metadata-free re-encodes; their
    thumbnails follow from tasks once the transaction commits.

    ``workshop_photos`` is a sequence of (uploaded file, alt text). Every file is checked
    before anything is stored: a bad file raises ValidationError and saves nothing.
    """
    workshop_photos = list(workshop_photos)
    _check_images(portrait=portrait, workshop_photos=workshop_photos)
    start = artisan.photos.count()
    if start + len(workshop_photos) > MAX_WORKSHOP_PHOTOS:
        raise ValidationError(
            {
                "workshop_photos": (
                    f"A profile holds at most {MAX_WORKSHOP_PHOTOS} workshop photos."
                )
            }
        )
    if portrait is not None:
        _store_image(artisan.portrait, portrait)
        # The old thumbnail goes with the old portrait; a task makes the new one.
        artisan.portrait_thumbnail = ""
        artisan.save(update_fields=["portrait", "portrait_thumbnail", "updated_at"])
        thumbnails_after_commit(
            artisan, source="portrait", sizes={"portrait_thumbnail": 480}
        )
    for offset, (uploaded, alt_text) in enumerate(workshop_photos):
        photo = ArtisanPhoto(
            artisan=artisan,
            alt_text=(alt_text or f"{artisan.workshop_name or artisan} workshop")[:200],
            position=start + offset,
        )
        _store_image(photo.image, uploaded)
        photo.save()
        thumbnails_after_commit(photo, source="image", sizes={"thumbnail": 640})
    return artisan


def _apply_profile(artisan: Artisan, data: dict) -> None:
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(artisan, field, data[field])
    artisan.full_clean(exclude=["user", "portrait", "portrait_thumbnail"])


@transaction.atomic
def artisan_create(
    *,
    user,
    data: dict,
    traditions=(),
    techniques=(),
    portrait=None,
    workshop_photos=(),
) -> Artisan:
    """A logged-in user becomes an artisan: public at once, unverified until reviewed."""
    if not can_become_artisan(user):
        raise PermissionDenied("You already have an artisan profile.")
    artisan = Artisan(user=user)
    artisan.slug = unique_slug(
        Artisan, data.get("public_name", ""), fallback="artisan", max_length=120
    )
    _apply_profile(artisan, data)
    try:
        with transaction.atomic():
            artisan.save()
    except IntegrityError as error:
        raise ValidationError("You already have an artisan profile.") from error
    artisan.traditions.set(traditions)
    artisan.techniques.set(techniques)
    artisan_set_images(
        artisan=artisan, portrait=portrait, workshop_photos=workshop_photos
    )
    return artisan


@transaction.atomic
def artisan_update(
    *,
    artisan: Artisan,
    actor,
    data: dict,
    traditions=None,
    techniques=None,
    portrait=None,
    workshop_photos=(),
    remove_photo_ids=(),
) -> Artisan:
    """The owner edits their profile; images are checked before anything is written."""
    if not can_edit_artisan(actor, artisan):
        raise PermissionDenied("You can only edit your own profile.")
    _check_images(portrait=portrait, workshop_photos=list(workshop_photos))
    _apply_profile(artisan, data)
    artisan.save()
    if traditions is not None:
        artisan.traditions.set(traditions)
    if techniques is not None:
        artisan.techniques.set(techniques)
    if remove_photo_ids:
        artisan.photos.filter(pk__in=list(remove_photo_ids)).delete()
    artisan_set_images(
        artisan=artisan, portrait=portrait, workshop_photos=workshop_photos
    )
    return artisan


@transaction.atomic
def artisan_link_add(*, artisan: Artisan, actor, label: str, url: str) -> ArtisanLink:
    """Add a link (shop, social, press) to the owner's profile."""
    if not can_edit_artisan(actor, artisan):
        raise PermissionDenied("You can only edit your own profile.")
    if artisan.links.count() >= MAX_LINKS:
        raise ValidationError({"url": f"A profile holds at most {MAX_LINKS} links."})
    link = ArtisanLink(artisan=artisan, label=label, url=url)
    link.full_clean()
    link.save()
    return link


def _check_mark_unique(mark: MakerMark) -> None:
    clash = (
        MakerMark.objects.filter(
            artisan=mark.artisan,
            text=mark.text,
            registration_system=mark.registration_system,
        )
        .exclude(pk=mark.pk)
        .exists()
    )
    if clash:
        raise ValidationError(
            {"text": "You already registered this mark under this registration system."}
        )


def _apply_mark(mark: MakerMark, data: dict) -> None:
    for field in MARK_FIELDS:
        if field in data:
            setattr(mark, field, data[field])
    errors = {}
    if (
        mark.registration_system != MakerMark.RegistrationSystem.UNREGISTERED
        and not (mark.registry_reference or "").strip()
    ):
        errors["registry_reference"] = (
            "Give the registry reference (or choose “Unregistered”)."
        )
    if mark.registered_on and mark.expires_on and mark.expires_on <= mark.registered_on:
        errors["expires_on"] = "The expiry date must be after the registration date."
    if errors:
        raise ValidationError(errors)
    _check_mark_unique(mark)
    mark.full_clean(exclude=["artisan", "image"], validate_constraints=False)


@transaction.atomic
def maker_mark_create(
    *, artisan: Artisan, actor, data: dict, image=None, evidence=None
) -> MakerMark:
    """An artisan declares a maker's mark (a draft until they submit it)."""
    if not can_edit_artisan(actor, artisan):
        raise PermissionDenied("You can only register marks on your own profile.")
    mark = MakerMark(artisan=artisan)
    _apply_mark(mark, data)
    if evidence is not None:
        # Check the evidence before anything is stored, so a bad file saves nothing.
        prepare_evidence_file(evidence)
    if image is not None:
        try:
            _store_image(mark.image, image)
        except ValidationError as error:
            raise ValidationError({"image": error.messages}) from error
    mark.save()
    if evidence is not None:
        evidence_add(record=mark, actor=actor, uploaded=evidence)
    return mark


@transaction.atomic
def maker_mark_update(*, mark: MakerMark, actor, data: dict, image=None) -> MakerMark:
    """The owner corrects a mark while it is not verified."""
    if mark.artisan.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("You can only edit your own marks.")
    if not mark.is_editable:
        raise ValidationError(
            "A verified (or suspended or revoked) mark can no longer be edited."
        )
    _apply_mark(mark, data)
    if image is not None:
        try:
            _store_image(mark.image, image)
        except ValidationError as error:
            raise ValidationError({"image": error.messages}) from error
    mark.save()
    return mark


@transaction.atomic
def artisan_link_remove(*, artisan: Artisan, actor, link_id: int) -> None:
    """Remove one of the owner's links (someone else's link is simply not found)."""
    if not can_edit_artisan(actor, artisan):
        raise PermissionDenied("You can only edit your own profile.")
    deleted, _ = artisan.links.filter(pk=link_id).delete()
    if not deleted:
        raise ValidationError("No such link on your profile.")
