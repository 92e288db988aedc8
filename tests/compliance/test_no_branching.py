"""C1.1, statically: the code that makes protection decisions never looks at who the visitor is.

The packages that decide who may read personal data (`lookout.access`), how it is sealed and
shredded (`lookout.vault`), how reads are recorded (`lookout.audit`) and to whom it may go
(`lookout.sharing`) must make the same decision for every person. A test cannot run every code
path for every country, so this one reads their source instead.

The heuristic, and what it cannot see:
* It parses each module (not tests, not migrations) with `ast` and looks at every place where a
  decision is made: the condition of `if`/`elif`/`while`/ternaries/`assert`/comprehension
  filters/`match`, the keyword names of ORM lookups (`.filter(country=...)`, `Q(total__gt=...)`),
  and the parameters of every function. None may mention a visitor's country, their
  registration status (guest/registered, anonymous) or the size of an order (total, subtotal,
  amount, price, quantity).
* No module may contain a country code as a string literal at all (`"US"`, `"DE"`, ...): in these
  packages there is no legitimate reason for one.
* It cannot see a decision made through an innocently named variable that was computed from a
  country elsewhere; such a variable would have to be passed in, and parameters are checked too.
  The journeys in `test_one_policy.py` catch what static reading misses.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django_countries.data import COUNTRIES

pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2] / "lookout"
PROTECTION_PACKAGES = ("access", "vault", "audit", "sharing")
VISITOR_TRAITS = re.compile(
    r"country|countries|total|amount|price|quantity|guest|anonymous|registered|date_joined",
    re.IGNORECASE,
)
COUNTRY_CODES = frozenset(COUNTRIES)
# Names that match the pattern but are not about the visitor: when an operator registered a
# partner, and the functions that register partners or consent checks.
NOT_TRAITS = ("registered_at", "register_")
# (module, name): why it is not a visitor trait.
ALLOWED = {
    ("vault/management/commands/keys.py", "total"): "a progress counter of data keys re-wrapped",
    ("vault/rotation.py", "total"): "a progress counter of data keys re-wrapped",
}
ORM_LOOKUPS = {"filter", "exclude", "get", "Q", "update", "annotate", "alias"}


def _modules() -> list[Path]:
    found = []
    for package in PROTECTION_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts)
            if "tests" in parts or "migrations" in parts or path.name == "testing.py":
                continue
            found.append(path)
    return found


def _tokens(node: ast.AST) -> list[str]:
    """Every name, attribute, keyword and string in an expression."""
    names: list[str] = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            names.append(child.id)
        elif isinstance(child, ast.Attribute):
            names.append(child.attr)
        elif isinstance(child, ast.keyword) and child.arg:
            names.append(child.arg)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            names.append(child.value)
    return names


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def violations(source: str, where: str) -> list[str]:
    """What in `source` branches on a visitor trait, or names a country code."""
    tree = ast.parse(source)
    found: list[str] = []
    docstrings = _docstrings(tree)

    def flag(node: ast.AST, expression: ast.AST, what: str) -> None:
        for token in _tokens(expression):
            if VISITOR_TRAITS.search(token) and not token.startswith(NOT_TRAITS):
                found.append(f"{where}:{getattr(node, 'lineno', '?')}: {what} uses {token!r}")

    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
            flag(node, node.test, "a condition")
        elif isinstance(node, ast.comprehension):
            for condition in node.ifs:
                flag(condition, condition, "a filter")
        elif isinstance(node, ast.Match):
            flag(node, node.subject, "a match")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ORM_LOOKUPS:
                for keyword in node.keywords:
                    if keyword.arg and VISITOR_TRAITS.search(keyword.arg):
                        found.append(f"{where}:{node.lineno}: a lookup on {keyword.arg!r}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                if VISITOR_TRAITS.search(arg.arg) and not arg.arg.startswith(NOT_TRAITS):
                    found.append(f"{where}:{node.lineno}: {node.name}() takes {arg.arg!r}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in COUNTRY_CODES
            and id(node) not in docstrings
        ):
            found.append(f"{where}:{node.lineno}: the country code {node.value!r}")
    return [problem for problem in found if not _allowed(where, problem)]


def _allowed(where: str, problem: str) -> bool:
    return any(where == path and f"{name!r}" in problem for path, name in ALLOWED)


@pytest.mark.commitment("C1.1")
def test_protection_code_never_branches_on_country_registration_or_order_size():
    # given every module of the packages that decide on personal data
    modules = _modules()
    assert len(modules) > 20, "the scan must cover the protection packages"

    # when each is read for decisions that look at a visitor trait
    found = [
        problem
        for path in modules
        for problem in violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]

    # then there are none
    assert found == []


PLANTED = {
    "country in a condition": "def f(order):\n    if order.country == 'US':\n        return 1\n",
    "country code anywhere": "WEAK = {'NG'}\n",
    "guest in a ternary": "def f(o):\n    return 'masked' if o.is_guest else 'full'\n",
    "order size in an ORM lookup": "def f(qs):\n    return qs.filter(total__gte=1000)\n",
    "order size as a parameter": "def f(*, record, total):\n    return record\n",
    "registration in a comprehension": "x = [f for f in y if not f.user.registered]\n",
}


@pytest.mark.commitment("C1.1")
@pytest.mark.parametrize("case", PLANTED)
def test_the_scan_finds_a_planted_branch(case: str):
    # given source that weakens protection for some visitors
    # when it is scanned, then the scan reports it (the heuristic is not vacuous)
    assert violations(PLANTED[case], "planted.py") != []
