"""`lookout incident list` and `lookout incident notice <id>`: breach incidents from the shell.

`list` prints every incident (id, kind, window, people affected, when the authority's notice is
due, OVERDUE when its 72 hours ran out without it); `notice <id>` prints the drafted notice to
the supervisory authority (GDPR Art. 33). Both print pseudonymous facts only. Recording an
incident and sending the notices happen on the privacy officer's pages, where the officer is
signed in with the second factor and every step is audited under their id.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.incidents import selectors, services
from lookout.incidents.models import Incident


class Command(BaseCommand):
    help = "List breach incidents, or print one's drafted notice to the supervisory authority."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every incident, the one due first on top")
        notice = sub.add_parser("notice", help="the drafted Art. 33 notice of one incident")
        notice.add_argument("incident", help="the incident's id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            rows = list(selectors.incidents())
            for i in rows:
                state = (
                    "OVERDUE"
                    if i.overdue
                    else f"notified {i.authority_notified_at:%Y-%m-%d %H:%M}"
                    if i.authority_notified_at
                    else "open"
                )
                self.stdout.write(
                    f"{i.id}  {i.kind:<13}  {i.started_at:%Y-%m-%d %H:%M} to "
                    f"{i.ended_at:%Y-%m-%d %H:%M}  {i.people} people  "
                    f"due {i.due_at:%Y-%m-%d %H:%M} UTC  {state}"
                )
            overdue = sum(1 for i in rows if i.overdue)
            self.stdout.write(f"{len(rows)} incident(s), {overdue} overdue.")
            return
        try:
            incident = Incident.objects.get(pk=uuid.UUID(str(options["incident"])))
        except (ValueError, Incident.DoesNotExist) as exc:
            raise CommandError(f"No incident {options['incident']!r}.") from exc
        self.stdout.write(services.authority_notice(incident))
