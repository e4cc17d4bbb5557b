"""The hash of a trace event: its canonical content and digest, by format version.

Each event is hashed over its canonical content, which includes the hashes of the events
it follows, so any later edit of a stored row breaks the recomputed chain from that
event on. Every event records the format version it was hashed with
(``TraceEvent.hash_version``); verification recomputes each hash with the format the
event names, so a new format can be introduced without re-hashing stored chains.

Format 1: the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the
content built by ``content_v1``. Its bytes must never change: chains recorded with it
verify only as long as they do.

Format 2: format 1's content plus ``recorded_at``, the server's time of recording (so
a date can be checked against when it was written), with ``owner`` holding a per-piece
owner commitment (``provenance.pseudonyms``) rather than a pseudonym.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

GRAM = Decimal("0.001")


def _default(value):
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    raise TypeError(f"Not canonical JSON: {type(value).__name__}")


def canonical_json(data) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes for the same content everywhere."""
    return json.dumps(
        data,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_default,
    ).encode("utf-8")


# --- Format 1 ---------------------------------------------------------------------------


def _grams(value) -> str | None:
    if value is None:
        return None
    return f"{Decimal(value).quantize(GRAM):.3f}"


def _utc(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


def _party(party) -> dict | None:
    if party is None:
        return None
    return {
        "id": party.pk,
        "kind": party.kind,
        "name": party.name,
        "country": str(party.country or ""),
        "registry_identifier": party.registry_identifier,
        "place": party.place,
    }


def _lot(lot) -> dict:
    return {
        "id": lot.pk,
        "reference": lot.reference,
        "material": lot.material,
        "metal": lot.metal,
        "fineness": lot.fineness,
        "stone_species": lot.stone_species,
        "mass_grams": _grams(lot.mass_grams),
        "origin_type": lot.origin_type,
        "origin_country": str(lot.origin_country or ""),
        "origin_place": lot.origin_place,
        "origin_party": lot.origin_party_id,
    }


def _certification(certification) -> dict | None:
    if certification is None:
        return None
    return {
        "id": certification.pk,
        "scheme": certification.scheme,
        "issuer": certification.issuer,
        "number": certification.number,
        "issued_on": certification.issued_on.isoformat(),
        "valid_until": certification.valid_until.isoformat()
        if certification.valid_until
        else None,
    }


def content_v1(event, items: Iterable, parent_hashes: Iterable[str]) -> dict:
    """Everything an event says, and the hashes of the events it follows.

    Works from rows already loaded (``items`` with their lots, the event's parties and
    certification), so verifying a chain costs a fixed number of queries.
    """
    return {
        "id": event.pk,
        "kind": event.kind,
        "biz_step": event.biz_step,
        "occurred_at": _utc(event.occurred_at),
        "artisan": event.artisan_id,
        "location": _party(event.location),
        "from_party": _party(event.from_party),
        "to_party": _party(event.to_party),
        "process": event.process,
        "loss_grams": _grams(event.loss_grams),
        "note": event.note,
        "certification": _certification(event.certification),
        "hallmark": event.hallmark_id,
        "details": event.details,
        "corrects": event.corrects_id,
        "owner": event.owner_commitment,
        "items": sorted(
            (
                {
                    "role": item.role,
                    "lot": _lot(item.lot) if item.lot_id else None,
                    "piece": item.listing_id,
                    "grams": _grams(item.grams),
                }
                for item in items
            ),
            key=lambda i: (i["role"], i["piece"] or 0, (i["lot"] or {}).get("id", 0)),
        ),
        "previous": sorted(parent_hashes),
    }


def content_v2(event, items: Iterable, parent_hashes: Iterable[str]) -> dict:
    """Format 1's content and when the event was recorded."""
    return {
        **content_v1(event, items, parent_hashes),
        "recorded_at": _utc(event.recorded_at),
    }


def digest_v1(content: dict) -> str:
    """The SHA-256 of the content's canonical JSON, as 64 hex digits."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


# --- The formats ------------------------------------------------------------------------


@dataclass(frozen=True)
class HashFormat:
    """One version of the hash: how an event becomes content, and content a digest."""

    version: int
    content: Callable[..., dict]
    digest: Callable[[dict], str]


FORMATS: dict[int, HashFormat] = {
    1: HashFormat(version=1, content=content_v1, digest=digest_v1),
    2: HashFormat(version=2, content=content_v2, digest=digest_v1),
}

# The format new events are hashed with.
CURRENT_VERSION = 2


class UnknownHashVersion(ValueError):
    """An event or export names a hash format this code does not know."""

    def __init__(self, version):
        self.version = version
        super().__init__(f"unknown hash format version {version!r}")


def hash_format(version) -> HashFormat:
    """The format of this version; ``UnknownHashVersion`` when there is none."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise UnknownHashVersion(version)
    try:
        return FORMATS[version]
    except KeyError:
        raise UnknownHashVersion(version) from None


def event_content(event, items, parent_hashes, *, version: int | None = None) -> dict:
    """What the event's hash covers, in the format it records (or ``version``)."""
    if version is None:
        version = event.hash_version
    return hash_format(version).content(event, items, parent_hashes)


def content_hash(content: dict, *, version: int | None = None) -> str:
    """The digest of an event's content in format ``version`` (the current one if
    not given)."""
    return hash_format(CURRENT_VERSION if version is None else version).digest(content)
