"""`lookout audit verify`: check the audit log's hash chain (commitment C4.4).

Subcommands, so that `lookout audit run` (the compliance self-audit) can join later. Exits 1
when the chain is broken, so a cron job or CI step fails loudly.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lookout.audit.verify import PAGE_SIZE, verify_chain

PROGRESS_EVERY = 50_000


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks that no entry was changed or removed."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        subcommands.add_parser(
            "verify",
            help="Recompute every entry's hash and check the chain; exit 1 if it is broken.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify()

    def verify(self) -> None:
        next_report = PROGRESS_EVERY

        def progress(checked: int) -> None:
            nonlocal next_report
            if checked >= next_report:
                self.stdout.write(f"… {checked} entries checked")
                self.stdout.flush()
                next_report = checked + PROGRESS_EVERY

        result = verify_chain(page_size=PAGE_SIZE, progress=progress)
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(f"Audit log OK: {result.checked} entries verified")
            )
            if result.head_seq is not None:
                self.stdout.write(f"Head: entry #{result.head_seq}, hash {result.head_hash}")
            return
        self.stderr.write(
            f"Audit log BROKEN at entry #{result.first_broken_seq}: {result.reason} "
            f"({result.checked} {'entry' if result.checked == 1 else 'entries'} before it verified)"
        )
        sys.exit(1)
