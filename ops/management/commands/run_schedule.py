"""Enqueue the periodic jobs of ``TOUCHSTONE_SCHEDULE`` (``make worker`` starts it
beside the worker). Any number may run: each job is enqueued once per interval."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string

from ops import services
from ops.models import WorkerHeartbeat


class Command(BaseCommand):
    help = (
        "Enqueue each job of TOUCHSTONE_SCHEDULE (settings) when its interval has "
        "passed, as tasks for the worker. Runs until stopped; --once makes one pass."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Enqueue what is due, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between two looks at the schedule (default: 5).",
        )

    def handle(self, *args, once=False, interval=5.0, **options):
        if once:
            self._enqueue_due()
            return
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        worker_id = f"scheduler-{get_random_string(16)}"
        self.stdout.write(
            f"Scheduler {worker_id}: "
            + ", ".join(
                f"{name} every {job['every']}s"
                for name, job in settings.TOUCHSTONE_SCHEDULE.items()
            )
        )
        try:
            while not stopping.is_set():
                close_old_connections()
                services.heartbeat_record(
                    worker_id=worker_id, role=WorkerHeartbeat.Role.SCHEDULER
                )
                self._enqueue_due()
                stopping.wait(interval)
        finally:
            services.heartbeat_clear(worker_id=worker_id)

    def _enqueue_due(self):
        for name in services.schedule_enqueue_due():
            self.stdout.write(f"Enqueued {name}")
