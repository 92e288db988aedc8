"""Fixtures and builders shared by the orders, checkout and shipping tests (imported by their
conftest files; a plain module, never imported by the product)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from lookout.cart.models import Cart
from lookout.cart.services import add_to_cart, open_cart
from lookout.catalog.models import Product
from lookout.orders.models import Order
from lookout.orders.services import DeliveryDetails, place_order

US_ADDRESS = {
    "country_code": "US",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "MOUNTAIN VIEW",
    "country_area": "CA",
    "postal_code": "94043",
}
GUEST_EMAIL = "guest.buyer@example.com"
RECIPIENT = "Ada Lovelace"
PHONE = "+16505550123"


def make_product(**overrides: Any) -> Product:
    from lookout.catalog.tests.factories import product

    return product(**overrides)


def make_cart(product: Product, quantity: int = 1) -> tuple[Cart, str]:
    cart, token = open_cart()
    add_to_cart(cart=cart, sku=product.sku, quantity=quantity)
    return cart, token


def details(**overrides: Any) -> DeliveryDetails:
    values: dict[str, Any] = {
        "name": RECIPIENT,
        "address": dict(US_ADDRESS),
        "country": "US",
        "phone": PHONE,
        "email": GUEST_EMAIL,
    }
    values.update(overrides)
    return DeliveryDetails(**values)


def place(product: Product | None = None, *, user: Any = None, **overrides: Any) -> Order:
    product = product or make_product()
    cart, _ = make_cart(product)
    return place_order(
        cart=cart,
        delivery=details(**({"email": None} if user else {}) | overrides),
        idempotency_key=secrets.token_urlsafe(16),
        user=user,
    )


@pytest.fixture
def partners(db: None) -> None:
    from lookout.orders.demo import ensure_partners

    ensure_partners()


@pytest.fixture
def policies(db: None) -> None:
    from lookout.policies.initial import ensure_initial_versions

    ensure_initial_versions()


@pytest.fixture
def staff() -> Callable[[str], Any]:
    """A staff member of `role` whose client passed the second factor."""
    from django.test import Client

    from lookout.accounts.services import create_account
    from lookout.testing.staff import client_past_second_factor

    def make(role: str) -> tuple[Any, Client]:
        user = create_account(
            email=f"{role}.{secrets.token_hex(3)}@example.com",
            password="staff-long-pass-1",  # noqa: S106
            role=role,
        )
        return user, client_past_second_factor(user)

    return make


SUCCESS_CARD = "4242 4242 4242 4242"
DECLINE_CARD = "4000 0000 0000 0002"


def pay_on_sandbox(pay_url: str, *, card: str = SUCCESS_CARD) -> str:
    """Play the customer on the processor's hosted page (its real WSGI app, in-process): type
    the card and submit. Returns the Location the processor redirects the browser to."""
    status, location = submit_card_on_sandbox(pay_url, card=card)
    assert status.startswith("303"), status
    return location


def submit_card_on_sandbox(pay_url: str, *, card: str = SUCCESS_CARD) -> tuple[str, str]:
    """`pay_on_sandbox` without the check: the processor's status line and its Location
    (empty when it answered with a page, e.g. a closed one)."""
    from sandbox_processor.shopper import submit_test_card

    return submit_test_card(pay_url, card=card, host="testserver")
