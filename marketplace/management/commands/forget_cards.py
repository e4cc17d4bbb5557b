from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.catalogue.cards import cards_forget
from marketplace.catalogue.models import ListingCard


class Command(BaseCommand):
    help = (
        "Forget every stored catalogue card; each is built again when a list first "
        "shows it. Run after a release that changes what a card shows."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            count = ListingCard.objects.count()
            cards_forget(everything=True)
        self.stdout.write(
            self.style.SUCCESS(f"{count} card{'s' if count != 1 else ''} forgotten.")
        )
