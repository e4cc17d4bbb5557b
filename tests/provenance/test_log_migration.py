"""The log's migration gives every record made before it a leaf, in the order the
records were written, and the audit then finds the log and the records agreeing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from provenance.hashing import content_hash, event_content

BEFORE = ("provenance", "0013_signing_keys")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def historical(transactional_db):
    """Every app as it is now, but provenance before the log."""
    apps = _migrate([n for n in _latest() if n[0] != BEFORE[0]] + [BEFORE])
    yield apps
    _migrate(_latest())


def _records(apps):
    """A piece with a two-event chain, its certificate, and a decision on a claim."""
    User = apps.get_model("auth", "User")
    Artisan = apps.get_model("artisans", "Artisan")
    Listing = apps.get_model("marketplace", "Listing")
    TraceEvent = apps.get_model("provenance", "TraceEvent")
    EventItem = apps.get_model("provenance", "EventItem")
    EventLink = apps.get_model("provenance", "EventLink")
    ChainMembership = apps.get_model("provenance", "ChainMembership")
    Certificate = apps.get_model("provenance", "Certificate")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Review = apps.get_model("provenance", "Review")
    ReviewEvent = apps.get_model("provenance", "ReviewEvent")
    maker = User.objects.create(username="maker")
    # Submitted for review, as the decision below records.
    artisan = Artisan.objects.create(
        user=maker,
        public_name="Maker",
        slug="maker",
        country="GB",
        verification_status="submitted",
    )
    listing = Listing.objects.create(
        artisan=artisan,
        title="Ring",
        slug="ring",
        description="A ring.",
        category="ring",
        price=Decimal("100.00"),
    )
    start = timezone.now() - timedelta(days=30)
    events, previous = [], []
    for n, kind in enumerate(["repair", "repair"]):
        event = TraceEvent.objects.create(
            artisan=artisan,
            kind=kind,
            biz_step="repairing",
            occurred_at=start + timedelta(days=n),
            note=f"Repair {n}",
            hash=f"pending-{n}",
        )
        item = EventItem.objects.create(event=event, role="subject", listing=listing)
        for parent in previous:
            EventLink.objects.create(event=event, parent=parent)
        event.hash = content_hash(
            event_content(event, [item], [p.hash for p in previous])
        )
        TraceEvent.objects.filter(pk=event.pk).update(hash=event.hash)
        ChainMembership.objects.create(listing=listing, event=event)
        events.append(event)
        previous = [event]
    certificate = Certificate.objects.create(listing=listing, code="ABCDEFGHJK")
    review = Review.objects.create(
        content_type=ContentType.objects.get(app_label="artisans", model="artisan"),
        object_id=artisan.pk,
        artisan=artisan,
        status="submitted",
    )
    decision = ReviewEvent.objects.create(
        review=review,
        actor=maker,
        action="submit",
        from_status="draft",
        to_status="submitted",
    )
    return events, certificate, decision


def test_records_made_before_the_log_get_leaves_and_verify(
    historical, settings, tmp_path, capsys
):
    settings.TOUCHSTONE_CHECKPOINT_FILE = tmp_path / "checkpoints.log"
    events, certificate, decision = _records(historical)
    apps = _migrate(_latest())
    LogLeaf = apps.get_model("provenance", "LogLeaf")
    rows = list(
        LogLeaf.objects.order_by("id").values_list(
            "kind", "object_id", "object_hash", "index"
        )
    )
    # Written in the order the records were; waiting for their first integration.
    assert [(kind, pk) for kind, pk, _h, _i in rows] == [
        ("event", events[0].pk),
        ("event", events[1].pk),
        ("certificate", certificate.pk),
        ("decision", decision.pk),
    ]
    assert rows[0][2] == events[0].hash and {i for *_r, i in rows} == {None}
    # The log kept each event's content, so a later edit can be named by its field.
    assert LogLeaf.objects.get(object_id=events[1].pk, kind="event").content[
        "note"
    ] == ("Repair 1")
    call_command("publish_checkpoint")
    assert "\n4\n" in capsys.readouterr().out
    call_command("verify_log")
    assert "OK: 4 leaves" in capsys.readouterr().out
