"""Run the task worker (``make worker``): ``db_worker`` with heartbeats, the recovery
of lost workers' tasks and bounded retries (``ops/worker.py``)."""

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from ops.worker import Worker


class Command(DbWorkerCommand):
    help = (
        "Run the background task worker: takes tasks from the database queue, beats a "
        "heartbeat read by /readyz, gives back tasks of lost workers and retries "
        "failed tasks a bounded number of times."
    )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        worker = Worker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            heartbeat_seconds=settings.TASKS_HEARTBEAT_SECONDS,
        )
        worker.configure_signals()
        worker.run()
