"""Certificates of authenticity: issue, export (signed JSON), and hand-over of ownership."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from provenance.models import Certificate, OwnershipHandover, TraceEvent
from provenance.models.certificates import CODE_ALPHABET, CODE_LENGTH
from provenance.services import chain as chain_services

HANDOVER_VALID_FOR = timedelta(days=14)
CLAIM_CODE_LENGTH = 12


def _new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


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
            # The chain may already exist (a piece made before its certificate).
            chain_services.chain_anchor_refresh(listing_ids=[listing.pk])
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
    from marketplace.catalogue.caching import catalogue_changed

    with transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(
            chain_verified=ok, chain_checked_at=now
        )
        catalogue_changed(listings=[certificate.listing_id])
    certificate.chain_verified, certificate.chain_checked_at = ok, now


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
def ownership_claim(*, actor, code: str) -> Certificate:
    """The new owner claims the piece with the code; recorded as an ownership event."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("Log in to claim a piece.")
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
    listing = handover.certificate.listing
    now = timezone.now()
    head = chain_services._piece_head(listing)
    chain_services._record(
        artisan=listing.artisan,
        actor=actor,
        kind=TraceEvent.Kind.OWNERSHIP,
        biz_step=TraceEvent.BizStep.RETAIL_SELLING,
        occurred_at=max(now, head.occurred_at) if head else now,
        items=[(chain_services.Role.SUBJECT, None, listing, None)],
        parents=[head] if head else [],
        pieces=[listing],
        owner_pseudonym=owner_pseudonym(actor),
    )
    certificate.owner = actor
    certificate.save(update_fields=["owner", "updated_at"])
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
    listing = certificate.listing
    now = timezone.now()
    head = chain_services._piece_head(listing)
    chain_services._record(
        artisan=listing.artisan,
        actor=buyer,
        kind=TraceEvent.Kind.OWNERSHIP,
        biz_step=TraceEvent.BizStep.RETAIL_SELLING,
        occurred_at=max(now, head.occurred_at) if head else now,
        items=[(chain_services.Role.SUBJECT, None, listing, None)],
        parents=[head] if head else [],
        pieces=[listing],
        owner_pseudonym=owner_pseudonym(buyer),
    )
    certificate.owner = buyer
    certificate.save(update_fields=["owner", "updated_at"])
    return certificate
