"""`lookout audit verify`: check the audit log's keyed hash chains and checkpoints (C4.4).
`lookout audit checkpoint`: write a signed checkpoint of every chain's head (decision 0035).
`lookout audit run [--json] [--no-notify]`: the live self-audit of this deployment.

`verify` exits 1 when a chain is broken or contradicts a checkpoint, so a cron job or CI step
fails loudly. `checkpoint` is also run by the scheduler; run it by hand before and after
anything that touches the database outside the application (a restore, a manual fix). `run` checks
the deployment's own databases and settings (lookout.compliance.selfaudit), stores the run,
messages the privacy officers when a check fails, prints the report and exits 1 on a failure.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lookout.audit.checkpoints import checkpoint_dir, write_checkpoint
from lookout.audit.verify import PAGE_SIZE, verify_chain

PROGRESS_EVERY = 50_000


class Command(BaseCommand):
    help = (
        "Audit tools. `verify` checks that no audit entry was changed or removed; `run` is the "
        "live self-audit of this deployment."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        subcommands.add_parser(
            "verify",
            help="Recompute every entry's keyed hash, check the chains and every checkpoint; "
            "exit 1 if anything is broken.",
        )
        subcommands.add_parser(
            "checkpoint",
            help="Write a signed checkpoint of every chain's head to LOOKOUT_AUDIT_CHECKPOINT_DIR.",
        )
        run = subcommands.add_parser(
            "run",
            help="Self-audit this deployment (data at rest, chain, keys, partners, deadlines, "
            "settings, cookies); exit 1 if a check fails.",
        )
        run.add_argument("--json", action="store_true", help="print the report as JSON")
        run.add_argument(
            "--no-notify",
            action="store_true",
            help="do not message the privacy officers about failures",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify()
        elif options["subcommand"] == "checkpoint":
            self.checkpoint()
        elif options["subcommand"] == "run":
            self.run(as_json=options["json"], notify=not options["no_notify"])

    def run(self, *, as_json: bool, notify: bool) -> None:
        # The self-audit reads every app, so it lives above them (lookout.compliance).
        from lookout.compliance.selfaudit.runner import run_self_audit

        run = run_self_audit(notify=notify)
        if as_json:
            report = {"run": str(run.pk), "at": run.at.isoformat(), "ok": run.ok, **run.results}
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(f"Self-audit {run.at:%Y-%m-%d %H:%M:%S} UTC (run {run.pk})")
            for check in run.results["checks"]:
                mark = "PASS" if check["ok"] else "FAIL"
                ids = ", ".join(check["commitments"])
                self.stdout.write(f"  {mark}  {check['name']:<22} [{ids}] {check['summary']}")
            self.stdout.write("")
            for row in run.results["commitments"]:
                if row["status"] != "tests only":
                    self.stdout.write(f"  {row['id']:<5} {row['status'].upper():<5} {row['title']}")
            failed = sum(1 for c in run.results["checks"] if not c["ok"])
            self.stdout.write(
                self.style.SUCCESS("All checks passed.")
                if run.ok
                else self.style.ERROR(f"{failed} check(s) failed.")
            )
        if not run.ok:
            sys.exit(1)

    def checkpoint(self) -> None:
        written = write_checkpoint()
        self.stdout.write(
            self.style.SUCCESS(f"Checkpoint {checkpoint_dir() / written.name} written")
        )
        for head in written.heads:
            self.stdout.write(f"  {head.chain}: entry #{head.place} (seq {head.seq})")

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
            for chain, (place, digest) in result.heads.items():
                self.stdout.write(f"  {chain}: entry #{place}, hash {digest}")
            if result.checkpoints:
                self.stdout.write(
                    f"{result.checkpoints} checkpoint(s) match; entries written after the "
                    f"newest ({result.newest_checkpoint}) are not covered by one yet."
                )
            else:
                self.stdout.write(
                    f"No checkpoints in {checkpoint_dir()}: entries cut off the end of a chain "
                    "cannot be detected. Run `lookout audit checkpoint`."
                )
            return
        self.stderr.write(
            f"Audit log BROKEN at entry #{result.first_broken_seq}: {result.reason} "
            f"({result.checked} {'entry' if result.checked == 1 else 'entries'} before it verified)"
        )
        sys.exit(1)
