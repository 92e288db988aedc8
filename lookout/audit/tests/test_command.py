import io

import pytest
from django.core.management import call_command
from django.db import connection

from lookout.audit.services import record
from lookout.audit.testing import append_only_suspended
from lookout.compliance.management.commands import audit as audit_command


def _run():
    out, err = io.StringIO(), io.StringIO()
    code: str | int | None = 0
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_verify_command_reports_a_sound_log():
    for n in range(3):
        record(actor=None, action="test.entry", detail={"n": n})

    code, out, _ = _run()

    assert code == 0
    assert "Audit log OK: 3 entries verified" in out


@pytest.mark.django_db
@pytest.mark.commitment("C4.4")
def test_verify_command_fails_on_a_tampered_log():
    entries = [record(actor=None, action="test.entry", detail={"n": n}) for n in range(3)]
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET action = 'test.other' WHERE seq = %s", [entries[1].seq]
        )

    code, out, err = _run()

    assert code == 1
    assert f"Audit log BROKEN at entry #{entries[1].seq}:" in err
    assert "OK" not in out


@pytest.mark.django_db
def test_verify_command_shows_progress_on_long_chains(monkeypatch):
    monkeypatch.setattr(audit_command, "PAGE_SIZE", 2)
    monkeypatch.setattr(audit_command, "PROGRESS_EVERY", 2)
    for n in range(5):
        record(actor=None, action="test.entry", detail={"n": n})

    code, out, _ = _run()

    assert code == 0
    assert "2 entries checked" in out
    assert "4 entries checked" in out
    assert "Audit log OK: 5 entries verified" in out


def test_audit_command_needs_a_subcommand():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("audit")
