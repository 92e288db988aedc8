"""`lookout datamap [--json | --markdown]`: print the data inventory (commitment C2.1).

The default is a table for a terminal; `--json` is for tools; `--markdown` is the text of
docs/data-inventory.md (regenerate it with `lookout datamap --markdown > docs/data-inventory.md`;
a test fails when the file is out of date).
"""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lookout.privacy.inventory import FieldEntry, inventory, undeclared

MARKDOWN_INTRO = """\
# Data inventory

Generated from the code by `lookout datamap --markdown`; do not edit by hand. Every stored
column of every table is listed here with its classification (commitment C2.1): personal data
with its [fideslang](https://ethyca.github.io/fideslang/) category, the purposes it may be read
for and its retention period, or not personal with the reason. Each app declares its fields in
its `personal_data.py`; Django's and third-party tables are declared in
`lookout/privacy/personal_data.py`. A test fails when a field is undeclared or this file is out
of date.
"""


class Command(BaseCommand):
    # The inventory reads declarations only; URL and model checks do not concern it.
    requires_system_checks: list[str] = []
    help = "Print the data inventory: every stored field, personal or not, and why."

    def add_arguments(self, parser: CommandParser) -> None:
        fmt = parser.add_mutually_exclusive_group()
        fmt.add_argument("--json", action="store_true", help="print JSON")
        fmt.add_argument("--markdown", action="store_true", help="print docs/data-inventory.md")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = inventory()
        missing = undeclared()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"fields": [e.as_dict() for e in entries], "undeclared": missing}, indent=2
                )
            )
        elif options["markdown"]:
            self.stdout.write(markdown(entries, missing), ending="")
        else:
            self._table(entries, missing)

    def _table(self, entries: list[FieldEntry], missing: list[str]) -> None:
        for table, rows in groupby(entries, key=lambda e: e.table):
            self.stdout.write(table)
            for e in rows:
                if e.personal:
                    detail = f"PERSONAL {e.category}  [{', '.join(e.purposes)}]  {e.stored_as}"
                else:
                    detail = f"-        {e.why}"
                self.stdout.write(f"  {e.column:<24} {detail}")
        personal = sum(1 for e in entries if e.personal)
        self.stdout.write(
            f"\n{len(entries)} columns in {len({e.table for e in entries})} tables, "
            f"{personal} personal."
        )
        if missing:
            self.stdout.write(self.style.ERROR(f"Undeclared: {', '.join(missing)}"))


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown(entries: list[FieldEntry], missing: list[str]) -> str:
    """The Markdown of docs/data-inventory.md: deterministic (no dates), grouped by table."""
    personal = sum(1 for e in entries if e.personal)
    lines = [
        MARKDOWN_INTRO,
        f"{len(entries)} columns in {len({e.table for e in entries})} tables; "
        f"{personal} hold personal data.",
        "",
    ]
    if missing:
        lines += ["## Undeclared fields (a test fails until they are declared)", ""]
        lines += [f"- `{m}`" for m in missing] + [""]
    for table, group in groupby(entries, key=lambda e: e.table):
        rows = list(group)
        owner = f"{rows[0].app}.{rows[0].model}" if rows[0].model else f"{rows[0].app}, no model"
        lines += [
            f"## `{table}` ({owner})",
            "",
            "| Column | Personal | Category | Purposes | Retention | Stored as / why |",
            "|---|---|---|---|---|---|",
        ]
        for e in rows:
            lines.append(
                f"| `{e.column}` | {'yes' if e.personal else 'no'} | `{e.category}` | "
                f"{_cell(', '.join(e.purposes))} | {_cell(e.retention)} | "
                f"{_cell(e.stored_as if e.personal else e.why)} |"
            )
        lines.append("")
    return "\n".join(lines)
