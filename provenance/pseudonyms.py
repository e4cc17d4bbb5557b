"""Owners as the chain and the certificate show them: a stable pseudonym, never a name.

The ownership events of a piece's chain record it, the certificate shows it, and
verification compares the two.
"""

import hashlib
import hmac

from django.conf import settings


def owner_pseudonym(user) -> str:
    """'Owner #a3f9': stable per owner, unlinkable to the account without the key."""
    return owner_pseudonym_of(user.pk if user is not None else None)


def owner_pseudonym_of(user_id: int | None) -> str:
    """The pseudonym of the user with this id ("" for none), without loading the user."""
    if user_id is None:
        return ""
    key = (settings.TOUCHSTONE_OWNER_PSEUDONYM_KEY or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"owner:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"Owner #{digest[:4]}"
