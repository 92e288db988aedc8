"""Database triggers that refuse UPDATE and DELETE on the audit log (C4.4).

The SQL is copied here rather than imported, so this migration never changes after it ran;
lookout/audit/triggers.py holds the same statements for tests, and a test compares the two.
"""

from django.db import migrations

MESSAGE = "audit log is append-only"

CREATE = {
    "sqlite": [
        "CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        "CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; "
        "END; $$",
        "CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
        "FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only()",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_auditentry_no_update",
        "DROP TRIGGER IF EXISTS audit_auditentry_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry",
        "DROP FUNCTION IF EXISTS audit_auditentry_append_only()",
    ],
}


def _run(statements, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise NotImplementedError(f"No append-only audit triggers for {vendor}.")
    for sql in statements[vendor]:
        schema_editor.execute(sql, params=None)


def create_triggers(apps, schema_editor):
    _run(CREATE, schema_editor)


def drop_triggers(apps, schema_editor):
    _run(DROP, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
