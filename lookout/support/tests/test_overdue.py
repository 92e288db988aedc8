"""Overdue conversations are flagged to the role holding them where its day starts and in the
live self-audit (issue 23, item 2; C1.9): the staff start page of that role shows how many wait
and lists the overdue ones (dates and order numbers, no words), the self-audit fails naming
them by id, and both clear once the first answer is given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.compliance.selfaudit import ops_checks
from lookout.orders.testing import place
from lookout.support import services
from lookout.support.models import Conversation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

WORDS = "Where is my parcel? I live at 12 Quiet Lane."


def _late(conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        first_reply_due=timezone.localdate() - timedelta(days=2)
    )


@pytest.mark.commitment("C1.9")
def test_the_start_page_of_the_role_holding_it_lists_the_overdue_ones(staff) -> None:
    order = place()
    late = services.open_conversation(
        subject=order.subject, topic="order", body=WORDS, order=order, guest=True
    )
    on_time = services.open_conversation(subject=order.subject, topic="general", body="Hi")
    _late(late)
    _, after_sales = staff("after_sales")
    page = after_sales.get("/staff/after-sales/").content.decode()
    box = page.split('id="conversations-waiting"')[1].split("</section>")[0]
    assert "2 conversations waiting" in box
    assert 'id="conversations-overdue-count">1 overdue' in box
    assert f'data-conversation="{late.pk}"' in box and f"order {order.number}" in box
    assert f'data-conversation="{on_time.pk}"' not in box
    assert "12 Quiet Lane" not in page  # no word of the message

    # Handed to finance, it is finance's to answer: it leaves after-sales' start page.
    services.hand_over(conversation=late, to_role="finance")
    box = after_sales.get("/staff/after-sales/").content.decode().split("conversations-waiting")[1]
    assert f'data-conversation="{late.pk}"' not in box
    _, finance = staff("finance")
    page = finance.get("/staff/finance/").content.decode()
    assert 'id="conversations-overdue-count">1 overdue' in page
    assert f'data-conversation="{late.pk}"' in page

    # Answered, it is no longer overdue anywhere.
    services.staff_replies(conversation=late, body="It is on its way.", role="finance")
    page = finance.get("/staff/finance/").content.decode()
    assert "conversations-overdue-count" not in page
    assert "0 conversations waiting" in page


def test_the_privacy_officer_start_page_counts_its_conversations(staff) -> None:
    order = place()
    asked = services.open_conversation(subject=order.subject, topic="general", body="My data?")
    services.hand_over(conversation=asked, to_role="privacy_officer")
    _late(asked)
    _, officer = staff("privacy_officer")
    page = officer.get("/staff/privacy/").content.decode()
    assert 'id="conversations-overdue-count">1 overdue' in page
    assert f'data-conversation="{asked.pk}"' in page
    # Roles that answer no conversations see no such box.
    _, warehouse = staff("warehouse")
    assert "conversations-waiting" not in warehouse.get("/staff/warehouse/").content.decode()


@pytest.mark.commitment("C1.9")
def test_the_self_audit_fails_while_a_conversation_is_overdue() -> None:
    order = place()
    conversation = services.open_conversation(
        subject=order.subject, topic="general", body=WORDS, order=None
    )
    assert ops_checks.conversations().ok
    _late(conversation)
    result = ops_checks.conversations()
    assert not result.ok and result.commitments == ("C1.9",)
    assert result.evidence["overdue"] == 1
    assert result.evidence["conversations"] == [
        {
            "conversation": str(conversation.pk),
            "role": "after_sales",
            "due": (timezone.localdate() - timedelta(days=2)).isoformat(),
        }
    ]
    assert "Quiet Lane" not in str(result.as_json())
    # A closed one is not waiting for anyone; an answered one is answered.
    services.close(conversation=conversation)
    assert ops_checks.conversations().ok
    services.reopen(conversation=conversation)
    assert not ops_checks.conversations().ok
    services.staff_replies(conversation=conversation, body="Answered.", role="after_sales")
    assert ops_checks.conversations().ok


def test_the_self_audit_runs_the_conversation_check() -> None:
    from lookout.compliance.selfaudit.runner import _checks

    assert ops_checks.conversations in _checks(None)
