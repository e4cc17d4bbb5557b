"""RFC 9162 tree hashes and proofs (provenance/transparency/merkle.py), no database.

Known answers: the RFC 6962 reference vectors that transparency-dev/merkle tests with
(proof/verify_test.go: eight leaves, their roots, inclusion and consistency proofs).
Then every proof of every tree up to 20 leaves is checked against a brute-force
computation written here straight from RFC 9162 §2.1, and against corrupted proofs.
"""

import hashlib

import pytest

from provenance.transparency import merkle
from provenance.transparency.merkle import ProofError, Tree


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# --- Known answers (RFC 6962 reference data, via transparency-dev/merkle) --------------

LEAVES = [
    b"",
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
# ROOTS[n - 1] is the root of the first n leaves.
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# (leaf index, tree size, proof)
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
# (first size, second size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

KNOWN = Tree(merkle.leaf_hash(leaf) for leaf in LEAVES)


def test_empty_tree_and_known_roots():
    assert merkle.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert Tree().root() == merkle.EMPTY_ROOT
    assert [KNOWN.root(n) for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_known_inclusion_proofs_are_produced_and_verify(index, size, proof):
    assert KNOWN.inclusion_proof(index, size) == proof
    merkle.verify_inclusion(
        index, size, merkle.leaf_hash(LEAVES[index]), proof, ROOTS[size - 1]
    )


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_known_consistency_proofs_are_produced_and_verify(first, second, proof):
    assert KNOWN.consistency_proof(first, second) == proof
    merkle.verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], proof)


def test_trivial_consistency_cases_follow_the_reference():
    some, other = ROOTS[0], ROOTS[1]
    merkle.verify_consistency(0, 0, some, some, [])
    merkle.verify_consistency(0, 5, some, other, [])  # an empty tree precedes any
    merkle.verify_consistency(3, 3, other, other, [])
    for first, second, a, b, proof in [
        (0, 0, some, other, []),  # same size, other root
        (1, 1, some, other, []),
        (1, 0, some, other, []),  # time travel
        (2, 1, some, other, []),
        (1, 2, some, other, []),  # an empty proof between different sizes
        (0, 1, some, some, [merkle.EMPTY_ROOT]),  # a non-empty proof where none is due
        (1, 1, some, some, [merkle.EMPTY_ROOT]),
    ]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(first, second, a, b, proof)


# --- Brute force from RFC 9162 §2.1, every tree up to 20 leaves ------------------------


def mth(data: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 §2.1.1 writes it."""
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def path(m: int, data: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(data)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, data[:k]), mth(data[k:])]
    return [*path(m - k, data[k:]), mth(data[:k])]


def subproof(m: int, data: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(data)
    if m == n:
        return [] if whole else [mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, data[:k], whole), mth(data[k:])]
    return [*subproof(m - k, data[k:], False), mth(data[:k])]


DATA = [f"leaf {n}".encode() for n in range(20)]
SMALL = Tree(merkle.leaf_hash(d) for d in DATA)
ROOT_OF = [mth(DATA[:n]) for n in range(21)]


def corrupted(proof: list[bytes], extra: bytes) -> list[list[bytes]]:
    """Proofs that must all fail: each element flipped, one removed, one added."""
    bad = []
    for n in range(len(proof)):
        flipped = bytearray(proof[n])
        flipped[0] ^= 8
        bad.append([*proof[:n], bytes(flipped), *proof[n + 1 :]])
    if proof:
        bad += [proof[:-1], proof[1:]]
    bad += [[*proof, extra], [extra, *proof]]
    return bad


@pytest.mark.parametrize("size", range(21))
def test_roots_match_brute_force(size):
    assert SMALL.root(size) == ROOT_OF[size]


@pytest.mark.parametrize("size", range(1, 21))
def test_every_inclusion_proof_matches_brute_force_and_verifies(size):
    for index in range(size):
        proof = SMALL.inclusion_proof(index, size)
        assert proof == path(index, DATA[:size])
        leaf = merkle.leaf_hash(DATA[index])
        merkle.verify_inclusion(index, size, leaf, proof, ROOT_OF[size])
        for wrong in corrupted(proof, ROOT_OF[size]):
            with pytest.raises(ProofError):
                merkle.verify_inclusion(index, size, leaf, wrong, ROOT_OF[size])
        for other_index in {index - 1, index + 1, index ^ 2} - {index}:
            if 0 <= other_index < size:
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(
                        other_index, size, leaf, proof, ROOT_OF[size]
                    )
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, leaf, proof, ROOT_OF[size - 1])
        if size > 1:
            with pytest.raises(ProofError):
                merkle.verify_inclusion(index, size * 2, leaf, proof, ROOT_OF[size])


@pytest.mark.parametrize("second", range(1, 21))
def test_every_consistency_proof_matches_brute_force_and_verifies(second):
    for first in range(0, second + 1):
        proof = SMALL.consistency_proof(first, second)
        expected = subproof(first, DATA[:second], True) if 0 < first < second else []
        assert proof == expected
        a, b = ROOT_OF[first], ROOT_OF[second]
        merkle.verify_consistency(first, second, a, b, proof)
        if not proof:
            continue
        for wrong in corrupted(proof, b):
            with pytest.raises(ProofError):
                merkle.verify_consistency(first, second, a, b, wrong)
        for wrong_first, wrong_second, ra, rb in [
            (first, second, b, a),  # swapped roots
            (first, second, ROOT_OF[first - 1], b),
            (first - 1, second, a, b),
            (first + 1, second, a, b),
            (first ^ 2, second, a, b),
            (first, second * 2, a, b),
            (first, second // 2, a, b),
        ]:
            if wrong_first <= wrong_second:
                with pytest.raises(ProofError):
                    merkle.verify_consistency(wrong_first, wrong_second, ra, rb, proof)


def test_appending_by_frontier_stores_exactly_the_complete_subtrees():
    frontier, stored = [], {}
    for size, data in enumerate(DATA):
        frontier, created = merkle.frontier_append(
            frontier, size, merkle.leaf_hash(data)
        )
        # 1 + the trailing one-bits of the old size: constant work per append.
        assert len(created) == 1 + (len(bin(size)) - len(bin(size).rstrip("1")))
        stored.update({(level, pos): value for level, pos, value in created})
        assert merkle.frontier_root(frontier) == ROOT_OF[size + 1]
        assert frontier == merkle.frontier_of(size + 1, SMALL.node)
    assert stored == {
        (level, pos): value
        for level, nodes in enumerate(SMALL.levels)
        for pos, value in enumerate(nodes)
    }


def test_nodes_needed_lists_what_a_proof_reads():
    needed = merkle.nodes_needed(lambda node: merkle.inclusion_proof(5, 13, node))
    # Leaf 5 of 13: its sibling leaf 4, the pair 6-7, the four 0-3, the five 8-12
    # (a subtree of 4 and the single leaf 12).
    assert needed == {(0, 4), (1, 3), (2, 0), (2, 2), (0, 12)}
    stored = {key: SMALL.node(*key) for key in needed}
    assert merkle.inclusion_proof(5, 13, lambda level, pos: stored[level, pos]) == path(
        5, DATA[:13]
    )


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        SMALL.inclusion_proof(3, 3)
    with pytest.raises(ValueError):
        SMALL.consistency_proof(4, 3)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(0, 1, b"short", [], ROOT_OF[1])
    with pytest.raises(ProofError):
        merkle.verify_inclusion(1, 1, merkle.leaf_hash(DATA[0]), [], ROOT_OF[1])
    with pytest.raises(ValueError):
        merkle.frontier_append([], 1, merkle.leaf_hash(b"x"))


@pytest.mark.parametrize("size", [1, 2, 7, 8, 13, 20])
def test_many_proofs_of_one_tree_verify_together_and_fail_alone(size):
    items = [
        (i, merkle.leaf_hash(DATA[i]), SMALL.inclusion_proof(i, size))
        for i in range(size)
    ]
    merkle.verify_inclusions(size, ROOT_OF[size], items)
    merkle.verify_inclusions(size, ROOT_OF[size], reversed(items))
    # After good proofs whose paths it shares, a bad one still fails: a wrong leaf,
    # a wrong element anywhere in its proof, a missing or an extra element.
    for index, leaf, proof in items:
        wrong_leaf = merkle.leaf_hash(b"another leaf")
        bad = [
            (index, wrong_leaf, proof),
            *((index, leaf, wrong) for wrong in corrupted(proof, ROOT_OF[size])),
        ]
        for item in bad:
            with pytest.raises(ProofError):
                merkle.verify_inclusions(size, ROOT_OF[size], [*items, item])
