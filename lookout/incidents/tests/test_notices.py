"""Notices: the draft to the supervisory authority holds the Art. 33 facts, each affected person
gets one notice in their inbox (Art. 34), and the 72-hour deadline is tracked (C4.8)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.incidents.models import Kind
from lookout.incidents.selectors import overdue_incidents
from lookout.incidents.services import (
    IncidentError,
    authority_notice,
    mark_authority_notified,
    notify_people,
    record_incident,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(staff, customer, settings):  # type: ignore[no-untyped-def]
    settings.LOOKOUT_OPERATOR_NAME = "Lookout Test Operator"
    settings.LOOKOUT_OPERATOR_CONTACT = "dpo@lookout.example"
    thief, _ = staff(Role.AFTER_SALES)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    read, untouched = customer(), customer()
    reveal(read, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    now = timezone.now()
    made = record_incident(
        officer=officer,
        kind=Kind.STAFF_ACCOUNT,
        staff_subject=thief.subject,
        started_at=now - timedelta(hours=1),
        ended_at=now + timedelta(minutes=1),
        aware_at=now,
        measures="The account was closed and its password reset.",
    )
    return made, officer, read, untouched


def _own_messages(user):  # type: ignore[no-untyped-def]
    found = list(Message.objects.filter(subject=user.subject))
    return [reveal(m, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=user) for m in found]


@pytest.mark.commitment("C4.8")
def test_the_authority_notice_holds_the_facts_article_33_asks_for(incident) -> None:
    made, _, _, _ = incident
    text = authority_notice(made)
    assert "Nature of the breach: A staff account of ours was used by someone else" in text
    assert "Approximate number of people concerned: 1." in text
    assert "email address (1 people)" in text
    assert "dpo@lookout.example" in text and "Lookout Test Operator" in text
    assert "phishing" in text  # likely consequences of an exposed email address
    assert "The account was closed and its password reset." in text
    assert "@example.com" not in text  # names nobody


@pytest.mark.commitment("C4.8")
def test_each_affected_person_gets_one_notice_in_their_inbox(incident) -> None:
    made, officer, read, untouched = incident
    assert notify_people(incident=made, officer=officer) == (1, 0)
    [notice] = _own_messages(read)
    assert notice["title"] == "About a security incident that concerns your data"
    assert "email address" in notice["body"] and "dpo@lookout.example" in notice["body"]
    start = made.started_at  # the window as a person reads it, never 2026-12-07 03:00
    assert f"between {start.day} {start:%B %Y, %H:%M} and " in notice["body"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", notice["body"])
    assert _own_messages(untouched) == []
    # Sending again posts nothing twice
    assert notify_people(incident=made, officer=officer) == (0, 0)
    assert len(_own_messages(read)) == 1
    assert made.exposures.get().notified_at is not None
    assert AuditEntry.objects.filter(
        action="incident.people_notified", actor_ref=str(officer.subject)
    ).exists()


@pytest.mark.commitment("C4.8")
def test_the_authority_notice_is_due_72_hours_after_awareness_and_flagged_when_late(
    incident,
) -> None:
    made, officer, _, _ = incident
    assert made.due_at == made.aware_at + timedelta(hours=72)
    with freeze_time(made.aware_at + timedelta(hours=71)):
        assert not made.is_overdue() and made not in overdue_incidents()
    with freeze_time(made.aware_at + timedelta(hours=73)):
        assert made.is_overdue() and list(overdue_incidents()) == [made]
        assert "Reasons for the delay" in authority_notice(made)
        mark_authority_notified(incident=made, officer=officer)
        assert not made.is_overdue() and list(overdue_incidents()) == []
    with pytest.raises(IncidentError, match="already notified"):
        mark_authority_notified(incident=made, officer=officer)


@pytest.mark.commitment("C4.8")
def test_the_self_audit_flags_an_incident_past_its_deadline(incident) -> None:
    from lookout.compliance.selfaudit import ops_checks

    made, officer, _, _ = incident
    assert ops_checks.breach_incidents().ok
    with freeze_time(made.due_at + timedelta(minutes=1)):
        late = ops_checks.breach_incidents()
        assert not late.ok
        assert late.evidence["overdue"] == [
            {"incident": str(made.pk), "kind": "staff_account", "due_at": made.due_at.isoformat()}
        ]
        mark_authority_notified(incident=made, officer=officer)
        assert ops_checks.breach_incidents().ok


@pytest.mark.commitment("C4.8")
def test_the_incident_command_lists_incidents_and_prints_the_notice(incident) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    made, _, _, _ = incident
    out = StringIO()
    call_command("incident", "list", stdout=out)
    assert str(made.id) in out.getvalue() and "1 incident(s), 0 overdue." in out.getvalue()
    with freeze_time(made.due_at + timedelta(minutes=1)):
        out = StringIO()
        call_command("incident", "list", stdout=out)
        assert "OVERDUE" in out.getvalue()
    out = StringIO()
    call_command("incident", "notice", str(made.id), stdout=out)
    assert "Approximate number of people concerned: 1." in out.getvalue()
    assert "@example.com" not in out.getvalue()
    with pytest.raises(CommandError, match="No incident"):
        call_command("incident", "notice", "not-an-id")
