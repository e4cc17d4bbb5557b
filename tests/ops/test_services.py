"""The outbox, thumbnails made by tasks, heartbeats, retries and the schedule."""

from datetime import timedelta
from hashlib import sha256
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max
from PIL import Image

from marketplace.catalogue.models import ListingPhoto
from ops import services, tasks
from ops.models import OutboundEmail, ScheduledJob
from tests import factories
from tests.commissions.helpers import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    """Tasks queued in the database, as in production, instead of run at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def noop() -> int:
    return 1


# --- The outbox ------------------------------------------------------------------------


class TestOutbox:
    def test_an_email_is_sent_once_its_transaction_commits(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            email = services.email_queue(
                key="order-event:1", to=["a@example.com"], subject="Hi", body="Body"
            )
        assert mail.outbox == []  # nothing before the commit
        for callback in callbacks:
            callback()
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENT and email.sent_at
        assert [message.to for message in mail.outbox] == [["a@example.com"]]
        # The same Message-ID whichever attempt sends it.
        assert mail.outbox[0].extra_headers["Message-ID"] == (
            f"<{sha256(b'order-event:1').hexdigest()[:32]}@touchstone.test>"
        )

    def test_queuing_the_same_key_again_sends_nothing_more(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = services.email_queue(
                key="notification:7", to=["a@example.com"], subject="A", body="B"
            )
            again = services.email_queue(
                key="notification:7", to=["a@example.com"], subject="A", body="B"
            )
        assert first.pk == again.pk
        assert OutboundEmail.objects.count() == 1
        assert len(mail.outbox) == 1

    def test_without_an_address_nothing_is_queued(self):
        assert services.email_queue(key="x", to=["", ""], subject="A", body="B") is None
        assert not OutboundEmail.objects.exists()

    def test_a_sent_email_is_not_sent_again_by_a_retry(self):
        email = factories.OutboundEmailFactory()
        assert services.email_send(email_id=email.pk, claimant="task-1") is True
        assert services.email_send(email_id=email.pk, claimant="task-1") is False
        assert services.email_send(email_id=email.pk, claimant="task-2") is False
        assert len(mail.outbox) == 1

    def test_a_task_retried_after_its_worker_died_mid_send_sends_once(self):
        # The lost run claimed the row and never reached the mail server's answer.
        email = factories.OutboundEmailFactory(
            status=OutboundEmail.Status.SENDING,
            claimed_by="task-1",
            claimed_at=timezone.now(),
            attempts=1,
        )
        # Another task for the same email keeps off while the claim is fresh...
        assert services.email_send(email_id=email.pk, claimant="task-2") is False
        assert mail.outbox == []
        # ...and the retry of the claiming task sends it, once.
        assert services.email_send(email_id=email.pk, claimant="task-1") is True
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboundEmail.Status.SENT, 2)
        assert len(mail.outbox) == 1

    def test_a_claim_past_its_lease_is_taken_over(self):
        email = factories.OutboundEmailFactory(
            status=OutboundEmail.Status.SENDING,
            claimed_by="task-lost",
            claimed_at=timezone.now() - services.EMAIL_CLAIM_LEASE - timedelta(1),
        )
        assert services.email_send(email_id=email.pk, claimant="task-2") is True
        assert len(mail.outbox) == 1

    def test_a_refused_send_leaves_the_email_pending_with_the_error(self, monkeypatch):
        def refuse(self, messages):
            raise ConnectionRefusedError("mail server down")

        monkeypatch.setattr(EmailBackend, "send_messages", refuse)
        email = factories.OutboundEmailFactory()
        with pytest.raises(ConnectionRefusedError):
            services.email_send(email_id=email.pk, claimant="task-1")
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.PENDING
        assert "mail server down" in email.last_error

    def test_an_email_failing_every_attempt_is_left_failed(self, monkeypatch):
        def refuse(self, messages):
            raise ConnectionRefusedError("mail server down")

        monkeypatch.setattr(EmailBackend, "send_messages", refuse)
        email = factories.OutboundEmailFactory(attempts=services.EMAIL_MAX_ATTEMPTS - 1)
        with pytest.raises(ConnectionRefusedError):
            services.email_send(email_id=email.pk, claimant="task-1")
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.FAILED

    def test_the_flush_enqueues_emails_left_unsent(self):
        old = factories.OutboundEmailFactory()
        OutboundEmail.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(hours=1)
        )
        factories.OutboundEmailFactory()  # just written: its own task will send it
        factories.OutboundEmailFactory(status=OutboundEmail.Status.SENT)
        enqueued = []
        assert services.email_flush(enqueue=enqueued.append) == 1
        assert enqueued == [old.pk]

    def test_the_flush_task_sends_them(self):
        old = factories.OutboundEmailFactory()
        OutboundEmail.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(hours=1)
        )
        tasks.emails_flush.enqueue()
        old.refresh_from_db()
        assert old.status == OutboundEmail.Status.SENT
        assert len(mail.outbox) == 1


# --- Thumbnails ------------------------------------------------------------------------


SIZES = {"thumb_small": 320, "thumb_medium": 640, "thumb_large": 1200}


class TestThumbnails:
    def test_made_once_whatever_the_number_of_runs(self, settings):
        photo = factories.ListingPhotoFactory(
            image=image_upload(size=(900, 600)),
            thumb_small="",
            thumb_medium="",
            thumb_large="",
        )
        args = {"model": "marketplace.ListingPhoto", "pk": photo.pk, "source": "image"}
        made = services.thumbnail_make(**args, sizes=SIZES)
        assert len(made) == 3
        assert services.thumbnail_make(**args, sizes=SIZES) == []
        photo.refresh_from_db()
        with Image.open(photo.thumb_small.path) as image:
            assert max(image.size) == 320
        with Image.open(photo.thumb_large.path) as image:
            assert max(image.size) == 900  # never enlarged
        thumbs = list((Path(settings.MEDIA_ROOT) / "pieces" / "thumbs").iterdir())
        assert sorted(path.name for path in thumbs) == sorted(
            Path(name).name for name in made
        )

    def test_a_file_left_by_a_run_that_never_recorded_it_is_replaced(self, settings):
        photo = factories.ListingPhotoFactory(
            image=image_upload(size=(400, 300)),
            thumb_small="",
            thumb_medium="",
            thumb_large="",
        )
        args = {"model": "marketplace.ListingPhoto", "pk": photo.pk, "source": "image"}
        # A first run wrote the file, then its worker was lost before the UPDATE.
        made = services.thumbnail_make(**args, sizes={"thumb_small": 320})
        ListingPhoto.objects.filter(pk=photo.pk).update(thumb_small="")
        assert services.thumbnail_make(**args, sizes={"thumb_small": 320}) == made
        thumbs = list((Path(settings.MEDIA_ROOT) / "pieces" / "thumbs").iterdir())
        assert [path.name for path in thumbs] == [Path(made[0]).name]

    def test_a_photo_deleted_since_is_nothing_to_do(self):
        assert (
            services.thumbnail_make(
                model="marketplace.ListingPhoto", pk=999999, source="image", sizes=SIZES
            )
            == []
        )


# --- Task results: retries, lost workers -----------------------------------------------


def _failed(attempts: int) -> DBTaskResult:
    result = noop.using(backend="default").enqueue().db_result
    DBTaskResult.objects.filter(pk=result.pk).update(
        status="FAILED",
        worker_ids=[f"w{n}" for n in range(attempts)],
        finished_at=timezone.now(),
    )
    result.refresh_from_db()
    return result


class TestRetries:
    def test_a_failed_task_runs_again_later_while_it_has_attempts(
        self, database_tasks, settings
    ):
        settings.TASKS_MAX_ATTEMPTS = 3
        result = _failed(attempts=2)
        assert services.task_result_retry_or_fail(result=result) is True
        result.refresh_from_db()
        assert result.status == "READY"
        assert result.run_after > timezone.now()
        assert not DBTaskResult.objects.ready().filter(pk=result.pk).exists()

    def test_out_of_attempts_it_stays_failed(self, database_tasks, settings):
        settings.TASKS_MAX_ATTEMPTS = 3
        result = _failed(attempts=3)
        assert services.task_result_retry_or_fail(result=result) is False
        result.refresh_from_db()
        assert result.status == "FAILED"

    def test_staff_run_a_failed_task_again_with_fresh_attempts(self, database_tasks):
        result = _failed(attempts=5)
        assert services.task_result_retry(result=result) is True
        result.refresh_from_db()
        assert (result.status, result.worker_ids) == ("READY", [])
        assert DBTaskResult.objects.ready().filter(pk=result.pk).exists()


class TestLostWorkers:
    def _running(self, owner: str, attempts: int = 1) -> DBTaskResult:
        result = noop.using(backend="default").enqueue().db_result
        DBTaskResult.objects.filter(pk=result.pk).update(
            status="RUNNING", worker_ids=[*(["old"] * (attempts - 1)), owner]
        )
        return result

    def test_a_task_of_a_dead_worker_is_given_back(self, database_tasks):
        # Its heartbeat names this machine and a process that no longer exists.
        factories.WorkerHeartbeatFactory(worker_id="gone", pid=2**22 + 1)
        result = self._running("gone")
        assert services.task_result_requeue_orphans() == 1
        result.refresh_from_db()
        assert result.status == "READY" and result.run_after == get_date_max()

    def test_a_task_of_a_silent_worker_is_given_back(self, database_tasks, settings):
        factories.WorkerHeartbeatFactory(
            worker_id="elsewhere",
            hostname="another-machine",
            seen_at=timezone.now()
            - timedelta(seconds=settings.TASKS_WORKER_STALE_SECONDS + 1),
        )
        result = self._running("elsewhere")
        assert services.task_result_requeue_orphans() == 1
        result.refresh_from_db()
        assert result.status == "READY"

    def test_a_task_of_a_live_worker_is_left_alone(self, database_tasks):
        factories.WorkerHeartbeatFactory(worker_id="alive")  # this very process
        result = self._running("alive")
        assert services.task_result_requeue_orphans() == 0
        result.refresh_from_db()
        assert result.status == "RUNNING"

    def test_a_task_lost_too_often_fails(self, database_tasks, settings):
        settings.TASKS_MAX_ATTEMPTS = 2
        result = self._running("gone", attempts=2)
        assert services.task_result_requeue_orphans() == 0
        result.refresh_from_db()
        assert result.status == "FAILED"
        assert result.exception_class_path == "ops.worker.WorkerLost"

    def test_old_results_are_pruned(self, database_tasks):
        kept = noop.using(backend="default").enqueue().db_result
        old = noop.using(backend="default").enqueue().db_result
        DBTaskResult.objects.filter(pk=old.pk).update(
            status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=8)
        )
        assert services.task_result_prune() == 1
        assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [kept.pk]


# --- The schedule ----------------------------------------------------------------------


class TestSchedule:
    def test_each_job_is_enqueued_once_per_interval(self, database_tasks, settings):
        settings.TOUCHSTONE_SCHEDULE = {
            "often": {"task": "tests.ops.test_services.noop", "every": 60},
            "daily": {"task": "tests.ops.test_services.noop", "every": 86400},
        }
        now = timezone.now()
        assert services.schedule_enqueue_due(now=now) == ["often", "daily"]
        assert services.schedule_enqueue_due(now=now + timedelta(seconds=30)) == []
        assert services.schedule_enqueue_due(now=now + timedelta(seconds=61)) == [
            "often"
        ]
        assert DBTaskResult.objects.count() == 3
        assert ScheduledJob.objects.get(name="often").last_enqueued_at == (
            now + timedelta(seconds=61)
        )

    def test_every_scheduled_task_exists_and_runs(self, settings):
        """Each job of the project's schedule names a task that runs (immediately in
        tests) without failing on an empty database."""
        from django.utils.module_loading import import_string

        for name, job in settings.TOUCHSTONE_SCHEDULE.items():
            result = import_string(job["task"]).enqueue()
            assert result.status == "SUCCESSFUL", (name, result.errors)


def test_pages_and_api_show_a_placeholder_until_the_thumbnails_are_made(
    client, api_client
):
    listing = factories.ListingFactory(published=True)
    factories.ListingPhotoFactory(
        listing=listing, thumb_small="", thumb_medium="", thumb_large=""
    )
    page = client.get(listing.get_absolute_url())
    assert page.status_code == 200
    assert "img/thumbnail-pending.svg" in page.content.decode()
    assert str(listing.photos.get().image) not in page.content.decode()
    response = api_client.get(f"/api/listings/{listing.slug}/")
    assert response.status_code == 200
    assert response.json()["photos"][0]["small"] is None


def test_the_operations_admin_pages_load_for_staff(client):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    email = factories.OutboundEmailFactory(subject="Order TS-9 was shipped")
    factories.WorkerHeartbeatFactory(worker_id="worker-on-web-1")
    ScheduledJob.objects.create(name="orders-process")
    pages = {
        "/admin/ops/outboundemail/": "Order TS-9 was shipped",
        f"/admin/ops/outboundemail/{email.pk}/change/": "order TS-9",
        "/admin/ops/workerheartbeat/": "worker-on-web-1",
        "/admin/ops/scheduledjob/": "orders-process",
        "/admin/django_tasks_database/dbtaskresult/": "Task Results",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text.lower() in response.content.decode().lower(), url


def test_staff_cannot_write_outbox_emails_by_hand(client):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/ops/outboundemail/add/").status_code == 403
