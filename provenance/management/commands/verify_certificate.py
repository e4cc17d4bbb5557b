"""Check an exported certificate offline: its Ed25519 signature and its hash chain."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from provenance import signing
from provenance.services.exports import verify_export


class Command(BaseCommand):
    help = (
        "Verify a certificate exported from /api/certificates/<code>/: the signature "
        "(with the public key from /api/certificates/public-key/) and every hash of the "
        "chain. Needs no database. Exits with status 1 if anything does not hold."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The exported JSON file.")
        parser.add_argument(
            "--public-key",
            dest="public_key",
            help="PEM file with Touchstone's public key (default: this site's key).",
        )

    def handle(self, *args, **options):
        try:
            raw = Path(options["file"]).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(
                f"FAILED: the file is not valid JSON ({error})."
            ) from error
        if options["public_key"]:
            try:
                pem = Path(options["public_key"]).read_text()
                public_key = signing.load_public_key(pem)
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot load the public key: {error}") from error
        else:
            public_key = signing.private_key().public_key()
        check = verify_export(document, public_key)
        for problem in check.problems:
            self.stderr.write(f"- {problem}")
        if not check.ok:
            raise CommandError(
                "FAILED: "
                + ("signature ok" if check.signature_ok else "signature does not match")
                + ", "
                + ("chain ok" if check.chain_ok else "chain does not verify")
                + "."
            )
        code = document["payload"].get("code", "?")
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: certificate {code} is signed by key "
                f"{document['signature'].get('key_id')} and its {check.checked} "
                "events verify."
            )
        )
