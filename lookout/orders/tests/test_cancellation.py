"""Cancelling an order before it ships (issue 20, item 4): by the buyer from their order page
or a guest with the emailed link and the order number (until picking starts), by after-sales
with a reason (until it ships). Stock goes back, the payment is voided or refunded at the
processor, the buyer gets a message, and a refusal changes nothing."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from django.test import Client

from lookout.access import reveal
from lookout.audit.models import AuditEntry
from lookout.catalog.models import Product
from lookout.core.errors import Forbidden
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders import cancellation, services
from lookout.orders.guest import guest_token
from lookout.orders.models import Cancellation, Order, OrderEvent, Status
from lookout.payments.gateway import get_gateway
from lookout.payments.models import Payment
from lookout.returns.testing import paid_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

REASON = "Customer phoned: Ada Lovelace moved to 12 Rue Example, Paris; cancel and reorder."


def _customer(email: str = "") -> tuple[Any, Client]:
    from lookout.accounts.services import create_account

    user = create_account(
        email=email or f"buyer.{secrets.token_hex(3)}@example.com",
        password="a-long-passphrase-1",
    )
    client = Client()
    client.force_login(user)
    return user, client


def _state(order: Order) -> dict[str, Any]:
    """What a refused cancellation must leave as it was."""
    order.refresh_from_db()
    payment = _payment(order)
    return {
        "status": order.status,
        "stock": list(
            Product.objects.filter(pk__in=order.lines.values("product_id")).values_list(
                "pk", "stock"
            )
        ),
        "payment": (payment.status, payment.captured_amount, payment.refunded_amount),
        "processor": get_gateway().fetch(str(payment.processor_reference)).status,
        "events": OrderEvent.objects.filter(order=order).count(),
        "cancellations": Cancellation.objects.filter(order=order).count(),
    }


def _payment(order: Order) -> Payment:
    return Payment.objects.get(order_ref=order.pk)


def _stock(order: Order) -> int:
    return Product.objects.get(pk=order.lines.get().product_id).stock


def _message(order: Order) -> str:
    message = Message.objects.get(dedupe_key=f"order:{order.id}:cancelled")
    return str(reveal(message, ["body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["body"])


@pytest.mark.commitment("C3.5")
def test_customer_cancels_a_paid_order_and_the_authorization_is_voided_at_the_processor() -> None:
    # given a signed-in customer's paid order (authorized at the sandbox processor)
    customer, _ = _customer()
    order = paid_order(user=customer)
    stock_before = _stock(order)
    reference = str(_payment(order).processor_reference)
    assert get_gateway().fetch(reference).status == "authorized"
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    # when they open their order page, follow "Cancel this order" and confirm with the form
    page = client.get(f"/orders/{order.number}/")
    assert f"/orders/{order.number}/cancel/" in page.content.decode()
    confirm = client.get(f"/orders/{order.number}/cancel/")
    assert confirm.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.content.decode())
    assert csrf is not None
    # (a POST without the CSRF token, as a forged cross-site form would send, is refused)
    assert client.post(f"/orders/{order.number}/cancel/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == Status.PAID
    done = client.post(f"/orders/{order.number}/cancel/", {"csrfmiddlewaretoken": csrf[1]})
    # then the order is cancelled, its stock is back and the authorization is released
    assert done.status_code == 302 and done["Location"] == f"/orders/{order.number}/"
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and order.closed_at is not None
    assert _stock(order) == stock_before + 1
    payment = _payment(order)
    assert payment.status == Payment.Status.VOIDED
    session = get_gateway().fetch(reference)
    assert (session.status, session.authorized_amount, session.captured_amount) == (
        "voided",
        0,
        0,
    )
    # and the buyer's inbox says so; the audit log says who cancelled, and the void
    assert "authorisation on your card was released" in _message(order)
    assert Cancellation.objects.get(order=order).by == Cancellation.By.CUSTOMER
    actions = set(
        AuditEntry.objects.filter(actor_ref=str(customer.subject)).values_list("action", flat=True)
    )
    assert {"payment.voided", "order.cancelled", "order.cancellation"} <= actions
    # a second submit of the same form changes nothing more
    again = client.post(f"/orders/{order.number}/cancel/", {"csrfmiddlewaretoken": csrf[1]})
    assert again.status_code == 302
    assert _stock(order) == stock_before + 1
    voids = AuditEntry.objects.filter(action="payment.voided", target__endswith=str(payment.pk))
    assert voids.count() == 1


def test_cancelling_an_order_still_on_the_payment_page_closes_that_page() -> None:
    # given a customer's placed order whose payment page is open at the processor
    from lookout.orders.payment import begin_payment
    from lookout.orders.testing import place, submit_card_on_sandbox

    customer, client = _customer()
    order = place(user=customer)
    pay_url = begin_payment(order=order, return_url="/checkout/return/x/")
    order.refresh_from_db()
    reference = str(_payment(order).processor_reference)
    # when they cancel it
    confirm = client.get(f"/orders/{order.number}/cancel/")
    assert confirm.status_code == 200
    assert client.post(f"/orders/{order.number}/cancel/").status_code == 302
    # then the page is closed: a card typed there now is refused, nothing is taken
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED
    assert get_gateway().fetch(reference).status == "expired"
    status, _ = submit_card_on_sandbox(pay_url)
    assert status.startswith("409")
    assert "You were not charged" in _message(order)


@pytest.mark.commitment("C3.5")
def test_guest_cancels_with_the_emailed_link_and_the_order_number_without_cookies() -> None:
    # given a guest's paid order and the link from their email
    order = paid_order()
    stock_before = _stock(order)
    link = f"/orders/guest/{guest_token(order=order)}/"

    def browser() -> Client:
        return Client(enforce_csrf_checks=True)  # a fresh one per request: no cookie kept

    # when they open the link, type the order number and ask to cancel
    page = browser().post(link, {"number": order.number})
    assert page.status_code == 200
    assert f"{link}cancel/" in page.content.decode()
    confirm = browser().post(f"{link}cancel/", {"number": order.number.lower()})
    assert confirm.status_code == 200
    token = re.search(r'name="confirm" value="([^"]+)"', confirm.content.decode())
    assert token is not None
    assert Order.objects.get(pk=order.pk).status == Status.PAID  # asking is not cancelling
    done = browser().post(f"{link}cancel/", {"number": order.number, "confirm": token[1]})
    # then the order is cancelled, the stock is back and the authorization voided
    assert done.status_code == 200
    assert f"Order {order.number} is cancelled." in done.content.decode()
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert _stock(order) == stock_before + 1
    payment = _payment(order)
    assert get_gateway().fetch(str(payment.processor_reference)).status == "voided"
    event = OrderEvent.objects.get(order=order, to_status=Status.CANCELLED)
    assert event.actor_ref == "guest"
    assert "authorisation on your card was released" in _message(order)


def test_guest_cannot_cancel_with_the_link_alone_a_wrong_number_or_another_orders_form() -> None:
    # given a guest's paid order, and a confirmation issued for another order
    order, other = paid_order(), paid_order()
    link = f"/orders/guest/{guest_token(order=order)}/cancel/"
    other_confirm = Client().post(
        f"/orders/guest/{guest_token(order=other)}/cancel/", {"number": other.number}
    )
    other_token = re.search(r'name="confirm" value="([^"]+)"', other_confirm.content.decode())
    assert other_token is not None
    before = _state(order)
    # when someone holding only the link, or the link and a wrong number, tries to cancel
    alone = Client().post(link, {"confirm": other_token[1]})
    wrong = Client().post(link, {"number": other.number, "confirm": other_token[1]})
    forged = Client().post(link, {"number": order.number, "confirm": other_token[1]})
    # then they are refused, and nothing changed
    assert alone.status_code == 404 and wrong.status_code == 404
    assert forged.status_code == 403
    assert "not issued for this order" in forged.content.decode()
    assert _state(order) == before
    assert Order.objects.get(pk=other.pk).status == Status.PAID


def test_customer_cannot_cancel_once_the_warehouse_started_picking(staff) -> None:
    # given a customer's paid order the warehouse has started preparing
    customer, client = _customer()
    clerk, _ = staff("warehouse")
    order = services.start_processing(order=paid_order(user=customer), actor=clerk)
    before = _state(order)
    # when they try to cancel it
    page = client.get(f"/orders/{order.number}/")
    asked = client.get(f"/orders/{order.number}/cancel/")
    posted = client.post(f"/orders/{order.number}/cancel/")
    # then they are told why, with a 409, and nothing changed
    assert f"/orders/{order.number}/cancel/" not in page.content.decode()
    assert asked.status_code == 409 and posted.status_code == 409
    assert "started preparing this order" in posted.content.decode()
    assert _state(order) == before


def test_a_customer_cannot_cancel_another_customers_order() -> None:
    # given Ann's paid order, and Bob signed in
    ann, _ = _customer()
    _, bob = _customer()
    order = paid_order(user=ann)
    before = _state(order)
    # when Bob asks for or posts the cancellation of Ann's order
    asked = bob.get(f"/orders/{order.number}/cancel/")
    posted = bob.post(f"/orders/{order.number}/cancel/")
    # then it is the same 404 as a missing order, and nothing changed
    assert asked.status_code == 404 and posted.status_code == 404
    assert _state(order) == before


def test_warehouse_staff_cannot_cancel(staff) -> None:
    # given a paid order and a warehouse clerk (second factor passed)
    order = paid_order()
    clerk, client = staff("warehouse")
    before = _state(order)
    # when the clerk posts the after-sales cancellation, or calls the service
    answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": REASON})
    with pytest.raises(Forbidden):
        cancellation.cancel_by_staff(order=order, actor=clerk, reason=REASON)
    # then it is refused (403) and nothing changed
    assert answer.status_code == 403
    assert "Only after-sales" in answer.content.decode()
    assert _state(order) == before


def test_after_sales_cannot_cancel_a_shipped_order(staff) -> None:
    # given an order the warehouse shipped (captured on shipment)
    from lookout.orders.fulfilment import ship_order

    clerk, _ = staff("warehouse")
    _, client = staff("after_sales")
    order = paid_order()
    ship_order(order=order, actor=clerk)
    before = _state(order)
    # when after-sales tries to cancel it
    answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": REASON})
    # then they are told it is too late (409), and nothing changed
    assert answer.status_code == 409
    assert "handed to the carrier" in answer.content.decode()
    assert _state(order) == before


def test_after_sales_must_give_a_bounded_reason(staff) -> None:
    order = paid_order()
    _, client = staff("after_sales")
    before = _state(order)
    empty = client.post("/staff/orders/cancel/", {"order": order.number, "reason": "  "})
    long = client.post("/staff/orders/cancel/", {"order": order.number, "reason": "x" * 501})
    assert empty.status_code == 400 and long.status_code == 400
    assert "at most 500 characters" in long.content.decode()
    assert _state(order) == before


@pytest.mark.commitment("C3.5")
def test_a_captured_order_cancelled_by_after_sales_is_refunded_in_full(staff) -> None:
    # given an order being prepared whose payment was already captured
    from lookout.payments.services import capture

    clerk, _ = staff("warehouse")
    agent, client = staff("after_sales")
    order = services.start_processing(order=paid_order(), actor=clerk)
    stock_before = _stock(order)
    payment = capture(payment=_payment(order), actor=clerk)
    assert payment.status == Payment.Status.CAPTURED
    # when after-sales cancels it, giving a reason
    answer = client.post("/staff/orders/cancel/", {"order": order.number, "reason": REASON})
    # then the order is cancelled, stock is back, and the capture is refunded at the processor
    assert answer.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert _stock(order) == stock_before + 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == order.total
    session = get_gateway().fetch(str(payment.processor_reference))
    assert (session.status, session.refunded_amount) == ("refunded", order.total)
    assert "refunded in full" in _message(order)
    target = f"payments.Payment:{payment.pk}"
    refund = AuditEntry.objects.get(action="payment.refunded", target=target)
    assert refund.actor_ref == str(agent.subject)
    assert refund.actor_role == "after_sales"
