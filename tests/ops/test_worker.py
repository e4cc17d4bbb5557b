"""The worker, in this process: runs queued tasks, retries a failure a bounded number
of times, beats a heartbeat, and the schedule command enqueues the periodic jobs."""

import os

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ops.models import WorkerHeartbeat
from ops.worker import Worker
from tests import factories

# The worker opens and closes connections as in production: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = []


@task()
def flaky(fail_times: int) -> int:
    ATTEMPTS.append(1)
    if len(ATTEMPTS) <= fail_times:
        raise RuntimeError(f"failure {len(ATTEMPTS)}")
    return len(ATTEMPTS)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_RETRY_BACKOFF_SECONDS = 0  # retries are due at once
    settings.TASKS_MAX_ATTEMPTS = 3
    ATTEMPTS.clear()


def run_worker_until_idle() -> Worker:
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
        heartbeat_seconds=3600,
    )
    worker.run()
    return worker


def test_a_failing_task_is_retried_until_it_succeeds(database_tasks):
    result = flaky.enqueue(2)
    run_worker_until_idle()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 3
    assert len(row.worker_ids) == 3


def test_a_task_failing_every_attempt_stays_failed_with_its_traceback(
    database_tasks, client
):
    result = flaky.enqueue(99)
    run_worker_until_idle()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "FAILED"
    assert len(ATTEMPTS) == 3  # TASKS_MAX_ATTEMPTS, then no more
    assert "failure 3" in row.traceback
    # Staff see it among the failed tasks in the admin, and can run it again.
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    page = client.get(changelist, {"status__exact": "FAILED"})
    assert page.status_code == 200
    assert "flaky" in page.content.decode()
    detail = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[row.pk])
    )
    assert "failure 3" in detail.content.decode()
    response = client.post(
        changelist, {"action": "retry", "_selected_action": [str(row.pk)]}
    )
    assert response.status_code == 302
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"


def test_the_worker_beats_while_running_and_clears_its_heartbeat_on_exit(
    database_tasks, monkeypatch
):
    seen = []
    original = Worker.run_task

    def run_task(self, db_task_result):
        seen.append(
            list(WorkerHeartbeat.objects.values_list("worker_id", "role", "pid"))
        )
        return original(self, db_task_result)

    monkeypatch.setattr(Worker, "run_task", run_task)
    flaky.enqueue(0)
    run_worker_until_idle()
    assert seen == [[("test-worker", "worker", os.getpid())]]
    assert not WorkerHeartbeat.objects.exists()


def test_run_schedule_once_enqueues_the_due_jobs(database_tasks, settings):
    settings.TOUCHSTONE_SCHEDULE = {
        "orders-process": {
            "task": "marketplace.orders.tasks.orders_process",
            "every": 60,
        }
    }
    call_command("run_schedule", "--once")
    call_command("run_schedule", "--once")  # not due again yet
    assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("marketplace.orders.tasks.orders_process", "READY")
    ]
    run_worker_until_idle()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
