"""Scheduled catalogue jobs, run by the worker (TOUCHSTONE_SCHEDULE)."""

from django_tasks import task

from marketplace.catalogue.facet_index import changes_prune


@task()
def catalogue_changes_prune() -> int:
    """Delete the facet index's change log entries past their keep time."""
    return changes_prune()
