"""`lookout retention plan` and `lookout retention run` (C4.6).

`plan` counts, rule by rule, what the next run would purge or anonymize, and changes nothing.
`run` does it in batches, printing progress, and ends with the run reports.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.retention.models import RetentionRun
from lookout.retention.registry import Rule, rules
from lookout.retention.services import DEFAULT_BATCH, plan, run_all


class Command(BaseCommand):
    help = "Retention: `plan` shows what the next run would do; `run` does it."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["plan", "run"])
        parser.add_argument("--rule", help="only this rule (see `plan` for the names)")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH, help="rows per committed batch"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = {r.name for r in rules()}
        if options["rule"] and options["rule"] not in names:
            known = ", ".join(sorted(names))
            raise CommandError(f"No retention rule is named {options['rule']!r}. Known: {known}.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["action"] == "plan":
            self._plan(only=options["rule"])
        else:
            self._run(only=options["rule"], batch_size=options["batch_size"])

    def _plan(self, *, only: str | None) -> None:
        lines = [line for line in plan() if only is None or line.rule == only]
        width = max(len(line.rule) for line in lines)
        self.stdout.write(f"{'rule':<{width}}  {'due':>8}  retention / what it does")
        for line in lines:
            self.stdout.write(f"{line.rule:<{width}}  {line.due:>8}  {line.retention}")
            self.stdout.write(f"{'':<{width}}  {'':>8}  {line.does}")
        self.stdout.write(f"Total due: {sum(line.due for line in lines)} (nothing was changed)")

    def _run(self, *, only: str | None, batch_size: int) -> None:
        def progress(rule: Rule, run: RetentionRun) -> None:
            self.stdout.write(f"  {rule.name}: batch {run.batches}, {run.processed} so far")

        runs = run_all(only=only, batch_size=batch_size, progress=progress)
        for run in runs:
            resumed = " (resumed an interrupted run)" if run.resumed_from_id else ""
            self.stdout.write(f"{run.rule}: {run.processed} in {run.batches} batch(es){resumed}")
        self.stdout.write(
            self.style.SUCCESS(f"Retention done: {sum(r.processed for r in runs)} rows.")
        )
