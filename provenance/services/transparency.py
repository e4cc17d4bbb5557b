"""Writes to the transparency log: appending leaves, integrating them, checkpoints.

Appending and integrating are two steps, as in Certificate Transparency logs:

1. ``log_append`` (and the ``log_<kind>`` helpers the recording services call) writes
   one leaf row *without an index*, in the caller's transaction: one INSERT, no lock,
   so recording an event never waits on the log, and a record rolled back takes its
   leaf with it.
2. Right after that transaction commits, ``log_integrate`` gives the waiting leaves
   their indexes in a short transaction of its own: it locks the single ``LogHead``
   row (``SELECT … FOR UPDATE``; on SQLite the transaction's ``BEGIN IMMEDIATE`` takes
   the write lock), takes the waiting leaves in id order, computes the complete
   subtrees they create from the head's frontier, writes them in one bulk INSERT, the
   indexes in one UPDATE and the new head in one more. The lock lasts those five
   statements, whatever the size of the tree; two integrations queue on it, and the
   unique index of ``LogLeaf.index`` refuses a second leaf at any index anyway.

A leaf left waiting (the process stopped between the commit and the integration) is
integrated by the next integration: any later append, ``publish_checkpoint`` or an
export. ``checkpoint_publish`` signs the tree head as a C2SP checkpoint with the
platform's Ed25519 key, never one inconsistent with the last checkpoint it published
(in the database or the external file), and appends it to the file outside the
database (``settings.TOUCHSTONE_CHECKPOINT_FILE``).
"""

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from provenance import signing
from provenance.models import Checkpoint, LogHead, LogLeaf, LogLeafPiece, LogNode
from provenance.pseudonyms import owner_commitment
from provenance.selectors.transparency import (
    LogNodeMissing,
    checkpoint_latest,
    computed_from_nodes,
)
from provenance.transparency import leaves, merkle
from provenance.transparency.checkpoint import (
    CheckpointError,
    checkpoint_text,
    key_id,
    parse_checkpoint,
    sign_note,
)

logger = logging.getLogger(__name__)

INTEGRATE_BATCH = 500


class LogInconsistent(Exception):
    """The stored tree does not extend the last published checkpoint: the log refuses
    to sign it (a log never signs two inconsistent checkpoints)."""


# --- Appending ---------------------------------------------------------------------------


def log_append(
    *, kind: str, object_type: str, object_id: int, object_hash: str, content: dict
) -> LogLeaf:
    """Write a waiting leaf in the caller's transaction; it is integrated into the tree
    right after that transaction commits. One query."""
    leaf = LogLeaf(
        kind=kind,
        object_type=object_type,
        object_id=object_id,
        object_hash=object_hash,
        content=content,
        recorded_at=timezone.now(),
    )
    leaf.leaf_hash = merkle.leaf_hash(leaf.leaf_bytes()).hex()
    leaf.save(force_insert=True)
    _integrate_after_commit()
    return leaf


def log_event(*, event, content: dict) -> LogLeaf:
    """A trace event was recorded: its chain hash, and the content that hash covers;
    and the pieces it concerns, so that each piece's verification finds it (one query
    more when it concerns a piece)."""
    leaf = log_append(
        kind=leaves.EVENT,
        object_type=leaves.OBJECT_TYPES[leaves.EVENT],
        object_id=event.pk,
        object_hash=event.hash,
        content=content,
    )
    pieces = leaves.event_pieces(content)
    if pieces:
        LogLeafPiece.objects.bulk_create(
            LogLeafPiece(leaf=leaf, piece_id=piece) for piece in pieces
        )
    return leaf


def log_certificate(*, certificate) -> LogLeaf:
    """A certificate was issued (to the owner it names, if any)."""
    content = leaves.certificate_content(
        certificate,
        owner=owner_commitment(certificate.owner_id, certificate.listing_id),
    )
    return log_append(
        kind=leaves.CERTIFICATE,
        object_type=leaves.OBJECT_TYPES[leaves.CERTIFICATE],
        object_id=certificate.pk,
        object_hash=leaves.record_hash(content),
        content=content,
    )


def log_ownership(*, certificate, event) -> LogLeaf:
    """A piece changed owner: its certificate and the ownership event that says so."""
    content = leaves.ownership_content(certificate, event)
    return log_append(
        kind=leaves.OWNERSHIP,
        object_type=leaves.OBJECT_TYPES[leaves.OWNERSHIP],
        object_id=certificate.pk,
        object_hash=leaves.record_hash(content),
        content=content,
    )


def log_decision(*, review_event, record) -> LogLeaf:
    """A claim moved through its verification workflow (``ReviewEvent``)."""
    content = leaves.decision_content(
        review_event, record=record_label(record), nonce=secrets.token_hex(16)
    )
    return log_append(
        kind=leaves.DECISION,
        object_type=leaves.OBJECT_TYPES[leaves.DECISION],
        object_id=review_event.pk,
        object_hash=leaves.record_hash(content),
        content=content,
    )


def record_label(record) -> str:
    """A claim as a decision leaf names it: ``<app>.<model>/<id>``."""
    return f"{record._meta.label_lower}/{record.pk}"


# Whether this thread appended leaves since its last integration. Every append asks
# for an integration after its transaction commits; the first one after a commit
# integrates every waiting leaf, the others find nothing to do without a query.
_appended = threading.local()


def _integrate_waiting() -> None:
    if not getattr(_appended, "leaves", False):
        return
    _appended.leaves = False
    try:
        log_integrate()
    except Exception:
        # The record is committed; its leaf waits for the next integration.
        logger.exception("Integrating the transparency log failed; leaves wait.")


def _integrate_after_commit() -> None:
    _appended.leaves = True
    transaction.on_commit(_integrate_waiting)


# --- Integrating -------------------------------------------------------------------------


def _head_locked() -> LogHead:
    """The tree head, locked until the end of the transaction."""
    head = LogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _created = LogHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"root_hash": merkle.EMPTY_ROOT.hex()}
        )
    return head


def log_integrate(*, batch_size: int = INTEGRATE_BATCH) -> int:
    """Give every waiting leaf its index and store the subtrees it completes, in
    transactions of at most ``batch_size`` leaves; returns how many were integrated."""
    done = 0
    while True:
        count = _integrate_batch(batch_size)
        done += count
        if count < batch_size:
            return done


@transaction.atomic
def _integrate_batch(limit: int) -> int:
    head = _head_locked()
    waiting = list(
        LogLeaf.objects.waiting().order_by("id").only("id", "leaf_hash")[:limit]
    )
    if not waiting:
        return 0
    size = head.size
    frontier = [bytes.fromhex(h) for h in head.frontier]
    nodes = []
    for leaf in waiting:
        leaf.index = size
        frontier, created = merkle.frontier_append(
            frontier, size, bytes.fromhex(leaf.leaf_hash)
        )
        nodes += [
            LogNode(level=level, position=position, hash=value.hex())
            for level, position, value in created
        ]
        size += 1
    LogNode.objects.bulk_create(nodes)
    LogLeaf.objects.bulk_update(waiting, ["index"])
    head.size = size
    head.frontier = [h.hex() for h in frontier]
    head.root_hash = merkle.frontier_root(frontier).hex()
    head.save(update_fields=["size", "frontier", "root_hash", "updated_at"])
    return len(waiting)


# --- Checkpoints -------------------------------------------------------------------------


def log_origin() -> str:
    return settings.TOUCHSTONE_LOG_ORIGIN


def _file_entry(checkpoint: Checkpoint) -> str:
    return json.dumps(
        {
            "tree_size": checkpoint.tree_size,
            "root_hash": checkpoint.root_hash,
            "published_at": leaves.utc_text(checkpoint.published_at),
            "note": checkpoint.note,
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def _file_append(checkpoint: Checkpoint) -> None:
    """Append the checkpoint to the file outside the database, flushed to disk."""
    path = Path(settings.TOUCHSTONE_CHECKPOINT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(_file_entry(checkpoint) + "\n")
        file.flush()
        os.fsync(file.fileno())


def file_checkpoints(path=None) -> list[tuple[int, str]]:
    """The checkpoint notes in the external file, as ``(line number, note)``.

    A line that is not an entry is returned with its text as the note, so that the
    audit reports it instead of skipping it.
    """
    path = Path(path or settings.TOUCHSTONE_CHECKPOINT_FILE)
    if not path.exists():
        return []
    found = []
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                note = json.loads(line)["note"]
            except (ValueError, KeyError, TypeError):
                note = line
            found.append((number, note if isinstance(note, str) else line))
    return found


def _last_file_note() -> str | None:
    """The note of the file's last entry, reading only the end of the file."""
    path = Path(settings.TOUCHSTONE_CHECKPOINT_FILE)
    if not path.exists():
        return None
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        end = file.tell()
        file.seek(max(0, end - 65_536))
        tail = file.read().decode("utf-8", errors="replace").rstrip("\n")
    line = tail.rsplit("\n", 1)[-1]
    try:
        return json.loads(line)["note"]
    except (ValueError, KeyError, TypeError):
        return None


def _check_extends(previous_size: int, previous_root: bytes, head: LogHead) -> None:
    """The tree of ``head`` must extend a published tree; ``LogInconsistent`` if not."""
    if head.size < previous_size:
        raise LogInconsistent(
            f"the log holds {head.size} leaves, fewer than the {previous_size} of a "
            "published checkpoint"
        )

    def both(node):
        return (
            merkle.root_hash(head.size, node),
            merkle.consistency_proof(previous_size, head.size, node),
        )

    try:
        root, proof = computed_from_nodes(both)
    except LogNodeMissing as missing:
        raise LogInconsistent(str(missing)) from missing
    if root.hex() != head.root_hash:
        raise LogInconsistent("the stored tree head is not the root of its nodes")
    try:
        merkle.verify_consistency(previous_size, head.size, previous_root, root, proof)
    except merkle.ProofError as error:
        raise LogInconsistent(
            f"the tree of {head.size} leaves does not extend the published one of "
            f"{previous_size}: {error}"
        ) from error


def checkpoint_publish(*, force: bool = False) -> Checkpoint:
    """Integrate waiting leaves, then sign the tree head as a checkpoint, store it and
    append it to the external file. Without ``force``, a tree that has not grown since
    the last checkpoint gets no new one (the last is returned)."""
    log_integrate()
    return _checkpoint_sign(force=force)


@transaction.atomic
def _checkpoint_sign(*, force: bool) -> Checkpoint:
    head = _head_locked()
    latest = checkpoint_latest()
    if latest is not None and latest.tree_size == head.size and not force:
        return latest
    for previous in (latest.note if latest else None, _last_file_note()):
        if previous is None:
            continue
        try:
            published = parse_checkpoint(previous)
        except CheckpointError as error:
            raise LogInconsistent(f"the last published checkpoint: {error}") from error
        _check_extends(published.tree_size, published.root_hash, head)
    origin = log_origin()
    now = timezone.now()
    key = signing.private_key()
    text = checkpoint_text(
        origin, head.size, bytes.fromhex(head.root_hash), timestamp=now
    )
    checkpoint = Checkpoint.objects.create(
        tree_size=head.size,
        root_hash=head.root_hash,
        published_at=now,
        note=sign_note(text, origin, key),
        key_id=key_id(origin, key.public_key()).hex(),
    )
    # Inside the transaction: if the file cannot be written, nothing is published.
    _file_append(checkpoint)
    return checkpoint


def checkpoint_covering(size: int) -> Checkpoint:
    """The latest checkpoint of at least ``size`` leaves; one is published if the last
    one is smaller (the log has grown since). ``size=0``: the latest checkpoint, or the
    log's first one."""
    latest = checkpoint_latest()
    if latest is not None and latest.tree_size >= size:
        return latest
    return checkpoint_publish()


# --- Proofs for exports ------------------------------------------------------------------


@dataclass(frozen=True)
class LeafProof:
    """A leaf of the log with its inclusion proof against a checkpoint, the object it
    names and the content its hash covers, as the log kept it."""

    leaf_index: int
    leaf: str
    proof: tuple[str, ...]
    object_id: int = 0
    object_hash: str = ""
    content: dict | None = None


def event_proofs(
    event_ids, *, piece_id: int | None = None
) -> tuple[Checkpoint | None, dict[int, LeafProof]]:
    """For each event, its leaf and inclusion proof against one checkpoint that covers
    them all (published if need be); with ``piece_id``, also every other event leaf
    the log holds for that piece (an event its chain no longer has). Keyed by event
    id. Queries do not grow with the number of events."""
    event_ids = list(event_ids)
    found = _event_leaves(event_ids, piece_id)
    if any(leaf.index is None for leaf in found.values()):
        log_integrate()
        found = _event_leaves(event_ids, piece_id)
    found = {pk: leaf for pk, leaf in found.items() if leaf.index is not None}
    if not found:
        return None, {}
    checkpoint = checkpoint_covering(max(leaf.index for leaf in found.values()) + 1)
    size = checkpoint.tree_size

    def proofs(node):
        return {
            pk: merkle.inclusion_proof(leaf.index, size, node)
            for pk, leaf in found.items()
        }

    paths = computed_from_nodes(proofs)
    return checkpoint, {
        pk: LeafProof(
            leaf_index=leaf.index,
            leaf=leaf.leaf_bytes().decode("utf-8"),
            proof=tuple(p.hex() for p in paths[pk]),
            object_id=leaf.object_id,
            object_hash=leaf.object_hash,
            content=leaf.content,
        )
        for pk, leaf in found.items()
    }


def _event_leaves(event_ids, piece_id=None) -> dict[int, LogLeaf]:
    found: dict[int, LogLeaf] = {}
    wanted = Q(object_id__in=event_ids)
    if piece_id is not None:
        wanted |= Q(pieces__piece_id=piece_id)
    rows = LogLeaf.objects.filter(
        wanted, kind=leaves.EVENT, object_type=leaves.OBJECT_TYPES[leaves.EVENT]
    )
    for leaf in rows.order_by("id"):
        # The first leaf of an event is its own; the log never writes a second.
        found.setdefault(leaf.object_id, leaf)
    return found
