"""Expire the cached catalogue pages whatever writes the data.

The facet index and the stored cards follow the change log that database triggers keep
(``marketplace.catalogue.changes``). Cached anonymous pages follow a version number in the
cache instead, bumped when a transaction that saved or deleted a model a catalogue page
shows commits: the services, the admin and the management commands alike. Writes made
with ``QuerySet.update`` or ``bulk_create`` send no signals; the services that use them
call ``catalogue_changed`` themselves, and the cache's short TTL bounds any other.

A save of a listing or its photo also forgets its card once the transaction commits,
for a reader that built the card from the rows as they were while the writer was open.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from artisans.models import Artisan, MakerMark, Technique
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

# Models whose rows a catalogue page shows.
SHOWN = (
    Listing,
    MetalComponent,
    Gemstone,
    HallmarkRecord,
    Certificate,
    ListingPhoto,
    Artisan,
    MakerMark,
    Technique,
)


def _changed(sender, **kwargs):
    catalogue_changed()


def _card_changed(sender, instance, **kwargs):
    cards_forget(listings=[instance.pk if sender is Listing else instance.listing_id])


for model in SHOWN:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(
            _changed, sender=model, dispatch_uid=f"ts-{model.__name__}-{name}"
        )
    if model in (Listing, ListingPhoto):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                _card_changed,
                sender=model,
                dispatch_uid=f"ts-card-{model.__name__}-{name}",
            )
m2m_changed.connect(
    _changed, sender=Listing.techniques.through, dispatch_uid="ts-techniques"
)
