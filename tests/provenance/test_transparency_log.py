"""The transparency log: what is appended, integration, checkpoints, proofs, and the
cost of an append (provenance/services/transparency.py)."""

import json
import threading
from itertools import combinations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from provenance import services, signing
from provenance.models import Checkpoint, LogHead, LogLeaf, LogNode
from provenance.selectors.transparency import (
    computed_from_nodes,
    consistency_proof_get,
    inclusion_proof_get,
)
from provenance.services.transparency import (
    LogInconsistent,
    checkpoint_covering,
    checkpoint_publish,
    file_checkpoints,
    log_append,
    log_integrate,
    log_origin,
)
from provenance.services.verification import claim_transition
from provenance.transparency import leaves, merkle
from provenance.transparency.checkpoint import open_checkpoint
from tests import factories

pytestmark = pytest.mark.django_db


def _open(note):
    return open_checkpoint(
        note, name=log_origin(), public_key=signing.private_key().public_key()
    )


def _append(n: int) -> None:
    """n leaves, as a recording service appends them (the records need not exist)."""
    for k in range(n):
        log_append(
            kind=leaves.EVENT,
            object_type="trace_event",
            object_id=10_000 + k,
            object_hash=f"{k:064x}",
            content={},
        )


def _tree() -> merkle.Tree:
    return merkle.Tree(
        bytes.fromhex(h)
        for h in LogLeaf.objects.integrated()
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    )


# --- What is appended --------------------------------------------------------------------


def test_recording_a_piece_appends_its_events_and_certificate_in_order(artisan):
    listing, _lot = factories.fabricated_piece(artisan)
    rows = list(LogLeaf.objects.values_list("kind", "object_type", "object_id"))
    events = list(
        listing.certificate.listing.trace_items.values_list("event", flat=True)
    )
    # Origin, transfer, making; the certificate; the claims recorded with it.
    kinds = [kind for kind, _t, _i in rows]
    assert kinds == ["event", "event", "event", "certificate", "event"]
    assert rows[3] == ("certificate", "certificate", listing.certificate.pk)
    assert set(events) <= {i for _k, t, i in rows if t == "trace_event"}
    # Written in the recording transaction, integrated after it commits.
    assert LogLeaf.objects.waiting().count() == 5
    assert log_integrate() == 5
    indexes = list(LogLeaf.objects.order_by("id").values_list("index", flat=True))
    assert indexes == [0, 1, 2, 3, 4]


def test_each_leaf_is_the_canonical_json_of_what_it_names(artisan):
    listing, _lot = factories.fabricated_piece(artisan)
    log_integrate()
    event = listing.certificate.listing.trace_items.get(role="output").event
    leaf = LogLeaf.objects.get(object_type="trace_event", object_id=event.pk)
    content = json.loads(leaf.leaf_bytes())
    assert content == {
        "format": 1,
        "kind": "event",
        "object": f"trace_event/{event.pk}",
        "hash": event.hash,
        "recorded_at": leaves.utc_text(leaf.recorded_at),
    }
    assert leaf.leaf_hash == merkle.leaf_hash(leaf.leaf_bytes()).hex()
    assert LogNode.objects.get(level=0, position=leaf.index).hash == leaf.leaf_hash


def test_changes_of_owner_and_claim_decisions_are_appended(artisan, verifier):
    listing, lot = factories.fabricated_piece(artisan)
    buyer = factories.UserFactory()
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_claim(actor=buyer, code=code)
    change = LogLeaf.objects.get(kind="ownership")
    ownership_event = listing.trace_items.filter(event__kind="ownership").get().event
    assert change.object_id == listing.certificate.pk
    assert change.content == {
        "certificate": listing.certificate.code,
        "event": ownership_event.hash,
        "owner": ownership_event.owner_commitment,
    }
    assert change.object_hash == leaves.record_hash(change.content)
    factories.submitted(lot)
    claim_transition(record=lot, actor=verifier, action="verify")
    decisions = LogLeaf.objects.filter(kind="decision").order_by("id")
    assert [d.content["action"] for d in decisions] == ["submit", "verify"]
    assert decisions[1].content["record"] == f"provenance.materiallot/{lot.pk}"
    assert decisions[1].content["actor"] == verifier.pk
    # The reason is not public: a nonce keeps it from being confirmed by guessing.
    nonces = {d.content["nonce"] for d in decisions}
    assert len(nonces) == 2 and all(len(n) == 32 for n in nonces)


def test_a_record_rolled_back_takes_its_leaf_with_it(artisan):
    listing, _lot = factories.fabricated_piece(artisan)
    before = LogLeaf.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.piece_repair(actor=artisan.user, listing=listing, note="Clasp")
        raise RuntimeError("the request failed after recording")
    assert LogLeaf.objects.count() == before


def test_leaves_are_integrated_right_after_the_commit(
    artisan, django_capture_on_commit_callbacks
):
    listing, _lot = factories.fabricated_piece(artisan)
    log_integrate()
    with django_capture_on_commit_callbacks(execute=False):
        services.piece_repair(actor=artisan.user, listing=listing, note="Clasp")
    assert LogLeaf.objects.waiting().count() == 1  # before the commit
    with django_capture_on_commit_callbacks(execute=True):
        services.piece_repair(actor=artisan.user, listing=listing, note="Again")
    assert LogLeaf.objects.waiting().count() == 0  # after: both integrated
    head = LogHead.objects.get()
    assert head.size == 7 and head.root_hash == _tree().root().hex()


# --- The cost of an append ---------------------------------------------------------------


# The integration, whatever it builds: lock the head, read the waiting leaves, insert
# the nodes, index the leaves, write the head; and, inside the test's transaction, the
# savepoint around them.
INTEGRATION_QUERIES = 7


def _append_one_and_integrate(django_assert_num_queries):
    with django_assert_num_queries(1):
        _append(1)
    with django_assert_num_queries(INTEGRATION_QUERIES):
        log_integrate()


def test_an_append_costs_the_same_queries_at_any_tree_size(django_assert_num_queries):
    _append(3)
    log_integrate()
    _append_one_and_integrate(django_assert_num_queries)  # leaf 3: 3 new nodes
    _append(1_019)
    log_integrate()
    # Leaf 1,023 completes a subtree of 1,024 leaves: 11 new nodes, the same queries.
    _append_one_and_integrate(django_assert_num_queries)
    assert LogNode.objects.filter(level=10).count() == 1
    assert LogHead.objects.get().root_hash == _tree().root().hex()


def test_recording_an_event_costs_the_same_queries_at_any_tree_size(
    artisan, django_assert_num_queries, django_capture_on_commit_callbacks
):
    listing, _lot = factories.fabricated_piece(artisan)
    log_integrate()

    def repair():
        with django_capture_on_commit_callbacks(execute=True):
            services.piece_repair(actor=artisan.user, listing=listing, note="Clasp")

    repair()  # the chain's first repair differs from the next ones
    with CaptureQueriesContext(connection) as small:
        repair()
    _append(600)
    log_integrate()
    with django_assert_num_queries(len(small)):
        repair()


def test_two_integrations_never_give_the_same_index(transactional_db):
    """Writers append and integrate at once from several threads: every leaf gets
    one index, the indexes run without a gap and the stored tree is the leaves' tree."""
    writers, each = 4, 6
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for k in range(each):
                with transaction.atomic():
                    log_append(
                        kind=leaves.EVENT,
                        object_type="trace_event",
                        object_id=n * 100 + k,
                        object_hash=f"{n * 100 + k:064x}",
                        content={},
                    )
                # outside the atomic block: integrated as the transaction commits
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log_integrate()
    assert errors == []
    indexes = sorted(LogLeaf.objects.values_list("index", flat=True))
    assert indexes == list(range(writers * each))
    head = LogHead.objects.get()
    tree = _tree()
    assert head.size == writers * each and head.root_hash == tree.root().hex()
    assert {(n.level, n.position): n.hash for n in LogNode.objects.all()} == {
        (level, pos): value.hex()
        for level, nodes in enumerate(tree.levels)
        for pos, value in enumerate(nodes)
    }


# --- Checkpoints and proofs over 1,000 leaves -------------------------------------------


def test_a_thousand_leaves_with_a_checkpoint_every_fifty(settings):
    published = []
    for _round in range(20):
        _append(50)
        published.append(checkpoint_publish())
    assert [c.tree_size for c in published] == list(range(50, 1001, 50))
    opened = [_open(c.note) for c in published]
    assert [c.tree_size for c in opened] == list(range(50, 1001, 50))
    tree = _tree()
    for checkpoint in opened:
        assert checkpoint.root_hash == tree.root(checkpoint.tree_size)
    # Every pair of checkpoints is consistent, with the proofs the API serves.
    pairs = 0
    for a, b in combinations(opened, 2):
        proof = consistency_proof_get(first=a.tree_size, second=b.tree_size)["proof"]
        merkle.verify_consistency(
            a.tree_size,
            b.tree_size,
            a.root_hash,
            b.root_hash,
            [bytes.fromhex(p) for p in proof],
        )
        pairs += 1
    assert pairs == 190
    # Every leaf is in every checkpoint's tree that holds it, by proofs computed from
    # the stored nodes (one query per checkpoint) ...
    leaf_hashes = {
        leaf.index: merkle.leaf_hash(leaf.leaf_bytes())
        for leaf in LogLeaf.objects.all()
    }
    proven = 0
    for checkpoint in opened:
        size = checkpoint.tree_size
        paths = computed_from_nodes(
            lambda node, size=size: [
                merkle.inclusion_proof(i, size, node) for i in range(size)
            ]
        )
        for index, path in enumerate(paths):
            merkle.verify_inclusion(
                index, size, leaf_hashes[index], path, checkpoint.root_hash
            )
            proven += 1
    assert proven == sum(range(50, 1001, 50))
    # ... and as the API serves them, for a sample of leaves and checkpoints.
    for index in range(0, 1000, 37):
        checkpoint = opened[index // 50 + (index % 3)] if index < 900 else opened[-1]
        answer = inclusion_proof_get(leaf_index=index, tree_size=checkpoint.tree_size)
        assert answer["checkpoint"] in {c.note for c in published}
        merkle.verify_inclusion(
            index,
            checkpoint.tree_size,
            merkle.leaf_hash(answer["leaf"].encode()),
            [bytes.fromhex(p) for p in answer["proof"]],
            checkpoint.root_hash,
        )
    # And the file outside the database holds the same twenty notes.
    assert [note for _line, note in file_checkpoints()] == [c.note for c in published]


def test_a_tree_that_has_not_grown_gets_no_new_checkpoint_unless_forced():
    _append(3)
    first = checkpoint_publish()
    assert checkpoint_publish() == first
    assert checkpoint_covering(3) == first
    forced = checkpoint_publish(force=True)
    assert forced != first and forced.tree_size == 3
    _append(1)
    covering = checkpoint_covering(4)
    assert covering.tree_size == 4 and Checkpoint.objects.count() == 3
    assert len(file_checkpoints()) == 3


def test_the_log_refuses_to_sign_a_tree_inconsistent_with_what_it_published():
    _append(8)
    checkpoint_publish()
    # An insider rewrites a leaf and the stored tree to match it.
    leaf = LogLeaf.objects.get(index=3)
    LogLeaf.objects.filter(pk=leaf.pk).update(object_hash="f" * 64)
    leaf.refresh_from_db()
    forged = [
        bytes.fromhex(h)
        for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    forged[3] = merkle.leaf_hash(leaf.leaf_bytes())
    tree = merkle.Tree(forged)
    LogNode.objects.all().delete()
    LogNode.objects.bulk_create(
        LogNode(level=level, position=pos, hash=value.hex())
        for level, nodes in enumerate(tree.levels)
        for pos, value in enumerate(nodes)
    )
    LogHead.objects.update(
        root_hash=tree.root().hex(),
        frontier=[h.hex() for h in merkle.frontier_of(8, tree.node)],
    )
    _append(1)
    with pytest.raises(LogInconsistent):
        checkpoint_publish()
    assert Checkpoint.objects.count() == 1 and len(file_checkpoints()) == 1


def test_the_log_refuses_to_sign_a_tree_shorter_than_the_external_files_last():
    _append(4)
    checkpoint_publish()
    # The database loses its checkpoints and its last leaves; the file keeps them.
    Checkpoint.objects.all().delete()
    LogLeaf.objects.filter(index__gte=2).delete()
    LogNode.objects.filter(position__gte=1, level=1).delete()
    LogNode.objects.filter(position__gte=2, level=0).delete()
    LogNode.objects.filter(level=2).delete()
    tree = _tree()
    LogHead.objects.update(
        size=2,
        root_hash=tree.root().hex(),
        frontier=[h.hex() for h in merkle.frontier_of(2, tree.node)],
    )
    with pytest.raises(LogInconsistent, match="fewer than"):
        checkpoint_publish(force=True)
