"""Recompute every piece's chain and record whether it still verifies (run it daily)."""

from django.core.management.base import BaseCommand

from provenance.models import Certificate
from provenance.services.certificates import certificate_record_verification
from provenance.services.chain import provenance_verify


class Command(BaseCommand):
    help = (
        "Verify the origin chain of every piece with a certificate and record the "
        "verdict used by the catalogue's 'chain verified' filter. Lists broken chains."
    )

    def handle(self, *args, **options):
        checked = broken = 0
        for certificate in Certificate.objects.select_related("listing").iterator():
            result = provenance_verify(certificate.listing)
            certificate_record_verification(certificate=certificate, ok=result.ok)
            checked += 1
            if not result.ok and result.checked:
                broken += 1
                where = result.first_broken.hash[:12] if result.first_broken else "?"
                self.stdout.write(
                    f"BROKEN {certificate.code} ({certificate.listing}): first broken "
                    f"link {where}: {result.reason}"
                )
        self.stdout.write(f"{checked} chains checked, {broken} broken.")
