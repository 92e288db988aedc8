"""The inbox holds messages sealed under the recipient's key and posts a dedupe key once."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from lookout.accounts.models import User
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.inbox.models import Message
from lookout.inbox.services import InvalidMessage, send_message
from lookout.testing.raw import raw_database_bytes
from lookout.vault.crypto import Sealed

TITLE = "Your order LK-1001 has shipped"
BODY = "Tracking number ZX-TRACK-7788, carried by Kestrel Post."


@pytest.mark.commitment("C3.5", "C4.2")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_message_words_are_stored_only_as_ciphertext(ann: User) -> None:
    # Given a message posted to Ann's inbox
    message = send_message(subject=ann.subject, kind="order_update", title=TITLE, body=BODY)
    assert message is not None
    # When the stored bytes of both databases are read
    raw = raw_database_bytes()
    # Then neither the title nor the body appears, and the loaded values are sealed
    assert TITLE.encode() not in raw and BODY.encode() not in raw
    assert b"ZX-TRACK-7788" not in raw
    stored = Message.objects.get(pk=message.pk)
    assert isinstance(stored.title, Sealed) and isinstance(stored.body, Sealed)


@pytest.mark.django_db
def test_a_dedupe_key_is_posted_once(ann: User) -> None:
    # Given a message sent with a dedupe key
    first = send_message(
        subject=ann.subject, kind="account", title="Hello", body="Welcome.", dedupe_key="k:1"
    )
    # When the same key is sent again
    second = send_message(
        subject=ann.subject, kind="account", title="Hello", body="Welcome.", dedupe_key="k:1"
    )
    # Then the second send posts nothing
    assert first is not None and second is None
    assert Message.objects.filter(subject=ann.subject).count() == 1


@pytest.mark.django_db
def test_a_new_key_is_inserted_without_a_savepoint_and_a_duplicate_still_fails(ann: User) -> None:
    # Given a message already posted with a key
    send_message(subject=ann.subject, kind="account", title="Hi", body="One.", dedupe_key="k:2")
    # When a caller that says the key is new posts one with a fresh key, in its transaction
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        fresh = send_message(
            subject=ann.subject, kind="account", title="Hi", body="Two.", dedupe_key="k:3",
            new_key=True,
        )  # fmt: skip
    # Then it is posted in one statement, with no savepoint around it
    assert fresh is not None
    assert not [q for q in seen.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # And a caller wrong about the key gets the index's refusal, not a second message
    with pytest.raises(IntegrityError), transaction.atomic():
        send_message(
            subject=ann.subject, kind="account", title="Hi", body="Three.", dedupe_key="k:2",
            new_key=True,
        )  # fmt: skip
    assert Message.objects.filter(subject=ann.subject).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "title", "body"),
    [("spam", "t", "b"), ("account", "", "b"), ("account", "t", "  "), ("account", "x" * 201, "b")],
)
def test_invalid_messages_are_refused_and_nothing_is_written(
    ann: User, kind: str, title: str, body: str
) -> None:
    with pytest.raises(InvalidMessage):
        send_message(subject=ann.subject, kind=kind, title=title, body=body)
    assert Message.objects.count() == 0
