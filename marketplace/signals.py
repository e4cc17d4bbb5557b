"""Keep the catalogue's caches and facet index exact whatever writes the data.

Every ORM save or delete of a model that a facet or a catalogue page reads records the
listings it touches (``caching.catalogue_changed``), in the writer's transaction: the
services, the admin and the management commands alike. Writes made with
``QuerySet.update`` or ``bulk_create`` send no signals; the services that use them call
``catalogue_changed`` themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from artisans.models import Artisan, MakerMark, Technique
from marketplace import facet_index
from marketplace.caching import catalogue_changed
from marketplace.models import (
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
)
from provenance.models import Certificate

# Rows whose values a facet reads.
LISTING_CHILDREN = (MetalComponent, Gemstone, HallmarkRecord, Certificate)


def _listing_saved(sender, instance, **kwargs):
    catalogue_changed(listings=[instance.pk])


def _child_saved(sender, instance, **kwargs):
    catalogue_changed(listings=[instance.listing_id])


def _page_changed(sender, instance, **kwargs):
    catalogue_changed()


def _artisan_saved(sender, instance, **kwargs):
    catalogue_changed(artisans=[instance.pk])


def _mark_saved(sender, instance, **kwargs):
    catalogue_changed(artisans=[instance.artisan_id])


def _vocabulary_changed(sender, instance, **kwargs):
    facet_index.record_change(everything=True)
    catalogue_changed()


for name, signal in (("save", post_save), ("delete", post_delete)):
    signal.connect(_listing_saved, sender=Listing, dispatch_uid=f"ts-listing-{name}")
    for model in LISTING_CHILDREN:
        signal.connect(
            _child_saved, sender=model, dispatch_uid=f"ts-{model.__name__}-{name}"
        )
    signal.connect(_page_changed, sender=ListingPhoto, dispatch_uid=f"ts-photo-{name}")
    signal.connect(_artisan_saved, sender=Artisan, dispatch_uid=f"ts-artisan-{name}")
    signal.connect(_mark_saved, sender=MakerMark, dispatch_uid=f"ts-mark-{name}")
    signal.connect(
        _vocabulary_changed, sender=Technique, dispatch_uid=f"ts-technique-{name}"
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
