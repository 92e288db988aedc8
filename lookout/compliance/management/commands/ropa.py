"""`lookout ropa [--json]`: print the record of processing activities (GDPR Art. 30).

Markdown by default, the text of docs/ropa.md (regenerate it with
`LOOKOUT_ENV=test lookout ropa > docs/ropa.md`; a test fails when the file is out of date);
`--json` is for tools.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lookout.compliance.ropa import build, markdown


class Command(BaseCommand):
    # The record reads declarations and settings only; URL and model checks do not concern it.
    requires_system_checks: list[str] = []
    help = "Print the GDPR Art. 30 record of processing activities, built from the code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        record = build()
        if options["json"]:
            self.stdout.write(json.dumps(record, indent=2))
        else:
            self.stdout.write(markdown(record), ending="")
