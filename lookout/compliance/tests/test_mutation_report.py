"""`lookout compliance` shows each commitment's mutation score, and `--strict` refuses a surviving
mutant in its enforcing code unless the committed survivors file says why it is equivalent.

The reports here are small fixtures, not real mutation runs (`make mutation` takes minutes).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from lookout.compliance import mutation
from lookout.compliance.commitments import REPO_ROOT, known_ids, load_commitments

pytestmark = pytest.mark.database_independent

WINDOW = "lookout/returns/window.py"  # enforces C1.7 and C3.3 (enforcing.json)
CHANGE = """--- lookout/returns/window.py
+++ lookout/returns/window.py
@@ -1,2 +1,2 @@
 def window_end(delivered):
-    return delivered + timedelta(days=RETURN_DAYS)
+    return delivered + timedelta(days=RETURN_DAYS + 1)"""
OTHER_CHANGE = CHANGE.replace("RETURN_DAYS + 1", "RETURN_DAYS - 1")


def _all_proven(directory):
    """A full test run in which every commitment has a passing test, so that only the mutation
    rule can make `--strict` fail."""
    directory.mkdir(parents=True, exist_ok=True)
    tests = [
        {"nodeid": f"t.py::test_{c.id}", "commitments": [c.id], "outcome": "passed"}
        for c in load_commitments()
    ]
    run = {"format": 1, "label": "sqlite", "full_suite": True, "tests": tests}
    run["finished_at"] = "2030-01-01T00:00:00+00:00"
    (directory / "sqlite.json").write_text(json.dumps(run))
    return directory


def _report(path, survivors, *, killed=27, module=WINDOW):
    undetected: dict[str, int] = {}
    for _, status in survivors:
        undetected[status] = undetected.get(status, 0) + 1
    entry = {
        "finished_at": "2030-01-02T03:04:05+00:00",
        "wall_seconds": 59.0,
        "tests": ["lookout/returns/tests"],
        "counts": {"killed": killed, **undetected},
        "survivors": [
            {"name": name, "status": status, "fingerprint": mutation.fingerprint(diff)}
            for (name, diff), status in survivors
        ],
    }
    path.write_text(json.dumps({"format": 1, "tool": "mutmut", "modules": {module: entry}}))
    return path


def _survivors_file(path, *lines):
    path.write_text("# accepted equivalent mutants\n" + "".join(f"{line}\n" for line in lines))
    return path


def _compliance(tmp_path, *args, report, survivors):
    out = io.StringIO()
    error = None
    try:
        call_command(
            "compliance",
            *args,
            results_dir=_all_proven(tmp_path / "results"),
            mutation_report=report,
            survivors=survivors,
            stdout=out,
        )
    except CommandError as exc:
        error = exc
    return out.getvalue(), error


def _mutant(n):
    return f"lookout.returns.window.x_window_end__mutmut_{n}"


def test_an_unexplained_survivor_fails_strict_for_the_commitments_its_module_enforces(tmp_path):
    # given a mutation run of the returns window in which one mutant survived, and no explanation
    report = _report(tmp_path / "report.json", [((_mutant(3), CHANGE), "survived")])
    survivors = _survivors_file(tmp_path / "survivors.txt")

    _, relaxed = _compliance(tmp_path, report=report, survivors=survivors)
    _, strict = _compliance(tmp_path, "--strict", report=report, survivors=survivors)

    # then only --strict fails, naming both commitments the window enforces and the mutant
    assert relaxed is None
    assert strict is not None and strict.returncode == 1
    assert f"C1.7: {_mutant(3)}" in str(strict)
    assert f"C3.3: {_mutant(3)}" in str(strict)


def test_an_explained_survivor_does_not_fail_strict(tmp_path):
    report = _report(tmp_path / "report.json", [((_mutant(3), CHANGE), "survived")])
    survivors = _survivors_file(
        tmp_path / "survivors.txt",
        f"{_mutant(3)} {mutation.fingerprint(CHANGE)} the window is checked a day later anyway",
    )

    output, strict = _compliance(tmp_path, "--strict", "--json", report=report, survivors=survivors)

    rows = {row["id"]: row for row in json.loads(output)["commitments"]}
    assert strict is None
    assert rows["C1.7"]["mutation"]["unexplained_survivors"] == []
    assert rows["C1.7"]["mutation"]["mutants"] == 28


def test_an_explanation_of_another_change_under_the_same_name_does_not_count(tmp_path):
    # given the code moved: the mutant with that name now makes a different change
    report = _report(tmp_path / "report.json", [((_mutant(3), OTHER_CHANGE), "survived")])
    survivors = _survivors_file(
        tmp_path / "survivors.txt",
        f"{_mutant(3)} {mutation.fingerprint(CHANGE)} the window is checked a day later anyway",
    )

    _, strict = _compliance(tmp_path, "--strict", report=report, survivors=survivors)

    assert strict is not None and _mutant(3) in str(strict)


def test_a_mutant_no_selected_test_runs_is_a_survivor_too(tmp_path):
    report = _report(tmp_path / "report.json", [((_mutant(4), CHANGE), "no tests")])
    survivors = _survivors_file(tmp_path / "survivors.txt")

    _, strict = _compliance(tmp_path, "--strict", report=report, survivors=survivors)

    assert strict is not None and _mutant(4) in str(strict)


def test_the_table_shows_score_and_when_it_ran(tmp_path):
    report = _report(tmp_path / "report.json", [((_mutant(3), CHANGE), "survived")], killed=27)
    survivors = _survivors_file(tmp_path / "survivors.txt")

    output, _ = _compliance(tmp_path, report=report, survivors=survivors)

    block = output[output.index("C1.7  PROVEN") :].split("\nC1.8")[0]
    assert (
        "mutation: 27/28 detected (96%), ran 2030-01-02T03:04:05+00:00, "
        "1 unexplained survivor(s)" in block
    )


def test_json_gives_each_commitment_its_mutation_evidence(tmp_path):
    report = _report(tmp_path / "report.json", [((_mutant(3), CHANGE), "survived")], killed=3)
    survivors = _survivors_file(tmp_path / "survivors.txt")

    output, _ = _compliance(tmp_path, "--json", report=report, survivors=survivors)
    rows = {row["id"]: row for row in json.loads(output)["commitments"]}

    assert rows["C1.7"]["mutation"] == {
        "modules": rows["C1.7"]["mutation"]["modules"],
        "not_run": [m for m in rows["C1.7"]["mutation"]["modules"] if m != WINDOW],
        "score": 0.75,
        "killed": 3,
        "mutants": 4,
        "ran_at": "2030-01-02T03:04:05+00:00",
        "stale": [],
        "unexplained_survivors": [_mutant(3)],
    }
    assert WINDOW in rows["C1.7"]["mutation"]["modules"]
    assert rows["C1.2"]["mutation"]["mutants"] == 0  # its code is not mutated by this run


def test_without_a_mutation_run_it_says_so_and_strict_does_not_fail_for_it(tmp_path):
    output, strict = _compliance(
        tmp_path,
        "--strict",
        report=tmp_path / "never-ran.json",
        survivors=_survivors_file(tmp_path / "survivors.txt"),
    )

    assert strict is None
    assert "No mutation run recorded" in output
    assert "mutation: no mutation run yet (make mutation)" in output


def test_a_survivors_line_without_a_reason_is_refused_with_its_line_number(tmp_path):
    report = _report(tmp_path / "report.json", [((_mutant(3), CHANGE), "survived")])
    survivors = _survivors_file(tmp_path / "survivors.txt", f"{_mutant(3)} {'0' * 12}")

    _, error = _compliance(tmp_path, report=report, survivors=survivors)

    assert error is not None and "survivors.txt:2" in str(error)


def test_an_unreadable_report_is_named(tmp_path):
    (tmp_path / "report.json").write_text("{not json")

    _, error = _compliance(
        tmp_path, report=tmp_path / "report.json", survivors=tmp_path / "absent.txt"
    )

    assert error is not None and "report.json" in str(error)


def test_the_fingerprint_names_the_change_not_where_it_sits():
    moved = CHANGE.replace("@@ -1,2 +1,2 @@", "@@ -40,2 +40,2 @@")

    assert mutation.fingerprint(moved) == mutation.fingerprint(CHANGE)
    assert mutation.fingerprint(OTHER_CHANGE) != mutation.fingerprint(CHANGE)


def test_the_mutation_config_names_existing_modules_and_known_commitments():
    config = mutation.load_config()

    assert config
    assert [m for m in config if not (REPO_ROOT / m).is_file()] == []
    assert all(entry.tests and entry.commitments for entry in config.values())
    assert {c for entry in config.values() for c in entry.commitments} <= known_ids()


def test_a_module_can_ask_for_its_mutants_to_meet_postgresql(tmp_path):
    # given a module whose code runs on PostgreSQL only, and one on the default database
    config = tmp_path / "mutation.json"
    config.write_text(
        json.dumps(
            {
                "modules": {
                    "lookout/incidents/radius.py": {
                        "tests": ["lookout/incidents/tests"],
                        "database": "postgresql",
                    },
                    "lookout/returns/window.py": {"tests": ["lookout/returns/tests"]},
                }
            }
        )
    )
    loaded = mutation.load_config(config)
    assert loaded["lookout/incidents/radius.py"].database == "postgresql"
    assert loaded["lookout/returns/window.py"].database == "sqlite"
    # and a database the runner does not know is refused, naming the module
    config.write_text(
        json.dumps({"modules": {"lookout/returns/window.py": {"tests": ["t"], "database": "x"}}})
    )
    with pytest.raises(mutation.MutationError, match=r"lookout/returns/window\.py"):
        mutation.load_config(config)


def test_every_entry_of_the_committed_survivors_file_says_why():
    # load_explained refuses a line without a reason; the file must also parse as committed
    assert all(why.strip() for why in mutation.load_explained().values())


def test_a_mutants_test_databases_carry_only_its_own_suffix():
    # given the names a worker inherits after mutmut's earlier runs in the same process
    from lookout.compliance.mutation_plugin import forget_earlier_suffixes

    databases = {
        "default": {"TEST": {"NAME": "test_lookout_3721_mutant3721_mutant3721_mutant3721"}},
        "keystore": {"TEST": {"NAME": "test_lookout_keys_3721_mutant3721_mutant3721"}},
        "other": {"TEST": {"NAME": "test_lookout_3721"}},
        "none": {},
    }
    forget_earlier_suffixes(databases)
    # then each is back to the settings' name, to which pytest-django adds the worker's own
    assert [d.get("TEST", {}).get("NAME") for d in databases.values()] == [
        "test_lookout_3721",
        "test_lookout_keys_3721",
        "test_lookout_3721",
        None,
    ]
    # and that one suffix keeps PostgreSQL's 63-character limit
    assert len("test_lookout_keys_3721" + "_mutant" + "4194304") <= 63


@pytest.mark.database_independent
def test_a_mutants_run_copies_the_migrated_databases_and_they_hold_the_migrations_work(tmp_path):
    # given a template directory, as scripts/mutation.py gives each mutant's run
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TOX_PARALLEL_ENV")}
    env["MUTATION_DB_TEMPLATE"] = str(tmp_path / "template")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        "lookout.compliance.mutation_plugin",
        "-v",
        "-s",  # Django says on stderr which databases it creates
        f"--results-dir={tmp_path / 'results'}",
        "lookout/audit/tests/test_triggers.py",
    ]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    # when the first run migrates, and a second one starts after it
    first, second = run(), run()
    # then the first made the databases by migrating and kept a copy of each
    assert first.returncode == 0, first.stdout[-3000:]
    assert "Creating test database for alias 'default'" in first.stdout + first.stderr
    assert sorted(p.name for p in (tmp_path / "template").iterdir()) == [
        "default.sqlite3",
        "keystore.sqlite3",
    ]
    # and the second copied them instead, with what the migrations did in them: the audit
    # log's append-only triggers refuse changes as before
    assert second.returncode == 0, second.stdout[-3000:]
    assert "Creating test database" not in second.stdout + second.stderr
    assert " passed" in second.stdout and "failed" not in second.stdout


def test_a_module_a_migration_runs_gets_its_databases_migrated_for_every_mutant():
    import importlib.util

    spec = importlib.util.spec_from_file_location("runner", REPO_ROOT / "scripts/mutation.py")
    assert spec is not None and spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    assert runner.run_by_migrations("lookout/vault/fields.py")
    assert runner.run_by_migrations("lookout/audit/chain.py")
    assert not runner.run_by_migrations("lookout/access/gate.py")
