"""Pytest plugin loaded only by `make mutation` (scripts/mutation.py): each mutant's test run gets
test databases of its own.

mutmut forks its workers from one process, so every worker inherits the test database names the
settings chose from that process's id (decision 0024). Two mutants tested at once would then
create, use and drop the same databases, and a mutant could be counted as killed by the other
run's interference. pytest-django adds the suffix in TOX_PARALLEL_ENV to every test database's
name, so each worker sets it to its own process id before its session starts.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    os.environ["TOX_PARALLEL_ENV"] = f"mutant{os.getpid()}"
