"""`lookout partners`: the operators' register of partners and their data agreements (C5.1, C5.2).

lookout partners list
lookout partners register "Parcel Co" --kind carrier
lookout partners agreement "Parcel Co" --signed 2027-01-15 --expires 2029-01-15 \
                           --reference "DPA-2027-004"

There is deliberately no command that exports or sends personal data (C5.5): data leaves only
through `lookout.sharing.services.disclose`, one person's record at a time.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.core.errors import LookoutError
from lookout.sharing import selectors, services
from lookout.sharing.models import Partner, PartnerKind


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date: write it as YYYY-MM-DD.") from exc


def _partner(value: str) -> Partner:
    """A partner by its name (case ignored) or its id."""
    found = Partner.objects.filter(name__iexact=" ".join(value.split())).first()
    if found is None:
        try:
            found = Partner.objects.filter(pk=uuid.UUID(value)).first()
        except ValueError:
            found = None
    if found is None:
        raise CommandError(
            f"No partner named {value!r}. `lookout partners list` shows the registered ones."
        )
    return found


class Command(BaseCommand):
    help = "Register the partners personal data may go to, and record their data agreements."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="List partners, their kinds and agreements.")
        register = actions.add_parser("register", help="Register a partner.")
        register.add_argument("name", help="the company's name")
        register.add_argument(
            "--kind", required=True, help=f"one of: {', '.join(PartnerKind.values)}"
        )
        agreement = actions.add_parser("agreement", help="Record a signed data agreement.")
        agreement.add_argument("partner", help="the partner's name or id")
        agreement.add_argument("--signed", required=True, type=_date, help="YYYY-MM-DD")
        agreement.add_argument("--expires", required=True, type=_date, help="YYYY-MM-DD")
        agreement.add_argument("--reference", required=True, help="the signed document's reference")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except LookoutError as refused:
            raise CommandError(refused.message) from refused

    def _list(self, options: dict[str, Any]) -> None:
        today = selectors.today()
        rows = list(selectors.partners())
        if not rows:
            self.stdout.write("No partners registered: no personal data goes to anyone.")
            return
        for partner in rows:
            in_force = selectors.valid_agreement(partner=partner, on=today)
            status = (
                f"agreement {in_force.document_reference} in force until "
                f"{in_force.expires_on:%Y-%m-%d}"
                if in_force
                else "NO AGREEMENT IN FORCE: receives nothing"
            )
            state = "" if partner.active else " (inactive)"
            self.stdout.write(f"{partner.kind:18} {partner.name}{state}  {status}  id {partner.pk}")

    def _register(self, options: dict[str, Any]) -> None:
        partner = services.register_partner(name=options["name"], kind=options["kind"], actor=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered {partner}. It receives nothing until its data agreement is "
                f"recorded: lookout partners agreement {partner.pk} --signed YYYY-MM-DD "
                "--expires YYYY-MM-DD --reference ..."
            )
        )

    def _agreement(self, options: dict[str, Any]) -> None:
        partner = _partner(options["partner"])
        agreement = services.record_agreement(
            partner=partner,
            signed_on=options["signed"],
            expires_on=options["expires"],
            document_reference=options["reference"],
            actor=None,
        )
        when = (
            "in force now"
            if agreement.valid_on(selectors.today())
            else f"in force from {agreement.signed_on:%Y-%m-%d}"
            if agreement.signed_on > selectors.today()
            else "already expired"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Recorded {agreement.document_reference} for {partner.name}: {when}, "
                f"until {agreement.expires_on:%Y-%m-%d}."
            )
        )
