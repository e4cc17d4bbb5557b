"""The certificate as data: the signed JSON export, and its offline verification."""

import json
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from provenance import signing
from provenance.hashing import (
    UnknownHashVersion,
    content_hash,
    event_content,
    hash_format,
)
from provenance.pseudonyms import owner_label, owner_recorded_value
from provenance.selectors.transparency import LogNodeMissing
from provenance.services.certificates import certificate_record_verification
from provenance.services.chain import (
    ChainVerification,
    chain_events,
    chain_parties,
    current_claims,
    recorded_owner,
    recycled_shares,
    verify_piece,
)
from provenance.services.keys import key_for, signing_key_register
from provenance.services.transparency import (
    LeafProof,
    LogInconsistent,
    event_proofs,
    log_origin,
)
from provenance.transparency import leaves, merkle
from provenance.transparency.checkpoint import CheckpointError, open_checkpoint

logger = logging.getLogger(__name__)

EXPORT_TYPE = "TouchstoneCertificate"
# 2: the chain's recorded head, length and owner; 3: each event's hash format version;
# 4: the parties the chain names, with their kind and assurance level;
# 5: the owner as a per-piece commitment, with the label pages show;
# 6: each event's leaf in the transparency log, its inclusion proof and the checkpoint.
# 7: the log's event leaves for the piece that its chain lacks; the content the log
#    kept for an event whose hash it recorded differently.
EXPORT_VERSION = 7


@dataclass
class CertificateView:
    """Everything the certificate page and its exports show, loaded once."""

    certificate: object
    events: list
    verification: ChainVerification
    shares: dict
    # What the chain should record for the current owner (their commitment).
    owner_commitment: str
    parties: list
    # The transparency log's checkpoint and each event's leaf and inclusion proof,
    # loaded by the export (``certificate_payload``), not by the page.
    checkpoint: object = None
    proofs: dict[int, LeafProof] | None = None

    @property
    def listing(self):
        return self.certificate.listing

    @property
    def owner(self) -> str:
        """The current owner's label, as pages show it."""
        return owner_label(self.owner_commitment)


def certificate_view(certificate) -> CertificateView:
    """Load a certificate's chain, verify it and derive its shares (fixed query count)."""
    listing = certificate.listing
    events = chain_events(listing)
    verification = verify_piece(listing, events, certificate)
    certificate_record_verification(certificate=certificate, ok=verification.ok)
    return CertificateView(
        certificate=certificate,
        events=events,
        verification=verification,
        shares=recycled_shares(listing, events),
        owner_commitment=owner_recorded_value(
            certificate.owner_id, listing.pk, recorded_owner(events)[1]
        )
        if certificate.owner_id
        else "",
        parties=chain_parties(events),
    )


def _load_log(view: CertificateView) -> None:
    """Each event's leaf and inclusion proof against one checkpoint that covers the
    chain (published if the last one does not): a few queries, whatever its length.
    A log that cannot prove anything now leaves the export without a log section."""
    if view.proofs is not None:
        return
    try:
        view.checkpoint, view.proofs = event_proofs(
            [e.pk for e in view.events], piece_id=view.listing.pk
        )
    except (LogInconsistent, LogNodeMissing):
        logger.exception("No log proofs for certificate %s", view.certificate.code)
        view.checkpoint, view.proofs = None, {}


def _log_entry(proof: LeafProof | None, event=None) -> dict | None:
    """An event's leaf and inclusion proof. When the log recorded another hash for the
    event, the content it kept too, so that a verifier can name what changed."""
    if proof is None:
        return None
    entry = {
        "leaf_index": proof.leaf_index,
        "leaf": proof.leaf,
        "inclusion_proof": list(proof.proof),
    }
    if event is None or proof.object_hash != event.hash:
        entry["logged_content"] = proof.content
    return entry


def _unheld(view: CertificateView) -> list[dict]:
    """The event leaves the log holds for this piece whose events its chain does not."""
    held = {e.pk for e in view.events}
    return [
        {"event": f"trace_event/{pk}", **_log_entry(proof)}
        for pk, proof in sorted(view.proofs.items())
        if pk not in held
    ]


def certificate_payload(view: CertificateView) -> dict:
    """The certificate as plain data: the piece, its materials and its whole chain,
    each event with its leaf and inclusion proof in the transparency log, and the
    log's checkpoint they are proven against."""
    _load_log(view)
    certificate, listing = view.certificate, view.listing
    live = current_claims(listing, view.events)
    artisan = listing.artisan
    broken = view.verification.first_broken
    return {
        "type": EXPORT_TYPE,
        "version": EXPORT_VERSION,
        "code": certificate.code,
        "url": certificate.get_absolute_url(),
        "issued_at": certificate.created_at.isoformat(),
        "exported_at": timezone.now().isoformat(),
        "piece": {
            "id": listing.pk,
            "title": listing.title,
            "category": listing.category,
            "maker": {
                "name": artisan.public_name,
                "slug": artisan.slug,
                "country": str(artisan.country or ""),
                "verification": artisan.verification_status,
            },
            "maker_marks": [
                {
                    "text": mark.text,
                    "registration_system": mark.registration_system,
                    "registry_reference": mark.registry_reference,
                    "assurance_level": mark.assurance_level,
                }
                for mark in artisan.maker_marks.all()
            ],
            "metals": [
                {
                    "metal": c.metal,
                    "fineness": c.fineness,
                    "construction": c.construction,
                    "weight_grams": f"{c.weight_grams:.3f}",
                }
                for c in sorted(listing.metals.all(), key=lambda c: c.pk)
            ],
            "gemstones": [
                {
                    "label": g.label,
                    "species": g.species,
                    "nature": g.nature,
                    "treatment": g.treatment,
                    "carat": f"{g.carat:.3f}",
                    "count": g.count,
                    "origin_country": str(g.origin_country or ""),
                    "lab_report": " ".join(
                        p for p in (g.lab_report_issuer, g.lab_report_number) if p
                    ),
                }
                for g in sorted(listing.gemstones.all(), key=lambda g: g.pk)
            ],
            "hallmarks": [
                {
                    "system": h.system,
                    "metal": h.metal,
                    "fineness_mark": h.fineness_mark,
                    "assay_office": h.assay_office,
                    "date_letter": h.date_letter,
                    "huid": h.huid,
                    "assurance_level": h.assurance_level,
                }
                for h in sorted(listing.hallmarks.all(), key=lambda h: h.pk)
            ],
            # As the chain's claims record them: the evidence behind the claims (by
            # the SHA-256 of each file) and the verification status of each claim.
            **{
                section: live[section]
                for section in ("evidence", "statuses")
                if section in live
            },
        },
        "recycled": {
            metal: {
                "fine_grams": f"{share.fine_grams:.3f}",
                "recycled_fine_grams": f"{share.recycled_fine_grams:.3f}",
                "recycled_percent": share.recycled_percent,
                "fully_recycled": share.fully_recycled,
                "origin_countries": sorted(share.countries),
            }
            for metal, share in sorted(view.shares.items())
        },
        "owner": view.owner,
        "owner_commitment": view.owner_commitment,
        # Outside the hashed content: what Touchstone vouches for changes over time
        # (a party verified, suspended or revoked), so it is signed as it is now.
        "parties": [
            {
                "id": party.gln_uri,
                "kind": party.kind,
                "name": party.name,
                "country": str(party.country or ""),
                "place": party.place,
                "registry_identifier": party.registry_identifier,
                "workshop": party.is_workshop,
                "assurance_level": party.assurance_level,
                "verified": party.is_assured,
            }
            for party in view.parties
        ],
        "chain": {
            "verified": view.verification.ok,
            "checked": view.verification.checked,
            "head": certificate.chain_head,
            "length": certificate.chain_length,
            "first_broken": broken.hash if broken is not None else None,
            "reason": view.verification.reason,
        },
        "events": [
            {
                "hash": event.hash,
                "hash_version": event.hash_version,
                "assurance_level": event.assurance_level,
                "content": _content(event),
                "log": _log_entry(view.proofs.get(event.pk), event),
            }
            for event in view.events
        ],
        "log": {
            "origin": log_origin(),
            "tree_size": view.checkpoint.tree_size,
            "checkpoint": view.checkpoint.note,
            # Leaves the log holds for this piece that no event of the chain matches.
            "events_not_in_chain": _unheld(view),
        }
        if view.checkpoint is not None
        else None,
    }


def _content(event) -> dict | None:
    """The event's content in the format it records; None for a format unknown here
    (the chain is then reported broken at that event, and the export says so)."""
    try:
        return event_content(
            event, event.loaded_items, [h for _p, h in event.loaded_parents]
        )
    except UnknownHashVersion:
        return None


def certificate_signed(view: CertificateView) -> dict:
    """The export, signed with the platform's current Ed25519 key (in the key set)."""
    signing_key_register()  # before the payload, which says when it was made
    return signing.sign(certificate_payload(view))


@dataclass
class ExportCheck:
    signature_ok: bool = False
    chain_ok: bool = False
    # Exports before version 4 carry no log: nothing to check there.
    log_ok: bool = True
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.chain_ok and self.log_ok


def verify_export_with_key_set(document, keys: list[dict]) -> ExportCheck:
    """Check an export offline against the published key set: the key it names must
    be in the set and have been current when the export was made."""
    if not isinstance(document, dict) or "payload" not in document:
        return ExportCheck(problems=["This is not a Touchstone certificate export."])
    public_key, problem = key_for(document, keys)
    if public_key is None:
        return ExportCheck(problems=[problem])
    log_keys = [public_key]
    for entry in keys:
        try:
            log_keys.append(signing.load_public_key(entry["public_key_pem"]))
        except (KeyError, TypeError, ValueError):
            continue
    return verify_export(document, public_key, log_keys=log_keys)


def verify_export(document, public_key, *, log_keys: list | None = None) -> ExportCheck:
    """Check an export offline: the signature, then every hash and link of the chain."""
    check = ExportCheck()
    if not isinstance(document, dict) or "payload" not in document:
        check.problems.append("This is not a Touchstone certificate export.")
        return check
    check.signature_ok = signing.verify_signature(document, public_key)
    if not check.signature_ok:
        check.problems.append("The signature does not match the content.")
    payload = document.get("payload") or {}
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not events:
        check.problems.append("The export holds no chain.")
        return check
    # Exports before version 3 do not name a hash format: theirs is format 1.
    export_version = payload.get("version", 1)
    named = isinstance(export_version, int) and export_version >= 3
    seen: set[str] = set()
    chain_ok = True
    for position, entry in enumerate(events, start=1):
        try:
            stored = entry["hash"]
            version = entry["hash_version"] if named else 1
            hash_format(version)
            content = entry["content"]
            previous = content["previous"]
        except UnknownHashVersion:
            check.problems.append(
                f"Event {position} ({str(stored)[:12]}) was hashed with format "
                f"version {version}, which this verifier does not know."
            )
            chain_ok = False
            break
        except (KeyError, TypeError):
            check.problems.append(f"Event {position} is malformed.")
            chain_ok = False
            break
        if content_hash(content, version=version) != stored:
            check.problems.append(
                f"Event {position} ({str(stored)[:12]}) does not match its hash."
            )
            chain_ok = False
            break
        missing = [h for h in previous if h not in seen]
        if missing:
            check.problems.append(
                f"Event {position} ({stored[:12]}) follows an event missing from the chain."
            )
            chain_ok = False
            break
        seen.add(stored)
        check.checked = position
    chain_info = payload.get("chain") or {}
    if chain_ok:
        problem = _anchor_problem(payload, chain_info, events)
        if problem:
            check.problems.append(problem)
            chain_ok = False
    if chain_ok and not chain_info.get("verified"):
        check.problems.append(
            "Touchstone reported this chain as broken when it was exported: "
            f"{chain_info.get('reason') or 'no reason given'}."
        )
        chain_ok = False
    check.chain_ok = chain_ok
    if isinstance(export_version, int) and export_version >= 6:
        problems = _log_problems(payload.get("log"), events, log_keys or [public_key])
        check.problems += problems
        check.log_ok = not problems
    return check


def _log_problems(log, events: list, public_keys: list) -> list[str]:
    """Check the export's checkpoint signature (by one of ``public_keys``: a checkpoint
    may predate a rotation of the key that signed the export) and each event's
    inclusion proof."""
    if not isinstance(log, dict):
        return ["The export carries no transparency log checkpoint."]
    checkpoint, failure = None, None
    for public_key in public_keys:
        try:
            checkpoint = open_checkpoint(
                log.get("checkpoint"), name=log.get("origin"), public_key=public_key
            )
            break
        except (CheckpointError, TypeError) as error:
            failure = error
    if checkpoint is None:
        return [f"The log checkpoint does not verify: {failure}."]
    problems, proven = [], []
    for position, entry in enumerate(events, start=1):
        found = _leaf_proof(entry)
        if isinstance(found, str):
            problems.append(f"Event {position}: {found}")
        else:
            proven.append((position, *found))
    try:
        # All at once: the proofs share their upper paths (see merkle.verify_inclusions).
        merkle.verify_inclusions(
            checkpoint.tree_size,
            checkpoint.root_hash,
            ((index, leaf, path) for _position, index, leaf, path in proven),
        )
    except (merkle.ProofError, ValueError):
        for position, index, leaf, path in proven:
            try:
                merkle.verify_inclusion(
                    index, checkpoint.tree_size, leaf, path, checkpoint.root_hash
                )
            except (merkle.ProofError, ValueError) as error:
                problems.append(
                    f"Event {position}: its inclusion proof does not verify ({error})."
                )
    return sorted(problems, key=lambda p: int(p.split()[1].rstrip(":")))


def _leaf_proof(entry) -> tuple[int, bytes, list[bytes]] | str:
    """An event's leaf index, leaf hash and inclusion proof, or why it has none that
    stands for this event."""
    try:
        proof = entry["log"]
        leaf_text = proof["leaf"]
        leaf = json.loads(leaf_text)
        event_id = entry["content"]["id"]
        index = proof["leaf_index"]
        path = [bytes.fromhex(p) for p in proof["inclusion_proof"]]
        leaf_hash = merkle.leaf_hash(leaf_text.encode("utf-8"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return "it carries no well-formed leaf and inclusion proof."
    expected = {
        "kind": leaves.EVENT,
        "object": leaves.object_label(leaves.OBJECT_TYPES[leaves.EVENT], event_id),
        "hash": entry.get("hash"),
    }
    if not isinstance(leaf, dict) or any(leaf.get(k) != v for k, v in expected.items()):
        return "its log leaf names another record or hash."
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        return "its leaf index is not a number."
    return index, leaf_hash, path


def _anchor_problem(payload: dict, chain_info: dict, events: list) -> str:
    """What the export's recorded head, length and owner say against its events."""
    if payload.get("version", 1) < 2:
        return ""  # exports before version 2 carry no head
    head, length = chain_info.get("head"), chain_info.get("length")
    if not head or length != len(events):
        where = (
            "ends before"
            if isinstance(length, int) and length > len(events)
            else "does not end at"
        )
        return (
            f"The chain {where} its recorded head: "
            f"{length} events expected, {len(events)} found."
        )
    if events[-1]["hash"] != head:
        return "The newest event is not the recorded head of the chain."
    recorded = next(
        (
            e["content"].get("owner")
            for e in reversed(events)
            if e["content"].get("owner")
        ),
        "",
    )
    if payload.get("version", 1) < 5:
        shown = payload.get("owner") or ""
    else:
        shown = payload.get("owner_commitment") or ""
        if (payload.get("owner") or "") != owner_label(shown):
            return "The owner's label is not the one its commitment gives."
    if shown != (recorded or ""):
        return "The owner shown is not the owner the chain's ownership link records."
    return ""
