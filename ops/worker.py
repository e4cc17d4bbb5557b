"""The task worker: django-tasks-db's database worker, plus what running it on
several machines needs.

- a heartbeat, written from a thread every ``TASKS_HEARTBEAT_SECONDS`` whatever the
  task in hand, which ``/readyz`` reads;
- tasks left running by a lost worker (killed, machine gone) are given back: on start
  and with every heartbeat, a running task whose worker has no fresh heartbeat, or
  whose process is gone from this host, is made ready again;
- a failed task runs again later, up to ``TASKS_MAX_ATTEMPTS`` attempts in all, the
  wait doubling from ``TASKS_RETRY_BACKOFF_SECONDS``; then it stays failed, with its
  traceback, in the admin;
- every log line of a task carries ``task-<id>`` as its request id.
"""

import logging
import threading

from django.db import close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult

from ops import services
from ops.logs import request_id_var
from ops.models import WorkerHeartbeat

logger = logging.getLogger("ops.worker")


class WorkerLost(Exception):
    """A task's worker stopped while running it."""


class Heartbeat(threading.Thread):
    """Beats for one background process until stopped; a worker's beat also gives
    back the tasks of lost workers."""

    def __init__(self, *, worker_id: str, role: str, every: float, recover: bool):
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.role = role
        self.every = every
        self.recover = recover
        self.stopped = threading.Event()

    def beat(self) -> None:
        try:
            close_old_connections()
            services.heartbeat_record(worker_id=self.worker_id, role=self.role)
            if self.recover:
                services.task_result_requeue_orphans()
        except Exception:
            logger.exception("heartbeat failed")

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                self.beat()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()


class Worker(DatabaseWorker):
    def __init__(self, *, heartbeat_seconds: float, **kwargs):
        super().__init__(**kwargs)
        self.heartbeat = Heartbeat(
            worker_id=self.worker_id,
            role=WorkerHeartbeat.Role.WORKER,
            every=heartbeat_seconds,
            recover=True,
        )

    def run(self) -> None:
        # Beat once before taking any task, so no task is ever held by a worker
        # without a heartbeat (which would make it look lost).
        services.heartbeat_record(
            worker_id=self.worker_id, role=WorkerHeartbeat.Role.WORKER
        )
        services.task_result_requeue_orphans()
        self.heartbeat.start()
        try:
            super().run()
        finally:
            self.heartbeat.stop()
            try:
                services.heartbeat_clear(worker_id=self.worker_id)
            except Exception:
                logger.exception("could not clear the heartbeat")

    def run_task(self, db_task_result: DBTaskResult) -> None:
        token = request_id_var.set(f"task-{db_task_result.pk}")
        try:
            logger.info(
                "task started",
                extra={
                    "task_id": str(db_task_result.pk),
                    "task": db_task_result.task_path,
                    "attempt": len(db_task_result.worker_ids),
                },
            )
            super().run_task(db_task_result)
            if db_task_result.status == "FAILED":
                logger.error(
                    "task failed",
                    extra={
                        "task_id": str(db_task_result.pk),
                        "task": db_task_result.task_path,
                        "error": db_task_result.exception_class_path,
                    },
                )
                services.task_result_retry_or_fail(result=db_task_result)
            else:
                logger.info(
                    "task finished",
                    extra={
                        "task_id": str(db_task_result.pk),
                        "task": db_task_result.task_path,
                    },
                )
        finally:
            request_id_var.reset(token)
