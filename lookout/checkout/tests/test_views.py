"""Checkout through the real views, as a browser without cookies would use them."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from lookout.catalog.models import Product
from lookout.inbox.models import Message
from lookout.orders.models import Order, Status
from lookout.orders.testing import DECLINE_CARD, make_cart, make_product, pay_on_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
US = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _client() -> Client:
    """No cookies are ever sent back (a cookie-blocking browser) and CSRF is enforced."""
    client = Client(enforce_csrf_checks=True)
    return client


def _form(client: Client, token: str, country: str = "US") -> str:
    page = client.get(f"/checkout/{token}/?country={country}")
    assert page.status_code == 200
    match = FORM_TOKEN.search(page.content.decode())
    assert match
    return match[1]


def _submit(client: Client, token: str, data: dict[str, str], form_token: str | None = None):
    if form_token is None:
        form_token = _form(client, token, data.get("country", "US"))
    client.cookies.clear()
    return client.post(f"/checkout/{token}/", {**data, "form_token": form_token})


@pytest.mark.commitment("C7.4", "C2.6", "C1.3")
def test_checkout_page_shows_free_shipping_and_the_delivery_window() -> None:
    camera = make_product(price=Decimal("59.00"), list_price=Decimal("80.00"))
    _, token = make_cart(camera)
    page = _client().get(f"/checkout/{token}/?country=JP").content.decode()
    assert "Free — $0.00" in page
    assert "1–3 business days" in page  # noqa: RUF001
    assert "Estimated delivery" in page
    assert "Prefecture" in page  # Japan's own address format


@pytest.mark.commitment("C7.4", "C2.2")
def test_guest_without_cookies_pays_and_order_is_paid() -> None:
    # Given a camera in a cart, and a browser that sends no cookies
    camera = make_product(stock=3)
    _, token = make_cart(camera)
    client = _client()
    # When the guest submits the delivery form
    response = _submit(client, token, US)
    # Then they go to the processor's hosted page
    assert response.status_code == 302
    assert "/pay/" in response["Location"]
    order = Order.objects.get()
    assert order.status == Status.PLACED
    # When they pay there and come back
    back = pay_on_sandbox(response["Location"])
    done = client.get(urlsplit(back).path + "?" + urlsplit(back).query)
    # Then the order is paid, the email with the signed link went out, the stock is taken
    assert done.status_code == 200, done.content
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert order.ship_by is not None
    assert Product.objects.get(pk=camera.pk).stock == 2
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].body
    assert "4242" not in done.content.decode()
    assert not client.cookies


def test_double_submit_places_one_order_and_one_payment() -> None:
    from lookout.payments.models import Payment

    camera = make_product(stock=5)
    _, token = make_cart(camera)
    client = _client()
    form_token = _form(client, token)
    first = _submit(client, token, US, form_token)
    second = _submit(client, token, US, form_token)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Product.objects.get(pk=camera.pk).stock == 4


def test_declined_card_leaves_no_paid_order_and_says_so() -> None:
    camera = make_product(stock=1)
    _, token = make_cart(camera)
    client = _client()
    response = _submit(client, token, US)
    back = pay_on_sandbox(response["Location"], card=DECLINE_CARD)
    page = client.get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert page.status_code == 402
    assert "declined" in page.content.decode()
    order = Order.objects.get()
    assert order.status == Status.PAYMENT_FAILED
    assert not Order.objects.filter(status=Status.PAID).exists()
    assert Product.objects.get(pk=camera.pk).stock == 1  # back on the shelf


def test_tampered_payment_reference_is_refused_and_changes_nothing() -> None:
    _, token = make_cart(make_product())
    client = _client()
    response = _submit(client, token, US)
    back = pay_on_sandbox(response["Location"])
    parts = urlsplit(back)
    tampered = re.sub(r"ref=([^&]+)", lambda m: "ref=" + m[1][:-3] + "AAA", parts.query)
    page = client.get(parts.path + "?" + tampered)
    assert page.status_code == 400
    assert "not valid" in page.content.decode()
    assert Order.objects.get().status == Status.PLACED


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"postal_code": ""}, "postal_code", "ZIP code: addresses in United States"),
        ({"postal_code": "1234"}, "postal_code", "not valid in United States"),
        (
            {"country": "GB", "city": "London", "postal_code": "ZZ9 ZZZZ", "country_area": ""},
            "postal_code",
            "not valid in United Kingdom",
        ),
        (
            {"country": "JP", "postal_code": "", "country_area": ""},
            "country_area",
            "Enter the prefecture: addresses in Japan need it",
        ),
        (
            {"country": "DE", "city": "Berlin", "postal_code": "123", "country_area": ""},
            "postal_code",
            "not valid in Germany",
        ),
        ({"phone": "12345"}, "phone", "not a valid phone number for United States"),
        (
            {
                "country": "BR",
                "phone": "",
                "postal_code": "01310-100",
                "city": "São Paulo",
                "country_area": "SP",
            },
            "phone",
            "required",
        ),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_delivery_input_gets_a_clear_400_and_no_order(
    data: dict[str, str], field: str, words: str
) -> None:
    _, token = make_cart(make_product())
    client = _client()
    response = _submit(client, token, {**US, **data})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(words.lower() in e.lower() for e in errors[field]), errors[field]
    assert Order.objects.count() == 0


def test_forged_or_foreign_form_token_is_refused() -> None:
    _, token = make_cart(make_product())
    _, other = make_cart(make_product())
    client = _client()
    foreign = _form(client, other)
    for form_token in ("", "forged", foreign):
        response = _submit(client, token, US, form_token)
        assert response.status_code == 403
    assert Order.objects.count() == 0


@pytest.mark.commitment("C3.5")
def test_guest_reaches_order_and_messages_with_link_and_number() -> None:
    _, token = make_cart(make_product())
    client = _client()
    back = pay_on_sandbox(_submit(client, token, US)["Location"])
    client.get(urlsplit(back).path + "?" + urlsplit(back).query)
    order = Order.objects.get()
    link = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert link
    path = urlsplit(link[0]).path
    # The link alone shows nothing personal; with a wrong number the same "not found"
    assert "Ada" not in client.get(path).content.decode()
    assert client.post(path, {"number": "LK-WRONG234"}).status_code == 404
    page = client.post(path, {"number": order.number.lower()})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ada Lovelace" in text and "MOUNTAIN VIEW" in text
    assert "Paid" in text
    # placed, paid, and "we emailed you the link" (orders.guest.email_link's once-only claim)
    assert Message.objects.filter(subject=order.subject).count() == 3
    assert "We emailed you the link to this order" in text
