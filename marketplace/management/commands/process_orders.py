from django.core.management.base import BaseCommand

from marketplace.orders.services import order_deliver_due, order_expire_holds


class Command(BaseCommand):
    help = (
        "Expire unpaid order holds (their pieces go back on sale), mark delivered the "
        "orders shipped ORDER_AUTO_DELIVER_DAYS ago, and complete delivered orders "
        "whose return window has closed. Safe to run as often as you like."
    )

    def handle(self, *args, **options):
        expired = order_expire_holds()
        delivered, completed = order_deliver_due()
        self.stdout.write(
            f"{len(expired)} hold{'s' if len(expired) != 1 else ''} expired, "
            f"{len(delivered)} delivered, {len(completed)} completed."
        )
