"""`lookout compliance [--json] [--strict]`: which commitments the last test runs prove.

Reads the results of the last full `make test` runs (var/test-results/<label>.json, written by
the pytest plugin) and prints, for every commitment, the code that enforces it (from
`enforcing.json`), the tests that prove it with their last result, and its status.
Exits non-zero when a commitment is failing; with `--strict` also when one is open (no passing
test yet): issue 9 makes `make test` strict once every commitment has its tests.

Under each commitment it also prints the mutation score of its enforcing code from the last
`make mutation` run (var/mutation/report.json, decision 0039) and when that ran. `--strict` also
fails when that run left a mutant undetected that `mutation-survivors.txt` does not explain.
Without any mutation run it says so and does not fail for it: `make test` ends with this command
and does not run `make mutation`, which takes minutes per module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.compliance import mutation
from lookout.compliance.results import CommitmentStatus, ResultsError, latest_full_runs, matrix


class Command(BaseCommand):
    # It reports on recorded test runs: it must work even when the code it reports on is broken.
    requires_system_checks: list[str] = []
    help = "List every commitment with the tests that prove it and their last result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the matrix as JSON")
        parser.add_argument(
            "--strict", action="store_true", help="also fail when a commitment has no passing test"
        )
        parser.add_argument(
            "--label",
            action="append",
            dest="labels",
            default=None,
            help="only the runs with this label (repeatable; default: every label found)",
        )
        parser.add_argument(
            "--results-dir",
            type=Path,
            default=None,
            help="where the test results are (default: var/test-results)",
        )
        parser.add_argument(
            "--mutation-report",
            type=Path,
            default=None,
            help="the last `make mutation` report (default: var/mutation/report.json)",
        )
        parser.add_argument(
            "--survivors",
            type=Path,
            default=mutation.SURVIVORS_FILE,
            help="the accepted equivalent mutants (default: lookout/compliance/"
            "mutation-survivors.txt)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["results_dir"] or Path(settings.VAR_DIR) / "test-results"
        try:
            runs = latest_full_runs(directory)
        except ResultsError as exc:
            raise CommandError(str(exc)) from exc
        if options["labels"]:
            runs = [run for run in runs if run.label in options["labels"]]
        rows = matrix(runs)
        report_path = options["mutation_report"] or Path(settings.VAR_DIR) / "mutation/report.json"
        try:
            report = mutation.load_report(report_path)
            mutants = mutation.by_commitment(
                mutation.load_config(), report, mutation.load_explained(options["survivors"])
            )
        except mutation.MutationError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            commitments = [
                {
                    **r.as_json(),
                    "mutation": mutants[r.commitment.id].as_json() if report else None,
                }
                for r in rows
            ]
            self.stdout.write(json.dumps({"commitments": commitments}, indent=2))
        else:
            self._table(rows, runs, directory, mutants, report, report_path)
        failing = [r.commitment.id for r in rows if r.status == "failing"]
        open_ = [r.commitment.id for r in rows if r.status == "open"]
        if failing:
            raise CommandError(f"failing commitments: {', '.join(failing)}", returncode=1)
        if options["strict"] and open_:
            raise CommandError(
                f"open commitments (no passing test): {', '.join(open_)}", returncode=1
            )
        survivors = {cid: m.unexplained for cid, m in mutants.items() if m.unexplained}
        if options["strict"] and survivors:
            named = "; ".join(
                f"{cid}: {', '.join(s.name for s in lost)}" for cid, lost in survivors.items()
            )
            raise CommandError(
                "commitments whose enforcing code has undetected mutants not explained in "
                f"{options['survivors']}: {named}",
                returncode=1,
            )

    def _table(
        self,
        rows: list[CommitmentStatus],
        runs: list[Any],
        directory: Path,
        mutants: dict[str, mutation.CommitmentMutation],
        report: mutation.Report | None,
        report_path: Path,
    ) -> None:
        out = self.stdout
        if runs:
            out.write("Results of the last full test runs:")
            for run in runs:
                out.write(f"  {run.label:<10} finished {run.finished_at}  ({run.path})")
        else:
            out.write(
                f"No full test run recorded in {directory}: run `make test` (every commitment "
                "shows as open until then)."
            )
        if report is None:
            out.write(
                f"No mutation run recorded in {report_path}: run `make mutation` (not needed by "
                "--strict until then)."
            )
        out.write("")
        for row in rows:
            c = row.commitment
            out.write(f"{c.id:<5} {row.status.upper():<8} {c.title}")
            out.write(f"        code: {', '.join(row.enforced_by) or 'none named'}")
            out.write(f"        {mutation.describe(mutants[c.id], report)}")
            for test in row.tests:
                per_label = ", ".join(f"{k}: {v}" for k, v in sorted(row.outcomes[test].items()))
                out.write(f"        {test}  [{per_label or 'no result'}]")
        counts = {s: sum(1 for r in rows if r.status == s) for s in ("proven", "failing", "open")}
        out.write("")
        out.write(
            f"{len(rows)} commitments: {counts['proven']} proven, {counts['failing']} failing, "
            f"{counts['open']} open."
        )
