"""The catalogue's change log: what the facet index and the stored cards follow.

Database triggers (``marketplace.catalogue.changes``) append a row for every listing or
artisan whose catalogue values a write touches, in the writer's transaction. Ids only
grow, so a reader follows the log by id; on PostgreSQL a transaction may commit after
one that took a later id, which readers allow for (``facet_index``).
"""

from django.db import models
from django.db.models.functions import Now


class CatalogueChange(models.Model):
    """One touched listing or artisan; neither means "everything"."""

    listing_id = models.BigIntegerField(null=True, blank=True)
    artisan_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        target = (
            f"listing {self.listing_id}"
            if self.listing_id
            else f"artisan {self.artisan_id}"
            if self.artisan_id
            else "everything"
        )
        return f"change {self.pk}: {target}"
