"""`docs/commitments.md`: every commitment, the code that enforces it and the tests that prove it.

The compliance matrix (`results.matrix`) takes its list of tests from the markers recorded by the
last full test run, so it needs `var/test-results/`. This page must not depend on a test run (a
fresh checkout has none, and a partial run records nothing), so the tests are found here by
reading the test files with `ast`: the `@pytest.mark.commitment(...)` decorators of test
functions, methods and `Test*` classes, and `pytestmark` at module or class level, the same forms
pytest reads. Test paths and file names come from pyproject.toml's pytest settings, as pytest's
do. A parametrized test is listed once, by its function. A test that names a commitment not in
`commitments.json`, or names it with anything but a string literal, stops the generator with its
location: pytest would refuse it too, and a page built from a guess would be wrong.

Free of Django imports, like the rest of the compliance model: `lookout commitments_doc` prints
it, and a test fails while the committed page differs from what this module renders.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Iterator
from fnmatch import fnmatch
from pathlib import Path

from lookout.compliance.commitments import REPO_ROOT, enforcing, known_ids, load_commitments

DOC_PATH = Path("docs") / "commitments.md"
REGENERATE = "lookout commitments_doc > docs/commitments.md"


class MarkerError(Exception):
    """A commitment marker the generator cannot read as pytest would (named by file and line)."""


def pytest_settings(root: Path = REPO_ROOT) -> tuple[list[str], list[str]]:
    """The test paths and test file patterns pytest uses, from pyproject.toml."""
    with (root / "pyproject.toml").open("rb") as fh:
        options = tomllib.load(fh)["tool"]["pytest"]["ini_options"]
    return list(options.get("testpaths", ["."])), list(options.get("python_files", ["test_*.py"]))


def test_files(root: Path = REPO_ROOT) -> list[Path]:
    paths, patterns = pytest_settings(root)
    found: set[Path] = set()
    for top in paths:
        for path in (root / top).rglob("*.py"):
            if "__pycache__" in path.parts or ".venv" in path.parts:
                continue
            if any(fnmatch(path.name, pattern) for pattern in patterns):
                found.add(path)
    return sorted(found)


def collect_markers(root: Path = REPO_ROOT) -> dict[str, list[str]]:
    """Test id (`path::[Class::]function`) -> the commitment IDs its markers name, in order."""
    known = known_ids()
    tests: dict[str, list[str]] = {}
    for path in test_files(root):
        relative = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for name, ids in _tests_in(tree.body, relative, inherited=[]):
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise MarkerError(
                    f"{relative}::{name}: unknown commitment ID(s) {', '.join(map(repr, unknown))}"
                )
            if ids:
                tests[f"{relative}::{name}"] = ids
    return tests


def _tests_in(
    body: list[ast.stmt], where: str, inherited: list[str]
) -> Iterator[tuple[str, list[str]]]:
    here = _unique(inherited + _pytestmark(body, where))
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            yield node.name, _unique(here + _marks(node.decorator_list, where))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            own = _unique(here + _marks(node.decorator_list, where))
            for name, ids in _tests_in(node.body, where, own):
                yield f"{node.name}::{name}", ids


def _pytestmark(body: list[ast.stmt], where: str) -> list[str]:
    ids: list[str] = []
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            ids += _marks(items, where)
    return ids


def _marks(expressions: Iterable[ast.expr], where: str) -> list[str]:
    ids: list[str] = []
    for expr in expressions:
        if not (isinstance(expr, ast.Call) and _is_commitment_mark(expr.func)):
            continue
        if not expr.args:
            raise MarkerError(f"{where}:{expr.lineno}: commitment marker without an ID")
        for arg in expr.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                raise MarkerError(
                    f"{where}:{expr.lineno}: write commitment IDs as string literals, "
                    f"not {ast.unparse(arg)}"
                )
            ids.append(arg.value)
    return ids


def _is_commitment_mark(func: ast.expr) -> bool:
    """`pytest.mark.commitment` or `mark.commitment` (after `from pytest import mark`)."""
    if not (isinstance(func, ast.Attribute) and func.attr == "commitment"):
        return False
    mark = func.value
    return (isinstance(mark, ast.Attribute) and mark.attr == "mark") or (
        isinstance(mark, ast.Name) and mark.id == "mark"
    )


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def render(root: Path = REPO_ROOT) -> str:
    """The page, as Markdown; links are relative to docs/."""
    markers = collect_markers(root)
    by_commitment: dict[str, list[str]] = {}
    for test, ids in sorted(markers.items()):
        for cid in ids:
            by_commitment.setdefault(cid, []).append(test)
    commitments = load_commitments()
    code = enforcing()
    without_tests = [c.id for c in commitments if c.id not in by_commitment]

    lines = [
        "# Commitments, the code that enforces them, the tests that prove them",
        "",
        f"Generated by `{REGENERATE}`; do not edit by hand. It joins",
        "`lookout/compliance/commitments.json` (the commitments),",
        "`lookout/compliance/enforcing.json` (the code that enforces each, kept by hand)",
        "and the `@pytest.mark.commitment(...)` markers of the test files, read from the",
        "source rather than from a test run. `lookout/compliance/tests/test_commitments_doc.py`",
        "fails while this page differs from what the generator prints. Whether those tests",
        "passed in the last run is `lookout compliance`'s business (it reads",
        "`var/test-results/`); this page says which tests there are.",
        "",
        f"{len(commitments)} commitments, {len(markers)} tests naming at least one of them"
        + (f"; without a test: {', '.join(without_tests)}." if without_tests else "."),
    ]
    section = None
    for c in commitments:
        if c.section != section:
            section = c.section
            lines += ["", f"## {section}"]
        lines += ["", f"### {c.id} {c.title}", "", c.must_hold, ""]
        paths = code.get(c.id, ())
        lines.append(
            "Enforced by: " + (", ".join(f"[`{p}`](../{p})" for p in paths) or "no code named")
        )
        tests = by_commitment.get(c.id, [])
        if not tests:
            lines.append("")
            lines.append("Proved by: no test yet.")
            continue
        lines += ["", "Proved by:", ""]
        by_file: dict[str, list[str]] = {}
        for test in tests:
            path, name = test.split("::", 1)
            by_file.setdefault(path, []).append(name)
        for path, names in by_file.items():
            lines.append(f"- [`{path}`](../{path}): " + ", ".join(f"`{n}`" for n in names))
    return "\n".join(lines) + "\n"
