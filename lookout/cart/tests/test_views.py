"""The cart's link path: a browser that keeps no cookie (C7.4). The cookie path, for a browser
that keeps them, is in test_cart_cookie.py."""

import re

import pytest
from django.test import Client

from lookout.cart.models import CartLine
from lookout.catalog.tests import factories
from lookout.core.tokens import CART_COOKIE

TOTAL = re.compile(r'id="cart-total">([^<]+)<')


def _total(body: str) -> str:
    match = TOTAL.search(body)
    assert match, "no total on the page"
    return match.group(1)


class CookielessClient(Client):
    """A browser that blocks every cookie: it drops each one a response offers."""

    def request(self, **request):
        response = super().request(**request)
        self.cookies.clear()
        return response


@pytest.fixture
def client():
    return CookielessClient()


def _add(client, sku, quantity="1", cart=""):
    data = {"sku": sku, "quantity": quantity}
    if cart:
        data["cart"] = cart
    return client.post("/cart/add/", data)


@pytest.mark.commitment("C2.6", "C7.4")
@pytest.mark.django_db
def test_cart_works_without_any_cookie(client):
    # given a visitor whose browser sends and keeps no cookie
    a = factories.product(price="19.99", list_price="29.99")
    b = factories.product(price="5.01", list_price="5.01")
    # when they add two products, carrying the cart in the URL only
    first = _add(client, a.sku, "2")
    token = first["Location"].split("/")[2]
    second = _add(client, b.sku, "1", cart=token)
    page = client.get(f"/cart/{token}/")
    # then the cart holds both and the total is right; the first add offered the strictly
    # necessary cart cookie (dropped), and nothing else set any cookie
    assert second["Location"] == f"/cart/{token}/"
    assert _total(page.content.decode()) == "$44.99"
    assert "Free" in page.content.decode()
    assert list(first.cookies) == [CART_COOKIE]
    for response in (second, page):
        assert "Set-Cookie" not in response.headers
    assert not client.cookies


@pytest.mark.django_db
def test_cart_links_keep_the_token_in_the_url(client):
    p = factories.product()
    token = _add(client, p.sku)["Location"].split("/")[2]
    body = client.get(f"/cart/{token}/").content.decode()
    assert f"{p.get_absolute_url()}?cart={token}" in body
    product_page = client.get(f"{p.get_absolute_url()}?cart={token}").content.decode()
    assert f'name="cart" value="{token}"' in product_page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantity, status", [("-1", 400), ("0", 400), ("100", 400), ("9" * 40, 400), ("x", 400)]
)
def test_bad_quantities_on_add_get_a_clear_4xx(client, quantity, status):
    p = factories.product()
    response = _add(client, p.sku, quantity)
    assert response.status_code == status
    assert "Quantity" in response.content.decode()
    assert not CartLine.objects.exists()


@pytest.mark.django_db
def test_unknown_product_and_unknown_cart_get_404_pages(client):
    p = factories.product()
    assert _add(client, "NOPE").status_code == 404
    assert _add(client, p.sku, cart="A" * 43).status_code == 404
    assert (
        client.post("/cart/" + "A" * 43 + "/update/", {"sku": p.sku, "quantity": "1"}).status_code
        == 404
    )


@pytest.mark.django_db
def test_update_with_bad_quantity_keeps_the_line_and_explains(client):
    p = factories.product(stock=5)
    token = _add(client, p.sku, "2")["Location"].split("/")[2]
    response = client.post(f"/cart/{token}/update/", {"sku": p.sku, "quantity": "-3"})
    assert response.status_code == 400
    assert "greater than or equal to 0" in response.content.decode()
    assert CartLine.objects.get().quantity == 2
    too_many = client.post(f"/cart/{token}/update/", {"sku": p.sku, "quantity": "8"})
    assert too_many.status_code == 409
    assert "Only 5" in too_many.content.decode()
    over_the_line_limit = client.post(f"/cart/{token}/update/", {"sku": p.sku, "quantity": "50"})
    assert over_the_line_limit.status_code == 400
    assert "less than or equal to 10" in over_the_line_limit.content.decode()
    assert CartLine.objects.get().quantity == 2


@pytest.mark.django_db
def test_htmx_update_returns_the_cart_fragment(client):
    p = factories.product()
    token = _add(client, p.sku)["Location"].split("/")[2]
    response = client.post(
        f"/cart/{token}/update/", {"sku": p.sku, "quantity": "3"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.decode().startswith('<section id="cart"')
    assert _total(response.content.decode()) == "$240.00"


@pytest.mark.django_db
def test_get_on_a_post_only_cart_url_is_refused(client):
    assert client.get("/cart/add/").status_code == 405


@pytest.mark.commitment("C7.4")
@pytest.mark.django_db
def test_cart_page_cannot_leak_its_token_to_another_site(client):
    # given a cart page, whose address holds the cart's token
    p = factories.product()
    token = _add(client, p.sku)["Location"].split("/")[2]
    response = client.get(f"/cart/{token}/")
    body = response.content.decode()
    # then browsers are told to send no Referer to other origins, and nothing links or loads
    # from another origin that could receive one
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in body
    assert 'href="http' not in body and 'src="http' not in body and 'action="http' not in body
