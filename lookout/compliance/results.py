"""The compliance matrix: each commitment, the tests that prove it, and whether they passed.

Reads the results files the pytest plugin writes (see `pytest_plugin`), one per run label
(`sqlite`, `postgres`, ...), and only those of full-suite runs: a partial run says nothing about
the tests it did not run.

Status of a commitment, from the latest full run of every label present:

* "failing": one of its tests failed or errored in any label;
* "proven": it has tests, none failed, and each of them passed in at least one label (a test
  skipped in one label, e.g. a PostgreSQL-only test on SQLite, is proven by the label where it
  ran);
* "open": no test names it, or its tests never ran (skipped everywhere): no evidence yet.

The list of tests comes from the markers recorded in the newest full run, never from a
hand-kept list. Free of Django imports so it can be used from anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lookout.compliance.commitments import Commitment, enforcing, load_commitments

Status = Literal["proven", "failing", "open"]
_FAILED = {"failed", "error"}


@dataclass(frozen=True)
class Run:
    label: str
    finished_at: str
    path: Path
    outcomes: dict[str, str]
    commitments: dict[str, list[str]]


@dataclass(frozen=True)
class CommitmentStatus:
    commitment: Commitment
    tests: list[str]
    status: Status
    outcomes: dict[str, dict[str, str]] = field(default_factory=dict)  # test -> label -> outcome

    @property
    def enforced_by(self) -> list[str]:
        return list(enforcing().get(self.commitment.id, ()))

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.commitment.id,
            "title": self.commitment.title,
            "enforced_by": self.enforced_by,
            "tests": self.tests,
            "outcomes": self.outcomes,
            "status": self.status,
        }


class ResultsError(Exception):
    """A results file that cannot be read; named so the operator can delete or regenerate it."""


def latest_full_runs(directory: Path) -> list[Run]:
    """The last full-suite run of every label found in `directory`, newest first."""
    runs = []
    if not directory.is_dir():
        return []
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(".partial.json"):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not data.get("full_suite"):
                continue
            runs.append(
                Run(
                    label=data["label"],
                    finished_at=data["finished_at"],
                    path=path,
                    outcomes={t["nodeid"]: t["outcome"] for t in data["tests"]},
                    commitments={t["nodeid"]: list(t["commitments"]) for t in data["tests"]},
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ResultsError(f"{path}: not a readable test results file ({exc})") from exc
    return sorted(runs, key=lambda r: r.finished_at, reverse=True)


def matrix(runs: list[Run]) -> list[CommitmentStatus]:
    """Every commitment in policy order with its tests and status."""
    markers = runs[0].commitments if runs else {}
    by_commitment: dict[str, list[str]] = {}
    for nodeid, ids in markers.items():
        for cid in ids:
            by_commitment.setdefault(cid, []).append(nodeid)
    rows = []
    for commitment in load_commitments():
        tests = sorted(by_commitment.get(commitment.id, []))
        outcomes = {
            test: {run.label: run.outcomes[test] for run in runs if test in run.outcomes}
            for test in tests
        }
        rows.append(CommitmentStatus(commitment, tests, _status(tests, outcomes), outcomes))
    return rows


def _status(tests: list[str], outcomes: dict[str, dict[str, str]]) -> Status:
    if not tests:
        return "open"
    if any(o in _FAILED for per_label in outcomes.values() for o in per_label.values()):
        return "failing"
    if all("passed" in outcomes[test].values() for test in tests):
        return "proven"
    return "open"
