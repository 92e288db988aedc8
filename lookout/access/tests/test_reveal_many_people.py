"""The bulk gate with the records of several people in one call (C3.1, C4.4): rows are grouped
by person for the matrix check, the audit entry and the key, and each row still opens with its
own person's key, in the order given."""

from __future__ import annotations

from typing import Any

import pytest

from lookout.access import reveal_values
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.vault.crypto import KeyDestroyed, destroy_data_key

PASSWORD = "a-long-passphrase-1"


def _send(subject: Any, title: str) -> None:
    send_message(subject=subject, kind=Message.Kind.ORDER_UPDATE, title=title, body="-")


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_interleaved_rows_of_two_people_open_in_order_with_one_entry_each() -> None:
    ann = create_account(email="ann@example.com", password=PASSWORD)
    ben = create_account(email="ben@example.com", password=PASSWORD)
    for n in range(3):
        _send(ann.subject, f"ann {n}")
        _send(ben.subject, f"ben {n}")
    rows = list(Message.objects.order_by("created_at").values("id", "subject", "title"))
    assert len({r["subject"] for r in rows[:2]}) == 2, "the two people's rows alternate"
    before = AuditEntry.objects.count()

    values = reveal_values(Message, rows, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)

    assert [v["title"] for v in values] == [
        f"{'ann' if r['subject'] == ann.subject else 'ben'} {n}"
        for n, r in zip([0, 0, 1, 1, 2, 2], rows, strict=True)
    ]
    entries = list(AuditEntry.objects.filter(seq__gt=before, action="reveal").order_by("seq"))
    assert [e.subject_ref for e in entries] == [str(rows[0]["subject"]), str(rows[1]["subject"])]
    for entry in entries:
        assert entry.targets == [
            str(r["id"]) for r in rows if str(r["subject"]) == entry.subject_ref
        ]
        assert entry.detail["count"] == 3


@pytest.mark.commitment("C6.4")
@pytest.mark.django_db
def test_one_erased_person_in_the_call_opens_nothing_of_theirs() -> None:
    ann = create_account(email="ann@example.com", password=PASSWORD)
    ben = create_account(email="ben@example.com", password=PASSWORD)
    _send(ann.subject, "ann 0")
    _send(ben.subject, "ben 0")
    destroy_data_key(subject=ben.subject)
    rows = list(Message.objects.order_by("created_at").values("id", "subject", "title"))

    with pytest.raises(KeyDestroyed):
        reveal_values(Message, rows, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
