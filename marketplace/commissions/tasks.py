"""Scheduled commission jobs, run by the worker (TOUCHSTONE_SCHEDULE)."""

from django_tasks import task

from marketplace.commissions.services import commission_expire_due


@task()
def commissions_expire() -> int:
    """Expire unanswered requests and quotes past their valid-until date."""
    return len(commission_expire_due())
