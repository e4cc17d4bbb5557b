"""Tasks of the operations app, and the one way the project enqueues work.

Every task is idempotent: running it twice (a retry after a lost worker, a second
enqueue by the outbox sweep) has the effect of running it once.
"""

from functools import partial

from django.db import transaction
from django_tasks import TaskContext, task

from ops import services


def enqueue_on_commit(task_, /, *args, **kwargs) -> None:
    """Enqueue a task once the current transaction commits (at once outside one), so a
    worker never looks for rows that are not there yet, and a rolled-back request
    enqueues nothing. A failure to enqueue is logged, never a 500: the periodic
    sweeps pick up what was written but not enqueued."""
    transaction.on_commit(partial(task_.enqueue, *args, **kwargs), robust=True)


@task(takes_context=True)
def email_send(context: TaskContext, email_id: int) -> bool:
    """Send one email of the outbox; True when this run sent it."""
    return services.email_send(email_id=email_id, claimant=str(context.task_result.id))


@task()
def emails_flush() -> int:
    """Enqueue the outbox's emails that were written but never sent."""
    return services.email_flush(enqueue=email_send.enqueue)


@task()
def thumbnails_make(model: str, pk: int, source: str, sizes: dict[str, int]) -> list:
    """Make the thumbnails of one stored image that are not made yet."""
    return services.thumbnail_make(model=model, pk=pk, source=source, sizes=sizes)


@task()
def task_results_prune() -> int:
    """Delete finished task results past their retention."""
    return services.task_result_prune()
