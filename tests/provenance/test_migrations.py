"""Existing parties join the verification workflow: Touchstone's own are verified,
artisans' proposals wait in the queue, workshops stay their artisan's."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("provenance", "0010_claims_events")]
AFTER = [("provenance", "0012_existing_parties_verification")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def historical(transactional_db):
    """The models as they were before parties were verified; latest again after."""
    apps = _migrate(BEFORE)
    yield apps
    _migrate(_latest())


def test_existing_parties_are_verified_or_queued_by_who_added_them(historical):
    apps = historical
    User = apps.get_model("auth", "User")
    Group = apps.get_model("auth", "Group")
    Artisan = apps.get_model("artisans", "Artisan")
    Party = apps.get_model("provenance", "Party")
    staff = User.objects.create(username="staff", is_staff=True)
    checker = User.objects.create(username="checker")
    checker.groups.add(Group.objects.get_or_create(name="Verifiers")[0])
    maker = User.objects.create(username="maker")
    artisan = Artisan.objects.create(
        user=maker, public_name="Maker", slug="maker", country="GB"
    )

    def party(name, kind="refiner", **fields):
        return Party.objects.create(kind=kind, name=name, **fields).pk

    ids = {
        "nobody": party("Umicore"),
        "staff": party("Valcambi", created_by=staff),
        "verifier": party("PAMP", created_by=checker),
        "artisan": party(
            "The Birmingham Assay Office", kind="assay_office", created_by=maker
        ),
        "workshop": party(
            "Maker's workshop", kind="workshop", artisan=artisan, created_by=maker
        ),
    }

    apps = _migrate(AFTER)
    Party = apps.get_model("provenance", "Party")
    Review = apps.get_model("provenance", "Review")
    status = dict(Party.objects.values_list("pk", "verification_status"))
    assert status[ids["nobody"]] == "verified"
    assert status[ids["staff"]] == "verified"
    assert status[ids["verifier"]] == "verified"
    assert status[ids["artisan"]] == "submitted"
    assert status[ids["workshop"]] == "draft"
    assert Party.objects.get(pk=ids["nobody"]).verified_at is not None

    reviews = {
        r.object_id: r
        for r in Review.objects.filter(content_type__model="party").prefetch_related(
            "events"
        )
    }
    assert set(reviews) == {
        ids["nobody"],
        ids["staff"],
        ids["verifier"],
        ids["artisan"],
    }
    queued = reviews[ids["artisan"]]
    assert queued.status == "submitted" and queued.artisan_id == artisan.pk
    assert queued.submitted_by_id == maker.pk and queued.submitted_at is not None
    [event] = queued.events.all()
    assert (event.action, event.actor_id, event.to_status) == (
        "submit",
        maker.pk,
        "submitted",
    )
    [event] = reviews[ids["nobody"]].events.all()
    assert (event.action, event.to_status) == ("verify", "verified")
    assert "not proposed by an artisan" in event.reason
