"""Sign and publish the transparency log's checkpoint (the scheduled job runs this)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from provenance.services.transparency import LogInconsistent, checkpoint_publish


class Command(BaseCommand):
    help = (
        "Integrate the transparency log's waiting leaves, then sign its tree head as a "
        "C2SP checkpoint, store it and append it to the external checkpoint file. "
        "Prints the checkpoint. A log that has not grown gets no new checkpoint unless "
        "--force; a tree inconsistent with the last published checkpoint is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Sign a new checkpoint even if the tree has not grown (a fresh time).",
        )

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoint_publish(force=options["force"])
        except LogInconsistent as error:
            raise CommandError(f"REFUSED: {error}. Run verify_log.") from error
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(checkpoint.note, ending="")
