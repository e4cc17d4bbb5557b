from django.core.management.base import BaseCommand

from marketplace.reviews.services import ratings_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every artisan's and piece's kept rating figures (count, average, "
        "stars) from their visible reviews, correcting any that drifted."
    )

    def handle(self, *args, **options):
        corrected = ratings_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"{corrected} rating figure{'s' if corrected != 1 else ''} corrected."
            )
        )
