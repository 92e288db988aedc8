"""Every password or code check in the product goes through the attempt limiter (issue 19,
finding 1; decision 0032).

The admin's sign-in was found unlimited because nothing asked where passwords are checked. This
test reads the product code (`lookout/`, tests excluded) and finds every call that checks a
password or a code. Each must be the `check` handed to `accounts.throttle.guarded` (a lambda
written there, or a local function passed by name), or sit inside one of the few functions
that are themselves such checks (listed below, with why). A new check anywhere else fails here
until someone routes it through the limiter.

Django's own views that check a password (the admin's sign-in and password change, the auth
password change) call no check in our code: the last test pins that each of their URLs is
served through our limited view or form, and lookout/accounts/tests/test_limiter.py proves
each refuses past the limit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent

REPO = Path(__file__).resolve().parents[2]

# What checks a password or a code: Django's and ours.
CHECKS = {
    "authenticate",
    "check_password",
    "verify_code",
    "confirm_enrolment",
    "use_recovery_code",
    "verify_guest_code",
    "_check_code",
}

# Functions that are themselves checks, called only as the `check` of a guarded attempt (the
# calls to *them* are held to the same rule): file -> function names.
CHECKS_INSIDE_CHECKS = {
    # confirm_enrolment is verify_code plus marking the factor confirmed
    "lookout/accounts/otp.py": {"confirm_enrolment"},
    # verify_guest_code runs _check_code in a transaction of its own
    "lookout/privacy/verification.py": {"verify_guest_code"},
}


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _guarded_checks(tree: ast.AST) -> tuple[set[int], set[str]]:
    """The ids of lambdas written as `check=` of a `guarded(...)` call, and the names of local
    functions passed there."""
    lambdas: set[int] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node) == "guarded":
            for keyword in node.keywords:
                if keyword.arg != "check":
                    continue
                if isinstance(keyword.value, ast.Lambda):
                    lambdas.add(id(keyword.value))
                elif isinstance(keyword.value, ast.Name):
                    names.add(keyword.value.id)
    return lambdas, names


def _unlimited_checks(path: Path) -> list[str]:
    relative = str(path.relative_to(REPO))
    tree = ast.parse(path.read_text(), filename=relative)
    lambdas, names = _guarded_checks(tree)
    allowed_defs = CHECKS_INSIDE_CHECKS.get(relative, set())
    found: list[str] = []

    def visit(node: ast.AST, enclosing: list[ast.AST]) -> None:
        if isinstance(node, ast.Call) and _name(node) in CHECKS:
            inside_guard = any(
                id(scope) in lambdas
                or (isinstance(scope, ast.FunctionDef) and scope.name in names)
                or (isinstance(scope, ast.FunctionDef) and scope.name in allowed_defs)
                for scope in enclosing
            )
            if not inside_guard:
                found.append(f"{relative}:{node.lineno} {_name(node)}(...)")
        scope: list[ast.AST] = [node] if isinstance(node, ast.Lambda | ast.FunctionDef) else []
        for child in ast.iter_child_nodes(node):
            visit(child, enclosing + scope)

    visit(tree, [])
    return found


def _product_files() -> list[Path]:
    return [
        path
        for path in sorted((REPO / "lookout").rglob("*.py"))
        if not {"tests", "testing"} & set(path.relative_to(REPO).parts)
        and path.name != "testing.py"
    ]


@pytest.mark.commitment("C4.7")
def test_every_password_and_code_check_goes_through_the_limiter():
    # given the product code, when every password or code check in it is found
    unlimited = [line for path in _product_files() for line in _unlimited_checks(path)]
    # then each is the check of a guarded attempt
    assert not unlimited, (
        "password or code checks outside accounts.throttle.guarded (route them through it):\n"
        + "\n".join(unlimited)
    )


def test_the_search_finds_the_checks_it_is_about():
    """The test above passes only because it finds them guarded, not because it finds nothing."""
    files = {str(p.relative_to(REPO)): p for p in _product_files()}
    calls = [
        (relative, _name(node))
        for relative, path in files.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and _name(node) in CHECKS
    ]
    assert ("lookout/accounts/views.py", "authenticate") in calls
    assert ("lookout/accounts/views.py", "verify_code") in calls
    assert ("lookout/privacy/verification.py", "check_password") in calls
    assert ("lookout/privacy/views.py", "verify_guest_code") in calls
    assert ("lookout/accounts/forms.py", "check_password") in calls


def test_djangos_own_password_pages_are_served_through_the_limited_views():
    from django.contrib import admin
    from django.urls import resolve

    from lookout.accounts import views
    from lookout.accounts.forms import LimitedAdminAuthenticationForm, LimitedPasswordChangeForm

    assert resolve("/admin/login/").func is views.admin_login_view
    assert admin.site.login_form is LimitedAdminAuthenticationForm
    assert resolve("/admin/password_change/").func is views.admin_password_change_view
    change = resolve("/accounts/password/change/").func
    assert change.view_class.form_class is LimitedPasswordChangeForm  # type: ignore[attr-defined]
