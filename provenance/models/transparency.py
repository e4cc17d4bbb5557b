"""The platform transparency log: one append-only Merkle tree (RFC 9162) and its
signed checkpoints.

Every recorded trace event, certificate issue, change of owner and claim decision is a
``LogLeaf`` (its format: ``provenance.transparency.leaves``). A leaf is written in the
transaction of the record it stands for, without an index; right after that
transaction commits, ``provenance.services.transparency.log_integrate`` gives the
waiting leaves their indexes in one short transaction and stores the complete subtrees
they create (``LogNode``) and the new tree head (``LogHead``), so that a root and any
proof read a few stored nodes, never every leaf. ``Checkpoint`` rows are the signed
notes the log published; each one is also appended to a file outside the database.
Rows here are written only by ``provenance.services.transparency``.
"""

from django.db import models
from django.db.models import Q

from provenance.transparency import leaves


class LogLeafQuerySet(models.QuerySet):
    def integrated(self):
        return self.filter(index__isnull=False)

    def waiting(self):
        return self.filter(index__isnull=True)

    def of_object(self, object_type: str, object_ids):
        return self.filter(object_type=object_type, object_id__in=object_ids)


class LogLeaf(models.Model):
    """One leaf: a record the log vouches for, by kind, object, hash and time."""

    class Kind(models.TextChoices):
        EVENT = leaves.EVENT, "Trace event recorded"
        CERTIFICATE = leaves.CERTIFICATE, "Certificate issued"
        OWNERSHIP = leaves.OWNERSHIP, "Change of owner"
        DECISION = leaves.DECISION, "Claim decision"

    # Null until integrated into the tree; then the leaf's position, for ever.
    index = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    object_hash = models.CharField(max_length=64)
    # What ``object_hash`` covers, as it was logged: lets the audit name the fields of
    # a record that changed since (it is checked against ``object_hash`` first).
    content = models.JSONField(default=dict)
    recorded_at = models.DateTimeField()
    leaf_hash = models.CharField(max_length=64, db_index=True)

    objects = LogLeafQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["index"], name="unique_log_leaf_index")
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="log_leaf_object")
        ]

    def __str__(self):
        where = f"#{self.index}" if self.index is not None else "(waiting)"
        return f"Leaf {where}: {self.get_kind_display()} {self.object_label}"

    @property
    def object_label(self) -> str:
        return leaves.object_label(self.object_type, self.object_id)

    def leaf_bytes(self) -> bytes:
        """The leaf as the tree hashes it (canonical JSON)."""
        return leaves.leaf_bytes(
            kind=self.kind,
            object_type=self.object_type,
            object_id=self.object_id,
            hash=self.object_hash,
            recorded_at=self.recorded_at,
        )


class LogLeafPiece(models.Model):
    """A piece an event leaf concerns (the pieces among the event's items), so that a
    piece's verification finds every event the log holds for it, one deleted from its
    chain included. Written with the leaf; never changed."""

    leaf = models.ForeignKey(LogLeaf, on_delete=models.PROTECT, related_name="pieces")
    # The listing's id, not a foreign key: the log outlives what it records.
    piece_id = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["piece_id", "leaf"], name="unique_log_leaf_piece"
            )
        ]

    def __str__(self):
        return f"{self.leaf.object_label} concerns piece {self.piece_id}"


class LogNode(models.Model):
    """The hash of a complete subtree: 2**level leaves from leaf position * 2**level.

    Level 0 holds the leaf hashes. Written once, when the subtree is completed.
    """

    level = models.PositiveSmallIntegerField()
    position = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["level", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "position"], name="unique_log_node"
            ),
            models.CheckConstraint(condition=Q(level__lte=63), name="log_node_level"),
        ]

    def __str__(self):
        return f"Node {self.level}/{self.position}"


class LogHead(models.Model):
    """The tree as last integrated: its size, root and frontier (one row, id 1).

    Integrations lock this row, so they run one at a time and never hand out an index
    twice; the frontier (the complete subtrees the tree splits into, largest first)
    is all an append needs to compute the nodes it creates.
    """

    size = models.PositiveBigIntegerField(default=0)
    root_hash = models.CharField(max_length=64)
    frontier = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Log of {self.size} leaves"


class Checkpoint(models.Model):
    """A signed checkpoint the log published (a C2SP signed note), kept verbatim."""

    tree_size = models.PositiveBigIntegerField(db_index=True)
    root_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField(db_index=True)
    note = models.TextField()
    key_id = models.CharField(max_length=8, help_text="The signature's key ID (hex).")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Checkpoint of {self.tree_size} leaves ({self.published_at:%Y-%m-%d %H:%M})"
