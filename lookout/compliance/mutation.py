"""Mutation scores of the code that enforces each commitment, and the survivors we accept.

A passing test proves a commitment only if it would fail when the enforcing code breaks.
`make mutation` (scripts/mutation.py, decision 0039) breaks that code on purpose, one small change
(a mutant) at a time, runs the tests that prove the module's commitments against each, and
writes `var/mutation/report.json`. This module reads that report, the committed list of
survivors accepted as equivalent (`mutation-survivors.txt` beside it) and the committed list of
modules to mutate (`mutation.json`), and says for each commitment how well its code is guarded.

A mutant is *detected* when a test failed (killed) or the run timed out (the change looped);
it is *undetected* when every test passed (survived) or no selected test ran its code (no tests).
An undetected mutant is *explained* only when the survivors file names it with the same change
(its fingerprint) and a reason: if the code moves and the mutant with that name now makes a
different change, the old reason no longer applies and it counts as unexplained again.

Deliberately free of Django imports, like `results`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lookout.compliance.commitments import REPO_ROOT, enforcing, load_commitments

CONFIG_FILE = Path(__file__).with_name("mutation.json")
SURVIVORS_FILE = Path(__file__).with_name("mutation-survivors.txt")
REPORT_FORMAT = 1

DETECTED = frozenset({"killed", "timeout", "segfault", "caught by type check"})
UNDETECTED = frozenset({"survived", "no tests", "suspicious", "not checked"})
_SURVIVOR_LINE = re.compile(r"^(?P<name>\S+)\s+(?P<fingerprint>[0-9a-f]{12})\s+(?P<why>\S.*)$")


class MutationError(Exception):
    """A report, survivors file or config that cannot be read; named so it can be fixed."""


@dataclass(frozen=True)
class ModuleConfig:
    path: str
    tests: tuple[str, ...]
    commitments: tuple[str, ...]
    # "postgresql" for a module with code that runs on PostgreSQL only (its mutants would
    # otherwise meet tests that never run that code); "sqlite", the embedded default, else.
    database: str = "sqlite"


@dataclass(frozen=True)
class Survivor:
    name: str
    status: str
    fingerprint: str
    diff: str = ""


@dataclass(frozen=True)
class ModuleResult:
    path: str
    finished_at: str
    wall_seconds: float
    counts: dict[str, int]
    survivors: tuple[Survivor, ...]
    source_sha256: str = ""

    @property
    def detected(self) -> int:
        return sum(n for status, n in self.counts.items() if status in DETECTED)

    @property
    def judged(self) -> int:
        """Mutants with a verdict: detected or undetected (skipped ones are left out)."""
        return self.detected + sum(n for s, n in self.counts.items() if s in UNDETECTED)

    @property
    def stale(self) -> bool:
        """The module changed since it was mutated: its score describes older code."""
        path = REPO_ROOT / self.path
        return bool(self.source_sha256) and (
            not path.exists() or _sha256(path) != self.source_sha256
        )


@dataclass(frozen=True)
class CommitmentMutation:
    """One commitment's mutation evidence: its configured modules and what their last run found."""

    commitment_id: str
    modules: tuple[str, ...]  # configured for mutation and enforcing this commitment
    results: tuple[ModuleResult, ...]  # of those, the ones the report has
    unexplained: tuple[Survivor, ...]

    @property
    def not_run(self) -> tuple[str, ...]:
        done = {r.path for r in self.results}
        return tuple(m for m in self.modules if m not in done)

    @property
    def score(self) -> float | None:
        judged = sum(r.judged for r in self.results)
        return None if not judged else sum(r.detected for r in self.results) / judged

    @property
    def ran_at(self) -> str | None:
        """When its evidence is from: the oldest of its modules' runs."""
        return min((r.finished_at for r in self.results), default=None)

    def as_json(self) -> dict[str, object]:
        return {
            "modules": list(self.modules),
            "not_run": list(self.not_run),
            "score": None if self.score is None else round(self.score, 4),
            "killed": sum(r.detected for r in self.results),
            "mutants": sum(r.judged for r in self.results),
            "ran_at": self.ran_at,
            "stale": sorted(r.path for r in self.results if r.stale),
            "unexplained_survivors": [s.name for s in self.unexplained],
        }


@dataclass
class Report:
    modules: dict[str, ModuleResult] = field(default_factory=dict)
    tool: str = ""


def fingerprint(diff: str) -> str:
    """Names the change a mutant makes, independent of where the code sits in the file: the
    removed and added lines of its diff, stripped."""
    changed = [
        line[1:].strip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return hashlib.sha256("\n".join(changed).encode()).hexdigest()[:12]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DATABASES = ("sqlite", "postgresql")


def load_config(path: Path = CONFIG_FILE) -> dict[str, ModuleConfig]:
    """The modules `make mutation` mutates, each with the tests run against its mutants and the
    commitments it enforces (those `enforcing.json` names it for, plus any listed here)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        by_module: dict[str, set[str]] = {}
        for cid, paths in enforcing().items():
            for module in paths:
                by_module.setdefault(module, set()).add(cid)
        order = {c.id: i for i, c in enumerate(load_commitments())}
        modules = {}
        for module, entry in data["modules"].items():
            ids = by_module.get(module, set()) | set(entry.get("commitments", []))
            database = entry.get("database", "sqlite")
            if database not in DATABASES:
                raise ValueError(f"{module}: database {database!r} is not one of {DATABASES}")
            modules[module] = ModuleConfig(
                path=module,
                tests=tuple(entry["tests"]),
                commitments=tuple(sorted(ids, key=lambda c: order.get(c, len(order)))),
                database=database,
            )
        return modules
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MutationError(f"{path}: not a readable mutation config ({exc})") from exc


def load_report(path: Path) -> Report | None:
    """The last `make mutation` results, or None when it never ran here."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        report = Report(tool=str(data.get("tool", "")))
        for module, entry in data["modules"].items():
            report.modules[module] = ModuleResult(
                path=module,
                finished_at=entry["finished_at"],
                wall_seconds=float(entry["wall_seconds"]),
                counts={str(k): int(v) for k, v in entry["counts"].items()},
                survivors=tuple(
                    Survivor(s["name"], s["status"], s["fingerprint"], s.get("diff", ""))
                    for s in entry["survivors"]
                ),
                source_sha256=entry.get("source_sha256", ""),
            )
        return report
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MutationError(f"{path}: not a readable mutation report ({exc})") from exc


def load_explained(path: Path = SURVIVORS_FILE) -> dict[tuple[str, str], str]:
    """(mutant name, fingerprint) -> why it is equivalent, from the committed survivors file.

    One mutant a line: its name, its fingerprint and the reason; `#` starts a comment. A line
    without a reason is refused: an equivalent mutant nobody explained is an unexplained one.
    """
    if not path.exists():
        return {}
    explained = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _SURVIVOR_LINE.match(line)
        if not match:
            raise MutationError(
                f"{path}:{number}: expected `<mutant name> <12-hex fingerprint> <why it is "
                f"equivalent>`, got {line!r}"
            )
        explained[(match["name"], match["fingerprint"])] = match["why"]
    return explained


def unexplained(result: ModuleResult, explained: dict[tuple[str, str], str]) -> list[Survivor]:
    return [s for s in result.survivors if (s.name, s.fingerprint) not in explained]


def by_commitment(
    config: dict[str, ModuleConfig],
    report: Report | None,
    explained: dict[tuple[str, str], str],
) -> dict[str, CommitmentMutation]:
    """For every commitment, the mutation evidence of its configured modules."""
    results = report.modules if report else {}
    rows = {}
    for commitment in load_commitments():
        modules = tuple(m for m, entry in config.items() if commitment.id in entry.commitments)
        found = tuple(results[m] for m in modules if m in results)
        rows[commitment.id] = CommitmentMutation(
            commitment.id,
            modules,
            found,
            tuple(s for r in found for s in unexplained(r, explained)),
        )
    return rows


def describe(row: CommitmentMutation, report: Report | None) -> str:
    """The one line `lookout compliance` prints under a commitment."""
    if report is None:
        return "mutation: no mutation run yet (make mutation)"
    if not row.modules:
        return "mutation: none of its modules is in lookout/compliance/mutation.json"
    if not row.results:
        return "mutation: its modules were not mutated in the last runs (make mutation)"
    killed = sum(r.detected for r in row.results)
    total = sum(r.judged for r in row.results)
    text = f"mutation: {killed}/{total} detected"
    if row.score is not None:
        text += f" ({row.score:.0%})"
    text += f", ran {row.ran_at}"
    if row.unexplained:
        text += f", {len(row.unexplained)} unexplained survivor(s)"
    if row.not_run:
        text += f"; not mutated yet: {', '.join(row.not_run)}"
    stale = [r.path for r in row.results if r.stale]
    if stale:
        text += f"; changed since: {', '.join(stale)}"
    return text
