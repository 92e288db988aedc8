"""Every request has a visible status and due date; the queue orders by due date and flags
overdue ones (C6.5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from lookout.access.roles import Role
from lookout.privacy.models import Kind, SubjectRequest
from lookout.privacy.selectors import officer_queue
from lookout.privacy.services import open_request
from lookout.privacy.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C6.5")
def test_the_due_date_follows_the_operator_setting(person, settings):
    settings.LOOKOUT_SUBJECT_REQUEST_DAYS = 10
    person.client.post("/privacy/requests/", {"kind": Kind.DELETION, "password": PASSWORD})
    request = SubjectRequest.objects.get()
    assert request.due_at - request.created_at == timedelta(days=10)
    page = person.client.get("/privacy/").content.decode()
    assert request.due_at.strftime("%Y-%m-%d") in page and "Delete my data" in page


@pytest.mark.commitment("C6.5")
def test_the_queue_puts_the_earliest_due_first_and_flags_overdue(person, staff):
    start = timezone.now()
    with freeze_time(start - timedelta(days=40)):
        old = open_request(
            subject=person.user.subject,
            kind=Kind.CORRECTION,
            via="account",
            actor=None,
            details="old",
        )
    new = open_request(
        subject=person.user.subject,
        kind=Kind.CORRECTION,
        via="account",
        actor=None,
        details="new",
    )

    rows = officer_queue()
    assert [r.request.id for r in rows] == [old.id, new.id]
    assert [r.overdue for r in rows] == [True, False]

    _, officer = staff(Role.PRIVACY_OFFICER)
    page = officer.get("/privacy/queue/").content.decode()
    assert page.count("OVERDUE") == 1
    assert "1 overdue" in page
