"""Which tests may run in one pass of `make test` only (decision 0024).

A test marked `database_independent` runs in the SQLite pass and is skipped in the PostgreSQL
pass beside it: it would repeat exactly the same work. That holds only for a test that never
uses the pass's database; one that does would silently lose its PostgreSQL run. So the suite
refuses to start when a test carries the marker and asks for the database all the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

# pytest-django's fixtures that give a test the pass's database.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
)


def uses_the_pass_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def refuse_misplaced_independent(items: Iterable[pytest.Item]) -> None:
    """Stop the run, naming them, if tests marked `database_independent` use the database."""
    wrong = [
        item.nodeid
        for item in items
        if item.get_closest_marker("database_independent") and uses_the_pass_database(item)
    ]
    if wrong:
        raise pytest.UsageError(
            "marked database_independent but using the pass's database (it would never run on "
            "PostgreSQL): " + ", ".join(wrong)
        )
