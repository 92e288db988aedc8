"""docs/commitments.md is current, and the generator finds the markers wherever pytest does."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command

from lookout.compliance.commitments import REPO_ROOT
from lookout.compliance.commitments_doc import (
    DOC_PATH,
    REGENERATE,
    MarkerError,
    collect_markers,
    render,
)

pytestmark = pytest.mark.database_independent

PYPROJECT = """\
[tool.pytest.ini_options]
python_files = ["test_*.py"]
testpaths = ["app", "tests"]
"""


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_docs_commitments_is_up_to_date():
    # given the committed page and what the generator prints from today's markers and maps
    out = io.StringIO()
    call_command("commitments_doc", stdout=out)

    # then they are the same page
    assert (REPO_ROOT / DOC_PATH).read_text(encoding="utf-8") == out.getvalue(), (
        f"{DOC_PATH} is out of date: a test's @pytest.mark.commitment marker, commitments.json "
        f"or enforcing.json changed since it was generated. Regenerate it and commit it with "
        f"your change: {REGENERATE}"
    )


def test_markers_are_found_in_every_form_pytest_reads(tmp_path):
    # given test files using a decorator, several IDs, module and class pytestmark, a Test class
    root = _tree(
        tmp_path,
        {
            "app/tests/test_one.py": """
                import pytest
                from pytest import mark

                @pytest.mark.django_db
                @pytest.mark.commitment("C1.2")
                def test_decorated(): ...

                @mark.commitment("C1.3", "C2.1")
                @pytest.mark.parametrize("x", [1, 2])
                def test_two_ids(x): ...

                def test_unmarked(): ...

                @pytest.mark.commitment("C1.4")
                def helper_not_a_test(): ...
            """,
            "tests/e2e/test_two.py": """
                import pytest

                pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C4.5")]

                def test_module_marked(): ...

                @pytest.mark.commitment("C1.2")
                class TestGroup:
                    pytestmark = pytest.mark.commitment("C2.1")

                    @pytest.mark.commitment("C4.5")
                    async def test_method(self): ...
            """,
            "tests/helpers.py": """
                import pytest

                @pytest.mark.commitment("C1.1")
                def test_in_a_file_pytest_does_not_collect(): ...
            """,
            "other/test_outside_testpaths.py": """
                import pytest

                @pytest.mark.commitment("C1.1")
                def test_elsewhere(): ...
            """,
        },
    )

    # when the generator reads them
    found = collect_markers(root)

    # then it finds what pytest would, and nothing pytest would not collect
    assert found == {
        "app/tests/test_one.py::test_decorated": ["C1.2"],
        "app/tests/test_one.py::test_two_ids": ["C1.3", "C2.1"],
        "tests/e2e/test_two.py::test_module_marked": ["C4.5"],
        "tests/e2e/test_two.py::TestGroup::test_method": ["C4.5", "C1.2", "C2.1"],
    }


def test_a_test_is_listed_under_each_commitment_it_names(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/test_x.py": """
                import pytest

                @pytest.mark.commitment("C1.2", "C1.3")
                def test_prices(): ...
            """
        },
    )

    page = render(root)

    c12 = page.split("### C1.2 ")[1].split("### ")[0]
    c13 = page.split("### C1.3 ")[1].split("### ")[0]
    c14 = page.split("### C1.4 ")[1].split("### ")[0]
    assert "[`app/test_x.py`](../app/test_x.py): `test_prices`" in c12
    assert "`test_prices`" in c13
    assert "Enforced by: [`lookout/core/money.py`](../lookout/core/money.py)" in c12
    assert "Proved by: no test yet." in c14


@pytest.mark.parametrize(
    ("marker", "complaint"),
    [
        ('@pytest.mark.commitment("C9.9")', "unknown commitment ID(s) 'C9.9'"),
        ("@pytest.mark.commitment(SOME_ID)", "as string literals, not SOME_ID"),
        ("@pytest.mark.commitment()", "commitment marker without an ID"),
    ],
)
def test_a_marker_that_pytest_would_refuse_stops_the_generator(tmp_path, marker, complaint):
    root = _tree(
        tmp_path,
        {"app/test_bad.py": f"import pytest\nSOME_ID = 'C1.1'\n{marker}\ndef test_bad(): ...\n"},
    )

    with pytest.raises(MarkerError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        render(root)
