"""The marketing choice changes no price and no checkout step (C3.7)."""

from __future__ import annotations

import re
import secrets

import pytest
from django.test import Client

from lookout.cart.services import add_to_cart, open_cart
from lookout.orders.services import place_order
from lookout.orders.testing import details, make_product

MONEY = re.compile(r"\$\s?[\d,]+\.\d{2}")


def _clients(people) -> dict[str, Client]:
    clients = {"guest": Client()}
    for key in ("opted_in", "left", "unticked"):
        clients[key] = Client()
        clients[key].force_login(people[key])
    return clients


@pytest.mark.django_db
@pytest.mark.commitment("C3.7")
def test_opted_in_opted_out_and_guest_see_the_same_prices(people):
    product = make_product()
    pages = {}
    for who, client in _clients(people).items():
        # the product page, and a cart with the same product
        page = client.get(product.get_absolute_url())
        cart, token = open_cart()
        add_to_cart(cart=cart, sku=product.sku, quantity=2)
        cart_page = client.get(f"/cart/{token}/")
        assert page.status_code == 200 and cart_page.status_code == 200
        pages[who] = (
            MONEY.findall(page.content.decode()),
            MONEY.findall(cart_page.content.decode()),
        )
    assert pages["guest"][0] and pages["guest"][1]  # the pages do show prices
    assert all(p == pages["guest"] for p in pages.values())


@pytest.mark.django_db
@pytest.mark.commitment("C3.7")
def test_orders_cost_the_same_whatever_the_choice(people):
    product = make_product()
    totals = {}
    for who in ("guest", "opted_in", "left", "unticked"):
        user = None if who == "guest" else people[who]
        cart, _ = open_cart()
        add_to_cart(cart=cart, sku=product.sku, quantity=1)
        order = place_order(
            cart=cart,
            delivery=details(**({"email": None} if user else {})),
            idempotency_key=secrets.token_urlsafe(16),
            user=user,
        )
        totals[who] = (order.subtotal, order.shipping, order.total)
    assert len(set(totals.values())) == 1
