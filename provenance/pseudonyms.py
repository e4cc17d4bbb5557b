"""Owners as the chain and the certificate show them: a per-piece commitment, never a name.

The chain records, for each owner of a piece, an owner commitment: an HMAC-SHA256 under
the platform's key of the piece and the owner's account (256 bits). It is different
for every piece, so one buyer's pieces and purchase dates cannot be linked across
certificates, and no account can be found whose commitment collides with another's.
Ownership checks compare whole commitments; pages show a short label derived from one.

Chains recorded before commitments hold "Owner #a3f9" pseudonyms (``legacy_pseudonym``);
their hashes cover those values, so they are kept and still checked as they were.
"""

import hashlib
import hmac

from django.conf import settings

LEGACY_PREFIX = "Owner #"


def _key() -> bytes:
    return (settings.TOUCHSTONE_OWNER_PSEUDONYM_KEY or settings.SECRET_KEY).encode()


def owner_commitment(user_id: int | None, listing_id: int) -> str:
    """64 hex digits binding this owner to this piece ("" for no owner)."""
    if user_id is None:
        return ""
    message = f"owner-commitment:v1:{listing_id}:{user_id}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def owner_label(commitment: str) -> str:
    """What a page shows of a recorded owner: 'Owner 3fa9·12c0', per piece."""
    if not commitment or commitment.startswith(LEGACY_PREFIX):
        return commitment
    return f"Owner {commitment[:4]}·{commitment[4:8]}"


def legacy_pseudonym(user_id: int | None) -> str:
    """The pseudonym chains recorded before owner commitments ('Owner #a3f9')."""
    if user_id is None:
        return ""
    digest = hmac.new(_key(), f"owner:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"{LEGACY_PREFIX}{digest[:4]}"


def recorded_owner_matches(recorded: str, user_id: int | None, listing_id: int) -> bool:
    """Whether an owner value recorded in a piece's chain stands for this account."""
    if recorded.startswith(LEGACY_PREFIX):
        return recorded == legacy_pseudonym(user_id)
    return hmac.compare_digest(recorded, owner_commitment(user_id, listing_id))


def owner_recorded_value(
    user_id: int | None, listing_id: int, recorded: str = ""
) -> str:
    """What the chain records for this owner of this piece: the legacy pseudonym where
    the chain recorded one for them, their commitment otherwise."""
    if recorded.startswith(LEGACY_PREFIX) and recorded == legacy_pseudonym(user_id):
        return recorded
    return owner_commitment(user_id, listing_id)


def owner_shown(user_id: int | None, listing_id: int, recorded: str = "") -> str:
    """The label a certificate shows for its current owner."""
    return owner_label(owner_recorded_value(user_id, listing_id, recorded))
