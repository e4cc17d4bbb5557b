"""Writes of the operations app: the email outbox, thumbnails made in the background,
the heartbeats of background processes, task retries and the schedule."""

import logging
import os
import socket
import traceback
from collections.abc import Callable, Mapping
from datetime import timedelta
from hashlib import sha256

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from config.images import make_thumbnail
from ops.models import OutboundEmail, ScheduledJob, WorkerHeartbeat

logger = logging.getLogger(__name__)

# A claim on an email older than this is taken to belong to a lost worker.
EMAIL_CLAIM_LEASE = timedelta(minutes=10)
# Emails still unsent this long after they were written are enqueued again.
EMAIL_FLUSH_AFTER = timedelta(minutes=5)
# Attempts to send one email, over all its tasks, before it is left failed.
EMAIL_MAX_ATTEMPTS = 10


# --- Email outbox -----------------------------------------------------------------------


@transaction.atomic
def email_queue(
    *,
    key: str,
    to: list[str],
    subject: str,
    body: str,
    html_body: str = "",
    from_email: str | None = None,
) -> OutboundEmail | None:
    """Write an email to the outbox in the caller's transaction and send it from a task
    once that commits. ``key`` names what the email is about: queuing the same key
    again changes nothing. Without recipients nothing is queued."""
    from ops.tasks import email_send, enqueue_on_commit  # tasks import this module

    to = [address for address in to if address]
    if not to:
        return None
    if not key or len(key) > 200:
        raise ValidationError(
            {"key": "An email needs a key of at most 200 characters."}
        )
    email, created = OutboundEmail.objects.get_or_create(
        key=key,
        defaults={
            "to": to,
            "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
            "subject": " ".join(subject.split())[:998],
            "body": body,
            "html_body": html_body,
        },
    )
    if created:
        enqueue_on_commit(email_send, email.pk)
    return email


def _email_claim(*, email_id: int, claimant: str) -> bool:
    """Take the email for this run: unclaimed, already this run's (a retry of the same
    task after its worker was lost), or held by a claim past its lease."""
    now = timezone.now()
    claimable = Q(status=OutboundEmail.Status.PENDING) | (
        Q(status=OutboundEmail.Status.SENDING)
        & (Q(claimed_by=claimant[:64]) | Q(claimed_at__lt=now - EMAIL_CLAIM_LEASE))
    )
    return bool(
        OutboundEmail.objects.filter(claimable, pk=email_id).update(
            status=OutboundEmail.Status.SENDING,
            claimed_by=claimant[:64],
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )


def _message_id(email: OutboundEmail) -> str:
    # The same Message-ID for every attempt: a mail server or client that sees a
    # message twice (a send that succeeded just before its worker was lost) can tell.
    digest = sha256(email.key.encode()).hexdigest()[:32]
    return f"<{digest}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


def email_send(*, email_id: int, claimant: str) -> bool:
    """Send one outbox email unless it was sent already; True when this call sent it.

    The row is claimed before the mail server is contacted and marked sent right after
    it accepts the message, so a task retried after its worker died mid-send sends the
    email once; another task for the same email finds it claimed or sent and stops.
    Deliberately not one transaction: the claim must be committed before the mail
    server is contacted, and no lock is held while it answers.
    """
    if not _email_claim(email_id=email_id, claimant=claimant):
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=email.to,
        headers={"Message-ID": _message_id(email)},
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    try:
        message.send()
    except Exception as error:
        gave_up = email.attempts >= EMAIL_MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=email_id, claimed_by=claimant[:64]).update(
            status=OutboundEmail.Status.FAILED
            if gave_up
            else OutboundEmail.Status.PENDING,
            last_error="".join(traceback.format_exception_only(error)).strip()[:2000],
        )
        raise
    OutboundEmail.objects.filter(pk=email_id).update(
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def email_flush(*, enqueue: Callable[[int], object], now=None) -> int:
    """Enqueue again the emails written but not sent a while after (an enqueue lost
    with its process, a task that ran out of retries). Returns how many."""
    now = now or timezone.now()
    stale = (
        OutboundEmail.objects.filter(
            Q(status=OutboundEmail.Status.PENDING)
            | Q(
                status=OutboundEmail.Status.SENDING,
                claimed_at__lt=now - EMAIL_CLAIM_LEASE,
            ),
            created_at__lt=now - EMAIL_FLUSH_AFTER,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    count = 0
    for pk in stale:
        enqueue(pk)
        count += 1
    return count


# --- Thumbnails -------------------------------------------------------------------------


def thumbnails_after_commit(instance, *, source: str, sizes: Mapping[str, int]) -> None:
    """Make the thumbnails of ``instance``'s image ``source`` in a task once the
    current transaction commits (``sizes``: thumbnail field name → longest side)."""
    from ops.tasks import enqueue_on_commit, thumbnails_make

    enqueue_on_commit(
        thumbnails_make,
        instance._meta.label,
        instance.pk,
        source,
        dict(sizes),
    )


def _thumbnail_name(field, source_name: str, size: int) -> str:
    # Derived from the source image's (random) name, so a retried run writes the same
    # file rather than leaving a second one behind, and as unguessable as it.
    folder = getattr(field.upload_to, "folder", "thumbs")
    digest = sha256(f"{source_name}:{size}".encode()).hexdigest()[:32]
    return f"{folder}/{digest}.jpg"


def thumbnail_make(
    *, model: str, pk: int, source: str, sizes: Mapping[str, int]
) -> list[str]:
    """Make each thumbnail of a stored image that is not made yet; returns the names
    of those this call made. A row or image gone since is nothing to do. Each
    thumbnail is recorded in its own short transaction, none held while decoding."""
    model_class = apps.get_model(model)
    instance = model_class.objects.filter(pk=pk).first()
    source_file = getattr(instance, source, None) if instance is not None else None
    if not source_file:
        return []
    made = []
    for field_name, size in sizes.items():
        if getattr(instance, field_name):
            continue
        field = model_class._meta.get_field(field_name)
        with source_file.open("rb") as stored:
            content = make_thumbnail(stored, size)
        name = _thumbnail_name(field, source_file.name, size)
        if field.storage.exists(name):
            field.storage.delete(name)  # left by a run that did not get to record it
        name = field.storage.save(name, content)
        if _thumbnail_record(model_class, pk=pk, field_name=field_name, name=name):
            made.append(name)
        else:
            field.storage.delete(name)
    return made


def _thumbnail_record(model_class, *, pk: int, field_name: str, name: str) -> bool:
    """Store a made thumbnail's name on its row, unless another run did first. A save,
    not an UPDATE: the signals that refresh cached pages see it."""
    with transaction.atomic():
        row = model_class.objects.select_for_update().filter(pk=pk).first()
        if row is None or getattr(row, field_name):
            return False
        setattr(row, field_name, name)
        row.save(update_fields=[field_name])
    return True


# --- Heartbeats -------------------------------------------------------------------------


def heartbeat_record(*, worker_id: str, role: str, started_at=None) -> WorkerHeartbeat:
    """Say that this background process is alive."""
    now = timezone.now()
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "role": role,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "seen_at": now,
        },
        create_defaults={
            "role": role,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "seen_at": now,
            "started_at": started_at or now,
        },
    )
    return heartbeat


def heartbeat_clear(*, worker_id: str) -> None:
    """A background process that stops cleanly takes its heartbeat with it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.TASKS_WORKER_STALE_SECONDS)


def heartbeat_alive(heartbeat: WorkerHeartbeat | None) -> bool:
    """Whether the process behind a heartbeat is still running: recent, and, when on
    this host, a process that exists."""
    if heartbeat is None or heartbeat.seen_at < _stale_before():
        return False
    if heartbeat.hostname == socket.gethostname()[:255]:
        try:
            os.kill(heartbeat.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


# --- Task results -----------------------------------------------------------------------


def task_result_retry_or_fail(*, result: DBTaskResult) -> bool:
    """After a task failed: run it again later while it has attempts left (each claim
    by a worker is one), with the wait doubling each time. True when requeued; else it
    stays failed, its traceback in the admin."""
    attempts = len(result.worker_ids)
    if attempts >= settings.TASKS_MAX_ATTEMPTS:
        return False
    delay = settings.TASKS_RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1)
    requeued = DBTaskResult.objects.filter(
        pk=result.pk, status=TaskResultStatus.FAILED
    ).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now() + timedelta(seconds=delay),
        finished_at=None,
    )
    if requeued:
        logger.warning(
            "task failed, retrying",
            extra={
                "task_id": str(result.pk),
                "task": result.task_path,
                "attempt": attempts,
                "retry_in_seconds": delay,
            },
        )
    return bool(requeued)


def task_result_requeue_orphans() -> int:
    """Give back the tasks whose worker died while running them (killed, machine lost):
    they run again, or fail once out of attempts. Returns how many were requeued."""
    running = list(DBTaskResult.objects.running())
    if not running:
        return 0
    owners = {result.worker_ids[-1] for result in running if result.worker_ids}
    heartbeats = {
        heartbeat.worker_id: heartbeat
        for heartbeat in WorkerHeartbeat.objects.filter(worker_id__in=owners)
    }
    requeued = 0
    for result in running:
        owner = result.worker_ids[-1] if result.worker_ids else None
        if heartbeat_alive(heartbeats.get(owner)):
            continue
        still_running = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING
        )
        if len(result.worker_ids) >= settings.TASKS_MAX_ATTEMPTS:
            still_running.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="ops.worker.WorkerLost",
                traceback=f"The worker {owner} was lost while running this task, "
                f"after {len(result.worker_ids)} attempts.",
            )
            continue
        requeued += still_running.update(
            status=TaskResultStatus.READY, run_after=get_date_max()
        )
    if requeued:
        logger.warning("requeued tasks of lost workers", extra={"count": requeued})
    return requeued


@transaction.atomic
def task_result_retry(*, result: DBTaskResult) -> bool:
    """Staff run a failed task again (the admin's action), with fresh attempts."""
    return bool(
        DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.FAILED
        ).update(
            status=TaskResultStatus.READY,
            run_after=get_date_max(),
            finished_at=None,
            worker_ids=[],
        )
    )


def task_result_prune(*, now=None) -> int:
    """Delete successful task results older than ``TASKS_KEEP_SUCCESSFUL_DAYS`` and
    failed ones older than ``TASKS_KEEP_FAILED_DAYS``; returns how many."""
    now = now or timezone.now()
    successful = DBTaskResult.objects.successful().filter(
        finished_at__lt=now - timedelta(days=settings.TASKS_KEEP_SUCCESSFUL_DAYS)
    )
    failed = DBTaskResult.objects.failed().filter(
        finished_at__lt=now - timedelta(days=settings.TASKS_KEEP_FAILED_DAYS)
    )
    return successful.delete()[0] + failed.delete()[0]


# --- The schedule -----------------------------------------------------------------------


def schedule_enqueue_due(*, now=None) -> list[str]:
    """Enqueue each job of ``TOUCHSTONE_SCHEDULE`` whose interval has passed since it
    was last enqueued (by any scheduler: the conditional UPDATE lets one win).
    Returns the names of the jobs enqueued."""
    now = now or timezone.now()
    enqueued = []
    for name, job in settings.TOUCHSTONE_SCHEDULE.items():
        every = timedelta(seconds=job["every"])
        ScheduledJob.objects.get_or_create(name=name)
        with transaction.atomic():
            due = ScheduledJob.objects.filter(name=name).filter(
                Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - every)
            )
            if due.update(last_enqueued_at=now):
                import_string(job["task"]).enqueue()
                enqueued.append(name)
    return enqueued
