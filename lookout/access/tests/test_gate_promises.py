"""The reveal gate's promises, read from the outside (C3.1, C3.2, C3.3, C4.3, C4.4, C6.9).

Each reader gets exactly the level the matrix grants (the value, its mask, or `AccessDenied`
naming the refused fields and the purpose, with nothing decrypted and the refusal audited); a
restricted person's data is refused with the restriction's own message; a value opens only in
its own table, column and row; and every read, single or bulk, leaves one audit entry saying
who read whose fields, for what, with what outcome and on which records.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from lookout.access import gate, matrix, restrictions
from lookout.access.gate import (
    AccessDenied,
    Restricted,
    bulk_read,
    bulk_read_rows,
    bulk_read_values,
    reveal,
    reveal_many,
    reveal_reads,
    reveal_values,
)
from lookout.access.matrix import Level, grant
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.services import send_message
from lookout.privacy.models import RestrictionGround, Via
from lookout.privacy.restriction import open_restriction
from lookout.vault.crypto import TamperedCiphertext
from lookout.vault.models import DataKey

PASSWORD = "a-long-passphrase-1"
DENIED = "You do not have access to this personal data for this purpose."
EMAIL = "accounts.User.email"


def _person(email: str = "ann@example.com", role: str | None = None) -> User:
    if role is None:
        return create_account(email=email, password=PASSWORD)
    return create_account(email=email, password=PASSWORD, role=role)


def _inbox(user: User, count: int = 3) -> list[Message]:
    for n in range(count):
        send_message(
            subject=user.subject, kind=Message.Kind.ORDER_UPDATE, title=f"t{n}", body=f"b{n}"
        )
    return list(Message.objects.filter(subject=user.subject).order_by("created_at"))


def _last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-seq").first()
    assert entry is not None
    return entry


def _keystore_reads(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if DataKey._meta.db_table in q["sql"])


def _restrict(user: User) -> None:
    open_restriction(
        subject=user.subject, ground=RestrictionGround.ACCURACY, via=Via.ACCOUNT, actor=user
    )


@pytest.fixture
def masked_inbox_for_finance(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A matrix in which finance sees both of a message's fields masked, for a refund."""
    extra = tuple(
        grant(Role.FINANCE, f"inbox.Message.{f}", Purpose.REFUND, level=Level.MASKED)
        for f in ("title", "body")
    )
    monkeypatch.setattr(matrix, "GRANTS", (*matrix.GRANTS, *extra))
    matrix.cells.cache_clear()
    yield
    matrix.cells.cache_clear()


# --- the level the matrix grants ------------------------------------------------------------


@pytest.mark.commitment("C3.1", "C3.3", "C4.3", "C4.4")
@pytest.mark.django_db
def test_each_reader_gets_the_level_the_matrix_grants_and_the_entry_says_so() -> None:
    # given a customer, an after-sales agent (full email) and a finance clerk (masked email)
    person = _person()
    agent = _person("as@example.com", Role.AFTER_SALES)
    clerk = _person("fin@example.com", Role.FINANCE)

    # when each reads the customer's email for their own purpose
    full = reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=agent)
    agent_entry = _last("reveal")
    masked = reveal(person, ["email"], purpose=Purpose.REFUND, actor=clerk)
    clerk_entry = _last("reveal")

    # then the agent reads the address and the clerk only its mask
    assert full == {"email": "ann@example.com"}
    assert masked == {"email": "a•••@e•••.com"}
    # and each read is on the log: who, in what role, whose field, why, and what was shown
    for entry, reader, purpose, shown_masked in (
        (agent_entry, agent, "after_sales", ""),
        (clerk_entry, clerk, "refund", EMAIL),
    ):
        assert entry.outcome == "granted"
        assert entry.actor_ref == str(reader.subject)
        assert entry.actor_role == str(reader.role)
        assert entry.subject_ref == str(person.subject)
        assert entry.fields == [EMAIL]
        assert entry.purpose == purpose
        assert entry.target == f"accounts.User:{person.pk}"
        assert entry.detail == {"reader": str(reader.role), "masked": shown_masked}


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_a_read_with_several_masked_fields_names_each_of_them(masked_inbox_for_finance) -> None:
    # given a person's message and a matrix masking both its fields for finance
    person = _person()
    clerk = _person("fin@example.com", Role.FINANCE)
    message = _inbox(person, count=1)[0]

    # when the clerk reads both fields, once alone and once in bulk
    reveal(message, ["title", "body"], purpose=Purpose.REFUND, actor=clerk)
    single = _last("reveal")
    reveal_many([message], ["title", "body"], purpose=Purpose.REFUND, actor=clerk)
    bulk = _last("reveal")

    # then both entries name both masked fields, separated by a comma
    both = "inbox.Message.body,inbox.Message.title"
    assert single.detail == {"reader": "finance", "masked": both}
    assert bulk.detail == {"reader": "finance", "masked": both, "count": 1}


@pytest.mark.commitment("C3.1", "C3.2", "C4.3", "C4.4")
@pytest.mark.django_db
def test_a_refusal_names_the_fields_and_purpose_decrypts_nothing_and_is_audited() -> None:
    # given a customer and a warehouse worker, who may never read an account's email
    person = _person()
    worker = _person("wh@example.com", Role.WAREHOUSE)

    # when the worker asks for it to ship an order
    with (
        CaptureQueriesContext(connections["keystore"]) as queries,
        pytest.raises(AccessDenied) as refused,
    ):
        reveal(person, ["email"], purpose=Purpose.FULFILMENT, actor=worker)

    # then the refusal names the field and the purpose, in words a person understands
    assert type(refused.value) is AccessDenied
    assert refused.value.fields == [EMAIL]
    assert refused.value.purpose == Purpose.FULFILMENT
    assert refused.value.message == DENIED and str(refused.value) == DENIED
    assert refused.value.status_code == 403
    # and nothing was decrypted (the key store was not read) and no read was recorded
    assert _keystore_reads(queries) == 0
    assert not AuditEntry.objects.filter(action="reveal").exists()
    # and the refusal is on the log with who asked, whose field, why and on which record
    entry = _last("reveal.refused")
    assert entry.outcome == "refused"
    assert entry.actor_ref == str(worker.subject) and entry.actor_role == "warehouse"
    assert entry.subject_ref == str(person.subject)
    assert entry.fields == [EMAIL] and entry.purpose == "fulfilment"
    assert entry.target == f"accounts.User:{person.pk}"
    assert entry.detail == {"reader": "warehouse"}


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_only_the_refused_fields_are_named_when_some_are_granted() -> None:
    # given an after-sales agent, who reads an email but never a second-factor secret
    person = _person()
    agent = _person("as@example.com", Role.AFTER_SALES)

    # when the agent asks for both
    with pytest.raises(AccessDenied) as refused:
        reveal(person, ["email", "totp_secret"], purpose=Purpose.AFTER_SALES, actor=agent)

    # then the refusal and its entry name the secret only, and nothing is read
    assert refused.value.fields == ["accounts.User.totp_secret"]
    assert _last("reveal.refused").fields == ["accounts.User.totp_secret"]
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_a_signed_out_or_deactivated_reader_is_refused_as_anonymous() -> None:
    # given a customer, a visitor who is not signed in and an agent whose account was closed
    person = _person()
    agent = _person("as@example.com", Role.AFTER_SALES)
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    readers: list[Any] = [AnonymousUser(), agent]  # request.user is either
    for reader in readers:
        # when they ask for the customer's email, alone or in bulk
        with pytest.raises(AccessDenied):
            reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=reader)
        single = _last("reveal.refused")
        with pytest.raises(AccessDenied):
            reveal_many([person], ["email"], purpose=Purpose.AFTER_SALES, actor=reader)
        bulk = _last("reveal.refused")

        # then both are refused, and the log says an anonymous reader asked: as its actor, a
        # signed-out visitor, never the store itself; the closed account by its own id
        assert single.detail == {"reader": "anonymous"}
        assert bulk.detail == {"reader": "anonymous", "count": 1}
        who = ("anonymous", "") if reader is readers[0] else (str(agent.subject), "after_sales")
        assert (single.actor_ref, single.actor_role) == who
        assert (bulk.actor_ref, bulk.actor_role) == who
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.django_db
def test_a_field_that_is_not_personal_is_not_read_through_the_gate() -> None:
    # given a customer
    person = _person()

    # when a field that is not encrypted is asked for, then the call is refused as a mistake
    with pytest.raises(ValueError) as wrong:
        reveal(person, ["is_active"], purpose=Purpose.SELF_SERVICE, actor=person)
    assert str(wrong.value) == "accounts.User.is_active is not a personal (encrypted) field."
    # and so is a call asking for no field of anyone
    with pytest.raises(ValueError) as empty:
        reveal(person, [], purpose=Purpose.SELF_SERVICE, actor=person)
    assert str(empty.value) == "reveal() needs the names of the fields to read."
    assert not AuditEntry.objects.filter(action__startswith="reveal").exists()


# --- restriction of processing (C6.9) -------------------------------------------------------


@pytest.mark.commitment("C6.9", "C4.4")
@pytest.mark.django_db
def test_a_restricted_persons_data_is_refused_with_the_restriction_message() -> None:
    # given a restricted customer and an after-sales agent who could otherwise read the email
    person = _person()
    agent = _person("as@example.com", Role.AFTER_SALES)
    _restrict(person)

    # when the agent reads it, alone and then in bulk
    with pytest.raises(Restricted) as single:
        reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=agent)
    single_entry = _last("reveal.refused")
    with pytest.raises(Restricted) as bulk:
        reveal_many([person], ["email"], purpose=Purpose.AFTER_SALES, actor=agent)
    bulk_entry = _last("reveal.refused")

    # then both refusals say why, in the restriction's words, and name the field and purpose
    for refusal in (single.value, bulk.value):
        assert refusal.message == restrictions.REFUSAL and str(refusal) == restrictions.REFUSAL
        assert refusal.fields == [EMAIL] and refusal.purpose == Purpose.AFTER_SALES
    # and both are on the log as refused for the restriction
    assert single_entry.detail == {"reader": "after_sales", "restricted": True}
    assert bulk_entry.detail == {"reader": "after_sales", "restricted": True, "count": 1}
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.commitment("C6.9", "C4.4")
@pytest.mark.django_db
def test_a_restricted_person_still_reads_their_own_data_and_the_officer_for_a_request() -> None:
    # given a restricted customer with messages, and the privacy officer
    person = _person()
    officer = _person("po@example.com", Role.PRIVACY_OFFICER)
    messages = _inbox(person, count=2)
    _restrict(person)

    # when the person reads their messages, the store builds their access file, and the officer
    # reads their email for their subject request
    own = reveal_many(messages, ["title"], purpose=Purpose.SELF_SERVICE, actor=person)
    store = reveal_many(messages, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
    officer_read = reveal_many([person], ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=officer)

    # then every one of those reads is granted
    assert own == store == [{"title": "t0"}, {"title": "t1"}]
    assert officer_read == [{"email": "ann@example.com"}]
    assert not AuditEntry.objects.filter(action="reveal.refused").exists()


@pytest.mark.commitment("C6.9", "C3.1", "C4.4")
@pytest.mark.django_db
def test_a_read_the_matrix_refuses_is_refused_as_such_even_for_a_restricted_person() -> None:
    # given a restricted customer's messages, which the privacy officer may never read
    person = _person()
    officer = _person("po@example.com", Role.PRIVACY_OFFICER)
    messages = _inbox(person, count=2)
    _restrict(person)

    # when the officer asks for them
    with pytest.raises(AccessDenied) as refused:
        reveal_many(messages, ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=officer)

    # then it is the ordinary refusal (the matrix's, not the restriction's)
    assert type(refused.value) is AccessDenied and refused.value.message == DENIED
    assert refused.value.purpose == Purpose.SUBJECT_REQUEST
    assert _last("reveal.refused").detail == {"reader": "privacy_officer", "count": 2}


# --- bulk reads -----------------------------------------------------------------------------


@pytest.mark.commitment("C3.1", "C3.2", "C4.4")
@pytest.mark.django_db
def test_a_refused_bulk_read_names_the_fields_and_purpose_and_is_audited() -> None:
    # given a customer's messages and a warehouse worker, who may not read them
    person = _person()
    worker = _person("wh@example.com", Role.WAREHOUSE)
    messages = _inbox(person)

    # when the worker asks for all of them
    with (
        CaptureQueriesContext(connections["keystore"]) as queries,
        pytest.raises(AccessDenied) as refused,
    ):
        reveal_many(messages, ["title", "body"], purpose=Purpose.FULFILMENT, actor=worker)

    # then the refusal names both fields and the purpose, and nothing is decrypted
    assert type(refused.value) is AccessDenied and refused.value.message == DENIED
    assert refused.value.fields == ["inbox.Message.body", "inbox.Message.title"]
    assert refused.value.purpose == Purpose.FULFILMENT
    assert _keystore_reads(queries) == 0
    # and the refusal's entry names the worker, the person, the purpose and every record
    entry = _last("reveal.refused")
    assert entry.actor_ref == str(worker.subject) and entry.actor_role == "warehouse"
    assert entry.subject_ref == str(person.subject) and entry.purpose == "fulfilment"
    assert entry.targets == [str(m.pk) for m in messages]
    assert entry.detail == {"reader": "warehouse", "count": 3}


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_granted_bulk_read_is_one_entry_naming_every_field_and_record() -> None:
    # given a customer's messages and the agent reading them
    person = _person()
    messages = _inbox(person)

    # when the person reads them
    values = reveal_many(messages, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=person)

    # then the values come back in order, and one entry names the reader, fields and records
    assert values == [{"title": f"t{n}", "body": f"b{n}"} for n in range(3)]
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor_ref == str(person.subject) and entry.outcome == "granted"
    assert entry.fields == ["inbox.Message.title", "inbox.Message.body"]
    assert entry.purpose == "self_service"
    assert entry.targets == [str(m.pk) for m in messages]
    assert entry.target == "inbox.Message:3 records"
    assert entry.detail == {"reader": "self", "masked": "", "count": 3}


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_empty_reads_give_nothing_and_the_others_still_open_in_order() -> None:
    # given a customer
    person = _person()
    before = AuditEntry.objects.count()

    # when reads with no rows are asked for, alone and beside one that has a row
    assert reveal_many([], ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=None) == []
    assert reveal_values(Message, [], ["title"], purpose=Purpose.SUBJECT_REQUEST, actor=None) == []
    assert AuditEntry.objects.count() == before
    values = reveal_reads(
        [
            bulk_read([], ["email"]),
            bulk_read_values(Message, [], ["title"]),
            bulk_read([person], ["email"]),
            bulk_read_rows(Message, [], ["title"]),
        ],
        purpose=Purpose.SUBJECT_REQUEST,
        actor=None,
    )

    # then the empty ones give [] and the other its value, each in its place
    assert values == [[], [], [{"email": "ann@example.com"}], []]
    assert AuditEntry.objects.filter(action="reveal").count() == 1


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_rows_read_with_values_open_whether_the_key_is_pk_or_the_column() -> None:
    # given a customer's messages read with .values(), once as "pk" and once as "id"
    person = _person()
    messages = _inbox(person)
    by_pk = list(
        Message.objects.filter(subject=person.subject)
        .order_by("created_at")
        .values("pk", "subject", "title")
    )
    by_id = list(
        Message.objects.filter(subject=person.subject)
        .order_by("-created_at")
        .values("id", "subject", "title")
    )

    # when both are read through the gate
    forwards = reveal_values(Message, by_pk, ["title"], purpose=Purpose.SELF_SERVICE, actor=person)
    backwards = reveal_values(Message, by_id, ["title"], purpose=Purpose.SELF_SERVICE, actor=person)

    # then each gives the rows asked for, in order, and each entry names those records
    assert forwards == [{"title": "t0"}, {"title": "t1"}, {"title": "t2"}]
    assert backwards == forwards[::-1]
    entries = list(AuditEntry.objects.filter(action="reveal").order_by("seq"))
    assert [e.targets for e in entries] == [
        [str(m.pk) for m in messages],
        [str(m.pk) for m in messages[::-1]],
    ]


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_rows_holding_ids_and_subjects_as_text_are_read_as_the_person() -> None:
    # given a customer's messages read as text (as the access file reads them)
    person = _person()
    messages = _inbox(person, count=2)
    rows = [
        (str(pk), str(subject), title)
        for pk, subject, title in Message.objects.filter(subject=person.subject)
        .order_by("created_at")
        .values_list("id", "subject", "title")
    ]

    # when the person reads them
    (values,) = reveal_reads(
        [bulk_read_rows(Message, rows, ["title"])], purpose=Purpose.SELF_SERVICE, actor=person
    )

    # then they are theirs to read, and the entry names them and their records
    assert values == [{"title": "t0"}, {"title": "t1"}]
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.subject_ref == str(person.subject) and entry.detail["reader"] == "self"
    assert entry.targets == [str(m.pk) for m in messages]


@pytest.mark.django_db
def test_rows_missing_a_field_and_records_of_two_models_are_refused_as_mistakes() -> None:
    # given a customer and one of their messages
    person = _person()
    message = _inbox(person, count=1)[0]

    # when a row lacks a field asked for, then the read is refused as a mistake
    with pytest.raises(ValueError) as short:
        bulk_read_rows(Message, [(message.pk, person.subject, None)], ["title", "body"])
    assert str(short.value) == (
        "Each row holds the primary key, the subject and every field asked for."
    )
    # and so is one bulk read of records of two models
    with pytest.raises(ValueError) as mixed:
        bulk_read([message, person], ["title"])
    assert str(mixed.value) == "reveal_many() reads records of one model at a time."


@pytest.mark.commitment("C3.1", "C4.4")
@pytest.mark.django_db
def test_a_purpose_the_person_consented_to_is_checked_against_that_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a customer who consented to one purpose outside the fixed list, and another who did not
    person = _person()
    other = _person("bob@example.com")
    consented = {(person.subject, "newsletter_digest")}
    monkeypatch.setattr(
        gate, "_consent_checks", [lambda subject, purpose: (subject, purpose) in consented]
    )

    # when the store reads their emails for it
    mine = reveal_many([person], ["email"], purpose="newsletter_digest", actor=None)
    with pytest.raises(AccessDenied):
        reveal_many([other], ["email"], purpose="newsletter_digest", actor=None)

    # then the one who consented is read, the other refused
    assert mine == [{"email": "ann@example.com"}]
    assert _last("reveal.refused").subject_ref == str(other.subject)


# --- values that are absent, unsaved, or not where they belong ------------------------------


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_an_absent_value_stays_none_and_an_unsaved_one_is_given_back() -> None:
    # given a customer without a second factor, and a message not saved yet
    person = _person()
    draft = Message(subject=person.subject, kind=Message.Kind.ACCOUNT, title="Draft", body="b")

    # when they are read, alone and in bulk
    one = reveal(person, ["totp_secret"], purpose=Purpose.ACCOUNT_SECURITY, actor=person)
    many = reveal_many([person], ["totp_secret"], purpose=Purpose.ACCOUNT_SECURITY, actor=person)
    unsaved = reveal(draft, ["title"], purpose=Purpose.SELF_SERVICE, actor=person)

    # then the missing secret is None, and the unsaved title is what was typed
    assert one == {"totp_secret": None} and many == [{"totp_secret": None}]
    assert unsaved == {"title": "Draft"}


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_value_opens_only_in_its_own_column_and_row() -> None:
    # given two of a customer's messages
    person = _person()
    first, second = _inbox(person, count=2)

    # when a title is moved into the body column, or into the other message's row
    moved_column = Message.objects.get(pk=first.pk)
    moved_column.body = moved_column.title
    rows = [(first.pk, person.subject, second.title), (second.pk, person.subject, first.title)]

    # then neither opens, alone or in bulk
    with pytest.raises(TamperedCiphertext):
        reveal(moved_column, ["body"], purpose=Purpose.SELF_SERVICE, actor=person)
    with pytest.raises(TamperedCiphertext):
        reveal_reads(
            [bulk_read_rows(Message, rows, ["title"])], purpose=Purpose.SELF_SERVICE, actor=person
        )


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_sealed_value_without_a_person_is_not_opened() -> None:
    # given a customer's message read as if it had no person
    person = _person()
    message = _inbox(person, count=1)[0]
    sealed = Message.objects.values_list("title", flat=True).get(pk=message.pk)

    # when it is read through the gate, then it is refused as a mistake
    with pytest.raises(ValueError) as refused:
        reveal_reads(
            [bulk_read_rows(Message, [(message.pk, None, sealed)], ["title"])],
            purpose=Purpose.SUBJECT_REQUEST,
            actor=None,
        )
    assert str(refused.value) == "Message has no subject to open its data under."
    # and values with nothing sealed in them come back as they are
    (values,) = reveal_reads(
        [
            bulk_read_rows(
                Message, [(message.pk, None, None), (uuid.uuid4(), None, "typed")], ["title"]
            )
        ],
        purpose=Purpose.SUBJECT_REQUEST,
        actor=None,
    )
    assert values == [{"title": None}, {"title": "typed"}]


# --- proxies and the caller's transaction ---------------------------------------------------


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_lazily_loaded_record_is_read_as_the_record_itself() -> None:
    # given a customer as request.user holds them (a lazy object)
    person = _person()
    lazy: Any = SimpleLazyObject(lambda: User.objects.get(pk=person.pk))

    # when they read their email through it, alone and in bulk
    one = reveal(lazy, ["email"], purpose=Purpose.SELF_SERVICE, actor=person)
    many = reveal_many([lazy], ["email"], purpose=Purpose.SELF_SERVICE, actor=person)

    # then it is read as their account
    assert one == {"email": "ann@example.com"} and many == [one]
    assert {e.target for e in AuditEntry.objects.filter(action="reveal")} == {
        f"accounts.User:{person.pk}"
    }


@pytest.mark.commitment("C4.4")
@pytest.mark.django_db
def test_a_read_whose_entry_cannot_be_written_spoils_the_callers_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a customer, and an audit log that fails to write
    person = _person()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("lookout.audit.services.record", broken)

    # when a caller's transaction reads through the gate, swallows the failure and goes on
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(RuntimeError):
            reveal(person, ["email"], purpose=Purpose.SELF_SERVICE, actor=person)
        User.objects.count()
    # then it could not go on as if the read had been recorded (it must roll back)


@pytest.fixture
def message_proxy() -> Iterator[type[Message]]:
    """A proxy of Message (another class over the same table), unregistered afterwards."""
    from django.apps import apps

    class MessageView(Message):
        class Meta:
            proxy = True
            app_label = "inbox"

    yield MessageView
    apps.all_models["inbox"].pop("messageview", None)
    apps.clear_cache()


@pytest.mark.commitment("C3.1", "C4.4")
@pytest.mark.django_db
def test_rows_of_a_proxy_model_are_read_under_the_model_it_stands_for(
    message_proxy: type[Message],
) -> None:
    # given a customer's messages, read as rows of a proxy of Message
    person = _person()
    _inbox(person, count=2)
    found = message_proxy.objects.filter(subject=person.subject).order_by("created_at")
    as_values = list(found.values("pk", "subject", "title"))
    as_rows = list(found.values_list("id", "subject", "title"))

    # when the person reads them through the gate
    from_values = reveal_values(
        message_proxy, as_values, ["title"], purpose=Purpose.SELF_SERVICE, actor=person
    )
    (from_rows,) = reveal_reads(
        [bulk_read_rows(message_proxy, as_rows, ["title"])],
        purpose=Purpose.SELF_SERVICE,
        actor=person,
    )

    # then the matrix's grant for Message applies, and the entries name Message's fields
    assert from_values == from_rows == [{"title": "t0"}, {"title": "t1"}]
    entries = AuditEntry.objects.filter(action="reveal")
    assert [e.fields for e in entries] == [["inbox.Message.title"]] * 2
