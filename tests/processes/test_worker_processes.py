"""A worker killed in the middle of a task, then started again: the task completes
once (one email sent, one set of thumbnails, no file left behind)."""

from pathlib import Path

import pytest
from django.db import connections
from django_tasks_db.models import DBTaskResult

from marketplace.catalogue.models import ListingPhoto
from marketplace.catalogue.services.listings import listing_photo_add
from ops.models import OutboundEmail
from ops.services import email_queue
from tests import factories
from tests.commissions.helpers import image_upload
from tests.processes.conftest import wait_for


def task_status(task_path: str) -> str | None:
    connections.close_all()  # read what the other processes committed
    row = DBTaskResult.objects.filter(task_path=task_path).first()
    return row.status if row else None


def test_an_email_task_killed_mid_send_is_sent_once_after_a_restart(
    process_env, worker, smtp_server
):
    env = {
        **process_env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.server_address[1]),
        "EMAIL_USE_TLS": "0",
    }
    email = email_queue(
        key="order-event:1",
        to=["buyer@example.com"],
        subject="Order TS-1 was shipped",
        body="On its way.",
    )
    first = worker("worker-1", env)
    # The first worker has claimed the email and is talking to the mail server...
    wait_for(smtp_server.first_connected.is_set, "the worker to reach the mail server")
    first.kill()  # ...when it is lost.
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING
    assert smtp_server.messages == []
    assert task_status("ops.tasks.email_send") == "RUNNING"

    worker("worker-2", env)
    wait_for(
        lambda: task_status("ops.tasks.email_send") == "SUCCESSFUL",
        "the restarted worker to finish the email task",
    )
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2
    assert len(smtp_server.messages) == 1
    assert b"Subject: Order TS-1 was shipped" in smtp_server.messages[0]
    result = DBTaskResult.objects.get(task_path="ops.tasks.email_send")
    assert len(result.worker_ids) == 2  # the lost attempt and the one that finished


def test_a_thumbnail_task_killed_mid_way_makes_each_thumbnail_once(
    process_env, worker, settings, tmp_path
):
    listing = factories.ListingFactory()
    photo = listing_photo_add(
        listing=listing,
        actor=listing.artisan.user,
        image=image_upload(size=(900, 700)),
        alt_text="Ring on a bench",
    )
    marker = tmp_path / "paused"
    pausing = worker(
        "pausing-worker",
        {**process_env, "TOUCHSTONE_TEST_PAUSE_MARKER": str(marker)},
        module="tests.processes.pausing_worker",
    )
    # It wrote the first thumbnail file and is about to record it on the row...
    wait_for(marker.exists, "the worker to write the first thumbnail")
    pausing.kill()  # ...when it is lost.
    thumbs = Path(settings.MEDIA_ROOT) / "pieces" / "thumbs"
    assert len(list(thumbs.iterdir())) == 1
    photo.refresh_from_db()
    assert not photo.thumb_small

    worker("worker", process_env)
    wait_for(
        lambda: task_status("ops.tasks.thumbnails_make") == "SUCCESSFUL",
        "the restarted worker to finish the thumbnails",
    )
    photo.refresh_from_db()
    assert ListingPhoto.objects.filter(listing=listing).count() == 1
    names = {photo.thumb_small.name, photo.thumb_medium.name, photo.thumb_large.name}
    assert all(names) and len(names) == 3
    # One file per thumbnail: the one the lost worker wrote was replaced, not doubled.
    assert sorted(path.name for path in thumbs.iterdir()) == sorted(
        Path(name).name for name in names
    )


@pytest.fixture(autouse=True)
def _no_leftover_connections():
    yield
    connections.close_all()
