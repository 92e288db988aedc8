"""`lookout compliance` reports each commitment from the last full test runs."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from lookout.compliance.commitments import enforcing, load_commitments


def _write_run(directory, label, tests, *, full=True, finished_at="2030-01-01T00:00:00+00:00"):
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{label}.json" if full else f"{label}.partial.json"
    (directory / name).write_text(
        json.dumps(
            {
                "format": 1,
                "label": label,
                "full_suite": full,
                "finished_at": finished_at,
                "tests": [
                    {"nodeid": nodeid, "commitments": ids, "outcome": outcome}
                    for nodeid, ids, outcome in tests
                ],
            }
        )
    )


def _compliance(directory, *args):
    out = io.StringIO()
    error = None
    try:
        call_command(
            "compliance",
            *args,
            results_dir=directory,
            mutation_report=directory / "no-mutation-run.json",
            stdout=out,
        )
    except CommandError as exc:
        error = exc
    return out.getvalue(), error


def _by_id(output):
    return {c["id"]: c for c in json.loads(output)["commitments"]}


def test_the_commitments_copy_holds_every_id_from_c1_1_to_c8_4():
    ids = [c.id for c in load_commitments()]

    per_section = {"C1": 9, "C2": 6, "C3": 8, "C4": 8, "C5": 6, "C6": 9, "C7": 5, "C8": 4}
    expected = [f"{s}.{n}" for s, count in per_section.items() for n in range(1, count + 1)]
    assert ids == expected
    assert all(c.title and c.must_hold for c in load_commitments())
    assert {c.id: c.title for c in load_commitments()}["C2.3"] == "No stored card data"


def test_json_has_exactly_the_documented_shape(tmp_path):
    _write_run(tmp_path, "sqlite", [("a.py::test_a", ["C2.3"], "passed")])

    output, error = _compliance(tmp_path, "--json")

    data = json.loads(output)
    assert error is None
    assert list(data) == ["commitments"]
    assert [c["id"] for c in data["commitments"]] == [c.id for c in load_commitments()]
    assert data["commitments"][[c.id for c in load_commitments()].index("C2.3")] == {
        "id": "C2.3",
        "title": "No stored card data",
        "enforced_by": list(enforcing()["C2.3"]),
        "tests": ["a.py::test_a"],
        "outcomes": {"a.py::test_a": {"sqlite": "passed"}},
        "status": "proven",
        "mutation": None,
    }


def test_statuses_from_the_last_full_run_of_every_label(tmp_path):
    # given a SQLite and a PostgreSQL run
    _write_run(
        tmp_path,
        "sqlite",
        [
            ("t.py::test_ok", ["C2.3", "C4.2"], "passed"),
            ("t.py::test_pg_only", ["C4.2"], "skipped"),
            ("t.py::test_breaks_on_pg", ["C4.4"], "passed"),
            ("t.py::test_never_runs", ["C7.1"], "skipped"),
        ],
    )
    _write_run(
        tmp_path,
        "postgres",
        [
            ("t.py::test_ok", ["C2.3", "C4.2"], "passed"),
            ("t.py::test_pg_only", ["C4.2"], "passed"),
            ("t.py::test_breaks_on_pg", ["C4.4"], "error"),
            ("t.py::test_never_runs", ["C7.1"], "skipped"),
        ],
        finished_at="2030-01-01T00:10:00+00:00",
    )

    # when the matrix is printed
    output, error = _compliance(tmp_path, "--json")
    rows = _by_id(output)

    # then: passed somewhere and failed nowhere = proven; failed or errored anywhere = failing;
    # no test, or tests that never ran = open
    assert rows["C2.3"]["status"] == "proven"
    assert rows["C4.2"] == {
        "id": "C4.2",
        "title": "Encrypted at rest",
        "enforced_by": list(enforcing()["C4.2"]),
        "tests": ["t.py::test_ok", "t.py::test_pg_only"],
        "outcomes": rows["C4.2"]["outcomes"],
        "status": "proven",
        "mutation": None,
    }
    assert (
        rows["C4.2"]["outcomes"]["t.py::test_ok"] and rows["C4.2"]["outcomes"]["t.py::test_pg_only"]
    )
    assert rows["C4.4"]["status"] == "failing"
    assert rows["C7.1"]["status"] == "open"
    assert rows["C8.4"] == {
        "id": "C8.4",
        "title": rows["C8.4"]["title"],
        "enforced_by": list(enforcing()["C8.4"]),
        "tests": [],
        "outcomes": {},
        "status": "open",
        "mutation": None,
    }

    # and the command fails because one commitment is failing
    assert error is not None and error.returncode == 1
    assert "C4.4" in str(error)


def test_open_commitments_pass_unless_strict(tmp_path):
    _write_run(tmp_path, "sqlite", [("t.py::test_ok", ["C2.3"], "passed")])

    _, relaxed = _compliance(tmp_path)
    _, strict = _compliance(tmp_path, "--strict")

    assert relaxed is None
    assert strict is not None and strict.returncode == 1
    assert "C1.1" in str(strict)


def test_partial_runs_are_ignored(tmp_path):
    # given a full run in which the test failed, and a later partial run in which it passed
    _write_run(tmp_path, "sqlite", [("t.py::test_x", ["C2.3"], "failed")])
    _write_run(tmp_path, "sqlite", [("t.py::test_x", ["C2.3"], "passed")], full=False)

    output, error = _compliance(tmp_path, "--json")

    # then the commitment stays failing until a full run proves it
    assert _by_id(output)["C2.3"]["status"] == "failing"
    assert error is not None


def test_without_any_run_every_commitment_is_open_and_the_table_says_why(tmp_path):
    output, error = _compliance(tmp_path / "nothing-yet")

    assert error is None
    assert "No full test run recorded" in output
    assert re.search(r"55 commitments: 0 proven, 0 failing, 55 open\.", output)


def test_the_table_lists_tests_with_their_result_per_label(tmp_path):
    _write_run(tmp_path, "sqlite", [("t.py::test_ok", ["C2.3"], "passed")])

    output, _ = _compliance(tmp_path)

    assert "C2.3  PROVEN   No stored card data" in output
    assert "t.py::test_ok  [sqlite: passed]" in output


def test_an_unreadable_results_file_is_named(tmp_path):
    (tmp_path / "sqlite.json").write_text("{not json")

    with pytest.raises(CommandError, match=r"sqlite\.json"):
        call_command("compliance", results_dir=tmp_path, stdout=io.StringIO())


def test_label_limits_the_runs_read(tmp_path):
    # given an old run under another label in which the test failed
    _write_run(tmp_path, "sqlite", [("t.py::test_x", ["C2.3"], "passed")])
    _write_run(tmp_path, "default", [("t.py::test_x", ["C2.3"], "failed")])

    everything, _ = _compliance(tmp_path, "--json")
    only_sqlite, error = _compliance(tmp_path, "--json", "--label", "sqlite")

    assert _by_id(everything)["C2.3"]["status"] == "failing"
    assert _by_id(only_sqlite)["C2.3"]["status"] == "proven"
    assert error is None
