"""The privacy officer's audit log reads like a history (issue 22, item 2): actions, fields,
roles and purposes in words, filters by person, role, action, purpose, whose data and dates,
numbered pages; no raw codes, no customer's personal data."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.core.purposes import Purpose
from lookout.staff.audit_log import PER_PAGE
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db

URL = "/staff/privacy/audit/"


def _as(role: str) -> tuple[User, Client]:
    user = create_account(
        email=f"{role}-{uuid.uuid4().hex[:6]}@staff.example", password="x" * 16, role=role
    )
    client = client_past_second_factor(user)
    return user, client


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r'<tr id="entry-\d+">(.*?)</tr>', body, re.S)


@pytest.fixture
def history() -> dict[str, object]:
    """An after-sales agent read a customer's email on 1 March; finance read another's on
    5 March and was refused once; the store ran retention on 9 March."""
    agent, _ = _as(Role.AFTER_SALES)
    clerk, _ = _as(Role.FINANCE)
    ann, bob = uuid.uuid4(), uuid.uuid4()
    with freeze_time("2026-03-01 10:00:00"):
        record(
            actor=agent,
            action="reveal",
            subject=ann,
            fields=["accounts.User.email"],
            purpose=Purpose.AFTER_SALES,
            outcome="granted",
        )
    with freeze_time("2026-03-05 10:00:00"):
        record(
            actor=clerk,
            action="reveal",
            subject=bob,
            fields=["orders.Delivery.name"],
            purpose=Purpose.REFUND,
            outcome="granted",
        )
        record(
            actor=clerk,
            action="reveal.refused",
            subject=bob,
            fields=["orders.Delivery.phone"],
            purpose=Purpose.REFUND,
            outcome="refused",
        )
    with freeze_time("2026-03-09 10:00:00"):
        record(actor=None, action="retention.run")
    return {"agent": agent, "clerk": clerk, "ann": ann, "bob": bob}


def test_entries_read_in_words_without_codes(history) -> None:
    _, client = _as(Role.PRIVACY_OFFICER)
    page = client.get(URL).content.decode()

    rows = _rows(page)
    assert len(rows) >= 4
    text = " ".join(rows)
    # actions, fields, roles, purposes in words
    assert "Read personal data" in text and "Tried to read personal data (refused)" in text
    assert "email address (account)" in text and "name (delivery)" in text
    assert "After-sales" in text and "Finance" in text and "Refund" in text
    assert "The store (automatic)" in text and "Retention run" in text
    assert "1 Mar 2026, 10:00" in text
    # and no raw codes
    for code in (
        ">reveal<",
        "reveal.refused",
        "accounts.User.email",
        "after_sales",
        ">refund<",
        "retention.run",
        "privacy_officer",
    ):
        assert code not in text, code
    # a staff member is named by role and short id, never by their email
    agent = history["agent"]
    assert f"After-sales · {str(agent.subject)[:8]}" in text
    assert "@staff.example" not in page


def test_filters_by_person_role_action_purpose_subject_and_dates(history) -> None:
    _, client = _as(Role.PRIVACY_OFFICER)

    def shown(**filters: str) -> list[str]:
        response = client.get(URL, filters)
        assert response.status_code == 200
        return _rows(response.content.decode())

    clerk = history["clerk"]
    assert len(shown(actor=str(clerk.subject))) == 2
    assert len(shown(role=Role.AFTER_SALES)) == 1
    assert len(shown(action="reveal.refused")) == 1
    assert len(shown(action="reveal")) == 2  # the exact action, not its refusals
    assert len(shown(purpose=Purpose.REFUND)) == 2
    assert len(shown(subject=str(history["ann"]))) == 1
    assert len(shown(since="2026-03-02", until="2026-03-05")) == 2  # "to" includes its day
    assert len(shown(since="2026-03-06", until="2026-03-09")) == 1
    assert len(shown(role=Role.FINANCE, action="reveal", since="2026-03-05")) == 1
    page = client.get(URL, {"role": Role.FINANCE}).content.decode()
    # the chosen filter stays chosen, and a row's links narrow the same filters further
    assert f'<option value="{Role.FINANCE}" selected>' in page
    assert f'href="?actor={clerk.subject}&amp;role={Role.FINANCE}"' in page


def test_a_filter_that_cannot_be_read_is_said(history) -> None:
    _, client = _as(Role.PRIVACY_OFFICER)
    response = client.get(URL, {"since": "yesterday", "role": "boss", "purpose": "fun"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a date" in page and "That role does not exist." in page
    assert "That purpose does not exist." in page


def test_pages_are_numbered_and_keep_the_filters() -> None:
    _, client = _as(Role.PRIVACY_OFFICER)
    for _ in range(PER_PAGE * 2 + 5):
        record(actor=None, action="retention.run")
    first = client.get(URL, {"action": "retention.run"}).content.decode()
    assert len(_rows(first)) == PER_PAGE
    assert "page 1 of 3" in first
    assert 'href="?action=retention.run&amp;page=2" rel="next">Older</a>' in first
    assert 'href="?action=retention.run&amp;page=3">3</a>' in first
    last = client.get(URL, {"action": "retention.run", "page": "3"}).content.decode()
    assert len(_rows(last)) == 5 and 'aria-current="page">3</a>' in last
    assert 'rel="prev">Newer</a>' in last


def test_only_the_privacy_officer_opens_it() -> None:
    for role in (Role.AFTER_SALES, Role.FINANCE, Role.WAREHOUSE, Role.ADMINISTRATOR):
        _, client = _as(role)
        assert client.get(URL).status_code == 404
    before = AuditEntry.objects.count()
    assert Client().get(URL).status_code in (302, 404)
    assert AuditEntry.objects.count() == before
