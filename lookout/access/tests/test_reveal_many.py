"""`reveal_many`: the gate for many records at once (C3.1, C4.3, C4.4).

The same matrix as `reveal`, one audit entry per person per call naming every record read, and
each person's data key fetched from the key store once per call.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from lookout.access import AccessDenied, reveal_many, reveal_values
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.verify import verify_chain
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.vault.crypto import KeyDestroyed, destroy_data_key
from lookout.vault.models import DataKey

PASSWORD = "a-long-passphrase-1"
TITLES = [f"Order LK-{n:04d} shipped" for n in range(5)]


def _inbox(user: User, count: int = 5) -> list[Message]:
    for n in range(count):
        send_message(
            subject=user.subject,
            kind=Message.Kind.ORDER_UPDATE,
            title=f"Order LK-{n:04d} shipped",
            body=f"Your parcel number {n} is on its way.",
        )
    return list(Message.objects.filter(subject=user.subject).order_by("created_at"))


def _targets(entry: AuditEntry) -> list[str]:
    return list(entry.targets or [])


def _keystore_reads(queries: CaptureQueriesContext) -> int:
    table = DataKey._meta.db_table
    return sum(1 for q in queries.captured_queries if table in q["sql"])


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_granted_bulk_read_writes_one_entry_naming_every_record() -> None:
    # given a person with five messages in their inbox
    person = create_account(email="ann@example.com", password=PASSWORD)
    messages = _inbox(person)
    before = AuditEntry.objects.count()

    # when the store reads them all for the person's access request
    values = reveal_many(messages, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None)

    # then every value is in plaintext, in the order asked
    assert [v["title"] for v in values] == TITLES
    assert values[3]["body"] == "Your parcel number 3 is on its way."
    backwards = reveal_many(messages[::-1], ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
    assert [v["title"] for v in backwards] == TITLES[::-1]
    # and exactly one entry was written, for that person, naming all five records and fields
    entry = AuditEntry.objects.filter(seq__gt=before).first()
    assert entry is not None and AuditEntry.objects.filter(seq__gt=before).count() == 2
    assert entry.action == "reveal" and entry.outcome == "granted"
    assert entry.subject_ref == str(person.subject)
    assert entry.fields == ["inbox.Message.title", "inbox.Message.body"]
    assert entry.purpose == "subject_request"
    assert entry.detail["count"] == 5 and entry.detail["reader"] == "system"
    assert sorted(_targets(entry)) == sorted(str(m.pk) for m in messages)
    assert verify_chain().ok


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_long_list_of_records_is_named_in_full_in_the_targets_list() -> None:
    # given a person with forty messages (more record ids than one detail text would hold)
    person = create_account(email="ann@example.com", password=PASSWORD)
    messages = _inbox(person, count=40)

    # when they are read in one call
    reveal_many(messages, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)

    # then the entry names every one of them, in order, in its targets list (not in detail)
    entry = AuditEntry.objects.filter(action="reveal").get()
    assert entry.targets == [str(m.pk) for m in messages]
    assert not any(key.startswith("targets") for key in entry.detail)
    assert entry.detail["count"] == 40
    assert entry.target == "inbox.Message:40 records"
    assert verify_chain().ok


@pytest.mark.django_db
def test_each_persons_data_key_is_fetched_once_per_call() -> None:
    # given two people with five messages each
    ann = create_account(email="ann@example.com", password=PASSWORD)
    bob = create_account(email="bob@example.com", password=PASSWORD)
    messages = _inbox(ann) + _inbox(bob)

    # when the store reads all ten messages, two fields each, in one call
    with CaptureQueriesContext(connections["keystore"]) as queries:
        values = reveal_many(
            messages, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None
        )

    # then twenty values were opened with one read of the key store
    assert len(values) == 10 and all(v["title"] and v["body"] for v in values)
    assert _keystore_reads(queries) == 1
    # and each person has their own entry naming their own records only
    entries = {e.subject_ref: e for e in AuditEntry.objects.filter(action="reveal")}
    assert set(entries) == {str(ann.subject), str(bob.subject)}
    assert sorted(_targets(entries[str(bob.subject)])) == sorted(str(m.pk) for m in messages[5:])


@pytest.mark.django_db
def test_one_value_at_a_time_costs_a_key_read_per_value_which_bulk_avoids() -> None:
    # given a person with five messages
    from lookout.access import reveal

    person = create_account(email="ann@example.com", password=PASSWORD)
    messages = _inbox(person)

    # when they are read one by one, and then in bulk
    with CaptureQueriesContext(connections["keystore"]) as one_by_one:
        for message in messages:
            reveal(message, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
    with CaptureQueriesContext(connections["keystore"]) as bulk:
        reveal_many(messages, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None)

    # then a single reveal still writes one entry per call and reads the key once per call
    assert AuditEntry.objects.filter(action="reveal").count() == 5 + 1
    assert _keystore_reads(one_by_one) == 5
    assert _keystore_reads(bulk) == 1


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_a_refused_field_refuses_the_whole_call_and_is_audited() -> None:
    # given a person's messages and a warehouse worker, who may not read inbox messages
    person = create_account(email="ann@example.com", password=PASSWORD)
    worker = create_account(email="wh@example.com", password=PASSWORD, role=Role.WAREHOUSE)
    messages = _inbox(person)

    # when the worker asks for all of them
    with (
        CaptureQueriesContext(connections["keystore"]) as queries,
        pytest.raises(AccessDenied) as refused,
    ):
        reveal_many(messages, ["title", "body"], purpose=Purpose.FULFILMENT, actor=worker)

    # then nothing is decrypted (the key store is not even read) and no read is recorded
    assert _keystore_reads(queries) == 0
    assert refused.value.fields == ["inbox.Message.body", "inbox.Message.title"]
    assert not AuditEntry.objects.filter(action="reveal").exists()
    # and the refusal is on the log, naming the worker's role, the person and every record
    entry = AuditEntry.objects.get(action="reveal.refused")
    assert entry.outcome == "refused" and entry.actor_role == Role.WAREHOUSE
    assert entry.subject_ref == str(person.subject)
    assert sorted(_targets(entry)) == sorted(str(m.pk) for m in messages)


@pytest.mark.commitment("C3.1", "C4.4")
@pytest.mark.django_db
def test_one_refused_person_refuses_the_call_for_everyone_in_it() -> None:
    # given Ann's and Bob's messages, and Ann signed in
    ann = create_account(email="ann@example.com", password=PASSWORD)
    bob = create_account(email="bob@example.com", password=PASSWORD)
    messages = _inbox(ann, count=2) + _inbox(bob, count=2)

    # when Ann asks for all four (her own are allowed, Bob's are not)
    with pytest.raises(AccessDenied):
        reveal_many(messages, ["title"], purpose=Purpose.SELF_SERVICE, actor=ann)

    # then none is read, not even her own, and the refusal names Bob's records
    assert not AuditEntry.objects.filter(action="reveal").exists()
    entry = AuditEntry.objects.get(action="reveal.refused")
    assert entry.subject_ref == str(bob.subject) and entry.detail["reader"] == "customer"
    assert sorted(_targets(entry)) == sorted(str(m.pk) for m in messages[2:])


@pytest.mark.commitment("C4.3")
@pytest.mark.django_db
def test_masked_grants_stay_masked_in_bulk() -> None:
    # given two customers and a finance clerk, who sees emails masked for refunds
    users = [
        create_account(email=f"{name}@example.com", password=PASSWORD) for name in ("ann", "bo")
    ]
    clerk = create_account(email="fin@example.com", password=PASSWORD, role=Role.FINANCE)
    users = list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("email_index"))

    # when the clerk reads both emails
    values = reveal_many(users, ["email"], purpose=Purpose.REFUND, actor=clerk)

    # then both are masked, and each person's entry says so
    assert sorted(v["email"] for v in values) == ["a•••@e•••.com", "b•••@e•••.com"]
    for entry in AuditEntry.objects.filter(action="reveal", actor_role=Role.FINANCE):
        assert entry.detail["masked"] == "accounts.User.email" and entry.detail["count"] == 1


@pytest.mark.commitment("C6.4")
@pytest.mark.django_db
def test_an_erased_persons_records_do_not_open_in_bulk() -> None:
    # given a person whose data key was destroyed
    person = create_account(email="ann@example.com", password=PASSWORD)
    messages = _inbox(person, count=2)
    destroy_data_key(subject=person.subject)

    # when the store tries to read their messages, then nothing opens
    with pytest.raises(KeyDestroyed):
        reveal_many(messages, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)


@pytest.mark.django_db
def test_nothing_asked_nothing_written_and_one_model_per_call() -> None:
    person = create_account(email="ann@example.com", password=PASSWORD)
    messages = _inbox(person, count=1)

    assert reveal_many([], ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None) == []
    assert not AuditEntry.objects.filter(action="reveal").exists()
    with pytest.raises(ValueError, match="one model"):
        reveal_many([messages[0], person], ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)


# --- reveal_values: the same gate for rows read with .values() ----------------------------


def _rows(person: User) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Message.objects.filter(subject=person.subject)
        .order_by("created_at")
        .values("id", "subject", "title", "body")
    ]


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_value_rows_open_like_instances_with_one_entry_naming_every_row() -> None:
    # given a person's messages, read as instances and as .values() rows
    person = create_account(email="ann@example.com", password=PASSWORD)
    messages = _inbox(person)
    rows = _rows(person)

    # when the store reads the rows for the person's access request
    before = AuditEntry.objects.count()
    values = reveal_values(
        Message, rows, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None
    )

    # then they open to the same plaintext as the instances, in order
    assert values == reveal_many(
        messages, ["title", "body"], purpose=Purpose.SUBJECT_REQUEST, actor=None
    )
    assert [v["title"] for v in values] == TITLES
    # and one entry was written before, naming every row by id
    entry = AuditEntry.objects.filter(seq__gt=before).order_by("seq").first()
    assert entry is not None and entry.action == "reveal" and entry.outcome == "granted"
    assert entry.fields == ["inbox.Message.title", "inbox.Message.body"]
    assert entry.targets == [str(r["id"]) for r in rows] and entry.detail["count"] == 5
    assert verify_chain().ok


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_refused_value_rows_are_audited_and_nothing_is_decrypted() -> None:
    person = create_account(email="ann@example.com", password=PASSWORD)
    worker = create_account(email="wh@example.com", password=PASSWORD, role=Role.WAREHOUSE)
    _inbox(person)
    rows = _rows(person)

    with (
        CaptureQueriesContext(connections["keystore"]) as queries,
        pytest.raises(AccessDenied),
    ):
        reveal_values(Message, rows, ["title"], purpose=Purpose.FULFILMENT, actor=worker)

    assert _keystore_reads(queries) == 0
    entry = AuditEntry.objects.get(action="reveal.refused")
    assert entry.actor_role == Role.WAREHOUSE
    assert entry.targets == [str(r["id"]) for r in rows]
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.django_db
def test_value_rows_must_carry_their_own_row_id() -> None:
    # The row id is part of each value's associated data: a row given another row's id (or
    # values moved between rows) does not open.
    from lookout.vault.crypto import TamperedCiphertext

    person = create_account(email="ann@example.com", password=PASSWORD)
    _inbox(person, count=2)
    rows = _rows(person)
    rows[0]["title"], rows[1]["title"] = rows[1]["title"], rows[0]["title"]

    with pytest.raises(TamperedCiphertext):
        reveal_values(Message, rows, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)


@pytest.mark.commitment("C4.3")
@pytest.mark.django_db
def test_masked_grants_stay_masked_for_value_rows() -> None:
    create_account(email="ann@example.com", password=PASSWORD)
    clerk = create_account(email="fin@example.com", password=PASSWORD, role=Role.FINANCE)
    rows = list(User.objects.exclude(pk=clerk.pk).values("id", "subject", "email"))

    values = reveal_values(User, rows, ["email"], purpose=Purpose.REFUND, actor=clerk)

    assert values == [{"email": "a•••@e•••.com"}]
    entry = AuditEntry.objects.get(action="reveal", actor_role=Role.FINANCE)
    assert entry.detail["masked"] == "accounts.User.email"


@pytest.mark.commitment("C6.4")
@pytest.mark.django_db
def test_an_erased_persons_value_rows_do_not_open() -> None:
    person = create_account(email="ann@example.com", password=PASSWORD)
    _inbox(person, count=2)
    rows = _rows(person)
    destroy_data_key(subject=person.subject)

    with pytest.raises(KeyDestroyed):
        reveal_values(Message, rows, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
