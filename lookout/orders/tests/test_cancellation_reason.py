"""The reason after-sales gives for cancelling an order is free text about a customer: stored
sealed under the buyer's key (never in the plain-text history, the message or the audit
detail), shown back in the buyer's access file, and gone after erasure (C4.2, C6.2, C6.4)."""

from __future__ import annotations

import json

import pytest

from lookout.audit.models import AuditEntry
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.orders.models import Cancellation, Order, OrderEvent, Status
from lookout.orders.tests.test_cancellation import REASON
from lookout.privacy.access_file import build_document
from lookout.privacy.erasure import erase_subject
from lookout.returns.testing import paid_order
from lookout.testing.raw import raw_database_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("partners", "policies", "audit_triggers_suspended"),
]
WORDS = ("Ada Lovelace moved", "12 Rue Example")


def _cancellations(subject) -> list[dict]:
    document = build_document(subject=subject)
    (section,) = [s for s in document["sections"] if s["name"] == "cancellations"]
    return section["data"]


@pytest.mark.commitment("C4.2", "C6.2", "C6.4")
def test_staff_reason_is_sealed_shown_in_the_access_file_and_gone_after_erasure(staff) -> None:
    # given a guest's paid order, and after-sales cancelling it with a reason naming the buyer
    order = paid_order()
    agent, client = staff("after_sales")
    answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": REASON})
    assert answer.status_code == 302
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED
    # then the reason is nowhere in the stored bytes of either database
    raw = raw_database_bytes()
    for words in WORDS:
        assert words.encode() not in raw
    # nor in the history, the audit detail, which says only that a reason was given and where
    note = OrderEvent.objects.get(order=order, to_status=Status.CANCELLED).note
    assert note.startswith("Cancelled by our customer service team.")
    entry = AuditEntry.objects.get(action="order.cancellation", subject_ref=str(order.subject))
    assert entry.actor_ref == str(agent.subject)
    assert entry.fields == ["orders.Cancellation.reason"]
    assert entry.detail["reason"] == "sealed" and entry.detail["by"] == "after_sales"
    assert not any(w in json.dumps(entry.detail) for w in WORDS)
    # and the buyer's access file shows it back to them, in full
    (row,) = _cancellations(order.subject)
    assert row["order"] == order.number and row["reason"] == REASON
    assert (row["by"], row["payment"]) == ("After-sales", "voided")
    # when the buyer's data is erased
    erase_subject(subject=order.subject)
    # then the reason is gone from the row; the cancellation itself stays, naming nobody
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.reason is None and cancellation.by == "after_sales"
    raw = raw_database_bytes()
    for words in WORDS:
        assert words.encode() not in raw
