"""The person reads their own inbox through the access gate; nobody else reads it."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from lookout.accounts.models import User
from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.inbox.services import send_message


def _post(user: User, title: str = "Your refund is on its way") -> Message:
    message = send_message(
        subject=user.subject, kind="order_update", title=title, body="USD 49.99 within 5 days."
    )
    assert message is not None
    return message


@pytest.mark.commitment("C3.5", "C4.4")
@pytest.mark.django_db
def test_the_person_reads_their_message_and_the_reading_is_audited(ann: User) -> None:
    # Given a message in Ann's inbox
    message = _post(ann)
    client = Client()
    client.force_login(ann)
    # When she opens her inbox and the message
    listing = client.get("/inbox/")
    page = client.get(f"/inbox/{message.pk}/")
    # Then she sees its words, it is marked read, and each reading is on the audit log
    assert listing.status_code == 200 and "Your refund is on its way" in listing.text
    assert page.status_code == 200 and "USD 49.99 within 5 days." in page.text
    assert Message.objects.get(pk=message.pk).read_at is not None
    entries = AuditEntry.objects.filter(subject_ref=str(ann.subject), action="reveal")
    assert {tuple(e.fields) for e in entries} == {
        ("inbox.Message.title",),
        ("inbox.Message.title", "inbox.Message.body"),
    }
    assert all(e.purpose == "self_service" for e in entries)


@pytest.mark.django_db
def test_someone_elses_message_is_the_same_404_as_a_missing_one(ann: User, bob: User) -> None:
    # Given a message for Ann
    message = _post(ann, title="Private words for Ann")
    client = Client()
    client.force_login(bob)
    # When Bob asks for it, or for a message that does not exist
    theirs_url, missing_url = f"/inbox/{message.pk}/", f"/inbox/{uuid.uuid4()}/"
    theirs = client.get(theirs_url)
    missing = client.get(missing_url)
    listing = client.get("/inbox/")
    # Then both answers are the same 404 (apart from the asked-for URL itself, which the cookie
    # banner echoes as its return address, and the per-response CSRF token), and Ann's words
    # appear nowhere
    assert theirs.status_code == missing.status_code == 404

    def page(response, url: str) -> str:
        text = response.text.split("<main")[1].replace(url, "/inbox/<id>/")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", text)

    assert page(theirs, theirs_url) == page(missing, missing_url)
    assert "Private words for Ann" not in listing.text
    assert Message.objects.get(pk=message.pk).read_at is None


@pytest.mark.django_db
def test_the_inbox_needs_an_account() -> None:
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_bad_page_number_is_not_an_error(ann: User) -> None:
    _post(ann)
    client = Client()
    client.force_login(ann)
    assert client.get("/inbox/?page=zzz").status_code == 200
