"""The flush after a transactional test, without the work that changes nothing.

Django empties every table after a `transaction=True` test (`TransactionTestCase`): on
PostgreSQL one TRUNCATE of all ~170 tables, which makes new files for every table and index
(about 0.3 s a database), then the post_migrate signal re-creates every content type and
permission row it has just deleted (about 0.35 s a database). With two databases that is over a
second per test, and about a hundred such tests ran in each pass.

Here only the tables that hold rows are emptied (one query finds them; DELETE with the foreign
keys deferred, TRUNCATE for the append-only audit table whose triggers refuse DELETE), and the
content type and permission rows that post_migrate would re-create are left in place when they
are exactly the rows the migrations made (same count, same highest id). The end state is the
one Django's flush leaves: `lookout/testing/tests/test_flush.py` compares the two. Whenever
that cannot be shown cheaply (a test changed those rows, a database other than SQLite or
PostgreSQL, `available_apps` or serialized rollback in use), Django's own flush runs instead.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management import call_command
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import TransactionTestCase

from lookout.audit.models import AuditEntry

# The tables post_migrate fills again after Django's flush (contenttypes' and auth's handlers).
RECREATED = ("django_content_type", "auth_permission")
# Tables whose rows triggers refuse to delete: PostgreSQL empties them with TRUNCATE, which row
# triggers do not see (on SQLite the tests empty them first: lookout.audit.testing).
TRUNCATED = (AuditEntry._meta.db_table,)
VENDORS = ("sqlite", "postgresql")
# SQLite's default limit on the parts of one compound SELECT is 500.
CHUNK = 400
SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")

_django_teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]
# alias -> {table: (count, highest id)} as the migrations left them
_made_by_migrations: dict[str, dict[str, tuple[int, int]]] = {}


def _recreated_rows(connection: BaseDatabaseWrapper) -> dict[str, tuple[int, int]]:
    rows = {}
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in RECREATED:
            if table not in present:
                continue
            cursor.execute(f"SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            count, highest = cursor.fetchone()
            rows[table] = (int(count), int(highest))
    return rows


def remember_migrated_state() -> None:
    """Called once the test databases are migrated, before any test writes to them."""
    for alias in connections:
        connection = connections[alias]
        if connection.settings_dict["TEST"]["MIRROR"] or connection.vendor not in VENDORS:
            continue
        _made_by_migrations[alias] = _recreated_rows(connection)


def tables_with_rows(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    """The tables among `tables` holding at least one row, in one query per 400 tables."""
    found: list[str] = []
    quote = connection.ops.quote_name
    for start in range(0, len(tables), CHUNK):
        part = tables[start : start + CHUNK]
        for name in part:
            if not SAFE_NAME.match(name):
                raise ValueError(f"unexpected table name {name!r}")
        sql = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {quote(name)})"  # noqa: S608
            for name in part
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            found.extend(row[0] for row in cursor.fetchall())
    return found


def flush_quickly(connection: BaseDatabaseWrapper) -> bool:
    """Empty the database as Django's flush would; False when that cannot be done here (the
    caller then runs Django's flush)."""
    made = _made_by_migrations.get(connection.alias)
    if made is None or connection.vendor not in VENDORS:
        return False
    if _recreated_rows(connection) != made:
        return False
    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in RECREATED
    ]
    filled = tables_with_rows(connection, sorted(tables))
    if not filled:
        return True
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in filled:
            verb = "TRUNCATE" if postgres and table in TRUNCATED else "DELETE FROM"
            cursor.execute(f"{verb} {quote(table)}")
    return True


def fixture_teardown(self: Any) -> None:
    """`TransactionTestCase._fixture_teardown`, flushing each database with `flush_quickly`."""
    if self.available_apps is not None or self.serialized_rollback:
        _django_teardown(self)
        return
    for db_name in self._databases_names(include_mirrors=False):
        connection = connections[db_name]
        if not flush_quickly(connection):
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=db_name,
                reset_sequences=False,
                allow_cascade=False,
                inhibit_post_migrate=False,
            )
            if db_name in _made_by_migrations:  # post_migrate made them again, with new ids
                _made_by_migrations[db_name] = _recreated_rows(connection)


def install() -> None:
    TransactionTestCase._fixture_teardown = fixture_teardown  # type: ignore[attr-defined]
