"""Pytest plugin loaded only by `make mutation` (scripts/mutation.py): each mutant's test run gets
test databases of its own.

mutmut forks its workers from one process, so every worker inherits the test database names the
settings chose from that process's id (decision 0024). Two mutants tested at once would then
create, use and drop the same databases, and a mutant could be counted as killed by the other
run's interference. pytest-django adds the suffix in TOX_PARALLEL_ENV to every test database's
name, so each worker sets it to its own process id before its session starts.

pytest-django adds that suffix to the settings of the process it runs in, and mutmut runs the
clean tests, the forced failure and the statistics in the process its workers fork from: each
worker would inherit names already carrying three suffixes and add its own. PostgreSQL cuts a
name at 63 characters, so two workers' key-store databases ended with the same name. Each
worker therefore starts from the names the settings chose, with none of the earlier suffixes.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

SUFFIX = "_mutant"


def pytest_configure(config: pytest.Config) -> None:
    os.environ["TOX_PARALLEL_ENV"] = f"mutant{os.getpid()}"
    forget_earlier_suffixes()


def forget_earlier_suffixes(databases: dict[str, Any] | None = None) -> None:
    """Cut every test database name back to what the settings chose (before any suffix)."""
    if databases is None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        try:
            databases = settings.DATABASES
        except ImproperlyConfigured:  # no settings yet: no name to cut
            return
    for database in databases.values():
        test = database.get("TEST") or {}
        name = test.get("NAME")
        if isinstance(name, str) and SUFFIX in name:
            test["NAME"] = name.split(SUFFIX, 1)[0]
