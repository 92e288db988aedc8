"""Helpers for operator tests: run `lookout` in a child process with a chosen profile.

Settings are read once per process, so the production profile can only be proven in a process of
its own: these helpers build that process's environment (never the developer's var/ directory).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from lookout.testing.sites import cached_site, site_setup_code

REPO = Path(__file__).resolve().parents[2]
RunLookout = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """The current environment without Lookout's settings, pointed at `var_dir`: the child
    uses its own SQLite files there unless `overrides` name a database."""
    dropped = {"DATABASE_URL", "KEYSTORE_DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOOKOUT_", "DJANGO_", "GRANIAN_")) and key not in dropped
    }
    env["LOOKOUT_VAR_DIR"] = str(var_dir)
    env["PYTHONPATH"] = str(REPO)
    env["DJANGO_SETTINGS_MODULE"] = "lookout.settings"
    env.update(overrides)
    return env


def create_master_key_file(path: Path) -> None:
    """The master key file at `path` unless there is one, made by this process as `lookout keys
    init` makes it (lookout.vault.master.ensure_master_keys), without a `lookout` process (about
    2 s of CPU to start)."""
    from lookout.vault.master import KeyFileSource, new_master_keys

    source = KeyFileSource(path)
    if not source.exists():
        source.save(new_master_keys())


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """Everything production needs: a long random secret key and a master key file (created,
    as `lookout keys init` does: production refuses to start while it is missing)."""
    (tmp_path / "static").mkdir()  # as after `collectstatic`, which `lookout serve` runs
    create_master_key_file(tmp_path / "master-keyset.json")
    return clean_env(
        tmp_path,
        LOOKOUT_ENV="production",
        LOOKOUT_SECRET_KEY=secrets.token_urlsafe(64),
        LOOKOUT_MASTER_KEY_FILE=str(tmp_path / "master-keyset.json"),
        LOOKOUT_ALLOWED_HOSTS="shop.example.com",
    )


def _python(
    argv: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def lookout_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`lookout ARGS` in a child process with `env`, run to the end, its output captured."""
    return _python(["-m", "lookout.cli", *args], env, timeout)


@pytest.fixture
def run_lookout() -> RunLookout:
    return lookout_cli


@pytest.fixture
def run_python() -> RunLookout:
    def run(
        code: str, *, env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return _python(["-c", code], env, timeout)

    return run


def _development_env(var_dir: Path) -> dict[str, str]:
    return clean_env(
        var_dir, LOOKOUT_ENV="development", LOOKOUT_MASTER_KEY_FILE=str(var_dir / "k.json")
    )


@pytest.fixture(scope="session")
def migrated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated development site (both databases, the cache table), as `make run` prepares
    it: a copy, made once per session, of the one lookout.testing.sites keeps for this source
    tree (built in one process the first time; the migrations cost about 13 s of CPU); never
    served: `served_env` hands each module a copy of it."""
    code = site_setup_code(key_file=False)  # no key file: the tests that need one make it

    def build(var_dir: Path) -> None:
        done = lookout_cli("shell", "-c", code, env=_development_env(var_dir), timeout=300)
        assert done.returncode == 0, done.stderr

    template = cached_site(build, "tests.ops migrated_site", code)
    var_dir = tmp_path_factory.mktemp("migrated-site")
    shutil.copytree(template, var_dir, dirs_exist_ok=True)
    return var_dir


@pytest.fixture(scope="module")
def served_env(tmp_path_factory: pytest.TempPathFactory, migrated_site: Path) -> dict[str, str]:
    """A migrated development site of its own (both databases), as `make run` prepares it: a
    copy of `migrated_site`'s files (the same site as running the three commands again in a
    new folder, which cost about 7 s of CPU for each of the five modules that use one)."""
    var_dir = tmp_path_factory.mktemp("serve")
    shutil.copytree(migrated_site, var_dir, dirs_exist_ok=True)
    return _development_env(var_dir)


def start_lookout(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`lookout ARGS` as a long-running child (a server, a worker), its output read as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "lookout.cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(process: subprocess.Popen[str], needle: str, lines: list[str]) -> None:
    """Read output until `needle` appears (it may already have: the worker can start before
    the server says it is ready). Gives up after 60 s instead of hanging the suite."""
    assert process.stdout is not None
    if any(needle in line for line in lines):
        return
    found = threading.Event()

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if needle in line:
                found.set()
                return
        found.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    found.wait(timeout=60)
    if not any(needle in line for line in lines):
        pytest.fail("serve did not print " + repr(needle) + ":\n" + "".join(lines))
