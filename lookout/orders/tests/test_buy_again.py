"""Buy again (issue 20): an order that expired unpaid or was cancelled goes back into a cart.

The buyer told in their inbox (or on the guest link's page) that the order was released presses
"Buy again" on the order's page; its lines go back into their cart at today's prices, as far
as they can still be bought (stock, the per-line limit), and the cart page says plainly what
did not come back. Real views through Django's test client (CSRF enforced), real database.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from lookout.access import reveal
from lookout.cart.models import Cart, CartLine
from lookout.cart.services import add_to_cart, get_cart, open_cart, sign_notes
from lookout.catalog.models import MAX_PER_LINE, Product
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders import cancellation, services
from lookout.orders.guest import guest_token
from lookout.orders.models import Order
from lookout.orders.testing import details, make_product, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def _customer() -> tuple[Any, Client]:
    from lookout.accounts.services import create_account

    user = create_account(
        email=f"buyer.{secrets.token_hex(3)}@example.com", password="a-long-passphrase-1"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return user, client


def _order(lines: list[tuple[Product, int]], *, user: Any = None) -> Order:
    cart, _ = open_cart()
    for product, quantity in lines:
        add_to_cart(cart=cart, sku=product.sku, quantity=quantity)
    return services.place_order(
        cart=cart,
        delivery=details(**({"email": None} if user else {})),
        idempotency_key=secrets.token_urlsafe(16),
        user=user,
    )


def _expire(order: Order) -> Order:
    expired = services.expire_order(order=order, note="It was not paid within 30 minutes.")
    assert expired is not None
    return expired


def _csrf(page: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found, "the form carries no CSRF token"
    return found.group(1)


def _cart_lines(token: str) -> dict[str, int]:
    cart = get_cart(token=token)
    return {
        line.product.sku: line.quantity
        for line in CartLine.objects.filter(cart_id=cart.pk).select_related("product")
    }


def _token_of(location: str) -> str:
    return urlsplit(location).path.rstrip("/").split("/")[-1]


def _body(message: Message) -> str:
    return str(reveal(message, ["body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["body"])


@pytest.mark.commitment("C3.5")
def test_a_signed_in_buyer_puts_an_expired_order_back_in_a_cart(settings) -> None:
    # given a signed-in buyer whose order of two products was not paid in time
    user, client = _customer()
    camera, doorbell = make_product(stock=5), make_product(stock=5)
    order = _expire(_order([(camera, 2), (doorbell, 1)], user=user))
    # the inbox message says where to buy it again, as a link to the order's page
    notice = Message.objects.get(dedupe_key=f"order:{order.id}:expired")
    assert f"{settings.LOOKOUT_SITE_URL}/orders/{order.number}/" in _body(notice)
    # and the order's page offers "Buy again", a CSRF-protected form
    page = client.get(f"/orders/{order.number}/")
    assert page.status_code == 200
    assert "Buy again" in page.content.decode()
    # without the CSRF token the POST is refused and no cart is made
    carts = Cart.objects.count()
    assert client.post(f"/orders/{order.number}/buy-again/").status_code == 403
    assert Cart.objects.count() == carts
    # when they press it
    answer = client.post(f"/orders/{order.number}/buy-again/", {"csrfmiddlewaretoken": _csrf(page)})
    # then they land on a new cart holding the order's lines
    assert answer.status_code == 302
    token = _token_of(answer["Location"])
    assert _cart_lines(token) == {camera.sku: 2, doorbell.sku: 1}
    cart_page = Client().get(answer["Location"])
    assert cart_page.status_code == 200
    assert f"The items of order {order.number} are in your cart" in cart_page.content.decode()


def test_what_can_no_longer_be_bought_is_limited_and_said(settings) -> None:
    # given a guest's cancelled order, and since then: one product sold out, one down to 2
    # left, one now cheaper, and a limit of MAX_PER_LINE per line
    sold_out, scarce, cheaper = (make_product(stock=6) for _ in range(3))
    order = _order([(sold_out, 1), (scarce, 4), (cheaper, 2)])
    cancellation.cancel_by_customer(order=order, actor=None)
    Product.objects.filter(pk=sold_out.pk).update(stock=0)
    Product.objects.filter(pk=scarce.pk).update(stock=2)
    Product.objects.filter(pk=cheaper.pk).update(price=Decimal("1.00"))
    # and the guest's cart already holds MAX_PER_LINE - 1 of the cheaper product
    Product.objects.filter(pk=cheaper.pk).update(stock=MAX_PER_LINE * 3)
    cart, cart_token = open_cart()
    add_to_cart(cart=cart, sku=cheaper.sku, quantity=MAX_PER_LINE - 1)
    link = f"/orders/guest/{guest_token(order=order)}/"
    # the guest page (link and number) offers "Buy again"
    page = Client().post(link, {"number": order.number})
    assert page.status_code == 200 and "Buy again" in page.content.decode()
    # when the guest presses it, from a page that knew their cart
    answer = Client().post(link + "buy-again/", {"number": order.number, "cart": cart_token})
    # then their own cart gets what can be bought: none sold out, the 2 left, 1 up to the limit
    assert answer.status_code == 302
    assert _token_of(answer["Location"]) == cart_token
    assert _cart_lines(cart_token) == {scarce.sku: 2, cheaper.sku: MAX_PER_LINE}
    # and the cart page says each thing plainly, with today's price
    text = Client().get(answer["Location"]).content.decode()
    assert f"{sold_out.name} is sold out, so it was not added." in text
    assert f"Only 2 of {scarce.name} could be added (you wanted 4)" in text
    assert f"One order may hold at most {MAX_PER_LINE} of {cheaper.name}: 1 added" in text
    assert f"{cheaper.name} now costs $1.00" in text
    assert f"Some items of order {order.number} are back in your cart" in text


def test_a_guest_needs_the_link_and_the_number() -> None:
    order = _expire(place(make_product(stock=3)))
    link = f"/orders/guest/{guest_token(order=order)}/buy-again/"
    carts = Cart.objects.count()
    assert Client().post(link, {"number": "LK-WRONG234"}).status_code == 404
    assert (
        Client().post("/orders/guest/not-a-token/buy-again/", {"number": order.number}).status_code
        == 404
    )
    assert Cart.objects.count() == carts
    # and a GET changes nothing
    assert Client().get(link).status_code == 405
    # the guest's expiry message points at the button on the page it is read on
    notice = Message.objects.get(dedupe_key=f"order:{order.id}:expired")
    assert '"Buy again" on this page' in _body(notice)


def test_an_order_going_ahead_is_not_bought_again_and_another_buyers_is_not_found() -> None:
    user, client = _customer()
    order = place(make_product(stock=3), user=user)
    page = client.get(f"/orders/{order.number}/")
    assert "Buy again" not in page.content.decode()
    carts = Cart.objects.count()
    answer = client.post(f"/orders/{order.number}/buy-again/", {"csrfmiddlewaretoken": _csrf(page)})
    assert answer.status_code == 409
    assert "only an order that was cancelled" in answer.content.decode()
    assert Cart.objects.count() == carts
    # another person's (released) order is the same 404 as a missing one
    _, stranger = _customer()
    _expire(order)
    stranger_page = stranger.get("/orders/")
    assert (
        stranger.post(
            f"/orders/{order.number}/buy-again/", {"csrfmiddlewaretoken": _csrf(stranger_page)}
        ).status_code
        == 404
    )
    assert Cart.objects.count() == carts


@pytest.mark.commitment("C7.4")
def test_the_cart_page_shows_only_notes_the_store_signed() -> None:
    _, token = open_cart()
    forged = "?refilled=" + "Call%20us%20at%20555"
    assert "Call us" not in Client().get(f"/cart/{token}/{forged}").content.decode()
    signed = Client().get(f"/cart/{token}/?refilled={sign_notes(['Hello from the store'])}")
    assert "Hello from the store" in signed.content.decode()
