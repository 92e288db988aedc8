"""`lookout verify-certificate <file> [--key <pem file>]`: check a deletion certificate.

Verifies the Ed25519 signature of a certificate downloaded from `/privacy/certificates/<ref>.json`
with the store's public key (this installation's own, or the PEM given with --key, as published
at `/.well-known/lookout-deletion-key.pem`), and prints what it says. Exit status 0 when the
signature is good, 1 when it is not (the file was changed, or another key signed it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.sharing import signing
from lookout.sharing.redaction import CERTIFICATE_TYPE


class Command(BaseCommand):
    help = "Verify a deletion certificate's signature with the store's public key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the certificate (JSON) to check")
        parser.add_argument(
            "--key", help="the public key (PEM) to check with; by default this store's own"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            signed = json.loads(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        except ValueError:
            raise CommandError(f"{path} is not JSON: not a certificate.") from None
        key = None
        if options.get("key"):
            try:
                key = signing.load_public_key(Path(options["key"]).read_bytes())
            except (OSError, ValueError, signing.SignatureInvalid):
                raise CommandError(
                    f"{options['key']} is not an Ed25519 public key (PEM)."
                ) from None
        try:
            document = signing.verify_document(signed, key=key)
        except signing.SignatureInvalid as exc:
            raise CommandError(f"NOT VALID: {exc}") from None
        if document.get("type") != CERTIFICATE_TYPE:
            raise CommandError("NOT VALID: the signature is good but this is not a certificate.")
        self.stdout.write(f"Valid: signed by key {signed['signature']['key_id']}.")
        self.stdout.write(f"Certificate {document['certificate']} from {document['issuer']}")
        self.stdout.write(f"  key destroyed at {document['key_destroyed_at']}")
        for p in document["partners"]:
            confirmed = p["confirmed_at"] or "not confirmed yet"
            self.stdout.write(
                f"  {p['partner']} ({p['kind']}): asked {p['asked_at'] or 'not yet'}, "
                f"confirmed {confirmed}"
            )
