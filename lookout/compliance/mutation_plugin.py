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
import shutil
import sqlite3
from pathlib import Path
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


# --- migrated test databases, copied instead of migrated again -------------------------------
#
# Every mutant's run sets up its test databases, and on SQLite that meant applying some 200
# migrations per database: 3-6 s of each mutant's run, often more than its tests took. With
# MUTATION_DB_TEMPLATE naming a directory (scripts/mutation.py sets it for a module no migration
# imports), the first run that creates a database, with no mutant active, saves a copy of it
# there; every later run copies that file to its own database's name and skips the
# migrations. A module a migration imports (the vault's field, the audit chain) is left out:
# its mutants must meet the migrations too.


def pytest_sessionstart(session: pytest.Session) -> None:
    directory = os.environ.get("MUTATION_DB_TEMPLATE")
    if directory:
        copy_migrated_databases(Path(directory))


def copy_migrated_databases(directory: Path) -> None:
    from django.db.backends.sqlite3.creation import DatabaseCreation

    if getattr(DatabaseCreation.create_test_db, "copies_template", False):
        return
    original = DatabaseCreation.create_test_db

    def create_test_db(self: DatabaseCreation, *args: Any, **kwargs: Any) -> str:
        """Django's, or a copy of the template: the same database under the same name (the
        arguments are Django's own; a copied database is never kept or serialised, which
        `make mutation` never asks for)."""
        from django.conf import settings

        name = str(self._get_test_db_name())  # type: ignore[attr-defined]
        template = directory / f"{self.connection.alias}.sqlite3"
        if self.is_in_memory_db(name) or kwargs.get("keepdb") or kwargs.get("serialize"):
            return original(self, *args, **kwargs)
        if not template.exists():
            created = original(self, *args, **kwargs)
            _save_template(Path(created), template)
            return created
        Path(name).unlink(missing_ok=True)
        shutil.copyfile(template, name)
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        return name

    create_test_db.copies_template = True  # type: ignore[attr-defined]
    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign, assignment]


def _save_template(database: Path, template: Path) -> None:
    """A consistent copy through SQLite's backup API (the file may have a journal beside it),
    put in place in one rename: a run reading it meanwhile sees the whole file or none."""
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_name(f".{template.name}.{os.getpid()}")
    with sqlite3.connect(database) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    os.replace(partial, template)
