from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace import demo


class Command(BaseCommand):
    help = "Create the demo accounts and content. Safe to run again: nothing is duplicated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (the demo accounts share a public password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a published password; it refuses to run "
                "with DJANGO_DEBUG off. Pass --force if you really mean it."
            )
        seeded = demo.seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {seeded['users']} accounts, {seeded['artisans']} "
                f"artisans, {seeded['commissions']} new commissions, {seeded['orders']} new "
                f"orders, {seeded['reviews']} new reviews, password "
                f"'{seeded['password']}'."
            )
        )
