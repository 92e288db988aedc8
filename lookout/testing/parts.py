"""Tests that need a part of the machine: Chromium, PostgreSQL, Redis, a server binary.

On a developer's machine a missing part skips the test, saying which part. In CI (`CI=true`,
set by `.ci/run`) it fails it: CI installs every part, so a missing one means the proofs that
need it were never run, and a green run would claim more than it showed (issue 21).

Every skip for a missing part goes through `missing`; `lookout/compliance/tests/
test_no_silent_skips.py` checks that no test skips for one another way.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(part: str, detail: str = "") -> NoReturn:
    """Skip (locally) or fail (in CI) the running test: `part` is not on this machine."""
    reason = f"missing part: {part}" + (f" ({detail})" if detail else "")
    if in_ci():
        pytest.fail(f"{reason}. CI installs it (.ci/run); a test that needs it may not skip.")
    pytest.skip(reason)


def redis_test_url(default_db: int = 15) -> str:
    """The Redis database this test process may empty: `LOOKOUT_TEST_REDIS_URL` (`make test`
    gives each pass its own), and under pytest-xdist one database further down per worker
    (gw0 the named one, gw1 the one below, ...), so that workers never empty each other's
    queues. `make test` names 15 for the SQLite pass and 11 for the PostgreSQL pass: up to four
    workers each stay apart (docs/testing.md)."""
    url = os.environ.get("LOOKOUT_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{default_db}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, db = url.rsplit("/", 1)
    return f"{base}/{(int(db) - int(worker[2:])) % 16}"
