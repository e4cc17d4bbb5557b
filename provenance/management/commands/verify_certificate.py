"""Check an exported certificate offline: its Ed25519 signature and its hash chain."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from provenance import signing
from provenance.services.exports import verify_export, verify_export_with_key_set


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
        parser.add_argument(
            "--key-set",
            dest="key_set",
            help="JSON file from /api/certificates/keys/: verify with the key the export "
            "names, if it was current when the export was made.",
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
        if options["key_set"]:
            try:
                keys = json.loads(Path(options["key_set"]).read_text())["keys"]
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise CommandError(f"Cannot load the key set: {error}") from error
            check = verify_export_with_key_set(document, keys)
            return self._report(document, check)
        if options["public_key"]:
            try:
                pem = Path(options["public_key"]).read_text()
                public_key = signing.load_public_key(pem)
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot load the public key: {error}") from error
        else:
            public_key = signing.private_key().public_key()
        return self._report(document, verify_export(document, public_key))

    def _report(self, document, check):
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
