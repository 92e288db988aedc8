"""The access file goes through the gate once (C4.3, C4.4, C6.2): every section's sealed records
are checked together, their audit entries (still one per person per kind of record) are written
in one transaction before anything is opened, and a refusal anywhere opens nothing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from lookout.access import AccessDenied
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.audit.verify import verify_chain
from lookout.inbox.models import Message
from lookout.orders.models import Delivery
from lookout.orders.testing import RECIPIENT, place
from lookout.privacy.access_file import build_document
from lookout.vault.routers import KEYSTORE

PASSWORD = "a long enough passphrase 1"


def _customer_with_orders() -> User:
    customer = create_account(email="ann@example.com", password=PASSWORD)
    place(user=customer)
    place(user=customer)
    return customer


@pytest.mark.commitment("C4.4", "C6.2")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_the_whole_file_is_audited_in_one_commit_with_one_entry_per_kind_of_record(
    partners, policies
):
    # given a customer with two orders (sealed deliveries and inbox messages) and an account
    customer = _customer_with_orders()
    deliveries = {str(pk) for pk in Delivery.objects.values_list("pk", flat=True)}
    messages = {str(pk) for pk in Message.objects.values_list("pk", flat=True)}
    assert len(deliveries) == 2 and messages
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    # when the store builds their access file (real commits: no test transaction around it)
    with mock.patch.object(connection, "commit", wraps=connection.commit) as commit:
        document = build_document(subject=customer.subject)

    # then the sections hold the opened values
    data = {s["name"]: s["data"] for s in document["sections"]}
    assert data["account"]["email"] == "ann@example.com"
    assert {o["delivery"]["name"] for o in data["orders"]} == {RECIPIENT}
    # and the main database committed once: every entry of the file in one transaction
    assert commit.call_count == 1
    # with one granted entry per kind of record read, each naming exactly its records, what
    # was read, by whom (the store) and why
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.action, e.outcome) for e in entries] == [("reveal", "granted")] * 3
    by_model = {e.target.split(":", 1)[0]: e for e in entries}
    assert set(by_model) == {"accounts.User", "orders.Delivery", "inbox.Message"}
    assert by_model["accounts.User"].targets == [str(customer.pk)]
    assert by_model["accounts.User"].fields == ["accounts.User.email"]
    assert set(by_model["orders.Delivery"].targets or []) == deliveries
    assert by_model["orders.Delivery"].detail["count"] == 2
    assert set(by_model["inbox.Message"].targets or []) == messages
    assert by_model["inbox.Message"].fields == ["inbox.Message.title", "inbox.Message.body"]
    for entry in entries:
        assert entry.subject_ref == str(customer.subject)
        assert entry.purpose == "subject_request"
        assert entry.actor_ref == "system" and entry.detail["reader"] == "system"
    assert verify_chain().ok
    if connection.vendor == "postgresql":
        # the same transaction wrote all three (and took the lane lock once)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM audit_auditentry WHERE seq > %s", [before]
            )
            assert len(cursor.fetchall()) == 1


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
def test_a_refusal_in_any_section_opens_nothing_of_the_file(partners, policies):
    # given a customer with orders, and a privacy officer, who may read a person's email for a
    # subject request but not their deliveries or messages
    customer = _customer_with_orders()
    officer = create_account(
        email="officer@example.com", password=PASSWORD, role=Role.PRIVACY_OFFICER
    )
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    # when the file is built with the officer as reader
    with (
        CaptureQueriesContext(connections[KEYSTORE]) as keys,
        pytest.raises(AccessDenied),
    ):
        build_document(subject=customer.subject, actor=officer)

    # then nothing was opened: no key was read, not even for the email they may read
    assert not keys.captured_queries
    # and the refusals are on the audit log, naming the refused records; nothing is logged as
    # granted, since nothing was revealed
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert {e.action for e in entries} == {"reveal.refused"}
    refused = {e.target.split(":", 1)[0]: e for e in entries}
    assert set(refused) == {"orders.Delivery", "inbox.Message"}
    assert refused["orders.Delivery"].actor_role == Role.PRIVACY_OFFICER
    assert refused["orders.Delivery"].detail["count"] == 2
