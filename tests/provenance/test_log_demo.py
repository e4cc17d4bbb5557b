"""The whole demo (``marketplace.demo.seed()``) in the transparency log: every event is
proven in a signed checkpoint, every export carries its proofs, and the one event the
demo alters behind the services' back is what ``verify_log`` reports.

The demo is seeded once for the module (it takes a while) inside a transaction that is
rolled back at the end; each test runs in a savepoint within it.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from marketplace.demo import seed
from marketplace.demo.provenance import TAMPER_NOTE
from provenance import signing
from provenance.models import Certificate, LogLeaf, ReviewEvent, TraceEvent
from provenance.selectors.transparency import computed_from_nodes
from provenance.services.exports import verify_export
from provenance.services.transparency import (
    checkpoint_publish,
    log_integrate,
    log_origin,
)
from provenance.transparency import merkle
from provenance.transparency.checkpoint import open_checkpoint


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=folder / "media",
            PRIVATE_MEDIA_ROOT=folder / "private-media",
            TOUCHSTONE_CHECKPOINT_FILE=folder / "checkpoints.log",
        ),
        transaction.atomic(),
    ):
        seed()
        log_integrate()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def checkpoint(demo, db):
    published = checkpoint_publish()
    return open_checkpoint(
        published.note,
        name=log_origin(),
        public_key=signing.private_key().public_key(),
    )


def test_every_demo_event_is_proven_in_the_signed_checkpoint(checkpoint):
    events = dict(TraceEvent.objects.values_list("pk", "hash"))
    leaves = list(LogLeaf.objects.filter(kind="event").order_by("index"))
    assert len(events) > 50
    assert sorted(leaf.object_id for leaf in leaves) == sorted(events)
    assert LogLeaf.objects.waiting().count() == 0
    size = checkpoint.tree_size

    def proofs(node):
        return [merkle.inclusion_proof(leaf.index, size, node) for leaf in leaves]

    for leaf, proof in zip(leaves, computed_from_nodes(proofs), strict=True):
        assert leaf.object_hash == events[leaf.object_id]
        merkle.verify_inclusion(
            leaf.index,
            size,
            merkle.leaf_hash(leaf.leaf_bytes()),
            proof,
            checkpoint.root_hash,
        )
    # Certificates, changes of owner and claim decisions are in the log too.
    assert LogLeaf.objects.filter(kind="certificate").count() == (
        Certificate.objects.count()
    )
    assert LogLeaf.objects.filter(kind="ownership").exists()
    assert LogLeaf.objects.filter(kind="decision").count() == (
        ReviewEvent.objects.count()
    )


def test_every_demo_export_carries_proofs_that_verify(client, checkpoint):
    key = signing.private_key().public_key()
    codes = list(
        Certificate.objects.filter(listing__status="published").values_list(
            "code", flat=True
        )
    )
    broken = []
    for code in codes:
        document = client.get(reverse("api:certificate-detail", args=[code])).json()
        check = verify_export(document, key)
        assert check.signature_ok and check.log_ok, (code, check.problems)
        if not check.chain_ok:
            broken.append(code)
        assert document["payload"]["log"]["tree_size"] == checkpoint.tree_size
    # The one chain the demo alters stays broken; the log still proves its events.
    assert len(broken) == 1


def test_verify_log_reports_only_the_event_the_demo_altered(checkpoint, capsys):
    altered = TraceEvent.objects.get(note=TAMPER_NOTE)
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_log")
    out = capsys.readouterr().out
    leaf = LogLeaf.objects.get(kind="event", object_id=altered.pk)
    assert out.count("PROBLEM") == 1
    assert (
        f"PROBLEM leaf {leaf.index} (event, trace_event/{altered.pk}): the event's "
        "stored content no longer matches its hash; changed since it was logged: "
        "loss_grams, note"
    ) in out
