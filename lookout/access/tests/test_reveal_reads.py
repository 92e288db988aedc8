"""`reveal_reads`: several bulk reads through the gate at once (C3.1, C4.3, C4.4). Everything is
checked before anything is opened; each read keeps its own entry per person, and the entries
are written together, before any value is decrypted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from lookout.access import AccessDenied
from lookout.access.gate import bulk_read, bulk_read_rows, reveal_reads
from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.verify import verify_chain
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.vault.models import DataKey

PASSWORD = "a-long-passphrase-1"


def _messages(subject: uuid.UUID, count: int = 3) -> list[tuple[Any, ...]]:
    for n in range(count):
        send_message(subject=subject, kind=Message.Kind.ORDER_UPDATE, title=f"t{n}", body=f"b{n}")
    return list(
        Message.objects.filter(subject=subject)
        .order_by("created_at")
        .values_list("id", "subject", "title", "body", "kind")
    )


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_two_reads_open_in_order_with_one_entry_each_written_first() -> None:
    person = create_account(email="ann@example.com", password=PASSWORD)
    rows = _messages(person.subject)
    before = AuditEntry.objects.count()

    account, inbox = reveal_reads(
        [bulk_read([person], ["email"]), bulk_read_rows(Message, rows, ["title", "body"])],
        purpose=Purpose.SUBJECT_REQUEST,
        actor=None,
    )

    assert account == [{"email": "ann@example.com"}]
    assert inbox == [{"title": f"t{n}", "body": f"b{n}"} for n in range(3)]
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [e.target for e in entries] == [f"accounts.User:{person.pk}", "inbox.Message:3 records"]
    assert entries[0].targets == [str(person.pk)]
    assert entries[1].targets == [str(r[0]) for r in rows]
    assert {e.action for e in entries} == {"reveal"} and verify_chain().ok


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_a_refusal_in_one_read_opens_nothing_of_the_others() -> None:
    # the privacy officer may read the email for a subject request, not the inbox
    person = create_account(email="ann@example.com", password=PASSWORD)
    officer = create_account(email="po@example.com", password=PASSWORD, role=Role.PRIVACY_OFFICER)
    rows = _messages(person.subject)
    before = AuditEntry.objects.count()

    with (
        CaptureQueriesContext(connections["keystore"]) as queries,
        pytest.raises(AccessDenied),
    ):
        reveal_reads(
            [bulk_read([person], ["email"]), bulk_read_rows(Message, rows, ["title"])],
            purpose=Purpose.SUBJECT_REQUEST,
            actor=officer,
        )

    assert not any(DataKey._meta.db_table in q["sql"] for q in queries.captured_queries)
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [(e.action, e.target) for e in entries] == [
        ("reveal.refused", "inbox.Message:3 records")
    ]


@pytest.mark.django_db
def test_rows_must_hold_the_id_the_subject_and_every_field() -> None:
    person = create_account(email="ann@example.com", password=PASSWORD)
    rows = _messages(person.subject, count=1)

    assert reveal_reads([bulk_read_rows(Message, [], ["title"])], purpose="x", actor=None) == [[]]
    with pytest.raises(ValueError, match="every field"):
        bulk_read_rows(Message, [r[:3] for r in rows], ["title", "body"])


@pytest.mark.commitment("C4.2", "C4.4")
@pytest.mark.django_db
def test_columns_read_as_ciphertext_bytes_open_like_sealed_values() -> None:
    # given messages read twice: as the ORM gives them, and with their sealed columns as bytes
    from lookout.vault.crypto import Sealed
    from lookout.vault.fields import sealed_bytes

    person = create_account(email="ann@example.com", password=PASSWORD)
    sealed = _messages(person.subject, count=2)
    raw = list(
        Message.objects.filter(subject=person.subject)
        .order_by("created_at")
        .values_list("id", "subject", sealed_bytes("title"), sealed_bytes("body"))
    )
    # then the bytes are the stored ciphertext (no plaintext, no Sealed wrapper)
    assert [r[2:4] for r in raw] == [(s[2].blob, s[3].blob) for s in sealed]
    assert all(type(v) is bytes and b"t0" not in v for r in raw for v in r[2:4])
    assert all(isinstance(v, Sealed) for r in sealed for v in r[2:4])
    # and through the gate both open to the same values, each read audited
    before = AuditEntry.objects.count()
    as_sealed, as_bytes = reveal_reads(
        [
            bulk_read_rows(Message, sealed, ["title", "body"]),
            bulk_read_rows(Message, raw, ["title", "body"]),
        ],
        purpose=Purpose.SUBJECT_REQUEST,
        actor=None,
    )
    assert as_sealed == as_bytes == [{"title": f"t{n}", "body": f"b{n}"} for n in range(2)]
    assert AuditEntry.objects.count() == before + 2


@pytest.mark.django_db
def test_ciphertext_bytes_moved_to_another_row_do_not_open() -> None:
    # the row id is still part of what the bytes are opened with
    from lookout.vault.crypto import TamperedCiphertext
    from lookout.vault.fields import sealed_bytes

    person = create_account(email="ann@example.com", password=PASSWORD)
    _messages(person.subject, count=2)
    first, second = (
        Message.objects.filter(subject=person.subject)
        .order_by("created_at")
        .values_list("id", "subject", sealed_bytes("title"))
    )
    swapped = [(first[0], first[1], second[2])]
    with pytest.raises(TamperedCiphertext):
        reveal_reads(
            [bulk_read_rows(Message, swapped, ["title"])],
            purpose=Purpose.SUBJECT_REQUEST,
            actor=None,
        )
