"""`lookout demo_otp <email>`: the current second-factor code of a DEMO staff account.

Demo secrets are public by design (see lookout.accounts.demo); this command refuses for any
other account and in production, so it can never hand out a real person's code.
"""

from __future__ import annotations

from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.accounts.demo import DEMO_STAFF, demo_totp_secret, is_demo_staff
from lookout.accounts.models import User
from lookout.vault.blind_index import email_index


class Command(BaseCommand):
    help = "Print the current 6-digit second-factor code of a demo staff account (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="one of: " + ", ".join(DEMO_STAFF))

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_otp is for demo data and never runs in production.")
        email: str = options["email"]
        if not is_demo_staff(email):
            raise CommandError(
                "Not a demo staff account. Demo staff accounts are: " + ", ".join(DEMO_STAFF)
            )
        user = User.objects.filter(email_index=email_index(email)).first()
        if user is None:
            raise CommandError("That demo account does not exist yet: run `lookout demo` first.")
        if not user.role or user.totp_confirmed_at is None:
            raise CommandError("That account has no demo second factor.")
        code = pyotp.TOTP(demo_totp_secret(email)).now()
        self.stdout.write(code)
