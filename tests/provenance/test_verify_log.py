"""``manage.py verify_log`` against an insider with database access.

Each test tampers as someone with write access to the database would, without going
through the services, then runs the command: it must exit non-zero and name the leaf,
the kind, the object and, where the log kept the content, the field.
"""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from provenance import services, signing
from provenance.models import (
    Certificate,
    Checkpoint,
    LogLeaf,
    ReviewEvent,
    TraceEvent,
)
from provenance.services.chain import chain_anchor_refresh
from provenance.services.transparency import (
    checkpoint_publish,
    log_integrate,
    log_origin,
)
from provenance.services.verification import claim_transition
from provenance.transparency.checkpoint import checkpoint_text, sign_note
from tests import factories
from tests.provenance.tampering import delete_event, rehash_chain

pytestmark = pytest.mark.django_db


def verify_log(capsys) -> tuple[bool, str]:
    """Run the command: (passed, its output)."""
    try:
        call_command("verify_log")
        passed = True
    except CommandError as error:
        passed = False
        print(error)
    return passed, capsys.readouterr().out


@pytest.fixture
def published(artisan, verifier):
    """A piece made from an artisanal-mined lot, a decision on the lot, a sale to a
    buyer, and a checkpoint over all of it: (listing, lot)."""
    lot = factories.recycled_silver_lot(artisan, origin_type="artisanal_mined")
    listing, _lot = factories.fabricated_piece(artisan, lots=[lot])
    factories.submitted(lot)
    claim_transition(record=lot, actor=verifier, action="verify")
    buyer = factories.UserFactory()
    code = services.ownership_handover_start(
        actor=artisan.user, certificate=listing.certificate
    )
    services.ownership_claim(actor=buyer, code=code)
    checkpoint_publish()
    return listing, lot


def _leaf_of(event) -> LogLeaf:
    return LogLeaf.objects.get(kind="event", object_id=event.pk)


def test_an_untouched_log_verifies(published, capsys):
    passed, out = verify_log(capsys)
    assert passed, out
    assert "OK:" in out and "0 problem(s)" in out
    assert "1 checkpoints in the database, 1 in the external file" in out


def test_a_rewritten_and_rehashed_chain_is_caught_by_the_log(published, capsys):
    listing, lot = published
    # "Mined" becomes "recycled"; every hash of the chain and its head are recomputed.
    type(lot).objects.filter(pk=lot.pk).update(origin_type="recycled_post_consumer")
    rehash_chain(listing)
    # The chain's own hashes hold again; the log's leaves do not, and verify_chains,
    # which checks each chain against them, names the first event rewritten.
    result = services.provenance_verify(listing)
    assert not result.ok and result.first_broken.kind == "origin"
    assert "changed since it was logged: items[0].lot.origin_type" in result.reason
    call_command("verify_chains")
    assert "BROKEN" in capsys.readouterr().out
    passed, out = verify_log(capsys)
    assert not passed
    origin = TraceEvent.objects.get(kind="origin")
    leaf = _leaf_of(origin)
    assert (
        f"leaf {leaf.index} (event, trace_event/{origin.pk}): the event's stored hash"
        in out
    )
    assert "changed since it was logged: items[0].lot.origin_type" in out
    fabrication = TraceEvent.objects.get(kind="transformation")
    assert f"(event, trace_event/{fabrication.pk})" in out
    assert "FAILED" in out


def test_an_edited_event_is_named_with_its_field(published, capsys):
    fabrication = TraceEvent.objects.get(kind="transformation")
    TraceEvent.objects.filter(pk=fabrication.pk).update(loss_grams=Decimal("0.010"))
    passed, out = verify_log(capsys)
    assert not passed
    assert (
        f"leaf {_leaf_of(fabrication).index} (event, trace_event/{fabrication.pk}): "
        "the event's stored content no longer matches its hash; changed since it was "
        "logged: loss_grams"
    ) in out


def test_deleting_the_newest_event_and_rewriting_the_head_is_caught(published, capsys):
    listing, _lot = published
    newest = TraceEvent.objects.for_chain(listing).order_by("-id").first()
    assert newest.kind == "ownership"
    delete_event(newest)
    chain_anchor_refresh(listing_ids=[listing.pk])
    passed, out = verify_log(capsys)
    assert not passed
    assert (
        f"leaf {_leaf_of(newest).index} (event, trace_event/{newest.pk}): the event it "
        "records no longer exists"
    ) in out
    # The change of owner it backed names an ownership event that is gone too.
    assert "(ownership, certificate/" in out and "no longer exists" in out


def test_a_checkpoint_rewritten_in_the_database_disagrees_with_the_file(
    published, capsys, artisan
):
    listing, _lot = published
    first = Checkpoint.objects.get()
    services.piece_repair(actor=artisan.user, listing=listing, note="Clasp")
    checkpoint_publish()
    # The insider signs another root for the first size and puts it in the database.
    forged_root = bytes(32)
    note = sign_note(
        checkpoint_text(log_origin(), first.tree_size, forged_root),
        log_origin(),
        signing.private_key(),
    )
    Checkpoint.objects.filter(pk=first.pk).update(
        note=note, root_hash=forged_root.hex()
    )
    passed, out = verify_log(capsys)
    assert not passed
    where = f"checkpoint #{first.pk} (database, size {first.tree_size})"
    assert f"{where}: its root hash is not the root of the log's first" in out
    assert f"{where}: it is not in the external file" in out
    assert (
        "external file line 1: the database holds another checkpoint of size "
        f"{first.tree_size} than this one: it was rewritten in the database" in out
    )


def test_a_checkpoint_edited_without_the_key_fails_its_signature(published, capsys):
    checkpoint = Checkpoint.objects.get()
    lines = checkpoint.note.split("\n")
    lines[1] = str(checkpoint.tree_size + 1)
    Checkpoint.objects.filter(pk=checkpoint.pk).update(note="\n".join(lines))
    passed, out = verify_log(capsys)
    assert not passed
    assert f"checkpoint #{checkpoint.pk} (database, size" in out
    assert "its signature does not verify" in out


def test_a_leaf_deleted_from_the_log_breaks_the_published_root(published, capsys):
    leaf = LogLeaf.objects.get(index=1)
    LogLeaf.objects.filter(pk=leaf.pk).delete()
    passed, out = verify_log(capsys)
    assert not passed
    assert "leaves 1: missing: the log's indexes jump from 0 to 2" in out
    assert "is not the root of the log's first" in out or "holds only" in out
    assert f"trace_event/{leaf.object_id}" in out and "is not in the log" in out


def test_a_certificate_given_to_another_owner_in_the_database_is_caught(
    published, capsys
):
    listing, _lot = published
    impostor = factories.UserFactory()
    Certificate.objects.filter(pk=listing.certificate.pk).update(owner=impostor)
    passed, out = verify_log(capsys)
    assert not passed
    assert f"certificate/{listing.certificate.pk} ({listing.certificate.code})" in out
    assert "the log's last record of its owner" in out and "(field owner)" in out


def test_an_edited_decision_is_named_with_its_field(published, capsys):
    decision = ReviewEvent.objects.get(action="verify")
    ReviewEvent.objects.filter(pk=decision.pk).update(reason="Checked the assay.")
    passed, out = verify_log(capsys)
    assert not passed
    leaf = LogLeaf.objects.get(kind="decision", object_id=decision.pk)
    assert (
        f"leaf {leaf.index} (decision, review_event/{decision.pk}): the decision is "
        "not the one the log recorded; changed since it was logged: reason"
    ) in out


def test_an_event_written_behind_the_services_back_is_not_in_the_log(published, capsys):
    listing, _lot = published
    log_integrate()
    forged = TraceEvent.objects.create(
        artisan=listing.artisan,
        kind="repair",
        biz_step="repairing",
        occurred_at=listing.certificate.created_at,
        hash="e" * 64,
    )
    passed, out = verify_log(capsys)
    assert not passed
    assert f"trace_event/{forged.pk} (repair): the event is not in the log" in out
