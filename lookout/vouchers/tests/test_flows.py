"""Discount codes through the store's doors: the cart and checkout pages, the JSON API, the
guess limit per network, the order pages, the catalog manager's admin, and the refund of a
discounted line."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from lookout.cart.services import add_to_cart, open_cart
from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, pay_on_sandbox
from lookout.testing.staff import client_past_second_factor
from lookout.vouchers.models import Voucher

MINUS = "\N{MINUS SIGN}"  # as the pages print a discount

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]
US = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _code(code: str = "WELCOME10", **kw) -> Voucher:
    kw.setdefault("percent", 10)
    kw.setdefault("usage_limit", None)
    return Voucher.objects.create(code=code, **kw)


def _cart(*prices: str) -> str:
    cart, token = open_cart()
    for price in prices:
        add_to_cart(cart=cart, sku=make_product(price=D(price), list_price=D("100.00")).sku)
    return token


@pytest.mark.commitment("C1.2")
def test_cart_api_applies_a_code_shows_the_discount_and_removes_it() -> None:
    _code()
    token = _cart("33.33", "33.33", "33.33")
    client = Client()
    r = client.put(
        f"/api/v1/cart/{token}/voucher", {"code": "welcome10"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("99.99", "10.00", "89.99")
    assert (body["voucher_code"], body["voucher"]) == ("WELCOME10", "10% off")
    assert sorted(line["discount"] for line in body["lines"]) == ["3.33", "3.33", "3.34"]
    assert client.get(f"/api/v1/cart/{token}").json()["total"] == "89.99"
    r = client.delete(f"/api/v1/cart/{token}/voucher")
    assert (r.json()["discount"], r.json()["total"], r.json()["voucher_code"]) == (
        "0.00",
        "99.99",
        "",
    )


def test_cart_api_refusals_name_the_reason() -> None:
    now = timezone.now()
    _code("OLD", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=1))
    _code("BIG", minimum_order=D("500.00"))
    token = _cart("20.00")
    client = Client()
    for code, status, reason, words in [
        (" ", 400, "invalid", "Enter a discount code."),
        ("50%OFF", 400, "invalid", "letters, digits and '-' only"),
        ("NOPE", 404, "unknown", "We do not know that discount code."),
        ("old", 409, "expired", "The code OLD expired on"),
        ("BIG", 409, "minimum_not_reached", "needs an order of at least $500.00"),
    ]:
        r = client.put(
            f"/api/v1/cart/{token}/voucher", {"code": code}, content_type="application/json"
        )
        assert r.status_code == status and r.json()["reason"] == reason, r.content
        assert words in r.json()["detail"]
    assert client.get(f"/api/v1/cart/{token}").json()["voucher_code"] == ""


def test_guessing_codes_is_limited_per_network_with_a_clear_429(settings) -> None:
    settings.LOOKOUT_VOUCHER_GUESS_LIMIT = 3
    _code()
    token = _cart("20.00")
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(3):
        r = guesser.put(
            f"/api/v1/cart/{token}/voucher", {"code": f"GUESS{n}"}, content_type="application/json"
        )
        assert r.status_code == 404
    # past the limit even a right code is refused, saying when to try again
    r = guesser.put(
        f"/api/v1/cart/{token}/voucher", {"code": "WELCOME10"}, content_type="application/json"
    )
    assert r.status_code == 429
    assert r.json()["detail"].startswith("Too many discount codes tried; try again in")
    assert int(r["Retry-After"]) > 0
    # the cart page says so too, with the same status
    page = guesser.post(f"/cart/{token}/voucher/", {"code": "WELCOME10"})
    assert page.status_code == 429 and "Too many discount codes tried" in page.content.decode()
    # another address of the same IPv6 /64 shares the budget; another network has its own
    ipv6 = [Client(REMOTE_ADDR=f"2001:db8:1:2::{n}") for n in (1, 2, 3, 4)]
    for client in ipv6[:3]:
        assert client.post(f"/cart/{token}/voucher/", {"code": "WRONG"}).status_code == 404
    assert ipv6[3].post(f"/cart/{token}/voucher/", {"code": "WELCOME10"}).status_code == 429
    elsewhere = Client(REMOTE_ADDR="203.0.113.50")
    r = elsewhere.put(
        f"/api/v1/cart/{token}/voucher", {"code": "WELCOME10"}, content_type="application/json"
    )
    assert r.status_code == 200


def test_a_right_code_does_not_use_up_the_networks_guesses(settings) -> None:
    settings.LOOKOUT_VOUCHER_GUESS_LIMIT = 2
    _code()
    token = _cart("20.00")
    client = Client(REMOTE_ADDR="198.51.100.8")
    for _ in range(4):
        assert client.post(f"/cart/{token}/voucher/", {"code": "WELCOME10"}).status_code == 302
        assert client.post(f"/cart/{token}/voucher/", {"remove": "1"}).status_code == 302


def test_cart_page_applies_shows_and_removes_a_code() -> None:
    _code()
    token = _cart("40.00", "9.99")
    client = Client()
    page = client.get(f"/cart/{token}/").content.decode()
    assert 'id="voucher-code"' in page and "discount-line" not in page
    r = client.post(f"/cart/{token}/voucher/", {"code": "Welcome10"})
    assert r.status_code == 302 and r["Location"] == f"/cart/{token}/"
    page = client.get(f"/cart/{token}/").content.decode()
    assert "Code WELCOME10 (10% off)" in page and f"{MINUS}$5.00" in page  # $4.999
    assert '<dd id="cart-total">$44.99</dd>' in page
    # htmx swaps the cart in place
    partial = client.post(
        f"/cart/{token}/voucher/", {"remove": "1"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "discount-line" not in partial.content.decode()
    refused = client.post(f"/cart/{token}/voucher/", {"code": "NOSUCH"})
    assert refused.status_code == 404
    assert "We do not know that discount code." in refused.content.decode()
    assert "Set-Cookie" not in refused.headers


def test_checkout_page_takes_a_code_and_the_api_places_the_discounted_order() -> None:
    _code("TENOFF", kind=Voucher.Kind.AMOUNT, percent=0, amount=D("10.00"))
    camera = make_product(price=D("33.33"), stock=5)
    _, token = make_cart(camera, 3)
    client = Client()
    r = client.post(f"/checkout/{token}/voucher/", {"code": "tenoff", "country": "US"})
    assert r.status_code == 302 and r["Location"] == f"/checkout/{token}/?country=US"
    page = client.get(r["Location"]).content.decode()
    assert "Code TENOFF ($10.00 off)" in page and "Place order and pay $89.99" in page
    refused = client.post(f"/checkout/{token}/voucher/", {"code": "NOSUCH", "country": "US"})
    assert refused.status_code == 404 and "We do not know that discount code." in (
        refused.content.decode()
    )
    # the API places the order with the cart's code
    r = client.post(
        "/api/v1/checkout/orders",
        {"cart": token, "idempotency_key": "with-a-code-1", "delivery": US},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["subtotal"], body["discount"], body["total"], body["voucher_code"]) == (
        "99.99",
        "10.00",
        "89.99",
        "TENOFF",
    )
    order = Order.objects.get(number=body["number"])
    assert [line.discount for line in order.lines.all()] == [D("10.00")]
    # the processor is asked for the discounted total
    pay_on_sandbox(body["payment_url"])
    from lookout.payments.models import Payment

    assert Payment.objects.get(pk=str(order.payment_id)).amount == D("89.99")


def test_checkout_api_takes_a_code_in_the_request_and_says_why_one_is_refused() -> None:
    _code("ONCE", usage_limit=1, times_used=1)
    _code("HALF", percent=50)
    _, token = make_cart(make_product(price=D("80.00")))
    client = Client()
    body = {"cart": token, "idempotency_key": "code-in-body", "delivery": US, "voucher": "ONCE"}
    r = client.post("/api/v1/checkout/orders", body, content_type="application/json")
    assert r.status_code == 409 and r.json()["reason"] == "used_up"
    assert not Order.objects.exists()
    body["voucher"] = "half"
    r = client.post("/api/v1/checkout/orders", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["total"] == "40.00"


def test_a_checkout_without_a_code_reads_nothing_of_vouchers() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, token = make_cart(make_product())
    with CaptureQueriesContext(connection) as queries:
        r = Client().post(
            "/api/v1/checkout/orders",
            {"cart": token, "idempotency_key": "no-code-at-all", "delivery": US},
            content_type="application/json",
        )
    assert r.status_code == 201
    assert not [q for q in queries.captured_queries if "vouchers_voucher" in q["sql"]]


def _delivered_with_code(staff, code: str, prices_quantities: list[tuple[str, int]]) -> Order:
    from lookout.orders.fulfilment import ship_order
    from lookout.orders.payment import begin_payment, finish_payment
    from lookout.orders.services import mark_delivered, place_order
    from lookout.orders.testing import details

    cart, _ = open_cart()
    for price, quantity in prices_quantities:
        add_to_cart(cart=cart, sku=make_product(price=D(price)).sku, quantity=quantity)
    cart.voucher_code = code
    order = place_order(
        cart=cart, delivery=details(), idempotency_key=secrets.token_urlsafe(16), user=None
    )
    back = pay_on_sandbox(begin_payment(order=order, return_url="/checkout/return/x/"))
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    order, failure = finish_payment(order=order, signed_reference=unquote(ref))
    assert order.status == Status.PAID, failure
    clerk, _ = staff("warehouse")
    ship_order(order=order, actor=clerk)
    return mark_delivered(order=order)


@pytest.mark.commitment("C1.2", "C1.8")
def test_a_refund_of_a_discounted_line_gives_back_what_was_paid_for_it(staff) -> None:
    from lookout.payments.models import Payment
    from lookout.returns import services as returns
    from lookout.returns.refunds import settle_refund

    _code("SAVE15", percent=15)
    # 3 x $33.33 and 1 x $19.99 = $119.98; 15% = $17.997 -> $18.00 off, paid $101.98
    order = _delivered_with_code(staff, "SAVE15", [("33.33", 3), ("19.99", 1)])
    assert (order.discount, order.total) == (D("18.00"), D("101.98"))
    big, small = sorted(order.lines.all(), key=lambda line: -line.line_total)
    assert (big.discount, small.discount) == (D("15.00"), D("3.00"))
    clerk, _ = staff("warehouse")
    agent, _ = staff("after_sales")
    finance, _ = staff("finance")
    refunded = []
    # the small line, then the big line one unit and two units: each gives back what was paid
    for quantities in ({small.pk: 1}, {big.pk: 1}, {big.pk: 2}):
        ret = returns.request_return(
            order=order, quantities=quantities, reason="changed_mind", note=None, actor=None
        )
        returns.receive_return(ret=ret, actor=clerk)
        ret.refresh_from_db()
        returns.accept_return(ret=ret, actor=agent)
        settle_refund(refund=ret.refund, actor=finance)
        refunded.append(ret.refund.amount)
    assert refunded == [D("16.99"), D("28.33"), D("56.66")]
    assert refunded[1] + refunded[2] == big.line_total - big.discount == D("84.99")
    payment = Payment.objects.get(pk=str(order.payment_id))
    assert payment.refunded_amount == payment.captured_amount == order.total


def test_order_pages_and_the_staff_desk_show_the_code(staff) -> None:
    _code("DESK5", kind=Voucher.Kind.AMOUNT, percent=0, amount=D("5.00"))
    order = _delivered_with_code(staff, "DESK5", [("25.00", 2)])
    _, desk = staff("after_sales")
    page = desk.get(f"/staff/desk/orders/{order.number}/").content.decode()
    assert f"(code DESK5: {MINUS}$5.00 of $50.00)" in page
    assert f"code {MINUS}$5.00, paid $45.00" in page
    from django.template.loader import render_to_string

    detail = render_to_string("orders/detail.html", {"order": order, "lines": order.lines.all()})
    assert "Code DESK5" in detail and f"{MINUS}$5.00" in detail and "$45.00" in detail


def test_the_catalog_manager_generates_a_batch_in_the_admin_and_finance_may_not(
    staff, settings
) -> None:
    settings.AUTHENTICATION_BACKENDS = ["lookout.staff.backends.RoleBackend"]

    def signed_in(role: str) -> Client:
        user, _ = staff(role)
        return client_past_second_factor(user, backend=settings.AUTHENTICATION_BACKENDS[0])

    manager = signed_in("catalog_manager")
    assert manager.get("/admin/vouchers/voucher/").status_code == 200
    assert "Generate single-use codes" in manager.get("/admin/vouchers/voucher/").content.decode()
    refused = manager.post(
        "/admin/vouchers/voucher/generate/", {"count": 5, "kind": "percent", "percent": 0}
    )
    assert "A percentage off must be between 1 and 100." in refused.content.decode()
    assert not Voucher.objects.exists()
    made = manager.post(
        "/admin/vouchers/voucher/generate/",
        {"count": 5, "code_prefix": "vip-", "kind": "amount", "amount": "7.50"},
    )
    assert made.status_code == 200
    codes = list(Voucher.objects.values_list("code", flat=True))
    assert len(codes) == 5 and all(c.startswith("VIP-") for c in codes)
    assert all(c in made.content.decode() for c in codes)
    assert set(Voucher.objects.values_list("usage_limit", "amount")) == {(1, D("7.50"))}
    csv = manager.post(
        "/admin/vouchers/voucher/generate/",
        {"count": 2, "kind": "percent", "percent": 5, "download": "1"},
    )
    assert csv["Content-Type"].startswith("text/csv") and csv.content.decode().count("\n") == 3
    finance = signed_in("finance")
    assert finance.get("/admin/vouchers/voucher/").status_code == 403
    assert finance.get("/admin/vouchers/voucher/generate/").status_code == 403
