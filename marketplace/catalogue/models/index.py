"""What the catalogue's facet index needs to stay exact: a revision and a change log.

Every write that can change a facet count bumps ``CatalogueRevision`` inside its own
transaction and logs the listings (or artisans) it touched in ``CatalogueChange``. The
revision row is locked by the bump until the writer commits, so revisions become
visible in the order they were taken: a reader that sees revision *n* can see every
change up to *n*. The token changes with every bump, so a rolled-back bump followed by
another one never looks like the same revision.
"""

from django.db import models


class CatalogueRevision(models.Model):
    """A single row: the catalogue's current revision."""

    number = models.BigIntegerField(default=0)
    token = models.CharField(max_length=32, blank=True)

    def __str__(self):
        return f"catalogue revision {self.number}"


class CatalogueChange(models.Model):
    """One revision's touched listing or artisan; neither means "everything"."""

    revision = models.BigIntegerField(db_index=True)
    token = models.CharField(max_length=32)
    listing_id = models.BigIntegerField(null=True, blank=True)
    artisan_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["revision", "id"]

    def __str__(self):
        target = (
            f"listing {self.listing_id}"
            if self.listing_id
            else f"artisan {self.artisan_id}"
            if self.artisan_id
            else "everything"
        )
        return f"revision {self.revision}: {target}"
