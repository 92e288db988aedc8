from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from lookout.orders.testing import partners, policies, staff  # noqa: F401

PASSWORD = "a-long-passphrase-1"


@pytest.fixture
def customer() -> Any:
    """A signed-in customer: (user, client)."""

    def make() -> tuple[Any, Client]:
        from lookout.accounts.services import create_account

        user = create_account(email=f"buyer.{secrets.token_hex(3)}@example.com", password=PASSWORD)
        client = Client()
        client.force_login(user)
        return user, client

    return make


@pytest.fixture
def buyer(customer, partners, policies) -> Any:  # noqa: F811
    """A signed-in customer whose order of one product was delivered: (user, client, order)."""

    def make(**product: Any) -> tuple[Any, Client, Any]:
        from lookout.accounts.services import create_account
        from lookout.returns.testing import delivered_order

        clerk = create_account(
            email=f"clerk.{secrets.token_hex(3)}@example.com",
            password="staff-long-pass-1",
            role="warehouse",
        )
        user, client = customer()
        order = delivered_order(clerk, user=user, **product)
        return user, client, order

    return make


def product_of(order: Any) -> Any:
    return order.lines.first().product


def write_url(product: Any) -> str:
    return f"/reviews/{product.slug}/write/"


def review_form(**overrides: Any) -> dict[str, str]:
    form = {
        "stars": "4",
        "body": "Sharp picture at night, and the mount held through a storm.",
        "pseudonym": "Quill from the hills",
        "agree": "on",
    }
    form.update(overrides)
    return form


def reviews_url(product: Any) -> str:
    """The address of the product's published reviews (loaded by its page, linked from it)."""
    return f"/p/{product.slug}/reviews/"
