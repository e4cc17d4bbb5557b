#!/usr/bin/env python3
"""Check a Touchstone certificate export offline, trusting nothing but the key set.

Standalone: the Python standard library and ``cryptography`` only, no Django and no
access to Touchstone. ``docs/verify.md`` describes each step; this file is that recipe
as code:

    python provenance/verifier.py certificate.json --key-set keys.json

1. The signature: the export names its key; the key set must hold that key, it must
   have been current when the export was made, and its Ed25519 signature must match
   the canonical JSON of the payload.
2. The chain: every event's hash is the SHA-256 of the canonical JSON of its content,
   and every event it follows (``previous``) comes before it in the export.
3. The anchor: the chain ends at the head and length the certificate recorded, and the
   owner it shows is the commitment the chain's last ownership link records.
4. The claims: what the export shows of the piece (metals, stones, hallmarks) is what
   the chain's newest ``claims`` event recorded.
5. The log: the export's checkpoint of the transparency log is signed by a key of the
   set, and every event's leaf names that event and is proven included in it.

Exit status 0 when everything holds; 1 with the problems listed otherwise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

try:
    from provenance.transparency import checkpoint as notes
    from provenance.transparency import merkle
    from provenance.transparency.leaves import changed_fields
except ImportError:  # run as a script: the project's folder is the script's parent's
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from provenance.transparency import checkpoint as notes
    from provenance.transparency import merkle
    from provenance.transparency.leaves import changed_fields

KNOWN_HASH_VERSIONS = {1, 2}
# Exports from this version on carry the transparency log's checkpoint and proofs.
LOGGED_EXPORT_VERSION = 6


def canonical_json(data) -> bytes:
    """Sorted keys, no spaces, UTF-8 (RFC 8785 for the values Touchstone exports)."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def event_hash(content: dict) -> str:
    """Formats 1 and 2 share their digest: SHA-256 of the canonical content."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def owner_label(commitment: str) -> str:
    if not commitment or commitment.startswith("Owner #"):
        return commitment
    return f"Owner {commitment[:4]}·{commitment[4:8]}"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _moment(value):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


def check_signature(document: dict, keys: list[dict], report: Report) -> None:
    signature = document.get("signature") or {}
    payload = document.get("payload") or {}
    key_id = signature.get("key_id")
    entry = next((k for k in keys if k.get("key_id") == key_id), None)
    if entry is None:
        report.problems.append(f"signed by key {key_id}, which is not in the key set")
        return
    made = _moment(payload.get("exported_at"))
    valid_from, retired = (
        _moment(entry.get("valid_from")),
        _moment(entry.get("retired_at")),
    )
    if made is None or valid_from is None or made < valid_from:
        report.problems.append(f"made before key {key_id} was in use")
        return
    if retired is not None and made >= retired:
        report.problems.append(f"signed by key {key_id} after it was retired")
        return
    try:
        public = serialization.load_pem_public_key(entry["public_key_pem"].encode())
        if (
            not isinstance(public, Ed25519PublicKey)
            or signature.get("algorithm") != "Ed25519"
        ):
            raise ValueError("not an Ed25519 key")
        public.verify(
            base64.b64decode(signature["value"], validate=True), canonical_json(payload)
        )
    except (InvalidSignature, KeyError, TypeError, ValueError):
        report.problems.append("the signature does not match the payload")


def check_chain(payload: dict, report: Report) -> list[dict]:
    events = payload.get("events")
    if not isinstance(events, list) or not events:
        report.problems.append("the export holds no chain")
        return []
    seen: set[str] = set()
    for position, entry in enumerate(events, start=1):
        try:
            stored, content = entry["hash"], entry["content"]
            version = entry.get("hash_version", 1)
            previous = content["previous"]
        except (KeyError, TypeError):
            report.problems.append(f"event {position} is malformed")
            return events
        label = f"event {position} ({str(stored)[:12]}, {content.get('kind')})"
        if version not in KNOWN_HASH_VERSIONS:
            report.problems.append(f"{label} uses hash format {version}, unknown here")
            return events
        if event_hash(content) != stored:
            report.problems.append(f"{label} does not match its hash")
            return events
        if any(parent not in seen for parent in previous):
            report.problems.append(f"{label} follows an event missing before it")
            return events
        seen.add(stored)
        report.checked = position
    return events


def check_anchor(payload: dict, events: list[dict], report: Report) -> None:
    chain = payload.get("chain") or {}
    if chain.get("length") != len(events) or chain.get("head") != events[-1]["hash"]:
        report.problems.append(
            f"the chain does not end at its recorded head: {chain.get('length')} events "
            f"recorded, {len(events)} exported"
        )
    position, link = next(
        (
            (n, e)
            for n, e in reversed(list(enumerate(events, start=1)))
            if e["content"].get("owner")
        ),
        (0, None),
    )
    recorded = link["content"]["owner"] if link else ""
    shown = payload.get("owner_commitment") or ""
    if shown != recorded:
        where = (
            f"event {position} (trace_event/{link['content'].get('id')}, "
            f"{link['content'].get('kind')})"
            if link
            else "no event of the chain"
        )
        report.problems.append(
            f"the certificate's owner (field owner_commitment) is not the owner "
            f"recorded by the chain's last ownership link, {where}"
        )
    if (payload.get("owner") or "") != owner_label(shown):
        report.problems.append("the owner's label is not the one its commitment gives")
    if not chain.get("verified"):
        report.problems.append(
            f"Touchstone reported the chain as broken: {chain.get('reason') or '?'}"
        )


def _shown(piece: dict) -> dict:
    """The facts an export shows, in the shape the claims event records them."""
    return {
        "metals": [
            {k: m.get(k) for k in ("metal", "fineness", "construction", "weight_grams")}
            for m in piece.get("metals", [])
        ],
        "gemstones": [
            {
                k: g.get(k)
                for k in (
                    "species",
                    "nature",
                    "treatment",
                    "carat",
                    "count",
                    "origin_country",
                )
            }
            for g in piece.get("gemstones", [])
        ],
        "hallmarks": [
            {
                k: h.get(k)
                for k in (
                    "system",
                    "metal",
                    "fineness_mark",
                    "assay_office",
                    "date_letter",
                    "huid",
                )
            }
            for h in piece.get("hallmarks", [])
        ],
        **{
            section: [dict(row) for row in piece[section]]
            for section in ("evidence", "statuses")
            if isinstance(piece.get(section), list)
        },
    }


def check_claims(payload: dict, events: list[dict], report: Report) -> None:
    position, event = next(
        (
            (n, e)
            for n, e in reversed(list(enumerate(events, start=1)))
            if e["content"].get("kind") == "claims"
        ),
        (0, None),
    )
    if event is None:
        return  # chains recorded before claims events
    claims = (event["content"].get("details") or {}).get("claims") or {}
    label = f"event {position} (trace_event/{event['content'].get('id')}, claims)"
    shown = _shown(payload.get("piece") or {})
    for section, rows in shown.items():
        if section not in claims:
            continue  # a snapshot older than this section
        recorded = claims.get(section) or []
        if len(recorded) != len(rows):
            report.problems.append(
                f"the export shows {len(rows)} {section}; {label} records "
                f"{len(recorded)}"
            )
            continue
        for index, (seen, kept) in enumerate(zip(rows, recorded, strict=True)):
            for key, value in seen.items():
                if kept.get(key) != value:
                    report.problems.append(
                        f"the export shows {section}[{index}].{key} = {value!r}; "
                        f"{label} records {kept.get(key)!r}"
                    )


def check_log(
    payload: dict, events: list[dict], keys: list[dict], report: Report
) -> None:
    version = payload.get("version", 1)
    if not isinstance(version, int) or version < LOGGED_EXPORT_VERSION:
        return
    log = payload.get("log")
    if not isinstance(log, dict):
        report.problems.append("the export carries no transparency log checkpoint")
        return
    checkpoint = None
    for entry in keys:
        try:
            public = serialization.load_pem_public_key(entry["public_key_pem"].encode())
            checkpoint = notes.open_checkpoint(
                log.get("checkpoint"), name=log.get("origin"), public_key=public
            )
            break
        except (notes.CheckpointError, KeyError, TypeError, ValueError):
            continue
    if checkpoint is None:
        report.problems.append("the log checkpoint is not signed by a key of the set")
        return
    for position, entry in enumerate(events, start=1):
        label = f"event {position} ({str(entry.get('hash'))[:12]})"
        try:
            proof = entry["log"]
            leaf = json.loads(proof["leaf"])
            index = proof["leaf_index"]
            path = [bytes.fromhex(p) for p in proof["inclusion_proof"]]
            leaf_hash = merkle.leaf_hash(proof["leaf"].encode("utf-8"))
            object_id = entry["content"]["id"]
        except (KeyError, TypeError, ValueError, AttributeError):
            report.problems.append(f"{label} carries no well-formed log proof")
            continue
        if leaf.get("kind") != "event" or leaf.get("object") != (
            f"trace_event/{object_id}"
        ):
            report.problems.append(f"{label}: its log leaf names another record")
            continue
        if leaf.get("hash") != entry.get("hash"):
            report.problems.append(
                f"{label} (trace_event/{object_id}) is not the event the log "
                f"recorded (hash {str(leaf.get('hash'))[:12]}): it was rewritten"
                + _logged_changes(proof.get("logged_content"), leaf, entry)
            )
        try:
            merkle.verify_inclusion(
                index, checkpoint.tree_size, leaf_hash, path, checkpoint.root_hash
            )
        except (merkle.ProofError, ValueError, TypeError) as error:
            report.problems.append(
                f"{label}: its inclusion proof does not hold ({error})"
            )
    held = {
        f"trace_event/{entry['content']['id']}"
        for entry in events
        if isinstance(entry.get("content"), dict) and "id" in entry["content"]
    }
    check_unheld(log, checkpoint, held, report)


def _logged_changes(logged, leaf: dict, entry: dict) -> str:
    """The fields that differ from the content the log kept, once that content is
    shown to be what the logged hash covers."""
    try:
        if event_hash(logged) != leaf.get("hash"):
            return ""
    except (TypeError, ValueError, AttributeError):
        return ""
    fields = changed_fields(logged, entry.get("content"))
    return f"; changed since it was logged: {', '.join(fields)}" if fields else ""


def check_unheld(log: dict, checkpoint, held: set, report: Report) -> None:
    """Event leaves the log holds for this piece that no event of the chain matches:
    each proven in the checkpoint is an event deleted from the chain."""
    for entry in log.get("events_not_in_chain") or []:
        try:
            leaf = json.loads(entry["leaf"])
            leaf_hash = merkle.leaf_hash(entry["leaf"].encode("utf-8"))
            path = [bytes.fromhex(p) for p in entry["inclusion_proof"]]
            merkle.verify_inclusion(
                entry["leaf_index"],
                checkpoint.tree_size,
                leaf_hash,
                path,
                checkpoint.root_hash,
            )
        except (KeyError, TypeError, ValueError, AttributeError, merkle.ProofError):
            report.problems.append(
                "the export lists a log leaf for this piece without a valid proof"
            )
            continue
        if leaf.get("object") in held:
            continue
        kind = (entry.get("logged_content") or {}).get("kind", "event")
        report.problems.append(
            f"the log recorded {leaf.get('object')} ({kind}, leaf "
            f"{entry['leaf_index']}) for this piece, and the chain no longer holds "
            "it: it was deleted"
        )


def verify(document: dict, keys: list[dict]) -> Report:
    report = Report()
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
        report.problems.append("this is not a Touchstone certificate export")
        return report
    payload = document["payload"]
    check_signature(document, keys, report)
    events = check_chain(payload, report)
    if events and report.ok:
        check_anchor(payload, events, report)
        check_claims(payload, events, report)
        check_log(payload, events, keys, report)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the certificate export (JSON)")
    parser.add_argument(
        "--key-set", required=True, help="/api/certificates/keys/ (JSON)"
    )
    args = parser.parse_args(argv)
    try:
        with open(args.export, encoding="utf-8") as handle:
            document = json.load(handle)
        with open(args.key_set, encoding="utf-8") as handle:
            keys = json.load(handle)["keys"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"FAILED: cannot read the input: {error}", file=sys.stderr)
        return 1
    report = verify(document, keys)
    if report.ok:
        code = document["payload"].get("code", "?")
        print(
            f"OK: certificate {code}: signature, {report.checked} events, anchor, claims."
        )
        return 0
    for problem in report.problems:
        print(f"- {problem}", file=sys.stderr)
    print("FAILED", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
