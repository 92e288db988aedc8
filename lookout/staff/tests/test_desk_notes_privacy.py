"""An internal note is free text about a customer: nowhere in plain text in either database,
shown back to the buyer in their access file, gone after erasure, and deleted once the order
period after it is over (issue 20; C2.1, C4.2, C4.6, C6.2, C6.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.core.inventory import ORDER_RETENTION
from lookout.orders.desk import add_note
from lookout.orders.models import OrderNote
from lookout.orders.testing import place
from lookout.privacy.access_file import build_document
from lookout.privacy.erasure import erase_subject
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.testing.raw import raw_database_bytes

NOTE = "Mrs Example asked us to call her on her work number first."
WORDS = ("Mrs Example asked", "work number first")


def _notes(subject) -> list[dict]:
    document = build_document(subject=subject)
    (section,) = [s for s in document["sections"] if s["name"] == "order_notes"]
    return section["data"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("partners", "policies", "audit_triggers_suspended")
@pytest.mark.commitment("C4.2", "C6.2", "C6.4")
def test_a_note_is_sealed_shown_in_the_access_file_and_gone_after_erasure(staff) -> None:
    # given a guest's order and the warehouse writing a note on it at the desk
    order = place()
    _, client = staff(Role.WAREHOUSE)
    answer = client.post(f"/staff/desk/orders/{order.number}/notes/", {"note": NOTE})
    assert answer.status_code == 302
    # then the words are nowhere in the stored bytes of either database
    raw = raw_database_bytes()
    for words in WORDS:
        assert words.encode() not in raw
    # and the buyer's access file shows the note back, naming the team, not the person
    (row,) = _notes(order.subject)
    assert (row["order"], row["by"], row["note"]) == (order.number, "Warehouse", NOTE)
    # when the buyer's data is erased, then the note is gone
    counts = erase_subject(subject=order.subject)
    assert counts["orders.notes"] == 1
    assert not OrderNote.objects.filter(order=order).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C4.6")
def test_a_note_is_deleted_once_the_order_period_after_it_is_over(staff) -> None:
    # a customer's order: their key lives on, so only the rule removes the note
    customer = create_account(email="keeps.account@example.com", password="a-long-passphrase-1")
    agent, _ = staff(Role.AFTER_SALES)
    note = add_note(order=place(user=customer), actor=agent, body=NOTE)
    rule = rule_named("orders.notes")
    soon = timezone.now() + ORDER_RETENTION.period - timedelta(days=1)
    assert run_rule(rule=rule, now=soon).processed == 0
    assert OrderNote.objects.filter(pk=note.pk).exists()
    later = timezone.now() + ORDER_RETENTION.period + timedelta(days=1)
    assert run_rule(rule=rule, now=later).processed == 1
    assert not OrderNote.objects.filter(pk=note.pk).exists()
