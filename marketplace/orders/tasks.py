"""Scheduled order jobs, run by the worker (TOUCHSTONE_SCHEDULE)."""

from django_tasks import task

from marketplace.orders.services import order_deliver_due, order_expire_holds


@task()
def orders_process() -> dict:
    """Lapse unpaid holds, mark delivered the orders shipped long enough ago and
    complete those past their return window (safe to run as often as you like)."""
    expired = order_expire_holds()
    delivered, completed = order_deliver_due()
    return {
        "expired": len(expired),
        "delivered": len(delivered),
        "completed": len(completed),
    }
