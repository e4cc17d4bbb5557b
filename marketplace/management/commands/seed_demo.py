from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from artisans import demo as artisans_demo
from marketplace import demo as accounts_demo
from marketplace import demo_catalogue, demo_commissions
from provenance import demo as provenance_demo


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
        with transaction.atomic():
            users = accounts_demo.seed_accounts()
            artisans = artisans_demo.seed(users)
            artisans_demo.seed_marks_and_reviews(artisans, users["verifier"])
            demo_catalogue.seed(users, artisans)
            provenance_demo.seed(users, artisans)
            commissions = demo_commissions.seed(users, artisans)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} accounts, {len(artisans)} artisans, "
                f"{commissions['created']} new commissions, password "
                f"'{accounts_demo.DEMO_PASSWORD}'."
            )
        )
