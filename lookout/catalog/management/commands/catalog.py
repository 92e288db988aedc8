"""`lookout catalog import FILE [--dry-run]`: load or update the catalog from a CSV or JSON file.

The columns are documented in docs/operations.md ("Loading the catalog") and in
`lookout.catalog.importer`; docs/examples/catalog.csv and catalog.json are complete examples.
Every row is checked before anything is written: one bad row refuses the whole file, with a
line per problem (row, column, what is wrong), and the catalog is left as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.catalog.importer import COLUMNS, REQUIRED, ImportRefused, import_catalog


class Command(BaseCommand):
    help = "Import products from a CSV or JSON file (matched by SKU: re-importing updates them)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser(
            "import",
            help="Create or update products from FILE (.csv or .json).",
            description=(
                f"Required columns: {', '.join(REQUIRED)}. "
                f"Optional: {', '.join(c for c in COLUMNS if c not in REQUIRED)}."
            ),
        )
        load.add_argument("file", type=Path)
        load.add_argument(
            "--dry-run", action="store_true", help="check the file and say what would change"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_catalog(options["file"], dry_run=options["dry_run"])
        except ImportRefused as refused:
            for problem in refused.problems[:200]:
                self.stderr.write(f"  {problem}")
            if len(refused.problems) > 200:
                self.stderr.write(f"  ... and {len(refused.problems) - 200} more.")
            raise CommandError(refused.message) from refused
        would = "would be " if result.dry_run else ""
        self.stdout.write(
            f"{len(result.created)} product(s) {would}created, {len(result.updated)} "
            f"{would}updated, {len(result.unchanged)} unchanged."
        )
        if result.new_categories:
            self.stdout.write(f"New categories: {', '.join(result.new_categories)}.")
        if result.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS("The catalog is imported."))
