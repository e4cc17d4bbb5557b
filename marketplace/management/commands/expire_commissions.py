from django.core.management.base import BaseCommand

from marketplace.commissions.services import commission_expire_due


class Command(BaseCommand):
    help = (
        "Expire commission requests left unanswered for COMMISSION_REQUEST_EXPIRY_DAYS "
        "and quotes past their valid-until date. The schedule runs this hourly as a "
        "task (commissions-expire); this command does it by hand."
    )

    def handle(self, *args, **options):
        expired = commission_expire_due()
        for commission in expired:
            self.stdout.write(f"Expired #{commission.pk} {commission.title}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(expired)} commission{'s' if len(expired) != 1 else ''} expired."
            )
        )
