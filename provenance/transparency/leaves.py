"""What a leaf of the transparency log says, and what each kind of record hashes.

A leaf is the canonical JSON (RFC 8785 JCS: sorted keys, no spaces, UTF-8; the
project's ``canonical_json`` produces exactly that for these inputs, which are ASCII
strings and integers) of::

    {"format": 1, "hash": "<64 hex>", "kind": "event",
     "object": "trace_event/42", "recorded_at": "2026-12-02T10:15:30.123456Z"}

- ``kind``: ``event`` (a trace event was recorded), ``certificate`` (a certificate was
  issued), ``ownership`` (a piece changed owner), ``decision`` (a move of a claim's
  verification workflow: submitted, verified, rejected, revoked...);
- ``object``: the record, as ``<type>/<id>``: ``trace_event/<id>``,
  ``certificate/<id>``, ``review_event/<id>``;
- ``hash``: for an event, its chain hash (``provenance.hashing``); for the other kinds,
  the SHA-256 of the canonical JSON of the record's content below (a decision's
  carries a random nonce, since its reason is not public);
- ``recorded_at``: the server's time when the leaf was written, UTC, microseconds.

The log stores the content each hash covers next to the leaf, so that when a record
no longer matches its leaf the audit can name the fields that changed.

Standard library only (``provenance.hashing`` is too).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from provenance.hashing import canonical_json

LEAF_FORMAT = 1

EVENT = "event"
CERTIFICATE = "certificate"
OWNERSHIP = "ownership"
DECISION = "decision"
KINDS = (EVENT, CERTIFICATE, OWNERSHIP, DECISION)

# The record each kind of leaf names.
OBJECT_TYPES = {
    EVENT: "trace_event",
    CERTIFICATE: "certificate",
    OWNERSHIP: "certificate",
    DECISION: "review_event",
}


def utc_text(moment: datetime) -> str:
    """A time as the log writes it: ISO 8601 in UTC with microseconds and a Z."""
    return (
        moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


def object_label(object_type: str, object_id: int) -> str:
    return f"{object_type}/{object_id}"


def leaf_content(
    *, kind: str, object_type: str, object_id: int, hash: str, recorded_at: datetime
) -> dict:
    """The leaf as data, before canonical JSON."""
    return {
        "format": LEAF_FORMAT,
        "kind": kind,
        "object": object_label(object_type, object_id),
        "hash": hash,
        "recorded_at": utc_text(recorded_at),
    }


def leaf_bytes(**fields) -> bytes:
    """The leaf's bytes: the canonical JSON of ``leaf_content(**fields)``."""
    return canonical_json(leaf_content(**fields))


def event_pieces(content: dict) -> list[int]:
    """The pieces an event's content names among its items, in order."""
    return sorted(
        {
            item["piece"]
            for item in content.get("items") or []
            if isinstance(item, dict) and isinstance(item.get("piece"), int)
        }
    )


def record_hash(content: dict) -> str:
    """The hash a certificate, ownership or decision leaf carries: the SHA-256 of the
    content's canonical JSON, as 64 hex digits (the digest event hashes use too)."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


# --- What each kind of record hashes ----------------------------------------------------


def certificate_content(certificate, *, owner: str) -> dict:
    """A certificate as issued: its code, its piece, when, and the owner it names
    (its per-piece commitment; empty before a first owner)."""
    return {
        "code": certificate.code,
        "piece": certificate.listing_id,
        "issued_at": utc_text(certificate.created_at),
        "owner": owner,
    }


def ownership_content(certificate, event) -> dict:
    """A change of owner: the certificate, the ownership event that records it (by its
    chain hash) and the owner it names."""
    return {
        "certificate": certificate.code,
        "event": event.hash,
        "owner": event.owner_commitment,
    }


def decision_content(review_event, *, record: str, nonce: str) -> dict:
    """One move of a claim's verification workflow: which claim (``record`` as
    ``<app>.<model>/<id>``), which move, from and to which status, by whom, why, when.

    The reason is not public, and most of the rest can be guessed: a random ``nonce``
    (kept with the log's copy of the content) stops anyone from confirming a guessed
    reason against the public hash."""
    return {
        "nonce": nonce,
        "id": review_event.pk,
        "record": record,
        "action": review_event.action,
        "from": review_event.from_status,
        "to": review_event.to_status,
        "actor": review_event.actor_id,
        "reason": review_event.reason,
        "at": utc_text(review_event.created_at),
    }


def changed_fields(logged, current, path: str = "") -> list[str]:
    """The paths (``items[0].lot.origin_type``) where two contents differ."""
    if isinstance(logged, dict) and isinstance(current, dict):
        changed = []
        for key in sorted(set(logged) | set(current)):
            where = f"{path}.{key}" if path else str(key)
            if key not in logged or key not in current:
                changed.append(where)
            else:
                changed += changed_fields(logged[key], current[key], where)
        return changed
    if isinstance(logged, list) and isinstance(current, list):
        if len(logged) != len(current):
            return [path or "(all)"]
        changed = []
        for n, (a, b) in enumerate(zip(logged, current, strict=True)):
            changed += changed_fields(a, b, f"{path}[{n}]")
        return changed
    return [] if logged == current else [path or "(all)"]
