"""The database triggers that make the audit table append-only (commitment C4.4).

Even code that bypasses `record()` (a raw SQL UPDATE, an ORM `.delete()`, a bug) cannot change
or remove an entry: the database itself refuses. Both refusals surface as `IntegrityError`.
TRUNCATE is not refused on PostgreSQL (row triggers do not see it) so that the test suite can
flush; production should not grant the application's database role TRUNCATE on this table.

Migration 0002 holds its own frozen copy of this SQL; a test checks both stay identical.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

MESSAGE = "audit log is append-only"

SQLITE_CREATE = [
    "CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete",
]
POSTGRESQL_CREATE = [
    "CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; "
    "END; $$",
    "CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_auditentry_append_only()",
]
STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
}


def _statements(connection: BaseDatabaseWrapper, index: int) -> list[str]:
    if connection.vendor not in STATEMENTS:
        raise NotImplementedError(
            f"The audit log's append-only triggers exist for SQLite and PostgreSQL only, "
            f"not {connection.vendor}."
        )
    return STATEMENTS[connection.vendor][index]


def create_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, 0):
            cursor.execute(sql)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, 1):
            cursor.execute(sql)
