"""Operations: the email outbox, the heartbeats of background processes, and when
each scheduled job was last enqueued."""

from django.db import models

from config.models import TimeStampedModel


class OutboundEmailQuerySet(models.QuerySet):
    def unsent(self):
        return self.exclude(status=OutboundEmail.Status.SENT)


class OutboundEmail(TimeStampedModel):
    """One email to send, written in the transaction that decided to send it.

    ``key`` names what the email is about (an order event, a notification), so the
    same email is never queued twice; the send task claims the row before talking to
    the mail server and marks it sent after, so a retried task sends it once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.JSONField(default=list)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=998)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)} ({self.get_status_display()})"


class WorkerHeartbeatQuerySet(models.QuerySet):
    def fresh(self, *, since):
        return self.filter(seen_at__gte=since)


class WorkerHeartbeat(models.Model):
    """A background process says it is alive: one row per running process."""

    class Role(models.TextChoices):
        WORKER = "worker", "Task worker"
        SCHEDULER = "scheduler", "Scheduler"

    worker_id = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    objects = WorkerHeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self):
        return (
            f"{self.get_role_display()} {self.worker_id} on {self.hostname}:{self.pid}"
        )


class ScheduledJob(models.Model):
    """When a job of ``TOUCHSTONE_SCHEDULE`` was last enqueued: a conditional UPDATE
    on this row lets one scheduler enqueue each run, however many are started."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
