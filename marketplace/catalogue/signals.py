"""Keep the catalogue's caches, facet index and stored cards exact whatever writes the
data.

Every ORM save or delete of a model that a facet or a catalogue page reads records the
listings it touches (``caching.catalogue_changed``), in the writer's transaction: the
services, the admin and the management commands alike. Recording a change forgets the
cards of the listings it names; what cards show and facets do not (photos, an artisan's
name, rating and verification) forgets them here (``cards.cards_forget``). Writes made
with ``QuerySet.update`` or ``bulk_create`` send no signals; the services that use them
call ``catalogue_changed`` themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.dispatch import receiver

from artisans.models import Artisan, MakerMark, Technique
from marketplace.catalogue import facet_index
from marketplace.catalogue.caching import catalogue_changed
from marketplace.catalogue.cards import cards_forget
from marketplace.catalogue.models import (
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
)
from provenance.models import Certificate

# Rows whose values a facet reads.
LISTING_CHILDREN = (MetalComponent, Gemstone, HallmarkRecord, Certificate)


# What each model's facet values hang on, remembered as loaded, so that a save which
# moves a row (to another piece or artisan) updates the old owner too.
REMEMBERED = {
    **dict.fromkeys((*LISTING_CHILDREN, ListingPhoto), "listing_id"),
    MakerMark: "artisan_id",
    Artisan: "country",
    Technique: "slug",
}


def _remember(sender, instance, **kwargs):
    # ``__dict__``, not getattr: a deferred field must not cost a query here.
    instance._catalogue_loaded = instance.__dict__.get(REMEMBERED[sender])


def _loaded(instance):
    return getattr(instance, "_catalogue_loaded", None)


def _listing_saved(sender, instance, **kwargs):
    catalogue_changed(listings=[instance.pk])


def _child_saved(sender, instance, **kwargs):
    catalogue_changed(listings={instance.listing_id, _loaded(instance)} - {None})
    instance._catalogue_loaded = instance.listing_id


def _photo_saved(sender, instance, **kwargs):
    # Photos are on no facet; the main one (or the first) is on the piece's card.
    cards_forget(listings={instance.listing_id, _loaded(instance)})
    catalogue_changed()
    instance._catalogue_loaded = instance.listing_id


def _artisan_saved(sender, instance, created=False, **kwargs):
    # Only the country is a facet value; the name, rating, verification and the rest
    # are on cards and cached pages.
    deleted = kwargs.get("signal") is post_delete
    if created or deleted or _loaded(instance) != instance.__dict__.get("country"):
        catalogue_changed(artisans=[instance.pk])
    else:
        cards_forget(artisans=[instance.pk])
        catalogue_changed()
    instance._catalogue_loaded = instance.__dict__.get("country")


def _mark_saved(sender, instance, **kwargs):
    catalogue_changed(artisans={instance.artisan_id, _loaded(instance)} - {None})
    instance._catalogue_loaded = instance.artisan_id


def _technique_saved(sender, instance, created=False, **kwargs):
    # Pieces carry techniques by slug; a new technique is on no piece yet, and a new
    # name is only a label.
    deleted = kwargs.get("signal") is post_delete
    if deleted or (not created and _loaded(instance) != instance.slug):
        facet_index.record_change(everything=True)
    catalogue_changed()
    instance._catalogue_loaded = instance.slug


for model in REMEMBERED:
    post_init.connect(_remember, sender=model, dispatch_uid=f"ts-{model.__name__}-init")
for name, signal in (("save", post_save), ("delete", post_delete)):
    signal.connect(_listing_saved, sender=Listing, dispatch_uid=f"ts-listing-{name}")
    for model in LISTING_CHILDREN:
        signal.connect(
            _child_saved, sender=model, dispatch_uid=f"ts-{model.__name__}-{name}"
        )
    signal.connect(_photo_saved, sender=ListingPhoto, dispatch_uid=f"ts-photo-{name}")
    signal.connect(_artisan_saved, sender=Artisan, dispatch_uid=f"ts-artisan-{name}")
    signal.connect(_mark_saved, sender=MakerMark, dispatch_uid=f"ts-mark-{name}")
    signal.connect(
        _technique_saved, sender=Technique, dispatch_uid=f"ts-technique-{name}"
    )


@receiver(m2m_changed, sender=Listing.techniques.through, dispatch_uid="ts-techniques")
def _techniques_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        catalogue_changed(listings=[instance.pk])
    elif pk_set:
        catalogue_changed(listings=pk_set)
    else:
        # A technique cleared from all its pieces: which ones is no longer known.
        facet_index.record_change(everything=True)
        catalogue_changed()
