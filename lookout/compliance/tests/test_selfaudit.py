"""The live self-audit (`lookout audit run`): each check finds the problem it is there to find."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.audit.testing import (  # noqa: F401
    append_only_suspended,
    audit_triggers_suspended,
)
from lookout.compliance.models import SelfAuditRun
from lookout.compliance.selfaudit import data_checks, ops_checks
from lookout.compliance.selfaudit.runner import run_self_audit
from lookout.core.scheduler import periodic_jobs, resolve
from lookout.inbox.models import Message
from lookout.sharing.models import DataAgreement, Disclosure, Partner
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db

CARD = "4111111111111111"  # Luhn-valid test number
NOT_A_CARD = "4111111111111112"  # same length, fails Luhn


def _plant(value: str) -> None:
    """Write `value` in plaintext into a table, bypassing every service (what an attacker, a bug
    or a careless migration could do)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS planted_rows (id integer, note text)")
        cursor.execute("INSERT INTO planted_rows (id, note) VALUES (1, %s)", [value])


@pytest.mark.commitment("C2.3", "C4.2")
@pytest.mark.parametrize(
    ("planted", "kind"),
    [("Contact mallory.person@example.org", "email"), (f"card {CARD} exp 12/30", "card")],
)
def test_a_planted_plaintext_email_or_card_is_found(planted: str, kind: str) -> None:
    # given a clean store, then personal data written in plaintext into a table
    assert data_checks.plaintext_scan().ok
    _plant(planted)

    # when the store is scanned
    result = data_checks.plaintext_scan()

    # then the finding names where it is, and not what it is
    assert not result.ok
    assert {"database": "default", "table": "planted_rows", "column": "note"}.items() <= (
        result.evidence["found"][0].items()
    )
    assert result.evidence["found"][0]["kind"] == kind
    assert planted.split()[1] not in json.dumps(result.as_json())


def test_digits_that_fail_luhn_and_the_stores_own_address_are_not_findings() -> None:
    _plant(f"order reference {NOT_A_CARD}")
    _plant("Write to no-reply@example.com")  # DEFAULT_FROM_EMAIL in the test settings
    assert data_checks.plaintext_scan().ok


@pytest.mark.commitment("C2.1")
def test_a_column_missing_from_the_inventory_is_found() -> None:
    # given a table created by raw SQL, unknown to the data inventory
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE stray_notes (id integer primary key, note text)")

    # then the inventory check names its columns
    result = data_checks.inventory_coverage()
    assert not result.ok
    assert "default:stray_notes.note" in result.evidence["unknown_columns"]


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_a_tampered_audit_entry_is_found() -> None:
    # given a chain of entries, one of which is then edited in place
    entries = [record(actor=None, action="test.entry", detail={"n": n}) for n in range(3)]
    assert data_checks.audit_chain().ok
    with append_only_suspended():
        AuditEntry.objects.filter(seq=entries[1].seq).update(action="test.edited")

    # then the self-audit reports the chain broken at that entry
    result = data_checks.audit_chain()
    assert not result.ok
    assert result.evidence["first_broken_seq"] == entries[1].seq


@pytest.mark.commitment("C5.2")
def test_data_sent_to_a_partner_without_an_agreement_is_found() -> None:
    # given a carrier whose agreement expired, and a ledger row written after that
    carrier = Partner.objects.create(name="Late Carrier", kind="carrier")
    DataAgreement.objects.create(
        partner=carrier,
        signed_on=date(2020, 1, 1),
        expires_on=timezone.localdate() - timedelta(days=1),
        document_reference="DPA-1",
    )
    Disclosure.objects.create(
        partner=carrier, subject="00000000-0000-0000-0000-000000000001", purpose="delivery"
    )

    # then the check names the disclosure; one before the last run is not judged again
    result = ops_checks.partner_disclosures(since=None)
    assert not result.ok
    assert result.evidence["bad"][0]["partner"] == "Late Carrier"
    assert ops_checks.partner_disclosures(since=timezone.now()).ok


@pytest.mark.commitment("C6.5")
def test_an_overdue_subject_request_is_found() -> None:
    from lookout.privacy.models import SubjectRequest

    # given a request past its due date
    now = timezone.now()
    SubjectRequest.objects.create(
        subject="00000000-0000-0000-0000-000000000002",
        kind="access",
        via="account",
        created_at=now - timedelta(days=40),
        verified_at=now - timedelta(days=40),
        due_at=now - timedelta(days=10),
    )

    # then the check fails and lists it
    result = ops_checks.subject_requests()
    assert not result.ok
    assert len(result.evidence["overdue"]) == 1


@pytest.mark.commitment("C4.2")
def test_a_data_key_that_does_not_unwrap_is_found() -> None:
    from lookout.vault.crypto import new_subject
    from lookout.vault.models import DataKey

    # given a person's data key whose wrapped bytes were damaged
    subject = new_subject(kind="customer")
    assert data_checks.keys().ok
    DataKey.objects.filter(subject=subject).update(wrapped=b"\x00" * 40)

    # then the key check names it
    result = data_checks.keys()
    assert not result.ok
    assert result.evidence["not_unwrapping"] == [str(subject)]


@pytest.mark.commitment("C4.2")
def test_the_key_check_opens_nothing_off_the_record() -> None:
    from lookout.audit.models import AuditEntry
    from lookout.vault.crypto import new_subject

    # given two people's data keys
    new_subject(kind="customer")
    new_subject(kind="customer")
    # when the self-audit checks the keys
    before = AuditEntry.objects.filter(action="vault.keys_verified").count()
    result = data_checks.keys()
    # then it went through the vault's public check, which is on the audit record with counts
    entries = AuditEntry.objects.filter(action="vault.keys_verified").order_by("-seq")
    assert entries.count() == before + 1
    assert entries[0].detail == {"checked": result.evidence["data_keys"], "failed": 0}
    assert result.evidence["data_keys"] >= 2


@pytest.mark.commitment("C4.1", "C4.7")
def test_development_settings_are_reported_as_not_production_ready(settings) -> None:
    # given the development/test settings: no HTTPS redirect, no HSTS, cookies not Secure
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    result = ops_checks.production_settings()
    assert not result.ok
    assert result.evidence["settings"]["SECURE_SSL_REDIRECT"] is False

    # and with every production setting on, those settings pass
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.DEBUG = False
    assert all(ops_checks.production_settings().evidence["settings"].values())


@pytest.mark.commitment("C7.1")
def test_the_cookie_inventory_matches_what_the_site_can_set(settings) -> None:
    assert ops_checks.cookie_inventory().ok

    # a renamed session cookie that the inventory did not follow would be found
    from lookout.consent import cookies

    original = cookies.inventory

    def stale() -> list[cookies.CookieSpec]:
        return [s for s in original() if s.name != settings.SESSION_COOKIE_NAME]

    cookies.inventory = stale  # type: ignore[assignment]
    try:
        result = ops_checks.cookie_inventory()
    finally:
        cookies.inventory = original  # type: ignore[assignment]
    assert not result.ok
    assert result.evidence["unlisted"] == [settings.SESSION_COOKIE_NAME]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_a_failing_run_is_stored_and_messages_every_privacy_officer(capsys) -> None:
    # given two privacy officers and plaintext planted in a table
    officers = [
        create_account(
            email=f"po{n}@example.com", password="staff-long-pass-1", role="privacy_officer"
        )
        for n in (1, 2)
    ]
    _plant("leak: victim.person@example.org")

    # when the self-audit runs from the command line, as JSON
    try:
        with pytest.raises(SystemExit) as exited:
            call_command("audit", "run", "--json")
    finally:  # committed DDL: the flush after a transactional test would leave the table
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE planted_rows")

    # then it exits 1, prints the failing check, stores the run and tells each officer
    assert exited.value.code == 1
    report = json.loads(capsys.readouterr().out)
    failed = {c["name"] for c in report["checks"] if not c["ok"]}
    assert "plaintext_scan" in failed
    assert "victim.person" not in json.dumps(report)
    run = SelfAuditRun.objects.get()
    assert run.ok is False and str(run.pk) == report["run"]
    rows = {r["id"]: r["status"] for r in report["commitments"]}
    assert rows["C2.3"] == "fail" and rows["C6.2"] == "tests only"
    for officer in officers:
        assert Message.objects.filter(subject=officer.subject).count() == 1


def test_the_self_audit_is_a_periodic_task() -> None:
    entry = next(p for p in periodic_jobs() if p.name == "compliance.self_audit")
    assert resolve(entry.task) is not None


def _staff_client(role: str) -> Client:
    user = create_account(email=f"{role}@example.com", password="staff-long-pass-1", role=role)
    return client_past_second_factor(user)


def test_only_the_privacy_officer_sees_the_self_audit_page() -> None:
    # given a stored run
    run_self_audit(notify=False)

    # then the officer sees it; other roles and customers get the same 404 as a missing page
    page = _staff_client(Role.PRIVACY_OFFICER).get("/compliance/self-audit/")
    assert page.status_code == 200
    assert "plaintext_scan" in page.content.decode()
    for role in (Role.ADMINISTRATOR, Role.WAREHOUSE, ""):
        assert _staff_client(role).get("/compliance/self-audit/").status_code in (404, 302)
    assert Client().get("/compliance/self-audit/").status_code == 404


def test_staff_without_the_second_factor_are_sent_to_it() -> None:
    user = create_account(
        email="po@example.com", password="staff-long-pass-1", role="privacy_officer"
    )
    client = Client()
    client.force_login(user)
    response = client.get("/compliance/self-audit/")
    assert response.status_code == 302
    assert "/accounts/otp/" in response["Location"]
