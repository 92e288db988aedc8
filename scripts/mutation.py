"""`make mutation`: mutate the code that enforces the commitments and see whether its tests notice.

For each module in lookout/compliance/mutation.json (or only those in MODULES=...), runs mutmut
(decision 0039) in a working directory of its own, var/mutation/work/<module>/, with the
module's test selection, then records in var/mutation/report.json the module's counts, its
undetected mutants with their diffs and fingerprints, its wall time and when it ran, and prints
a table per module and per commitment. Each module starts from a fresh copy of the code (mutmut
would otherwise keep copies of files, tests included, from an earlier run). Modules not run keep
their previous entry in the report.

With `--survivors` (SURVIVORS=1), each module's working directory from its last full run is
kept and only the mutants that run left undetected are tested again, against fresh copies of
the tests (the loop of writing the tests that kill them, minutes instead of a full run). It
refuses a module changed since that run or with no working directory; the report keeps the
full run's wall time and counts of the other mutants, and records when the survivors were
tested again. A full run stays the reference: run one before relying on a score.

Exit status: 1 when a module has an undetected mutant not explained in
lookout/compliance/mutation-survivors.txt, or when mutmut itself failed; else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lookout.compliance import mutation  # noqa: E402

REPORT = REPO / "var" / "mutation" / "report.json"
WORK = REPO / "var" / "mutation" / "work"
BIN = Path(sys.executable).parent
# The PostgreSQL a module marked "database": "postgresql" is tested on (MUTATION_DATABASE_URL).
POSTGRES = "postgres://postgres@127.0.0.1:5432/lookout"
# mutmut stops a mutant's run after (its tests' clean duration + this) x 15 seconds of wall time.
TIMEOUT_CONSTANT = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--modules",
        default=os.environ.get("MODULES", ""),
        help="space- or comma-separated module paths from mutation.json (default: all)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("MUTATION_JOBS", "2")),
        help="mutants tested at once (default 2, or MUTATION_JOBS)",
    )
    parser.add_argument(
        "--survivors",
        action="store_true",
        default=os.environ.get("SURVIVORS", "") not in ("", "0"),
        help="test again only the mutants the last full run left undetected (or SURVIVORS=1)",
    )
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    try:
        import mutmut
    except ImportError:
        print("mutmut is not installed: run `make install` (it is a dev dependency).")
        return 2
    tool = f"mutmut {getattr(mutmut, '__version__', '')}".strip()

    config = mutation.load_config()
    wanted = [m for m in args.modules.replace(",", " ").split() if m]
    unknown = [m for m in wanted if m not in config]
    if unknown:
        print(f"not in lookout/compliance/mutation.json: {', '.join(unknown)}")
        return 2
    modules = [config[m] for m in (wanted or list(config))]

    status = 0
    for module in modules:
        print(f"==> {module.path}: tests {' '.join(module.tests)}", flush=True)
        if args.survivors:
            entry = rerun_survivors(module, jobs=args.jobs, report=args.report)
        else:
            entry = run_module(module, jobs=args.jobs)
        if entry is None:
            status = 1
            continue
        save(args.report, module.path, entry, tool)
        print(
            f"    {entry['counts']}  {entry['wall_seconds']:.0f}s  "
            f"{len(entry['survivors'])} undetected",
            flush=True,
        )

    report = mutation.load_report(args.report)
    explained = mutation.load_explained()
    print_tables(config, report, explained)
    if report and any(
        mutation.unexplained(result, explained)
        for path, result in report.modules.items()
        if path in {m.path for m in modules}
    ):
        status = 1
    return status


def _work_dir(module: mutation.ModuleConfig) -> Path:
    return WORK / module.path.replace("/", "__").removesuffix(".py")


def run_module(module: mutation.ModuleConfig, *, jobs: int) -> dict[str, Any] | None:
    work = _work_dir(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("lookout", "tests", "conftest.py", "pyproject.toml"):
        (work / name).symlink_to(REPO / name)
    lines = [
        "[mutmut]",
        "source_paths = lookout",
        f"only_mutate = {module.path}",
        "also_copy = conftest.py",
        # Each mutant's run sets up the test databases again (many seconds on a busy machine),
        # which mutmut's estimate leaves out: with its default of 1, a slow setup was taken for
        # a hang and the mutant counted as detected. A real hang now costs about a minute more.
        f"timeout_constant = {TIMEOUT_CONSTANT}",
        "pytest_add_cli_args =",
        "    -p",
        "    no:cacheprovider",
        "    -p",
        "    lookout.compliance.mutation_plugin",
        f"    --results-dir={work / 'test-results'}",
        "pytest_add_cli_args_test_selection =",
        *(f"    {arg}" for arg in module.tests),
    ]
    (work / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")

    started = time.monotonic()
    log = work / "run.log"
    completed = _mutmut(work, log, ["--max-children", str(jobs)], module)
    wall = time.monotonic() - started
    return _entry(module, work, log, completed, wall)


def _mutmut(
    work: Path, log: Path, args: list[str], module: mutation.ModuleConfig
) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    # Migrated test databases copied instead of migrated again for every mutant
    # (mutation_plugin), unless a migration runs the module's code.
    template = work / "db-template"
    shutil.rmtree(template, ignore_errors=True)
    env.pop("MUTATION_DB_TEMPLATE", None)
    if module.database != "postgresql" and not run_by_migrations(module.path):
        template.mkdir()
        env["MUTATION_DB_TEMPLATE"] = str(template)
    if module.database == "postgresql":
        # Each mutant's run creates PostgreSQL test databases of its own (mutation_plugin).
        env["DATABASE_URL"] = os.environ.get("MUTATION_DATABASE_URL", POSTGRES)
    else:
        env.pop("DATABASE_URL", None)
    with log.open("w") as out:
        return subprocess.run(  # noqa: S603
            [str(BIN / "mutmut"), "run", *args],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )


def run_by_migrations(path: str) -> bool:
    """Whether a migration imports the module (the vault's field, the audit chain): its code
    then runs while the test databases are set up, and each mutant must meet that too."""
    dotted = path.removesuffix(".py").replace("/", ".")
    return any(
        dotted in migration.read_text(encoding="utf-8")
        for migration in REPO.glob("lookout/*/migrations/*.py")
    )


def rerun_survivors(
    module: mutation.ModuleConfig, *, jobs: int, report: Path
) -> dict[str, Any] | None:
    """Test again the mutants the module's last full run left undetected, against the tests as
    they are now; the other mutants keep that run's verdicts (tests are only ever added)."""
    work = _work_dir(module)
    last = mutation.load_report(report)
    previous = last.modules.get(module.path) if last else None
    meta = work / "mutants" / f"{module.path}.meta"
    if previous is None or not meta.exists():
        print("    no full run of this module to start from: run it without --survivors")
        return None
    if previous.stale:
        print("    the module changed since its last full run: run it without --survivors")
        return None
    names = [s.name for s in previous.survivors]
    entry = json.loads(report.read_text(encoding="utf-8"))["modules"][module.path]
    if not names:
        print("    nothing left undetected")
        return dict(entry)
    # Fresh copies of everything but the mutated module (mutmut copies a file only when its
    # copy is missing): a test written since the full run must be the one that runs.
    mutated = work / "mutants" / module.path
    for path in (work / "mutants").rglob("*"):
        if path.is_file() and path.suffix == ".py" and path != mutated:
            path.unlink()
    started = time.monotonic()
    log = work / "rerun.log"
    completed = _mutmut(work, log, ["--max-children", str(jobs), *names], module)
    wall = time.monotonic() - started
    fresh = _entry(module, work, log, completed, entry["wall_seconds"])
    if fresh is None:
        return None
    fresh["survivors_rerun"] = {
        "finished_at": fresh["finished_at"],
        "mutants": len(names),
        "wall_seconds": round(wall, 1),
    }
    fresh["finished_at"] = entry["finished_at"]
    return fresh


def _entry(
    module: mutation.ModuleConfig,
    work: Path,
    log: Path,
    completed: subprocess.CompletedProcess[bytes],
    wall: float,
) -> dict[str, Any] | None:
    meta = work / "mutants" / f"{module.path}.meta"
    # mutmut stops, exit 1, when no selected test runs any mutated function: every mutant is
    # then undetected ("no tests"), a result to report, not a failure of the run.
    untested = "could not find any test case for any mutant" in log.read_text(errors="replace")
    if (completed.returncode != 0 and not untested) or not meta.exists():
        print(f"    mutmut failed (exit {completed.returncode}); its output: {log}")
        print("    " + log.read_text(errors="replace")[-2000:].replace("\n", "\n    "))
        return None

    from mutmut.stats import status_by_exit_code

    codes = json.loads(meta.read_text())["exit_code_by_key"]
    counts: dict[str, int] = {}
    survivors = []
    for name, code in sorted(codes.items(), key=lambda kv: _natural(kv[0])):
        status = "no tests" if untested else status_by_exit_code[code]
        counts[status] = counts.get(status, 0) + 1
        if status in mutation.UNDETECTED:
            diff = subprocess.run(  # noqa: S603
                [str(BIN / "mutmut"), "show", name],
                cwd=work,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            diff = "\n".join(line for line in diff.splitlines() if not line.startswith("# "))
            survivors.append(
                {
                    "name": name,
                    "status": status,
                    "fingerprint": mutation.fingerprint(diff),
                    "diff": diff,
                }
            )
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 1),
        "tests": list(module.tests),
        "commitments": list(module.commitments),
        "source_sha256": hashlib.sha256((REPO / module.path).read_bytes()).hexdigest(),
        "counts": counts,
        "survivors": survivors,
    }


def _natural(name: str) -> tuple[str, int]:
    head, _, number = name.rpartition("_")
    return (head, int(number)) if number.isdigit() else (name, 0)


def save(path: Path, module: str, entry: dict[str, object], tool: str) -> None:
    """Add or replace one module's entry; two runs side by side each keep theirs (a lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _save(path, module, entry, tool)


def _save(path: Path, module: str, entry: dict[str, object], tool: str) -> None:
    data: dict[str, object] = {"format": mutation.REPORT_FORMAT, "modules": {}}
    if path.exists():
        with contextlib.suppress(ValueError):  # an unreadable report is replaced
            data = json.loads(path.read_text(encoding="utf-8"))
    data["format"] = mutation.REPORT_FORMAT
    data["tool"] = tool
    modules = data.setdefault("modules", {})
    assert isinstance(modules, dict)
    modules[module] = entry
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def print_tables(
    config: dict[str, mutation.ModuleConfig],
    report: mutation.Report | None,
    explained: dict[tuple[str, str], str],
) -> None:
    if report is None:
        return
    print()
    print(
        f"{'module':<36} {'detected':>8} {'undetected':>10} {'unexplained':>11} {'score':>6} "
        f"{'wall':>6}  ran"
    )
    for path, result in sorted(report.modules.items()):
        lost = mutation.unexplained(result, explained)
        score = f"{result.detected / result.judged:.0%}" if result.judged else "-"
        print(
            f"{path:<36} {result.detected:>8} {result.judged - result.detected:>10} "
            f"{len(lost):>11} {score:>6} {result.wall_seconds:>5.0f}s  {result.finished_at}"
            f"{'  (changed since)' if result.stale else ''}"
        )
        for survivor in lost:
            print(f"    unexplained: {survivor.name} {survivor.fingerprint} ({survivor.status})")
    alive = {(s.name, s.fingerprint) for r in report.modules.values() for s in r.survivors}
    mutated = tuple(f"{path.removesuffix('.py').replace('/', '.')}." for path in report.modules)
    for name, print_ in sorted(set(explained) - alive):
        if name.startswith(mutated):
            print(f"    no longer survives (remove it from the survivors file): {name} {print_}")
    print()
    for cid, row in mutation.by_commitment(config, report, explained).items():
        if row.modules:
            print(f"{cid:<5} {mutation.describe(row, report).removeprefix('mutation: ')}")


if __name__ == "__main__":
    sys.exit(main())
