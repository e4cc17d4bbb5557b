"""The platform's signing keys: the public half of every key that ever signed, kept."""

from django.db import models


class SigningKey(models.Model):
    """A public key that signs (or once signed) exports, with when it was in use.

    The private key is never stored here: it lives in ``TOUCHSTONE_SIGNING_KEY``. A key
    is registered the first time it signs; when another key takes over, it is retired,
    and exports it signed keep verifying against the key set.
    """

    key_id = models.CharField(max_length=16, unique=True)
    algorithm = models.CharField(max_length=16, default="Ed25519")
    public_key_pem = models.TextField()
    valid_from = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["valid_from", "id"]

    def __str__(self):
        return f"{self.algorithm} key {self.key_id}"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def valid_at(self, moment) -> bool:
        """Whether the key was the one in use at ``moment``."""
        return self.valid_from <= moment and (
            self.retired_at is None or moment < self.retired_at
        )
