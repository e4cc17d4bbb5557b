"""RFC 9162 Merkle tree hashes, inclusion and consistency proofs (standard library only).

The tree of a transparency log, as Certificate Transparency 2.0 defines it (RFC 9162
§2.1, the same tree as RFC 6962 and C2SP's merkle-tree):

- the hash of a leaf is ``SHA-256(0x00 || leaf)``, of an interior node
  ``SHA-256(0x01 || left || right)``, and of the empty tree ``SHA-256("")``;
- the tree over ``n > 1`` leaves splits them at ``k``, the largest power of two below
  ``n``: ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``.

Every subtree the RFC's recursions visit is either *complete* (``2**level`` leaves
starting at a multiple of ``2**level``), or splits into complete ones. A log therefore
stores only its complete subtrees, addressed as ``(level, position)``: the node of
``2**level`` leaves starting at leaf ``position * 2**level``. Proofs are computed from
a ``node(level, position) -> bytes`` function over those, so that neither a root nor a
proof needs every leaf; ``nodes_needed`` tells which nodes a computation reads, to fetch
them in one go. ``Tree`` holds all the nodes in memory, for verifiers and tests.

Verifying (``verify_inclusion``, ``verify_consistency``) follows RFC 9162 §2.1.3.2 and
§2.1.4.2 step by step; each raises ``ProofError`` saying why a proof fails. Hashes are
32-byte ``bytes`` throughout; callers convert hex or base64 at their edges.

This module imports nothing outside Python's standard library, so that an offline
verifier can copy or import it as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# node(level, position): the hash of the complete subtree of 2**level leaves that
# starts at leaf position * 2**level.
NodeSource = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof does not hold; the message says which check failed."""


def leaf_hash(leaf: bytes) -> bytes:
    """The hash of a leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """k, the largest power of two smaller than ``size`` (for size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _check_size(*values: int) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"not a tree size or leaf index: {value!r}")


# --- Roots and proofs from stored complete subtrees ------------------------------------


def subtree_hash(start: int, end: int, node: NodeSource) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursions visit.

    Such a range starts at a multiple of the largest power of two not above its size:
    a range of 2**level leaves is one stored node; any other splits at ``split_point``.
    """
    size = end - start
    if size <= 0:
        raise ValueError(f"empty or reversed range [{start}, {end})")
    if _is_power_of_two(size):
        level = size.bit_length() - 1
        if start % size:
            raise ValueError(f"range [{start}, {end}) is not aligned")
        return node(level, start >> level)
    k = split_point(size)
    return node_hash(
        subtree_hash(start, start + k, node), subtree_hash(start + k, end, node)
    )


def root_hash(size: int, node: NodeSource) -> bytes:
    """MTH of the first ``size`` leaves."""
    _check_size(size)
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash(0, size, node)


def inclusion_proof(index: int, size: int, node: NodeSource) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1: from the leaf's sibling upwards."""
    _check_size(index, size)
    if index >= size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    proof: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting the sibling subtree at each split; the path
    # lists them leaf first, so the walk's list is reversed at the end.
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            proof.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, node))
            start = start + k
    proof.reverse()
    return proof


def consistency_proof(first: int, second: int, node: NodeSource) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 (empty when there is nothing to
    prove: an empty first tree, or equal sizes)."""
    _check_size(first, second)
    if first > second:
        raise ValueError(f"a tree of {first} leaves cannot precede one of {second}")
    if first == 0 or first == second:
        return []
    proof: list[bytes] = []
    start, end, whole = 0, second, True
    # SUBPROOF(m, D[start:end], whole), unrolled: each step keeps the side holding the
    # boundary ``first`` and records the other side's hash; again listed bottom-up.
    while first != end:
        k = split_point(end - start)
        if first - start <= k:
            proof.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, node))
            start, whole = start + k, False
    if not whole:
        proof.append(subtree_hash(start, end, node))
    proof.reverse()
    return proof


def nodes_needed(compute: Callable[[NodeSource], object]) -> set[tuple[int, int]]:
    """The ``(level, position)`` of every stored node ``compute(node)`` reads.

    The shape of a root or proof computation does not depend on the hashes, so running
    it over placeholder hashes lists the nodes to fetch before computing it for real.
    """
    wanted: set[tuple[int, int]] = set()

    def record(level: int, position: int) -> bytes:
        wanted.add((level, position))
        return bytes(HASH_SIZE)

    compute(record)
    return wanted


# --- Appending ---------------------------------------------------------------------------


def frontier_append(
    frontier: list[bytes], size: int, leaf: bytes
) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Append a leaf hash to a tree of ``size`` leaves known by its frontier.

    The frontier is the hashes of the complete subtrees the tree splits into, largest
    first (one per set bit of ``size``). Returns the new frontier and the complete
    subtrees the append creates, as ``(level, position, hash)``: the leaf's own node,
    and one more for each subtree it completes (1 + the trailing one-bits of ``size``).
    """
    _check_size(size)
    if len(frontier) != bin(size).count("1"):
        raise ValueError(f"a frontier of {len(frontier)} does not fit size {size}")
    frontier = list(frontier)
    carry, level = leaf, 0
    created = [(0, size, leaf)]
    while (size >> level) & 1:
        carry = node_hash(frontier.pop(), carry)
        level += 1
        created.append((level, size >> level, carry))
    frontier.append(carry)
    return frontier, created


def frontier_root(frontier: list[bytes]) -> bytes:
    """The root of the tree whose frontier this is."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        root = node_hash(subtree, root)
    return root


def frontier_of(size: int, node: NodeSource) -> list[bytes]:
    """The frontier of the first ``size`` leaves, read from stored nodes."""
    _check_size(size)
    frontier, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            frontier.append(node(level, start >> level))
            start += 1 << level
    return frontier


class Tree:
    """Every complete subtree of a list of leaf hashes, in memory.

    ``levels[level][position]`` is the node of 2**level leaves at that position, so
    ``node`` is a ``NodeSource`` and the proofs above work on it directly.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()):
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash, and every subtree it completes."""
        level = 0
        self.levels[0].append(leaf)
        while len(self.levels[level]) % 2 == 0:
            if len(self.levels) == level + 1:
                self.levels.append([])
            below = self.levels[level]
            self.levels[level + 1].append(node_hash(below[-2], below[-1]))
            level += 1

    def node(self, level: int, position: int) -> bytes:
        try:
            return self.levels[level][position]
        except IndexError:
            raise KeyError((level, position)) from None

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self.size if size is None else size, self.node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.node)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else second
        return consistency_proof(first, second, self.node)


# --- Verifying (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------


def _check_hashes(*hashes: bytes) -> None:
    for value in hashes:
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise ProofError("a hash is not 32 bytes long")


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: list[bytes]
) -> bytes:
    """The root that an inclusion proof of ``leaf`` at ``index`` leads to."""
    _check_size(index, size)
    if index >= size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    _check_hashes(leaf, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is leaf ``index`` of the tree of ``size``
    leaves whose root is ``root``; raise ``ProofError`` if not."""
    _check_hashes(root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("the proof does not lead to the root hash")


def verify_inclusions(
    size: int, root: bytes, items: Iterable[tuple[int, bytes, list[bytes]]]
) -> None:
    """Check many inclusion proofs ``(index, leaf hash, proof)`` against one tree.

    The same checks as ``verify_inclusion`` for each, but the proofs of leaves of one
    tree share their upper paths: once a proof has led to the root, the state of each
    of its steps is remembered, and a later proof that reaches the same state (node,
    hash so far) with the same remaining proof hashes holds without hashing further.
    Raises ``ProofError`` naming the first leaf that fails.
    """
    _check_size(size)
    _check_hashes(root)
    proven: dict[tuple[int, int, int], tuple[bytes, list[bytes], int]] = {}
    for index, leaf, proof in items:
        _check_size(index)
        if index >= size:
            raise ProofError(f"leaf index {index} is not below the tree size {size}")
        _check_hashes(leaf, *proof)
        fn, sn, r, level = index, size - 1, leaf, 0
        steps = []
        done = False
        for i, p in enumerate(proof):
            seen = proven.get((level, fn, sn))
            if seen is not None and seen[0] == r and seen[1][seen[2] :] == proof[i:]:
                done = True
                break
            steps.append(((level, fn, sn), r, i))
            if sn == 0:
                raise ProofError(f"leaf {index}: the proof is longer than the tree")
            if fn & 1 or fn == sn:
                r = node_hash(p, r)
                while not fn & 1 and fn:
                    fn, sn, level = fn >> 1, sn >> 1, level + 1
            else:
                r = node_hash(r, p)
            fn, sn, level = fn >> 1, sn >> 1, level + 1
        if not done:
            if sn != 0:
                raise ProofError(f"leaf {index}: the proof is shorter than the tree")
            if r != root:
                raise ProofError(f"leaf {index}: the proof does not lead to the root")
        for key, value, i in steps:
            proven.setdefault(key, (value, proof, i))


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: list[bytes],
) -> None:
    """Check that the tree of ``first`` leaves (``first_root``) is a prefix of the tree
    of ``second`` leaves (``second_root``); raise ``ProofError`` if not."""
    _check_size(first, second)
    _check_hashes(first_root, second_root, *proof)
    if first > second:
        raise ProofError(f"a tree of {first} leaves cannot precede one of {second}")
    if first == second:
        if proof:
            raise ProofError("equal trees need an empty proof")
        if first_root != second_root:
            raise ProofError("two trees of the same size have different roots")
        return
    if first == 0:
        if proof:
            raise ProofError("an empty tree needs an empty proof")
        return
    if not proof:
        raise ProofError("the proof is empty")
    path = [first_root, *proof] if _is_power_of_two(first) else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if fr != first_root:
        raise ProofError("the proof does not lead to the first root hash")
    if sr != second_root:
        raise ProofError("the proof does not lead to the second root hash")
