"""Reads of the transparency log: stored nodes, checkpoints, inclusion and consistency
proofs. Public: the log's hashes and proofs say nothing a certificate does not."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q

from provenance.models import Checkpoint, LogHead, LogLeaf, LogNode
from provenance.transparency import merkle

# Sizes and indexes fit a signed 64-bit integer column.
MAX_TREE_SIZE = 2**63 - 1


class LogNodeMissing(Exception):
    """A stored node a root or proof needs is not there (the tables were altered)."""


class LeafNotFound(Exception):
    """No integrated leaf has this hash."""


def nodes_get(coordinates) -> dict[tuple[int, int], bytes]:
    """Stored nodes by ``(level, position)``, in one query."""
    by_level = defaultdict(list)
    for level, position in coordinates:
        by_level[level].append(position)
    if not by_level:
        return {}
    condition = Q()
    for level, positions in sorted(by_level.items()):
        condition |= Q(level=level, position__in=sorted(positions))
    return {
        (level, position): bytes.fromhex(value)
        for level, position, value in LogNode.objects.filter(condition).values_list(
            "level", "position", "hash"
        )
    }


def computed_from_nodes(compute):
    """Run ``compute(node)`` (a root or proofs, see ``merkle``) over the stored nodes it
    needs, fetched in one query; ``LogNodeMissing`` if one is not stored."""
    stored = nodes_get(merkle.nodes_needed(compute))

    def node(level: int, position: int) -> bytes:
        try:
            return stored[level, position]
        except KeyError:
            raise LogNodeMissing(
                f"the log has no node at level {level}, position {position}"
            ) from None

    return compute(node)


def log_size() -> int:
    """How many leaves the tree holds (integrated leaves)."""
    return LogHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def checkpoint_latest() -> Checkpoint | None:
    """The latest published checkpoint (the largest tree), if any."""
    return Checkpoint.objects.order_by("-tree_size", "-id").first()


def _default_size(tree_size: int | None, size: int) -> int:
    """The size asked for, or the latest checkpoint's (the tree's if none)."""
    if tree_size is not None:
        return tree_size
    latest = checkpoint_latest()
    return latest.tree_size if latest is not None else size


def inclusion_proof_get(
    *,
    leaf_index: int | None = None,
    leaf_hash: str | None = None,
    tree_size: int | None = None,
) -> dict:
    """The inclusion proof of a leaf (by index or by leaf hash) in the tree of
    ``tree_size`` leaves (default: the latest checkpoint's), with the leaf itself and
    that checkpoint's note when one of this size was published."""
    if (leaf_index is None) == (leaf_hash is None):
        raise ValidationError({"leaf_index": "Give either leaf_index or leaf_hash."})
    size = log_size()
    tree_size = _default_size(tree_size, size)
    if tree_size > size:
        raise ValidationError({"tree_size": f"The log holds {size} leaves."})
    if leaf_hash is not None:
        leaf = (
            LogLeaf.objects.integrated()
            .filter(leaf_hash=leaf_hash)
            .order_by("index")
            .first()
        )
        if leaf is None:
            raise LeafNotFound
    else:
        if leaf_index >= tree_size:
            raise ValidationError(
                {
                    "leaf_index": f"A tree of {tree_size} leaves has no leaf {leaf_index}."
                }
            )
        leaf = LogLeaf.objects.filter(index=leaf_index).first()
        if leaf is None:
            raise LogNodeMissing(f"the log has no leaf at index {leaf_index}")
    if leaf.index >= tree_size:
        raise ValidationError(
            {"tree_size": f"Leaf {leaf.index} is not in a tree of {tree_size} leaves."}
        )
    proof = computed_from_nodes(
        lambda node: merkle.inclusion_proof(leaf.index, tree_size, node)
    )
    checkpoint = Checkpoint.objects.filter(tree_size=tree_size).order_by("-id").first()
    return {
        "leaf_index": leaf.index,
        "tree_size": tree_size,
        "leaf_hash": leaf.leaf_hash,
        "leaf": leaf.leaf_bytes().decode("utf-8"),
        "proof": [p.hex() for p in proof],
        "checkpoint": checkpoint.note if checkpoint is not None else None,
    }


def consistency_proof_get(*, first: int, second: int | None = None) -> dict:
    """The consistency proof from the tree of ``first`` leaves to the tree of
    ``second`` leaves (default: the latest checkpoint's)."""
    size = log_size()
    second = _default_size(second, size)
    if second > size:
        raise ValidationError({"to": f"The log holds {size} leaves."})
    if first > second:
        raise ValidationError(
            {"from": f"A tree of {first} leaves cannot precede one of {second}."}
        )
    proof = computed_from_nodes(
        lambda node: merkle.consistency_proof(first, second, node)
    )
    return {"from": first, "to": second, "proof": [p.hex() for p in proof]}
