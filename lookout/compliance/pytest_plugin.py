"""Pytest plugin: ties tests to the commitments they prove and records how they fared.

Loaded for every run (`addopts = "-p lookout.compliance.pytest_plugin"` in pyproject.toml).

* `@pytest.mark.commitment("C4.4", ...)` must name IDs from `commitments.json`; a mistyped or
  unknown ID stops the run at collection, so a test can never claim to prove a promise that does
  not exist.
* `--commitment C3.1` (repeatable; `C3` names a whole section) runs only the tests that prove
  it: every other test is deselected, so the run is partial (below).
* `--results-label LABEL` (default "default") names the run, e.g. "sqlite" and "postgres" in
  `make test`. At the end of the session the plugin writes `var/test-results/<label>.json`: for
  each test carrying commitment markers its node id, the IDs and its outcome (passed, failed,
  skipped, error), plus totals and a timestamp.

Partial runs. Results are not merged test by test: a merged file would mix outcomes of
different code states and could show a commitment as proven by a test that has since broken but
was not re-run. Instead a run records whether it was the full suite (no explicit test paths or
node ids narrower than the configured testpaths, no `-k`/`-m`/`--lf`/`--deselect` deselection,
no collection error, not stopped early by `-x`/`--maxfail` or Ctrl-C). A full run writes
`<label>.json`; a partial run writes `<label>.partial.json` beside it, so it never replaces the
last full run. `lookout compliance` reads only full runs.

Deliberately free of Django imports: the plugin is imported before Django is configured, and is
also used by test sessions that do not load Django at all.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lookout.compliance.commitments import COMMITMENTS_FILE, known_ids, unknown_ids

RESULTS_FORMAT = 1
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Worst outcome wins when a test reports several phases (setup, call, teardown).
_RANK = {"not run": 0, "passed": 1, "skipped": 2, "failed": 3, "error": 4}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lookout", "Lookout commitments")
    group.addoption(
        "--results-label",
        default="default",
        help="name of this run's results file under var/test-results/ (default: default)",
    )
    group.addoption(
        "--commitment",
        action="append",
        default=[],
        metavar="ID",
        help="run only the tests marked as proving this commitment (C3.1) or section (C3); "
        "repeat or separate with commas for several",
    )
    group.addoption(
        "--results-dir",
        default=None,
        help=(
            "where results files go (default: $LOOKOUT_VAR_DIR/test-results or "
            "var/test-results); write it as --results-dir=PATH, since pytest reads a separate "
            "PATH as a test path while it looks for its configuration"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "commitment(id, ...): the test proves the named commitment(s)"
    )
    label = config.getoption("results_label")
    if not LABEL_RE.match(label or ""):
        raise pytest.UsageError(
            f"--results-label {label!r}: use letters, digits, '.', '_' or '-' (at most 64)."
        )
    # Under pytest-xdist only the controller writes results (it sees every report).
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(CommitmentRecorder(config), "lookout-commitment-recorder")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--commitment`: keep the tests that prove one of the named commitments."""
    wanted = [w.strip() for value in config.getoption("commitment") for w in value.split(",")]
    wanted = [w for w in wanted if w]
    if not wanted:
        return
    sections = {w for w in wanted if "." not in w}
    bad = unknown_ids([w for w in wanted if w not in sections]) + [
        s for s in sections if not any(i.startswith(s + ".") for i in known_ids())
    ]
    if bad:
        raise pytest.UsageError(
            f"--commitment: no commitment {', '.join(map(repr, bad))} in {COMMITMENTS_FILE.name}."
        )

    def proves(item: pytest.Item) -> bool:
        return any(i in wanted or i.split(".")[0] in sections for i in marker_ids(item))

    kept = [item for item in items if proves(item)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if not proves(item)])
        items[:] = kept


def marker_ids(item: pytest.Item) -> list[str]:
    """Every commitment ID named by the item's `commitment` markers, in order, no repeats."""
    ids: list[str] = []
    for mark in item.iter_markers(name="commitment"):
        for value in mark.args:
            if value not in ids:
                ids.append(value)
    return ids


def results_dir(config: pytest.Config) -> Path:
    explicit = config.getoption("results_dir")
    if explicit:
        return Path(explicit)
    var_dir = os.environ.get("LOOKOUT_VAR_DIR")
    return (Path(var_dir) if var_dir else config.rootpath / "var") / "test-results"


class CommitmentRecorder:
    """Collects markers at collection time and outcomes as reports arrive; writes at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.marker_errors: list[str] = []
        self.commitments: dict[str, list[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.deselected = 0
        self.collection_errors = 0
        self.summary = ""

    # --- collection ---------------------------------------------------------------------------
    def pytest_itemcollected(self, item: pytest.Item) -> None:
        marks = list(item.iter_markers(name="commitment"))
        for mark in marks:
            if not mark.args:
                self.marker_errors.append(f"{item.nodeid}: commitment marker without an ID")
            bad = unknown_ids(mark.args)
            if bad:
                self.marker_errors.append(
                    f"{item.nodeid}: unknown commitment ID(s) {', '.join(map(repr, bad))}"
                )
        if marks:
            self.commitments[item.nodeid] = marker_ids(item)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)
        for item in items:
            self.commitments.pop(item.nodeid, None)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.marker_errors:
            raise pytest.UsageError(
                "Tests name commitments that do not exist (the list is "
                f"{COMMITMENTS_FILE.name} in lookout/compliance/):\n  "
                + "\n  ".join(self.marker_errors)
            )
        for item in session.items:
            self.outcomes.setdefault(item.nodeid, "not run")

    # --- outcomes -----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _phase_outcome(report)
        if outcome is None:
            return
        current = self.outcomes.get(report.nodeid, "not run")
        if _RANK[outcome] > _RANK[current]:
            self.outcomes[report.nodeid] = outcome

    # --- the results file ---------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.getoption("collectonly") or not self.outcomes:
            return
        full = self._full_suite(session, exitstatus)
        label = self.config.getoption("results_label")
        totals = Counter(self.outcomes.values())
        document = {
            "format": RESULTS_FORMAT,
            "label": label,
            "full_suite": full,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "exit_status": int(exitstatus),
            "selection": {
                "args": [str(a) for a in self.config.args],
                "keyword": self.config.getoption("keyword") or "",
                "markexpr": self.config.getoption("markexpr") or "",
                "deselected": self.deselected,
                "collection_errors": self.collection_errors,
            },
            "totals": {
                "tests": len(self.outcomes),
                **{name: totals.get(name, 0) for name in ("passed", "failed", "skipped", "error")},
                "not_run": totals.get("not run", 0),
            },
            "tests": [
                {
                    "nodeid": nodeid,
                    "commitments": ids,
                    "outcome": self.outcomes.get(nodeid, "not run"),
                }
                for nodeid, ids in sorted(self.commitments.items())
            ],
        }
        directory = results_dir(self.config)
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / (f"{label}.json" if full else f"{label}.partial.json")
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)
        kind = "full suite" if full else "partial run, not used by `lookout compliance`"
        self.summary = f"commitment results ({kind}): {target}"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        # Runs after pytest_sessionfinish above (the terminal reporter wraps that hook).
        if self.summary:
            terminalreporter.write_line(self.summary)

    def _full_suite(self, session: pytest.Session, exitstatus: int) -> bool:
        if self.deselected or self.collection_errors:
            return False
        if session.shouldstop or session.shouldfail:
            return False
        if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR):
            return False
        if "not run" in self.outcomes.values():
            return False
        return _covers_testpaths(self.config)


def _phase_outcome(report: pytest.TestReport) -> str | None:
    """One phase's contribution: a setup/teardown failure is an error, a call failure a failure.

    An expected failure (xfail) counts as skipped, whichever way it went: it proves nothing.
    """
    if hasattr(report, "wasxfail"):
        return "skipped"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    if report.skipped:
        return "skipped"
    if report.when == "call":
        return "passed"
    return None


def _covers_testpaths(config: pytest.Config) -> bool:
    """True when the run's arguments reach every configured test path (no narrowing)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return True
    if any("::" in arg for arg in config.args):
        return False
    given = [Path(arg).resolve() for arg in config.args]
    wanted = [config.rootpath / p for p in config.getini("testpaths")] or [config.rootpath]
    wanted = [p.resolve() for p in wanted if p.exists()]
    return all(any(w == g or g in w.parents for g in given) for w in wanted)
