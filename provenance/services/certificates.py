"""Certificates of authenticity: issue, the chain's verdict, and hand-over of ownership.

A certificate sits above the chain it shows: the services here call the chain's
(``provenance.services.chain``), never the other way round. The owner a certificate
shows is derived from a per-piece owner commitment (``provenance.pseudonyms``), which
the chain records.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from config import ratelimit
from marketplace.catalogue.caching import catalogue_changed
from provenance.models import Certificate, OwnershipHandover
from provenance.models.certificates import CODE_ALPHABET, CODE_LENGTH
from provenance.services.chain import (
    ChainVerification,
    chain_anchor_refresh,
    ownership_record,
    piece_claims_record,
    provenance_verify,
)
from provenance.services.transparency import log_certificate, log_ownership

HANDOVER_VALID_FOR = timedelta(days=14)
CLAIM_CODE_LENGTH = 12


def _new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@transaction.atomic
def certificate_issue(*, listing, owner=None) -> Certificate:
    """The piece's certificate: the existing one, or a new one with a short unique code."""
    existing = Certificate.objects.filter(listing=listing).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    listing=listing, code=_new_code(), owner=owner
                )
            log_certificate(certificate=certificate)
            # The chain may already exist (a piece made before its certificate).
            chain_anchor_refresh(listing_ids=[listing.pk])
            piece_claims_record(listing=listing, reason="The certificate was issued.")
            certificate.refresh_from_db(fields=["chain_head", "chain_length"])
            return certificate
        except IntegrityError:
            existing = Certificate.objects.filter(listing=listing).first()
            if existing is not None:
                return existing
    raise RuntimeError("Could not draw a unique certificate code.")


def certificate_record_verification(*, certificate, ok: bool) -> None:
    """Remember a chain's verdict for filtering; writes only when it changed."""
    if certificate.chain_verified == ok and certificate.chain_checked_at is not None:
        return
    now = timezone.now()
    # The catalogue's "chain verified" filter and cached pages change with it, in the
    # same transaction as the verdict.
    with transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(
            chain_verified=ok, chain_checked_at=now
        )
        catalogue_changed()
    certificate.chain_verified, certificate.chain_checked_at = ok, now


def certificate_verify_all() -> list[tuple[Certificate, ChainVerification]]:
    """Verify every certified piece's chain and record each verdict (the catalogue's
    "chain verified" filter reads it); returns the broken ones with their verdict."""
    broken = []
    for certificate in Certificate.objects.select_related("listing").iterator():
        result = provenance_verify(certificate.listing)
        certificate_record_verification(certificate=certificate, ok=result.ok)
        if not result.ok and result.checked:
            broken.append((certificate, result))
    return broken


def _hash_code(code: str) -> str:
    normalised = "".join((code or "").split()).upper().replace("-", "")
    return hashlib.sha256(f"handover:{normalised}".encode()).hexdigest()


def can_hand_over(user, certificate: Certificate) -> bool:
    """The owner hands a piece over; before its first sale, the maker does."""
    if not user.is_authenticated:
        return False
    if certificate.owner_id is not None:
        return certificate.owner_id == user.pk
    return certificate.listing.artisan.user_id == user.pk


@transaction.atomic
def ownership_handover_start(*, actor, certificate) -> str:
    """Start a hand-over: a one-time claim code for the next owner (only its hash is kept)."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if actor is None or not can_hand_over(actor, certificate):
        raise PermissionDenied("Only the piece's owner can hand it over.")
    OwnershipHandover.objects.filter(certificate=certificate).open().update(
        cancelled_at=timezone.now()
    )
    code = _new_code(CLAIM_CODE_LENGTH)
    OwnershipHandover.objects.create(
        certificate=certificate,
        code_hash=_hash_code(code),
        started_by=actor,
        expires_at=timezone.now() + HANDOVER_VALID_FOR,
    )
    return code


@transaction.atomic
def ownership_claim(*, actor, code: str, client_ip: str = "") -> Certificate:
    """The new owner claims the piece with the code; recorded as an ownership event.

    Attempts are limited per account and per client address
    (``CLAIM_LIMIT_PER_HOUR``), so claim codes cannot be guessed by trying many."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Log in to claim a piece.")
    limit = settings.CLAIM_LIMIT_PER_HOUR
    message = "Too many claim attempts: try again in an hour."
    ratelimit.check(
        "claim-user", str(actor.pk), limit=limit, window=3600, message=message
    )
    if client_ip:
        ratelimit.check(
            "claim-ip", client_ip, limit=limit * 3, window=3600, message=message
        )
    handover = (
        OwnershipHandover.objects.select_for_update()
        .select_related("certificate__listing__artisan")
        .filter(code_hash=_hash_code(code))
        .first()
    )
    if (
        handover is None
        or handover.claimed_at is not None
        or handover.cancelled_at is not None
        or handover.expires_at < timezone.now()
    ):
        raise ValidationError(
            {"code": "This claim code is not valid: it is wrong, used or expired."}
        )
    certificate = Certificate.objects.select_for_update().get(
        pk=handover.certificate_id
    )
    if certificate.owner_id == actor.pk:
        raise ValidationError({"code": "You already own this piece."})
    now = timezone.now()
    _owner_change(
        certificate, actor, listing=handover.certificate.listing, occurred_at=now
    )
    handover.claimed_by = actor
    handover.claimed_at = now
    handover.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return certificate


@transaction.atomic
def certificate_pass_on_sale(*, listing, buyer) -> Certificate | None:
    """A sold piece was delivered: its certificate passes to the buyer, recorded as an
    ownership event on its chain (as a hand-over is). A piece without a certificate
    has nothing to pass; passing it to its current owner changes nothing."""
    certificate = (
        Certificate.objects.select_for_update().filter(listing=listing).first()
    )
    if certificate is None or certificate.owner_id == buyer.pk:
        return certificate
    _owner_change(certificate, buyer, listing=listing)
    return certificate


def _owner_change(certificate, owner, *, listing, occurred_at=None) -> None:
    """The piece passes to ``owner``: an ownership event on its chain, the certificate
    moved with it, and the change in the transparency log."""
    event = ownership_record(listing=listing, owner=owner, occurred_at=occurred_at)
    certificate.owner = owner
    certificate.save(update_fields=["owner", "updated_at"])
    log_ownership(certificate=certificate, event=event)
