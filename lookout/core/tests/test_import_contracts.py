"""The import contracts (.importlinter) hold, and breaking one fails the check (issue 25).

`make lint` runs `lint-imports` on the real tree. Here the check runs on a copy of the package
with one import added that a contract forbids, so the test shows the contract would catch it,
and on an untouched copy, so it shows the copy alone does not fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent

REPO = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("contracts")
    for package in ("lookout", "sandbox_processor"):
        shutil.copytree(
            REPO / package,
            root / package,
            ignore=shutil.ignore_patterns(
                "__pycache__", "*.html", "*.css", "*.js", "*.png", "*.svg"
            ),
        )
    shutil.copy(REPO / ".importlinter", root / ".importlinter")
    return root


def _lint(root: Path, contract: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *(["--contract", contract] if contract else [])],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _with_module(root: Path, name: str, source: str) -> Path:
    path = root / Path(*name.split(".")).with_suffix(".py")
    path.write_text(source, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        # core reaching up into an app
        ("lookout.core.contract_probe", "import lookout.retention.models\n", "layers"),
        # a domain app importing the back office
        ("lookout.orders.contract_probe", "from lookout.staff import views\n", "layers"),
        # analytics reading a person's data
        ("lookout.analytics.contract_probe", "import lookout.vault.crypto\n", "analytics-blind"),
        # ... or orders other than through the declared aggregate
        ("lookout.analytics.contract_probe", "import lookout.orders.models\n", "analytics-blind"),
        # two apps importing each other (cart reads the catalog; the catalog reading the cart
        # would close a cycle)
        ("lookout.catalog.contract_probe", "import lookout.cart.services\n", "no-app-cycles"),
        # ... also through a third app
        ("lookout.inbox.contract_probe", "import lookout.shipping.webhooks\n", "no-app-cycles"),
        # the store's webhook check importing the sandbox processor's signing
        (
            "lookout.payments.contract_probe",
            "from sandbox_processor import signing\n",
            "sandbox-only-where-wanted",
        ),
        # ... or another app building a processor of its own
        (
            "lookout.checkout.contract_probe",
            "import sandbox_processor.app\n",
            "sandbox-only-where-wanted",
        ),
        # the stand-in for an outside service reaching into the store
        (
            "sandbox_processor.contract_probe",
            "from lookout.payments import sandbox_client\n",
            "sandbox-stands-alone",
        ),
        # a function-level import is an import too
        (
            "lookout.vault.contract_probe",
            "def later():\n    from lookout.orders import services\n",
            "layers",
        ),
    ],
)
def test_an_import_a_contract_forbids_fails_the_check(package_copy, module, source, contract):
    # given the tree as it is, which keeps the contract
    assert _lint(package_copy, contract).returncode == 0
    # when one module adds the import, then the contract is broken
    probe = _with_module(package_copy, module, source)
    try:
        result = _lint(package_copy, contract)
    finally:
        probe.unlink()
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout


def test_the_tree_as_it_is_keeps_every_contract(package_copy):
    result = _lint(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_imports_another_apps_private_names():
    """`from lookout.<app>... import _name` from another app reaches past what that app offers
    (the self-audit once opened every data key through the vault's private unwrap)."""
    offenders = []
    for path in sorted((REPO / "lookout").rglob("*.py")):
        relative = path.relative_to(REPO)
        if "tests" in relative.parts or relative.parts[1] in {"testing"}:
            continue
        own_app = relative.parts[1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if not module.startswith("lookout."):
                continue
            app = module.split(".")[1]
            private = [a.name for a in node.names if a.name.startswith("_")]
            if app != own_app and private:
                offenders.append(f"{relative}:{node.lineno} {module} {private}")
    assert not offenders, "\n".join(offenders)
