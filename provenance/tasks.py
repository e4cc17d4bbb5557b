"""Scheduled provenance jobs, run by the worker (TOUCHSTONE_SCHEDULE)."""

from django_tasks import task

from provenance.services.audit import log_audit
from provenance.services.certificates import certificate_verify_all
from provenance.services.transparency import checkpoint_publish as publish


class LogAuditFailed(Exception):
    """The transparency log, its records or checkpoints do not check out."""


@task()
def chains_verify() -> dict:
    """Verify every certified piece's chain and record each verdict."""
    broken = certificate_verify_all()
    return {"broken": [certificate.code for certificate, _ in broken]}


@task()
def checkpoint_publish() -> int:
    """Integrate the log's waiting leaves and sign a checkpoint if it grew."""
    return publish().tree_size


@task()
def log_verify() -> int:
    """Recompute the transparency log and check it; a problem fails the task (and
    shows in the admin's failed tasks)."""
    audit = log_audit()
    if not audit.ok:
        raise LogAuditFailed("; ".join(str(problem) for problem in audit.problems[:20]))
    return audit.leaves
