"""Access requests (C6.1, C6.2, C6.5): signed in and guest, the file, the page, the link."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.privacy.models import Kind, Status, SubjectRequest
from lookout.privacy.tests.conftest import EMAIL, GUEST_EMAIL, PASSWORD, RECIPIENT, STREET

pytestmark = pytest.mark.django_db


def _request_access(person, django_capture_on_commit_callbacks, password=PASSWORD):
    with django_capture_on_commit_callbacks(execute=True):
        return person.client.post("/privacy/requests/", {"kind": Kind.ACCESS, "password": password})


@pytest.mark.commitment("C6.1")
def test_a_signed_in_access_request_needs_the_password_again(
    person, django_capture_on_commit_callbacks
):
    # when the person asks with a wrong password
    response = _request_access(person, django_capture_on_commit_callbacks, password="wrong-one")

    # then nothing is made, and the page says why
    assert response.status_code == 400
    assert "password is not right" in response.content.decode()
    assert SubjectRequest.objects.count() == 0


@pytest.mark.commitment("C6.1", "C6.2", "C6.5")
def test_a_signed_in_access_request_builds_a_file_with_everything(
    person, django_capture_on_commit_callbacks
):
    # given a staff member of after-sales who read the person's email for a question
    from lookout.access import reveal
    from lookout.accounts.services import create_account

    agent = create_account(email="agent@example.com", password=PASSWORD, role=Role.AFTER_SALES)
    reveal(person.user, ["email"], purpose=Purpose.AFTER_SALES, actor=agent)

    # when the person asks for their data with their password
    response = _request_access(person, django_capture_on_commit_callbacks)

    # then the request is completed by the background task, due in 30 days
    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert request.status == Status.COMPLETED
    assert request.due_at - request.created_at == timedelta(days=30)

    # and its page shows the data and a download link
    page = person.client.get(f"/privacy/requests/{request.id}/").content.decode()
    assert EMAIL in page and RECIPIENT in page and "Due by" in page
    link = page.split('class="download" href="', 1)[1].split('"', 1)[0]
    download = person.client.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    document = json.loads(download.content)
    sections = {s["name"]: s["data"] for s in document["sections"]}

    # and the file holds every kind of data, with payments limited to token, brand, last four
    assert document["schema_version"] == 1
    assert sections["account"]["email"] == EMAIL
    order = sections["orders"][0]
    assert order["delivery"]["name"] == RECIPIENT
    assert order["delivery"]["address"]["street_address"] == STREET
    assert set(sections["payments"][0]) >= {"token", "brand", "last4"}
    assert sections["payments"][0]["last4"] == "4242"
    assert not {"exp_month", "exp_year", "card_number"} & set(sections["payments"][0])
    assert sections["messages"], "order updates from the inbox"
    assert sections["marketing_choices"][0]["wording"] == "Email me offers."
    assert sections["policy_acceptances"]
    assert sections["disclosures"][0]["partner_kind"] == "Logistics carrier"
    # staff accesses: by role, when, why, never who
    access = sections["staff_accesses"][0]
    assert access["role"] == "After-sales" and access["why"] == "After-sales"
    assert "agent@example.com" not in download.content.decode()
    assert str(agent.subject) not in download.content.decode()


@pytest.mark.commitment("C6.2")
def test_every_read_for_the_file_went_through_the_gate(person, django_capture_on_commit_callbacks):
    _request_access(person, django_capture_on_commit_callbacks)

    reads = AuditEntry.objects.filter(
        action="reveal", subject_ref=str(person.user.subject), purpose="subject_request"
    )
    fields = {f for entry in reads for f in entry.fields}
    assert {"accounts.User.email", "orders.Delivery.name", "inbox.Message.body"} <= fields
    assert {e.detail["reader"] for e in reads} <= {"system", "self"}


@pytest.mark.commitment("C6.2")
def test_the_stored_file_is_sealed(person, django_capture_on_commit_callbacks):
    from lookout.testing.raw import raw_rows

    _request_access(person, django_capture_on_commit_callbacks)

    rows = raw_rows("privacy_subjectrequest")
    assert rows
    assert not any(
        EMAIL.encode() in bytes(value)
        for row in rows
        for value in row
        if isinstance(value, bytes | memoryview)
    )


@pytest.mark.commitment("C6.2")
def test_the_download_link_works_only_for_the_person_and_expires(
    person, django_capture_on_commit_callbacks
):
    from lookout.accounts.services import create_account

    _request_access(person, django_capture_on_commit_callbacks)
    request = SubjectRequest.objects.get()
    page = person.client.get(f"/privacy/requests/{request.id}/").content.decode()
    link = page.split('class="download" href="', 1)[1].split('"', 1)[0]

    # someone else (signed in, or anonymous) replaying the link gets nothing
    other = Client()
    other.force_login(create_account(email="mallory@example.com", password=PASSWORD))
    for client in (other, Client()):
        response = client.get(link)
        assert response.status_code == 404
        assert EMAIL not in response.content.decode()
    # nor can they open the request page
    assert other.get(f"/privacy/requests/{request.id}/").status_code == 404

    # a tampered link fails
    assert person.client.get(link.replace("/download/", "/download/x")).status_code == 404

    # and the person's own link stops working after 48 hours
    assert request.file_ready_at is not None
    with freeze_time(request.file_ready_at + timedelta(hours=49)):
        assert person.client.get(link).status_code == 404
    assert person.client.get(link).status_code == 200


@pytest.mark.commitment("C6.1", "C6.2")
def test_a_guest_gets_their_file_with_an_emailed_code(
    guest_order, sent_code, django_capture_on_commit_callbacks
):
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    assert code is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})

    assert response.status_code == 302
    request = SubjectRequest.objects.get()
    assert request.subject == guest_order.subject and request.via == "guest"
    page = guest.get(response["Location"]).content.decode()
    assert RECIPIENT in page and GUEST_EMAIL in page
    link = page.split('class="download" href="', 1)[1].split('"', 1)[0]
    assert guest.get(link).status_code == 200
    assert Client().get(link).status_code == 404  # another browser replaying it
