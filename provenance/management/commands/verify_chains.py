"""Recompute every piece's chain and record whether it still verifies (the schedule
runs it daily as a task: provenance.tasks.chains_verify)."""

from django.core.management.base import BaseCommand

from provenance.models import Certificate
from provenance.services.certificates import certificate_verify_all


class Command(BaseCommand):
    help = (
        "Verify the origin chain of every piece with a certificate and record the "
        "verdict used by the catalogue's 'chain verified' filter. Lists broken chains."
    )

    def handle(self, *args, **options):
        checked = Certificate.objects.count()
        broken = certificate_verify_all()
        for certificate, result in broken:
            where = result.first_broken.hash[:12] if result.first_broken else "?"
            self.stdout.write(
                f"BROKEN {certificate.code} ({certificate.listing}): first broken "
                f"link {where}: {result.reason}"
            )
        self.stdout.write(f"{checked} chains checked, {len(broken)} broken.")
