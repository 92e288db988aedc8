"""The incident pages give their dates as a person reads them, the machine time kept in
`<time datetime>`, and no raw code in their text (issue 22)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.core.purposes import Purpose
from lookout.incidents.models import Incident
from lookout.testing.pages import reads_as_machine

pytestmark = pytest.mark.django_db


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return f'<time datetime="{moment.isoformat()}">{moment.day} {moment:%B %Y, %H:%M} UTC</time>'


def test_the_incident_list_and_page_give_dates_in_words(staff, customer) -> None:
    _, client = staff(Role.PRIVACY_OFFICER)
    thief, _ = staff(Role.AFTER_SALES)
    person = customer()
    reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    now = timezone.now().replace(second=0, microsecond=0)
    response = client.post(
        "/staff/incidents/new/",
        {
            "kind": "staff_account",
            "staff_subject": str(thief.subject),
            "started_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "measures": "Password reset; sessions ended.",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    client.post(f"/staff/incidents/{incident.id}/notify/")
    client.post(f"/staff/incidents/{incident.id}/authority/")
    incident.refresh_from_db()
    assert incident.people_notified_at and incident.authority_notified_at

    listing = client.get("/staff/incidents/").content.decode()
    page = client.get(f"/staff/incidents/{incident.id}/").content.decode()

    for moment in (incident.due_at, incident.started_at, incident.ended_at):
        assert _when(moment) in listing and _when(moment) in page
    assert "notified " + _when(incident.authority_notified_at) in listing
    assert "Notices posted " + _when(incident.people_notified_at) in page
    notified = incident.exposures.get().notified_at
    assert f'<td data-label="Notified">{_when(notified)}</td>' in page
    assert reads_as_machine(listing) == [], reads_as_machine(listing)
    assert reads_as_machine(page) == [], reads_as_machine(page)


def test_the_incident_page_names_the_exposed_data_in_words(staff, customer) -> None:
    _, client = staff(Role.PRIVACY_OFFICER)
    thief, _ = staff(Role.AFTER_SALES)
    person = customer()
    reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    now = timezone.now()
    client.post(
        "/staff/incidents/new/",
        {
            "kind": "staff_account",
            "staff_subject": str(thief.subject),
            "started_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "measures": "Password reset; sessions ended.",
        },
    )
    incident = Incident.objects.get()
    assert incident.exposures.get().exposed == ["accounts.User.email"]

    page = client.get(f"/staff/incidents/{incident.id}/").content.decode()

    # the stored field name, in the words the audit log page uses for it
    assert '<td data-label="Exposed">email address (account)' in page
    assert "accounts.User.email" not in page
    assert reads_as_machine(page) == [], reads_as_machine(page)
