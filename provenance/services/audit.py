"""The audit of the transparency log (``manage.py verify_log``): nothing here writes.

It recomputes the whole tree from the stored leaves and checks, naming each problem by
leaf index, kind, object and, where it can, field:

1. every leaf: its stored leaf hash is the hash of its fields, and the indexes run
   0, 1, 2… without a gap;
2. every record against its leaf: a trace event's stored hash is the hash the log
   recorded, and its stored content still hashes to it (re-hashed chains and edited
   rows both show; the fields that changed are named from the content the log kept);
   certificates, changes of owner and claim decisions likewise; a record of these
   kinds with no leaf at all is reported too;
3. the stored tree (nodes and head) is the tree of the leaves;
4. what every certificate shows (metals, stones, hallmarks, the status of each claim
   behind them) against the claims its chain recorded, whose events the log holds;
5. every checkpoint published, in the database and in the external file: its
   signature, its root against the recomputed tree, consistency with the checkpoint
   published before it, and that the database and the file hold the same ones.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from provenance import signing
from provenance.hashing import UnknownHashVersion, content_hash, event_content
from provenance.models import (
    Certificate,
    Checkpoint,
    LogHead,
    LogLeaf,
    LogNode,
    ReviewEvent,
    TraceEvent,
)
from provenance.pseudonyms import owner_recorded_value
from provenance.services.chain import chain_events, events_loaded, verify_claims
from provenance.services.transparency import file_checkpoints, log_origin
from provenance.transparency import leaves, merkle
from provenance.transparency.checkpoint import CheckpointError, open_checkpoint

CHUNK = 2000


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self):
        return f"{self.where}: {self.what}"


@dataclass
class LogAudit:
    leaves: int = 0
    waiting: int = 0
    checkpoints: int = 0
    file_checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self, where: str, what: str) -> None:
        self.problems.append(Problem(where, what))


@dataclass(frozen=True)
class _Leaf:
    index: int
    id: int
    kind: str
    object_type: str
    object_id: int
    object_hash: str

    @property
    def where(self) -> str:
        label = leaves.object_label(self.object_type, self.object_id)
        return f"leaf {self.index} ({self.kind}, {label})"


def _short(value: str) -> str:
    return f"{value[:12]}…" if value else "(none)"


def log_audit(*, public_keys=None, checkpoint_file=None) -> LogAudit:
    """Check the log, its records and its checkpoints; see the module's docstring."""
    audit = LogAudit()
    tree, by_kind = _audit_leaves(audit)
    _audit_tree(audit, tree)
    _audit_events(audit, by_kind[leaves.EVENT])
    _audit_certificates(audit, by_kind[leaves.CERTIFICATE], by_kind[leaves.OWNERSHIP])
    _audit_decisions(audit, by_kind[leaves.DECISION])
    _audit_claims(audit)
    if public_keys is None:
        public_keys = [signing.private_key().public_key()]
    _audit_checkpoints(audit, tree, public_keys, checkpoint_file)
    return audit


# --- 1. Leaves ---------------------------------------------------------------------------


def _audit_leaves(audit: LogAudit):
    tree = merkle.Tree()
    by_kind: dict[str, list[_Leaf]] = defaultdict(list)
    rows = (
        LogLeaf.objects.integrated()
        .order_by("index")
        .values_list(
            "index",
            "id",
            "kind",
            "object_type",
            "object_id",
            "object_hash",
            "recorded_at",
            "leaf_hash",
        )
    )
    expected = 0
    for (
        index,
        pk,
        kind,
        object_type,
        object_id,
        object_hash,
        when,
        stored,
    ) in rows.iterator(chunk_size=CHUNK):
        leaf = _Leaf(index, pk, kind, object_type, object_id, object_hash)
        if index != expected:
            missing = (
                f"{expected}" if index == expected + 1 else f"{expected}–{index - 1}"
            )
            audit.report(
                f"leaves {missing}",
                f"missing: the log's indexes jump from {expected - 1} to {index} "
                "(leaves were deleted)",
            )
        expected = index + 1
        recomputed = merkle.leaf_hash(
            leaves.leaf_bytes(
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                hash=object_hash,
                recorded_at=when,
            )
        )
        if recomputed.hex() != stored:
            audit.report(
                leaf.where,
                "its stored leaf hash is not the hash of its fields (kind, object, "
                "hash or recorded_at was changed)",
            )
        tree.append(recomputed)
        by_kind[kind].append(leaf)
    audit.leaves = tree.size
    audit.waiting = LogLeaf.objects.waiting().count()
    return tree, by_kind


# --- 2. Records against their leaves -----------------------------------------------------


def _logged_content(leaf: _Leaf) -> dict | None:
    """The content the log kept with the leaf, if it still hashes to the leaf's hash."""
    content = LogLeaf.objects.filter(pk=leaf.id).values_list("content", flat=True)[0]
    if not content:
        return None
    if leaf.kind == leaves.EVENT:
        try:
            ok = content_hash(content) == leaf.object_hash
        except UnknownHashVersion:
            ok = False
    else:
        ok = leaves.record_hash(content) == leaf.object_hash
    return content if ok else None


def _changed(leaf: _Leaf, current: dict | None) -> str:
    logged = _logged_content(leaf)
    if logged is None or current is None:
        return " (the log kept no content to name the fields)"
    fields = leaves.changed_fields(logged, current)
    return f"; changed since it was logged: {', '.join(fields)}" if fields else ""


def _audit_events(audit: LogAudit, event_leaves: list[_Leaf]) -> None:
    first_leaf: dict[int, _Leaf] = {}
    for leaf in event_leaves:
        first_leaf.setdefault(leaf.object_id, leaf)
    ids = list(TraceEvent.objects.order_by("id").values_list("id", flat=True))
    present = set(ids)
    for event_id, leaf in first_leaf.items():
        if event_id not in present:
            audit.report(
                leaf.where, "the event it records no longer exists (it was deleted)"
            )
    waiting = set(
        LogLeaf.objects.waiting()
        .filter(kind=leaves.EVENT)
        .values_list("object_id", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        for event in events_loaded(
            TraceEvent.objects.filter(id__in=ids[start : start + CHUNK])
        ):
            leaf = first_leaf.get(event.pk)
            if leaf is None:
                if event.pk not in waiting:
                    audit.report(
                        f"trace_event/{event.pk} ({event.kind})",
                        "the event is not in the log",
                    )
                continue
            _audit_event(audit, leaf, event)


def _audit_event(audit: LogAudit, leaf: _Leaf, event) -> None:
    try:
        current = event_content(
            event, event.loaded_items, [h for _p, h in event.loaded_parents]
        )
        recomputed = content_hash(current, version=event.hash_version)
    except UnknownHashVersion:
        current, recomputed = None, ""
    if event.hash == leaf.object_hash and recomputed == leaf.object_hash:
        return
    if event.hash != leaf.object_hash:
        what = (
            f"the event's stored hash {_short(event.hash)} is not the hash the log "
            f"recorded ({_short(leaf.object_hash)}): it was rewritten"
        )
    else:
        what = "the event's stored content no longer matches its hash"
    audit.report(leaf.where, what + _changed(leaf, current))


def _audit_certificates(
    audit: LogAudit, issued: list[_Leaf], changes: list[_Leaf]
) -> None:
    certificates = Certificate.objects.in_bulk(
        {leaf.object_id for leaf in issued + changes}
    )
    contents = dict(
        LogLeaf.objects.filter(
            pk__in=[leaf.id for leaf in issued + changes]
        ).values_list("id", "content")
    )
    owners: dict[int, tuple[int, str]] = {}  # certificate -> (leaf index, owner)
    for leaf in issued:
        certificate = certificates.get(leaf.object_id)
        logged = contents.get(leaf.id) or {}
        if certificate is None:
            audit.report(leaf.where, "the certificate no longer exists")
            continue
        current = leaves.certificate_content(certificate, owner=logged.get("owner", ""))
        if leaves.record_hash(current) != leaf.object_hash:
            audit.report(
                leaf.where,
                "the certificate is not the one the log recorded as issued"
                + _changed(leaf, current),
            )
        owners[certificate.pk] = (leaf.index, logged.get("owner", ""))
    event_hashes = {(contents.get(leaf.id) or {}).get("event") for leaf in changes} - {
        None
    }
    events = {
        e.hash: e
        for e in TraceEvent.objects.filter(hash__in=event_hashes).only(
            "hash", "kind", "owner_commitment"
        )
    }
    for leaf in changes:
        logged = contents.get(leaf.id) or {}
        if leaves.record_hash(logged) != leaf.object_hash:
            audit.report(
                leaf.where, "the log's content of this change does not match it"
            )
            continue
        if leaf.object_id not in certificates:
            audit.report(leaf.where, "the certificate no longer exists")
            continue
        event = events.get(logged.get("event"))
        if event is None or event.kind != TraceEvent.Kind.OWNERSHIP:
            audit.report(
                leaf.where,
                f"the ownership event {_short(logged.get('event', ''))} it names no "
                "longer exists (or was rewritten)",
            )
        elif event.owner_commitment != logged.get("owner"):
            audit.report(
                leaf.where,
                "the ownership event names another owner than the log recorded "
                "(field owner_commitment)",
            )
        if leaf.index >= owners.get(leaf.object_id, (-1, ""))[0]:
            owners[leaf.object_id] = (leaf.index, logged.get("owner", ""))
    for pk, (index, owner) in owners.items():
        certificate = certificates[pk]
        shown = (
            owner_recorded_value(certificate.owner_id, certificate.listing_id, owner)
            if certificate.owner_id
            else ""
        )
        if shown != owner:
            audit.report(
                f"certificate/{pk} ({certificates[pk].code})",
                f"it names owner {shown or '(none)'!r}, but the log's last record of "
                f"its owner (leaf {index}) says {owner or '(none)'!r} (field owner)",
            )
    logged_ids = {leaf.object_id for leaf in issued}
    waiting = set(
        LogLeaf.objects.waiting()
        .filter(kind=leaves.CERTIFICATE)
        .values_list("object_id", flat=True)
    )
    for pk, code in Certificate.objects.values_list("pk", "code"):
        if pk not in logged_ids and pk not in waiting:
            audit.report(f"certificate/{pk} ({code})", "its issue is not in the log")


def _audit_claims(audit: LogAudit) -> None:
    """Each certificate's claims against its chain's newest claims event (a few
    queries per certificate)."""
    for certificate in Certificate.objects.select_related("listing").iterator(
        chunk_size=CHUNK
    ):
        listing = certificate.listing
        problem = verify_claims(listing, chain_events(listing))
        if problem is not None:
            where = (
                f"trace_event/{problem.first_broken.pk} ({problem.first_broken.kind})"
                if problem.first_broken is not None
                else f"certificate/{certificate.pk}"
            )
            audit.report(
                f"{where} of certificate {certificate.code}",
                f"what the certificate shows is not what its chain recorded: "
                f"{problem.reason}",
            )


def _audit_decisions(audit: LogAudit, decisions: list[_Leaf]) -> None:
    rows = ReviewEvent.objects.select_related("review__content_type").in_bulk(
        [leaf.object_id for leaf in decisions]
    )
    nonces = dict(
        LogLeaf.objects.filter(pk__in=[leaf.id for leaf in decisions]).values_list(
            "id", "content"
        )
    )
    for leaf in decisions:
        decision = rows.get(leaf.object_id)
        if decision is None:
            audit.report(leaf.where, "the decision it records no longer exists")
            continue
        review = decision.review
        record = f"{review.content_type.app_label}.{review.content_type.model}"
        current = leaves.decision_content(
            decision,
            record=f"{record}/{review.object_id}",
            nonce=(nonces.get(leaf.id) or {}).get("nonce", ""),
        )
        if leaves.record_hash(current) != leaf.object_hash:
            audit.report(
                leaf.where,
                "the decision is not the one the log recorded"
                + _changed(leaf, current),
            )
    logged = {leaf.object_id for leaf in decisions} | set(
        LogLeaf.objects.waiting()
        .filter(kind=leaves.DECISION)
        .values_list("object_id", flat=True)
    )
    for pk in ReviewEvent.objects.exclude(pk__in=logged).values_list("pk", flat=True):
        audit.report(f"review_event/{pk}", "the decision is not in the log")


# --- 3. The stored tree ------------------------------------------------------------------


def _audit_tree(audit: LogAudit, tree: merkle.Tree) -> None:
    expected = sum(len(level) for level in tree.levels)
    seen = wrong = extra = 0
    first_wrong = ""
    for level, position, value in (
        LogNode.objects.order_by("level", "position")
        .values_list("level", "position", "hash")
        .iterator(chunk_size=CHUNK)
    ):
        try:
            recomputed = tree.node(level, position)
        except KeyError:
            extra += 1
            continue
        seen += 1
        if recomputed.hex() != value:
            wrong += 1
            first_wrong = first_wrong or f"level {level}, position {position}"
    if wrong:
        audit.report(
            "stored tree",
            f"{wrong} node(s) differ from the tree of the leaves, first at {first_wrong}",
        )
    if seen != expected or extra:
        audit.report(
            "stored tree",
            f"{expected - seen} node(s) missing and {extra} beyond the tree",
        )
    head = LogHead.objects.filter(pk=1).first()
    size = head.size if head else 0
    if size != tree.size:
        audit.report("tree head", f"it says {size} leaves; the log holds {tree.size}")
    elif head is not None and head.root_hash != tree.root().hex():
        audit.report("tree head", "its root hash is not the root of the leaves")


# --- 4. Checkpoints ----------------------------------------------------------------------


def _open(note: str, origin: str, public_keys) -> tuple[object, str]:
    """The checkpoint if a known key's signature verifies, else (None, why)."""
    reason = ""
    for key in public_keys:
        try:
            return open_checkpoint(note, name=origin, public_key=key), ""
        except CheckpointError as error:
            reason = str(error)
    return None, reason


def _audit_sequence(audit, tree, entries, origin, public_keys) -> None:
    """Signature, root and consistency of checkpoints in publication order."""
    previous = None
    for where, note in entries:
        checkpoint, reason = _open(note, origin, public_keys)
        if checkpoint is None:
            audit.report(where, f"its signature does not verify: {reason}")
            continue
        size = checkpoint.tree_size
        if size > tree.size:
            audit.report(
                where,
                f"it vouches for {size} leaves; the log now holds only {tree.size}",
            )
        elif checkpoint.root_hash != tree.root(size):
            audit.report(
                where,
                f"its root hash is not the root of the log's first {size} leaves "
                "(the leaves were rewritten after it was published)",
            )
        if previous is not None:
            _audit_pair(audit, tree, previous, (where, checkpoint))
        previous = (where, checkpoint)


def _audit_pair(audit, tree, earlier, later) -> None:
    (where_a, a), (where_b, b) = earlier, later
    if b.tree_size < a.tree_size:
        audit.report(where_b, f"it is smaller than the one before it ({where_a})")
        return
    if b.tree_size > tree.size:
        return  # reported above: no proof can be built from the stored leaves
    try:
        proof = tree.consistency_proof(a.tree_size, b.tree_size)
        merkle.verify_consistency(
            a.tree_size, b.tree_size, a.root_hash, b.root_hash, proof
        )
    except merkle.ProofError as error:
        audit.report(where_b, f"it is not consistent with {where_a}: {error}")


def _audit_checkpoints(audit, tree, public_keys, checkpoint_file) -> None:
    origin = log_origin()
    stored = list(Checkpoint.objects.order_by("id"))
    audit.checkpoints = len(stored)
    for checkpoint in stored:
        where = f"checkpoint #{checkpoint.pk} (database, size {checkpoint.tree_size})"
        parsed, _reason = _open(checkpoint.note, origin, public_keys)
        if parsed is not None and (
            parsed.tree_size != checkpoint.tree_size
            or parsed.root_hash.hex() != checkpoint.root_hash
        ):
            audit.report(where, "its size or root column differs from its signed note")
    _audit_sequence(
        audit,
        tree,
        [
            (f"checkpoint #{c.pk} (database, size {c.tree_size})", c.note)
            for c in stored
        ],
        origin,
        public_keys,
    )
    path = checkpoint_file or settings.TOUCHSTONE_CHECKPOINT_FILE
    in_file = file_checkpoints(path)
    audit.file_checkpoints = len(in_file)
    _audit_sequence(
        audit,
        tree,
        [(f"external file line {line}", note) for line, note in in_file],
        origin,
        public_keys,
    )
    # The database and the file must hold the same checkpoints.
    file_notes = {note for _line, note in in_file}
    db_notes = {c.note for c in stored}
    db_by_size = defaultdict(set)
    for c in stored:
        db_by_size[c.tree_size].add(c.root_hash)
    for line, note in in_file:
        if note in db_notes:
            continue
        where = f"external file line {line}"
        parsed, _reason = _open(note, origin, public_keys)
        if parsed is not None and db_by_size.get(parsed.tree_size):
            audit.report(
                where,
                f"the database holds another checkpoint of size {parsed.tree_size} "
                "than this one: it was rewritten in the database",
            )
        else:
            audit.report(where, "this checkpoint is missing from the database")
    for c in stored:
        if c.note not in file_notes:
            audit.report(
                f"checkpoint #{c.pk} (database, size {c.tree_size})",
                f"it is not in the external file {path}",
            )
