"""Fixtures for the subject-request tests: a customer with a history, a guest buyer, staff."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from django.db import transaction
from django.test import Client

from lookout.accounts.models import User
from lookout.accounts.services import create_account, record_marketing_choice
from lookout.orders.models import Order, Status
from lookout.orders.testing import GUEST_EMAIL, PHONE, RECIPIENT, partners, place, policies, staff
from lookout.privacy.models import GuestChallenge

__all__ = ["partners", "policies", "staff"]

PASSWORD = "correct-horse-battery"
EMAIL = "ann.person@example.com"
STREET = "1600 Amphitheatre Pkwy"


@dataclass
class Person:
    user: User
    client: Client
    orders: list[Order]


def pay(order: Order, *, last4: str = "4242") -> Order:
    from lookout.orders.services import mark_paid
    from lookout.payments.models import Payment

    payment = Payment.objects.create(
        order_ref=order.id,
        amount=order.total,
        status=Payment.Status.CAPTURED,
        processor_token=f"tok_{secrets.token_hex(6)}",
        brand="visa",
        last4=last4,
        exp_month=12,
        exp_year=date.today().year + 5,
        authorized_amount=order.total,
        captured_amount=order.total,
        idempotency_key=secrets.token_hex(8),
    )
    return mark_paid(order=order, payment_id=payment.id)


def deliver(order: Order) -> Order:
    from lookout.orders.services import mark_delivered, transition

    order = pay(order)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        transition(order=locked, to=Status.PROCESSING, actor=None)
        transition(order=locked, to=Status.SHIPPED, actor=None)
    return mark_delivered(order=order)


def disclose_to_carrier(order: Order) -> None:
    from lookout.core.purposes import Purpose
    from lookout.orders.demo import CARRIER_NAME
    from lookout.sharing.models import Partner
    from lookout.sharing.services import disclose

    carrier = Partner.objects.get(name=CARRIER_NAME)
    disclose(partner=carrier, record=order.delivery, purpose=Purpose.DELIVERY, actor=None)


@pytest.fixture
def person(policies: None, partners: None) -> Person:
    """A signed-in customer with a delivered order (shared with the carrier) and a choice."""
    user = create_account(email=EMAIL, password=PASSWORD)
    record_marketing_choice(user=user, opted_in=True, wording="Email me offers.", source="signup")
    order = deliver(place(user=user))
    disclose_to_carrier(order)
    client = Client()
    client.force_login(user)
    return Person(user=user, client=client, orders=[order])


@pytest.fixture
def guest_order(policies: None, partners: None) -> Order:
    """A guest's delivered order (with its contact email)."""
    return deliver(place())


@pytest.fixture
def sent_code():  # type: ignore[no-untyped-def]
    """Start a guest challenge through the form; returns (challenge id, code or None)."""

    def start(
        client: Client, *, email: str, number: str, kind: str
    ) -> tuple[uuid.UUID, str | None]:
        from django.core import mail

        mailoutbox = mail.outbox
        before = len(mailoutbox)
        response = client.post(
            "/privacy/guest/", {"email": email, "order_number": number, "kind": kind}
        )
        assert response.status_code == 200
        challenge = GuestChallenge.objects.order_by("-created_at").first()
        assert challenge is not None
        code = None
        if len(mailoutbox) > before:
            body = mailoutbox[-1].body
            code = body.split("Your code is ", 1)[1][:6]
        return challenge.id, code

    return start


__all__ += ["EMAIL", "GUEST_EMAIL", "PASSWORD", "PHONE", "RECIPIENT", "STREET"]
