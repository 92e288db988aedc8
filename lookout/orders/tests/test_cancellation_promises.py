"""What a cancellation promises, seen from the outside (issue 21): the words a buyer or an
after-sales person reads when an order can no longer be cancelled, who may cancel (among staff
only after-sales), the reason after-sales must give, what becomes of the payment and what the
history says about it, the stock coming back exactly once, and an audit trail that names the
sealed reason's field but never holds the reason itself."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.catalog.models import Product
from lookout.core.errors import Forbidden, LookoutError
from lookout.core.money import format_usd
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders import services
from lookout.orders.cancellation import (
    CannotCancel,
    cancel_by_customer,
    cancel_by_staff,
    cancel_order,
    refusal_for,
)
from lookout.orders.fulfilment import ship_order
from lookout.orders.models import Cancellation, Order, OrderEvent, Status
from lookout.orders.testing import place
from lookout.payments.models import Payment
from lookout.payments.services import capture
from lookout.privacy.access_file import build_document
from lookout.returns.testing import delivered_order, paid_order
from lookout.testing.raw import raw_database_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

Staff = Callable[[str], tuple[Any, Client]]

# The words a person reads when an order is past the point where they may cancel it.
ALREADY_CANCELLED = "This order is already cancelled."
BEING_PREPARED = (
    "Our warehouse has started preparing this order, so it can no longer be cancelled here. "
    "Please contact our customer service; once it arrives, returns are free for 60 days."
)
HANDED_OVER = "This order has been handed to the carrier and can no longer be cancelled. "
HANDED_OVER_BUYER = HANDED_OVER + "Returns are free for 60 days."
HANDED_OVER_STAFF = HANDED_OVER + "Open a return instead."
PAYMENT_FAILED = "This order is payment failed and cannot be cancelled; nothing changed."
EXPIRED = "This order is not paid in time, released and cannot be cancelled; nothing changed."
ONLY_AFTER_SALES = "Only after-sales staff may cancel an order."
SAY_WHY = "Say why the order is cancelled."
TOO_LONG = "The reason may be at most 500 characters long."

BY_AFTER_SALES = "Cancelled by our customer service team."
VOIDED = "The authorisation on your card was released: you were not charged."
NOT_CHARGED = "You were not charged."

REASON = "Buyer rang from 12 Rue Example: Grace Hopper wants it sent elsewhere, cancel it."


def _customer() -> tuple[Any, Client]:
    from lookout.accounts.services import create_account

    user = create_account(
        email=f"buyer.{secrets.token_hex(3)}@example.com", password="a-long-passphrase-1"
    )
    client = Client()
    client.force_login(user)
    return user, client


def _payment(order: Order) -> Payment:
    return Payment.objects.get(order_ref=order.pk)


def _stock(order: Order) -> int:
    return Product.objects.get(pk=order.lines.get().product_id).stock


def _message(order: Order) -> str:
    message = Message.objects.get(dedupe_key=f"order:{order.id}:cancelled")
    return str(reveal(message, ["body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["body"])


def _note(order: Order) -> str:
    return OrderEvent.objects.get(order=order, to_status=Status.CANCELLED).note


def _entry(order: Order) -> AuditEntry:
    return AuditEntry.objects.get(action="order.cancellation", subject_ref=str(order.subject))


def _reason_in_access_file(order: Order) -> str | None:
    document = build_document(subject=order.subject)
    (section,) = [s for s in document["sections"] if s["name"] == "cancellations"]
    (row,) = [r for r in section["data"] if r["order"] == order.number]
    return row["reason"]


def _state(order: Order) -> dict[str, Any]:
    """Everything a refused cancellation must leave as it was."""
    order.refresh_from_db()
    payment = Payment.objects.filter(order_ref=order.pk).first()
    return {
        "order": (order.status, order.closed_at),
        "stock": sorted(
            Product.objects.filter(pk__in=order.lines.values("product_id")).values_list(
                "pk", "stock"
            )
        ),
        "payment": payment and (payment.status, payment.refunded_amount),
        "events": OrderEvent.objects.filter(order=order).count(),
        "cancellations": Cancellation.objects.filter(order=order).count(),
        "messages": Message.objects.filter(subject=order.subject).count(),
        "audit": AuditEntry.objects.filter(
            Q(subject_ref=str(order.subject))
            | Q(target=f"orders.Order:{order.pk}")
            | Q(target=f"payments.Payment:{payment.pk if payment else ''}")
        ).count(),
    }


def _order_in(status: str, *, user: Any, clerk: Any) -> Order:
    """An order of `user` (None: a guest) brought to `status` the way the store does it."""
    if status == Status.CANCELLED:
        return cancel_by_customer(order=paid_order(user=user), actor=user)
    if status == Status.PROCESSING:
        return services.start_processing(order=paid_order(user=user), actor=clerk)
    if status == Status.SHIPPED:
        order = paid_order(user=user)
        ship_order(order=order, actor=clerk)
        return Order.objects.get(pk=order.pk)
    if status == Status.DELIVERED:
        return delivered_order(clerk, user=user)
    if status == Status.PAYMENT_FAILED:
        return services.mark_payment_failed(order=place(user=user), note="Card declined.")
    assert status == Status.EXPIRED
    expired = services.expire_order(order=place(user=user), note="Not paid in time.")
    assert expired is not None
    return expired


# --- the refusal a person reads, for each status ---------------------------------------------

BUYER_REFUSALS: dict[str, str] = {
    Status.CANCELLED: ALREADY_CANCELLED,
    Status.PROCESSING: BEING_PREPARED,
    Status.SHIPPED: HANDED_OVER_BUYER,
    Status.DELIVERED: HANDED_OVER_BUYER,
    Status.PAYMENT_FAILED: PAYMENT_FAILED,
    Status.EXPIRED: EXPIRED,
}


@pytest.mark.parametrize("status", list(BUYER_REFUSALS))
def test_the_buyer_reads_why_their_order_can_no_longer_be_cancelled(
    staff: Staff, status: str
) -> None:
    # given a signed-in buyer's order past the point they may cancel it
    customer, client = _customer()
    clerk, _ = staff(Role.WAREHOUSE)
    order = _order_in(status, user=customer, clerk=clerk)
    before = _state(order)
    # when they open the cancellation page
    asked = client.get(f"/orders/{order.number}/cancel/")
    # then they are told why, in words that fit where the order is (409)
    assert asked.status_code == 409
    assert BUYER_REFUSALS[status] in asked.content.decode()
    assert refusal_for(status) == BUYER_REFUSALS[status]
    if status != Status.CANCELLED:
        # and the cancellation itself is refused with the same words, changing nothing
        with pytest.raises(CannotCancel) as refused:
            cancel_by_customer(order=order, actor=customer)
        assert refused.value.message == BUYER_REFUSALS[status]
        assert refused.value.status_code == 409
        posted = client.post(f"/orders/{order.number}/cancel/")
        assert posted.status_code == 409
        assert BUYER_REFUSALS[status] in posted.content.decode()
    assert _state(order) == before


STAFF_REFUSALS: dict[str, str] = {
    Status.SHIPPED: HANDED_OVER_STAFF,
    Status.DELIVERED: HANDED_OVER_STAFF,
    Status.PAYMENT_FAILED: PAYMENT_FAILED,
    Status.EXPIRED: EXPIRED,
}


@pytest.mark.parametrize("status", list(STAFF_REFUSALS))
def test_after_sales_reads_why_an_order_can_no_longer_be_cancelled(
    staff: Staff, status: str
) -> None:
    # given a guest's order past the point after-sales may cancel it
    clerk, _ = staff(Role.WAREHOUSE)
    agent, client = staff(Role.AFTER_SALES)
    order = _order_in(status, user=None, clerk=clerk)
    before = _state(order)
    # when after-sales tries to cancel it, at the back office or through the service
    answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": REASON})
    with pytest.raises(CannotCancel) as refused:
        cancel_by_staff(order=order, actor=agent, reason=REASON)
    # then they are told why (a parcel handed over: open a return), and nothing changed
    assert answer.status_code == 409
    assert STAFF_REFUSALS[status] in answer.content.decode()
    assert refused.value.message == STAFF_REFUSALS[status]
    assert refusal_for(status, staff=True) == STAFF_REFUSALS[status]
    assert _state(order) == before


def test_the_store_cannot_cancel_a_parcel_already_handed_to_the_carrier(staff: Staff) -> None:
    clerk, _ = staff(Role.WAREHOUSE)
    order = _order_in(Status.SHIPPED, user=None, clerk=clerk)
    before = _state(order)
    with pytest.raises(CannotCancel) as refused:
        cancel_order(order=order, actor=None, note="Fraud check failed.")
    assert refused.value.message == HANDED_OVER_STAFF
    assert _state(order) == before


# --- who may cancel ---------------------------------------------------------------------------


def test_among_staff_only_after_sales_may_cancel_and_a_refusal_changes_nothing(
    staff: Staff,
) -> None:
    # given a paid order
    order = paid_order()
    before = _state(order)
    # when every other staff role, a customer and an anonymous visitor try to cancel it
    others = [staff(role) for role in Role if role != Role.AFTER_SALES]
    assert {user.role for user, _ in others} == set(Role) - {Role.AFTER_SALES}
    for user, client in others:
        answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": REASON})
        assert answer.status_code == 403, user.role
        assert ONLY_AFTER_SALES in answer.content.decode()
        with pytest.raises(Forbidden) as refused:
            cancel_by_staff(order=order, actor=user, reason=REASON)
        assert (refused.value.status_code, refused.value.message) == (403, ONLY_AFTER_SALES)
    customer, _ = _customer()
    nobodies: list[Any] = [customer, AnonymousUser()]  # a view may pass a signed-out visitor
    for nobody in nobodies:
        with pytest.raises(Forbidden) as refused:
            cancel_by_staff(order=order, actor=nobody, reason=REASON)
        assert refused.value.message == ONLY_AFTER_SALES
    # then nothing changed
    assert _state(order) == before
    # and after-sales may
    agent, _ = staff(Role.AFTER_SALES)
    cancel_by_staff(order=order, actor=agent, reason=REASON)
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED


@pytest.mark.commitment("C4.4")
def test_the_cancellation_names_who_cancelled(staff: Staff) -> None:
    # given a signed-in buyer's order, a guest's order and an order after-sales cancels
    customer, _ = _customer()
    agent, _ = staff(Role.AFTER_SALES)
    mine = cancel_by_customer(order=paid_order(user=customer), actor=customer)
    guests = cancel_by_customer(order=paid_order(), actor=None)
    staffs = cancel_by_staff(order=paid_order(), actor=agent, reason=REASON)
    # then the cancellation, the history and the audit log name each by their pseudonymous id
    expected = {
        mine: ("customer", str(customer.subject)),
        guests: ("customer", "guest"),
        staffs: ("after_sales", str(agent.subject)),
    }
    for order, (by, who) in expected.items():
        row = Cancellation.objects.get(order=order)
        assert (row.by, row.actor_ref) == (by, who)
        event = OrderEvent.objects.get(order=order, to_status=Status.CANCELLED)
        assert event.actor_ref == who
    assert _entry(mine).actor_ref == str(customer.subject)
    assert _entry(staffs).actor_ref == str(agent.subject)
    # a guest is a visitor in the audit log, never the store acting on its own
    cancelled = AuditEntry.objects.get(action="order.cancelled", subject_ref=str(guests.subject))
    assert (_entry(guests).actor_ref, cancelled.actor_ref) == ("anonymous", "anonymous")


# --- the reason after-sales gives -------------------------------------------------------------


def test_after_sales_must_say_why(staff: Staff) -> None:
    order = paid_order()
    agent, client = staff(Role.AFTER_SALES)
    before = _state(order)
    for blank in ("", "   ", " \n\t "):
        with pytest.raises(LookoutError) as refused:
            cancel_by_staff(order=order, actor=agent, reason=blank)
        assert (refused.value.status_code, refused.value.message) == (400, SAY_WHY)
    answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": " \n "})
    assert answer.status_code == 400 and SAY_WHY in answer.content.decode()
    assert _state(order) == before


def test_a_reason_longer_than_500_characters_is_refused_and_changes_nothing(
    staff: Staff,
) -> None:
    order = paid_order()
    agent, client = staff(Role.AFTER_SALES)
    before = _state(order)
    with pytest.raises(LookoutError) as refused:
        cancel_by_staff(order=order, actor=agent, reason="y" * 501)
    assert (refused.value.status_code, refused.value.message) == (400, TOO_LONG)
    answer = client.post(f"/staff/desk/orders/{order.number}/cancel/", {"reason": "y" * 900})
    assert answer.status_code == 400 and TOO_LONG in answer.content.decode()
    assert _state(order) == before


def test_a_reason_of_exactly_500_characters_is_kept_whole_and_spaces_around_it_do_not_count(
    staff: Staff,
) -> None:
    agent, _ = staff(Role.AFTER_SALES)
    full = "z" * 500
    first = cancel_by_staff(order=paid_order(), actor=agent, reason=full)
    second = cancel_by_staff(order=paid_order(), actor=agent, reason=f"  \n{full}\t ")
    third = cancel_by_staff(order=paid_order(), actor=agent, reason="  Asked by phone.  ")
    for order in (first, second, third):
        assert Order.objects.get(pk=order.pk).status == Status.CANCELLED
    assert _reason_in_access_file(first) == full
    assert _reason_in_access_file(second) == full
    assert _reason_in_access_file(third) == "Asked by phone."


# --- what becomes of the payment, and what the history says -----------------------------------


def test_an_authorised_payment_is_voided_and_the_history_says_so(staff: Staff) -> None:
    agent, _ = staff(Role.AFTER_SALES)
    order = paid_order()
    cancel_by_staff(order=order, actor=agent, reason=REASON)
    payment = _payment(order)
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        Payment.Status.VOIDED,
        0,
        0,
    )
    assert Cancellation.objects.get(order=order).payment == "voided"
    assert _note(order) == f"{BY_AFTER_SALES} {VOIDED}"
    assert _entry(order).detail["payment"] == "voided"


def test_a_captured_payment_is_refunded_in_full_and_the_history_names_the_amount(
    staff: Staff,
) -> None:
    # given an order being prepared for 3 items, whose payment was captured
    clerk, _ = staff(Role.WAREHOUSE)
    agent, _ = staff(Role.AFTER_SALES)
    order = services.start_processing(order=paid_order(quantity=3), actor=clerk)
    capture(payment=_payment(order), actor=clerk)
    # when after-sales cancels it
    cancel_by_staff(order=order, actor=agent, reason=REASON)
    # then the whole capture is refunded, and the history and the message say how much
    payment = _payment(order)
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == order.total > 0
    expected = (
        f"{BY_AFTER_SALES} The {format_usd(order.total)} charged to your card was refunded in full."
    )
    assert _note(order) == expected
    assert expected in _message(order)
    assert Cancellation.objects.get(order=order).payment == "refunded"
    assert _entry(order).detail["payment"] == "refunded"


def test_nothing_is_given_back_when_nothing_was_taken() -> None:
    # given a signed-in buyer's order whose payment never started
    customer, _ = _customer()
    order = place(user=customer)
    assert order.payment_id is None
    # when they cancel it
    cancel_by_customer(order=order, actor=customer)
    # then no payment exists, and the history says they were not charged
    assert not Payment.objects.filter(order_ref=order.pk).exists()
    assert _note(order) == f"Cancelled at your request. {NOT_CHARGED}"
    assert Cancellation.objects.get(order=order).payment == "nothing_taken"
    assert _entry(order).detail["payment"] == "nothing_taken"


# --- the store's own cancellation -------------------------------------------------------------


def test_the_store_cancels_with_its_own_fixed_wording_first(staff: Staff) -> None:
    # given a placed order and a paid one, and a staff member acting for the store
    clerk, _ = staff(Role.WAREHOUSE)
    placed, paid = place(), paid_order()
    stock_before = _stock(paid)
    # when the store cancels them, with and without a note of its own
    cancel_order(order=placed, actor=None, note="  Fraud check failed.  ")
    cancel_order(order=paid, actor=clerk)
    # then each is cancelled by "the store", the note (trimmed) before the fixed wording
    assert _note(placed) == f"Fraud check failed. Cancelled by the store. {NOT_CHARGED}"
    assert _note(paid) == f"Cancelled by the store. {VOIDED}"
    assert Order.objects.get(pk=paid.pk).status == Status.CANCELLED
    assert _stock(paid) == stock_before + 1
    assert _payment(paid).status == Payment.Status.VOIDED
    rows = {c.order_id: c for c in Cancellation.objects.filter(order__in=[placed, paid])}
    assert (rows[placed.pk].by, rows[placed.pk].actor_ref) == ("store", "system")
    assert (rows[paid.pk].by, rows[paid.pk].actor_ref) == ("store", str(clerk.subject))
    assert _entry(paid).actor_ref == str(clerk.subject)
    assert _entry(placed).detail == {
        "number": placed.number,
        "by": "store",
        "payment": "nothing_taken",
        "reason": "none",
    }


def test_the_history_note_is_never_longer_than_its_200_characters() -> None:
    order = place()
    cancel_order(order=order, actor=None, note="Released by the store. " * 12)
    note = _note(order)
    assert len(note) == 200
    assert note.startswith("Released by the store. Released")


# --- once, all of it --------------------------------------------------------------------------


def test_the_stock_comes_back_once_and_a_repeated_cancel_changes_nothing(staff: Staff) -> None:
    # given a signed-in buyer's paid order for 2 items
    customer, client = _customer()
    agent, _ = staff(Role.AFTER_SALES)
    order = paid_order(quantity=2, user=customer, stock=7)
    assert _stock(order) == 5
    started = timezone.now()
    # when after-sales cancels it
    cancel_by_staff(order=order, actor=agent, reason=REASON)
    order.refresh_from_db()
    # then both items are back on sale, and the order is closed now
    assert order.status == Status.CANCELLED
    assert order.closed_at is not None and started <= order.closed_at <= timezone.now()
    assert _stock(order) == 7
    after = _state(order)
    # when it is cancelled again, by after-sales, the buyer and the store
    assert cancel_by_staff(order=order, actor=agent, reason="Again.").pk == order.pk
    assert cancel_by_customer(order=order, actor=customer).status == Status.CANCELLED
    cancel_order(order=order, actor=None, note="Store cleanup.")
    assert client.post(f"/orders/{order.number}/cancel/").status_code == 302
    # then nothing more changed: stock, payment, history, messages, audit
    assert _state(order) == after
    assert _stock(order) == 7
    assert Order.objects.get(pk=order.pk).closed_at == order.closed_at
    assert _reason_in_access_file(order) == REASON


# --- the audit trail, and the reason's plaintext nowhere --------------------------------------


def test_the_audit_names_who_what_became_of_the_payment_and_the_sealed_field(
    staff: Staff,
) -> None:
    # given one order cancelled by after-sales with a reason, one by its buyer without
    customer, _ = _customer()
    agent, _ = staff(Role.AFTER_SALES)
    by_staff = cancel_by_staff(order=paid_order(), actor=agent, reason=REASON)
    by_buyer = cancel_by_customer(order=paid_order(user=customer), actor=customer)
    # then each cancellation entry targets the cancellation, of the buyer's subject
    for order in (by_staff, by_buyer):
        entry = _entry(order)
        row = Cancellation.objects.get(order=order)
        assert entry.target == f"orders.Cancellation:{row.pk}"
        assert entry.subject_ref == str(order.subject)
    # and says who, what became of the payment, and only whether a reason was given, and where
    staffs = _entry(by_staff)
    assert staffs.fields == ["orders.Cancellation.reason"]
    assert staffs.detail == {
        "number": by_staff.number,
        "by": "after_sales",
        "payment": "voided",
        "reason": "sealed",
    }
    buyers = _entry(by_buyer)
    assert buyers.fields == []
    assert buyers.detail == {
        "number": by_buyer.number,
        "by": "customer",
        "payment": "voided",
        "reason": "none",
    }
    assert Cancellation.objects.get(order=by_buyer).reason is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_the_reason_is_stored_sealed_and_nowhere_in_plain_text(staff: Staff) -> None:
    # given an order being prepared whose payment was captured
    clerk, _ = staff(Role.WAREHOUSE)
    _, client = staff(Role.AFTER_SALES)
    order = services.start_processing(order=paid_order(), actor=clerk)
    capture(payment=_payment(order), actor=clerk)
    # when after-sales cancels it from the order desk, with a reason naming the buyer
    answer = client.post(f"/staff/desk/orders/{order.number}/cancel/", {"reason": REASON})
    assert answer.status_code == 302
    # then the reason is kept for the buyer to read back
    assert _reason_in_access_file(order) == REASON
    # and its words are nowhere else: not in the stored bytes, the history, message or audit
    words = ("Grace Hopper", "12 Rue Example", "sent elsewhere")
    raw = raw_database_bytes()
    notes = " ".join(OrderEvent.objects.filter(order=order).values_list("note", flat=True))
    audit = json.dumps(
        [
            [e.action, e.target, e.fields, e.detail]
            for e in AuditEntry.objects.filter(subject_ref=str(order.subject))
        ]
    )
    for word in words:
        assert word.encode() not in raw
        assert word not in notes and word not in audit
        assert word not in _message(order)
