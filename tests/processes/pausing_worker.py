"""A task worker that stops dead inside its first thumbnail task, after writing the
file and before recording it on the row: the worst moment to lose a worker. It
writes the file named by TOUCHSTONE_TEST_PAUSE_MARKER when it gets there, then
waits to be killed. Run as ``python -m tests.processes.pausing_worker``."""

import os
import signal
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from ops import services  # noqa: E402

MARKER = Path(os.environ["TOUCHSTONE_TEST_PAUSE_MARKER"])


def _record_never(*args, **kwargs):
    MARKER.write_text("thumbnail file written, row not updated")
    while True:
        signal.pause()


services._thumbnail_record = _record_never
call_command("run_worker", "--no-startup-delay", "--interval", "0.2")
