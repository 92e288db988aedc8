"""`lookout staff add EMAIL [--role administrator] [--password-stdin]`: a staff account from the
console, for the first administrator of a new installation (who then adds the others in the
back office, /staff/administrator/).

Why a command of our own: Django's `createsuperuser` cannot create a Lookout account (people
sign in by the blind index of their email, which it asks for as the "login"), and the back
office needs an administrator to open it. The account is made by the same service as the back
office's (`staff.services.create_staff`, audited as a system action); the password is typed at
the prompt (or read from stdin, never from an argument, which would sit in the shell history)
and checked by the password rules. At first sign-in the new staff member enrols an
authenticator app (second factor, C4.7) before any back-office page opens.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from lookout.access.roles import Role
from lookout.core.errors import LookoutError
from lookout.staff import services


class Command(BaseCommand):
    help = "Create a staff account (the first administrator) with a password typed at the prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Create a staff account.")
        add.add_argument("email", help="the staff member's email address (their sign-in)")
        add.add_argument(
            "--role",
            default=Role.ADMINISTRATOR.value,
            help=f"one of: {', '.join(Role.values)} [administrator]",
        )
        add.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input instead of prompting",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(from_stdin=options["password_stdin"])
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError("The password is refused: " + " ".join(error.messages)) from None
        try:
            with transaction.atomic():
                # The console is the system acting (record() takes actor=None), as for the
                # partners command; the back office passes the signed-in administrator.
                user = services.create_staff(
                    email=options["email"],
                    role=options["role"],
                    actor=None,  # type: ignore[arg-type]
                )
                user.set_password(password)
                user.save(update_fields=["password"])
        except LookoutError as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user} (role {user.role}). Sign in at /accounts/login/ with that email "
                "and password; the first sign-in asks you to enrol an authenticator app."
            )
        )

    def _password(self, *, from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\r\n")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was created.")
        return first
