"""The officer's incident pages: only the privacy officer reaches them (others get the 404 of a
missing page), people appear by pseudonymous id, and an email is shown only through the gate,
audited (C4.3, C4.8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.incidents.models import Incident

pytestmark = pytest.mark.django_db

FORMAT = "%Y-%m-%dT%H:%M"


def _form(thief, **extra):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return {
        "kind": "staff_account",
        "staff_subject": str(thief.subject),
        "started_at": (now - timedelta(hours=1)).strftime(FORMAT),
        "ended_at": (now + timedelta(hours=1)).strftime(FORMAT),
        "measures": "Password reset; sessions ended.",
        **extra,
    }


@pytest.mark.commitment("C4.3", "C4.8")
@pytest.mark.parametrize("role", [r for r in Role if r != Role.PRIVACY_OFFICER])
def test_other_roles_get_the_404_of_a_missing_page(staff, role) -> None:
    _, officer_client = staff(Role.PRIVACY_OFFICER)
    thief, _ = staff(Role.AFTER_SALES)
    officer_client.post("/staff/incidents/new/", _form(thief))
    incident = Incident.objects.get()
    _, client = staff(role)
    for url in ("/staff/incidents/", "/staff/incidents/new/", f"/staff/incidents/{incident.id}/"):
        assert client.get(url).status_code == 404
    for action in ("notify", "authority", "compute", "email"):
        assert client.post(f"/staff/incidents/{incident.id}/{action}/").status_code == 404
    assert incident.exposures.filter(notified_at__isnull=False).count() == 0


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/staff/incidents/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.commitment("C4.8")
def test_the_officer_records_an_incident_and_sees_pseudonymous_ids_only(staff, customer) -> None:
    officer, client = staff(Role.PRIVACY_OFFICER)
    thief, _ = staff(Role.AFTER_SALES)
    person = customer()
    reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    email = reveal(person, ["email"], purpose=Purpose.SELF_SERVICE, actor=person)["email"]

    response = client.post("/staff/incidents/new/", _form(thief))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{incident.id}/")
    page = client.get(response["Location"]).content.decode()
    assert str(person.subject) in page and "email address (account)" in page
    assert "1</strong> people affected" in page
    assert email not in page

    # Showing the email goes through the gate for the legal purpose, and is audited
    before = AuditEntry.objects.filter(subject_ref=str(person.subject), purpose="legal").count()
    shown = client.post(
        f"/staff/incidents/{incident.id}/email/", {"subject": str(person.subject)}
    ).content.decode()
    assert email in shown
    assert (
        AuditEntry.objects.filter(
            subject_ref=str(person.subject),
            actor_ref=str(officer.subject),
            action="reveal",
            purpose="legal",
        ).count()
        == before + 1
    )


@pytest.mark.commitment("C4.8")
def test_the_form_explains_what_is_missing(staff) -> None:
    _, client = staff(Role.PRIVACY_OFFICER)
    thief, _ = staff(Role.AFTER_SALES)
    response = client.post("/staff/incidents/new/", _form(thief, staff_subject=""))
    assert response.status_code == 400
    assert "Choose the staff account." in response.content.decode()
    now = timezone.now().strftime(FORMAT)
    response = client.post("/staff/incidents/new/", _form(thief, started_at=now, ended_at=now))
    assert response.status_code == 400 and "must end after it starts" in response.content.decode()
    assert not Incident.objects.exists()
    bad = client.post(f"/staff/incidents/{Incident().id}/email/", {"subject": "nope"})
    assert bad.status_code == 404
