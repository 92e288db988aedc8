import pytest
from django.db import IntegrityError, connection, transaction

from lookout.audit import triggers
from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.audit.testing import append_only_suspended
from lookout.audit.verify import verify_chain


@pytest.fixture
def entry():
    record(actor=None, action="test.first")
    return record(actor=None, action="test.second", purpose="legal")


def _refused():
    return pytest.raises(IntegrityError, match="append-only")


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_orm_update_is_refused(entry):
    entry.purpose = "marketing"

    with _refused(), transaction.atomic():
        entry.save()
    with _refused(), transaction.atomic():
        AuditEntry.objects.filter(seq=entry.seq).update(purpose="marketing")

    assert AuditEntry.objects.get(seq=entry.seq).purpose == "legal"
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_orm_delete_is_refused(entry):
    with _refused(), transaction.atomic():
        entry.delete()
    with _refused(), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 2
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_raw_sql_update_and_delete_are_refused(entry):
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET purpose = 'marketing'")
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [entry.seq])

    assert AuditEntry.objects.get(seq=entry.seq).purpose == "legal"
    assert AuditEntry.objects.count() == 2


def _trigger_definitions():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_auditentry' ORDER BY name"
            )
        else:
            cursor.execute(
                "SELECT t.tgname, pg_get_triggerdef(t.oid), pg_get_functiondef(t.tgfoid) "
                "FROM pg_trigger t WHERE t.tgrelid = 'audit_auditentry'::regclass "
                "AND NOT t.tgisinternal ORDER BY t.tgname"
            )
        return cursor.fetchall()


@pytest.mark.django_db
def test_test_helper_recreates_exactly_what_the_migration_created(entry):
    from_migration = _trigger_definitions()

    with append_only_suspended():
        assert _trigger_definitions() == []

    assert from_migration
    assert _trigger_definitions() == from_migration
    assert triggers.MESSAGE in repr(from_migration)
