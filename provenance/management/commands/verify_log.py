"""Recompute the transparency log and check it, its records and its checkpoints."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from provenance.services.audit import log_audit


class Command(BaseCommand):
    help = (
        "Recompute the transparency log's tree from its stored leaves; check each leaf "
        "against the record it stands for (trace events, certificates, changes of "
        "owner, claim decisions), the stored tree, every published checkpoint's "
        "signature and root, and the consistency of each checkpoint with the one "
        "before it, in the database and in the external checkpoint file. Lists every "
        "problem (leaf index, kind, object, field) and exits with status 1 if any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint-file",
            dest="checkpoint_file",
            help="The external checkpoint file (default: TOUCHSTONE_CHECKPOINT_FILE).",
        )

    def handle(self, *args, **options):
        path = options["checkpoint_file"]
        audit = log_audit(checkpoint_file=Path(path) if path else None)
        for problem in audit.problems:
            self.stdout.write(f"PROBLEM {problem}")
        summary = (
            f"{audit.leaves} leaves ({audit.waiting} waiting), {audit.checkpoints} "
            f"checkpoints in the database, {audit.file_checkpoints} in the external "
            f"file: {len(audit.problems)} problem(s)."
        )
        if not audit.ok:
            raise CommandError(f"FAILED: {summary}")
        self.stdout.write(self.style.SUCCESS(f"OK: {summary}"))
