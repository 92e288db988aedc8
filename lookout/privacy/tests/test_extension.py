"""A request's due date moves later only once, by at most 60 days, with a reason the person
sees (GDPR Art. 12(3), C6.8); overdue means past the extended date (C6.5)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.compliance.selfaudit.ops_checks import subject_requests
from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.privacy.models import ExtensionReason, Kind, SubjectRequest
from lookout.privacy.selectors import officer_queue
from lookout.privacy.services import extend_request, open_request
from lookout.privacy.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _correction(person) -> SubjectRequest:
    response = person.client.post(
        "/privacy/requests/",
        {"kind": Kind.CORRECTION, "password": PASSWORD, "details": "My name is misspelt."},
    )
    assert response.status_code == 302
    return SubjectRequest.objects.get(subject=person.user.subject)


def _inbox(user) -> list[dict[str, str | None]]:
    return [
        reveal(m, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=user)
        for m in Message.objects.filter(subject=user.subject, kind="account")
    ]


@pytest.mark.commitment("C6.8")
def test_the_officer_extends_once_and_the_person_sees_the_date_and_the_reason(person, staff):
    req = _correction(person)
    first_due = req.due_at
    _, officer = staff(Role.PRIVACY_OFFICER)

    response = officer.post(
        f"/privacy/queue/{req.id}/extend/", {"days": "45", "reason": ExtensionReason.COMPLEX}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.due_at == first_due + timedelta(days=45)
    assert req.due_before_extension == first_due and req.extended_at is not None

    # The person sees the new date, the old one and the reason on their request and centre...
    page = person.client.get(f"/privacy/requests/{req.id}/").content.decode()
    assert (
        f'<time datetime="{req.due_at:%Y-%m-%d}">{req.due_at.day} {req.due_at:%B %Y}</time>' in page
    )
    old_due = f'<time datetime="{first_due:%Y-%m-%d}">{first_due.day} {first_due:%B %Y}</time>'
    assert f"extended from {old_due}" in page
    assert str(ExtensionReason.COMPLEX.label) in page
    centre = person.client.get("/privacy/").content.decode()
    assert req.due_at.strftime("%Y-%m-%d") in centre
    # ...and was told in their inbox.
    (message,) = _inbox(person.user)
    assert message["title"] == "We need more time to answer your request"
    body = message["body"] or ""
    assert f"answered by {req.due_at.day} {req.due_at:%B %Y} instead of {first_due.day} " in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body)  # dates as a person reads them
    assert str(ExtensionReason.COMPLEX.label) in body
    # Audited, with the officer's role and the reason code (never typed text).
    entry = AuditEntry.objects.get(action="privacy.request_extended")
    assert entry.actor_role == Role.PRIVACY_OFFICER
    assert entry.detail["days"] == 45 and entry.detail["reason"] == "complex"

    # A second extension is refused, clearly, and changes nothing.
    again = officer.post(
        f"/privacy/queue/{req.id}/extend/", {"days": "10", "reason": ExtensionReason.COMPLEX}
    )
    assert again.status_code == 409
    assert "extended only once" in again.content.decode()
    req.refresh_from_db()
    assert req.due_at == first_due + timedelta(days=45)
    assert len(_inbox(person.user)) == 1
    assert AuditEntry.objects.filter(action="privacy.request_extended").count() == 1


@pytest.mark.commitment("C6.8")
@pytest.mark.parametrize(
    "data, message",
    [
        ({"days": "61", "reason": "complex"}, "at most 60 days"),
        ({"days": "0", "reason": "complex"}, "at least 1 day"),
        ({"days": "30", "reason": ""}, "Choose the reason the person will see."),
        ({"days": "30", "reason": "because"}, "Select a valid choice."),
        ({"reason": "complex"}, "Say how many days you need."),
    ],
)
def test_a_longer_extension_or_one_without_a_reason_is_refused(person, staff, data, message):
    req = _correction(person)
    _, officer = staff(Role.PRIVACY_OFFICER)
    response = officer.post(f"/privacy/queue/{req.id}/extend/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    req.refresh_from_db()
    assert req.extended_at is None and req.due_before_extension is None
    assert not AuditEntry.objects.filter(action="privacy.request_extended").exists()


@pytest.mark.commitment("C6.8")
def test_the_service_refuses_too_long_no_reason_other_roles_and_decided_requests(person, staff):
    req = _correction(person)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    with pytest.raises(LookoutError, match="1 to 60 days"):
        extend_request(request=req, actor=officer, days=61, reason="complex")
    with pytest.raises(LookoutError, match="Choose the reason"):
        extend_request(request=req, actor=officer, days=10, reason="")
    after_sales, client = staff(Role.AFTER_SALES)
    with pytest.raises(LookoutError, match="Only the privacy officer"):
        extend_request(request=req, actor=after_sales, days=10, reason="complex")
    assert client.post(f"/privacy/queue/{req.id}/extend/", {"days": "10"}).status_code == 404
    SubjectRequest.objects.filter(pk=req.pk).update(status="completed")
    with pytest.raises(LookoutError, match="already been decided"):
        extend_request(request=req, actor=officer, days=10, reason="complex")


@pytest.mark.commitment("C6.8", "C6.5")
def test_overdue_is_counted_from_the_extended_due_date(person, staff):
    officer, _ = staff(Role.PRIVACY_OFFICER)
    start = timezone.now()
    with freeze_time(start):
        req = open_request(
            subject=person.user.subject,
            kind=Kind.CORRECTION,
            via="account",
            actor=None,
            details="wrong",
        )
        extend_request(request=req, actor=officer, days=60, reason=ExtensionReason.MANY_REQUESTS)
    # Past the first due date (30 days) but before the extended one: not overdue anywhere.
    with freeze_time(start + timedelta(days=45)):
        assert [r.overdue for r in officer_queue()] == [False]
        assert subject_requests().ok
    # Past the extended one: overdue on the queue and in the self-audit.
    with freeze_time(start + timedelta(days=91)):
        assert [r.overdue for r in officer_queue()] == [True]
        check = subject_requests()
        assert not check.ok and check.evidence["overdue"][0]["request"] == str(req.id)


@pytest.mark.commitment("C6.8")
def test_an_overdue_request_can_no_longer_be_extended(person, staff):
    officer, _ = staff(Role.PRIVACY_OFFICER)
    req = _correction(person)
    with pytest.raises(LookoutError, match="already overdue"):
        extend_request(
            request=req,
            actor=officer,
            days=30,
            reason="complex",
            now=req.due_at + timedelta(minutes=1),
        )
