"""Keep the catalogue's caches, facet index and stored cards exact whatever writes the
data.

Every ORM save or delete of a model that a facet or a catalogue page reads records the
listings it touches (``caching.catalogue_changed``), in the writer's transaction: the
services, the admin and the management commands alike. That covers what the stored
cards show and facets do not (photos, an artisan's name, rating and verification):
recording a change forgets the cards of the listings it names (``cards.cards_forget``);
an artisan save that changes nothing shown forgets their cards without a record.
Writes made with ``QuerySet.update`` or ``bulk_create`` send no signals; the services
that use them call ``catalogue_changed`` themselves.
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
# Rows on no facet whose values a stored card shows: the main photo (or the first).
CARD_CHILDREN = (ListingPhoto,)


# An artisan's fields that a facet (the country) or a card shows.
ARTISAN_SHOWN = (
    "country",
    "public_name",
    "slug",
    "verification_status",
    "rating_average",
    "rating_count",
)

# What each model's facet values hang on, remembered as loaded, so that a save which
# moves a row (to another piece or artisan) updates the old owner too.
REMEMBERED = {
    **dict.fromkeys((*LISTING_CHILDREN, *CARD_CHILDREN), "listing_id"),
    MakerMark: "artisan_id",
    Artisan: ARTISAN_SHOWN,
    Technique: "slug",
}


def _values(instance, names):
    # ``__dict__``, not getattr: a deferred field must not cost a query here.
    if isinstance(names, str):
        return instance.__dict__.get(names)
    return tuple(instance.__dict__.get(name) for name in names)


def _remember(sender, instance, **kwargs):
    instance._catalogue_loaded = _values(instance, REMEMBERED[sender])


def _loaded(instance):
    return getattr(instance, "_catalogue_loaded", None)


def _listing_saved(sender, instance, **kwargs):
    catalogue_changed(listings=[instance.pk])


def _child_saved(sender, instance, **kwargs):
    catalogue_changed(listings={instance.listing_id, _loaded(instance)} - {None})
    instance._catalogue_loaded = instance.listing_id


def _artisan_saved(sender, instance, created=False, **kwargs):
    # The country is a facet value; the name, slug, rating and verification are on
    # cards. A save that changes none of them reloads no facet, and forgets the
    # artisan's cards all the same.
    deleted = kwargs.get("signal") is post_delete
    shown = _values(instance, ARTISAN_SHOWN)
    if created or deleted or _loaded(instance) != shown:
        catalogue_changed(artisans=[instance.pk])
    else:
        cards_forget(artisans=[instance.pk])
        catalogue_changed()
    instance._catalogue_loaded = shown


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
    for model in (*LISTING_CHILDREN, *CARD_CHILDREN):
        signal.connect(
            _child_saved, sender=model, dispatch_uid=f"ts-{model.__name__}-{name}"
        )
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
