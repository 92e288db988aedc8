"""A test marked database_independent that uses the database stops the run (decision 0024)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.database_independent

CONFTEST = """
from lookout.testing.passes import refuse_misplaced_independent


def pytest_collection_modifyitems(items):
    refuse_misplaced_independent(items)
"""


def _collect(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=source)
    return pytester.runpytest_inprocess(
        "-p", "no:django", "-p", "no:cacheprovider", "-p", "no:randomly", "--collect-only", "-q",
    )  # fmt: skip


@pytest.mark.parametrize(
    "uses",
    [
        "@pytest.mark.django_db\ndef test_wrong():",
        "def test_wrong(db):",
        "def test_wrong(transactional_db):",
        "def test_wrong(live_server):",
    ],
)
def test_an_independent_test_that_uses_the_database_stops_the_run_with_its_name(pytester, uses):
    result = _collect(
        pytester,
        f"import pytest\npytestmark = pytest.mark.database_independent\n\n{uses}\n    pass\n\n"
        "def test_right():\n    pass\n",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "marked database_independent but using the pass's database" in result.stderr.str()
    assert "test_sample.py::test_wrong" in result.stderr.str()
    assert "test_right" not in result.stderr.str()


def test_a_suite_of_independent_tests_without_the_database_and_database_tests_collects(pytester):
    result = _collect(
        pytester,
        "import pytest\n\n"
        "@pytest.mark.database_independent\ndef test_pure():\n    pass\n\n"
        "@pytest.mark.django_db\ndef test_with_database():\n    pass\n",
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*test_pure*", "*test_with_database*"])
