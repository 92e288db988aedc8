"""The pytest plugin records which tests prove which commitments, and how they fared.

Each test runs a small, Django-free test session in a temporary directory (pytest's own
`pytester`) with the plugin loaded, and reads the results file it wrote.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.database_independent

pytest_plugins = ["pytester"]

SAMPLE = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("setup fails")

@pytest.mark.commitment("C2.3")
def test_proves_c23():
    assert 1 + 1 == 2

@pytest.mark.commitment("C4.4", "C4.2")
@pytest.mark.commitment("C4.4")
def test_proves_two():
    assert [] == [1]

@pytest.mark.commitment("C7.1")
def test_skipped():
    pytest.skip("no browser here")

@pytest.mark.commitment("C6.4")
def test_errors(broken):
    pass

def test_without_commitment():
    pass
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "-p",
        "lookout.compliance.pytest_plugin",
        "-p",
        "no:django",
        "-p",
        "no:cacheprovider",
        "--results-dir",
        str(pytester.path / "results"),
        *args,
    )


def _read(pytester: pytest.Pytester, name: str) -> dict:
    return json.loads((pytester.path / "results" / name).read_text())


def test_a_full_run_records_each_marked_test_with_its_ids_and_outcome(pytester):
    # given a suite with passing, failing, skipped and erroring tests
    pytester.makepyfile(test_sample=SAMPLE)

    # when the whole suite runs under a label
    _run(pytester, "--results-label", "sqlite")

    # then <label>.json lists every marked test with its IDs and outcome
    data = _read(pytester, "sqlite.json")
    assert data["label"] == "sqlite"
    assert data["full_suite"] is True
    assert data["finished_at"]
    assert data["tests"] == [
        {"nodeid": "test_sample.py::test_errors", "commitments": ["C6.4"], "outcome": "error"},
        {
            "nodeid": "test_sample.py::test_proves_c23",
            "commitments": ["C2.3"],
            "outcome": "passed",
        },
        {
            "nodeid": "test_sample.py::test_proves_two",
            "commitments": ["C4.4", "C4.2"],
            "outcome": "failed",
        },
        {"nodeid": "test_sample.py::test_skipped", "commitments": ["C7.1"], "outcome": "skipped"},
    ]
    assert data["totals"] == {
        "tests": 5,
        "passed": 2,
        "failed": 1,
        "skipped": 1,
        "error": 1,
        "not_run": 0,
    }


def test_a_partial_run_never_replaces_the_last_full_run(pytester):
    # given a full run on record
    pytester.makepyfile(test_sample=SAMPLE)
    _run(pytester)
    full_before = _read(pytester, "default.json")

    # when only some tests run (-k)
    _run(pytester, "-k", "proves_c23")

    # then the partial results go beside it, marked as partial, and the full run is untouched
    partial = _read(pytester, "default.partial.json")
    assert partial["full_suite"] is False
    assert [t["nodeid"] for t in partial["tests"]] == ["test_sample.py::test_proves_c23"]
    assert _read(pytester, "default.json") == full_before


def test_a_run_of_one_file_by_node_id_is_partial(pytester):
    pytester.makepyfile(test_sample=SAMPLE)

    _run(pytester, "test_sample.py::test_proves_c23")

    assert _read(pytester, "default.partial.json")["full_suite"] is False
    assert not (pytester.path / "results" / "default.json").exists()


def test_a_run_stopped_at_the_first_failure_is_partial(pytester):
    pytester.makepyfile(test_sample=SAMPLE)

    _run(pytester, "-x")

    assert _read(pytester, "default.partial.json")["full_suite"] is False


def test_an_unknown_commitment_id_stops_the_run_at_collection(pytester):
    # given a test that claims a commitment that does not exist
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.commitment("C2.33")
        def test_typo():
            pass

        @pytest.mark.commitment()
        def test_empty():
            pass
        """
    )

    # when the suite runs
    result = _run(pytester)

    # then nothing runs and both mistakes are named
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*test_typo.py::test_typo: unknown commitment ID(s) 'C2.33'*",
            "*test_typo.py::test_empty: commitment marker without an ID*",
        ]
    )
    assert not (pytester.path / "results").exists()


def test_a_bad_label_is_refused(pytester):
    pytester.makepyfile(test_sample=SAMPLE)

    result = _run(pytester, "--results-label", "../escape")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert not (pytester.path / "results").exists()
