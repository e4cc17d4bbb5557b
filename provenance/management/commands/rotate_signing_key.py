"""Replace the key that signs exports: the old key is retired, kept in the key set."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from provenance import signing
from provenance.services.keys import signing_key_register


class Command(BaseCommand):
    help = (
        "Generate a new Ed25519 signing key and make it the current one in the key set "
        "(/api/certificates/keys/); the previous key is retired and keeps verifying the "
        "exports it signed. With --write the new private key is written to that file "
        "(the development key lives in .local/signing_key.pem); otherwise it is printed "
        "for TOUCHSTONE_SIGNING_KEY. Restart the web processes with the new key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--write", help="Write the new private key (PEM) here.")

    def handle(self, *args, **options):
        pem = signing.generate_private_key_pem()
        key = signing.load_private_key(pem)
        target = options.get("write")
        if target:
            path = Path(target)
            try:
                if path.exists():
                    path.replace(path.with_suffix(f".retired-{signing.key_id()}.pem"))
                path.write_text(pem)
                os.chmod(path, 0o600)
            except OSError as error:
                raise CommandError(f"Cannot write {path}: {error}") from error
        entry = signing_key_register(key=key)
        settings.TOUCHSTONE_SIGNING_KEY = pem
        self.stdout.write(
            self.style.SUCCESS(
                f"Key {entry.key_id} is now current; every other key is retired."
            )
        )
        if not target:
            self.stdout.write("Set TOUCHSTONE_SIGNING_KEY to:\n" + pem)
