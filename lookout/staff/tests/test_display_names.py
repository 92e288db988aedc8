"""Staff display names (issue 22, item 2): the administrator gives a staff member a work name;
colleagues see it in the back office and the audit log instead of an id. Staff data only."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.core.purposes import Purpose
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db

URL = "/staff/administrator/staff/display-name/"


def _as(role: str) -> tuple[User, Client]:
    user = create_account(
        email=f"{role}-{uuid.uuid4().hex[:6]}@staff.example", password="x" * 16, role=role
    )
    client = client_past_second_factor(user)
    return user, client


def test_the_administrator_names_a_staff_member_and_the_audit_log_shows_it() -> None:
    # given an administrator and an after-sales agent who read a customer's email
    _, admin = _as(Role.ADMINISTRATOR)
    agent, _ = _as(Role.AFTER_SALES)
    record(
        actor=agent,
        action="reveal",
        subject=uuid.uuid4(),
        fields=["accounts.User.email"],
        purpose=Purpose.AFTER_SALES,
        outcome="granted",
    )

    # when the administrator names the agent
    response = admin.post(URL, {"user": str(agent.id), "display_name": "  Sam   Rivera "})

    # then the name is kept (spaces tidied), and the change is audited without the name
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.display_name == "Sam Rivera"
    entry = AuditEntry.objects.get(action="staff.display_name_set")
    assert entry.subject_ref == str(agent.subject)
    assert "Sam" not in str(entry.detail) and "Sam" not in entry.target
    # and the administrator's page shows it
    assert "Sam Rivera" in admin.get("/staff/administrator/").content.decode()

    # and the privacy officer's audit log names the agent by it, in the rows and the filter
    _, officer = _as(Role.PRIVACY_OFFICER)
    page = officer.get("/staff/privacy/audit/").content.decode()
    assert f"Sam Rivera (After-sales · {str(agent.subject)[:8]})" in page
    assert "Staff display name set" in page
    # and the agent sees their own name in the back office's navigation
    agent_client = client_past_second_factor(agent)
    assert "Sam Rivera" in agent_client.get("/staff/after-sales/").content.decode()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("sam@example.com", "not an email address"),
        ("x" * 61, "at most 60 characters"),
        ("Sam\x07", "plain text on one line"),
    ],
)
def test_a_name_that_is_not_a_name_is_refused(name: str, reason: str) -> None:
    _, admin = _as(Role.ADMINISTRATOR)
    agent, _ = _as(Role.AFTER_SALES)
    response = admin.post(URL, {"user": str(agent.id), "display_name": name})
    assert response.status_code == 400 and reason in response.content.decode()
    agent.refresh_from_db()
    assert agent.display_name == ""
    assert not AuditEntry.objects.filter(action="staff.display_name_set").exists()


def test_customers_get_no_display_name_and_only_the_administrator_sets_one() -> None:
    _, admin = _as(Role.ADMINISTRATOR)
    customer = create_account(email="ann.person@example.com", password="x" * 16)
    refused = admin.post(URL, {"user": str(customer.id), "display_name": "Ann"})
    assert refused.status_code == 400
    customer.refresh_from_db()
    assert customer.display_name == ""

    agent, client = _as(Role.AFTER_SALES)
    for role in (Role.AFTER_SALES, Role.PRIVACY_OFFICER, Role.FINANCE):
        _, client = _as(role)
        assert client.post(URL, {"user": str(agent.id), "display_name": "Me"}).status_code == 404
    agent.refresh_from_db()
    assert agent.display_name == ""
