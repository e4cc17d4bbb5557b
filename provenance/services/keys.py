"""The key set: every key that has signed exports, with when it was in use.

The key now signing is registered the first time it signs (or is asked for); a newly
registered key retires every other, so exactly one key is current. A retired key never
signs again, and exports it signed while current verify against the key set forever
(``verify_with_key_set``).
"""

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from provenance import signing
from provenance.models import SigningKey


@transaction.atomic
def signing_key_register(*, key: Ed25519PrivateKey | None = None) -> SigningKey:
    """The key set's entry of the key now signing (by default the configured one).

    Registering a key that is not yet in the set retires the current one; a key that
    was retired cannot come back."""
    public = (key or signing.private_key()).public_key()
    key_id = signing.key_id(public)
    existing = SigningKey.objects.filter(key_id=key_id).first()
    if existing is not None:
        if existing.is_retired:
            raise ImproperlyConfigured(
                f"The signing key {key_id} was retired on {existing.retired_at:%Y-%m-%d}; "
                "configure the current key (TOUCHSTONE_SIGNING_KEY)."
            )
        return existing
    now = timezone.now()
    SigningKey.objects.select_for_update().filter(retired_at__isnull=True).update(
        retired_at=now
    )
    return SigningKey.objects.create(
        key_id=key_id,
        algorithm=signing.ALGORITHM,
        public_key_pem=signing.public_key_pem(public),
        valid_from=now,
    )


def key_set() -> list[dict]:
    """The published key set: every key, current or retired, with its validity."""
    return [
        {
            "key_id": key.key_id,
            "algorithm": key.algorithm,
            "public_key_pem": key.public_key_pem,
            "valid_from": key.valid_from.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            "status": "retired" if key.is_retired else "current",
        }
        for key in SigningKey.objects.all()
    ]


def key_for(document: dict, keys: list[dict]) -> tuple[object | None, str]:
    """The public key of ``keys`` that signed ``document``, or None and why not.

    The signature names its key; the export says when it was made, and the key must
    have been current then."""
    try:
        key_id = document["signature"]["key_id"]
        exported_at = parse_datetime(document["payload"]["exported_at"])
    except (KeyError, TypeError, ValueError):
        return None, "The export does not name its signing key and time."
    entry = next((k for k in keys if k.get("key_id") == key_id), None)
    if entry is None:
        return (
            None,
            f"The export is signed by key {key_id}, which is not in the key set.",
        )
    valid_from = _moment(entry.get("valid_from"))
    retired_at = _moment(entry.get("retired_at"))
    if exported_at is None or valid_from is None or exported_at < valid_from:
        return None, f"The export predates key {key_id}'s validity."
    if retired_at is not None and exported_at >= retired_at:
        return None, f"The export was signed by key {key_id} after it was retired."
    try:
        return signing.load_public_key(entry["public_key_pem"]), ""
    except (KeyError, ValueError):
        return None, f"Key {key_id} in the key set is not an Ed25519 public key."


def _moment(value) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except (TypeError, ValueError):
        return None
