"""Prices, features and checkout are the same in every consent state (C7.4)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from lookout.cart import services as cart
from lookout.catalog.tests import factories
from lookout.consent.cookies import CONSENT_COOKIE
from lookout.consent.models import ConsentReceipt
from lookout.consent.services import cookie_value

pytestmark = pytest.mark.django_db
STATES: dict[str, dict[str, Any]] = {
    "no choice": {},
    "accepted": {"receipt": {"analytics": True, "marketing": True}},
    "rejected": {"receipt": {"analytics": False, "marketing": False}},
    "gpc": {"headers": {"Sec-GPC": "1"}},
}


def _page(path: str, state: dict) -> tuple[int, str]:
    client = Client()
    if "receipt" in state:
        receipt = ConsentReceipt(**state["receipt"])
        client.cookies[CONSENT_COOKIE] = cookie_value(receipt=receipt)
    response = client.get(path, headers=state.get("headers", {}))
    html = response.content.decode()
    html = re.sub(r'<section class="consent-banner".*?</section>', "", html, flags=re.S)
    html = re.sub(r'nonce="[^"]*"', "", html)
    html = re.sub(r'name="form_token" value="[^"]*"', "", html)  # one-time idempotency key
    html = re.sub(r"\s+", " ", html)
    return response.status_code, html


@pytest.mark.commitment("C7.4")
def test_prices_features_and_checkout_are_identical_across_consent_states():
    on_sale = factories.product(name="Sale Cam")
    other = factories.product(name="Plain Cam", price=on_sale.list_price)
    basket, token = cart.open_cart()
    cart.add_to_cart(cart=basket, sku=on_sale.sku, quantity=2)
    paths = [
        "/",
        on_sale.get_absolute_url(),
        other.get_absolute_url(),
        f"/c/{on_sale.category.slug}/",
        "/search/?q=cam",
        f"/compare/?sku={on_sale.sku}&sku={other.sku}",
        f"/cart/{token}/",
        f"/checkout/{token}/",
    ]
    for path in paths:
        pages = {name: _page(path, state) for name, state in STATES.items()}
        assert len(set(pages.values())) == 1, f"{path} differs across consent states"
        status, _html = pages["no choice"]
        assert status == 200, path
    assert "$80.00" in _page(on_sale.get_absolute_url(), STATES["rejected"])[1]
