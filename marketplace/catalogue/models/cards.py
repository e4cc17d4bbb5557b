"""The catalogue's read model: each listing's card, stored as it is served."""

from django.db import models

from .listings import Listing


class ListingCardQuerySet(models.QuerySet):
    def of_listings(self, ids):
        return self.filter(pk__in=ids)

    def of_artisans(self, ids):
        return self.filter(artisan_id__in=ids)


class ListingCard(models.Model):
    """A listing's card as the API list serves it (JSON) and the grid shows it (HTML),
    and the parts of its piece page that every visitor sees alike.

    Stored by ``marketplace.catalogue.cards`` when first read and deleted by
    ``cards_forget`` in the transaction of any write that changes what it shows.
    Absolute URLs in ``json`` carry a stand-in for the request's origin.
    """

    listing = models.OneToOneField(
        Listing, on_delete=models.CASCADE, primary_key=True, related_name="card"
    )
    # For forgetting an artisan's cards when their name, rating or status changes.
    artisan_id = models.BigIntegerField(db_index=True)
    json = models.TextField()
    html = models.TextField()
    # What built the card (template, fields, URL prefixes): a card built otherwise is
    # rebuilt on read.
    version = models.CharField(max_length=32)
    # The parts of the piece page that are the same for every visitor (JSON: part
    # name -> HTML), stored when the page is first shown, and what built them.
    page = models.TextField(blank=True, default="")
    page_version = models.CharField(max_length=32, blank=True, default="")

    objects = ListingCardQuerySet.as_manager()

    class Meta:
        ordering = ["listing_id"]

    def __str__(self):
        return f"card of listing {self.listing_id}"
